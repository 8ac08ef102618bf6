package sqlstore

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"safelight/internal/fault"
	"safelight/internal/testsvc"
)

func TestRedactDSN(t *testing.T) {
	for _, tt := range []struct{ dsn, want string }{
		{"postgres://u:secret@db.example:5432/meta?sslmode=require", "postgres://u:xxxxx@db.example:5432/meta?sslmode=require"},
		{"postgresql://u@db/meta", "postgresql://u@db/meta"},
		{"postgres://db/meta?password=secret&sslmode=disable", "postgres://db/meta?password=xxxxx&sslmode=disable"},
		{"postgres://db/meta?PassWord=secret&sslpassword=secret", "postgres://db/meta?PassWord=xxxxx&sslpassword=xxxxx"},
		{"postgres://db/meta?password=sec;ret", "postgres:…"},
		{"postgres://u:secret@[::1/db", "postgres:…"},
		{"postgres://u:sec%zzret@h/db", "postgres:…"},
		{"sqlite:/var/lib/safelight/meta.db", "sqlite:…"},
		{"mysql://u:secret@h/db", "mysql://u:xxxxx@h/db"},
		{"no scheme secret", "…"},
	} {
		if got := redactDSN(tt.dsn); got != tt.want {
			t.Errorf("redactDSN(%q) = %q; want %q", tt.dsn, got, tt.want)
		}
	}
}

func TestPostgresConfigConnectTimeout(t *testing.T) {
	t.Setenv("PGCONNECT_TIMEOUT", "")
	for _, tt := range []struct {
		dsn  string
		want time.Duration
	}{
		{"postgres://u@h/db", defaultConnectTimeout},
		{"postgres://u@h/db?connect_timeout=3", 3 * time.Second},
		{"postgres://u@h/db?connect_timeout=0", 0}, // explicitly: wait as long as it takes
	} {
		cfg, err := postgresConfig(tt.dsn)
		if err != nil || cfg.ConnectTimeout != tt.want {
			t.Errorf("postgresConfig(%q).ConnectTimeout = %v, %v; want %v", tt.dsn, cfg.ConnectTimeout, err, tt.want)
		}
	}
}

func TestPostgresUnavailableClassifier(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	_, refused := pgconn.Connect(ctx, "postgres://u:secret@127.0.0.1:1/db?sslmode=disable")
	var ce *pgconn.ConnectError
	if !errors.As(refused, &ce) {
		t.Fatalf("connecting to port 1 = %v; want a *pgconn.ConnectError", refused)
	}
	pg := func(code string) error { return &pgconn.PgError{Severity: "FATAL", Code: code} }
	for _, tt := range []struct {
		name string
		err  error
		want bool
	}{
		{"nil", nil, false},
		{"connect refused", refused, true},
		{"wrapped connect error", fmt.Errorf("sqlstore: ping: %w", refused), true},
		{"bad conn", driver.ErrBadConn, true},
		{"conn closed", fmt.Errorf("x: %w", pgconn.ErrConnClosed), true},
		{"unexpected EOF", fmt.Errorf("read: %w", io.ErrUnexpectedEOF), true},
		{"EOF", io.EOF, true},
		{"reset", &net.OpError{Op: "read", Net: "tcp", Err: syscall.ECONNRESET}, true},
		{"refused errno", syscall.ECONNREFUSED, true},
		{"broken pipe", fmt.Errorf("write: %w", syscall.EPIPE), true},
		{"admin shutdown", pg("57P01"), true},
		{"crash shutdown", pg("57P02"), true},
		{"cannot connect now", pg("57P03"), true},
		{"too many connections", pg("53300"), true},
		{"connection failure", pg("08006"), true},
		{"connection exception", fmt.Errorf("q: %w", pg("08000")), true},
		{"unique violation", pg("23505"), false},
		{"wrong password", pg("28P01"), false},
		{"no such database", pg("3D000"), false},
		{"syntax error", pg("42601"), false},
		{"no rows", sql.ErrNoRows, false},
		{"cancelled", context.Canceled, false},
		{"deadline of a query", context.DeadlineExceeded, false},
		{"other", errors.New("boom"), false},
	} {
		if got := pgUnavailable(tt.err); got != tt.want {
			t.Errorf("pgUnavailable(%s: %v) = %v; want %v", tt.name, tt.err, got, tt.want)
		}
		if (sqliteDialect{}).isUnavailable(tt.err) {
			t.Errorf("sqliteDialect.isUnavailable(%s) = true; want false", tt.name)
		}
	}

	s := &Store{dialect: postgresDialect{}}
	err := s.errorf("sqlstore: user %s: %w", "u1", io.ErrUnexpectedEOF)
	if !errors.Is(err, fault.ErrUnavailable) || !errors.Is(err, io.ErrUnexpectedEOF) || err.Error() != "sqlstore: user u1: unexpected EOF" {
		t.Errorf("errorf(EOF) = %v; want it marked unavailable, cause and text kept", err)
	}
	if err := s.errorf("sqlstore: create: %w", pg("23505")); errors.Is(err, fault.ErrUnavailable) {
		t.Errorf("errorf(unique violation) = %v; marked unavailable", err)
	}
}

