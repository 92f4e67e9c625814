#!/usr/bin/env bash
# The main job: installs dependencies, builds Isola and the examples, then starts the
# example app: `isola up` serving the counter actor (a signed waPC actor that counts in
# the embedded SQLite key-value store) on http://127.0.0.1:8080/counter. No external
# server is needed. Ctrl-C (or SIGTERM) stops it gracefully. Works from any directory.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="$root/build"

bash "$root/scripts/install-deps.sh"
cmake -G Ninja -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release
cmake --build "$build"

echo "+ isola up build/examples/counter/isola.toml   (try: curl localhost:8080/counter)"
exec "$build/isola" up "$build/examples/counter/isola.toml"
