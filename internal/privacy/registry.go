package privacy

import (
	"fmt"
	"net"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"safelight/internal/auth"
	"safelight/internal/calls"
	"safelight/internal/library"
	"safelight/internal/mail"
	"safelight/internal/sharing"
)

// The records of processing (GDPR Art. 30) live here, in code, so that
// they cannot drift from what the instance does: tests fail when a job
// kind, a periodic task, a mail or an outbound integration is not mapped
// to a purpose (registry_test.go, and internal/app for the tasks), and
// the retention periods are read from the instance's configuration and
// the packages' own constants, never written down twice.

// LawfulBasis is a lawful basis of GDPR Art. 6(1).
type LawfulBasis struct {
	// Letter is the point of Art. 6(1): "a" to "f".
	Letter string `json:"letter"`
	// Article is the citation, "Art. 6(1)(b) GDPR".
	Article string `json:"article"`
	// Words say in plain words what the basis is here.
	Words string `json:"words"`
	// Withdraw says how a consent is withdrawn; set for Art. 6(1)(a) only.
	Withdraw string `json:"withdraw,omitempty"`
}

func basis(letter, words string) LawfulBasis {
	return LawfulBasis{Letter: letter, Article: "Art. 6(1)(" + letter + ") GDPR", Words: words}
}

// DataCategory is a category of personal data.
type DataCategory string

const (
	CatAccount       DataCategory = "account"        // name, e-mail address, password hash, second factors, settings
	CatImages        DataCategory = "images"         // originals and their derivatives
	CatImageMetadata DataCategory = "image metadata" // EXIF/IPTC/XMP: camera, capture time, file name, GPS position
	CatSharing       DataCategory = "sharing data"   // projects, members, links, marks, comments, guests' names and addresses
	CatCallEntries   DataCategory = "call entries"   // entries, votes, awards, originals requests
	CatConsents      DataCategory = "consents"       // what was accepted, when, how, withdrawals
	CatSecurity      DataCategory = "security events and access logs"
	CatNetwork       DataCategory = "IP addresses and user agents"
	CatMail          DataCategory = "mail" // recipient address and the message
)

// DataSubject is a category of data subjects.
type DataSubject string

const (
	SubjPhotographers DataSubject = "photographers (account holders)"
	SubjReviewers     DataSubject = "reviewers and guests of review links"
	SubjOrgMembers    DataSubject = "organization members"
	SubjJurors        DataSubject = "jurors"
	SubjStaff         DataSubject = "the operator's staff"
)

// StoragePeriod is how long one kind of data is kept.
type StoragePeriod struct {
	// What the period applies to.
	What string `json:"what"`
	// Text says the period in words.
	Text string `json:"text"`
	// Period is the period, when there is one as a duration; zero when
	// the data is kept as long as something else exists (the account,
	// the project) or for a time the operator sets outside Safelight.
	Period time.Duration `json:"-"`
	// PeriodText is Period as a Go duration ("720h0m0s"), or "".
	PeriodText string `json:"period,omitempty"`
}

// Purpose is one purpose of processing.
type Purpose struct {
	ID          string         `json:"id"`
	Name        string         `json:"name"`
	Description string         `json:"description"`
	Basis       LawfulBasis    `json:"lawful_basis"`
	Categories  []DataCategory `json:"data_categories"`
	Subjects    []DataSubject  `json:"data_subjects"`
	// Recipients say who, inside or outside the instance, receives the
	// data.
	Recipients []string `json:"recipients"`
	// Processors are the ids of the configured Processors that take
	// part; filled by BuildRegistry from the instance's configuration.
	Processors []string        `json:"processors"`
	Retention  []StoragePeriod `json:"retention"`
	Measures   []string        `json:"technical_measures"`

	// Jobs are the river job kinds (package jobs) done for this purpose.
	Jobs []string `json:"jobs,omitempty"`
	// Tasks are the periodic tasks (jobs.Task names) done for it.
	Tasks []string `json:"periodic_tasks,omitempty"`
	// Mail are the kinds of e-mail sent for it (MailKinds).
	Mail []string `json:"mail,omitempty"`
	// Integrations are the outbound integrations it may use ("smtp",
	// "s3", "acme"), whether or not this instance configured them.
	Integrations []string `json:"integrations,omitempty"`
}

