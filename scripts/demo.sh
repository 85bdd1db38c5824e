#!/usr/bin/env bash
# One command from a fresh Debian 12 machine to `parlab demo`: install, configure, build, run.
# Extra arguments go to `parlab demo` (e.g. --json demo.json).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/release_build.sh parlab_cli_app
exec ./build/release/apps/parlab/parlab demo "$@"
