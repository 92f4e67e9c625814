#!/usr/bin/env bash
# Installs every Debian package Isola needs to build, test and benchmark.
# Idempotent: re-running it installs nothing new and exits 0.
set -euo pipefail

PACKAGES=(
  # build
  build-essential cmake ninja-build pkg-config git
  # compilers: GCC 12 is the default, Clang 14 is the second supported compiler
  g++ clang lld
  # wasm32-wasi toolchain for guest programs, tests and benchmarks
  wasi-libc libclang-rt-dev-wasm32
  # libraries
  nlohmann-json3-dev libgtest-dev googletest
  # fuzzing and sanitizers (libFuzzer ships in clang's runtime)
  libclang-rt-14-dev
  # wasm tools used by tests and benchmarks
  wabt binaryen nodejs
  # benchmarks
  hyperfine dpkg-dev
  # end-to-end tests (tests/e2e): tclsh generates SQLite's amalgamation from its sources
  tcl
  # serverless host (src/host): HTTP (Boost.Beast), TOML and YAML manifests, msgpack,
  # SQLite and Redis key-value, libcurl HTTP client, libsodium for nkeys/claims
  libboost-dev libboost-system-dev libtomlplusplus-dev libyaml-cpp-dev libmsgpack-cxx-dev
  libsqlite3-dev sqlite3 libhiredis-dev libcurl4-openssl-dev libsodium-dev
  # host tests and benchmarks: a real redis-server, the wrk load generator
  # (nginx, the benchmarks' ceiling, is installed by bench/host/run.sh: its postinst may
  # fail to start a service on machines without init, which must not break CI)
  redis-server wrk curl
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#PACKAGES[@]} packages present"
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"
