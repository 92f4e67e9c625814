#!/usr/bin/env bash
# Isola's benchmark driver. Builds every benchmark (kernels and the timer with
# bench/Makefile, real programs with bench/programs/fetch-and-build.sh when
# their outputs are missing or stale), then times each one three ways:
#
#   native   build/bench/<kind>/<name>.native         (clang -O2)
#   node     node bench/node-run.mjs <name>.wasm       (V8)
#   isola    $ISOLA run --invoke run <name>.wasm       (ISOLA defaults to build/isola)
#
# Each command runs 1 warm-up + N measured times under bench/timeit, which
# records wall time and the child's CPU time (user+sys); the tables report the
# medians. All three must print the same checksum: a mismatch is flagged in
# the table and makes the script exit 1. If the isola binary is missing or
# fails, its column reads n/a. Results go to bench/results/latest.md, printed.
#
# Usage: bench/run.sh [--only NAME[,NAME...]] [--runs N] [--no-build] [--wait-quiet]
#   --runs N      measured runs per command (default 5)
#   --wait-quiet  before each benchmark, wait (up to 10 min) until other processes
#                 use under 15% of the machine's CPU (for shared machines)
#   env ISOLA=path/to/isola, ISOLA_TIMEOUT=seconds per isola run (default 600)
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT" || exit 2
OUT="$ROOT/build/bench"
RESULTS="$ROOT/bench/results/latest.md"
ISOLA="${ISOLA:-build/isola}"
ISOLA_TIMEOUT="${ISOLA_TIMEOUT:-600}"
RUNS=5
ONLY=""
BUILD=1
WAIT_QUIET=0

usage() { sed -n '2,20p' "$ROOT/bench/run.sh" | sed 's/^# \{0,1\}//'; }
while [ $# -gt 0 ]; do
  case "$1" in
    --only) ONLY="${2:?--only needs a name}"; shift 2 ;;
    --only=*) ONLY="${1#--only=}"; shift ;;
    --runs) RUNS="${2:?--runs needs a number}"; shift 2 ;;
    --runs=*) RUNS="${1#--runs=}"; shift ;;
    --no-build) BUILD=0; shift ;;
    --wait-quiet) WAIT_QUIET=1; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "run.sh: unknown option $1" >&2; usage >&2; exit 2 ;;
  esac
done
case "$RUNS" in ''|*[!0-9]*|0) echo "run.sh: --runs needs a positive integer" >&2; exit 2 ;; esac

log() { echo "run.sh: $*" >&2; }
for tool in make node clang wasm-objdump timeout; do
  command -v "$tool" >/dev/null || { log "missing $tool (run scripts/install-deps.sh)"; exit 2; }
done

# --- build ------------------------------------------------------------------

KERNELS=$(make -s -C bench list)
PROGRAMS="zlib bzip2 sqlite"
TIMEIT="$OUT/timeit"

if [ "$BUILD" = 1 ]; then
  log "building kernels"
  make -s -C bench OUT="$OUT" || { log "kernel build failed"; exit 1; }
  need_programs=0
  for p in $PROGRAMS; do
    for ext in wasm native; do
      f="$OUT/programs/$p.$ext"
      if [ ! -f "$f" ]; then
        need_programs=1
      else
        for src in bench/programs/*.c bench/programs/*.h bench/programs/fetch-and-build.sh \
                   bench/kernels/harness.h bench/native_main.c; do
          [ "$src" -nt "$f" ] && need_programs=1
        done
      fi
    done
  done
  if [ "$need_programs" = 1 ]; then
    log "building programs (bench/programs/fetch-and-build.sh)"
    bench/programs/fetch-and-build.sh || { log "program build failed"; exit 1; }
  fi
fi
[ -x "$TIMEIT" ] || { log "missing $TIMEIT (drop --no-build?)"; exit 1; }

# --- select -----------------------------------------------------------------

BENCHES=() # entries "kind/name"
for k in $KERNELS; do BENCHES+=("kernels/$k"); done
for p in $PROGRAMS; do BENCHES+=("programs/$p"); done
if [ -n "$ONLY" ]; then
  selected=()
  IFS=',' read -ra wanted <<<"$ONLY"
  for w in "${wanted[@]}"; do
    found=0
    for b in "${BENCHES[@]}"; do
      if [ "${b#*/}" = "$w" ]; then selected+=("$b"); found=1; fi
    done
    [ "$found" = 1 ] || { log "no benchmark named '$w' (have: $KERNELS $PROGRAMS)"; exit 2; }
  done
  BENCHES=("${selected[@]}")
fi

