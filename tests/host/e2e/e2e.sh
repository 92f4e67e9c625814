#!/usr/bin/env bash
# End-to-end tests of `isola up`: e2e.sh CASE ISOLA EXAMPLES_DIR GUESTS_DIR SOURCE_DIR
# Each case starts the real binary on 127.0.0.1 with port 0 and a temp state directory,
# drives it with curl and raw sockets (bash /dev/tcp), and stops it. Every wait is bounded.
set -u
CASE=$1 ISOLA=$2 EX=$3 GUESTS=$4 SRC=$5
T=$(mktemp -d /tmp/isola-e2e.XXXXXX)
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null; done
  rm -rf "$T"
}
trap cleanup EXIT

fail() {
  echo "FAIL ($CASE): $*" >&2
  if [ -n "${LOG:-}" ] && [ -f "$LOG" ]; then echo "--- host log:" >&2; tail -n 30 "$LOG" >&2; fi
  exit 1
}
expect_eq() { [ "$1" == "$2" ] || fail "$3: expected '$2', got '$1'"; }
expect_has() { grep -qF -- "$2" <<<"$1" || fail "$3: expected to contain '$2', got '$1'"; }

# start MANIFEST [ARGS...]: runs isola up in the background; sets PID, PORT, BASE, LOG.
N=0
start() {
  N=$((N + 1))
  LOG=$T/log.$N
  "$ISOLA" up "$@" --listen 127.0.0.1:0 --state-dir "$T/state" >"$T/out.$N" 2>"$LOG" &
  PID=$!
  PIDS+=("$PID")
  for _ in $(seq 1 200); do
    if grep -q "listening on" "$T/out.$N" 2>/dev/null; then break; fi
    kill -0 "$PID" 2>/dev/null || fail "isola up exited early: $(cat "$LOG")"
    sleep 0.05
  done
  PORT=$(sed -n 's/^isola: listening on http:\/\/127\.0\.0\.1:\([0-9]*\)$/\1/p' "$T/out.$N")
  [ -n "$PORT" ] || fail "no 'listening on' line: $(cat "$T/out.$N") $(cat "$LOG")"
  BASE=http://127.0.0.1:$PORT
}
# stop: SIGTERM, and the host must exit 0 within 15 s.
stop() {
  kill -TERM "$PID"
  for _ in $(seq 1 300); do kill -0 "$PID" 2>/dev/null || break; sleep 0.05; done
  kill -0 "$PID" 2>/dev/null && fail "isola up still running 15 s after SIGTERM"
  wait "$PID"
  expect_eq "$?" 0 "exit status after SIGTERM"
}
# log_within CMD...: true once CMD (reading "$LOG") succeeds, trying for up to 2 s. Info
# lines (access, guest output) reach the log within isola up's flush interval (20 ms);
# warnings and errors at once.
log_within() { for _ in $(seq 40); do "$@" && return 0; sleep 0.05; done; return 1; }
get() { curl -s --max-time 20 "$@"; }
status() { curl -s -o /dev/null -w '%{http_code}' --max-time 20 "$@"; }
# raw REQUEST_TEXT: sends bytes on a fresh connection and prints the status line.
raw() {
  exec 3<>"/dev/tcp/127.0.0.1/$PORT" || fail "connect"
  printf '%b' "$1" >&3
  timeout 10 head -n 1 <&3 | tr -d '\r'
  exec 3<&- 3>&-
}

counter_manifest() {  # the build's counter manifest, with the actor linked to $1 values
  cat >"$T/counter.toml" <<EOT
[app]
name = "counter"
[claims]
trusted_issuers = ["$(cat "$EX/keys/account.pub")"]
[[component]]
id = "counter"
source = "$EX/counter.signed.wasm"
[component.limits]
timeout = "5s"
[[component.link]]
contract = "wascc:keyvalue"
values = { $1 }
[[route]]
path = "/counter"
component = "counter"
EOT
}

