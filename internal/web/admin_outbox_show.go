package web

import (
	"net/http"
	"time"
)

// outboxData is what the development outbox page shows.
type outboxData struct {
	Items []outboxRow
}

type outboxRow struct {
	To      string
	Subject string
	When    string
	At      string
	ISO     string
	Text    string
}

// showOutbox lists the development outbox to the instance admin: the
// e-mail Safelight kept instead of sending, links included. Bodies are
// shown only here (and in the admin API), never logged.
func (p *Pages) showOutbox(w http.ResponseWriter, r *http.Request) error {
	noReferrer(w)
	var d outboxData
	if p.opts.Outbox != nil {
		ms, err := p.opts.Outbox.Messages(r.Context(), 200)
		if err != nil {
			return err
		}
		now := time.Now()
		for _, m := range ms {
			d.Items = append(d.Items, outboxRow{To: m.To, Subject: m.Subject, When: ago(m.CreatedAt, now), At: exact(m.CreatedAt),
				ISO: m.CreatedAt.UTC().Format(time.RFC3339), Text: m.Text})
		}
	}
	v := p.newView(r, "outbox", "Outbox", d)
	v.Nav = "account"
	return p.render(w, http.StatusOK, "outbox", v)
}
