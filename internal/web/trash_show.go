package web

import (
	"net/http"
	"strconv"
	"time"
)

// trashData is what the trash page shows.
type trashData struct {
	Items         []tile
	NextCursor    string
	CountText     string // "3 photos", or "every photo in the trash" when there are more pages
	RetentionDays int
}

// showTrash lists the caller's deleted photos in library order, each with
// Restore and the day it goes for good, and offers to empty the trash.
func (p *Pages) showTrash(w http.ResponseWriter, r *http.Request) error {
	page, err := p.opts.Library.List(r.Context(), principal(r), true, r.URL.Query().Get("cursor"), pageSize)
	if err != nil {
		return libraryError(err)
	}
	retention := p.opts.Library.Config().TrashRetention
	d := trashData{NextCursor: page.NextCursor, RetentionDays: int(retention / (24 * time.Hour))}
	now := time.Now()
	for _, a := range page.Items {
		t := tileOf(a)
		t.TrashedAgo = ago(a.TrashedAt, now)
		t.TrashedAt = exact(a.TrashedAt)
		t.TrashedISO = a.TrashedAt.UTC().Format(time.RFC3339)
		t.PurgeOn = "on " + dateOnly(a.TrashedAt.Add(retention))
		d.Items = append(d.Items, t)
	}
	switch n := len(d.Items); {
	case d.NextCursor != "":
		d.CountText = "every photo in the trash"
	case n == 1:
		d.CountText = "1 photo"
	default:
		d.CountText = strconv.Itoa(n) + " photos"
	}
	v := p.newView(r, "trash", "Trash", d)
	v.Nav = "trash"
	v.Flash = p.takeFlash(w, r)
	return p.render(w, http.StatusOK, "trash", v)
}