misc_manifest() {
  cat >"$T/misc.toml" <<EOT
[[component]]
id = "misc"
source = "$GUESTS/e2e_misc.wasm"
[component.limits]
max_memory = "8MiB"
timeout = "500ms"
[[component]]
id = "slow"
source = "$GUESTS/e2e_misc.wasm"
[component.limits]
timeout = "3s"
max_concurrent = 1
[[component]]
id = "hello"
source = "$EX/hello.wasm"
[[route]]
path = "/misc/..."
component = "misc"
[[route]]
path = "/slow/..."
component = "slow"
[[route]]
path = "/hello/..."
methods = ["GET"]
component = "hello"
EOT
}

# caps_manifest MODULE ALLOW_UNSIGNED HTTP_ALLOWED: the caps actor linked to keyvalue and,
# if HTTP_ALLOWED is not "-", to the HTTP client with that allow-list.
caps_manifest() {
  {
    cat <<EOT
[[component]]
id = "caps"
source = "$1"
allow_unsigned = $2
[[component.link]]
contract = "wascc:keyvalue"
EOT
    if [ "$3" != "-" ]; then
      cat <<EOT
[[component.link]]
contract = "wascc:http_client"
values = { allowed_hosts = "$3", timeout_ms = 5000 }
EOT
    fi
    cat <<EOT
[[component]]
id = "hello"
source = "$EX/hello.wasm"
[[route]]
path = "/caps/..."
component = "caps"
[[route]]
path = "/hello/..."
component = "hello"
EOT
  } >"$T/caps.toml"
}

# keygen NAME TYPE: a new key pair, the seed in $T/NAME.nk and the public key in $T/NAME.pub.
keygen() {
  "$ISOLA" keys gen --type "$2" -o "$T/$1.nk" >"$T/$1.pub" 2>"$T/keygen.err" || fail "keys gen $1: $(cat "$T/keygen.err")"
}
# sign IN OUT ISSUER SUBJECT [CLAIMS OPTIONS...]: isola claims sign with $T/ISSUER.nk, $T/SUBJECT.nk.
sign() {
  local in=$1 out=$2 issuer=$3 subject=$4
  shift 4
  "$ISOLA" claims sign "$in" -o "$out" --issuer "$T/$issuer.nk" --subject "$T/$subject.nk" "$@" 2>"$T/sign.err" ||
    fail "claims sign $out: $(cat "$T/sign.err")"
}
# up_refused MANIFEST: isola up must exit without serving; sets RC and ERR (its stderr).
up_refused() {
  timeout 20 "$ISOLA" up "$1" --listen 127.0.0.1:0 --state-dir "$T/state" >"$T/refused.out" 2>"$T/refused.err"
  RC=$?
  ERR=$(cat "$T/refused.err")
  [ "$RC" -ne 124 ] || fail "isola up $1 still running after 20 s (it should have refused to start)"
  grep -q "listening on" "$T/refused.out" && fail "isola up $1 started listening: $ERR"
}

case $CASE in
hello)
  ISOLA_HELLO_WASM=$EX/hello.wasm start "$SRC/examples/hello/isola.toml"
  body=$(get "$BASE/hello/world")
  expect_has "$body" "Hello from Isola" "GET /hello/world"
  expect_has "$body" "GET /hello/world" "CGI variables"
  expect_eq "$(status "$BASE/nope")" 404 "unrouted path"
  expect_eq "$(status -X POST "$BASE/hello/x")" 405 "wrong method"
  allow=$(curl -s -D - -o /dev/null -X POST "$BASE/hello/x" | tr -d '\r' | sed -n 's/^Allow: //Ip')
  expect_has "$allow" "GET" "Allow header"
  access_hello() { grep '"log":"access"' "$LOG" | grep -q '"component":"hello"'; }
  log_within access_hello || fail "no access log line naming the component"
  stop
  ;;
counter)
  start "$EX/counter/isola.toml"
  for i in 1 2 3; do expect_eq "$(get "$BASE/counter")" "{\"counter\":$i}" "request $i"; done
  stop
  ;;
