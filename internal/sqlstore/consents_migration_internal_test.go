package sqlstore

import (
	"database/sql"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"safelight/internal/calls"
	"safelight/internal/testsvc"
)

// migrateTo applies s's migrations up to version, as Migrate does (each
// with its Go step and its schema_migrations row), and no further.
func migrateTo(t *testing.T, s *Store, version int) {
	t.Helper()
	ctx := t.Context()
	ms, err := loadMigrations(s.dialect.migrations())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.write.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	for _, m := range ms[:version] {
		err := runTx(ctx, s.write, func(tx *sql.Tx) error {
			if _, err := tx.ExecContext(ctx, m.sql); err != nil {
				return err
			}
			if step := goMigrations[fmt.Sprintf("%04d_%s", m.version, m.name)]; step != nil {
				if err := step(ctx, tx); err != nil {
					return err
				}
			}
			_, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, 0)`, m.version, m.name)
			return err
		})
		if err != nil {
			t.Fatalf("migration %04d_%s: %v", m.version, m.name, err)
		}
	}
}

// TestMigrationEmailNotificationsKeepsConsents: 0015 lets the ledger hold
// the consent to optional e-mails, keeps every record made before it as
// it was (withdrawals included), still refuses unknown kinds, and holds
// at most one live notifications consent per account.
func TestMigrationEmailNotificationsKeepsConsents(t *testing.T) {
	log := slog.New(slog.DiscardHandler)
	dsns := map[string]string{"sqlite": "sqlite:" + filepath.Join(t.TempDir(), "meta.db")}
	if os.Getenv(testsvc.PostgresEnv) != "" {
		dsns["postgres"] = testsvc.Postgres(t)
	}
	for name, dsn := range dsns {
		t.Run(name, func(t *testing.T) {
			ctx := t.Context()
			s, err := Open(ctx, dsn, log)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			migrateTo(t, s, 14)
			if _, err := s.write.ExecContext(ctx, `INSERT INTO users (id, email, name, password_hash, created_at, updated_at)
				VALUES ('u1', 'erin@example.com', 'Erin', 'x', 1, 1), ('u2', 'sam@example.com', 'Sam', 'x', 1, 1)`); err != nil {
				t.Fatal(err)
			}
			at := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
			before := []calls.Consent{
				{ID: "c1", UserID: "u1", Kind: "terms_of_use", TermsVersion: 1, TermsSHA256: "aa", Scope: []string{"use"}, Method: "form", At: at},
				{ID: "c2", UserID: "u1", Kind: calls.ConsentCallTerms, CallID: "call1", EntryID: "e1", TermsVersion: 3, TermsSHA256: "bb",
					Scope: []string{calls.RightJudging, calls.RightPublication}, Method: "web", At: at.Add(time.Minute), WithdrawnAt: at.Add(time.Hour)},
				{ID: "c3", UserID: "u2", Kind: calls.ConsentOriginalsRelease, CallID: "call1", EntryID: "e2", AssetID: "a2", TermsVersion: 1,
					TermsSHA256: "cc", Scope: []string{"judging"}, Method: "web", At: at.Add(2 * time.Minute)},
			}
			for _, c := range before {
				if err := s.CreateConsent(ctx, c); err != nil {
					t.Fatal(err)
				}
			}
			// Before 0015 the kind is refused: the control of this test.
			live := calls.Consent{ID: "n1", UserID: "u1", Kind: "email_notifications", TermsVersion: 1, TermsSHA256: "dd",
				Scope: []string{"review done"}, Method: "api", At: at.Add(3 * time.Minute)}
			if err := s.CreateConsent(ctx, live); err == nil {
				t.Fatal("email_notifications accepted before migration 0015: the control of this test is void")
			}

			if _, err := s.Migrate(ctx); err != nil {
				t.Fatal(err)
			}
			for _, want := range before {
				got, err := s.ConsentByID(ctx, want.ID)
				if err != nil {
					t.Fatalf("consent %s after 0015: %v", want.ID, err)
				}
				if fmt.Sprint(got) != fmt.Sprint(want) {
					t.Errorf("consent after 0015 = %+v; want it kept as %+v", got, want)
				}
			}
			if cs, err := s.ConsentsOfUser(ctx, "u1"); err != nil || len(cs) != 2 {
				t.Errorf("ConsentsOfUser(u1) after 0015 = %v, %v; want its 2 records (the user index)", cs, err)
			}

			if err := s.CreateConsent(ctx, live); err != nil {
				t.Fatalf("email_notifications after 0015: %v", err)
			}
			second := live
			second.ID = "n2"
			if err := s.CreateConsent(ctx, second); err == nil {
				t.Error("a second live email_notifications consent for the same account was stored; want refused")
			}
			bogus := live
			bogus.ID, bogus.Kind = "n3", "newsletter"
			if err := s.CreateConsent(ctx, bogus); err == nil {
				t.Error("an unknown consent kind was stored after 0015; want the CHECK to refuse it")
			}
			// Once withdrawn, it can be given again: a new record.
			if err := s.WithdrawConsent(ctx, live.ID, at.Add(4*time.Minute)); err != nil {
				t.Fatal(err)
			}
			if err := s.CreateConsent(ctx, second); err != nil {
				t.Errorf("giving the consent again after withdrawing it: %v", err)
			}
			// Erasing the account still takes its records with it.
			if _, err := s.write.ExecContext(ctx, `DELETE FROM users WHERE id = 'u2'`); err != nil {
				t.Fatal(err)
			}
			if _, err := s.ConsentByID(ctx, "c3"); err == nil {
				t.Error("a deleted account's consent survived: the foreign key was lost in the rebuild")
			}
		})
	}
}
