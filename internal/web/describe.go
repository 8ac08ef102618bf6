package web

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"safelight/internal/audit"
)

// deviceSummary turns a User-Agent header into a short, plain description
// such as "Firefox on macOS". It is a hint for people recognising their
// own devices, not a security decision.
func deviceSummary(ua string) string {
	has := func(s string) bool { return strings.Contains(ua, s) }
	var browser string
	switch {
	case has("Edg/") || has("EdgA/") || has("EdgiOS/"):
		browser = "Edge"
	case has("OPR/") || has("Opera"):
		browser = "Opera"
	case has("Firefox/") || has("FxiOS/"):
		browser = "Firefox"
	case has("HeadlessChrome/"):
		browser = "Headless Chrome"
	case has("Chromium/"):
		browser = "Chromium"
	case has("Chrome/") || has("CriOS/"):
		browser = "Chrome"
	case has("Safari/") && has("Version/"):
		browser = "Safari"
	case strings.HasPrefix(ua, "curl/"):
		browser = "curl"
	case strings.HasPrefix(ua, "Go-http-client/"):
		browser = "A Go program"
	}
	var os string
	switch {
	case has("iPhone"):
		os = "iPhone"
	case has("iPad"):
		os = "iPad"
	case has("Android"):
		os = "Android"
	case has("CrOS"):
		os = "ChromeOS"
	case has("Windows"):
		os = "Windows"
	case has("Mac OS X") || has("Macintosh"):
		os = "macOS"
	case has("Linux") || has("X11"):
		os = "Linux"
	}
	switch {
	case browser != "" && os != "":
		return browser + " on " + os
	case browser != "":
		return browser
	case os != "":
		return "A browser on " + os
	}
	return "Unknown device"
}

// ago describes t relative to now in words ("5 minutes ago").
func ago(t, now time.Time) string {
	if t.IsZero() {
		return "never"
	}
	d := now.Sub(t)
	switch {
	case d < time.Minute:
		return "just now"
	case d < time.Hour:
		return count(int(d/time.Minute), "minute") + " ago"
	case d < 24*time.Hour:
		return count(int(d/time.Hour), "hour") + " ago"
	case d < 7*24*time.Hour:
		return count(int(d/(24*time.Hour)), "day") + " ago"
	}
	return dateOnly(t)
}

func count(n int, unit string) string {
	if n == 1 {
		return "1 " + unit
	}
	return fmt.Sprintf("%d %ss", n, unit)
}

// dateOnly and exact print times in UTC: the server does not know the
// visitor's time zone, and saying "UTC" is better than guessing.
func dateOnly(t time.Time) string { return t.UTC().Format("2 Jan 2006") }
func exact(t time.Time) string    { return t.UTC().Format("2 Jan 2006, 15:04 UTC") }

