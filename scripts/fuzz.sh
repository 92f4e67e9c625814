#!/usr/bin/env bash
# Fuzzes Isola with libFuzzer (ASan + UBSan) and compares it with V8.
#
#   scripts/fuzz.sh [SECONDS]      default 60: each engine libFuzzer target runs SECONDS, the
#                                  differential test SECONDS/4, each host target SECONDS/3
#                                  (3m15s in all by default)
#
# Six stages, in build-fuzz/ (a clang build with -DISOLA_FUZZ=ON); three for the engine:
#   decode_validate  fuzz/decode_validate.cpp: arbitrary bytes through decode + validate;
#                    seeded with small modules from the spec suite.
#   run              fuzz/run_exports.cpp: what validates is instantiated with stub imports
#                    and every export is called under fuel, lowered lazily and eagerly, and
#                    the two runs must agree; seeded with modules that binaryen's
#                    `wasm-opt -ttf` made from random bytes (step 2 below), since random
#                    bytes alone rarely make a module worth running.
#   differential     fuzz/differential.mjs: -ttf modules run by Isola (fuzz_exec: the
#                    replay driver isola_fuzz_exec over the instrumented engine) and by
#                    node's V8; results, traps, host calls, memory and globals must agree
#                    (NaN payloads aside). The seeds of `run` first, then fresh modules
#                    until the stage's time is up.
# and three for the host layer (fuzz/host_*.cpp; what each checks: fuzz/README.md), seeded
# by fuzz_host_seeds (fuzz/host_seeds.cpp) with valid inputs made at run time:
#   guest_payloads   msgpack from guests, the waPC HTTP payloads, the providers' request
#                    decoders, WAGI CGI output (the first byte picks the operation).
#   claims           tokens, nkeys, base64url/base32, revocation lists, custom-section
#                    editing and signing of module bytes, claims JSON.
#   manifest         isola.toml and waSCC YAML text, ${VAR} substitution, single values;
#                    also seeded with examples/*/isola.toml.
#
# Exits non-zero when any stage fails; the summary at the end says which. Reproducers:
#   libFuzzer crashes, leaks, timeouts: build-fuzz/artifacts/<target>/, replay with
#       build-fuzz/fuzz/fuzz_<target> FILE   (or build-fuzz/fuzz/fuzz_exec --check FILE)
#   differential mismatches: build-fuzz/differential/<module>.{wasm,isola.jsonl,v8.jsonl}
# Keep each fixed one in fuzz/regressions/ (see the README there).
#
# Environment: FUZZ_TARGETS (stages to run, default "decode_validate run differential
# guest_payloads claims manifest"),
# FUZZ_MODULES (how many -ttf modules to generate, default 300), ISOLA_SPEC_DIR (spec JSON
# directory, default ../shared/spec/wasm-2.0/json beside the checkout), FUZZ_JOBS (parallel
# libFuzzer workers, default 1), FUZZ_ARGS (extra libFuzzer flags), FUZZ_BUILD_DIR (default
# build-fuzz/).
set -euo pipefail

duration="${1:-60}"
if ! [[ "$duration" =~ ^[0-9]+$ ]] || [ "$duration" -eq 0 ]; then
  echo "usage: $0 [SECONDS]   (a positive whole number of seconds)" >&2
  exit 2
fi

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${FUZZ_BUILD_DIR:-$root/build-fuzz}"
spec_dir="${ISOLA_SPEC_DIR:-$root/../shared/spec/wasm-2.0/json}"
stages="${FUZZ_TARGETS:-decode_validate run differential guest_payloads claims manifest}"
modules="${FUZZ_MODULES:-300}"
ttf="$build/seeds/ttf"
mkdir -p "$build/logs"

for tool in clang clang++ cmake wasm-opt node; do
  command -v "$tool" >/dev/null || { echo "fuzz.sh: $tool not found (run scripts/install-deps.sh)" >&2; exit 2; }
done
generator=()
command -v ninja >/dev/null && generator=(-G Ninja)

# 1. Configure (once; the generator cannot change afterwards) and build what the stages use.
if [ ! -f "$build/CMakeCache.txt" ]; then
  cmake -S "$root" -B "$build" "${generator[@]}" \
    -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo -DISOLA_FUZZ=ON -DISOLA_ACC_VERIFY=ON
else
  cmake "$build" -DISOLA_FUZZ=ON -DISOLA_ACC_VERIFY=ON >/dev/null
fi
targets=(fuzz_decode_validate fuzz_run fuzz_exec)
host_stages=0
for stage in $stages; do
  case "$stage" in guest_payloads|claims|manifest) host_stages=1 ;; esac
