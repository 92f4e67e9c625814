#!/usr/bin/env bash
# WASI benchmarks: what Isola's WASI kernel costs, measured against the same C
# compiled natively and against node (V8) running the same .wasm with node:wasi.
#
#   hello       C hello world: process start to exit (decode, instantiate, WASI
#               set-up, one write, exit); median wall time of --runs runs
#   clock_loop  1,000,000 monotonic clock reads (wasm: clock_time_get called directly;
#               native: clock_gettime); ns per call as the program measures it
#   fileio      write a 100 MiB file in 64 KiB write()s to a preopened directory,
#               read it back in 64 KiB read()s, check, remove; each phase as the
#               program measures it, and wall time; on tmpfs (/dev/shm) and on disk
#               (build/bench/wasi/io)
#
# wasm: clang --target=wasm32-wasi -O2; native: clang -O2; all built into
# build/bench/wasi/ (with bench/timeit.c, which runs a command N times and reports
# median wall and CPU time). Every runner must print the same result line (the
# checksums agree) or the script exits 1. If isola is missing or cannot run the
# programs (no WASI yet), its column reads n/a. Results: build/bench/wasi/latest.md,
# also printed.
#
# Usage: bench/wasi/run.sh [--runs N] [--only NAME[,NAME...]] [--no-build] [--dir DIR]...
#   --runs N    runs of hello per runner (default 200, after 20 warm-up runs);
#               clock_loop and fileio run max(5, N/20) times per runner (default 10),
#               round-robin across the runners
#   --dir DIR   run fileio in DIR instead of the defaults (repeatable)
#   env ISOLA=path/to/isola (default build/isola), NODE=node
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT" || exit 2
HERE="$ROOT/bench/wasi"
OUT="$ROOT/build/bench/wasi"
RESULTS="$OUT/latest.md"
ISOLA="${ISOLA:-build/isola}"
NODE="${NODE:-node}"
RUNS=200
ONLY=""
BUILD=1
DIRS=()

usage() { sed -n '2,26p' "$HERE/run.sh" | sed 's/^# \{0,1\}//'; }
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) RUNS="${2:?--runs needs a number}"; shift 2 ;;
    --runs=*) RUNS="${1#--runs=}"; shift ;;
    --only) ONLY="${2:?--only needs a name}"; shift 2 ;;
    --only=*) ONLY="${1#--only=}"; shift ;;
    --no-build) BUILD=0; shift ;;
    --dir) DIRS+=("${2:?--dir needs a directory}"); shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "wasi/run.sh: unknown option $1" >&2; usage >&2; exit 2 ;;
  esac
done
case "$RUNS" in ''|*[!0-9]*|0) echo "wasi/run.sh: --runs needs a positive integer" >&2; exit 2 ;; esac
HEAVY_RUNS=$((RUNS / 20))
[ "$HEAVY_RUNS" -lt 5 ] && HEAVY_RUNS=5
WARMUP=$((RUNS / 10))
[ "$WARMUP" -lt 1 ] && WARMUP=1
[ "$WARMUP" -gt 20 ] && WARMUP=20

log() { echo "wasi/run.sh: $*" >&2; }
for tool in clang "$NODE"; do
  command -v "$tool" >/dev/null || { log "missing $tool (run scripts/install-deps.sh)"; exit 2; }
done
selected() { [ -z "$ONLY" ] || [[ ",$ONLY," == *",$1,"* ]]; }
for n in ${ONLY//,/ }; do
  case "$n" in hello|clock_loop|fileio) ;; *) log "no benchmark named '$n' (have: hello clock_loop fileio)"; exit 2 ;; esac
done

# --- build ------------------------------------------------------------------------

PROGRAMS="hello clock_loop fileio"
TIMEIT="$OUT/timeit"
WASM_BUILD="clang --target=wasm32-wasi -O2 -Wall -Wextra -o OUT.wasm bench/wasi/NAME.c"
NATIVE_BUILD="clang -O2 -Wall -Wextra -o OUT.native bench/wasi/NAME.c"
if [ "$BUILD" = 1 ]; then
  mkdir -p "$OUT"
  if [ ! -x "$TIMEIT" ] || [ bench/timeit.c -nt "$TIMEIT" ]; then
    clang -O2 -Wall -Wextra -o "$TIMEIT" bench/timeit.c || { log "timeit build failed"; exit 1; }
  fi
  for p in $PROGRAMS; do
    if [ ! -f "$OUT/$p.wasm" ] || [ "$HERE/$p.c" -nt "$OUT/$p.wasm" ]; then
      log "wasm   $p"
      clang --target=wasm32-wasi -O2 -Wall -Wextra -o "$OUT/$p.wasm" "$HERE/$p.c" || { log "build failed"; exit 1; }
    fi
    if [ ! -f "$OUT/$p.native" ] || [ "$HERE/$p.c" -nt "$OUT/$p.native" ]; then
      log "native $p"
      clang -O2 -Wall -Wextra -o "$OUT/$p.native" "$HERE/$p.c" || { log "build failed"; exit 1; }
    fi
  done
