#!/usr/bin/env bash
# Runs one WASI guest test through `isola run`, for CTest:
#
#   run_guest.sh ISOLA WASM_DIR TEST
#
# TEST is one of the names in the `case` at the bottom (args_env, clock, ..., escape_race).
# Each test gets a fresh fixture in a temporary directory:
#
#   fx/outside/secret.txt            "TOP SECRET": nothing may read, change or delete it
#   fx/outside/dir/                  ... or this
#   fx/sandbox/                      the preopened directory (SB below)
#     hello.txt data.bin a/ empty/ sub/{inner.txt,deeper/leaf.txt,link_up_ok,...}
#     link_root -> /   link_up -> ..   link_outside -> ../outside   link_abs_* -> absolute
#     loop_a <-> loop_b   self_loop   chain/c00 .. c49 (too long)   chain/s0 .. s7 (fine)
#     race -> race_inside (swapped with ../outside by the escape_race tests)
#
# and checks, besides the guest's own verdict (exit status, "ok N checks"), what the guest
# did to the host: read-only and overlay mounts leave the tree byte-for-byte as it was,
# read-write mounts really change it, nothing outside the preopen ever changes. Exits 0 when
# everything passed, 1 otherwise, 77 (CTest's skip) when a needed tool (python3) is missing.
set -u