keepalive_concurrent)
  counter_manifest 'store = "c"'
  start "$T/counter.toml"
  # Three requests on one connection (curl reuses it).
  out=$(curl -sv --max-time 20 "$BASE/counter" "$BASE/counter" "$BASE/counter" 2>&1)
  expect_has "$out" "Re-using existing connection" "keep-alive"
  expect_has "$out" '{"counter":3}' "third answer on the kept-alive connection"
  # 8 clients, 25 requests each on one connection: every count from 4 to 203 exactly once.
  clients=()
  for c in $(seq 1 8); do
    (urls=(); for _ in $(seq 1 25); do urls+=("$BASE/counter" -w '\n'); done
     curl -s --max-time 60 "${urls[@]}" >"$T/client.$c") &
    clients+=("$!")
  done
  wait "${clients[@]}"
  got=$(cat "$T"/client.* | sed -n 's/{"counter":\([0-9]*\)}/\1/p' | sort -n | tr '\n' ' ')
  expect_eq "$got" "$(seq 4 203 | tr '\n' ' ')" "counts from 8 concurrent clients"
  stop
  ;;
malformed)
  misc_manifest
  start "$T/misc.toml"
  expect_has "$(raw 'GARBAGE\r\n\r\n')" " 400" "malformed request line"
  big=$(head -c 20000 /dev/zero | tr '\0' a)
  expect_has "$(raw "GET /hello/x HTTP/1.1\r\nHost: a\r\nX-Big: $big\r\n\r\n")" " 431" "oversize header"
  expect_has "$(raw 'POST /hello/x HTTP/1.1\r\nHost: a\r\nContent-Length: 99999999999\r\n\r\n')" " 413" "oversize body"
  expect_has "$(get "$BASE/hello/x")" "Hello from Isola" "still serving"
  stop
  ;;
slow_client)
  # A client that never finishes its request must not hold a server thread: while it
  # dawdles, everyone else is served (the ingress's request timeout, 30 s, cuts it later;
  # its unit tests check that with a short timeout).
  misc_manifest
  start "$T/misc.toml"
  for i in 1 2 3 4 5 6 7 8 9 10; do
    exec {fd}<>"/dev/tcp/127.0.0.1/$PORT"
    printf 'GET /hello/x HTTP/1.1\r\nHost: a\r\n' >&$fd
    eval "slow$i=$fd"
  done
  expect_has "$(get "$BASE/hello/x")" "Hello from Isola" "served while 10 clients dawdle"
  for i in 1 2 3 4 5 6 7 8 9 10; do eval "exec {slow$i}>&-"; done
  stop
  ;;
trap)
  misc_manifest
  start "$T/misc.toml"
  expect_eq "$(status "$BASE/misc/trap")" 500 "trapping guest"
  expect_has "$(get "$BASE/misc/trap")" "component misc: trapped: unreachable" "trap body"
  expect_eq "$(get "$BASE/misc/ok")" "ok" "next request after a trap"
  stop
  ;;
runaway)
  misc_manifest
  start "$T/misc.toml"
  get -o "$T/loop.body" -w '%{http_code}' "$BASE/misc/loop" >"$T/loop.status" &
  loop=$!
  expect_eq "$(get "$BASE/hello/x" | head -n 1)" "Hello from Isola" "served while a guest loops"
  wait $loop
  expect_eq "$(cat "$T/loop.status")" 504 "runaway guest"
  expect_has "$(cat "$T/loop.body")" "component misc: timed out: still running after 500 ms" "504 body"
  expect_eq "$(get "$BASE/misc/ok")" "ok" "next request after a timeout"
  stop
  ;;
memory)
  misc_manifest
  start "$T/misc.toml"
  expect_eq "$(status "$BASE/misc/hog")" 503 "memory-hungry guest"
  expect_has "$(get "$BASE/misc/hog")" "memory limit reached (8388608 bytes)" "memory body"
  expect_eq "$(get "$BASE/misc/ok")" "ok" "next request after the memory limit"
  stop
  ;;
concurrency_limit)
  misc_manifest
  start "$T/misc.toml"
  get -o /dev/null "$BASE/slow/loop" &   # holds the only slot for 3 s
  held=$!
  sleep 0.5
  hdrs=$(curl -s -D - -o "$T/busy" --max-time 20 "$BASE/slow/ok" | tr -d '\r')
  expect_has "$hdrs" "HTTP/1.1 503" "second concurrent request"
  expect_has "$hdrs" "Retry-After: 1" "Retry-After"
  expect_has "$(cat "$T/busy")" "too many concurrent requests (max_concurrent = 1)" "503 body"
  wait $held
  expect_eq "$(get "$BASE/slow/ok")" "ok" "served once the slot is free"
  stop
  ;;
