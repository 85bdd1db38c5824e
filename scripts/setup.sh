#!/usr/bin/env bash
# Installs the Debian packages parlab needs. Idempotent: when everything is already there it
# changes nothing and does not touch the network. Run as root (or via sudo).
#   bash scripts/setup.sh          what building, running and testing need (test.sh)
#   bash scripts/setup.sh --demo   what building and running need (demo.sh): no browser
# apt prints one line per stage; its full log only when it fails.
set -euo pipefail

packages=(
  build-essential g++ cmake ninja-build git pkg-config mold
  libfmt-dev libcli11-dev nlohmann-json3-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  libboost-dev libtbb-dev
  openmpi-bin libopenmpi-dev
  python3
)
# The browser test opens the HTML report in headless Chromium (~100 MiB more to fetch); the
# cluster test makes a second host with ip (network namespaces), finds leftovers with ps and
# runs Slurm over the two hosts; the package test reads the man pages (man-db), the completion
# test runs the zsh and fish scripts.
if [ "${1:-}" != "--demo" ]; then
  packages+=(chromium fonts-dejavu-core iproute2 procps slurmd slurmctld slurm-client munge
             man-db zsh fish)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all ${#packages[@]} packages already installed"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
log=$(mktemp)
trap 'rm -f "$log"' EXIT
stage() {  # stage "what" command...: one line, the whole log only on failure
  echo "setup: $1"
  if ! "${@:2}" >"$log" 2>&1; then
    cat "$log" >&2
    echo "setup: failed: $1" >&2
    exit 1
  fi
}
stage "apt-get update" $SUDO apt-get update -qq
stage "installing ${#missing[@]} packages: ${missing[*]}" \
  env DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
echo "setup: done"
