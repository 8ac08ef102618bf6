package web

import (
	"net/http"

	"safelight/internal/access"
)

// unreadNotifications counts the caller's unread in-app notifications
// ("Cleo finished reviewing …"), for the badge on the Projects link. A
// failure to count only hides the badge: it must never break a page.
func (p *Pages) unreadNotifications(r *http.Request) int {
	pr := access.PrincipalFrom(r.Context())
	if pr == nil || p.opts.Sharing == nil {
		return 0
	}
	ns, err := p.opts.Sharing.Notifications(r.Context(), pr.UserID)
	if err != nil {
		p.log.WarnContext(r.Context(), "notifications not counted", "err", err)
		return 0
	}
	n := 0
	for _, x := range ns {
		if x.ReadAt.IsZero() {
			n++
		}
	}
	return n
}