denial_unlinked)
  caps_manifest "$GUESTS/e2e_caps.wasm" true -
  start "$T/caps.toml"
  body=$(get "$BASE/caps/log")
  expect_has "$body" "error: component caps is not linked to wascc:logging under binding default" "unlinked contract"
  grep -qF '"binding":"default","component":"caps","contract":"wascc:logging","event":"denied","log":"capability","operation":"WriteLog"' "$LOG" ||
    fail "no denial line in the log"
  expect_has "$(get "$BASE/caps/kv")" "ok " "linked contract"
  stop
  ;;
denial_claims)
  # Signed with wascc:keyvalue only, linked to keyvalue and the HTTP client.
  "$ISOLA" keys gen --type account -o "$T/acct.nk" >"$T/acct.pub" 2>/dev/null || fail "keys gen"
  "$ISOLA" keys gen --type module -o "$T/mod.nk" >"$T/mod.pub" 2>/dev/null || fail "keys gen"
  "$ISOLA" claims sign "$GUESTS/e2e_caps.wasm" -o "$T/caps.signed.wasm" --issuer "$T/acct.nk" \
    --subject "$T/mod.nk" --cap wascc:keyvalue 2>/dev/null || fail "claims sign"
  caps_manifest "$T/caps.signed.wasm" false '*'
  start "$T/caps.toml"
  body=$(get "$BASE/caps/http?http://127.0.0.1:$PORT/hello/x")
  expect_has "$body" "error: Actor $(cat "$T/mod.pub") attempted to call PerformRequest on wascc:http_client,default - PERMISSION DENIED." "claims denial"
  grep -q '"contract":"wascc:http_client".*"event":"denied".*"reason":"not in the module.s claims"' "$LOG" || fail "no denial line in the log"
  expect_has "$(get "$BASE/caps/kv")" "ok " "claimed and linked contract"
  stop
  # The same module, unsigned claims refused: an unsigned actor is refused at start.
  caps_manifest "$GUESTS/e2e_caps.wasm" false -
  "$ISOLA" up "$T/caps.toml" --listen 127.0.0.1:0 --state-dir "$T/state" >/dev/null 2>"$T/refused" && fail "unsigned actor started"
  expect_has "$(cat "$T/refused")" "a waPC actor without claims" "unsigned refusal"
  ;;
revocation_live)
  # A signed actor is served; its token id, then its subject, then its issuer is written to
  # the revocation file, and with the host still running the next request is refused (403)
  # until the entry is removed again. The file is changed both ways: a new file renamed
  # over the old one, and edits in place. Without the file, every signed module is refused.
  keygen acct account
  keygen mod module
  sign "$GUESTS/e2e_echo.wasm" "$T/echo.signed.wasm" acct mod
  jti=$("$ISOLA" claims inspect "$T/echo.signed.wasm" | sed -n 's/^jti: *//p')
  [ -n "$jti" ] || fail "no jti in: $("$ISOLA" claims inspect "$T/echo.signed.wasm")"
  printf '# nothing revoked yet\n' >"$T/revoked"
  cat >"$T/revocation.toml" <<EOT