// engines returns a migrated store per engine available to this test:
// SQLite always, PostgreSQL when SAFELIGHT_TEST_POSTGRES is set.
func engines(t *testing.T) map[string]*Store {
	t.Helper()
	log := slog.New(slog.DiscardHandler)
	open := func(dsn string) *Store {
		s, err := Open(t.Context(), dsn, log)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		if _, err := s.Migrate(t.Context()); err != nil {
			t.Fatal(err)
		}
		return s
	}
	out := map[string]*Store{"sqlite": open("sqlite:" + filepath.Join(t.TempDir(), "meta.db"))}
	if os.Getenv(testsvc.PostgresEnv) != "" {
		out["postgres"] = open(testsvc.Postgres(t))
	}
	return out
}

func TestMigrateRefusesNewerSchema(t *testing.T) {
	for name, s := range engines(t) {
		t.Run(name, func(t *testing.T) {
			ms, err := loadMigrations(s.dialect.migrations())
			if err != nil {
				t.Fatal(err)
			}
			if v, err := s.SchemaVersion(t.Context()); err != nil || v != len(ms) {
				t.Fatalf("SchemaVersion() = %d, %v; want %d", v, err, len(ms))
			}
			if _, err := s.write.ExecContext(t.Context(), `INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, 'future', 0)`, len(ms)+1); err != nil {
				t.Fatal(err)
			}
			_, err = s.Migrate(t.Context())
			if err == nil || !strings.Contains(err.Error(), "newer than this binary") {
				t.Errorf("Migrate(newer schema) = %v; want a refusal", err)
			}
		})
	}
}

// TestMigrationsLineUp: both dialects have the same numbered migrations,
// so a database is at the same schema version whichever engine holds it.
func TestMigrationsLineUp(t *testing.T) {
	lite, err := loadMigrations(sqliteDialect{}.migrations())
	if err != nil {
		t.Fatal(err)
	}
	pg, err := loadMigrations(postgresDialect{}.migrations())
	if err != nil {
		t.Fatal(err)
	}
	names := func(ms []migration) []string {
		var out []string
		for _, m := range ms {
			out = append(out, fmt.Sprintf("%04d_%s", m.version, m.name))
		}
		return out
	}
	if !slices.Equal(names(lite), names(pg)) {
		t.Errorf("migrations: sqlite %v, postgres %v; want the same", names(lite), names(pg))
	}
}

