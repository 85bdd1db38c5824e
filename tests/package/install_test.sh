#!/usr/bin/env bash
# The Debian packages, installed into this machine as a user installs them, then removed:
#   install_test.sh BUILD_DIR SOURCE_DIR WORK_DIR
# Packs BUILD_DIR with CPack, installs both packages with apt-get (their dependencies must be
# installed already, by scripts/setup.sh: nothing is downloaded), checks parlab on PATH (--version, a short
# demo), its man pages, a bash completion query, the zsh and fish scripts' syntax, a project
# built against the installed library with find_package(parlab), then removes both packages and
# checks that none of their files is left. Root only; exit 77 (skipped) otherwise, or when a
# parlab package is already installed (the test would remove it).
set -euo pipefail
build=$1 source=$2 work=$3
skip() { echo "SKIPPED: $*"; exit 77; }
[ "$(id -u)" -eq 0 ] || skip "installing a package needs root (CI runs as root)"
if dpkg-query -W -f='${Status}' parlab libparlab-dev 2>/dev/null | grep -q "ok installed"; then
  skip "a parlab package is installed on this machine already; this test would remove it"
fi
rm -rf "$work" && mkdir -p "$work"
installed=0
cleanup() {
  if [ "$installed" -eq 1 ]; then
    DEBIAN_FRONTEND=noninteractive apt-get remove --purge -y -qq parlab libparlab-dev >/dev/null 2>&1 || true
  fi
}
trap cleanup EXIT
fail() { echo "FAILED: $*" >&2; exit 1; }

echo "== pack"
(cd "$build" && cpack -G DEB -B "$work/debs" >/dev/null)
debs=("$work"/debs/*.deb)
[ ${#debs[@]} -eq 2 ] || fail "expected two packages, got: ${debs[*]}"
for deb in "${debs[@]}"; do
  echo "$(basename "$deb"): $(dpkg-deb -f "$deb" Depends)"
done

echo "== install"
# Every dependency is already here (scripts/setup.sh), so apt-get fetches nothing: a test sends
# no traffic off this machine.
for deb in "${debs[@]}"; do
  for dep in $(dpkg-deb -f "$deb" Depends | tr ',' '\n' | sed 's/(.*//; s/|.*//' | tr -d ' '); do
    [ "$dep" = parlab ] && continue
    dpkg-query -W -f='${Status}' "$dep" 2>/dev/null | grep -q "ok installed" ||
      fail "$(basename "$deb") depends on $dep, which is not installed (bash scripts/setup.sh)"
  done
done
installed=1
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${debs[@]}" >"$work/apt.log" 2>&1 ||
  { cat "$work/apt.log"; fail "apt-get install"; }
dpkg-query -L parlab libparlab-dev | sort -u >"$work/files"
[ "$(command -v parlab)" = /usr/bin/parlab ] || fail "parlab is not /usr/bin/parlab on PATH"

echo "== parlab --version"
parlab --version | tee "$work/version"
grep -q '^commit: ' "$work/version" || fail "--version names no commit"
grep -q '^models: .*threads' "$work/version" || fail "--version lists no models"

echo "== parlab run (a short one) and parlab demo --help"
parlab run -w cpu -e threads,processes -j 2 -t 4 -r 1 --json "$work/run.json" 2>"$work/run.err" ||
  { cat "$work/run.err"; fail "parlab run"; }
grep -q '"build"' "$work/run.json" || fail "the JSON result has no build"
parlab demo --help >/dev/null || fail "parlab demo --help"

echo "== man"
man -w parlab | grep -q '^/usr/share/man/man1/parlab.1' || fail "man -w parlab: $(man -w parlab 2>&1)"
MANWIDTH=100 man parlab-run 2>/dev/null | grep -q -- '--workload' || fail "man parlab-run shows no --workload"

echo "== bash completion"
words=$(bash -c 'source /usr/share/bash-completion/completions/parlab
  COMP_WORDS=(parlab run -e threads,proc); COMP_CWORD=3; _parlab; printf "%s\n" "${COMPREPLY[@]}"')
echo "parlab run -e threads,proc<Tab>: $words"
echo "$words" | grep -qx 'threads,processes' || fail "bash completion of -e"
[ -f /usr/share/zsh/vendor-completions/_parlab ] || fail "no zsh completion installed"
[ -f /usr/share/fish/vendor_completions.d/parlab.fish ] || fail "no fish completion installed"

echo "== find_package(parlab) from the installed package"
cmake -S "$source/tests/consumer" -B "$work/consumer" -DCMAKE_BUILD_TYPE=Release \
  -DEXAMPLE_SOURCE="$source/examples/custom_task.cpp" >"$work/consumer.log" 2>&1 ||
  { cat "$work/consumer.log"; fail "configuring the consumer"; }
grep -q "parlab_DIR:PATH=/usr/lib" "$work/consumer/CMakeCache.txt" ||
  fail "the consumer found parlab elsewhere: $(grep parlab_DIR "$work/consumer/CMakeCache.txt")"
cmake --build "$work/consumer" >>"$work/consumer.log" 2>&1 || { cat "$work/consumer.log"; fail "building the consumer"; }
"$work/consumer/custom_task" --quick >/dev/null || fail "the consumer's program"

echo "== remove"
DEBIAN_FRONTEND=noninteractive apt-get remove --purge -y -qq parlab libparlab-dev >"$work/apt.log" 2>&1 ||
  { cat "$work/apt.log"; fail "apt-get remove"; }
installed=0
if dpkg-query -W -f='${Status}' parlab libparlab-dev 2>/dev/null | grep -q "installed"; then
  fail "a package is still installed"
fi
left=()
while read -r f; do  # every file, and the directories of parlab's own (/usr/include/parlab, ...)
  if [ -f "$f" ] || [ -L "$f" ] || { [ -d "$f" ] && [[ "$(basename "$f")" == parlab* ]]; }; then
    left+=("$f")
  fi
done <"$work/files"
[ ${#left[@]} -eq 0 ] || fail "left behind: ${left[*]}"
hash -r
if command -v parlab >/dev/null; then fail "parlab is still on PATH: $(command -v parlab)"; fi
echo "== the packages installed, worked and left nothing"