[claims]
trusted_issuers = ["$(cat "$T/acct.pub")"]
revocation_file = "revoked"
[[component]]
id = "echo"
source = "echo.signed.wasm"
[[route]]
path = "/echo/..."
component = "echo"
EOT
  start "$T/revocation.toml"
  served() { expect_eq "$(get "$BASE/echo/x")" "wapc GET /echo/x? x-test=" "$1"; }
  # refused WHAT: the next request is refused, naming WHAT ("subject M…") and the file.
  refused() {
    local why="echo.signed.wasm: claims revoked: $1 is on the revocation list ($T/revoked)"
    expect_eq "$(status "$BASE/echo/x")" 403 "revoked $1"
    expect_eq "$(get "$BASE/echo/x")" "component echo: $why" "403 body"
    grep -qF "\"component\":\"echo\",\"event\":\"request_failed\",\"log\":\"host\",\"reason\":\"$why\",\"status\":403" "$LOG" ||
      fail "no request_failed line in the log for the revoked $1"
  }
  served "before any revocation"
  # The token id, in a new file renamed over the old one (what docs/claims.md advises).
  printf '# revoked\n%s\n' "$jti" >"$T/revoked.new" && mv "$T/revoked.new" "$T/revoked"
  refused "token id (jti) $jti"
  printf '# nothing revoked again\n' >"$T/revoked.new" && mv "$T/revoked.new" "$T/revoked"
  served "after the jti was removed"
  # The subject, appended in place, with a comment after it as docs/claims.md writes it.
  printf '%s   # leaked seed\n' "$(cat "$T/mod.pub")" >>"$T/revoked"
  refused "subject $(cat "$T/mod.pub")"
  printf '# cleared\n' >"$T/revoked"
  served "after the subject was removed"
  # The issuer, which revokes every module it signed; rewritten in place.
  printf '%s\n' "$(cat "$T/acct.pub")" >"$T/revoked"
  refused "issuer $(cat "$T/acct.pub")"
  printf '\n' >"$T/revoked"
  served "after the issuer was removed"
  # Fail closed: with the file gone every signed module is refused, until it is back.
  rm "$T/revoked"
  expect_eq "$(status "$BASE/echo/x")" 403 "revocation file deleted"
  expect_eq "$(get "$BASE/echo/x")" \
    "component echo: echo.signed.wasm: refused: revocation list $T/revoked: No such file or directory" "fail-closed body"
  printf '# back\n' >"$T/revoked"
  served "once the revocation file is back"
  stop
  ;;
actor_to_actor)
  # A (call.c) calls B (echo.c), operation Echo, by B's module key and by B's call alias.
  # The rule is the capabilities' one: the callee must be in the caller's claims and linked
  # to it in the manifest. "nocap" runs A's code signed without B in its claims (but
  # linked); "unlinked" runs A as signed (B claimed) but without links.
  keygen acct account
  keygen a module
  keygen b module
  keygen nocap module
  B=$(cat "$T/b.pub") NOCAP=$(cat "$T/nocap.pub")
  sign "$GUESTS/e2e_echo.wasm" "$T/b.wasm" acct b --call-alias e2e/echo
  sign "$GUESTS/e2e_call.wasm" "$T/a.wasm" acct a --cap "$B" --cap e2e/echo
  sign "$GUESTS/e2e_call.wasm" "$T/nocap.wasm" acct nocap --cap wascc:keyvalue
  printf '# nothing revoked\n' >"$T/revoked"
  {
    cat <<EOT
[claims]
trusted_issuers = ["$(cat "$T/acct.pub")"]
revocation_file = "revoked"
[[component]]
id = "b"
source = "b.wasm"
[[component]]
id = "a"
source = "a.wasm"
[[component.link]]
contract = "$B"
[[component.link]]
contract = "e2e/echo"
[[component]]
id = "nocap"
source = "nocap.wasm"
[[component.link]]
contract = "$B"
[[component.link]]
contract = "e2e/echo"
[[component]]
id = "unlinked"
source = "a.wasm"
EOT
    for c in a nocap unlinked; do printf '[[route]]\npath = "/%s/..."\ncomponent = "%s"\n' "$c" "$c"; done
  } >"$T/actors.toml"
  start "$T/actors.toml"
  expect_eq "$(get "$BASE/a/call?$B")" "ok echo: hello from A" "call by module key"
  expect_eq "$(get "$BASE/a/call?e2e/echo")" "ok echo: hello from A" "call by call alias"
  expect_eq "$(status "$BASE/b/x")" 404 "B has no route of its own"
  # Not in the caller's claims: waSCC's PERMISSION DENIED, by key and by alias, logged.
  for ns in "$B" e2e/echo; do
    expect_eq "$(get "$BASE/nocap/call?$ns")" \
      "error: Actor $NOCAP attempted to call Echo on $ns,default - PERMISSION DENIED." "callee $ns not in the claims"
    grep -qF "\"binding\":\"default\",\"component\":\"nocap\",\"contract\":\"$ns\",\"event\":\"denied\",\"log\":\"capability\",\"operation\":\"Echo\",\"reason\":\"not in the module's claims\"" "$LOG" ||
      fail "no claims denial line in the log for $ns"
  done
  # In the claims but not linked.
  for ns in "$B" e2e/echo; do
    expect_eq "$(get "$BASE/unlinked/call?$ns")" \
      "error: component unlinked is not linked to $ns under binding default (operation Echo)" "callee $ns not linked"
    grep -qF "\"binding\":\"default\",\"component\":\"unlinked\",\"contract\":\"$ns\",\"event\":\"denied\",\"log\":\"capability\",\"operation\":\"Echo\",\"reason\":\"not linked in the manifest\"" "$LOG" ||
      fail "no link denial line in the log for $ns"
  done
  # The callee is admitted on every call: revoked, A's call fails; restored, it works.
  printf '%s\n' "$B" >"$T/revoked"
  expect_eq "$(get "$BASE/a/call?e2e/echo")" \
    "error: Invocation failure: b.wasm: claims revoked: subject $B is on the revocation list ($T/revoked)" "callee revoked"
  grep '"event":"actor_call_failed"' "$LOG" | grep '"component":"a"' | grep '"target":"e2e/echo"' |
    grep -qF "claims revoked: subject $B" || fail "no log line for the failed actor call"
  printf '# cleared\n' >"$T/revoked"
  expect_eq "$(get "$BASE/a/call?$B")" "ok echo: hello from A" "callee no longer revoked"
  stop
  ;;
