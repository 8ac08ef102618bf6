package web

import (
	"errors"
	"net/http"

	"safelight/internal/audit"

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
				var le *ratelimit.LimitedError
				if p.opts.Audit != nil && errors.As(err, &le) && le.First {
					c := client(r)
					p.opts.Audit.Record(r.Context(), audit.Event{Type: audit.RateLimited, IP: c.IP, UserAgent: c.UserAgent,
						Details: map[string]string{"rule": le.Rule}})
				}
				return err
			}
		}
		return h(w, r)
	}
}
