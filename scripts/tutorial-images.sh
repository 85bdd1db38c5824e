#!/usr/bin/env bash
# Regenerates the pictures docs/tutorial.md shows, from real runs on this machine:
#   bash scripts/tutorial-images.sh        (builds the release preset first if needed)
set -euo pipefail
cd "$(dirname "$0")/.."
bin=build/release/apps/parlab/parlab
if [ ! -x "$bin" ]; then
  cmake --preset release >/dev/null && cmake --build --preset release --target parlab_cli_app
fi
for name in multitasking concurrency parallelism concurrency_and_parallelism cpu_bound io_bound; do
  "$bin" example "$name" --svg "docs/img/tutorial-$name.svg" >/dev/null
  echo "docs/img/tutorial-$name.svg"
done
