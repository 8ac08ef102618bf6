package sharing

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strings"

	"safelight/internal/export"
	"safelight/internal/library"
)

// Selection picks the project's assets by their review. Zero values
// select everything.
type Selection struct {
	// Reviewer, when set, takes that reviewer's marks as the verdict
	// ("user:<id>" or "guest:<id>"); otherwise every reviewer's marks are
	// combined (see verdict).
	Reviewer  string
	MinRating int    // at least this many stars
	Label     string // this colour label
	Flag      string // pick or reject
	IDs       []string
}

// verdict combines marks into one rating, label and flag: the rounded
// mean of the ratings given (0 when none); the most frequent label (the
// earliest given on a tie); pick when picks outnumber rejects, reject
// when rejects outnumber picks.
func verdict(marks []Mark) (rating int, label, flag string) {
	sum, n := 0, 0
	labels := map[string]int{}
	var order []string
	picks := 0
	for _, m := range marks {
		if m.Rating > 0 {
			sum += m.Rating
			n++
		}
		if m.Label != "" {
			if labels[m.Label] == 0 {
				order = append(order, m.Label)
			}
			labels[m.Label]++
		}
		switch m.Flag {
		case FlagPick:
			picks++
		case FlagReject:
			picks--
		}
	}
	if n > 0 {
		rating = int(math.Round(float64(sum) / float64(n)))
	}
	best := 0
	for _, l := range order {
		if labels[l] > best {
			label, best = l, labels[l]
		}
	}
	switch {
	case picks > 0:
		flag = FlagPick
	case picks < 0:
		flag = FlagReject
	}
	return rating, label, flag
}

// reviewerKey is how selections and exports name a reviewer.
func reviewerKey(r Reviewer) string { return r.Kind + ":" + r.ID }

// ExportItems returns the selected assets of the project with their
// verdict, every reviewer's marks and the comments, named by the owner's
// original file names, for the Lightroom exports. Owner only: the file
// names are the owner's.
func (s *Service) ExportItems(ctx context.Context, g Grant, sel Selection) ([]export.Item, error) {
	if !g.Owner {
		return nil, ErrForbidden
	}
	as, err := s.Assets(ctx, g)
	if err != nil {
		return nil, err
	}
	names, err := s.reviewerNames(ctx, g)
	if err != nil {
		return nil, err
	}
	var out []export.Item
	for _, a := range as {
		if len(sel.IDs) > 0 && !slices.Contains(sel.IDs, a.ID) {
			continue
		}
		marks := a.Marks
		if sel.Reviewer != "" {
			marks = slices.DeleteFunc(slices.Clone(marks), func(m Mark) bool { return reviewerKey(m.Reviewer) != sel.Reviewer })
		}
		it := export.Item{Filename: a.Private.Filename}
		it.Rating, it.Label, it.Flag = verdict(marks)
		if it.Rating < sel.MinRating || sel.Label != "" && it.Label != sel.Label || sel.Flag != "" && it.Flag != sel.Flag {
			continue
		}
		for _, m := range a.Marks {
			it.Marks = append(it.Marks, export.Mark{Reviewer: names[reviewerKey(m.Reviewer)], Rating: m.Rating, Label: m.Label, Flag: m.Flag, At: m.UpdatedAt})
		}
		for _, c := range a.Comments {
			it.Comments = append(it.Comments, export.Comment{Author: names[reviewerKey(c.Author)], At: c.CreatedAt, Body: c.Body})
		}
		out = append(out, it)
	}
	return out, nil
}

// reviewerNames maps reviewer keys to how the owner knows them.
func (s *Service) reviewerNames(ctx context.Context, g Grant) (map[string]string, error) {
	rs, err := s.Reviewers(ctx, g)
	if err != nil {
		return nil, err
	}
	names := map[string]string{}
	for _, r := range rs {
		n := r.Name
		if r.Email != "" && r.Email != r.Name {
			n += " <" + r.Email + ">"
		}
		names[reviewerKey(r.Reviewer)] = n
	}
	return names, nil
}

// ZipEntry is one file of a download archive.
type ZipEntry struct {
	AssetID string
	Kind    library.Kind
}

// ZipSelection lists what a ZIP download of the project holds for g:
// the selected assets (all when ids is empty) at size, which must be
// what g's download policy allows ("preview" or "original"; "" picks the
// largest allowed). ErrNoDownload when the policy allows none.
func (s *Service) ZipSelection(ctx context.Context, g Grant, ids []string, size string) ([]ZipEntry, error) {
	allowed := g.Download
	if g.Owner {
		allowed = DownloadOriginal
	}
	if size == "" {
		size = "preview"
		if allowed == DownloadOriginal {
			size = "original"
		}
	}
	if size != "preview" && size != "original" {
		return nil, fmt.Errorf("%w: size must be preview or original", ErrInvalidDownload)
	}
	if !allowed.Allows(size) {
		return nil, ErrNoDownload
	}
	projectIDs, err := s.store.ProjectAssetIDs(ctx, g.Project.ID)
	if err != nil {
		return nil, err
	}
	kind := library.Preview
	if size == "original" {
		kind = library.Original
	}
	var out []ZipEntry
	for _, id := range projectIDs {
		if len(ids) == 0 || slices.Contains(ids, id) {
			out = append(out, ZipEntry{AssetID: id, Kind: kind})
		}
	}
	if len(ids) > 0 && len(out) != len(uniq(ids)) {
		return nil, ErrNotFound // an id outside the project
	}
	return out, nil
}

// ArchiveName is a file name for a project's downloads: its name,
// reduced to safe characters.
func ArchiveName(p Project, suffix string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(p.Name) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			b.WriteRune(r)
		case b.Len() > 0 && !strings.HasSuffix(b.String(), "-"):
			b.WriteByte('-')
		}
	}
	name := strings.Trim(b.String(), "-")
	if name == "" {
		name = "project"
	}
	if len(name) > 60 {
		name = name[:60]
	}
	return name + suffix
}

// AccessLog lists who saw the project's photos through a grant (members
// and links; not the owner), newest first, at most limit entries. Owner
// only.
func (s *Service) AccessLog(ctx context.Context, g Grant, limit int) ([]library.AccessEvent, error) {
	if !g.Owner {
		return nil, ErrForbidden
	}
	ids, err := s.store.ProjectAssetIDs(ctx, g.Project.ID)
	if err != nil {
		return nil, err
	}
	var out []library.AccessEvent
	for _, id := range ids {
		ev, err := s.library.OwnerAccessLog(ctx, g.Project.OwnerID, id)
		if err != nil {
			return nil, err
		}
		for _, e := range ev {
			if e.Via != "owner" {
				out = append(out, e)
			}
		}
	}
	slices.SortFunc(out, func(a, b library.AccessEvent) int { return b.At.Compare(a.At) })
	if len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}