// eventLabels are the plain-language names of security events.
var eventLabels = map[audit.Type]string{
	audit.UserSignup:       "Account created",
	audit.UserCreated:      "Account created by an administrator",
	audit.LoginSucceeded:   "Signed in",
	audit.LoginFailed:      "Failed sign-in attempt",
	audit.LoginThrottled:   "Sign-in paused after too many failed attempts",
	audit.Logout:           "Signed out",
	audit.SessionRevoked:   "A device was signed out",
	audit.TokenCreated:     "Access token created",
	audit.TokenRevoked:     "Access token revoked",
	audit.InviteCreated:    "Invitation created",
	audit.PasswordChanged:  "Password changed",
	audit.ProfileChanged:   "Profile changed",
	audit.PasswordRehashed: "Password storage upgraded",
	audit.SignupDuplicate:  "Someone tried to create an account with your e-mail address",

	// Password reset and e-mail verification.
	audit.PasswordResetRequested: "Password reset link requested",
	audit.PasswordResetCompleted: "Password reset with an e-mailed link",
	audit.RateLimited:            "Too many requests from one place: refused for a while",
	audit.EmailVerified:          "E-mail address confirmed",
	audit.EmailChangeRequested:   "E-mail address change requested",
	audit.EmailChanged:           "E-mail address changed",
	audit.EmailChangeRefused:     "E-mail address change refused: the address belongs to another account",

	audit.MFAEnrollStarted:         "Two-step sign-in set-up started",
	audit.MFAEnabled:               "Two-step sign-in turned on",
	audit.MFADisabled:              "Two-step sign-in turned off",
	audit.MFAFailed:                "Wrong two-step sign-in code",
	audit.RecoveryCodeUsed:         "Recovery code used",
	audit.RecoveryCodesRegenerated: "New recovery codes made",
	audit.PasskeyAdded:             "Passkey added",
	audit.PasskeyRenamed:           "Passkey renamed",
	audit.PasskeyRemoved:           "Passkey removed",
	audit.PasskeyUsed:              "Signed in with a passkey",
	audit.PasskeyFailed:            "Passkey refused",
	audit.PasskeyCloneSuspected:    "Passkey refused: it may have been copied",

	audit.ShareChanged: "Sharing of a project changed",

	// Calls for entries: what the account did in an organization, and the
	// consents it gave to the use of its images.
	audit.OrgChanged:       "Change in an organization",
	audit.ConsentGiven:     "Consent given to use your images",
	audit.ConsentWithdrawn: "Consent withdrawn",

	// Rights exercised in the privacy center.
	audit.AccountRestricted: "Processing of your data restricted: shares, links and juries paused",
	audit.RestrictionLifted: "Restriction lifted: shares, links and juries work again",
	audit.ErasureRequested:  "Erasure of your account requested",
	audit.ErasureCancelled:  "Erasure of your account cancelled",
	audit.ErasureCompleted:  "Account erased",

	// What the instance admin did to the account.
	audit.UserDisabled:          "Account disabled by an administrator",
	audit.UserEnabled:           "Account enabled by an administrator",
	audit.SessionRevokedByAdmin: "Signed out everywhere by an administrator",
	audit.SessionsRevokedAll:    "Everyone was signed out by an administrator",

	// What the operator's staff did about the account (auth/staff.go).
	audit.StaffAccountViewed:   "Support looked at your account's details (numbers only, never your photos)",
	audit.StaffAccountDisabled: "Account disabled by support",
	audit.StaffMFAReset:        "Two-step sign-in reset by support after checking your identity",
	audit.StaffAuditViewed:     "Security staff read your account's security events",
	audit.BreachRecorded:       "Your account was listed in the personal data breach register",

	// The instance's own doings, seen in the security staff's log only.
	audit.ConfigChanged:    "Security settings changed at start",
	audit.RetentionPurged:  "Data past its storage period deleted",
	audit.RootKeyRewrapped: "Stored keys wrapped with a new root key version",
	audit.RootKeyRetired:   "Older root key versions destroyed",

	// Refusals, each listed once per quarter hour however often repeated.
	audit.AccessDenied:  "Access refused to a page or photo this account may not open",
	audit.UploadRefused: "Upload refused",
	audit.TokenInvalid:  "Unknown access token presented",
}

// shareChanges say what changed in a project's sharing.
var shareChanges = map[string]string{
	"project_deleted":       "Project deleted",
	"member_added":          "Member invited",
	"member_changed":        "Member's role or downloads changed",
	"member_removed":        "Member removed",
	"link_created":          "Review link made",
	"link_password_changed": "Review link password changed",
	"link_revoked":          "Review link revoked",
}

// orgChanges say what changed in an organization (calls.orgChanged).
var orgChanges = map[string]string{
	"org_created":         "Organization created",
	"member_added":        "Member added",
	"member_changed":      "Member's role changed",
	"member_removed":      "Member removed",
	"call_created":        "Call created",
	"call_published":      "Call published",
	"terms_published":     "New version of a call's terms published",
	"round_created":       "Jury round started",
	"round_closed":        "Jury round closed",
	"shortlist_set":       "Shortlist set",
	"award_set":           "Award given",
	"results_published":   "Results published",
	"originals_requested": "Original files requested from a photographer",
}

// consentKinds say what a consent was given to (calls.Consent.Kind).
var consentKinds = map[string]string{
	"call_terms":        "The terms of a call, for an entry",
	"originals_release": "The release of an original file to an organizer",
	"terms_of_use":      "The terms of use of this instance, at sign-up",
	"privacy_notice":    "The privacy notice, shown at sign-up",
	// Package privacy, notifications.go.
	"email_notifications": "Optional e-mails: reviews finished, deadline reminders",
}

// uploadRefusals say why an upload was refused (api.refusalReason).
var uploadRefusals = map[string]string{
	"too_large":           "Larger than the upload limit",
	"unsupported_type":    "Not an image Safelight can read",
	"too_many_pixels":     "More pixels than the limit",
	"undecodable":         "Damaged image",
	"empty":               "Empty file",
	"no_file":             "No file sent",
	"not_multipart":       "Malformed upload",
	"malformed_multipart": "Malformed upload",
}

