#!/usr/bin/env bash
# Starts a SeaweedFS S3 server on loopback for the tests (built once by
# scripts/seaweedfs.sh) unless one answers already, and prints the URL the
# tests read from SAFELIGHT_TEST_S3 (http://KEY:SECRET@127.0.0.1:PORT).
#   scripts/s3.sh start   start (or reuse) it
#   scripts/s3.sh stop    stop the one this script started
# The server keeps its data under $SAFELIGHT_CACHE_DIR/s3-test (wiped at
# start); credentials are fixed test-only values. Tests make a bucket each.
set -euo pipefail
cd "$(dirname "$0")/.."

cache=${SAFELIGHT_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/safelight}
dir="$cache/s3-test"
pidfile="$cache/s3-test.pid"
port=${SAFELIGHT_TEST_S3_PORT:-28333}
key=safelight-test
secret=safelight-test-secret
url="http://$key:$secret@127.0.0.1:$port"

case "${1:-start}" in
stop)
  if [[ -f "$pidfile" ]]; then
    # SeaweedFS takes ~30 s to stop on SIGTERM; its data is throwaway.
    kill -KILL "$(cat "$pidfile")" 2>/dev/null || true
    rm -f "$pidfile"
  fi
  exit 0
  ;;
start) ;;
*) echo "usage: scripts/s3.sh start|stop" >&2; exit 2 ;;
esac

# Listening is enough: S3 is the last service mini starts.
answers() { (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; }

if [[ -f "$pidfile" ]] && kill -0 "$(cat "$pidfile")" 2>/dev/null && answers; then
  echo "$url"; exit 0
fi
weed=$(scripts/seaweedfs.sh)
rm -rf "$dir"; mkdir -p "$dir"
# Every port is set, away from the defaults, so a developer's own SeaweedFS
# or Safelight (8080) is not disturbed.
AWS_ACCESS_KEY_ID=$key AWS_SECRET_ACCESS_KEY=$secret \
  setsid "$weed" mini -dir="$dir" -ip=127.0.0.1 -ip.bind=127.0.0.1 \
  -s3.port="$port" -master.port=$((port + 1000)) -filer.port=$((port + 2000)) \
  -volume.port=$((port + 3000)) -webdav=false -admin.port=$((port + 5000)) \
  -admin.port.legacy=0 -s3.port.iceberg=0 -s3.port.lance=0 -master.telemetry=false -admin.ui=false \
  >"$cache/s3-test.log" 2>&1 </dev/null &
echo $! >"$pidfile"
for _ in $(seq 120); do
  if answers; then echo "$url"; exit 0; fi
  if ! kill -0 "$(cat "$pidfile")" 2>/dev/null; then break; fi
  sleep 0.5
done
echo "s3: SeaweedFS did not answer on 127.0.0.1:$port; its log:" >&2
tail -30 "$cache/s3-test.log" >&2
exit 1