wasmbus_actor)
  # echo.c built with its waPC imports from module `wasmbus` (ACTOR-ABI.md §1.2, §3.2),
  # beside the same source importing from `wapc`. The host must call it with the wasmbus
  # operation HttpServer.HandleRequest (header values as arrays) and answer its host calls.
  imports=$("$ISOLA" inspect "$GUESTS/e2e_echo_wasmbus.wasm")
  expect_has "$imports" "wasmbus.__host_call" "the wasmbus build's imports"
  grep -q ' wapc\.' <<<"$imports" && fail "the wasmbus build imports from wapc: $imports"
  cat >"$T/wasmbus.toml" <<EOT
[[component]]
id = "bus"
source = "$GUESTS/e2e_echo_wasmbus.wasm"
allow_unsigned = true
[[component.link]]
contract = "wascc:keyvalue"
values = { store = "bus" }
[[component]]
id = "wapc"
source = "$GUESTS/e2e_echo.wasm"
allow_unsigned = true
[[component.link]]
contract = "wascc:keyvalue"
values = { store = "wapc" }
[[route]]
path = "/bus/..."
component = "bus"
[[route]]
path = "/wapc/..."
component = "wapc"
EOT
  start "$T/wasmbus.toml"
  expect_eq "$(get -H 'X-Test: one' -H 'X-Test: two' "$BASE/bus/x?q=1")" "wasmbus GET /bus/x?q=1 x-test=one,two" \
    "wasmbus actor (both header values)"
  expect_eq "$(get -d data "$BASE/bus/y")" "wasmbus POST /bus/y? x-test=" "wasmbus actor, POST"
  for i in 1 2; do expect_eq "$(get "$BASE/bus/kv")" "wasmbus GET /bus/kv? x-test= n=$i" "wasmbus host call $i"; done
  access_bus() { grep '"log":"access"' "$LOG" | grep '"component":"bus"' | grep '"path":"/bus/kv"' | grep -q '"status":200'; }
  log_within access_bus || fail "no access line for the wasmbus actor"
  # The waPC build: one value per header (the last), its own store.
  expect_eq "$(get -H 'X-Test: one' -H 'X-Test: two' "$BASE/wapc/x?q=1")" "wapc GET /wapc/x?q=1 x-test=two" "waPC actor"
  expect_eq "$(get "$BASE/wapc/kv")" "wapc GET /wapc/kv? x-test= n=1" "waPC host call"
  stop
  ;;
