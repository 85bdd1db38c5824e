#!/usr/bin/env bash
# One command from a fresh Debian 12 machine to `parlab demo`: install, configure, build, run.
# Extra arguments go to `parlab demo` (e.g. --json demo.json).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --demo
# A first build skips the tests; an existing build keeps its own choice (turning its tests off
# would leave `ctest --preset release` without them).
if [ -f build/release/CMakeCache.txt ]; then
  cmake --preset release >/dev/null
else
  cmake --preset release -DPARLAB_BUILD_TESTS=OFF >/dev/null
fi
cmake --build --preset release --target parlab_cli_app
exec ./build/release/apps/parlab/parlab demo "$@"