// Processor is an outside party that processes personal data for the
// operator, as this instance is configured.
type Processor struct {
	ID string `json:"id"` // the integration: "smtp", "s3", "acme"
	// Name says what it is.
	Name string `json:"name"`
	// Host is the server's host name, or "" when it is an address of
	// the operator's own network (not shown).
	Host string `json:"host,omitempty"`
	// Receives says what personal data it gets.
	Receives string `json:"receives"`
}

// Controller is who answers for the processing.
type Controller struct {
	// Contact is the e-mail address or URL the operator gave with
	// --privacy-contact, or "".
	Contact string `json:"contact,omitempty"`
	// Instance is the instance's public URL.
	Instance string `json:"instance"`
}

// Registry is the records of processing of one instance.
type Registry struct {
	Controller Controller  `json:"controller"`
	Purposes   []Purpose   `json:"purposes"`
	Processors []Processor `json:"processors"`
}

// RegistrySettings are what BuildRegistry takes from the instance's configuration: the
// periods that are configurable, and the outbound integrations that are
// configured. BuildRegistry fills zero periods from the packages' defaults.
type RegistrySettings struct {
	Contact   string // --privacy-contact
	PublicURL string

	TrashRetention time.Duration // library
	SessionIdle    time.Duration // auth
	SessionMaxAge  time.Duration // auth
	InviteTTL      time.Duration // auth: invitations to sign up
	LinkTTL        time.Duration // sharing: default life of a review link
	MaxLinkTTL     time.Duration // sharing: the longest an owner may choose
	UnlockTTL      time.Duration // sharing: a link unlocked with its password
	ReminderBefore time.Duration // calls: deadline reminders
	ExportLinkTTL  time.Duration // privacy: how long a built export waits to be downloaded
	// ErasureGrace is how long a requested erasure waits, cancelable;
	// nil means DefaultErasureGrace (zero is a valid setting: at once).
	ErasureGrace *time.Duration
	// AuditRetention is how long security events are kept before the
	// retention task prunes them (--audit-retention); nil means
	// DefaultAuditRetention, zero keeps them forever.
	AuditRetention *time.Duration

	SMTPHost      string // "" when mail does not leave the instance
	S3Endpoint    string // the s3:// blob store's endpoint URL, or ""
	ACMEDirectory string // the ACME CA's directory URL, or "" without ACME
}

// Purpose ids.
const (
	PurposeAccount   = "account"
	PurposeLibrary   = "library"
	PurposeSharing   = "sharing"
	PurposeCalls     = "calls"
	PurposeOriginals = "originals"
	PurposeSecurity  = "security"
	PurposeMail      = "mail"
	PurposeBackups   = "backups"
	PurposeRights    = "rights"

	// PurposeNotifications: the optional e-mails, under their consent
	// (notifications.go).
	PurposeNotifications = "notifications"
)

// Outbound integrations: every connection Safelight opens to another
// party's server.
const (
	IntegrationSMTP = "smtp" // mail relay (package mail)
	IntegrationS3   = "s3"   // object storage (package blob/s3)
	IntegrationACME = "acme" // certificate authority (internal/app/tls.go)
)

// MailKinds maps every kind of e-mail Safelight sends to its purpose.
// A kind is the name the sending package gives the message (the "what"
// of its background mailer, or for package auth the message's subject
// in words); registry_test.go finds every message in the source and
// fails on one without a kind here.
var MailKinds = map[string]string{
	"password reset":           PurposeAccount,
	"e-mail verification":      PurposeAccount,
	"duplicate sign-up notice": PurposeAccount,
	"e-mail change link":       PurposeAccount,
	"e-mail change notice":     PurposeAccount,
	"project invitation":       PurposeSharing,
	"review done":              PurposeNotifications, // optional: only under consent (OptionalMail)
	"organization invitation":  PurposeCalls,
	"jury invitation":          PurposeCalls,
	"terms changed":            PurposeCalls,
	"originals request":        PurposeOriginals,
	"deadline reminder":        PurposeNotifications, // optional: only under consent (OptionalMail)
}