for b in "${BENCHES[@]}"; do
  for ext in wasm native; do
    [ -f "$OUT/$b.$ext" ] || { log "missing $OUT/$b.$ext (drop --no-build?)"; exit 1; }
  done
  if wasm-objdump -h "$OUT/$b.wasm" | grep -qE '^[[:space:]]*Import[[:space:]]'; then
    log "$OUT/$b.wasm has imports; benchmarks must have none"
    exit 1
  fi
done

ISOLA_OK=1
if [ ! -x "$ISOLA" ]; then
  log "isola binary '$ISOLA' not found: isola column will read n/a"
  ISOLA_OK=0
fi

# --- measure ----------------------------------------------------------------

TMP="$(mktemp -d /tmp/isola-bench.XXXXXX)"
trap 'rm -rf "$TMP"' EXIT

# Percentage of the machine's CPU time spent busy over one second.
busy_percent() {
  local a b i total=0 idle
  read -ra a < <(head -n 1 /proc/stat)
  sleep 1
  read -ra b < <(head -n 1 /proc/stat)
  # fields: cpu user nice system idle iowait irq softirq steal
  for i in 1 2 3 4 5 6 7 8; do total=$((total + b[i] - a[i])); done
  idle=$((b[4] - a[4] + b[5] - a[5]))
  if [ "$total" -gt 0 ]; then echo $(((total - idle) * 100 / total)); else echo 0; fi
}

NOISY=0
wait_quiet() {
  [ "$WAIT_QUIET" = 1 ] || return 0
  local deadline=$((SECONDS + 600)) busy
  while :; do
    busy="$(busy_percent)"
    [ "$busy" -lt 15 ] && return 0
    if [ "$SECONDS" -ge "$deadline" ]; then
      log "machine still ${busy}% busy after 10 min: measuring anyway"
      NOISY=1
      return 0
    fi
    sleep 4
  done
}

# Last integer printed on stdout (tolerates labels around the value).
checksum_of() { grep -oE -- '-?[0-9]+' | tail -n 1; }

# measure COMMAND...: prints "WALL_MS CPU_MS" (medians), or nothing on failure.
measure() {
  if "$TIMEIT" "$RUNS" 1 "$@" >"$TMP/timeit.out" 2>"$TMP/timeit.err"; then
    awk '$1 == "median" { print $2, $3 }' "$TMP/timeit.out"
  else
    sed 's/^/    /' "$TMP/timeit.err" | head -n 5 >&2
  fi
}

fmt_ms() { if [ -n "$1" ]; then printf '%.1f' "$1"; else printf 'n/a'; fi; }
ratio() { # A/B with 2 decimals, or n/a
  if [ -n "$1" ] && [ -n "$2" ]; then awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; else printf 'n/a'; fi
}

# shellcheck disable=SC2034  # the *_C arrays are read through namerefs in table()
declare -A KIND SUM NOTE NAT_W NAT_C NODE_W NODE_C ISO_W ISO_C
ORDER=()
MISMATCH=0
LOAD_START="$(cut -d' ' -f1-3 /proc/loadavg)"
for b in "${BENCHES[@]}"; do
  name="${b#*/}"
  ORDER+=("$name")
  KIND[$name]="${b%%/*}"
  wasm="$OUT/$b.wasm"
  native="$OUT/$b.native"
  log "$name: checksums"
  sum_native="$("$native" | checksum_of)"
  sum_node="$(node bench/node-run.mjs "$wasm" | checksum_of)"
  sum_isola=""
  note=""
  if [ "$ISOLA_OK" = 1 ]; then
    if out="$(timeout "$ISOLA_TIMEOUT" "$ISOLA" run --invoke run "$wasm" 2>"$TMP/isola.err")"; then
      sum_isola="$(printf '%s\n' "$out" | checksum_of)"
    else
      rc=$?
      if [ "$rc" = 124 ]; then note=" (isola timed out after ${ISOLA_TIMEOUT}s)"; else note=" (isola failed, exit $rc)"; fi
      log "$name: isola failed (exit $rc): $(head -c 300 "$TMP/isola.err")"
    fi
  fi
  status="ok"
  if [ -z "$sum_native" ] || [ "$sum_native" != "$sum_node" ]; then
    status="**MISMATCH** native=$sum_native node=$sum_node"
    MISMATCH=1
  fi
  if [ -n "$sum_isola" ] && [ "$sum_isola" != "$sum_native" ]; then
    status="**MISMATCH** native=$sum_native isola=$sum_isola"
    MISMATCH=1
  fi
  [ "$status" = ok ] || log "$name: $status"
  SUM[$name]="${sum_native:-?}"
  NOTE[$name]="$status$note"

  wait_quiet
  log "$name: timing native"
  read -r NAT_W[$name] NAT_C[$name] < <(measure "$native"; echo)
  log "$name: timing node"
  read -r NODE_W[$name] NODE_C[$name] < <(measure node bench/node-run.mjs "$wasm"; echo)
  # shellcheck disable=SC2034
  ISO_W[$name]="" ISO_C[$name]=""
  if [ -n "$sum_isola" ] && [ "$sum_isola" = "$sum_native" ]; then
    log "$name: timing isola"
    read -r ISO_W[$name] ISO_C[$name] < <(measure timeout "$ISOLA_TIMEOUT" "$ISOLA" run --invoke run "$wasm"; echo)
  fi
  log "$name: wall ms native $(fmt_ms "${NAT_W[$name]}"), node $(fmt_ms "${NODE_W[$name]}"), isola $(fmt_ms "${ISO_W[$name]}")"
