#!/usr/bin/env bash
# The test command: installs dependencies, then
#   1. fuzzes for a bounded time (scripts/fuzz.sh: decode+validate and run for
#      ISOLA_FUZZ_SECONDS each, default 60, the differential test against V8 for a
#      quarter of that, and the host targets (guest payloads, claims, manifests) for a third
#      of it each; 0 skips fuzzing);
#   2. the release lane: builds Isola (Release, GCC, warnings are errors) into build/ and runs
#      every test through CTest: unit tests, CLI tests, the WebAssembly spec suite, the WASI
#      guest tests, the end-to-end programs, the isolation tests, the fuzz regressions;
#   3. the sanitizer lane: builds with clang, ASan and UBSan (-O1 -g, assertions on) into
#      build-asan/ and runs the same tests but the end-to-end ones (label e2e), with
#      LeakSanitizer on, so a memory error, undefined behaviour or leak fails the run.
# Every stage runs even when an earlier one failed; the exit status is non-zero if any did.
# CTest's summary of the last lane closes the output; the time of each stage comes just
# before it. Works from any directory.
#
# Environment: ISOLA_FUZZ_SECONDS (see 1), ISOLA_LANES (default "release sanitize"),
# ISOLA_BUILD_DIR (default build/), ISOLA_ASAN_BUILD_DIR (default build-asan/).
set -uo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${ISOLA_BUILD_DIR:-$root/build}"
asan_build="${ISOLA_ASAN_BUILD_DIR:-$root/build-asan}"
lanes="${ISOLA_LANES:-release sanitize}"

bash "$root/scripts/install-deps.sh" || exit 1

times=()
failed=()
# stage NAME COMMAND...: runs the command, records its time and whether it failed.
stage() {
  local name="$1" start=$SECONDS status=0
  shift
  "$@" || status=$?
  times+=("$name $((SECONDS - start))s$([ "$status" -ne 0 ] && echo " (FAILED)")")
  [ "$status" -eq 0 ] || failed+=("$name")
  return "$status"
}

fuzz_seconds="${ISOLA_FUZZ_SECONDS:-60}"
if [ "$fuzz_seconds" -gt 0 ]; then
  stage fuzz bash "$root/scripts/fuzz.sh" "$fuzz_seconds"
fi

release_build() {
  cmake -G Ninja -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DISOLA_WERROR=ON &&
    cmake --build "$build"
}
# The sanitizer lane compiles with clang at -O1: about half the build time of GCC's
# sanitizer builds on this code (GoogleTest-heavy files are the slowest), and fast enough to
# run everything but the end-to-end programs. Assertions stay on (no NDEBUG), and so does the
# interpreter's accumulator check (CMakeLists.txt, ISOLA_ACC_VERIFY).
sanitize_build() {
  cmake -G Ninja -S "$root" -B "$asan_build" \
    -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    "-DCMAKE_C_FLAGS_RELWITHDEBINFO=-O1 -g" "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O1 -g" \
    -DISOLA_SANITIZE=ON -DISOLA_ACC_VERIFY=ON -DISOLA_WERROR=ON &&
    cmake --build "$asan_build"
}
sanitize_tests() {
  # Leak detection is on by default for ASan on Linux; spelled out so nobody turns it off
  # unknowingly. Any UBSan report halts (the build also uses -fno-sanitize-recover).
  ASAN_OPTIONS="detect_leaks=1:halt_on_error=1:strict_string_checks=1:check_initialization_order=1" \
  UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1" \
    ctest --test-dir "$asan_build" --output-on-failure -j2 -LE e2e
}

for lane in $lanes; do
  case "$lane" in
    release)
      if stage release-build release_build; then
        echo "test.sh: stage times so far: ${times[*]}"
        stage release-tests ctest --test-dir "$build" --output-on-failure -j2
      fi
      ;;
    sanitize)
      if stage sanitize-build sanitize_build; then
        echo "test.sh: stage times so far: ${times[*]}"
        stage sanitize-tests sanitize_tests
      fi
      ;;
    *)
      echo "test.sh: unknown lane '$lane' in ISOLA_LANES" >&2
      exit 2
      ;;
  esac
done

if [ "${#failed[@]}" -gt 0 ]; then
  echo "test.sh: FAILED: ${failed[*]} (times: ${times[*]})" >&2
  exit 1
fi
