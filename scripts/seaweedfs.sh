#!/usr/bin/env bash
# Prints the path of a SeaweedFS `weed` binary, building it once if needed.
#
# SeaweedFS is the real S3-compatible server the S3 blob backend is tested
# against. Its go.mod carries a replace directive, so `go install` refuses it:
# the module is downloaded from the Go module proxy, copied somewhere writable
# and built there. The first build takes about 9 minutes and 3 GB of module
# cache; the binary is kept outside the repository and reused.
set -euo pipefail
export PATH="/usr/local/go/bin:$PATH"

version=v0.0.0-20261109003541-7506e5f91cd6
cache=${SAFELIGHT_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/safelight}
bin="$cache/weed-$version"

if [[ -x "$bin" ]]; then
  echo "$bin"; exit 0
fi
mkdir -p "$cache"
# One builder at a time: a second caller waits for the first build.
exec 9>"$cache/weed.lock"
flock 9
if [[ -x "$bin" ]]; then
  echo "$bin"; exit 0
fi

echo "seaweedfs: building weed $version once into $cache (about 9 minutes)" >&2
dir=$(go mod download -json "github.com/seaweedfs/seaweedfs@$version" |
  sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
[[ -n "$dir" && -d "$dir" ]] || { echo "seaweedfs: module download failed" >&2; exit 1; }
src=$(mktemp -d "$cache/src.XXXXXX")
trap 'chmod -R u+w "$src" 2>/dev/null; rm -rf "$src"' EXIT
cp -r "$dir/." "$src/"
chmod -R u+w "$src"
(cd "$src" && GOFLAGS=-buildvcs=false go build -o "$bin.tmp" ./weed) >&2
mv "$bin.tmp" "$bin"
echo "$bin"
