package privacy_test

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"safelight/internal/auth"
	"safelight/internal/privacy"
	"safelight/internal/sqlstore"
)

// notificationsStore is a migrated SQLite store with two accounts.
func notificationsStore(t *testing.T) (*sqlstore.Store, string, string) {
	t.Helper()
	s, err := sqlstore.Open(t.Context(), "sqlite:"+filepath.Join(t.TempDir(), "meta.db"), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if _, err := s.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, email := range []string{"erin@example.com", "sam@example.com"} {
		now := time.Now().UTC()
		u, err := s.CreateUser(t.Context(), auth.NewUser{User: auth.User{Email: email, Name: "x", PasswordHash: "x", CreatedAt: now, UpdatedAt: now}})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, u.ID)
	}
	return s, ids[0], ids[1]
}

// TestNotificationsConsent: off until given; given only to the current
// text (a wrong hash records nothing); giving it again while live adds
// no record, even from many requests at once; withdrawing turns it off
// for that account only, and it can be given again as a new record.
func TestNotificationsConsent(t *testing.T) {
	s, erin, sam := notificationsStore(t)
	n := privacy.NewNotifications(s, slog.New(slog.DiscardHandler))
	ctx := t.Context()
	allowed := func(user string) bool {
		t.Helper()
		ok, err := n.Allowed(ctx, user)
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
	count := func(user string) (all, live int) {
		t.Helper()
		cs, err := s.ConsentsOfUser(ctx, user)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range cs {
			if c.Kind == privacy.ConsentEmailNotifications {
				all++
				if c.WithdrawnAt.IsZero() {
					live++
				}
			}
		}
		return all, live
	}
	if allowed(erin) {
		t.Fatal("optional e-mails allowed before any consent; want off by default")
	}

	for _, bad := range []string{"", strings.Repeat("0", 64), strings.ToUpper(privacy.NotificationsTextSHA256())} {
		if _, _, err := n.Give(ctx, erin, bad, privacy.NotificationsByAPI); !errors.Is(err, privacy.ErrNotificationsText) {
			t.Errorf("Give(hash %q) = %v; want ErrNotificationsText", bad, err)
		}
	}
	if all, _ := count(erin); all != 0 || allowed(erin) {
		t.Fatalf("after refused gives: %d records, allowed %v; want nothing recorded", all, allowed(erin))
	}

	// Many at once: one record, one "created".
	var wg sync.WaitGroup
	var mu sync.Mutex
	created, ids := 0, map[string]bool{}
	for range 8 {
		wg.Go(func() {
			c, made, err := n.Give(ctx, erin, privacy.NotificationsTextSHA256(), privacy.NotificationsByAPI)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				t.Errorf("Give = %v", err)
				return
			}
			ids[c.ID] = true
			if made {
				created++
			}
		})
	}
	wg.Wait()
	if all, live := count(erin); all != 1 || live != 1 || created != 1 || len(ids) != 1 {
		t.Fatalf("8 concurrent gives: %d records (%d live), %d created, ids %v; want exactly one", all, live, created, ids)
	}
	c, ok, err := n.Live(ctx, erin)
	if err != nil || !ok || c.TermsSHA256 != privacy.NotificationsTextSHA256() || c.Method != privacy.NotificationsByAPI ||
		!slices.Equal(c.Scope, privacy.OptionalMail) || c.UserID != erin {
		t.Errorf("Live = %+v, %v, %v; want the record with the text's hash, the method and the mails it covers", c, ok, err)
	}
	if !allowed(erin) || allowed(sam) {
		t.Errorf("allowed: erin %v, sam %v; want only the account that gave it", allowed(erin), allowed(sam))
	}

	if withdrew, err := n.Withdraw(ctx, erin); err != nil || !withdrew {
		t.Fatalf("Withdraw = %v, %v", withdrew, err)
	}
	if allowed(erin) {
		t.Error("optional e-mails still allowed after the withdrawal")
	}
	if withdrew, err := n.Withdraw(ctx, erin); err != nil || withdrew {
		t.Errorf("Withdraw with none live = %v, %v; want false, nil", withdrew, err)
	}
	if _, made, err := n.Give(ctx, erin, privacy.NotificationsTextSHA256(), privacy.NotificationsByPrivacyCenter); err != nil || !made {
		t.Fatalf("giving it again after withdrawing = %v, %v; want a new record", made, err)
	}
	if all, live := count(erin); all != 2 || live != 1 {
		t.Errorf("records after give, withdraw, give = %d (%d live); want 2 (1 live): the withdrawn one stays as proof", all, live)
	}
}

// TestNotificationsAtSignup: a sign-up records the consent only when the
// visitor ticked the box (the context says so), with the method given.
func TestNotificationsAtSignup(t *testing.T) {
	s, erin, sam := notificationsStore(t)
	n := privacy.NewNotifications(s, slog.New(slog.DiscardHandler))
	if err := n.RecordSignup(t.Context(), erin); err != nil {
		t.Fatal(err)
	}
	if ok, _ := n.Allowed(t.Context(), erin); ok {
		t.Error("a sign-up without the box ticked gave the consent")
	}
	ctx := privacy.WithNotificationsAtSignup(t.Context(), privacy.NotificationsTextSHA256(), privacy.NotificationsBySignupForm)
	if err := n.RecordSignup(ctx, sam); err != nil {
		t.Fatal(err)
	}
	if c, ok, _ := n.Live(t.Context(), sam); !ok || c.Method != privacy.NotificationsBySignupForm {
		t.Errorf("sign-up with the box ticked: live %v, %+v; want the consent with the form's method", ok, c)
	}
	stale := privacy.WithNotificationsAtSignup(context.Background(), "stale", privacy.NotificationsBySignupForm)
	if err := n.RecordSignup(stale, erin); !errors.Is(err, privacy.ErrNotificationsText) {
		t.Errorf("sign-up with a stale text's hash = %v; want ErrNotificationsText", err)
	}
}

// TestNotificationsReceipt: the consent's receipt (Kantara v1.1) names
// the optional e-mails, the text's hash and where to withdraw, not the
// terms of use.
func TestNotificationsReceipt(t *testing.T) {
	s, erin, _ := notificationsStore(t)
	n := privacy.NewNotifications(s, slog.New(slog.DiscardHandler))
	c, _, err := n.Give(t.Context(), erin, privacy.NotificationsTextSHA256(), privacy.NotificationsByAPI)
	if err != nil {
		t.Fatal(err)
	}
	in := privacy.Instance{Name: "photos.example.org", PublicURL: "https://photos.example.org"}
	r := privacy.InstanceReceipt(in, c, "erin@example.com")
	raw, _ := json.Marshal(r)
	if r.TermsSHA256 != privacy.NotificationsTextSHA256() || r.ConsentReceiptID != c.ID || r.CollectionMethod != privacy.NotificationsByAPI ||
		len(r.Services) != 1 || !strings.Contains(r.Services[0].Service, "Optional e-mail notifications") ||
		!strings.Contains(string(raw), "review done") || !strings.Contains(string(raw), "withdraw") || strings.Contains(string(raw), "Terms of use") {
		t.Errorf("receipt = %s", raw)
	}
}
