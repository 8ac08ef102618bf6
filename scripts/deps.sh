#!/usr/bin/env bash
# Installs what Safelight needs from Debian's packages, and only what is
# missing. Usage: scripts/deps.sh run|test
#   run:  libvips-dev, pkg-config, gcc (cgo), fonts-dejavu-core (review-link watermarks)
#   test: the above, plus chromium (browser tests), age (interop tests),
#         libvips-tools (vipsthumbnail, the benchmark baseline), the goexif
#         camera samples (metadata reference files)
#         libimage-exiftool-perl (metadata reference reader),
#         postgresql (scale-out tests), systemd (systemd-analyze checks the
#         shipped unit) and util-linux (flock, setsid for the S3 server)
set -euo pipefail

want=(libvips-dev pkg-config gcc ca-certificates fonts-dejavu-core)
if [[ "${1:-run}" == test ]]; then
  want+=(chromium age libimage-exiftool-perl golang-github-rwcarlsen-goexif-dev libvips-tools
    postgresql systemd util-linux)
fi

missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "deps: installing ${missing[*]}" >&2
  sudo=""
  if [[ $(id -u) -ne 0 ]]; then
    command -v sudo >/dev/null || { echo "deps: need root (or sudo) to apt-get install ${missing[*]}" >&2; exit 1; }
    sudo=sudo
  fi
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if ! command -v go >/dev/null && [[ -x /usr/local/go/bin/go ]]; then
  echo "deps: Go is at /usr/local/go/bin; add it to PATH" >&2
fi
