#!/usr/bin/env bash
# The test command: installs dependencies, builds Isola (Release) into build/ and runs every
# test (unit tests, the CLI tests and the WebAssembly spec suite). Works from any directory.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="$root/build"

bash "$root/scripts/install-deps.sh"
cmake -G Ninja -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release
cmake --build "$build"
ctest --test-dir "$build" --output-on-failure -j2