sha256_mismatch)
  # A component's sha256 must match its module: a wrong digest stops isola up before it
  # listens (exit 1), naming the manifest, the component's line, the key and both digests;
  # a malformed one is a manifest error (exit 2) at the key's line; the right one (in
  # either case) starts and serves.
  good=$(sha256sum "$GUESTS/e2e_misc.wasm" | cut -d' ' -f1)
  wrong=$(printf 'not the module' | sha256sum | cut -d' ' -f1)
  [ "${#good}" -eq 64 ] && [ "${#wrong}" -eq 64 ] && [ "$good" != "$wrong" ] || fail "sha256sum"
  sha_manifest() {
    cat >"$T/sha.toml" <<EOT
[app]
name = "sha"
[[component]]
id = "misc"
source = "$GUESTS/e2e_misc.wasm"
sha256 = "$1"
[[route]]
path = "/misc/..."
component = "misc"
EOT
  }
  sha_manifest "$wrong"
  up_refused "$T/sha.toml"
  expect_eq "$RC" 1 "exit status with a wrong sha256"
  expect_has "$ERR" \
    "isola up: component \"misc\" ($T/sha.toml:3): e2e_misc.wasm: sha256 is $good, but $T/sha.toml:6 says sha256 = $wrong" \
    "wrong sha256"
  sha_manifest "${good:0:63}"
  up_refused "$T/sha.toml"
  expect_eq "$RC" 2 "exit status with a malformed sha256"
  expect_has "$ERR" "isola up: $T/sha.toml:6: component \"misc\": sha256: \"${good:0:63}\" is not a SHA-256 digest (64 hex digits)" \
    "malformed sha256"
  sha_manifest "$(tr a-f A-F <<<"$good")"
  start "$T/sha.toml"
  expect_eq "$(get "$BASE/misc/ok")" "ok" "served with the right sha256 (upper case)"
  stop
  ;;
httpclient)
  # Loopback is refused unless the allow-list names it exactly.
  caps_manifest "$GUESTS/e2e_caps.wasm" true '127.0.0.1'
  start "$T/caps.toml"
  expect_has "$(get "$BASE/caps/http?http://127.0.0.1:$PORT/hello/x")" "ok " "allowed loopback host"
  expect_has "$(get "$BASE/caps/http?http://localhost:$PORT/hello/x")" "error: Invocation failure: " "host not on the list"
  stop
  caps_manifest "$GUESTS/e2e_caps.wasm" true '*'
  start "$T/caps.toml"
  body=$(get "$BASE/caps/http?http://127.0.0.1:$PORT/hello/x")
  expect_has "$body" "error: Invocation failure: " "loopback via *"
  expect_has "$body" "loopback" "SSRF refusal names the reason"
  stop
  caps_manifest "$GUESTS/e2e_caps.wasm" true 'example.com'
  start "$T/caps.toml"
  expect_has "$(get "$BASE/caps/http?http://127.0.0.1:$PORT/hello/x")" "error: Invocation failure: " "not on the allow-list"
  stop
  ;;
persistence)
  counter_manifest 'store = "p"'
  start "$T/counter.toml"
  for i in 1 2; do expect_eq "$(get "$BASE/counter")" "{\"counter\":$i}" "request $i"; done
  stop
  start "$T/counter.toml"
  expect_eq "$(get "$BASE/counter")" '{"counter":3}' "after a clean restart"
  kill -9 "$PID"; wait "$PID" 2>/dev/null
  start "$T/counter.toml"
  expect_eq "$(get "$BASE/counter")" '{"counter":4}' "after kill -9"
  stop
  ;;
redis)
  command -v redis-server >/dev/null || { echo "SKIP: no redis-server"; exit 0; }
  rport=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' 2>/dev/null || echo 16379)
  mkdir -p "$T/redis"
  redis-server --port "$rport" --bind 127.0.0.1 --dir "$T/redis" --save '' --appendonly no >"$T/redis.log" 2>&1 &
  PIDS+=("$!")
  for _ in $(seq 1 100); do (exec 3<>"/dev/tcp/127.0.0.1/$rport") 2>/dev/null && break; sleep 0.05; done
  counter_manifest "URL = \"redis://127.0.0.1:$rport\""
  start "$T/counter.toml"
  for i in 1 2 3; do expect_eq "$(get "$BASE/counter")" "{\"counter\":$i}" "request $i"; done
  stop
  ls "$T/state/kv" 2>/dev/null | grep -q . && fail "a SQLite store was written although Redis is configured"
  start "$T/counter.toml"
  expect_eq "$(get "$BASE/counter")" '{"counter":4}' "Redis kept the count"
  stop
  ;;
wascc_manifest)
  cat >"$T/host.yaml" <<EOT
---
labels:
    sample: "Key-Value Counter"