if [ $# -ne 3 ]; then
  echo "usage: run_guest.sh ISOLA WASM_DIR TEST" >&2
  exit 2
fi
ISOLA=$1 WASM_DIR=$2 TEST=$3
if [ ! -x "$ISOLA" ]; then
  echo "run_guest.sh: $ISOLA is not an executable (build the isola target)" >&2
  exit 1
fi

T=$(mktemp -d "${TMPDIR:-/tmp}/isola-guest-$TEST.XXXXXX") || exit 1
FX=$T/fx SB=$T/fx/sandbox LOGS=$T/logs
mkdir -p "$LOGS"
BG_PIDS=()
PROBE=
cleanup() {
  for p in ${BG_PIDS[@]+"${BG_PIDS[@]}"}; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
  # An escape that worked may have left its probe where it aimed (reported as a failure).
  if [ -n "$PROBE" ]; then rm -fd "/$PROBE" "/tmp/$PROBE" 2>/dev/null; fi
  chmod -R u+rwX "$T" 2>/dev/null
  rm -rf "$T"
}
trap cleanup EXIT

FAILS=0 RUNS=0 GUEST_CHECKS=0 HOST_CHECKS=0
fail() {
  echo "FAIL [$TEST]: $*" >&2
  FAILS=$((FAILS + 1))
}
host_check() {  # host_check DESCRIPTION COMMAND...: the command must succeed
  local what=$1
  shift
  HOST_CHECKS=$((HOST_CHECKS + 1))
  "$@" || fail "host: $what"
}
have_python() { command -v python3 >/dev/null 2>&1; }
wasm() { echo "$WASM_DIR/wasi_guest_$1.wasm"; }

make_fixture() {
  rm -rf "$FX"
  mkdir -p "$FX/outside/dir" "$SB"
  printf 'TOP SECRET\n' >"$FX/outside/secret.txt"
  printf 'Hello, sandbox!\n' >"$SB/hello.txt"
  printf "$(printf '\\%03o' $(seq 0 255))" >"$SB/data.bin"
  mkdir -p "$SB/a" "$SB/empty" "$SB/sub/deeper" "$SB/chain" "$SB/race_inside"
  printf 'inner\n' >"$SB/sub/inner.txt"
  printf 'leaf\n' >"$SB/sub/deeper/leaf.txt"
  printf 'inside\n' >"$SB/race_inside/secret.txt"
  ln -s ../hello.txt "$SB/sub/link_up_ok"
  ln -s ../../outside/secret.txt "$SB/sub/link_up_escape"
  ln -s ../../outside/created-by-guest "$SB/sub/dangle_out"
  ln -s / "$SB/link_root"
  ln -s .. "$SB/link_up"
  ln -s ../outside "$SB/link_outside"
  ln -s ../outside/secret.txt "$SB/link_outside_secret"
  ln -s "$FX/outside/secret.txt" "$SB/link_abs_secret"
  ln -s "$SB/hello.txt" "$SB/link_abs_inside"
  ln -s hello.txt "$SB/link_hello"
  ln -s sub "$SB/link_sub"
  ln -s . "$SB/link_dot"
  ln -s sub/.. "$SB/link_self_dotdot"
  ln -s loop_b "$SB/loop_a"
  ln -s loop_a "$SB/loop_b"
  ln -s self_loop "$SB/self_loop"
  ln -s nonexistent "$SB/dangling"
  ln -s race_inside "$SB/race"
  local i
  for i in $(seq 0 48); do ln -s "$(printf 'c%02d' $((i + 1)))" "$SB/chain/$(printf 'c%02d' "$i")"; done
  ln -s ../hello.txt "$SB/chain/c49"
  for i in $(seq 0 6); do ln -s "s$((i + 1))" "$SB/chain/s$i"; done
  ln -s ../hello.txt "$SB/chain/s7"
  # Times in the past, so that any change to them shows.
  find "$FX" -exec touch -h -d '2001-02-03 04:05:06.123456789' {} +
}

# What a tree holds: every entry's type, mode, size, mtime and link target, and every
# file's hash. atime is left out: reading is allowed to touch it.
snapshot() {
  (cd "$1" && find . -printf '%y %m %s %T@ %p -> %l\n' | LC_ALL=C sort &&
    find . -type f -print0 | LC_ALL=C sort -z | xargs -0 -r sha256sum)
}
same_tree() {  # same_tree SNAPSHOT_FILE DIR
  local now=$LOGS/snapshot.now
  snapshot "$2" >"$now"
  if ! cmp -s "$1" "$now"; then
    echo "--- changes in $2 (< before, > after):" >&2
    diff "$1" "$now" | head -40 >&2
    return 1
  fi
}
no_probe_anywhere() {  # the escape tests' probe name must not exist anywhere they aimed at
  local hits
  hits=$(find "$T" /tmp -maxdepth 3 -name "$PROBE*" -not -path "$SB/*" 2>/dev/null)
  if [ -e "/$PROBE" ]; then hits="$hits /$PROBE"; fi
  if [ -n "$hits" ]; then
    echo "--- created outside the sandbox: $hits" >&2
    return 1
  fi
}

# run_case [--exit N|'*'] [--ok] [--ok-stderr] [--stdin FILE] [--stdin-cmd CMD] [--timeout S]
#          [--out FILE] [--env NAME=VALUE] -- ISOLA-RUN-ARGS...
# Runs `isola run ARGS`; checks the exit status ('*': any, the caller looks at it) and, with
# --ok, the "ok N checks" line on stdout (--ok-stderr: on stderr).
# Leaves stdout and stderr in $LAST_OUT and $LAST_ERR, and the status in $LAST_RC.
run_case() {
  local want=0 ok=0 ok_err=0 stdin=/dev/null stdin_cmd="" tmo=60 out="" envs=()
  while [ $# -gt 0 ]; do
    case $1 in
      --exit) want=$2; shift 2 ;;
      --ok) ok=1; shift ;;
      --ok-stderr) ok_err=1; shift ;;
      --stdin) stdin=$2; shift 2 ;;
      --stdin-cmd) stdin_cmd=$2; shift 2 ;;
      --timeout) tmo=$2; shift 2 ;;
      --out) out=$2; shift 2 ;;
      --env) envs+=("$2"); shift 2 ;;
      --) shift; break ;;
      *) echo "run_case: unknown option $1" >&2; exit 2 ;;
    esac
  done
  RUNS=$((RUNS + 1))
  LAST_OUT=${out:-$LOGS/run$RUNS.out}
  LAST_ERR=$LOGS/run$RUNS.err
  if [ -n "$stdin_cmd" ]; then
    bash -c "$stdin_cmd" | env ${envs[@]+"${envs[@]}"} timeout -k 5 "$tmo" "$ISOLA" run "$@" \
      >"$LAST_OUT" 2>"$LAST_ERR"
    LAST_RC=${PIPESTATUS[1]}
  else
    env ${envs[@]+"${envs[@]}"} timeout -k 5 "$tmo" "$ISOLA" run "$@" <"$stdin" >"$LAST_OUT" \
      2>"$LAST_ERR"
    LAST_RC=$?
  fi
  local bad=
  if [ "$want" != '*' ] && [ "$LAST_RC" -ne "$want" ]; then
    bad="exit status $LAST_RC, expected $want"
    [ "$LAST_RC" -eq 124 ] && bad="$bad (timed out after ${tmo}s)"
    [ "$LAST_RC" -gt 128 ] && [ "$LAST_RC" -ne 134 ] && bad="$bad (killed by signal $((LAST_RC - 128))?)"
  fi
  local okfile=$LAST_OUT
  [ "$ok_err" -eq 1 ] && okfile=$LAST_ERR
  if [ "$ok" -eq 1 ] || [ "$ok_err" -eq 1 ]; then
    local n
    n=$(grep -Eo '^ok [0-9]+ checks$' "$okfile" | tail -1 | grep -Eo '[0-9]+')
    if [ -z "$n" ]; then
      bad="${bad:+$bad; }no 'ok N checks' line"
    else
      GUEST_CHECKS=$((GUEST_CHECKS + n))
    fi
  fi
  if [ -n "$bad" ]; then
    fail "isola run $*: $bad"
    show_last
    return 1
  fi
  return 0
}
show_last() {
  show_file stdout "$LAST_OUT" 40
  show_file stderr "$LAST_ERR" 60
}
show_file() {  # show_file LABEL FILE LINES: its tail, unless it is binary data
  local size
  size=$(stat -c %s "$2" 2>/dev/null || echo 0)
  if [ "$(head -c 4096 "$2" | LC_ALL=C tr -d '[:print:][:space:]' | wc -c)" -gt 16 ]; then
    echo "--- $1: $size bytes of binary data" >&2
  else
    echo "--- $1 ($size bytes; the last $3 lines):" >&2
    tail -c 8000 "$2" | tail -"$3" >&2
  fi
}
expect_line() {  # expect_line FILE ERE DESCRIPTION: some line of FILE matches
  HOST_CHECKS=$((HOST_CHECKS + 1))
  if ! grep -Eq -- "$2" "$1"; then
    fail "$3 (no line matches /$2/)"
    return 1
  fi
}
expect_no_line() {
  HOST_CHECKS=$((HOST_CHECKS + 1))
  if grep -Eq -- "$2" "$1"; then
    fail "$3 (a line matches /$2/: $(grep -Em1 -- "$2" "$1" | cut -c1-200))"
    return 1
  fi
}
file_is() {  # file_is PATH CONTENT
  [ -f "$1" ] && [ "$(cat "$1"; echo x)" = "$2"x ]
}

