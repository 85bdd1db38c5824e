#!/usr/bin/env bash
# What demo.sh and package.sh share: install what building needs, configure the release preset
# and build the targets named. A first build skips the tests; an existing build keeps its own
# choice (turning its tests off would leave `ctest --preset release` without them).
#   bash scripts/release_build.sh TARGET...
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --demo
if [ -f build/release/CMakeCache.txt ]; then
  cmake --preset release >/dev/null
else
  cmake --preset release -DPARLAB_BUILD_TESTS=OFF >/dev/null
fi
cmake --build --preset release --target "$@"
