package auth

import (
	"cmp"
	"net"
	"net/url"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Context-specific words (ASVS V6.1.2, V6.2.11): words an attacker who
// targets this account on this instance tries first. The list is:
//
//   - the product name, "safelight";
//   - the instance's host name, from its public URL, whole and each of its
//     dot-separated labels ("photos.example.org" gives "photos.example.org",
//     "photos" and "example"); none for an IP address;
//   - the account's e-mail address, whole; its local part, whole and split
//     at ".", "_", "-" and "+"; its domain, whole and each label;
//   - each word of the account's display name (runs of letters and digits).
//
// Only words of at least minContextWordLen characters count: shorter ones
// ("bob", "org", "com") would refuse good passwords by chance. Words are
// compared in lower case.
//
// The rule: remove every occurrence of every word from the lower-cased
// password, longest word first, again until none is left. If nothing was
// removed, the words do not matter. Otherwise what is left, without
// surrounding spaces, must pass CheckPassword on its own: at least
// MinPasswordLen characters and not a common password. So "Safelight2024!",
// "ann.smith@example.org" and "photos1234567890" are refused, while
// "safelight under a red lamp" is accepted (" under a red lamp" is fine on
// its own): the words add nothing, but they do not spoil a good password.

// minContextWordLen is the length, in characters, below which a word is
// not a context word.
const minContextWordLen = 4

// productName is the first context word on every instance.
const productName = "safelight"

// reasonPasswordContext is the user-facing reason for a password refused
// by checkContextWords.
const reasonPasswordContext = "this password is too easy to guess from your name, e-mail address or this site's name; add more of your own words"

// siteContextWords returns the instance's context words: the product name
// and the words of publicURL's host name.
func siteContextWords(publicURL string) []string {
	words := []string{productName}
	u, err := url.Parse(publicURL)
	if err != nil {
		return words
	}
	host := strings.ToLower(strings.TrimSuffix(u.Hostname(), "."))
	if host == "" || net.ParseIP(host) != nil {
		return words
	}
	words = append(words, host)
	return append(words, strings.Split(host, ".")...)
}

// accountContextWords returns the context words of an account with the
// given e-mail address and display name.
func accountContextWords(email, name string) []string {
	email = strings.ToLower(strings.TrimSpace(email))
	var words []string
	if email != "" {
		words = append(words, email)
	}
	if local, domain, ok := strings.Cut(email, "@"); ok {
		words = append(words, local, domain)
		words = append(words, strings.FieldsFunc(local, func(r rune) bool { return strings.ContainsRune("._-+", r) })...)
		words = append(words, strings.Split(domain, ".")...)
	}
	words = append(words, strings.FieldsFunc(strings.ToLower(name), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	})...)
	return words
}

// contextWords returns the context words of u on this instance, lower
// case, without duplicates or words shorter than minContextWordLen,
// longest first. u need only have Email and Name set.
func (s *Service) contextWords(u User) []string {
	return normalizeContextWords(append(siteContextWords(s.cfg.PublicURL), accountContextWords(u.Email, u.Name)...))
}

func normalizeContextWords(words []string) []string {
	out := make([]string, 0, len(words))
	for _, w := range words {
		w = strings.ToLower(w)
		if utf8.RuneCountInString(w) >= minContextWordLen && !slices.Contains(out, w) {
			out = append(out, w)
		}
	}
	// Longest first, so that "ann.smith@example.org" goes whole before
	// "example" could split it; then alphabetical, so the order is fixed.
	slices.SortFunc(out, func(a, b string) int {
		if c := cmp.Compare(utf8.RuneCountInString(b), utf8.RuneCountInString(a)); c != 0 {
			return c
		}
		return strings.Compare(a, b)
	})
	return out
}

// checkContextWords applies the rule above to password, which has passed
// CheckPassword, with words from normalizeContextWords. It returns nil or
// a *PasswordPolicyError.
func checkContextWords(password string, words []string) error {
	rest := strings.ToLower(password)
	removed := false
	for again := true; again; {
		again = false
		for _, w := range words {
			if strings.Contains(rest, w) {
				rest = strings.ReplaceAll(rest, w, "")
				removed, again = true, true
			}
		}
	}
	if removed && CheckPassword(strings.TrimSpace(rest)) != nil {
		return &PasswordPolicyError{Reason: reasonPasswordContext}
	}
	return nil
}