# ---- the tests --------------------------------------------------------------------------

t_args_env() {
  run_case --ok -- --env PLAIN=value --env EMPTY= --env 'UNI=héllo wörld ✓ 🎉' \
    --env WITH_EQ=a=b=c "$(wasm args_env)" args first '' 'two words' 'ünïcødé 🎉' --flag=x
  run_case --ok -- "$(wasm args_env)" noenv
  run_case --ok --env ISOLA_GUEST_INHERITED=from-host --env ISOLA_GUEST_OVERRIDE=host \
    -- --inherit-env --env ISOLA_GUEST_OVERRIDE=cli "$(wasm args_env)" inherit
}

t_clock() {
  run_case --ok -- --env "HOST_TIME_NS=$(date +%s%N)" "$(wasm clock)"
}

t_random() {
  run_case --ok -- "$(wasm random)"
}

t_fd_basic() {
  make_fixture
  run_case --ok -- --dir "$SB::/sandbox" "$(wasm fd_basic)"
  # The writes landed on the host.
  host_check "fdb/final.txt written" file_is "$SB/fdb/final.txt" $'fd_basic done\n'
  host_check "fdb/append holds every append" file_is "$SB/fdb/append" $'Start\none\ntwo\nthree\n'
  host_check "fdb/file is 3 MiB" test "$(stat -c %s "$SB/fdb/file" 2>/dev/null)" = 3145728
  host_check "fdb/stdio.txt is 7 bytes" test "$(stat -c %s "$SB/fdb/stdio.txt" 2>/dev/null)" = 7
}