done
LOAD_END="$(cut -d' ' -f1-3 /proc/loadavg)"

# geomean KIND ARRAY-A ARRAY-B: geometric mean of A/B over benchmarks of KIND ("" = all).
geomean() {
  local kind="$1" name vals=""
  # shellcheck disable=SC2178
  local -n a="$2" bb="$3"
  for name in "${ORDER[@]}"; do
    [ -n "$kind" ] && [ "${KIND[$name]}" != "$kind" ] && continue
    [ -n "${a[$name]}" ] && [ -n "${bb[$name]}" ] && vals="$vals ${a[$name]}/${bb[$name]}"
  done
  if [ -z "$vals" ]; then printf 'n/a'; return; fi
  echo "$vals" | tr ' ' '\n' | awk -F/ 'NF == 2 { s += log($1 / $2); n++ } END { printf "%.2f", exp(s / n) }'
}

# table SUFFIX (W or C): one Markdown table from the NAT_x, NODE_x, ISO_x arrays.
table() {
  local s="$1" name
  local -n nat="NAT_$s" nod="NODE_$s" iso="ISO_$s"
  echo "| benchmark | native ms | node ms | isola ms | isola/native | isola/node | node/native | checksum |"
  echo "|---|---:|---:|---:|---:|---:|---:|---|"
  for name in "${ORDER[@]}"; do
    echo "| $name | $(fmt_ms "${nat[$name]}") | $(fmt_ms "${nod[$name]}") | $(fmt_ms "${iso[$name]}") |" \
         "$(ratio "${iso[$name]}" "${nat[$name]}") | $(ratio "${iso[$name]}" "${nod[$name]}") |" \
         "$(ratio "${nod[$name]}" "${nat[$name]}") | ${SUM[$name]} ${NOTE[$name]} |"
  done
  local k label
  for k in kernels programs all; do
    label="$k"
    [ "$k" = all ] && k=""
    echo "| **geomean ($label)** | | | | $(geomean "$k" "ISO_$s" "NAT_$s") |" \
         "$(geomean "$k" "ISO_$s" "NODE_$s") | $(geomean "$k" "NODE_$s" "NAT_$s") | |"
  done
}

CPU="$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
{
  echo "# Isola benchmark results"
  echo
  echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo "- machine: $(nproc) cores, ${CPU:-unknown CPU}, $(uname -sr)"
  echo "- load average (1/5/15 min) at start: $LOAD_START, at end: $LOAD_END"
  echo "- toolchain: $(clang --version | head -n 1); node $(node --version)"
  echo "- isola: $([ "$ISOLA_OK" = 1 ] && echo "$ISOLA" || echo "not available ($ISOLA)")"
  echo "- method: whole process, 1 warm-up + $RUNS measured runs each (bench/timeit), medians$([ "$WAIT_QUIET" = 1 ] && echo "; each benchmark started on a quiet machine (--wait-quiet)")"
  if [ "$NOISY" = 1 ]; then echo "- WARNING: some benchmarks ran while other processes kept the machine busy"; fi
  echo
  echo "## Wall time (median)"
  echo
  table W
  echo
  echo "## CPU time, user + system (median)"
  echo
  echo "Less sensitive than wall time to other processes sharing the machine."
  echo
  table C
} >"$TMP/latest.md"

mkdir -p "$(dirname "$RESULTS")"
cp "$TMP/latest.md" "$RESULTS"
cat "$RESULTS"
log "wrote $RESULTS"
if [ "$MISMATCH" = 1 ]; then
  log "checksum mismatch: see the table"
  exit 1
fi
