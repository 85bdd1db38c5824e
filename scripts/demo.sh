#!/usr/bin/env bash
# One command from a fresh Debian 12 machine to `parlab demo`: install, configure, build, run.
# Extra arguments go to `parlab demo` (e.g. --json demo.json).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
cmake --preset release -DPARLAB_BUILD_TESTS=OFF >/dev/null
cmake --build --preset release --target parlab_cli_app
exec ./build/release/apps/parlab/parlab demo "$@"