t_path_ops() {
  make_fixture
  run_case --ok -- --dir "$SB::/sandbox" "$(wasm path_ops)"
  local po=$SB/po
  host_check "po/final.txt written" file_is "$po/final.txt" $'final\n'
  host_check "po/r5 is the renamed r3" file_is "$po/r5" "one"
  host_check "po/full/moved was renamed there" file_is "$po/full/moved" "inner"
  host_check "po/rl2 is a symlink to r3" test "$(readlink "$po/rl2")" = r3
  host_check "po/s2 holds its target verbatim" test "$(readlink "$po/s2")" = ../po/l2
  host_check "po/l2 and po/l4 are one inode" test "$(stat -c %i "$po/l2")" = "$(stat -c %i "$po/l4")"
  host_check "po/l2 has 3 links" test "$(stat -c %h "$po/l2")" = 3
  host_check "po/dangling-target was not created" test ! -e "$po/dangling-target"
  host_check "po/d/e was removed" test ! -e "$po/d/e"
  host_check "po/tl's mtime is the one set without following" \
    test "$(stat -c %Y "$po/tl")" = 1200000000
}

t_readdir() {
  make_fixture
  run_case --ok -- --dir "$SB::/sandbox" "$(wasm readdir)"
  host_check "rd has 40 files, subdir, link" test "$(ls -A "$SB/rd" | wc -l)" = 42
  host_check "rc has 55 entries after the changes" test "$(ls -A "$SB/rc" | wc -l)" = 55
  host_check "rb has 501 entries" test "$(ls -A "$SB/rb" | wc -l)" = 501
}

escape_common() {  # escape_common MODE MOUNT-SUFFIX
  make_fixture
  PROBE=isola-escape-probe-$$-$RANDOM
  snapshot "$FX/outside" >"$LOGS/outside.before"
  snapshot "$FX" >"$LOGS/fx.before"
  run_case --ok -- --env "PROBE=$PROBE" --env "SECRET_HOST_PATH=$FX/outside/secret.txt" \
    --dir "$SB::/sandbox$2" "$(wasm escape)" "$1"
  host_check "nothing outside the sandbox changed" same_tree "$LOGS/outside.before" "$FX/outside"
  host_check "the secret is intact" file_is "$FX/outside/secret.txt" $'TOP SECRET\n'
  host_check "nothing new beside the sandbox" test "$(ls -A "$FX" | tr '\n' ' ')" = "outside sandbox "
  host_check "no probe file outside the sandbox" no_probe_anywhere
  case $1 in
    rw)
      host_check "the escaping symlink itself was removed" test ! -L "$SB/link_outside_secret"
      host_check "symlinks that stay inside were created" \
        test "$(readlink "$SB/sub/ok_link")" = ../hello.txt
      ;;
    ro | overlay)
      host_check "the $1 mount left the whole tree as it was" same_tree "$LOGS/fx.before" "$FX"
      ;;
  esac
}
t_escape() { escape_common rw ""; }
t_escape_ro() { escape_common ro ":ro"; }
t_escape_overlay() { escape_common overlay ":overlay"; }