// BuildRegistry returns the records of processing of an instance configured
// with s.
func BuildRegistry(s RegistrySettings) Registry {
	def := defaults(s)
	procs := processors(def)
	var configured []string
	for _, p := range procs {
		configured = append(configured, p.ID)
	}
	purposes := purposes(def)
	for i := range purposes {
		p := &purposes[i]
		p.Processors = []string{}
		for _, id := range p.Integrations {
			if slices.Contains(configured, id) {
				p.Processors = append(p.Processors, id)
			}
		}
		p.Mail = mailOf(p.ID)
		for j := range p.Retention {
			if d := p.Retention[j].Period; d > 0 {
				p.Retention[j].PeriodText = d.String()
			}
		}
	}
	return Registry{Controller: Controller{Contact: s.Contact, Instance: s.PublicURL}, Purposes: purposes, Processors: procs}
}

// Purpose returns the purpose with that id.
func (r Registry) Purpose(id string) (Purpose, bool) {
	i := slices.IndexFunc(r.Purposes, func(p Purpose) bool { return p.ID == id })
	if i < 0 {
		return Purpose{}, false
	}
	return r.Purposes[i], true
}

// PurposeOfJob returns the id of the purpose a river job kind serves, or
// "".
func (r Registry) PurposeOfJob(kind string) string {
	return r.find(func(p Purpose) []string { return p.Jobs }, kind)
}

// PurposeOfTask returns the id of the purpose a periodic task serves, or
// "".
func (r Registry) PurposeOfTask(name string) string {
	return r.find(func(p Purpose) []string { return p.Tasks }, name)
}

// PurposeOfIntegration returns the id of the purpose an outbound
// integration serves, or "".
func (r Registry) PurposeOfIntegration(id string) string {
	return r.find(func(p Purpose) []string { return p.Integrations }, id)
}

func (r Registry) find(list func(Purpose) []string, item string) string {
	for _, p := range r.Purposes {
		if slices.Contains(list(p), item) {
			return p.ID
		}
	}
	return ""
}

func mailOf(purpose string) []string {
	var kinds []string
	for k, p := range MailKinds {
		if p == purpose {
			kinds = append(kinds, k)
		}
	}
	slices.Sort(kinds)
	return kinds
}

// defaults fills the periods left zero with the packages' defaults.
func defaults(s RegistrySettings) RegistrySettings {
	ad := auth.DefaultConfig()
	set := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	set(&s.SessionIdle, ad.SessionIdle)
	set(&s.SessionMaxAge, ad.SessionMaxAge)
	set(&s.InviteTTL, ad.InviteTTL)
	set(&s.TrashRetention, library.DefaultConfig().TrashRetention)
	sd := sharing.DefaultConfig()
	set(&s.LinkTTL, sd.LinkTTL)
	set(&s.MaxLinkTTL, sd.MaxLinkTTL)
	set(&s.UnlockTTL, sd.UnlockTTL)
	set(&s.ReminderBefore, calls.DefaultConfig().ReminderBefore)
	set(&s.ExportLinkTTL, DefaultExportConfig().LinkTTL)
	if s.ErasureGrace == nil {
		g := DefaultErasureGrace
		s.ErasureGrace = &g
	}
	if s.AuditRetention == nil {
		r := DefaultAuditRetention
		s.AuditRetention = &r
	}
	return s
}

// processors lists the outside parties s configures.
func processors(s RegistrySettings) []Processor {
	procs := []Processor{}
	if s.SMTPHost != "" {
		procs = append(procs, Processor{ID: IntegrationSMTP, Name: "mail relay (SMTP)", Host: shownHost(s.SMTPHost),
			Receives: "recipients' e-mail addresses and the messages, which may hold names, project and call titles and one-time links"})
	}
	if s.S3Endpoint != "" {
		host := s.S3Endpoint
		if u, err := url.Parse(s.S3Endpoint); err == nil && u.Host != "" {
			host = u.Hostname()
		}
		procs = append(procs, Processor{ID: IntegrationS3, Name: "object storage (S3)", Host: shownHost(host),
			Receives: "images and their derivatives, encrypted before upload with the owner's key: the provider cannot read them; object sizes and times"})
	}
	if s.ACMEDirectory != "" {
		host := s.ACMEDirectory
		if u, err := url.Parse(s.ACMEDirectory); err == nil && u.Host != "" {
			host = u.Hostname()
		}
		procs = append(procs, Processor{ID: IntegrationACME, Name: "certificate authority (ACME)", Host: shownHost(host),
			Receives: "the instance's domain names and the operator's contact address; no data of users"})
	}
	return procs
}

