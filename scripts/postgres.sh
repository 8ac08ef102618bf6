#!/usr/bin/env bash
# Starts the PostgreSQL that Debian installs (if it is stopped) and makes a
# password-authenticated test role that may create databases. Prints the
# URL the tests read from SAFELIGHT_TEST_POSTGRES; each test creates and
# drops its own throwaway database through it.
set -euo pipefail

as_postgres() {
  if [[ $(id -u) -eq 0 ]]; then runuser -u postgres -- "$@"; else sudo -u postgres "$@"; fi
}

if ! command -v pg_lsclusters >/dev/null; then
  echo "postgres: PostgreSQL is not installed (apt-get install postgresql)" >&2
  exit 1
fi
read -r ver cluster port status _ < <(pg_lsclusters --no-header | head -1)
if [[ -z "${ver:-}" ]]; then
  echo "postgres: no cluster found (pg_createcluster)" >&2
  exit 1
fi
if [[ "$status" != online* ]]; then
  echo "postgres: starting cluster $ver/$cluster" >&2
  # pg_ctlcluster talks on stdout ("Removed stale pid file."); only the URL
  # may reach stdout, because the caller captures it.
  if [[ $(id -u) -eq 0 ]]; then pg_ctlcluster "$ver" "$cluster" start >&2; else sudo pg_ctlcluster "$ver" "$cluster" start >&2; fi
fi
for _ in $(seq 50); do
  as_postgres pg_isready -q -p "$port" >&2 && break
  sleep 0.2
done

role=safelight_test
password=safelight_test_only
as_postgres psql -q -p "$port" -v ON_ERROR_STOP=1 -d postgres >/dev/null <<SQL
DO \$\$BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$role') THEN
    CREATE ROLE $role LOGIN CREATEDB PASSWORD '$password';
  END IF;
END\$\$;
-- Dropping a test database WITH (FORCE) ends its connections, which may
-- include a server process (autovacuum) the role does not own.
GRANT pg_signal_backend TO $role;
SQL
echo "postgres://$role:$password@127.0.0.1:$port/postgres?sslmode=disable"
