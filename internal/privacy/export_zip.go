package privacy

import (
	"archive/zip"
	"cmp"
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"safelight/internal/access"
	"safelight/internal/export"
	"safelight/internal/library"
)

// The ZIP of an export:
//
//	README.txt             what each file holds, and the processing information
//	originals/<name>       every original, under the name it was uploaded with
//	assets.json, .csv      every asset's metadata, private fields (GPS…) included
//	data/<table>.json, .csv  the rows of each table that refer to the user
//
// JSON is for machines (portability, Art. 20); CSV for people with a
// spreadsheet, made safe to open (package export). Times are RFC 3339 in
// UTC; null where unset.

// DefaultProcessingText is the README's processing section until the
// records of processing (registry.go) provide one.
const DefaultProcessingText = `Purposes: running your account and sign-in (contract); storing, showing
and sharing your photographs as you ask (contract); calls for entries you
take part in (contract, and your consent to the terms of each call);
security of the service: security events and access logs (legitimate
interest, GDPR Art. 6(1)(f) and Art. 32).

Recipients: the people you share with (project members, review links,
organizations of calls you enter: only what the call's terms name). Staff
of this instance cannot see your images. No data is sold or given to third
parties for their own purposes.

Retention: your data is kept while your account exists; items in the trash
are purged after the trash period; sessions, links and tokens end when they
expire; this export is deleted when downloaded or after 7 days.
Ask the operator of this instance for the full records of processing.
`

// exportFile is one entry of the README's list.
type exportFile struct{ name, about string }

// zipBuilder writes one export ZIP.
type zipBuilder struct {
	zw    *zip.Writer
	files []exportFile
	mod   time.Time
}

func (b *zipBuilder) add(name, about string, method uint16, r io.Reader) error {
	fh := &zip.FileHeader{Name: name, Method: method, Modified: b.mod, Flags: 0x800}
	fh.SetMode(0o644)
	w, err := b.zw.CreateHeader(fh)
	if err != nil {
		return fmt.Errorf("zip: add %s: %w", name, err)
	}
	if _, err := io.Copy(w, r); err != nil {
		return fmt.Errorf("zip: add %s: %w", name, err)
	}
	b.files = append(b.files, exportFile{name, about})
	return nil
}

func (b *zipBuilder) addJSON(name, about string, v any) error {
	j, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("zip: %s: %w", name, err)
	}
	return b.add(name, about, zip.Deflate, strings.NewReader(string(j)+"\n"))
}

func (b *zipBuilder) addCSV(name, about string, header []string, rows [][]string) error {
	var sb strings.Builder
	if err := export.Table(&sb, header, rows); err != nil {
		return err
	}
	return b.add(name, about, zip.Deflate, strings.NewReader(sb.String()))
}

// writeZip writes the export of userID's data to w, streaming: originals
// are copied from their sealed blobs through the ZIP writer, never held
// whole.
func (s *Exports) writeZip(ctx context.Context, userID string, w io.Writer) error {
	tables, err := s.store.UserData(ctx, userID)
	if err != nil {
		return fmt.Errorf("user data: %w", err)
	}
	assets, err := s.allAssets(ctx, userID)
	if err != nil {
		return err
	}
	b := &zipBuilder{zw: zip.NewWriter(w), mod: s.now().UTC()}

	names := originalNames(assets)
	for i, a := range assets {
		if names[i] == "" {
			continue // failed: the original was not kept
		}
		r, err := s.sealer.Open(ctx, userID, a.OriginalRef)
		if err != nil {
			return fmt.Errorf("original of %s: %w", a.ID, err)
		}
		err = b.add(names[i], "", zip.Store, r)
		r.Close()
		if err != nil {
			return err
		}
	}
	metas := make([]assetJSON, len(assets))
	for i, a := range assets {
		metas[i] = assetMetadata(a, names[i])
	}
	if err := b.addJSON("assets.json", "every photo's metadata: camera, capture time, size, and the private fields only you see (original file name, SHA-256, creator, copyright, caption, keywords, GPS position); \"file\" names the original in this ZIP", metas); err != nil {
		return err
	}
	if err := b.addCSV("assets.csv", "the same as assets.json, one row per photo", assetCSVHeader, assetCSVRows(metas)); err != nil {
		return err
	}
	for _, t := range tables {
		about := tableAbout[t.Name]
		if about == "" {
			about = "rows of the table " + t.Name + " that refer to you"
		}
		rows := make([]map[string]any, len(t.Rows))
		cells := make([][]string, len(t.Rows))
		for i, row := range t.Rows {
			rows[i] = make(map[string]any, len(row))
			cells[i] = make([]string, len(row))
			for j, v := range row {
				v = exportValue(t.Columns[j], v)
				rows[i][t.Columns[j]] = v
				cells[i][j] = cellText(v)
			}
		}
		if err := b.addJSON("data/"+t.Name+".json", about, rows); err != nil {
			return err
		}
		if err := b.addCSV("data/"+t.Name+".csv", "the same as data/"+t.Name+".json, as a table", t.Columns, cells); err != nil {
			return err
		}
	}
	readme := b.readme(s.cfg.Processing)
	if err := b.add("README.txt", "", zip.Deflate, strings.NewReader(readme)); err != nil {
		return err
	}
	if err := b.zw.Close(); err != nil {
		return fmt.Errorf("zip: close: %w", err)
	}
	return nil
}