escape_race() {  # escape_race MOUNT-SUFFIX
  if ! have_python; then
    echo "run_guest.sh: python3 not found; skipping $TEST" >&2
    exit 77
  fi
  make_fixture
  PROBE=isola-race-probe-$$-$RANDOM
  snapshot "$FX/outside" >"$LOGS/outside.before"
  # Flip `race` between race_inside and ../outside as fast as the host can, atomically.
  python3 - "$SB" <<'EOF' &
import os, sys, time
sb = sys.argv[1]
tmp, race = os.path.join(sb, ".race.tmp"), os.path.join(sb, "race")
end = time.time() + 60
while time.time() < end:
    for target in ("../outside", "race_inside"):
        try:
            os.symlink(target, tmp)
            os.replace(tmp, race)
        except OSError:
            try: os.unlink(tmp)
            except OSError: pass
EOF
  BG_PIDS+=($!)
  run_case --ok -- --env "PROBE=$PROBE" --env "SECRET_HOST_PATH=$FX/outside/secret.txt" \
    --dir "$SB::/sandbox$1" "$(wasm escape)" race
  kill "${BG_PIDS[-1]}" 2>/dev/null
  wait "${BG_PIDS[-1]}" 2>/dev/null
  grep '^race:' "$LAST_OUT" >&2
  host_check "nothing outside the sandbox changed" same_tree "$LOGS/outside.before" "$FX/outside"
  host_check "no probe file outside the sandbox" no_probe_anywhere
  host_check "the secret is intact" file_is "$FX/outside/secret.txt" $'TOP SECRET\n'
}
t_escape_race() { escape_race ""; }
t_escape_race_overlay() { escape_race ":overlay"; }

t_readonly() {
  make_fixture
  mkdir -p "$T/rw"
  snapshot "$FX" >"$LOGS/fx.before"
  run_case --ok -- --dir "$SB::/ro:ro" --dir "$T/rw::/rw" "$(wasm readonly)"
  host_check "the read-only mount left the tree as it was" same_tree "$LOGS/fx.before" "$FX"
  host_check "the rw mount beside it was written" file_is "$T/rw/written.txt" $'rw ok\n'
  host_check "nothing crossed into the rw mount" test "$(ls -A "$T/rw")" = written.txt
}

t_overlay() {
  make_fixture
  snapshot "$FX" >"$LOGS/fx.before"
  run_case --ok -- --dir "$SB::/ov:overlay" "$(wasm overlay)" write
  host_check "the overlay left the host tree as it was" same_tree "$LOGS/fx.before" "$FX"
  # A second instance starts from the host's tree, not from the first one's writes.
  run_case --ok -- --dir "$SB::/ov:overlay" "$(wasm overlay)" verify
  host_check "... and so did the second instance" same_tree "$LOGS/fx.before" "$FX"
}

t_poll() {
  make_fixture
  run_case --ok -- --dir "$SB::/sandbox" "$(wasm poll)" clocks
  run_case --ok --stdin-cmd "printf 'ping\n'" -- "$(wasm poll)" stdin-data
  run_case --ok --stdin-cmd "sleep 1.5; printf 'late\n'" -- "$(wasm poll)" stdin-idle
}

t_proc_exit() {
  local p
  p=$(wasm proc_exit)
  run_case --exit 42 -- "$p" exit 42 &&
    expect_line "$LAST_OUT" '^before exit 42$' "exit(42) flushes stdout first"
  run_case --exit 0 -- "$p" exit 0
  run_case --exit 1 -- "$p" exit 1
  run_case --exit 255 -- "$p" exit 255
  run_case --exit 7 -- "$p" return 7 && expect_line "$LAST_OUT" '^returning 7$' "return from main"
  run_case --exit 3 -- "$p" raw 3
  expect_line "$LAST_OUT" '^raw exit$' "output before a raw proc_exit"
  expect_no_line "$LAST_OUT" 'atexit ran' "a raw proc_exit skips atexit handlers"
  run_case --exit 5 -- "$p" atexit 5 &&
    expect_line "$LAST_OUT" '^atexit ran$' "exit() runs atexit handlers"
  run_case --exit 9 -- "$p" nested 9 && expect_line "$LAST_OUT" '^nested$' "proc_exit from deep frames"
  expect_no_line "$LAST_ERR" 'trap' "proc_exit is not a trap"
  run_case --exit 134 -- "$p" trap
  expect_line "$LAST_ERR" '^isola: trap' "a trap says so on stderr"
  expect_line "$LAST_OUT" '^before trap$' "output before a trap is kept"
  run_case --exit 134 -- "$p" abort && expect_line "$LAST_ERR" '^isola: trap' "abort() is a trap"
}

