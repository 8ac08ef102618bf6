package web

import (
	"net/http"

	"safelight/internal/httpauth"
	"safelight/internal/httpx"
	"safelight/internal/ratelimit"
)

// limitByAddress counts each call of h against rule for the client's
// address and refuses calls over the limit (429 page, Retry-After) before
// h runs.
func (p *Pages) limitByAddress(rule string, h httpx.HandlerFunc) httpx.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		if p.opts.Limits != nil {
			if err := p.opts.Limits.Allow(r.Context(), rule, ratelimit.Address(httpx.ClientIP(r))); err != nil {
				if e, first := httpauth.LimitedEvent(err, "", client(r)); first && p.opts.Audit != nil {
					p.opts.Audit.Record(r.Context(), e)
				}
				return err
			}
		}
		return h(w, r)
	}
}