actors:
    - $EX/counter.signed.wasm
capabilities:
    - path: ./libwascc_sqlite.so
    - path: ./libwascc_httpsrv.so
bindings:
    - actor: "$(cat "$EX/keys/counter.pub")"
      capability: "wascc:keyvalue"
    - actor: "$(cat "$EX/keys/counter.pub")"
      capability: "wascc:http_server"
      values:
        PORT: "8081"
EOT
  start "$T/host.yaml"
  for i in 1 2 3; do expect_eq "$(get "$BASE/counter")" "{\"counter\":$i}" "request $i"; done
  stop
  ;;
ingress_limits)
  # The ingress's limits from [app], far below the defaults (16 KiB, 8 MiB, 30 s, 60 s):
  # with the defaults none of the refusals below would happen, nor within these times.
  cat >"$T/ingress.toml" <<EOT
[app]
max_header_size = "1KiB"
max_body_size = "1KiB"
request_timeout = "1s"
idle_timeout = "1s"
[[component]]
id = "hello"
source = "$EX/hello.wasm"
[[route]]
path = "/hello/..."
component = "hello"
EOT
  start "$T/ingress.toml"
  expect_has "$(get "$BASE/hello/x")" "Hello from Isola" "a normal request"
  # Half a request, then nothing: 408 once request_timeout (1 s) has run from the first byte.
  exec {fd}<>"/dev/tcp/127.0.0.1/$PORT" || fail "connect"
  t0=$(date +%s%N)
  printf 'GET /hello/x HTTP/1.1\r\nHost: a\r\n' >&$fd
  line=$(timeout 10 head -n 1 <&$fd | tr -d '\r')
  ms=$((($(date +%s%N) - t0) / 1000000))
  exec {fd}>&-
  expect_has "$line" " 408" "a stalled request"
  [ "$ms" -ge 800 ] || fail "408 after $ms ms, before request_timeout (1 s)"
  [ "$ms" -le 5000 ] || fail "408 after $ms ms, long after request_timeout (1 s)"
  log_within grep -q '"status":408' "$LOG" || fail "no access log line for the 408"
  # Headers: 1500 bytes of them are over 1 KiB (431), 700 are not.
  pad=$(head -c 1500 /dev/zero | tr '\0' a)
  expect_has "$(raw "GET /hello/x HTTP/1.1\r\nHost: a\r\nX-Pad: $pad\r\n\r\n")" " 431" "headers over max_header_size"
  pad=$(head -c 700 /dev/zero | tr '\0' a)
  expect_has "$(raw "GET /hello/x HTTP/1.1\r\nHost: a\r\nX-Pad: $pad\r\nConnection: close\r\n\r\n")" " 200" \
    "headers under max_header_size"
  # Bodies: 2000 bytes announced are over 1 KiB (413, before the body is sent), 1000 are not.
  expect_has "$(raw 'POST /hello/x HTTP/1.1\r\nHost: a\r\nContent-Length: 2000\r\n\r\n')" " 413" "body over max_body_size"
  expect_eq "$(status -H 'Content-Type: text/plain' --data-binary "$(head -c 1000 /dev/zero | tr '\0' b)" "$BASE/hello/x")" \
    200 "body under max_body_size"
  # A kept-alive connection that sends nothing more is closed once idle_timeout (1 s) has passed.
  exec {fd}<>"/dev/tcp/127.0.0.1/$PORT" || fail "connect"
  printf 'GET /hello/x HTTP/1.1\r\nHost: a\r\n\r\n' >&$fd
  t0=$(date +%s%N)
  out=$(timeout 10 cat <&$fd | tr -d '\r')
  ms=$((($(date +%s%N) - t0) / 1000000))
  exec {fd}>&-
  expect_has "$out" "Hello from Isola" "the answer before the idle close"
  [ "$ms" -ge 800 ] || fail "idle connection closed after $ms ms, before idle_timeout (1 s)"
  [ "$ms" -le 5000 ] || fail "idle connection still open after $ms ms (idle_timeout 1 s)"
  expect_has "$(get "$BASE/hello/x")" "Hello from Isola" "still serving"
  stop
  ;;
*)
  fail "unknown case"
  ;;
esac
echo "ok: $CASE"
