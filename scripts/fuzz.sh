#!/usr/bin/env bash
# Coverage-guided fuzzing of parlab's parsers with libFuzzer (clang 14, ASan + UBSan): the JSON
# reader behind `parlab report` and the command line. Each fuzzer starts from the seed corpus in
# fuzz/corpus/ and runs for SECONDS (default 60); new inputs it finds go to build/fuzz/corpus-*,
# crashes to build/fuzz/crash-*. Add a crash to fuzz/corpus/ once fixed: the CTest replay
# (fuzz_replay_*, release and asan presets) then keeps it fixed.
#   bash scripts/fuzz.sh            # 60 s each
#   bash scripts/fuzz.sh 600        # 10 minutes each
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-60}"
bash scripts/setup.sh
if ! command -v clang++ >/dev/null || ! dpkg-query -W -f='${Status}' libclang-rt-14-dev 2>/dev/null | grep -q "ok installed"; then
  SUDO=""; if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends clang libclang-rt-14-dev
fi
# Boost 1.74's Asio looks for clang's coroutines in libc++ (<experimental/coroutine>) only; with
# libstdc++ 12 clang 14 has std <coroutine>, so Asio is told so by hand (the async model and the
# http clients use awaitables). UBSan's 'function' check makes clang 14 fail on coroutines
# ("Cannot represent a difference across sections"): it is left out.
cmake -S . -B build/fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_COMPILER=clang++ -DPARLAB_BUILD_FUZZERS=ON -DPARLAB_BUILD_TESTS=ON \
  -DPARLAB_BUILD_BENCHMARKS=OFF -DPARLAB_BUILD_EXAMPLES=OFF -DPARLAB_WITH_OPENMP=OFF \
  -DCMAKE_CXX_FLAGS="-fsanitize=address,undefined -fno-sanitize=function -fno-sanitize-recover=all -fno-omit-frame-pointer -DBOOST_ASIO_HAS_CO_AWAIT=1 -DBOOST_ASIO_HAS_STD_COROUTINE=1" \
  -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=address,undefined" >/dev/null
cmake --build build/fuzz --target json_reader_fuzzer cli_fuzzer
for name in json_reader cli; do
  corpus_dir="fuzz/corpus/${name%_reader}"
  work="build/fuzz/corpus-$name"
  mkdir -p "$work"
  echo "=== fuzzing $name for $seconds s (seeds: $corpus_dir) ==="
  ASAN_OPTIONS=detect_leaks=1 "build/fuzz/fuzz/${name}_fuzzer" "$work" "$corpus_dir" \
    -max_total_time="$seconds" -max_len=65536 -artifact_prefix="build/fuzz/crash-$name-" \
    -print_final_stats=1 -close_fd_mask=3 2>&1 | tail -12
done