// staffEventLabels replace the labels above that speak to the account's
// holder ("your account") where staff read the log about somebody else.
var staffEventLabels = map[audit.Type]string{
	audit.SignupDuplicate:       "Someone tried to create an account with the address of an existing one",
	audit.ConsentGiven:          "Consent given to use the account's images",
	audit.AccountRestricted:     "Processing restricted by the account's holder: shares, links and juries paused",
	audit.ErasureRequested:      "Erasure of the account requested",
	audit.ErasureCancelled:      "Erasure of the account cancelled",
	audit.StaffAccountViewed:    "Support looked at the account's details (numbers only)",
	audit.StaffMFAReset:         "Two-step sign-in reset by support after an identity check",
	audit.StaffAuditViewed:      "Security staff read the account's security events",
	audit.BreachRecorded:        "Account listed in the personal data breach register",
	audit.AccessDenied:          "Access refused to a page or photo the account may not open",
	audit.SessionRevokedByAdmin: "Account signed out everywhere by an administrator",
}

// eventLabel names an event type for the account's holder; an unknown
// type (added to package audit but not here yet) shows as "Security
// event".
func eventLabel(t audit.Type) string {
	if l, ok := eventLabels[t]; ok {
		return l
	}
	return "Security event"
}

// staffEventLabel names an event type for staff reading the audit log.
func staffEventLabel(t audit.Type) string {
	if l, ok := staffEventLabels[t]; ok {
		return l
	}
	return eventLabel(t)
}

// eventDetail adds what is useful to know about one event, in words.
func eventDetail(e audit.Event) string {
	switch e.Type {
	case audit.TokenCreated:
		if n := e.Details["name"]; n != "" {
			return "“" + n + "”"
		}
	case audit.LoginFailed:
		if e.Details["reason"] == "bad_password" {
			return "Wrong password"
		}
	case audit.PasswordChanged, audit.MFAEnabled, audit.MFADisabled, audit.PasskeyAdded, audit.PasskeyRemoved:
		return endedInWords(e.Details["other_sessions_ended"], e.Details["tokens_revoked"])
	case audit.SessionRevoked:
		if e.Details["scope"] == "others" {
			return endedInWords(e.Details["sessions_ended"], "")
		}
	case audit.EmailChangeRequested, audit.EmailChanged:
		return e.Details["from"] + " → " + e.Details["to"]
	case audit.ProfileChanged:
		if e.Details["field"] == "name" {
			return "Name"
		}
	case audit.ShareChanged:
		return shareChanges[e.Details["change"]]
	case audit.StaffMFAReset:
		return "How: " + e.Details["identity_check"]
	case audit.StaffAccountDisabled:
		return "Reason: " + e.Details["reason"]
	case audit.BreachRecorded:
		return "Data concerned: " + strings.ReplaceAll(e.Details["data_categories"], ",", ", ")
	case audit.OrgChanged:
		return orgChanges[e.Details["change"]]
	case audit.ConsentGiven, audit.ConsentWithdrawn:
		return consentKinds[e.Details["kind"]]
	case audit.UploadRefused:
		return withRepeats(uploadRefusals[e.Details["reason"]], e.Details["suppressed"])
	case audit.AccessDenied, audit.TokenInvalid:
		return withRepeats("", e.Details["suppressed"])
	}
	return ""
}

// endedInWords says how many other devices were signed out and access
// tokens revoked by a change; "" when none.
func endedInWords(sessions, tokens string) string {
	var parts []string
	switch sessions {
	case "", "0":
	case "1":
		parts = append(parts, "1 other device signed out")
	default:
		parts = append(parts, sessions+" other devices signed out")
	}
	switch tokens {
	case "", "0":
	case "1":
		parts = append(parts, "1 access token revoked")
	default:
		parts = append(parts, tokens+" access tokens revoked")
	}
	return strings.Join(parts, "; ")
}

// withRepeats adds to detail how many more of the same went unlisted in
// the quarter hour before (audit details "suppressed").
func withRepeats(detail, suppressed string) string {
	n, err := strconv.Atoi(suppressed)
	if err != nil || n < 1 {
		return detail
	}
	more := "1 more like it in the quarter hour before"
	if n > 1 {
		more = strconv.Itoa(n) + " more like it in the quarter hour before"
	}
	if detail == "" {
		return more
	}
	return detail + "; " + more
}
