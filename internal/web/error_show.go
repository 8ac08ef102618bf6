package web

import (
	"net/http"

	"safelight/internal/httpx"
)

// errorData is what an error page shows.
type errorData struct {
	Status    int
	Heading   string
	Message   string
	RequestID string // shown for server errors, so an operator can find the log line
	SignIn    bool   // offer a sign-in link
}

// showNotFound answers every path no other route claims.
func (p *Pages) showNotFound(http.ResponseWriter, *http.Request) error {
	return httpx.NotFound()
}

// RenderError writes e as an HTML page in the site layout, with e's
// status. Only e.Message, which is user-safe by contract, is shown; the
// cause stays in the log.
func (p *Pages) RenderError(w http.ResponseWriter, r *http.Request, e *httpx.Error) {
	d := errorData{Status: e.Status, Message: sentence(e.Message)}
	switch {
	case e.Status == http.StatusNotFound:
		d.Heading = "Page not found"
		d.Message = "There is nothing at this address, or it is not yours to see."
	case e.Status == http.StatusUnauthorized:
		d.Heading = "Sign in required"
		d.Message = "Your session has ended. Sign in again to continue."
		d.SignIn = true
	case e.Status == http.StatusForbidden:
		d.Heading = "Not allowed"
	case e.Status == http.StatusTooManyRequests:
		d.Heading = "Too many requests"
	case e.Status == http.StatusRequestEntityTooLarge:
		d.Heading = "Too large"
	case e.Status >= 500:
		d.Heading = "Something went wrong"
		d.Message = "The server could not finish this request. The problem was logged; please try again in a moment."
		d.RequestID = httpx.RequestID(r.Context())
	default:
		d.Heading = "That did not work"
	}
	v := p.newView(r, "error", d.Heading, d)
	if err := p.render(w, e.Status, "error", v); err != nil {
		p.log.ErrorContext(r.Context(), "error page failed", "request_id", httpx.RequestID(r.Context()), "err", err)
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(e.Status)
		_, _ = w.Write([]byte(d.Heading + "\n"))
	}
}
