package web

import (
	"errors"
	"net/http"

	"safelight/internal/calls"
)

// enterCall starts a draft entry in the call for the signed-in caller and
// opens it. A refusal that the entrant should read (the limit of entries
// reached, the deadline passed) is shown on the call's page, beside the
// button.
func (p *Pages) enterCall(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	ctx := r.Context()
	g, err := p.opts.Calls.CallFor(ctx, principal(r), r.PathValue("id"))
	if err != nil {
		return callError(err)
	}
	e, err := p.opts.Calls.CreateEntry(ctx, principal(r), g, calls.EntryInput{}, nil)
	switch {
	case errors.Is(err, calls.ErrTooManyEntries), errors.Is(err, calls.ErrDeadlinePassed), errors.Is(err, calls.ErrNotOpenYet):
		return p.renderCall(w, r, g, http.StatusConflict, sentence(err.Error()))
	case err != nil:
		return callError(err)
	}
	http.Redirect(w, r, entryURL(e.ID), http.StatusSeeOther)
	return nil
}

func entryURL(id string) string { return "/entries/" + id }
