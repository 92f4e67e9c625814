#!/usr/bin/env bash
# Guard pages vs explicit bounds checks on the CPU kernels: interleaved A/B runs of the
# same isola binary with --memory-mode guard and --memory-mode bounds, in random order
# per round, so load from other processes hits both alike. Reports, per kernel, the median
# CPU time of each mode over the rounds and the ratio bounds/guard, and the geometric mean.
#
#   bench/memory_modes.sh [ROUNDS]     (default 7; run bench/run.sh once first to build)
#   env ISOLA=path/to/isola (default build/isola)
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS="${1:-7}"
ISOLA="${ISOLA:-build/isola}"
TIMEIT=build/bench/timeit
KERNELS=(calls hashmap intloop mandelbrot matmul memcopy nbody sha256 sieve sort vm)
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
for r in $(seq "$ROUNDS"); do
  for k in "${KERNELS[@]}"; do
    for mode in $(printf 'guard\nbounds\n' | shuf); do
      # timeit N warmup CMD...: prints "median WALL CPU"
      "$TIMEIT" 1 0 "$ISOLA" run --memory-mode "$mode" --invoke run "build/bench/kernels/$k.wasm" \
        | awk -v k="$k" -v m="$mode" '$1 == "median" { print k, m, $3 }' >>"$TMP/times"
    done
  done
done
awk '
  { t[$1 " " $2] = t[$1 " " $2] " " $3; names[$1] = 1 }
  function median(s,   a, n, i, j, x) {
    n = split(s, a, " ")
    for (i = 2; i <= n; i++) { x = a[i]; for (j = i - 1; j >= 1 && a[j] > x; j--) a[j + 1] = a[j]; a[j + 1] = x }
    return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
  }
  END {
    lg = 0; n = 0
    for (k in names) {
      g = median(t[k " guard"]); b = median(t[k " bounds"])
      printf "| %s | %.3f | %.3f | %.3f |\n", k, g, b, b / g > "/dev/stderr"
      lg += log(b / g); n++
    }
    printf "| **geomean** | | | **%.3f** |\n", exp(lg / n)
  }' "$TMP/times" 2>"$TMP/rows" >"$TMP/geo"
echo "| kernel | guard CPU s | bounds CPU s | bounds/guard |"
echo "|---|---:|---:|---:|"
sort "$TMP/rows"
cat "$TMP/geo"
