#!/usr/bin/env bash
# The main job: installs dependencies, builds Isola and the example guest, then runs the
# example: fib(30), computed by the guest in WebAssembly. Works from any directory.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="$root/build"

bash "$root/scripts/install-deps.sh"
cmake -G Ninja -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release
cmake --build "$build" --target isola fib_wasm

echo "+ isola run --invoke fib build/examples/fib.wasm 30"
"$build/isola" run --invoke fib "$build/examples/fib.wasm" 30
