#!/usr/bin/env bash
# The whole test suite, with every external service it needs. CI runs this
# through `make test`.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/usr/local/go/bin:$PATH"

scripts/deps.sh test

# Tests that need an outside program or service run when its variable is
# set and skip (saying so) only when it is not; here every one of them is set.
export SAFELIGHT_TEST_BROWSER=${SAFELIGHT_TEST_BROWSER:-/usr/bin/chromium}
export SAFELIGHT_TEST_AGE_CLI=${SAFELIGHT_TEST_AGE_CLI:-$(command -v age)}
export SAFELIGHT_TEST_EXIFTOOL=${SAFELIGHT_TEST_EXIFTOOL:-$(command -v exiftool)}
export SAFELIGHT_TEST_SYSTEMD_ANALYZE=${SAFELIGHT_TEST_SYSTEMD_ANALYZE:-$(command -v systemd-analyze)}
export SAFELIGHT_TEST_SCREENSHOTS=${SAFELIGHT_TEST_SCREENSHOTS:-$PWD/testout/screenshots}
mkdir -p "$SAFELIGHT_TEST_SCREENSHOTS"

echo "== gofmt"
unformatted=$(gofmt -l cmd internal)
if [[ -n "$unformatted" ]]; then
  echo "gofmt would change:"; echo "$unformatted"; exit 1
fi
echo "== go vet"
go vet ./...

echo "== services: PostgreSQL and S3 (SeaweedFS)"
SAFELIGHT_TEST_POSTGRES=${SAFELIGHT_TEST_POSTGRES:-$(scripts/postgres.sh)}
if [[ "$SAFELIGHT_TEST_POSTGRES" != postgres://* || "$SAFELIGHT_TEST_POSTGRES" == *$'\n'* ]]; then
  echo "SAFELIGHT_TEST_POSTGRES is not a single postgres:// URL: $SAFELIGHT_TEST_POSTGRES" >&2; exit 1
fi
export SAFELIGHT_TEST_POSTGRES
if [[ -z "${SAFELIGHT_TEST_S3:-}" ]]; then
  SAFELIGHT_TEST_S3=$(scripts/s3.sh start)
  trap 'scripts/s3.sh stop' EXIT
fi
export SAFELIGHT_TEST_S3
echo "== ACME test server (Pebble)"
# A failed build stops the run here: the ACME tests must not quietly skip.
SAFELIGHT_TEST_PEBBLE=${SAFELIGHT_TEST_PEBBLE:-$(scripts/pebble.sh)}
export SAFELIGHT_TEST_PEBBLE

echo "== go test (embedded mode; conformance suites on every backend)"
go test -race -count=1 -timeout 20m ./... 2>&1 | tee testout/go-test.log

# The end-to-end suites again, each instance on PostgreSQL and S3 instead.
echo "== go test (scale-out mode end-to-end)"
# Tests that start their own binaries or pick their own backends ran above.
SAFELIGHT_TEST_MODE=scale-out go test -race -count=1 -timeout 20m \
  -skip 'TestBinary|TestAcknowledgedWritesSurviveKill|TestTwoReplicas|TestBackendOutages|TestUnreachableBackendsAtStart|TestSystemdUnit|TestTLS|TestACME|TestWrongRootKeyRefused' \
  ./internal/app/ ./internal/web/ ./internal/library/ 2>&1 | tee testout/go-test-scale-out.log
