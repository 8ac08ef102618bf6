package auth

import (
	"errors"
	"slices"
	"testing"
)

// TestContextWords pins the documented list of context-specific words
// (ASVS V6.1.2): product name, host name labels, e-mail address parts and
// display name words, lower case, at least 4 characters, longest first.
func TestContextWords(t *testing.T) {
	tests := []struct {
		name      string
		publicURL string
		user      User
		want      []string
	}{
		{
			name:      "everything",
			publicURL: "https://Photos.Example.org:8443",
			user:      User{Email: "Ann.Smith+pics@mail.example.net", Name: "Ann-Marie O'Neil 1987"},
			want: []string{
				"ann.smith+pics@mail.example.net", // the address
				"photos.example.org",              // the host name
				"mail.example.net",                // the address's domain
				"ann.smith+pics",                  // its local part
				"safelight",                       // always
				"example",                         // a host and a domain label
				"photos",
				"marie", // display name words of at least 4 characters
				"smith", // a piece of the local part
				"1987",
				"mail", // a domain label
				"neil",
				"pics",
			},
		},
		{
			name:      "no account yet, IP address URL",
			publicURL: "http://127.0.0.1:8080",
			want:      []string{"safelight"},
		},
		{
			name:      "IPv6 URL",
			publicURL: "http://[::1]:8080",
			user:      User{Email: "bo@ex.io", Name: "Bo"},
			want:      []string{"safelight", "bo@ex.io", "ex.io"},
		},
		{
			name:      "single-label host, non-ASCII name",
			publicURL: "http://localhost:8080",
			user:      User{Email: "photographer@localhost", Name: "Émilie Dupré"},
			want:      []string{"photographer@localhost", "photographer", "localhost", "safelight", "émilie", "dupré"},
		},
		{
			name: "no public URL",
			user: User{Email: "x@y.z"},
			want: []string{"safelight", "x@y.z"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := &Service{cfg: Config{PublicURL: tt.publicURL}}
			if got := s.contextWords(tt.user); !slices.Equal(got, tt.want) {
				t.Errorf("contextWords(%q, %+v) = %q; want %q", tt.publicURL, tt.user, got, tt.want)
			}
		})
	}
}

// TestCheckContextWords is ASVS V6.2.11: passwords mostly made of the
// context words are refused, by the documented rule: what is left after
// removing them must pass CheckPassword on its own.
func TestCheckContextWords(t *testing.T) {
	s := &Service{cfg: Config{PublicURL: "https://photos.example.org"}}
	words := s.contextWords(User{Email: "ann.smith@mail.example.net", Name: "Annabel Smith"})
	tests := []struct {
		password string
		refused  bool
	}{
		// Refused: little or nothing of the user's own is left.
		{"safelight1", true},
		{"Safelight2024!", true},
		{"SAFELIGHT safelight", true},
		{"safesafelightlight12", true}, // removing "safelight" makes another
		{"ann.smith@mail.example.net", true},
		{"Ann.Smith@Mail.Example.NET!", true},
		{"annabelsmith1987", true},
		{"Smith Annabel 19", true},
		{"photos.example.org", true},
		{"myphotos!safelight", true},
		{"photos1234567890", true}, // "1234567890" is long enough but common
		{"example.orgexample.org", true},
		{"annabel     !!!", true}, // surrounding spaces do not count
		// Accepted: nothing removed, or a good password is left.
		{"violet darkroom lamp 42", false},
		{"safelight under a red lamp", false},
		{"annabel's tangerine umbrella", false},
		{"smithereens of glass!", false}, // "smith" goes; "ereens of glass!" stays
		{"ann.smith lends me 3 lenses", false},
	}
	for _, tt := range tests {
		err := checkContextWords(tt.password, words)
		if !tt.refused {
			if err != nil {
				t.Errorf("checkContextWords(%q, %q) = %v; want nil", tt.password, words, err)
			}
			continue
		}
		var policy *PasswordPolicyError
		if !errors.As(err, &policy) || policy.Reason != reasonPasswordContext {
			t.Errorf("checkContextWords(%q, %q) = %v; want %q", tt.password, words, err, reasonPasswordContext)
		}
	}
}

// TestCheckNewPasswordOrder: the cheap, account-free checks answer first,
// so their reasons win, and a password that fails nothing is accepted.
func TestCheckNewPasswordOrder(t *testing.T) {
	s := &Service{cfg: Config{PublicURL: "https://photos.example.org"}}
	u := User{Email: "ann@example.net", Name: "Ann"}
	tests := []struct {
		password, want string
	}{
		{"safelight", reasonPasswordTooShort},
		{"password123", reasonPasswordTooCommon},
		{"safelight!!", reasonPasswordContext},
		{"example.net 1", reasonPasswordContext},
		{"violet darkroom lamp 42", ""},
	}
	for _, tt := range tests {
		err := s.checkNewPassword(tt.password, u)
		var policy *PasswordPolicyError
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("checkNewPassword(%q) = %v; want nil", tt.password, err)
		case tt.want != "" && (!errors.As(err, &policy) || policy.Reason != tt.want):
			t.Errorf("checkNewPassword(%q) = %v; want %q", tt.password, err, tt.want)
		}
	}
}