// shownHost returns host for the public records, or "" when it is an
// address or a name of the operator's own network, which the world
// need not learn.
func shownHost(host string) string {
	h := strings.ToLower(strings.TrimSuffix(host, "."))
	if net.ParseIP(h) != nil || !strings.Contains(h, ".") ||
		strings.HasSuffix(h, ".local") || strings.HasSuffix(h, ".internal") || strings.HasSuffix(h, ".lan") ||
		h == "localhost" || strings.HasSuffix(h, ".localhost") {
		return ""
	}
	return h
}

func days(d time.Duration) string {
	if d%(24*time.Hour) == 0 {
		n := int(d / (24 * time.Hour))
		if n == 1 {
			return "1 day"
		}
		return itoa(n) + " days"
	}
	if d%time.Hour == 0 {
		n := int(d / time.Hour)
		if n == 1 {
			return "1 hour"
		}
		return itoa(n) + " hours"
	}
	n := int(d / time.Minute)
	if n == 1 {
		return "1 minute"
	}
	return itoa(n) + " minutes"
}

func itoa(n int) string { return strconv.Itoa(n) }

func keep(what string, d time.Duration, text string) StoragePeriod {
	return StoragePeriod{What: what, Period: d, Text: strings.ReplaceAll(text, "{d}", days(d))}
}

func whileExists(what, text string) StoragePeriod { return StoragePeriod{What: what, Text: text} }

const (
	recipientsNone   = "nobody outside the account: the instance's staff roles see no content (no image, derivative or private metadata)"
	recipientsStaff  = "the instance's staff, without any image content: admins manage accounts (name, address, state)"
	measureSealed    = "images and private metadata (file name, GPS position, caption…) are encrypted at rest with a key of their own owner, itself wrapped by the instance root key"
	measureTLS       = "TLS on every connection when the operator serves HTTPS (built in, or at a proxy); Secure __Host- cookies and HSTS with an https public URL"
	measureMFA       = "two-step sign-in (authenticator app, passkeys, recovery codes); required for staff"
	measurePasswords = "passwords stored as argon2id hashes; common, context and (optionally) breached passwords refused"
	measureAudit     = "security events in a hash-chained audit log with signed checkpoints"
	measureLeast     = "every route declares its access policy; another account's resource answers 404"
)