// TestSchemaParity compares the migrated schemas of both engines: the same
// tables and columns with matching types and nullability, the same
// indexes and unique constraints, the same foreign keys.
func TestSchemaParity(t *testing.T) {
	stores := engines(t)
	pg, ok := stores["postgres"]
	if !ok {
		testsvc.Postgres(t) // skips, saying what to set
	}
	lite := stores["sqlite"]

	// Column types: what each SQLite type becomes on PostgreSQL. Columns
	// holding a Go bool are BOOLEAN there, INTEGER 0/1 on SQLite.
	pgType := map[string]string{"INTEGER": "bigint", "BIGINT": "bigint", "TEXT": "text", "BLOB": "bytea", "REAL": "double precision"}
	boolColumns := map[string]bool{"assets.taken_has_offset": true, "library_settings.keep_copyright": true,
		"passkeys.user_verified": true, "passkeys.backup_eligible": true, "passkeys.backup_state": true}
	want := map[string]string{}
	for _, r := range queryStrings(t, lite.read, `SELECT m.name, p.name, p.type, p."notnull" FROM sqlite_schema m
		JOIN pragma_table_info(m.name) p WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%'`) {
		col, typ := r[0]+"."+r[1], pgType[r[2]]
		switch {
		case boolColumns[col]:
			typ = "boolean"
		case col == "schema_migrations.version":
			typ = "integer" // created by Migrate itself, in the same words on both
		}
		want[col] = typ + " notnull=" + r[3]
	}
	got := map[string]string{}
	for _, r := range queryStrings(t, pg.read, `SELECT table_name, column_name, data_type,
		CASE WHEN is_nullable = 'NO' THEN '1' ELSE '0' END
		FROM information_schema.columns WHERE table_schema = current_schema()`) {
		got[r[0]+"."+r[1]] = r[2] + " notnull=" + r[3]
	}
	// schema_migrations.version is an INTEGER PRIMARY KEY: NOT NULL on
	// PostgreSQL, a rowid alias SQLite reports as nullable.
	want["schema_migrations.version"] = "integer notnull=1"
	diffMaps(t, "column", got, want)
	for col := range boolColumns {
		if _, ok := got[col]; !ok {
			t.Errorf("bool column %s is missing", col)
		}
	}

	// Text that orders rows compares bytes, as on SQLite, whatever the
	// database's locale.
	wantC := map[string]bool{}
	for _, col := range []string{"user_roles.role", "sessions.id", "api_tokens.id", "audit_events.id", "assets.id", "access_events.id",
		"email_tokens.id", "mail_outbox.id", "passkeys.id"} {
		wantC[col] = true
	}
	gotC := set(queryStrings(t, pg.read, `SELECT table_name || '.' || column_name FROM information_schema.columns
		WHERE table_schema = current_schema() AND collation_name = 'C'`))
	diffMaps(t, `COLLATE "C" column`, gotC, wantC)

	// Indexes by table, columns and uniqueness (names of the implicit
	// ones differ by engine). schema_migrations' key is SQLite's rowid,
	// which has no index to list.
	wantIdx := set(queryStrings(t, lite.read, `SELECT m.name, il."unique", group_concat(ii.name, ',' ORDER BY ii.seqno)
		FROM sqlite_schema m JOIN pragma_index_list(m.name) il JOIN pragma_index_info(il.name) ii
		WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%'
		GROUP BY m.name, il.name`))
	wantIdx["schema_migrations|1|version"] = true
	gotIdx := set(queryStrings(t, pg.read, `SELECT tc.relname, CASE WHEN x.indisunique THEN '1' ELSE '0' END,
		string_agg(a.attname, ',' ORDER BY k.ord)
		FROM pg_index x
		JOIN pg_class tc ON tc.oid = x.indrelid
		JOIN pg_namespace n ON n.oid = tc.relnamespace
		JOIN LATERAL unnest(x.indkey) WITH ORDINALITY k(attnum, ord) ON true
		JOIN pg_attribute a ON a.attrelid = x.indrelid AND a.attnum = k.attnum
		WHERE n.nspname = current_schema()
		GROUP BY tc.relname, x.indexrelid, x.indisunique`))
	diffMaps(t, "index", gotIdx, wantIdx)

	wantFK := set(queryStrings(t, lite.read, `SELECT m.name, f."from", f."table", f."to", f.on_delete
		FROM sqlite_schema m JOIN pragma_foreign_key_list(m.name) f WHERE m.type = 'table'`))
	gotFK := set(queryStrings(t, pg.read, `SELECT c.conrelid::regclass::text, a.attname, c.confrelid::regclass::text, af.attname,
		CASE c.confdeltype WHEN 'c' THEN 'CASCADE' WHEN 'a' THEN 'NO ACTION' ELSE c.confdeltype::text END
		FROM pg_constraint c
		JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
		JOIN pg_attribute af ON af.attrelid = c.confrelid AND af.attnum = c.confkey[1]
		JOIN pg_namespace n ON n.oid = c.connamespace
		WHERE c.contype = 'f' AND n.nspname = current_schema()`))
	diffMaps(t, "foreign key", gotFK, wantFK)
}

func queryStrings(t *testing.T, db *sql.DB, q string) [][]string {
	t.Helper()
	rows, err := db.QueryContext(t.Context(), q)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		t.Fatal(err)
	}
	var out [][]string
	for rows.Next() {
		r := make([]string, len(cols))
		ptrs := make([]any, len(cols))
		for i := range r {
			ptrs[i] = &r[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func set(rows [][]string) map[string]bool {
	out := map[string]bool{}
	for _, r := range rows {
		out[strings.Join(r, "|")] = true
	}
	return out
}

func diffMaps[V comparable](t *testing.T, what string, got, want map[string]V) {
	t.Helper()
	for _, k := range slices.Sorted(maps.Keys(want)) {
		if g, ok := got[k]; !ok {
			t.Errorf("PostgreSQL lacks %s %s", what, k)
		} else if g != want[k] {
			t.Errorf("PostgreSQL %s %s = %v; want %v (as SQLite)", what, k, g, want[k])
		}
	}
	for _, k := range slices.Sorted(maps.Keys(got)) {
		if _, ok := want[k]; !ok {
			t.Errorf("PostgreSQL has %s %s that SQLite lacks", what, k)
		}
	}
}
