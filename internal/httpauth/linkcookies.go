package httpauth

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"time"
)

// Review-link cookies. A link's unlock (after its password) and its guest
// (after a name and address) are each a cookie whose name is derived from
// the link's token, so a browser holding several links keeps them apart
// and a cookie of one link never opens another. The server checks the
// value against the link it belongs to as well.

func (c Cookies) linkCookieName(kind, linkToken string) string {
	h := sha256.Sum256([]byte(linkToken))
	name := "safelight_" + kind + "_" + hex.EncodeToString(h[:8])
	if c.Secure {
		return "__Host-" + name
	}
	return name
}

// SetLinkUnlock stores the unlock secret of the link with linkToken until
// expires.
func (c Cookies) SetLinkUnlock(w http.ResponseWriter, linkToken, secret string, expires time.Time) {
	http.SetCookie(w, c.cookie(c.linkCookieName("unlock", linkToken), secret, time.Until(expires)))
}

// LinkUnlock returns the unlock secret the browser sent for the link, or "".
func (c Cookies) LinkUnlock(r *http.Request, linkToken string) string {
	if ck, err := r.Cookie(c.linkCookieName("unlock", linkToken)); err == nil {
		return ck.Value
	}
	return ""
}

// SetLinkGuest stores the guest secret of the link with linkToken until
// expires.
func (c Cookies) SetLinkGuest(w http.ResponseWriter, linkToken, secret string, expires time.Time) {
	http.SetCookie(w, c.cookie(c.linkCookieName("guest", linkToken), secret, time.Until(expires)))
}

// LinkGuest returns the guest secret the browser sent for the link, or "".
func (c Cookies) LinkGuest(r *http.Request, linkToken string) string {
	if ck, err := r.Cookie(c.linkCookieName("guest", linkToken)); err == nil {
		return ck.Value
	}
	return ""
}
