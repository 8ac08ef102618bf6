package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"time"
	"unicode/utf8"
)

// DeleteLinksEndedBefore implements sharing.Store (sharing/retention.go),
// in one transaction per run:
//
//   - a link is over when it was revoked, or expired, before t; links of
//     an owner who restricted processing (Art. 18) wait until it is
//     lifted, as the owner's review record is frozen with the rest;
//   - where its guests' names were copied for the owner, endedName takes
//     their place: the access log of the owner's photos (the entries made
//     through the link, via "link:<id>"), and the owner's "done"
//     notifications of that project, whose text begins with the name of a
//     guest who pressed "done";
//   - its guests (counted) and unlocks are deleted, then the link.
//     Comments, marks and "done" keep the guest's random id, which no
//     row names any more.
//
// It returns how many links and guests it deleted.
func (s *Store) DeleteLinksEndedBefore(ctx context.Context, t time.Time, endedName string) (links, guests int, err error) {
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		links, guests = 0, 0
		type ended struct{ id, projectID, ownerID string }
		var ls []ended
		rows, err := tx.QueryContext(ctx, `SELECT l.id, l.project_id, p.owner_id FROM review_links l
			JOIN projects p ON p.id = l.project_id JOIN users o ON o.id = p.owner_id
			WHERE ((l.revoked_at <> 0 AND l.revoked_at < $1) OR l.expires_at < $1) AND o.restricted_at = 0 ORDER BY l.id`, micros(t))
		if err != nil {
			return err
		}
		for rows.Next() {
			var l ended
			if err := rows.Scan(&l.id, &l.projectID, &l.ownerID); err != nil {
				rows.Close()
				return err
			}
			ls = append(ls, l)
		}
		if err := errors.Join(rows.Err(), rows.Close()); err != nil {
			return err
		}
		for _, l := range ls {
			if _, err := tx.ExecContext(ctx, `UPDATE access_events SET actor_label = $1
				WHERE owner_id = $2 AND via = $3 AND actor_label <> $1`, endedName, l.ownerID, "link:"+l.id); err != nil {
				return err
			}
			// A "done" notification reads "<name> finished reviewing …"
			// (sharing.FinishReview); only a guest who pressed "done" has one.
			done, err := txStrings(ctx, tx, `SELECT g.name FROM link_guests g WHERE g.link_id = $1 AND EXISTS (SELECT 1 FROM review_done d
				WHERE d.project_id = $2 AND d.reviewer_kind = 'guest' AND d.reviewer_id = g.id)`, l.id, l.projectID)
			if err != nil {
				return err
			}
			for _, name := range done {
				prefix := name + " finished reviewing "
				if _, err := tx.ExecContext(ctx, `UPDATE notifications SET body = CAST($1 AS TEXT) || substr(body, $2)
					WHERE user_id = $3 AND project_id = $4 AND kind = 'review_done' AND substr(body, 1, $5) = $6`,
					endedName, utf8.RuneCountInString(name)+1, l.ownerID, l.projectID, utf8.RuneCountInString(prefix), prefix); err != nil {
					return err
				}
			}
			n, err := txCount(ctx, tx, `DELETE FROM link_guests WHERE link_id = $1`, l.id)
			if err != nil {
				return err
			}
			guests += n
			if _, err := tx.ExecContext(ctx, `DELETE FROM link_unlocks WHERE link_id = $1`, l.id); err != nil {
				return err
			}
			n, err = txCount(ctx, tx, `DELETE FROM review_links WHERE id = $1`, l.id)
			if err != nil {
				return err
			}
			links += n
		}
		return nil
	})
	if err != nil {
		return 0, 0, s.errorf("sqlstore: delete ended review links: %w", err)
	}
	return links, guests, nil
}

// txStrings returns the first column of every row of query, in tx.
func txStrings(ctx context.Context, tx *sql.Tx, query string, args ...any) ([]string, error) {
	rows, err := tx.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	var out []string
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			rows.Close()
			return nil, err
		}
		out = append(out, v)
	}
	return out, errors.Join(rows.Err(), rows.Close())
}
