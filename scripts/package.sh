#!/usr/bin/env bash
# Builds parlab's Debian packages from the release build (CPack, cmake/package.cmake):
#   build/release/package/parlab_VERSION_ARCH.deb         the program, man pages, completions, docs
#   build/release/package/libparlab-dev_VERSION_ARCH.deb  the library, headers, CMake package
# Then, as root:  apt-get install ./build/release/package/*.deb
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/release_build.sh parlab_cli_app parlab parlab_docs
rm -rf build/release/package
# cpack installs what was built into a staging tree (it builds nothing itself) and packs it.
(cd build/release && cpack -G DEB -B "$PWD/package" >/dev/null)
ls -1 build/release/package/*.deb