fi
for p in $PROGRAMS; do
  for ext in wasm native; do
    [ -f "$OUT/$p.$ext" ] || { log "missing $OUT/$p.$ext (drop --no-build?)"; exit 1; }
  done
done
[ -x "$TIMEIT" ] || { log "missing $TIMEIT (drop --no-build?)"; exit 1; }

if [ ${#DIRS[@]} -eq 0 ]; then
  if [ -d /dev/shm ] && [ -w /dev/shm ]; then DIRS+=(/dev/shm); fi
  DIRS+=("$OUT/io")
fi
for d in "${DIRS[@]}"; do
  mkdir -p "$d" || { log "cannot create $d"; exit 1; }
done

# --- runners ----------------------------------------------------------------------

TMP="$(mktemp -d /tmp/isola-wasi-bench.XXXXXX)"
trap 'rm -rf "$TMP"' EXIT
NODE_WASI=("$NODE" --no-warnings "$HERE/node-wasi.mjs")

# cmd RUNNER PROG [DIR] -- ARGS...: prints the command line (one word per line).
# fileio gets DIR preopened as /bench.
cmd() {
  local runner="$1" prog="$2" dir="${3:-}"
  shift 3
  [ "${1:-}" = -- ] && shift
  case "$runner" in
    native) printf '%s\n' "$OUT/$prog.native" "$@" ;;
    node)
      if [ -n "$dir" ]; then printf '%s\n' "${NODE_WASI[@]}" --dir "$dir::/bench" "$OUT/$prog.wasm" "$@"
      else printf '%s\n' "${NODE_WASI[@]}" "$OUT/$prog.wasm" "$@"; fi ;;
    isola)
      if [ -n "$dir" ]; then printf '%s\n' "$ISOLA" run --dir "$dir::/bench" "$OUT/$prog.wasm" "$@"
      else printf '%s\n' "$ISOLA" run "$OUT/$prog.wasm" "$@"; fi ;;
  esac
}
# argv RUNNER PROG [DIR] [ARGS...] -> sets array A
argv_of() {
  local runner="$1" prog="$2" dir="$3"
  shift 3
  local args=("$@")
  if [ "$prog" = fileio ]; then
    if [ "$runner" = native ]; then args=("$dir" "${args[@]}"); else args=(/bench "${args[@]}"); fi
  fi
  mapfile -t A < <(cmd "$runner" "$prog" "$([ "$prog" = fileio ] && echo "$dir")" -- "${args[@]}")
}
show() { local w out=""; for w in "$@"; do out+="$(printf '%q ' "$w")"; done; echo "${out% }"; }

RUNNERS="native node isola"
ISOLA_OK=1
ISOLA_NOTE=""
if [ ! -x "$ISOLA" ]; then
  ISOLA_OK=0
  ISOLA_NOTE="isola binary '$ISOLA' not found"
else
  out="$(timeout 60 "$ISOLA" run "$OUT/hello.wasm" 2>"$TMP/isola.err")"
  rc=$?
  if [ "$rc" != 0 ] || [ "$out" != "hello, world" ]; then
    ISOLA_OK=0
    ISOLA_NOTE="'$ISOLA run hello.wasm' failed (exit $rc): $(head -c 200 "$TMP/isola.err" | tr '\n' ' ')"
  fi
fi
[ "$ISOLA_OK" = 1 ] || log "$ISOLA_NOTE: isola column will read n/a"

median() { sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) exit; if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
fmt() { if [ -n "$1" ]; then printf "%.${2:-2f}" "$1"; else printf 'n/a'; fi; }
ratio() { if [ -n "$1" ] && [ -n "$2" ]; then awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; else printf 'n/a'; fi; }

# timed RUNS WARMUP COMMAND...: "WALL_MS CPU_MS" medians from timeit, or nothing.
timed() {
  local runs="$1" warm="$2"
  shift 2
  if "$TIMEIT" "$runs" "$warm" "$@" >"$TMP/timeit.out" 2>"$TMP/timeit.err"; then
    awk '$1 == "median" { print $2, $3 }' "$TMP/timeit.out"
  else
    sed 's/^/    /' "$TMP/timeit.err" | head -n 5 >&2
  fi
}

declare -A WALL CPU NS WMS RMS COMMAND
MISMATCH=0
LOAD_START="$(cut -d' ' -f1-3 /proc/loadavg)"

