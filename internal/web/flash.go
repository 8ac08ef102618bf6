package web

import "net/http"

// Flash messages carry a one-line notice across a Post/Redirect/Get. The
// cookie holds only a key from this fixed list, never free text, so it
// can neither inject markup nor carry anything secret.
var flashes = map[string]string{
	"name-saved":       "Your name was saved.",
	"password-changed": "Your password was changed. Every other device was signed out and your access tokens were revoked.",
	"session-revoked":  "That device was signed out.",
	"sessions-revoked": "Every other device was signed out.",
	"token-revoked":    "The token was revoked. Programs that use it can no longer connect.",

	"asset-trashed":          "The photo was moved to the trash. You can restore it from there.",
	"asset-restored":         "The photo is back in your library.",
	"trash-emptied":          "The trash was emptied. Those photos are deleted for good.",
	"library-settings-saved": "Your library settings were saved.",
	"mfa-disabled":           "Two-step sign-in was turned off.",

	// The accounts page (admin_users_*.go).
	"account-disabled":       "The account was disabled: it was signed out everywhere, its access tokens were revoked, and it cannot sign in until you enable it.",
	"account-enabled":        "The account was enabled. It can sign in again; access tokens it had before stay revoked.",
	"account-sessions-ended": "The account was signed out of every browser. Its access tokens still work.",
	"all-sessions-ended":     "Everyone was signed out, except you in this browser. Access tokens still work.",
}

func (p *Pages) flashCookieName() string {
	if p.opts.Cookies.Secure {
		return "__Host-safelight_flash"
	}
	return "safelight_flash"
}

// setFlash stores the notice key for the next page view.
func (p *Pages) setFlash(w http.ResponseWriter, key string) {
	if _, ok := flashes[key]; !ok {
		panic("web: unknown flash " + key) // a programming error
	}
	http.SetCookie(w, &http.Cookie{Name: p.flashCookieName(), Value: key, Path: "/", MaxAge: 60,
		HttpOnly: true, Secure: p.opts.Cookies.Secure, SameSite: http.SameSiteLaxMode})
}

// takeFlash returns the pending notice, if any, and clears it.
func (p *Pages) takeFlash(w http.ResponseWriter, r *http.Request) string {
	ck, err := r.Cookie(p.flashCookieName())
	if err != nil {
		return ""
	}
	http.SetCookie(w, &http.Cookie{Name: p.flashCookieName(), Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, Secure: p.opts.Cookies.Secure, SameSite: http.SameSiteLaxMode})
	return flashes[ck.Value]
}

// redirectWithFlash ends a successful form POST (Post/Redirect/Get).
func (p *Pages) redirectWithFlash(w http.ResponseWriter, r *http.Request, to, key string) error {
	p.setFlash(w, key)
	http.Redirect(w, r, to, http.StatusSeeOther)
	return nil
}
