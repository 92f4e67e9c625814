#!/usr/bin/env bash
# Isola's own CPU per request for the waPC hello actor, for A/B comparisons of builds:
# on this shared 2-core machine requests/s moves by up to 40 % between identical runs,
# while CPU time per request (user + system, from /proc/PID/stat around a wrk run) is
# steadier. Each round starts every binary in turn, warms it for 1 s, then measures a 4 s
# wrk -t2 -c32 run; prints the per-binary medians over the rounds.
#
#   bench/host/cpu_ab.sh ROUNDS ISOLA_BINARY...        (examples built into build/, or
#                                                      ISOLA_BUILD_DIR)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
build="${ISOLA_BUILD_DIR:-$root/build}"
rounds="${1:?usage: cpu_ab.sh ROUNDS ISOLA_BINARY...}"
shift
[ $# -gt 0 ] || { echo "cpu_ab.sh: no binaries given" >&2; exit 2; }
command -v wrk >/dev/null || { echo "cpu_ab.sh: wrk missing (scripts/install-deps.sh)" >&2; exit 1; }
tmp="$(mktemp -d)"
pid=""
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
tck=$(getconf CLK_TCK)
for _ in $(seq "$rounds"); do
  for bin in "$@"; do
    ISOLA_STATE_DIR="$tmp/state" ISOLA_WAPC_HELLO_WASM="$build/examples/wapc_hello.wasm" \
      "$bin" up "$root/examples/wapc-hello/isola.toml" --listen "127.0.0.1:$port" >/dev/null 2>"$tmp/log" &
    pid=$!
    for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.05; done
    wrk -t2 -c32 -d1s "http://127.0.0.1:$port/" >/dev/null
    read -r u0 s0 < <(awk '{print $14, $15}' "/proc/$pid/stat")
    out=$(wrk -t2 -c32 -d4s "http://127.0.0.1:$port/")
    read -r u1 s1 < <(awk '{print $14, $15}' "/proc/$pid/stat")
    kill "$pid"
    wait "$pid" 2>/dev/null || true
    pid=""
    n=$(grep -o "[0-9]* requests in" <<<"$out" | awk '{print $1}')
    rps=$(grep Requests/sec <<<"$out" | awk '{print $2}')
    awk -v b="$bin" -v n="$n" -v rps="$rps" -v u=$((u1 - u0)) -v s=$((s1 - s0)) -v t="$tck" \
      'BEGIN { printf "%s %.0f %.2f %.2f\n", b, rps, u / t * 1e6 / n, s / t * 1e6 / n }' >>"$tmp/raw"
  done
done
python3 - "$tmp/raw" <<'PY'
import collections, statistics, sys
runs = collections.defaultdict(list)
for line in open(sys.argv[1]):
    b, rps, u, s = line.split()
    runs[b].append((float(rps), float(u), float(s)))
for b, v in runs.items():
    med = lambda xs: statistics.median(xs)
    print(f"{b}: requests/s {med(x[0] for x in v):.0f}, user {med(x[1] for x in v):.1f} us, "
          f"system {med(x[2] for x in v):.1f} us, total {med(x[1] + x[2] for x in v):.1f} us per request "
          f"({len(v)} rounds)")
PY
