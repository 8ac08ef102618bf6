package auth_test

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"regexp"
	"testing"

	"safelight/internal/access"
	"safelight/internal/auth"
)

var changeLinkRE = regexp.MustCompile(`https://photos\.example/confirm-email-change\?token=(slc_[A-Za-z0-9_-]{43})\n`)

// TestEmailChangeTokenIsStoredHashed: the link carries a prefixed 256-bit
// secret, only its hash is kept, for 24 hours, bound to the new address.
func TestEmailChangeTokenIsStoredHashed(t *testing.T) {
	e := newEnv(t, nil)
	m := withMail(t, e)
	u := e.signUp(t, "ann@example.com")
	p := &access.Principal{UserID: u.ID, Via: access.ViaSession, SessionID: "s"}
	if err := e.svc.RequestEmailChange(t.Context(), p, "Ann@New.Example", auth.Reauth{Password: goodPassword}, auth.Client{}); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.FlushMail(t.Context()); err != nil {
		t.Fatal(err)
	}
	var token string
	for _, msg := range m.messages() {
		if got := changeLinkRE.FindStringSubmatch(msg.Text); got != nil {
			if msg.To != "ann@new.example" {
				t.Errorf("change link sent to %s; want the new address", msg.To)
			}
			token = got[1]
		} else if msg.To == "ann@example.com" && bytes.Contains([]byte(msg.Text), []byte("slc_")) {
			t.Error("the notice to the old address carries the link")
		}
	}
	if token == "" {
		t.Fatalf("no change link in %+v", m.messages())
	}
	stored, err := e.store.LatestEmailToken(t.Context(), u.ID, auth.PurposeChangeEmail)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte(token))
	if !bytes.Equal(stored.Hash, sum[:]) || stored.Email != "ann@new.example" || !stored.ExpiresAt.Equal(e.now.Add(auth.ChangeEmailTokenTTL)) {
		t.Errorf("stored token = %+v; want the SHA-256 of the link, the new address, 24 hours", stored)
	}
}

// TestEmailChangeRefusals: a personal access token cannot ask, nor can a
// wrong password; the current address and a malformed one are refused.
func TestEmailChangeRefusals(t *testing.T) {
	e := newEnv(t, nil)
	m := withMail(t, e)
	u := e.signUp(t, "ann@example.com")
	session := &access.Principal{UserID: u.ID, Via: access.ViaSession, SessionID: "s"}
	token := &access.Principal{UserID: u.ID, Via: access.ViaToken}
	ok := auth.Reauth{Password: goodPassword}
	for name, tc := range map[string]struct {
		p    *access.Principal
		addr string
		r    auth.Reauth
		want error
	}{
		"token":     {token, "new@example.com", ok, auth.ErrSessionRequired},
		"wrong":     {session, "new@example.com", auth.Reauth{Password: "nope nope nope"}, auth.ErrWrongPassword},
		"same":      {session, "ANN@example.com", ok, auth.ErrEmailUnchanged},
		"malformed": {session, "not an address", ok, auth.ErrInvalidEmail},
	} {
		if err := e.svc.RequestEmailChange(t.Context(), tc.p, tc.addr, tc.r, auth.Client{}); !errors.Is(err, tc.want) {
			t.Errorf("%s: RequestEmailChange = %v; want %v", name, err, tc.want)
		}
	}
	if err := e.svc.FlushMail(t.Context()); err != nil {
		t.Fatal(err)
	}
	if ms := m.messages(); len(ms) != 1 || ms[0].To != "ann@example.com" { // the sign-up verification only
		t.Errorf("refused requests sent mail: %+v", ms)
	}
	if err := e.svc.ConfirmEmailChange(t.Context(), nil, "slv_not-a-change-token", auth.Client{}); !errors.Is(err, auth.ErrTokenInvalid) {
		t.Errorf("ConfirmEmailChange(other kind) = %v; want ErrTokenInvalid", err)
	}
}

func TestMaskEmail(t *testing.T) {
	for in, want := range map[string]string{"bob@new.example": "b•••@new.example", "x": "•••", "élodie@a.b": "é•••@a.b"} {
		if got := auth.MaskEmail(in); got != want {
			t.Errorf("MaskEmail(%q) = %q; want %q", in, got, want)
		}
	}
}