done
[ "$host_stages" -eq 1 ] && targets+=(fuzz_guest_payloads fuzz_claims fuzz_manifest fuzz_host_seeds)
cmake --build "$build" --target "${targets[@]}" -j "$(nproc)"

# 2. Valid modules from binaryen's translate-to-fuzz mode, each from random bytes of random
#    length. Features: what Isola implements (WebAssembly 2.0 without SIMD). Binaryen 108's
#    reference-types output uses typed function references, which 2.0 engines reject, so
#    only one module in eight has them (those exercise rejection paths; a few still load).
#    A third are optimised by wasm-opt too, which reshapes the control flow.
features=(--mvp-features --enable-sign-ext --enable-mutable-globals
          --enable-nontrapping-float-to-int --enable-bulk-memory --enable-multivalue)
generate_ttf() {
  rm -rf "$ttf"
  mkdir -p "$ttf"
  local i opt extra tmp
  tmp="$(mktemp)"
  for ((i = 0; i < modules; i++)); do
    head -c $((RANDOM * 2 % 30000 + 256)) /dev/urandom >"$tmp"
    case $((i % 3)) in 0) opt=(-O2) ;; 1) opt=(-Os) ;; *) opt=() ;; esac
    extra=()
    [ $((i % 8)) -eq 7 ] && extra=(--enable-reference-types)
    wasm-opt "$tmp" -ttf "${features[@]}" "${extra[@]}" "${opt[@]}" \
      -o "$ttf/ttf-$(printf %04d "$i").wasm" 2>/dev/null || true
  done
  rm -f "$tmp"
  echo "fuzz.sh: generated $(find "$ttf" -name '*.wasm' | wc -l) modules with wasm-opt -ttf in $ttf"
}

# pick_spread DIR PREFIX MAX FILE...: copies MAX of the files, evenly spaced, as PREFIX-<name>.
pick_spread() {
  local dir="$1" prefix="$2" max="$3"
  shift 3
  local n=$# i=0 taken=0 next=0 f
  for f in "$@"; do
    if [ "$taken" -lt "$max" ] && [ $((i * max)) -ge "$next" ]; then
      cp "$spec_dir/$f" "$dir/$prefix-$f"
      taken=$((taken + 1))
      next=$((taken * n))
    fi
    i=$((i + 1))
  done
  echo "$taken"
}

# Seeds for decode_validate: small modules from the spec suite, spread evenly over its
# files: the first valid module of 50 files, and 20 binary modules the spec expects to be
# rejected (so the error paths start covered), each at most 16 KiB; and 20 -ttf modules.
seed_decode_validate() {
  local seeds="$1"
  rm -rf "$seeds"
  mkdir -p "$seeds"
  if [ -d "$spec_dir" ]; then
    local valid=() rejected=() json f
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
    local nv nr
    nv="$(pick_spread "$seeds" valid 50 "${valid[@]}")"
    nr="$(pick_spread "$seeds" rejected 20 "${rejected[@]}")"
    echo "fuzz.sh: seeded decode_validate with $nv valid and $nr rejected modules from $spec_dir"
  else
    echo "fuzz.sh: warning: spec suite not found at $spec_dir; seeding from -ttf modules only" >&2
    printf '\0asm\1\0\0\0' >"$seeds/empty-module.wasm"
  fi
  # sed reads to the end where head would exit early: under pipefail, sort's SIGPIPE from an
  # early exit failed the whole script now and then.
  find "$ttf" -name '*.wasm' | sort | sed -n '1,20p' | xargs -r cp -t "$seeds"
}

