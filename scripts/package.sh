#!/usr/bin/env bash
# Builds parlab's Debian packages from the release build (CPack, cmake/package.cmake):
#   build/release/package/parlab_VERSION_ARCH.deb         the program, man pages, completions, docs
#   build/release/package/libparlab-dev_VERSION_ARCH.deb  the library, headers, CMake package
# Then, as root:  apt-get install ./build/release/package/*.deb
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --demo
# As demo.sh: a first build skips the tests; an existing build keeps its own choice.
if [ -f build/release/CMakeCache.txt ]; then
  cmake --preset release >/dev/null
else
  cmake --preset release -DPARLAB_BUILD_TESTS=OFF >/dev/null
fi
cmake --build --preset release --target parlab_cli_app parlab parlab_docs
rm -rf build/release/package
# cpack installs what was built into a staging tree (it builds nothing itself) and packs it.
(cd build/release && cpack -G DEB -B "$PWD/package" >/dev/null)
ls -1 build/release/package/*.deb