// allAssets returns every asset of the user, in the library and in the
// trash, with private fields opened.
func (s *Exports) allAssets(ctx context.Context, userID string) ([]library.Asset, error) {
	p := &access.Principal{UserID: userID}
	var out []library.Asset
	for _, trash := range []bool{false, true} {
		cursor := ""
		for {
			page, err := s.assets.List(ctx, p, trash, cursor, library.MaxPageSize)
			if err != nil {
				return nil, fmt.Errorf("assets: %w", err)
			}
			out = append(out, page.Items...)
			if page.NextCursor == "" {
				break
			}
			cursor = page.NextCursor
		}
	}
	// Upload order: the first of two files of one name keeps it.
	slices.SortFunc(out, func(a, b library.Asset) int {
		return cmp.Or(a.CreatedAt.Compare(b.CreatedAt), strings.Compare(a.ID, b.ID))
	})
	return out, nil
}

// originalNames returns the ZIP entry of each asset's original:
// "originals/" and the name it was uploaded with, reduced to one harmless
// path element, made unique (case-insensitively: "IMG_1.jpg", then
// "IMG_1 (2).jpg"); "" for an asset without an original (failed).
func originalNames(assets []library.Asset) []string {
	names := make([]string, len(assets))
	taken := map[string]bool{}
	for i, a := range assets {
		if a.Status == library.StatusFailed || a.OriginalRef == "" {
			continue
		}
		name := cleanFileName(a.Private.Filename)
		if name == "" {
			name = "photo-" + a.ID + "." + string(a.Format)
		}
		stem, ext := name, path.Ext(name)
		stem = strings.TrimSuffix(stem, ext)
		for n := 2; taken[strings.ToLower(name)]; n++ {
			name = stem + " (" + strconv.Itoa(n) + ")" + ext
		}
		taken[strings.ToLower(name)] = true
		names[i] = "originals/" + name
	}
	return names
}

// cleanFileName keeps the last element of a path, without control or
// bidi characters or leading dots.
func cleanFileName(name string) string {
	name = strings.ToValidUTF8(name, "")
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	name = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || unicode.Is(unicode.Bidi_Control, r) {
			return -1
		}
		return r
	}, name)
	return strings.TrimLeft(strings.TrimSpace(name), ".")
}

// assetJSON is one asset in assets.json.
type assetJSON struct {
	ID              string          `json:"id"`
	File            string          `json:"file"`
	Status          string          `json:"status"`
	FailureReason   string          `json:"failure_reason"`
	Format          string          `json:"format"`
	Width           int             `json:"width"`
	Height          int             `json:"height"`
	Size            int64           `json:"size"`
	TakenAt         *time.Time      `json:"taken_at"`
	CameraMake      string          `json:"camera_make"`
	CameraModel     string          `json:"camera_model"`
	Lens            string          `json:"lens"`
	FocalLengthMM   float64         `json:"focal_length_mm"`
	FNumber         float64         `json:"f_number"`
	ExposureSeconds float64         `json:"exposure_seconds"`
	ExposureText    string          `json:"exposure_text"`
	ISO             int             `json:"iso"`
	ColorProfile    string          `json:"color_profile"`
	Private         library.Private `json:"private"`
	CreatedAt       *time.Time      `json:"created_at"`
	UpdatedAt       *time.Time      `json:"updated_at"`
	TrashedAt       *time.Time      `json:"trashed_at"`
}

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	t = t.UTC()
	return &t
}

