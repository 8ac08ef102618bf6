package web

import (
	"strings"
	"time"

	"safelight/internal/sharing"
)

// The sentences the project pages use to say what a grant allows. The
// share dialog states in one sentence what each member or link can do
// ("Can see the photos, rate and comment. Can download previews. Expires
// 28 Dec. Password protected."), so an owner never has to decode a
// setting.

// option is one choice of a <select>.
type option struct {
	Value, Label string
}

// roleOptions and downloadOptions are the choices of the share forms,
// in the order of what they allow.
var (
	roleOptions = []option{
		{string(sharing.RoleViewer), "Viewer: can look"},
		{string(sharing.RoleReviewer), "Reviewer: can rate, label and comment"},
		{string(sharing.RoleEditor), "Editor: can also add photos and invite"},
	}
	downloadOptions = []option{
		{string(sharing.DownloadNone), "No downloads"},
		{string(sharing.DownloadPreview), "Previews (2048 px)"},
		{string(sharing.DownloadOriginal), "Originals"},
	}
)

// roleName is a role as a word for a heading or a table cell.
func roleName(g sharing.Grant) string {
	if g.Owner {
		return "Owner"
	}
	return roleWord(g.Role)
}

func roleWord(r sharing.Role) string {
	switch r {
	case sharing.RoleViewer:
		return "Viewer"
	case sharing.RoleReviewer:
		return "Reviewer"
	case sharing.RoleEditor:
		return "Editor"
	}
	return string(r)
}

// grantSentence tells the caller, in one sentence or two, what they may
// do in the project.
func grantSentence(g sharing.Grant) string {
	if g.Owner {
		return "You own this project: you choose who sees it and what they may do."
	}
	var can string
	switch g.Role {
	case sharing.RoleEditor:
		can = "You can edit this project: add and remove photos, invite people, rate, label and comment."
	case sharing.RoleReviewer:
		can = "You can review these photos: rate, label, flag and comment."
	default:
		can = "You can look at these photos."
	}
	switch g.Download {
	case sharing.DownloadPreview:
		return can + " You can download previews (2048 px)."
	case sharing.DownloadOriginal:
		return can + " You can download the originals."
	}
	return can + " You can't download them."
}

// roleAbility is what a member of role can do, as the start of a
// sentence about someone else.
func roleAbility(r sharing.Role) string {
	switch r {
	case sharing.RoleEditor:
		return "Can see the photos, rate and comment, add photos and invite people."
	case sharing.RoleReviewer:
		return "Can see the photos, rate and comment."
	}
	return "Can see the photos. Can't rate or comment."
}

func downloadAbility(d sharing.Download) string {
	switch d {
	case sharing.DownloadPreview:
		return "Can download previews."
	case sharing.DownloadOriginal:
		return "Can download originals."
	}
	return "Can't download."
}

// memberSentence says what a member can do.
func memberSentence(m sharing.Member) string {
	return roleAbility(m.Role) + " " + downloadAbility(m.Download)
}

// linkState is "active", "expired" or "revoked".
func linkState(l sharing.Link, now time.Time) string {
	switch {
	case !l.RevokedAt.IsZero():
		return "revoked"
	case !now.Before(l.ExpiresAt):
		return "expired"
	}
	return "active"
}

// linkSentence says what anyone holding a link can do, and until when.
func linkSentence(l sharing.Link, now time.Time) string {
	switch linkState(l, now) {
	case "revoked":
		return "Revoked " + shortDate(l.RevokedAt, now) + ". Nobody can open it any more."
	case "expired":
		return "Expired " + shortDate(l.ExpiresAt, now) + ". Nobody can open it any more."
	}
	parts := []string{"Can see previews, rate and comment after giving a name.", downloadAbility(l.Download),
		"Expires " + shortDate(l.ExpiresAt, now) + "."}
	if l.PasswordHash != "" {
		parts = append(parts, "Password protected.")
	} else {
		parts = append(parts, "No password.")
	}
	if l.Watermark != "" {
		parts = append(parts, "Previews carry the watermark “"+l.Watermark+"”.")
	}
	return strings.Join(parts, " ")
}

// shortDate is a day in UTC, with the year only when it is not this one:
// "28 Dec", "3 Jan 2027".
func shortDate(t, now time.Time) string {
	if t.UTC().Year() == now.UTC().Year() {
		return t.UTC().Format("2 Jan")
	}
	return t.UTC().Format("2 Jan 2006")
}

// photoCount words a number of photos.
func photoCount(n int) string {
	switch n {
	case 0:
		return "No photos yet"
	case 1:
		return "1 photo"
	}
	return count(n, "photo")
}

// projectAccessActions word what someone did with a photo of the
// project, for the access log page: "… viewed the preview of DSC_0101.jpg".
var projectAccessActions = map[string]string{
	"original": "downloaded the original of",
	"preview":  "viewed the preview of",
	"thumb":    "saw the thumbnail of",
	"metadata": "saw the details of",
}
