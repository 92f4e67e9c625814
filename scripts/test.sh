#!/usr/bin/env bash
# The test command: installs dependencies, fuzzes decode+validate for a bounded time
# (ISOLA_FUZZ_SECONDS, default 60; 0 skips it), builds Isola (Release) into build/ and runs
# every test (unit tests, the CLI tests and the WebAssembly spec suite) through CTest, whose
# summary closes the output. Works from any directory.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="$root/build"

bash "$root/scripts/install-deps.sh"
fuzz_seconds="${ISOLA_FUZZ_SECONDS:-60}"
if [ "$fuzz_seconds" -gt 0 ]; then
  bash "$root/scripts/fuzz.sh" "$fuzz_seconds"
fi
cmake -G Ninja -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DISOLA_WERROR=ON
cmake --build "$build"
ctest --test-dir "$build" --output-on-failure -j2