func assetMetadata(a library.Asset, file string) assetJSON {
	return assetJSON{ID: a.ID, File: file, Status: string(a.Status), FailureReason: a.FailureReason,
		Format: string(a.Format), Width: a.Width, Height: a.Height, Size: a.Size, TakenAt: timePtr(a.TakenAt),
		CameraMake: a.CameraMake, CameraModel: a.CameraModel, Lens: a.Lens, FocalLengthMM: a.FocalLengthMM,
		FNumber: a.FNumber, ExposureSeconds: a.ExposureSeconds, ExposureText: a.ExposureText, ISO: a.ISO,
		ColorProfile: a.ColorProfile, Private: a.Private, CreatedAt: timePtr(a.CreatedAt),
		UpdatedAt: timePtr(a.UpdatedAt), TrashedAt: timePtr(a.TrashedAt)}
}

var assetCSVHeader = []string{"id", "file", "original_filename", "status", "format", "width", "height", "size",
	"taken_at", "camera_make", "camera_model", "lens", "focal_length_mm", "f_number", "exposure", "iso",
	"gps_latitude", "gps_longitude", "gps_altitude", "creator", "copyright", "credit", "caption", "keywords",
	"sha256", "created_at", "trashed_at"}

func assetCSVRows(metas []assetJSON) [][]string {
	rows := make([][]string, len(metas))
	for i, m := range metas {
		var lat, lon, alt string
		if g := m.Private.GPS; g != nil {
			lat, lon = strconv.FormatFloat(g.Latitude, 'f', -1, 64), strconv.FormatFloat(g.Longitude, 'f', -1, 64)
			if g.Altitude != nil {
				alt = strconv.FormatFloat(*g.Altitude, 'f', -1, 64)
			}
		}
		rows[i] = []string{m.ID, m.File, m.Private.Filename, m.Status, m.Format, strconv.Itoa(m.Width),
			strconv.Itoa(m.Height), strconv.FormatInt(m.Size, 10), cellText(m.TakenAt), m.CameraMake,
			m.CameraModel, m.Lens, strconv.FormatFloat(m.FocalLengthMM, 'f', -1, 64),
			strconv.FormatFloat(m.FNumber, 'f', -1, 64), m.ExposureText, strconv.Itoa(m.ISO), lat, lon, alt,
			m.Private.Creator, m.Private.Copyright, m.Private.Credit, m.Private.Caption,
			strings.Join(m.Private.Keywords, "; "), m.Private.SHA256, cellText(m.CreatedAt), cellText(m.TrashedAt)}
	}
	return rows
}

// exportValue makes a stored value readable: times (columns named "at",
// "*_at" or "deadline", stored as Unix microseconds) become RFC 3339 in
// UTC, or nil when unset.
func exportValue(column string, v any) any {
	n, ok := v.(int64)
	if !ok || !(column == "at" || column == "deadline" || strings.HasSuffix(column, "_at")) {
		return v
	}
	if n == 0 {
		return nil
	}
	return time.UnixMicro(n).UTC()
}

func cellText(v any) string {
	switch v := v.(type) {
	case nil:
		return ""
	case *time.Time:
		if v == nil {
			return ""
		}
		return v.Format(time.RFC3339Nano)
	case time.Time:
		return v.Format(time.RFC3339Nano)
	case []byte:
		return hex.EncodeToString(v)
	case string:
		return v
	}
	return fmt.Sprint(v)
}

