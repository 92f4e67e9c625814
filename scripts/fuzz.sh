#!/usr/bin/env bash
# Fuzzes decode + validate (fuzz/decode_validate.cpp) with libFuzzer, ASan and UBSan.
#
#   scripts/fuzz.sh [SECONDS]      default 60
#
# Configures a clang build in build-fuzz/ with -DISOLA_FUZZ=ON, builds the target, seeds
# a corpus with small modules from the spec suite (copied at run time, never committed)
# and runs for SECONDS. Exits non-zero when the fuzzer finds a crash, leak, timeout or
# out-of-memory; the input is then in build-fuzz/artifacts/ and can be replayed with
#   build-fuzz/fuzz/fuzz_decode_validate build-fuzz/artifacts/<file>
#
# Environment: ISOLA_SPEC_DIR (spec JSON directory, default ../shared/spec/wasm-2.0/json
# beside the checkout), FUZZ_JOBS (parallel workers, default 1), FUZZ_ARGS (extra
# libFuzzer flags).
set -euo pipefail

duration="${1:-60}"
if ! [[ "$duration" =~ ^[0-9]+$ ]] || [ "$duration" -eq 0 ]; then
  echo "usage: $0 [SECONDS]   (a positive whole number of seconds)" >&2
  exit 2
fi

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="$root/build-fuzz"
spec_dir="${ISOLA_SPEC_DIR:-$root/../shared/spec/wasm-2.0/json}"
target="fuzz_decode_validate"
seeds="$build/seeds/decode_validate"
corpus="$build/corpus/decode_validate"
artifacts="$build/artifacts"

for tool in clang clang++ cmake; do
  command -v "$tool" >/dev/null || { echo "fuzz.sh: $tool not found (run scripts/install-deps.sh)" >&2; exit 2; }
done
generator=()
command -v ninja >/dev/null && generator=(-G Ninja)

# 1. Configure (once; the generator cannot change afterwards) and build just the target.
if [ ! -f "$build/CMakeCache.txt" ]; then
  cmake -S "$root" -B "$build" "${generator[@]}" \
    -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo -DISOLA_FUZZ=ON
else
  cmake "$build" -DISOLA_FUZZ=ON >/dev/null
fi
cmake --build "$build" --target "$target" -j "$(nproc)"
binary="$(find "$build" -type f -name "$target" -perm -u+x | head -n 1)"
[ -n "$binary" ] || { echo "fuzz.sh: $target was not built" >&2; exit 1; }

# 2. Seeds: small modules from the spec suite, spread evenly over its files: the first
#    valid module of 50 files, and 20 binary modules the spec expects to be rejected (so
#    the error paths start covered). Each at most 16 KiB.
rm -rf "$seeds"
mkdir -p "$seeds" "$corpus" "$artifacts"

# pick_spread PREFIX MAX FILE...: copies MAX of the files, evenly spaced, as PREFIX-<name>.
pick_spread() {
  local prefix="$1" max="$2"
  shift 2
  local n=$# i=0 taken=0 next=0 f
  for f in "$@"; do
    if [ "$taken" -lt "$max" ] && [ $((i * max)) -ge "$next" ]; then
      cp "$spec_dir/$f" "$seeds/$prefix-$f"
      taken=$((taken + 1))
      next=$((taken * n))
    fi
    i=$((i + 1))
  done
  echo "$taken"
}

if [ -d "$spec_dir" ]; then
  valid=()
  rejected=()
  for json in "$spec_dir"/*.json; do
    f="$(grep -o '"type": "module", "line": [0-9]*, "filename": "[^"]*\.wasm"' "$json" \
           | head -n 1 | sed 's/.*"filename": "\([^"]*\)"/\1/' || true)"
    if [ -n "$f" ] && [ -f "$spec_dir/$f" ] && [ "$(stat -c %s "$spec_dir/$f")" -le 16384 ]; then
      valid+=("$f")
    fi
    f="$(grep -E '"type": "assert_(invalid|malformed)"' "$json" | grep '"module_type": "binary"' \
           | head -n 1 | sed 's/.*"filename": "\([^"]*\)".*/\1/' || true)"
    if [ -n "$f" ] && [ -f "$spec_dir/$f" ] && [ "$(stat -c %s "$spec_dir/$f")" -le 16384 ]; then
      rejected+=("$f")
    fi
  done
  nv="$(pick_spread valid 50 "${valid[@]}")"
  nr="$(pick_spread rejected 20 "${rejected[@]}")"
  echo "fuzz.sh: seeded $nv valid and $nr rejected modules from $spec_dir"
else
  echo "fuzz.sh: warning: spec suite not found at $spec_dir; starting from a minimal module" >&2
  printf '\0asm\1\0\0\0' >"$seeds/empty-module.wasm"
fi

# 3. Run. New interesting inputs go to $corpus (kept between runs); seeds are read-only.
jobs="${FUZZ_JOBS:-1}"
args=(
  -max_len=65536 -timeout=10 -rss_limit_mb=2048
  -max_total_time="$duration"
  -dict="$root/fuzz/wasm.dict"
  -artifact_prefix="$artifacts/"
  -print_final_stats=1
)
if [ "$jobs" -gt 1 ]; then
  args+=(-jobs="$jobs" -workers="$jobs")
fi
# shellcheck disable=SC2206  # FUZZ_ARGS is meant to split into flags
[ -n "${FUZZ_ARGS:-}" ] && args+=(${FUZZ_ARGS})

echo "fuzz.sh: running $target for ${duration}s"
status=0
(cd "$build" && "$binary" "${args[@]}" "$corpus" "$seeds") || status=$?
if [ "$status" -ne 0 ]; then
  echo "fuzz.sh: FAILED (libFuzzer exit status $status); reproducer(s) in $artifacts:" >&2
  ls -1t "$artifacts" >&2 || true
  exit "$status"
fi
echo "fuzz.sh: no crash in ${duration}s; corpus: $(find "$corpus" -type f | wc -l) inputs in $corpus"