# Seeds for the host targets: fuzz_host_seeds writes valid inputs for every operation of
# each (seeds/host/<stage>/); the manifest stage also gets the examples' manifests.
host_seeds="$build/seeds/host"
seed_host() {
  if [ ! -d "$host_seeds" ]; then
    "$build/fuzz/fuzz_host_seeds" "$host_seeds" || return 1
    local f
    for f in "$root"/examples/*/isola.toml; do
      cp "$f" "$host_seeds/manifest/example-$(basename "$(dirname "$f")").toml"
    done
  fi
}

# run_libfuzzer NAME SEEDS MAX_LEN [DICT] [SECONDS]: runs build-fuzz/fuzz/fuzz_NAME for
# SECONDS (default $duration) with the dictionary fuzz/DICT (default wasm.dict). New
# interesting inputs go to corpus/NAME (kept between runs); the seeds are read-only.
run_libfuzzer() {
  local name="$1" seeds="$2" max_len="$3" dict="${4:-wasm.dict}" seconds="${5:-$duration}"
  local binary="$build/fuzz/fuzz_$name" corpus="$build/corpus/$name" artifacts="$build/artifacts/$name"
  local log="$build/logs/$name.log"
  mkdir -p "$corpus" "$artifacts" "$build/logs"
  local args=(
    -max_len="$max_len" -timeout=10 -rss_limit_mb=2048
    -max_total_time="$seconds"
    -dict="$root/fuzz/$dict"
    -artifact_prefix="$artifacts/"
    -print_final_stats=1
  )
  local jobs="${FUZZ_JOBS:-1}"
  [ "$jobs" -gt 1 ] && args+=(-jobs="$jobs" -workers="$jobs")
  # shellcheck disable=SC2206  # FUZZ_ARGS is meant to split into flags
  [ -n "${FUZZ_ARGS:-}" ] && args+=(${FUZZ_ARGS})
  echo "fuzz.sh: running fuzz_$name for ${seconds}s (log: $log)"
  local status=0 start end
  start=$(date +%s)
  (cd "$build" && "$binary" "${args[@]}" "$corpus" "$seeds") >"$log" 2>&1 || status=$?
  end=$(date +%s)
  local execs
  execs="$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -n 1 || true)"
  if [ "$status" -ne 0 ]; then
    tail -n 60 "$log" >&2
    echo "fuzz.sh: fuzz_$name FAILED (libFuzzer exit status $status); reproducer(s) in $artifacts:" >&2
    ls -1t "$artifacts" >&2 || true
    summary+=("fuzz_$name: FAILED after $((end - start))s, ${execs:-?} inputs; reproducers in $artifacts")
    return 1
  fi
  summary+=("fuzz_$name: ${execs:-?} inputs in $((end - start))s, no failure; corpus $(find "$corpus" -type f | wc -l) inputs")
}

summary=()
failed=0
rm -rf "$host_seeds"  # made afresh on each run, with fresh keys
if [[ " $stages " == *" run "* || " $stages " == *" differential "* || " $stages " == *" decode_validate "* ]]; then
  generate_ttf
fi
for stage in $stages; do
  case "$stage" in
    decode_validate)
      seed_decode_validate "$build/seeds/decode_validate"
      run_libfuzzer decode_validate "$build/seeds/decode_validate" 65536 || failed=1
      ;;
    run)
      run_libfuzzer run "$ttf" 131072 || failed=1
      ;;
    differential)
      report="$build/differential"
      rm -rf "$report"
      secs=$((duration / 4 > 0 ? duration / 4 : 1))
      echo "fuzz.sh: differential test against V8 for at most ${secs}s"
      status=0
      node --experimental-wasm-type-reflection "$root/fuzz/differential.mjs" \
        --isola "$build/fuzz/fuzz_exec" --report "$report" --max-seconds "$secs" \
        --denan "${features[*]} --enable-reference-types" \
        --generate 1000000 --ttf-flags "${features[*]}" \
        "$ttf"/*.wasm >"$build/logs/differential.log" 2>&1 || status=$?
      grep -v '^differential: [0-9]* passed' "$build/logs/differential.log" | tail -n 40
      line="$(grep '^differential: [0-9]* modules' "$build/logs/differential.log" | tail -n 1 || true)"
      if [ "$status" -ne 0 ]; then
        summary+=("differential: FAILED (${line#differential: }); modules and both engines' output in $report")
        failed=1
      else
        summary+=("differential: ${line#differential: }")
      fi
      ;;
    guest_payloads|claims|manifest)
      # A third of the engine targets' time each: the three together take what one does.
      secs=$((duration / 3 > 0 ? duration / 3 : 1))
      case "$stage" in
        guest_payloads) max_len=4096 dict=host_payloads.dict ;;
        claims) max_len=16384 dict=claims.dict ;;
        manifest) max_len=4096 dict=manifest.dict ;;
      esac
      if ! seed_host; then
        summary+=("fuzz_$stage: FAILED: fuzz_host_seeds could not write valid seeds")
        failed=1
        continue
      fi
      run_libfuzzer "$stage" "$host_seeds/$stage" "$max_len" "$dict" "$secs" || failed=1
      ;;
    *)
      echo "fuzz.sh: unknown stage '$stage' in FUZZ_TARGETS" >&2
      exit 2
      ;;
  esac
done

echo "fuzz.sh: summary"
for s in "${summary[@]}"; do echo "  $s"; done
if [ "$failed" -ne 0 ]; then
  echo "fuzz.sh: FAILED" >&2
  exit 1
fi
echo "fuzz.sh: no failure"