# --- hello ------------------------------------------------------------------------
if selected hello; then
  for r in $RUNNERS; do
    [ "$r" = isola ] && [ "$ISOLA_OK" = 0 ] && continue
    argv_of "$r" hello ""
    COMMAND[hello.$r]="$(show "$TIMEIT" "$RUNS" "$WARMUP" "${A[@]}")"
    got="$("${A[@]}" 2>"$TMP/err")"
    if [ "$got" != "hello, world" ]; then
      log "hello under $r printed '$got': $(head -c 200 "$TMP/err")"; MISMATCH=1; continue
    fi
    log "hello: $r ($RUNS runs)"
    read -r "WALL[hello.$r]" "CPU[hello.$r]" < <(timed "$RUNS" "$WARMUP" "${A[@]}"; echo)
  done
fi

# Heavy benchmarks run round-robin (native, node, isola, native, ...) so that a noisy
# neighbour slows every runner alike; each run's wall time (bash's EPOCHREALTIME around
# the run: fork, exec, the whole process) and the program's own figures come from the
# same run.

# one_run KEY COMMAND...: runs once, appends the output line to $TMP/KEY.lines and the
# wall ms to $TMP/KEY.wall; returns 1 on failure.
one_run() {
  local key="$1" t0 t1 line
  shift
  t0=$EPOCHREALTIME
  line="$("$@" 2>"$TMP/err")" || { log "$key failed: $(head -c 300 "$TMP/err")"; return 1; }
  t1=$EPOCHREALTIME
  echo "$line" >>"$TMP/$key.lines"
  awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f\n", (b - a) * 1000 }' >>"$TMP/$key.wall"
}

# --- clock_loop -------------------------------------------------------------------
if selected clock_loop; then
  declare -A CLOCK_OK
  for r in $RUNNERS; do
    [ "$r" = isola ] && [ "$ISOLA_OK" = 0 ] && continue
    argv_of "$r" clock_loop "" 1000000
    COMMAND[clock.$r]="$(show "${A[@]}")"
    CLOCK_OK[$r]=1
    : >"$TMP/clock.$r.lines"; : >"$TMP/clock.$r.wall"
  done
  log "clock_loop: $HEAVY_RUNS rounds of ${!CLOCK_OK[*]}"
  for _ in $(seq 1 "$HEAVY_RUNS"); do
    for r in $RUNNERS; do
      [ "${CLOCK_OK[$r]:-0}" = 1 ] || continue
      argv_of "$r" clock_loop "" 1000000
      one_run "clock.$r" "${A[@]}" || CLOCK_OK[$r]=0
    done
  done
  for r in $RUNNERS; do
    [ "${CLOCK_OK[$r]:-0}" = 1 ] || continue
    if grep -qv '^clock_loop: 1000000 calls, .* ns/call, checksum 1$' "$TMP/clock.$r.lines"; then
      log "clock_loop under $r printed: $(grep -v 'checksum 1$' "$TMP/clock.$r.lines" | head -n 1)"
      MISMATCH=1
      continue
    fi
    NS[clock.$r]="$(awk '{ print $4 }' "$TMP/clock.$r.lines" | median)"
    WALL[clock.$r]="$(median <"$TMP/clock.$r.wall")"
  done
fi

# --- fileio -----------------------------------------------------------------------
if selected fileio; then
  for d in "${DIRS[@]}"; do
    declare -A IO_OK=()
    for r in $RUNNERS; do
      [ "$r" = isola ] && [ "$ISOLA_OK" = 0 ] && continue
      argv_of "$r" fileio "$d"
      COMMAND[fileio.$d.$r]="$(show "${A[@]}")"
      IO_OK[$r]=1
      : >"$TMP/io.$r.lines"; : >"$TMP/io.$r.wall"
    done
    log "fileio in $d: $HEAVY_RUNS rounds of ${!IO_OK[*]}"
    for _ in $(seq 1 "$HEAVY_RUNS"); do
      for r in $RUNNERS; do
        [ "${IO_OK[$r]:-0}" = 1 ] || continue
        argv_of "$r" fileio "$d"
        one_run "io.$r" "${A[@]}" || IO_OK[$r]=0
      done
    done
    # fileio: 100 MiB, write W ms (X MB/s), read R ms (Y MB/s), checksum C
    want_sum="$(awk 'NR == 1 { print $NF }' "$TMP/io.native.lines")"
    for r in $RUNNERS; do
      [ "${IO_OK[$r]:-0}" = 1 ] || continue
      k="fileio.$d.$r"
      if awk -v want="$want_sum" '$NF != want { bad = 1 } END { exit !bad }' "$TMP/io.$r.lines"; then
        log "fileio under $r: checksum differs from native's $want_sum"
        MISMATCH=1
        continue
      fi
      WMS[$k]="$(awk '{ print $5 }' "$TMP/io.$r.lines" | median)"
      RMS[$k]="$(awk '{ print $10 }' "$TMP/io.$r.lines" | median)"
      WALL[$k]="$(median <"$TMP/io.$r.wall")"
    done
  done