t_proc_raise() {
  run_case --exit '*' -- "$(wasm proc_raise)"
  # Either outcome of proc_raise is fine (see proc_raise.c); anything else is not.
  if [ "$LAST_RC" -eq 0 ] && grep -q '^proc_raise returned E' "$LAST_OUT" &&
    grep -Eq '^ok [0-9]+ checks$' "$LAST_OUT"; then
    echo "proc_raise: $(grep '^proc_raise returned' "$LAST_OUT")" >&2
  elif [ "$LAST_RC" -eq 134 ] && grep -q '^isola: trap' "$LAST_ERR" &&
    ! grep -q '^proc_raise returned' "$LAST_OUT"; then
    echo "proc_raise: trapped ($(grep -m1 '^isola: trap' "$LAST_ERR"))" >&2
  else
    fail "proc_raise: neither an errno back nor a trap (exit $LAST_RC)"
    show_last
  fi
}

t_stdio() {
  if have_python; then
    python3 -c 'import sys, random
r = random.Random(7)
data = bytes(r.randrange(256) for _ in range(300000)) + bytes(range(256)) + b"\0\0\xff"
sys.stdout.buffer.write(data)' >"$LOGS/stdin.bin"
  else
    head -c 300000 /dev/urandom >"$LOGS/stdin.bin"
  fi
  local size
  size=$(stat -c %s "$LOGS/stdin.bin")
  run_case --ok-stderr --stdin-cmd "cat '$LOGS/stdin.bin'" -- "$(wasm stdio)" echo
  host_check "stdout is stdin, byte for byte" cmp -s "$LOGS/stdin.bin" "$LAST_OUT"
  expect_line "$LAST_ERR" "^stdin: $size bytes$" "the guest read all of stdin"
  run_case --ok-stderr --out "$LOGS/big.out" -- "$(wasm stdio)" big
  host_check "4 MiB on stdout" test "$(stat -c %s "$LOGS/big.out")" = 4194304
  if have_python; then
    python3 -c 'import sys
sys.stdout.buffer.write(bytes((i * 131 + i // 4096) & 255 for i in range(4 << 20)))' \
      >"$LOGS/big.want"
    host_check "the 4 MiB are the pattern" cmp -s "$LOGS/big.want" "$LOGS/big.out"
  fi
  run_case --ok --stdin /dev/null -- "$(wasm stdio)" null
  run_case --ok -- "$(wasm stdio)" close
  expect_no_line "$LAST_ERR" 'lost' "nothing reaches a closed stderr"
}

t_deny() {
  make_fixture
  local p
  p=$(wasm deny)
  run_case --ok -- --deny-wasi path_open --dir "$SB::/sandbox" "$p" open
  host_check "nothing was created" test ! -e "$SB/new.txt"
  run_case --ok -- --deny-wasi path_open,random_get,clock_time_get,fd_readdir \
    --dir "$SB::/sandbox" "$p" many
  run_case --exit 0 -- --deny-wasi fd_write --dir "$SB::/sandbox" "$p" write
  host_check "a denied fd_write writes nothing" test ! -s "$LAST_OUT"
  # Tracing: one line per call on stderr, paths decoded, stdout untouched. A line starts
  # with the call's name (perhaps after a prefix): CALL matches what may come before it.
  local CALL='(^|[^A-Za-z0-9_])'
  run_case --ok -- --trace-wasi --dir "$SB::/sandbox" "$p" trace
  host_check "stdout has the guest's output only" \
    test "$(head -1 "$LAST_OUT")" = "traced output" -a "$(wc -l <"$LAST_OUT")" -eq 2
  expect_line "$LAST_ERR" "$CALL"'path_open\(.*"hello\.txt".*\) = ' \
    'a trace line for path_open("hello.txt") with its result'
  expect_line "$LAST_ERR" "$CALL"'path_open\(.*"does-not-exist\.txt".*(ENOENT|[Nn][Oo][Ee][Nn][Tt])' \
    "a trace line for the failed path_open, with its errno"
  expect_line "$LAST_ERR" "$CALL"'path_open\(.*name with' \
    "a trace line for the path with a quote and a newline"
  expect_no_line "$LAST_ERR" '^\.txt' "a newline in a path does not split the trace line"
  expect_line "$LAST_ERR" "$CALL"'path_filestat_get\(.*"sub/inner\.txt"' \
    "a trace line for path_filestat_get"
  expect_line "$LAST_ERR" "$CALL"'fd_write\(' "a trace line for fd_write"
  expect_line "$LAST_ERR" "$CALL"'fd_read\(' "a trace line for fd_read"
  expect_line "$LAST_ERR" "$CALL"'fd_prestat_get\(' "a trace line for fd_prestat_get"
  expect_no_line "$LAST_OUT" 'path_open' "no trace on stdout"
  # Denied calls are traced as such.
  run_case --ok -- --trace-wasi --deny-wasi path_open --dir "$SB::/sandbox" "$p" open
  expect_line "$LAST_ERR" "$CALL"'path_open\(.*([Dd][Ee][Nn][Ii][Ee][Dd]|NOTCAPABLE)' \
    "a denied call is traced as denied"
  # A name that is not a WASI call is a usage error.
  run_case --exit 2 -- --deny-wasi no_such_call --dir "$SB::/sandbox" "$p" open
  expect_line "$LAST_ERR" 'no_such_call' "the error names the unknown call"
}

t_sock() {
  if ! have_python; then
    echo "run_guest.sh: python3 not found; skipping $TEST" >&2
    exit 77
  fi
  run_case --ok -- "$(wasm sock)" none
  local port
  # A free port (the kernel's choice); another process could take it first, which fails the
  # test loudly rather than hanging it.
  port=$(python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])')
  # The guest side, in the background.
  RUNS=$((RUNS + 1))
  local gout=$LOGS/sock.out gerr=$LOGS/sock.err
  timeout -k 5 20 "$ISOLA" run --listen "127.0.0.1:$port" "$(wasm sock)" serve \
    </dev/null >"$gout" 2>"$gerr" &
  local gpid=$!
  # The client, bounded in time too.
  timeout -k 5 20 python3 - "$port" >"$LOGS/client.out" 2>&1 <<'EOF'
import socket, sys, threading, time
port = int(sys.argv[1])
deadline = time.time() + 15
while True:
    try:
        s = socket.create_connection(("127.0.0.1", port), timeout=2)
        break
    except OSError as e:
        if time.time() > deadline:
            sys.exit("client: cannot connect: %s" % e)
        time.sleep(0.05)
s.settimeout(15)
s.sendall(b"hello\n")
got = b""
while not got.endswith(b"ready\n"):
    d = s.recv(100)
    if not d:
        sys.exit("client: EOF before 'ready' (got %r)" % got)
    got += d
if got != b"ready\n":
    sys.exit("client: expected 'ready', got %r" % got)
payload = bytes((i * 7 + i // 1000) & 255 for i in range(100000))
def send():
    for i in range(0, len(payload), 7000):
        s.sendall(payload[i:i + 7000])
    s.shutdown(socket.SHUT_WR)
threading.Thread(target=send, daemon=True).start()
back = b""
while True:
    d = s.recv(65536)
    if not d:
        break
    back += d
want = payload + b"bye 100000\n"
if back != want:
    m = min(len(back), len(want))
    n = next((i for i in range(m) if back[i] != want[i]), m)
    sys.exit("client: echo differs at byte %d (got %d bytes, expected %d): %r"
             % (n, len(back), len(want), back[n:n + 40]))
s.close()
print("client: ok, %d bytes echoed" % len(payload))
EOF
  local crc=$?
  wait "$gpid"
  local grc=$?
  LAST_OUT=$gout LAST_ERR=$gerr LAST_RC=$grc
  cat "$LOGS/client.out" >&2
  HOST_CHECKS=$((HOST_CHECKS + 1))
  [ "$crc" -eq 0 ] || fail "the client failed (exit $crc)"
  if [ "$grc" -ne 0 ] || ! grep -Eq '^ok [0-9]+ checks$' "$gout"; then
    fail "isola run --listen 127.0.0.1:$port sock.wasm serve: exit $grc"
    show_last
  else
    GUEST_CHECKS=$((GUEST_CHECKS + $(grep -Eo '^ok [0-9]+' "$gout" | grep -Eo '[0-9]+')))
  fi
  run_case --exit 2 -- --listen 127.0.0.1:notaport "$(wasm sock)" none
}

t_rights() {
  make_fixture
  run_case --ok -- --dir "$SB::/sandbox" --dir "$SB/sub::data" --dir "$SB/empty" \
    --env "EMPTY_HOST=$SB/empty" "$(wasm rights)"
  host_check "nothing was created through restricted fds" test ! -e "$SB/sub/nope" -a ! -e "$SB/empty/f"
}

t_badptr() {
  make_fixture
  local m
  for m in iovs_past_end write_buf_past_end write_buf_wraps read_buf_past_end huge_iovs_len \
    result_past_end args_past_end environ_sizes_past_end random_wraps random_past_end \
    clock_result_past_end path_past_end path_len_huge poll_many poll_out_past_end \
    readdir_past_end prestat_name_past_end filestat_past_end; do
    run_case --exit '*' --timeout 20 --stdin-cmd "printf 'some input\n'" -- \
      --dir "$SB::/sandbox" "$(wasm badptr)" "$m"
    HOST_CHECKS=$((HOST_CHECKS + 1))
    if [ "$LAST_RC" -eq 0 ] && grep -q '^refused: ' "$LAST_OUT"; then
      :
    elif [ "$LAST_RC" -eq 134 ] && grep -q '^isola: trap' "$LAST_ERR"; then
      :
    else
      fail "badptr $m: neither refused nor trapped (exit $LAST_RC)"
      show_last
    fi
  done
  host_check "nothing was created by the bad path calls" test ! -e "$SB/hello.txt/x"
}

t_cli_errors() {
  make_fixture
  local p
  p=$(wasm args_env)
  run_case --exit 2 -- --dir "$T/no-such-dir::/x" "$p" noenv
  expect_line "$LAST_ERR" 'no-such-dir' "the error names the missing directory"
  run_case --exit 2 -- --dir "$SB/hello.txt::/x" "$p" noenv
}

case $TEST in
  args_env | clock | random | fd_basic | path_ops | readdir | escape | escape_ro | \
    escape_overlay | escape_race | escape_race_overlay | readonly | overlay | poll | \
    proc_exit | proc_raise | stdio | deny | sock | rights | badptr | cli_errors)
    "t_$TEST"
    ;;
  *)
    echo "run_guest.sh: unknown test '$TEST'" >&2
    exit 2
    ;;
esac

if [ "$FAILS" -ne 0 ]; then
  echo "run_guest.sh: $TEST: $FAILS failure(s) in $RUNS runs ($GUEST_CHECKS guest checks" \
    "passed in the runs that passed, $HOST_CHECKS host checks)" >&2
  exit 1
fi
echo "run_guest.sh: $TEST: $RUNS runs, $GUEST_CHECKS guest checks, $HOST_CHECKS host checks, all passed"
exit 0