func purposes(s RegistrySettings) []Purpose {
	return []Purpose{
		{
			ID: PurposeAccount, Name: "Providing the account and sign-in",
			Description:  "Creating the account, signing in (password, second factors, passkeys), sessions and API tokens, invitations, password reset and address verification.",
			Basis:        basis("b", "necessary to provide the service the account holder signed up for"),
			Categories:   []DataCategory{CatAccount, CatNetwork, CatMail},
			Subjects:     []DataSubject{SubjPhotographers, SubjOrgMembers, SubjJurors, SubjStaff},
			Recipients:   []string{recipientsStaff, "the account holder sees their own sessions (device, address) and tokens"},
			Integrations: []string{},
			Retention: []StoragePeriod{
				whileExists("account data", "as long as the account exists"),
				keep("an unused session", s.SessionIdle, "ends after {d} without use"),
				keep("any session", s.SessionMaxAge, "ends {d} after sign-in, however active"),
				keep("a pending two-step sign-in", auth.PendingLoginTTL, "{d}"),
				keep("a password-reset link", auth.ResetTokenTTL, "valid {d}"),
				keep("an address-verification link", auth.VerifyTokenTTL, "valid {d}"),
				keep("an invitation to sign up", s.InviteTTL, "valid {d}"),
				keep("an expired e-mailed link or invitation", EmailTokenRetention, "deleted {d} after it expired"),
				keep("an account whose address was never verified and that was never used", UnverifiedAccountRetention, "erased {d} after sign-up; the address can sign up again"),
			},
			Measures: []string{measurePasswords, measureMFA, measureTLS, "session and token secrets stored only as hashes", "second-factor secrets encrypted with the owner's key"},
		},
		{
			ID: PurposeLibrary, Name: "Storing and showing the owner's images",
			Description:  "Keeping the originals the owner uploads, making previews and thumbnails, reading their metadata, the trash, and the access log of who opened an image.",
			Basis:        basis("b", "necessary to keep and show the images the owner uploads"),
			Categories:   []DataCategory{CatImages, CatImageMetadata, CatNetwork},
			Subjects:     []DataSubject{SubjPhotographers},
			Recipients:   []string{recipientsNone, "the operator's object-storage provider when one is configured (encrypted data only)"},
			Jobs:         []string{"derive", "purge_trash", "reconcile", "sweep_orphans"},
			Integrations: []string{IntegrationS3},
			Retention: []StoragePeriod{
				whileExists("images and their metadata", "until the owner deletes them"),
				keep("a deleted image", s.TrashRetention, "restorable from the trash for {d}, then purged"),
			},
			Measures: []string{measureSealed, "previews and thumbnails are re-encoded without GPS position or camera details; only creator, copyright notice and credit line are kept, and the owner can turn that off", measureLeast, measureTLS},
		},
		{
			ID: PurposeSharing, Name: "Sharing for review",
			Description: "Projects the owner shares with members (by e-mail address) and review links; the marks, comments and \"done\" of reviewers; the name and address a guest gives a link.",
			Basis:       basis("b", "necessary to show the owner's chosen images to the people the owner chose, as the owner asked"),
			Categories:  []DataCategory{CatSharing, CatImages, CatImageMetadata, CatNetwork, CatMail},
			Subjects:    []DataSubject{SubjPhotographers, SubjReviewers},
			Recipients: []string{
				"the members and link holders the owner chose, for that project only",
				"camera details only when the owner turns them on for the project; GPS positions and original file names are never shown",
				"an original, when the owner allows its download, is the file as uploaded, with the metadata it holds",
				"the owner sees who opened which image, and reviewers' marks and comments",
			},
			Retention: []StoragePeriod{
				keep("a review link", s.LinkTTL, "expires after {d} unless the owner chooses otherwise"),
				keep("the longest a review link may last", s.MaxLinkTTL, "{d}"),
				keep("a link opened with its password", s.UnlockTTL, "stays open {d}"),
				whileExists("members, marks, comments; a link's guests (but see ended links below)", "as long as the project exists"),
				keep("an ended review link and its guests' names and addresses", EndedLinkRetention, "deleted {d} after the link expired or was revoked; what the guests wrote stays in the project as \"guest (link ended)\""),
			},
			Measures: []string{"link tokens and passwords stored only as hashes; optional password and watermark", measureLeast, measureSealed},
		},
		{
			ID: PurposeCalls, Name: "Calls for entries",
			Description: "Entering images in an organization's call: the entry, blind jury copies, votes and shortlists, awards, and the public results where the terms grant publication.",
			Basis: LawfulBasis{Letter: "a", Article: "Art. 6(1)(a) GDPR",
				Words:    "consent to the call's terms, given with each entry and recorded with the text's SHA-256",
				Withdraw: "withdraw the entry on the Entries page (or its consent) until the call's deadline"},
			Categories: []DataCategory{CatCallEntries, CatImages, CatConsents, CatMail},
			Subjects:   []DataSubject{SubjPhotographers, SubjOrgMembers, SubjJurors},
			Recipients: []string{
				"the organization the entrant submitted to: its managers, and its jurors through blind copies without metadata",
				"the entrant's name or address only when the call's terms say so",
				"the public: awarded images, only when the terms grant publication and the results are published",
			},
			Retention: []StoragePeriod{
				whileExists("entries, votes, awards and consents", "as long as the call exists; a withdrawn entry is no longer shown to the organization"),
				keep("a draft entry never submitted", DraftRetention, "deleted {d} after the call's deadline; the record of consent stays"),
			},
			Measures: []string{"jury copies re-encoded without metadata; rounds blind by default", "consent records hold the terms' SHA-256", measureLeast},
		},
		{
			ID: PurposeOriginals, Name: "Releasing originals to an organization",
			Description: "An organization asks for the original of an entry's image; the entrant approves each image, or declines.",
			Basis: LawfulBasis{Letter: "a", Article: "Art. 6(1)(a) GDPR",
				Words:    "consent given image by image when the entrant approves the request",
				Withdraw: "withdraw the release any time under consents on the Entries page; the organization can no longer download it"},
			Categories: []DataCategory{CatImages, CatConsents, CatCallEntries, CatMail},
			Subjects:   []DataSubject{SubjPhotographers, SubjOrgMembers},
			Recipients: []string{"the organization the entrant submitted to, for the approved images only: the file as uploaded, with the metadata it holds"},
			Retention:  []StoragePeriod{whileExists("releases", "until withdrawn, or the call is deleted")},
			Measures:   []string{measureSealed, "each download of a released original is in the owner's access log"},
		},
		{
			ID: PurposeNotifications, Name: "Optional e-mail notifications",
			Description: fmt.Sprint("E-mails that are a convenience, sent only to account holders who asked for them: to a project's owner when a reviewer finishes, ",
				"and to an entrant whose entry is still a draft, ", days(s.ReminderBefore), " before the call's deadline. The app shows both without them."),
			Basis: LawfulBasis{Letter: "a", Article: "Art. 6(1)(a) GDPR",
				Words:    "consent, off until given (an unticked box at sign-up, the privacy center, or the API) and recorded with the SHA-256 of the text shown",
				Withdraw: "withdraw it in the privacy center (or POST /api/v1/me/consents/{id}/withdraw); no such e-mail is sent from then on"},
			Categories: []DataCategory{CatAccount, CatConsents, CatSharing, CatCallEntries, CatMail},
			Subjects:   []DataSubject{SubjPhotographers, SubjReviewers},
			Recipients: []string{"the account holder who gave the consent; a reviewer's name is in the mail to the project's owner"},
			Tasks:      []string{"call_reminders"},
			Retention: []StoragePeriod{
				whileExists("the consent, and its withdrawal", "as long as the account exists, as proof of what was agreed"),
				whileExists("the record that a reminder was sent", "as long as the entry exists"),
			},
			Measures: []string{"checked before each e-mail is queued: a withdrawal stops the next one", "a reminder is sent once per entry, however often the task runs"},
		},
		{
			ID: PurposeSecurity, Name: "Security and abuse prevention",
			Description: "Security events (sign-ins, failures, changes, denied access), throttling of wrong passwords, rate limits on sign-up, sign-in, resets and uploads; certificates for HTTPS.",
			Basis:       basis("f", "legitimate interest in keeping accounts and images safe (and Art. 32 GDPR)"),
			Categories:  []DataCategory{CatSecurity, CatNetwork, CatAccount},
			Subjects:    []DataSubject{SubjPhotographers, SubjReviewers, SubjOrgMembers, SubjJurors, SubjStaff},
			Recipients: []string{
				"the account holder sees their own security events",
				"the instance's admins, without any image content",
				"the certificate authority when ACME is configured (domain names only)",
			},
			Integrations: []string{IntegrationACME},
			Retention: []StoragePeriod{
				auditRetention(*s.AuditRetention),
				keep("wrong-password throttling", auth.ThrottleWindow, "counts over {d}"),
				keep("rate-limit and throttling counters", CounterRetention, "hashed keys, deleted {d} after their window started"),
			},
			Measures: []string{measureAudit, "rate-limit keys are hashed", "the breached-password list is a local file: nothing leaves the machine", measureTLS},
		},
		{
			ID: PurposeMail, Name: "E-mail notices",
			Description:  "Delivering the e-mails of the other purposes (each kind is listed under its purpose) through the operator's mail relay, or, on a development instance, into the outbox its admin reads.",
			Basis:        basis("b", "necessary to deliver the notices of the service (each message's own purpose gives its basis)"),
			Categories:   []DataCategory{CatMail},
			Subjects:     []DataSubject{SubjPhotographers, SubjReviewers, SubjOrgMembers, SubjJurors},
			Recipients:   []string{"the recipient; the operator's mail relay when one is configured"},
			Integrations: []string{IntegrationSMTP},
			Retention: []StoragePeriod{
				keep("a message in the development outbox", mail.OutboxRetention, "deleted after {d}"),
				whileExists("a message at the mail relay", "per the relay's own policy; Safelight keeps no copy"),
			},
			Measures: []string{"SMTP only over TLS (STARTTLS or implicit), plain only to a loopback relay", "the outbox is used only on a loopback instance"},
		},
		{
			ID: PurposeBackups, Name: "Backups",
			Description: "The operator's copies of the database and the blob store, to restore the service after a failure.",
			Basis:       basis("f", "legitimate interest in not losing the users' data (Art. 32(1)(c) GDPR)"),
			Categories:  []DataCategory{CatAccount, CatImages, CatImageMetadata, CatSharing, CatCallEntries, CatConsents, CatSecurity, CatNetwork},
			Subjects:    []DataSubject{SubjPhotographers, SubjReviewers, SubjOrgMembers, SubjJurors, SubjStaff},
			Recipients:  []string{"the operator only"},
			Retention:   []StoragePeriod{whileExists("backups", "set by the operator's backup rotation")},
			Measures:    []string{"images and private metadata are in backups only encrypted with their owner's key"},
		},
		{
			ID: PurposeRights, Name: "Answering data-subject requests",
			Description: "Showing people their data, their consents and security events, the export and erasure of an account, and deleting what has outlived its storage period (Art. 5(1)(e) GDPR).",
			Basis:       basis("c", "legal obligation to answer the rights of Art. 12–22 GDPR"),
			Categories:  []DataCategory{CatAccount, CatImages, CatImageMetadata, CatSharing, CatCallEntries, CatConsents, CatSecurity, CatNetwork},
			Subjects:    []DataSubject{SubjPhotographers, SubjReviewers, SubjOrgMembers, SubjJurors},
			Recipients:  []string{"the person asking, after signing in"},
			Tasks:       []string{"build_exports", "run_erasures", "enforce_retention"},
			Retention: []StoragePeriod{
				keep("a built export", s.ExportLinkTTL, "kept sealed with the account's key until downloaded, at most {d}"),
				erasureGrace(*s.ErasureGrace),
				whileExists("what a request needs", "only while it is answered"),
			},
			Measures: []string{measureLeast, measureMFA},
		},
	}
}

