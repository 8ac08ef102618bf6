#!/usr/bin/env bash
# Prints the path of a Pebble binary, building it once if needed.
#
# Pebble is Let's Encrypt's ACME test server: a real CA speaking RFC 8555
# that validates challenges for real, which the ACME tests of internal/app
# obtain certificates from (SAFELIGHT_TEST_PEBBLE). The module is downloaded
# from the Go module proxy and cmd/pebble built from it, checked against
# sum.golang.org like any dependency. The module's own test certificates
# (the CA its HTTPS listener's certificate comes from, and that certificate
# with its key) are copied beside the binary, so that the tests find them
# as DIR/certs/pebble.minica.pem and DIR/certs/localhost/{cert,key}.pem even
# after the module cache is cleaned. The build takes well under a minute.
set -euo pipefail
export PATH="/usr/local/go/bin:$PATH"

module=github.com/letsencrypt/pebble/v2
version=v2.10.3
cache=${SAFELIGHT_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/safelight}
dir="$cache/pebble-$version"
bin="$dir/pebble"

if [[ -x "$bin" ]]; then
  echo "$bin"; exit 0
fi
mkdir -p "$cache"
# One builder at a time: a second caller waits for the first build.
exec 9>"$cache/pebble.lock"
flock 9
if [[ -x "$bin" ]]; then
  echo "$bin"; exit 0
fi

echo "pebble: building $module/cmd/pebble $version once into $dir" >&2
src=$(go mod download -json "$module@$version" |
  sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
[[ -n "$src" && -d "$src/test/certs/localhost" ]] || { echo "pebble: module download failed" >&2; exit 1; }
tmp=$(mktemp -d "$cache/pebble-build.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/certs/localhost"
cp "$src/test/certs/pebble.minica.pem" "$tmp/certs/"
cp "$src/test/certs/localhost/cert.pem" "$src/test/certs/localhost/key.pem" "$tmp/certs/localhost/"
chmod -R u+w "$tmp/certs"
# go install pkg@version builds with the module's own go.mod and go.sum,
# outside any main module (ours has no say in Pebble's dependencies).
GOBIN="$tmp" GOFLAGS=-buildvcs=false go install -ldflags "-X main.version=$version" "$module/cmd/pebble@$version" >&2
[[ -x "$tmp/pebble" ]] || { echo "pebble: build produced no binary" >&2; exit 1; }
rm -rf "$dir"
mv "$tmp" "$dir"
trap - EXIT
echo "$bin"
