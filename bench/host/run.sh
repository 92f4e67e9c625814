#!/usr/bin/env bash
# HTTP benchmarks of `isola up` with wrk on loopback, beside nginx serving a static hello
# from the same machine (the ceiling of the HTTP path):
#
#   nginx       static "Hello" from nginx (1 worker per core)
#   wapc-hello  examples/wapc-hello: a waPC actor, fresh instance per request
#   hello       examples/hello: a WAGI (CGI over WASI) C program, fresh instance per request
#   counter     examples/counter: the signed waPC counter, an increment in SQLite per request
#
# Each runs for DURATION (default 10s) with wrk -t2 -cCONNS (default 32), ROUNDS times
# (default 3) in turn; the table gives the median requests/s and the median p50/p99
# latency, and for isola the mean instance time per request from its access log.
# Results: build/bench/host/latest.md, printed.
#
#   bench/host/run.sh [DURATION] [ROUNDS] [CONNS]      (after a build into build/, or
#                                                      ISOLA_BUILD_DIR)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
build="${ISOLA_BUILD_DIR:-$root/build}"
DURATION="${1:-10s}"
ROUNDS="${2:-3}"
CONNS="${3:-32}"
out="$build/bench/host"
mkdir -p "$out"
tmp="$(mktemp -d)"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  rm -rf "$tmp"
}
trap cleanup EXIT

command -v wrk >/dev/null || { echo "bench/host: wrk missing (scripts/install-deps.sh)"; exit 1; }
if ! command -v nginx >/dev/null; then
  # Not in install-deps.sh: its postinst tries to start a service, which fails on machines
  # without an init system; that must not break CI.
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nginx-light >/dev/null ||
    dpkg --configure -a >/dev/null || true
fi

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() { for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.1; done; return 1; }

# nginx: a static hello on its own port, in the foreground under our control.
nginx_port=$(free_port)
mkdir -p "$tmp/nginx/logs"
cat >"$tmp/nginx/nginx.conf" <<CONF
worker_processes auto;
pid $tmp/nginx/nginx.pid;
error_log $tmp/nginx/logs/error.log;
daemon off;
events { worker_connections 4096; }
http {
  access_log off;
  server {
    listen 127.0.0.1:$nginx_port;
    location / { default_type text/plain; return 200 "Hello\n"; }
  }
}
CONF
nginx -p "$tmp/nginx" -c "$tmp/nginx/nginx.conf" &
pids+=($!)

# start_isola NAME MANIFEST: starts isola up on a free port and sets $port. Not called in
# $(...): a subshell's pids+=() would be lost, and the server would outlive the script.
start_isola() {
  local name="$1" manifest="$2"
  port=$(free_port)
  ISOLA_STATE_DIR="$tmp/state-$name" "$build/isola" up "$manifest" --listen "127.0.0.1:$port" \
    --log-level info 2>"$tmp/$name.log" >/dev/null &
  pids+=($!)
}
ISOLA_WAPC_HELLO_WASM="$build/examples/wapc_hello.wasm" start_isola wapc-hello "$root/examples/wapc-hello/isola.toml"
wapc_port=$port
ISOLA_HELLO_WASM="$build/examples/hello.wasm" start_isola hello "$root/examples/hello/isola.toml"
hello_port=$port
start_isola counter "$build/examples/counter/isola.toml"
counter_port=$port
for p in "$nginx_port" "$wapc_port" "$hello_port" "$counter_port"; do
  wait_port "$p" || { echo "bench/host: nothing listens on $p"; cat "$tmp"/*.log; exit 1; }
done

declare -A url=(
  [nginx]="http://127.0.0.1:$nginx_port/"
  [wapc-hello]="http://127.0.0.1:$wapc_port/"
  [hello]="http://127.0.0.1:$hello_port/hello"
  [counter]="http://127.0.0.1:$counter_port/counter"
)
names=(nginx wapc-hello hello counter)
for n in "${names[@]}"; do curl -sf "${url[$n]}" >/dev/null || { echo "bench/host: $n does not answer"; exit 1; }; done

# wrk's --latency output: "Requests/sec:  N", and the "50%" / "99%" lines.
to_ms() { awk '{ v=$1; if (v ~ /us$/) { sub(/us$/,"",v); v/=1000 } else if (v ~ /ms$/) { sub(/ms$/,"",v) } else if (v ~ /s$/) { sub(/s$/,"",v); v*=1000 } printf "%.3f", v }'; }
for r in $(seq "$ROUNDS"); do
  for n in "${names[@]}"; do
    wrk -t2 -c"$CONNS" -d"$DURATION" --latency "${url[$n]}" >"$tmp/wrk.out"
    rps=$(awk '/^Requests\/sec:/ { print $2 }' "$tmp/wrk.out")
    p50=$(awk '$1 == "50%" { print $2 }' "$tmp/wrk.out" | to_ms)
    p99=$(awk '$1 == "99%" { print $2 }' "$tmp/wrk.out" | to_ms)
    non2xx=$(awk '/Non-2xx/ { print $NF }' "$tmp/wrk.out")
    echo "$n $rps $p50 $p99 ${non2xx:-0}" >>"$tmp/results"
  done
done

median() { sort -g | awk '{ a[NR] = $1 } END { print (NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2) }'; }
instance_ms() {  # mean instance_ms over the access log of one isola
  grep '"log":"access"' "$tmp/$1.log" | sed -n 's/.*"instance_ms":\([0-9.e-]*\).*/\1/p' |
    awk '{ s += $1; n++ } END { if (n) printf "%.3f", s / n; else printf "n/a" }'
}
nginx_rps=$(awk '$1 == "nginx" { print $2 }' "$tmp/results" | median)
{
  echo "wrk -t2 -c$CONNS -d$DURATION, $ROUNDS rounds, medians; $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
  echo
  echo "| server | requests/s | vs nginx | p50 ms | p99 ms | non-2xx | instance ms/request |"
  echo "|---|---:|---:|---:|---:|---:|---:|"
  for n in "${names[@]}"; do
    rps=$(awk -v n="$n" '$1 == n { print $2 }' "$tmp/results" | median)
    p50=$(awk -v n="$n" '$1 == n { print $3 }' "$tmp/results" | median)
    p99=$(awk -v n="$n" '$1 == n { print $4 }' "$tmp/results" | median)
    bad=$(awk -v n="$n" '$1 == n { s += $5 } END { print s + 0 }' "$tmp/results")
    inst=$([ "$n" = nginx ] && echo "–" || instance_ms "$n")
    printf "| %s | %.0f | %.2f | %s | %s | %s | %s |\n" "$n" "$rps" "$(echo "$rps $nginx_rps" | awk '{ print $1 / $2 }')" \
      "$p50" "$p99" "$bad" "$inst"
  done
} | tee "$out/latest.md"
