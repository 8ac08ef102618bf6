#!/usr/bin/env bash
# The whole test suite, with every external service it needs. CI runs this
# through `make test`.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/usr/local/go/bin:$PATH"

scripts/deps.sh test

# Tests that need an outside program run when its variable is set and skip
# (saying so) only when it is not; here every one of them is set.
export SAFELIGHT_TEST_BROWSER=${SAFELIGHT_TEST_BROWSER:-/usr/bin/chromium}
export SAFELIGHT_TEST_AGE_CLI=${SAFELIGHT_TEST_AGE_CLI:-$(command -v age)}
export SAFELIGHT_TEST_EXIFTOOL=${SAFELIGHT_TEST_EXIFTOOL:-$(command -v exiftool)}
export SAFELIGHT_TEST_SCREENSHOTS=${SAFELIGHT_TEST_SCREENSHOTS:-$PWD/testout/screenshots}
mkdir -p "$SAFELIGHT_TEST_SCREENSHOTS"

echo "== gofmt"
unformatted=$(gofmt -l cmd internal)
if [[ -n "$unformatted" ]]; then
  echo "gofmt would change:"; echo "$unformatted"; exit 1
fi
echo "== go vet"
go vet ./...
echo "== go test"
go test -race -count=1 -timeout 20m ./... 2>&1 | tee testout/go-test.log
