#!/usr/bin/env bash
# One command from a fresh Debian 12 machine to the whole test suite: install, then for each
# preset (default: release asan tsan) configure, build and run every CTest test.
#   bash scripts/test.sh            # all three presets, as CI does
#   bash scripts/test.sh release    # just one
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
presets=("$@")
if [ ${#presets[@]} -eq 0 ]; then presets=(release asan tsan); fi
for preset in "${presets[@]}"; do
  echo "=== preset: $preset ==="
  cmake --preset "$preset" -DPARLAB_BUILD_TESTS=ON >/dev/null
  cmake --build --preset "$preset"
  # One test at a time: on two cores a neighbouring test takes the core a timing claim needs
  # (running two at once saves ~1 minute a preset and costs flaky runs).
  ctest --preset "$preset" --output-on-failure
done
echo "=== all presets passed: ${presets[*]} ==="
