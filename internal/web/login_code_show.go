package web

import (
	"net/http"
	"net/url"
	"time"

	"safelight/internal/auth"
)

// loginCodeData is what the second step of signing in shows.
type loginCodeData struct {
	Next  string // a safe local path, or ""
	Error string // wrong code, throttled
}

// pendingCookieName names the cookie that carries a pending sign-in's
// token between the password step and the code step. Like the session
// cookie it takes the __Host- prefix on https.
func (p *Pages) pendingCookieName() string {
	if p.opts.Cookies.Secure {
		return "__Host-safelight_pending"
	}
	return "safelight_pending"
}

// setPending stores a pending sign-in token for as long as it is valid on
// the server (auth.PendingLoginTTL); the server decides the real end.
func (p *Pages) setPending(w http.ResponseWriter, token string) {
	http.SetCookie(w, &http.Cookie{Name: p.pendingCookieName(), Value: token, Path: "/",
		MaxAge: int(auth.PendingLoginTTL / time.Second), HttpOnly: true, Secure: p.opts.Cookies.Secure, SameSite: http.SameSiteLaxMode})
}

func (p *Pages) clearPending(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{Name: p.pendingCookieName(), Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, Secure: p.opts.Cookies.Secure, SameSite: http.SameSiteLaxMode})
}

func (p *Pages) pendingToken(r *http.Request) string {
	if ck, err := r.Cookie(p.pendingCookieName()); err == nil {
		return ck.Value
	}
	return ""
}

// showLoginCode asks for the code from the authenticator app (or a
// recovery code) after a correct password. Without a pending sign-in the
// visitor goes back to the password step.
func (p *Pages) showLoginCode(w http.ResponseWriter, r *http.Request) error {
	next := safeNext(r.URL.Query().Get("next"))
	if principal(r) != nil {
		http.Redirect(w, r, nextOr(next), http.StatusSeeOther)
		return nil
	}
	if p.pendingToken(r) == "" {
		http.Redirect(w, r, loginPath(next), http.StatusSeeOther)
		return nil
	}
	return p.render(w, http.StatusOK, "login_code", p.newView(r, "login", "Two-step sign-in", loginCodeData{Next: next}))
}

// loginPath is the sign-in page, keeping next.
func loginPath(next string) string {
	if next == "" {
		return "/login"
	}
	return "/login?next=" + url.QueryEscape(next)
}