// tableAbout says what each table's file holds, for the README.
var tableAbout = map[string]string{
	"users":               "your profile: e-mail address, name, when the account was made, verified, disabled",
	"user_roles":          "the instance roles your account holds (admin…)",
	"sessions":            "your signed-in sessions: when, from which address and browser (no session secrets)",
	"api_tokens":          "your API tokens: names and use times (no token secrets)",
	"devices":             "browsers known to sign-in throttling as yours (no device secrets)",
	"pending_logins":      "sign-ins waiting for a second factor (no secrets)",
	"mfa_totp":            "whether an authenticator app is set up, and since when (not its secret)",
	"mfa_recovery_codes":  "your recovery codes: when made and used (not the codes)",
	"passkeys":            "your passkeys: names, authenticator type, use times (no keys)",
	"webauthn_ceremonies": "passkey sign-ins or registrations in progress (no challenge data)",
	"email_tokens":        "password reset and address verification mails sent to you: when, used or not (no link secrets)",
	"invites":             "invitations you created, or that were made for your address (no secrets)",
	"audit_events":        "security events about you or done by you (sign-ins, changes, refusals)",
	"access_events":       "the access log of your photos (who saw or downloaded what, through which grant), and your own views of others' photos",
	"library_settings":    "your library preferences",
	"projects":            "your projects",
	"project_assets":      "which of your photos are in which of your projects",
	"project_members":     "members of your projects, and memberships of yours in others' projects",
	"review_links":        "review links you made or of your projects (no link secrets or passwords)",
	"link_guests":         "where you reviewed through a link as a guest with your address",
	"review_marks":        "ratings, labels and flags you gave, in any project",
	"review_comments":     "comments you wrote, in any project",
	"review_done":         "projects you marked as done reviewing",
	"notifications":       "notifications sent to you",
	"orgs":                "organizations you created or belong to",
	"org_members":         "memberships of yours in organizations, and members you added",
	"calls":               "calls for entries you created",
	"rounds":              "jury rounds you created",
	"round_jurors":        "jury rounds you were invited to",
	"entries":             "your entries to calls",
	"entry_images":        "the photos of your entries",
	"consents":            "consents you gave (call terms, originals releases) and their withdrawal",
	"votes":               "your votes as a juror",
	"recusals":            "entries you recused yourself from as a juror",
	"originals_requests":  "requests for originals of your photos, and requests you made",
	"mail_outbox":         "mail addressed to you held in this instance's development outbox",
	"breaches":            "personal data breaches that affected your account, or that you recorded as data protection officer",
	"erasures":            "the erasure of your account, when one is scheduled",
	"exports":             "your exports (this one included)",
}

func (b *zipBuilder) readme(processing string) string {
	var sb strings.Builder
	sb.WriteString("Your data from Safelight\n========================\n\n")
	sb.WriteString("Made " + b.mod.Format(time.RFC3339) + " at your request (GDPR Art. 15, right of access, and\n")
	sb.WriteString("Art. 20, right to data portability). It holds every photo you uploaded, as\n")
	sb.WriteString("you uploaded it, and every record this instance keeps that refers to you.\n")
	sb.WriteString("JSON files are for programs; each has a CSV twin for spreadsheets. Times are\n")
	sb.WriteString("RFC 3339 in UTC (null or empty: not set). Secrets (password hashes, token and\n")
	sb.WriteString("link hashes, keys) are left out: they would be of no use to you or anyone.\n\n")
	sb.WriteString("Files\n-----\n\n")
	var originals []string
	for _, f := range b.files {
		if strings.HasPrefix(f.name, "originals/") {
			originals = append(originals, f.name)
			continue
		}
		fmt.Fprintf(&sb, "%s\n    %s\n", f.name, f.about)
	}
	sb.WriteString("README.txt\n    this file\n\n")
	if len(originals) > 0 {
		fmt.Fprintf(&sb, "originals/ (%d files): your photos, byte for byte as uploaded, under their\noriginal names (a repeated name gets \" (2)\"):\n", len(originals))
		slices.Sort(originals)
		for _, n := range originals {
			sb.WriteString("    " + n + "\n")
		}
		sb.WriteString("\n")
	}
	sb.WriteString("How your data is processed\n--------------------------\n\n")
	sb.WriteString(processing)
	return sb.String()
}

// ProcessingText renders the records of processing for an export's
// README: who answers, and for each purpose its lawful basis, the
// recipients and how long the data is kept (GDPR Art. 15(1)(a)–(d)).
func ProcessingText(r Registry) string {
	var sb strings.Builder
	sb.WriteString("Controller: the operator of " + r.Controller.Instance)
	if r.Controller.Contact != "" {
		sb.WriteString(" (contact: " + r.Controller.Contact + ")")
	}
	sb.WriteString(".\nThe same records are at " + r.Controller.Instance + "/privacy.\n\n")
	for _, p := range r.Purposes {
		fmt.Fprintf(&sb, "%s\n    %s\n    Lawful basis: %s — %s\n", p.Name, p.Description, p.Basis.Article, p.Basis.Words)
		if len(p.Recipients) > 0 {
			sb.WriteString("    Recipients: " + strings.Join(p.Recipients, "; ") + "\n")
		}
		for _, sp := range p.Retention {
			sb.WriteString("    Kept: " + sp.What + ": " + sp.Text + "\n")
		}
		sb.WriteString("\n")
	}
	for _, pr := range r.Processors {
		fmt.Fprintf(&sb, "Processor: %s", pr.Name)
		if pr.Host != "" {
			sb.WriteString(" (" + pr.Host + ")")
		}
		sb.WriteString(", receives " + pr.Receives + "\n")
	}
	return sb.String()
}