fi
LOAD_END="$(cut -d' ' -f1-3 /proc/loadavg)"

# --- report -----------------------------------------------------------------------
CPU_MODEL="$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
fs_of() { df -PT "$1" 2>/dev/null | awk 'NR == 2 { print $2 }'; }
{
  echo "# Isola WASI benchmark results"
  echo
  echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo "- machine: $(nproc) cores, ${CPU_MODEL:-unknown CPU}, $(uname -sr)"
  echo "- load average (1/5/15 min) at start: $LOAD_START, at end: $LOAD_END"
  echo "- toolchain: $(clang --version | head -n 1); node $("$NODE" --version)"
  echo "- isola: $ISOLA$([ "$ISOLA_OK" = 1 ] || echo " — n/a: $ISOLA_NOTE")"
  echo
  if selected hello; then
    echo "## hello: one process, start to exit (median of $RUNS runs, $WARMUP warm-up)"
    echo
    echo "| runner | wall ms | CPU ms | vs native | isola vs this |"
    echo "|---|---:|---:|---:|---:|"
    for r in $RUNNERS; do
      echo "| $r | $(fmt "${WALL[hello.$r]:-}") | $(fmt "${CPU[hello.$r]:-}") |" \
           "$(ratio "${WALL[hello.$r]:-}" "${WALL[hello.native]:-}") |" \
           "$(ratio "${WALL[hello.isola]:-}" "${WALL[hello.$r]:-}") |"
    done
    echo
  fi
  if selected clock_loop; then
    echo "## clock_loop: 1,000,000 monotonic clock reads (median of $HEAVY_RUNS runs)"
    echo
    echo "| runner | ns per call | vs native | process wall ms |"
    echo "|---|---:|---:|---:|"
    for r in $RUNNERS; do
      echo "| $r | $(fmt "${NS[clock.$r]:-}" 1f) | $(ratio "${NS[clock.$r]:-}" "${NS[clock.native]:-}") |" \
           "$(fmt "${WALL[clock.$r]:-}" 1f) |"
    done
    echo
  fi
  if selected fileio; then
    echo "## fileio: 100 MiB written and read back in 64 KiB calls (median of $HEAVY_RUNS runs)"
    echo
    echo "| directory | runner | write ms | read ms | write+read vs native | process wall ms | wall vs native |"
    echo "|---|---|---:|---:|---:|---:|---:|"
    for d in "${DIRS[@]}"; do
      for r in $RUNNERS; do
        k="fileio.$d.$r" n="fileio.$d.native"
        io="" nio=""
        [ -n "${WMS[$k]:-}" ] && io="$(awk -v a="${WMS[$k]}" -v b="${RMS[$k]}" 'BEGIN { print a + b }')"
        [ -n "${WMS[$n]:-}" ] && nio="$(awk -v a="${WMS[$n]}" -v b="${RMS[$n]}" 'BEGIN { print a + b }')"
        echo "| $d ($(fs_of "$d")) | $r | $(fmt "${WMS[$k]:-}" 1f) | $(fmt "${RMS[$k]:-}" 1f) |" \
             "$(ratio "$io" "$nio") | $(fmt "${WALL[$k]:-}" 1f) | $(ratio "${WALL[$k]:-}" "${WALL[$n]:-}") |"
      done
    done
    echo
  fi
  echo "## Commands"
  echo
  echo "Built with \`$WASM_BUILD\` and \`$NATIVE_BUILD\`. hello is timed with"
  echo "bench/timeit.c (\`timeit RUNS WARMUP COMMAND...\`: fork+exec per run, stdout to /dev/null,"
  echo "medians of wall and CPU time); clock_loop and fileio run round-robin across the runners,"
  echo "$HEAVY_RUNS rounds, each run timed from outside (bash \$EPOCHREALTIME) and by itself."
  echo
  echo '```'
  for k in $(printf '%s\n' "${!COMMAND[@]}" | sort); do
    echo "${COMMAND[$k]}"
  done
  echo '```'
} >"$TMP/results.md"
mkdir -p "$(dirname "$RESULTS")"
cp "$TMP/results.md" "$RESULTS"
cat "$RESULTS"
if [ "$MISMATCH" = 1 ]; then
  log "some runner printed a wrong result: see the messages above"
  exit 1
fi