// Text renders the records in plain text, for places without HTML (the
// README of an export).
func (r Registry) Text() string {
	var b strings.Builder
	b.WriteString("Records of processing (Art. 30 GDPR) of " + r.Controller.Instance + "\n")
	if r.Controller.Contact != "" {
		b.WriteString("Controller's contact: " + r.Controller.Contact + "\n")
	} else {
		b.WriteString("Controller: the operator of this instance (no privacy contact configured)\n")
	}
	for _, p := range r.Purposes {
		fmt.Fprintf(&b, "\n%s\n  %s\n  Lawful basis: %s: %s.", p.Name, p.Description, p.Basis.Article, p.Basis.Words)
		if p.Basis.Withdraw != "" {
			b.WriteString(" To withdraw: " + p.Basis.Withdraw + ".")
		}
		cats := make([]string, len(p.Categories))
		for i, c := range p.Categories {
			cats[i] = string(c)
		}
		fmt.Fprintf(&b, "\n  Data: %s\n  Recipients: %s\n", strings.Join(cats, ", "), strings.Join(p.Recipients, "; "))
		for _, k := range p.Retention {
			fmt.Fprintf(&b, "  Kept: %s: %s\n", k.What, k.Text)
		}
	}
	if len(r.Processors) > 0 {
		b.WriteString("\nProcessors:\n")
		for _, p := range r.Processors {
			fmt.Fprintf(&b, "  %s: %s\n", p.Name, p.Receives)
		}
	}
	return b.String()
}

// erasureGrace is the record of the wait before an account is erased.
// auditRetention is the period of security events: the audit log is
// hash-chained, so old events go only up to a signed checkpoint (they
// may stay a little longer than d, until the next checkpoint after them).
func auditRetention(d time.Duration) StoragePeriod {
	if d <= 0 {
		return whileExists("security events", "kept in the audit log, never deleted automatically (the operator chose so): the log is hash-chained, so that no event can be removed unnoticed")
	}
	return keep("security events", d, "kept in the hash-chained audit log for {d}, then deleted up to the next signed checkpoint, which keeps the rest of the log verifiable")
}

func erasureGrace(d time.Duration) StoragePeriod {
	if d <= 0 {
		return StoragePeriod{What: "an account whose holder asked for erasure", Text: "erased as soon as the erasure job runs"}
	}
	return keep("an account whose holder asked for erasure", d, "erased {d} after the request, which can be cancelled until then")
}
