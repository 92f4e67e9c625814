#!/usr/bin/env bash
# End-to-end test of one real program from a Debian source package: runs the
# wasm32-wasi build under a WASI runner and the native build from the same sources,
# with the same inputs, and compares what they print, their exit statuses and every
# file they write, byte for byte. Built by tests/e2e/build-programs.sh.
#
# Usage: tests/e2e/run-e2e.sh PROG RUNNER [PROGRAMS_DIR]
#   PROG          minigzip | sqlite3 | lua
#   RUNNER        path to the isola binary (runs `isola run ...`), or `node` to run
#                 the same checks under node's WASI (bench/wasi/node-wasi.mjs), which
#                 validates the wasm builds independently of Isola
#   PROGRAMS_DIR  where <prog>.wasm and <prog>.native are (default build/e2e)
# Env: E2E_TIMEOUT seconds per program run (default 300), E2E_KEEP=1 keeps the
# scratch directory (a mktemp dir, removed otherwise).
#
# Exit status 0 iff every check passed. Every check prints one line, "ok" or "FAIL";
# a failure shows the difference.
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
DATA="$ROOT/tests/e2e/data"
PROG="${1:-}"
RUNNER="${2:-}"
PROGRAMS="${3:-$ROOT/build/e2e}"
TIMEOUT="${E2E_TIMEOUT:-300}"

usage() { sed -n '2,17p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }
case "$PROG" in
  minigzip|sqlite3|lua) ;;
  -h|--help) usage; exit 0 ;;
  *) echo "run-e2e: unknown program '$PROG'" >&2; usage >&2; exit 2 ;;
esac
[ -n "$RUNNER" ] || { echo "run-e2e: no runner given" >&2; usage >&2; exit 2; }

WASM="$PROGRAMS/$PROG.wasm"
NATIVE="$PROGRAMS/$PROG.native"
for f in "$WASM" "$NATIVE"; do
  if [ ! -f "$f" ]; then
    echo "run-e2e: FAIL: $f does not exist: build it with tests/e2e/build-programs.sh" \
         "(needs the network for apt-get source)" >&2
    exit 1
  fi
done

if [ "$RUNNER" = node ]; then
  RUN=(node --no-warnings "$ROOT/bench/wasi/node-wasi.mjs")
  RUNNER_NAME="node $(node --version)"
else
  [ -x "$RUNNER" ] || { echo "run-e2e: FAIL: runner '$RUNNER' is not an executable" >&2; exit 1; }
  RUN=("$RUNNER" run)
  RUNNER_NAME="$RUNNER run"
fi

T="$(mktemp -d "${TMPDIR:-/tmp}/isola-e2e-$PROG.XXXXXX")"
if [ "${E2E_KEEP:-0}" = 1 ]; then
  trap 'echo "run-e2e: scratch directory kept: $T"' EXIT
else
  trap 'rm -rf "$T"' EXIT
fi

FAILS=0
CHECKS=0
ok() { CHECKS=$((CHECKS + 1)); echo "ok   $*"; }
fail() { CHECKS=$((CHECKS + 1)); FAILS=$((FAILS + 1)); echo "FAIL $*"; }

# wasm [RUNNER OPTIONS...] -- [ARGS...]: runs $WASM under the runner; stdin, stdout
# and stderr are the caller's. Sets RC.
wasm() {
  local opts=()
  while [ $# -gt 0 ] && [ "$1" != -- ]; do opts+=("$1"); shift; done
  shift
  timeout "$TIMEOUT" "${RUN[@]}" "${opts[@]}" "$WASM" "$@"
  RC=$?
  [ "$RC" = 124 ] && echo "run-e2e: wasm run timed out after ${TIMEOUT}s" >&2
  return 0
}
# native [VAR=VALUE...] -- [ARGS...]: runs $NATIVE in a clean environment holding only
# the given variables (a WASI guest sees only what --env gives it). Sets RC.
native() {
  local envs=()
  while [ $# -gt 0 ] && [ "$1" != -- ]; do envs+=("$1"); shift; done
  shift
  timeout "$TIMEOUT" env -i "${envs[@]}" "$NATIVE" "$@"
  RC=$?
  return 0
}

# same_file WHAT EXPECTED ACTUAL: byte-for-byte comparison; shows a diff on failure.
same_file() {
  local what="$1" a="$2" b="$3"
  if [ ! -f "$a" ]; then fail "$what: native side produced no $(basename "$a")"; return; fi
  if [ ! -f "$b" ]; then fail "$what: wasm side produced no $(basename "$b")"; return; fi
  if cmp -s "$a" "$b"; then
    ok "$what ($(stat -c %s "$a") bytes)"
  else
    fail "$what: differs (native ${a#"$T"/}, wasm ${b#"$T"/}): $(cmp "$a" "$b" 2>&1 | head -n 1)"
    if grep -qI . "$a" && grep -qI . "$b"; then
      diff -u "$a" "$b" | head -n 40 | sed 's/^/    /'
    fi
  fi
}
# same_status WHAT EXPECTED NATIVE WASM
same_status() {
  local what="$1" want="$2" n="$3" w="$4"
  if [ "$n" = "$want" ] && [ "$w" = "$want" ]; then
    ok "$what: exit status $want"
  else
    fail "$what: exit status native $n, wasm $w, expected $want"
    return 1
  fi
}
# absent WHAT PATH...: the paths must not exist
absent() {
  local what="$1" p
  shift
  for p in "$@"; do
    if [ -e "$p" ]; then fail "$what: ${p#"$T"/} is left behind"; return; fi
  done
  ok "$what"
}
show_stderr() { # show_stderr FILE: a failing run's stderr, indented
  [ -s "$1" ] && head -n 20 "$1" | sed 's/^/    stderr: /'
  return 0
}

echo "run-e2e: $PROG: $WASM under $RUNNER_NAME vs $NATIVE (scratch $T)"

# --- minigzip -------------------------------------------------------------------
test_minigzip() {
  # Input: 1.5 MB of generated text (deterministic) followed by binary data (the
  # wasm module itself), so deflate sees both kinds.
  LC_ALL=C awk 'BEGIN {
      split("the of and to in is was that for it with as his on be at by had are but from or have an they which one you were all her she there would their we him been has when who will more no if out so said what up its about into than them can only other new some could time these two may then do first any my now such like our over man me even most made after also did many before must through back years where much your way well down should because each just those people how too little state good very make world still own see men work long get here between both life being under never day same another know while last might us great old year off come since against go came right used take three", w, " ")
      n = 0; for (k in w) n++
      seed = 20240601
      for (line = 0; line < 25000; line++) {
        len = 6 + line % 9; s = ""
        for (i = 0; i < len; i++) {
          seed = (seed * 69069 + 1) % 4294967296   # exact in double precision
          s = s (i ? " " : "") w[1 + int(seed / 65536) % n]
        }
        printf "%05d %s.\n", line, s
      }
    }' >"$T/input"
  cat "$WASM" >>"$T/input"
  mkdir -p "$T/w" "$T/n"

  # 1. Compress files in place (default level 6): FILE -> FILE.gz, FILE removed.
  for side in w n; do
    cp "$T/input" "$T/$side/data"
    head -c 100000 "$T/input" >"$T/$side/small"
    : >"$T/$side/empty"
  done
  wasm --dir "$T/w::/work" -- /work/data /work/small /work/empty 2>"$T/w.err"
  local rcw=$RC
  (cd "$T/n" && native -- "$T/n/data" "$T/n/small" "$T/n/empty") 2>"$T/n.err"
  same_status "compress files in a preopened dir" 0 "$RC" "$rcw" ||
    show_stderr "$T/w.err"
  same_file "data.gz (level 6) equals native" "$T/n/data.gz" "$T/w/data.gz"
  same_file "small.gz equals native" "$T/n/small.gz" "$T/w/small.gz"
  same_file "empty.gz equals native" "$T/n/empty.gz" "$T/w/empty.gz"
  absent "originals removed after compression" "$T/w/data" "$T/w/small" "$T/w/empty"
  if command -v gzip >/dev/null; then
    if gzip -t "$T/w/data.gz" 2>"$T/gzip.err"; then ok "gzip -t accepts the wasm-written data.gz"
    else fail "gzip -t rejects the wasm-written data.gz: $(head -c 200 "$T/gzip.err")"; fi
  fi

  # 2. Decompress in place: FILE.gz -> FILE, FILE.gz removed.
  wasm --dir "$T/w::/work" -- -d /work/data.gz /work/small.gz /work/empty.gz 2>"$T/w.err"
  rcw=$RC
  (cd "$T/n" && native -- -d "$T/n/data.gz" "$T/n/small.gz" "$T/n/empty.gz") 2>"$T/n.err"
  same_status "decompress files in a preopened dir" 0 "$RC" "$rcw" ||
    show_stderr "$T/w.err"
  same_file "data round trip" "$T/input" "$T/w/data"
  same_file "small round trip" "$T/n/small" "$T/w/small"
  same_file "empty round trip" "$T/n/empty" "$T/w/empty"
  absent ".gz files removed after decompression" "$T/w/data.gz" "$T/w/small.gz" "$T/w/empty.gz"

  # 3. stdin -> stdout at every strategy and a few levels; then back.
  local opt name
  for opt in -1 -6 -9 -f -h -r; do
    name="stdin${opt}"
    wasm -- "$opt" <"$T/input" >"$T/w/$name.gz" 2>"$T/w.err"
    rcw=$RC
    native -- "$opt" <"$T/input" >"$T/n/$name.gz" 2>"$T/n.err"
    same_status "compress stdin->stdout $opt" 0 "$RC" "$rcw" ||
      show_stderr "$T/w.err"
    same_file "stdout $opt equals native" "$T/n/$name.gz" "$T/w/$name.gz"
    wasm -- -d <"$T/w/$name.gz" >"$T/w/$name.out" 2>"$T/w.err"
    [ "$RC" = 0 ] || { fail "decompress stdin->stdout after $opt: exit $RC"; show_stderr "$T/w.err"; }
    same_file "stdin->stdout round trip $opt" "$T/input" "$T/w/$name.out"
  done

  # 4. -c: compress a file from a read-only preopen to stdout; -d -c: zcat.
  cp "$T/input" "$T/n/data"
  mkdir -p "$T/ro"
  cp "$T/input" "$T/ro/data"
  cp "$T/n/stdin-9.gz" "$T/ro/data9.gz"
  wasm --dir "$T/ro::/in:ro" -- -c -9 /in/data >"$T/w/copyout.gz" 2>"$T/w.err"
  rcw=$RC
  native -- -c -9 "$T/n/data" >"$T/n/copyout.gz" 2>"$T/n.err"
  same_status "-c from a read-only preopen" 0 "$RC" "$rcw" || show_stderr "$T/w.err"
  same_file "-c output equals native" "$T/n/copyout.gz" "$T/w/copyout.gz"
  wasm --dir "$T/ro::/in:ro" -- -d -c /in/data9.gz >"$T/w/zcat.out" 2>"$T/w.err"
  [ "$RC" = 0 ] || { fail "-d -c: exit $RC"; show_stderr "$T/w.err"; }
  same_file "-d -c (zcat) output" "$T/input" "$T/w/zcat.out"
  if [ -f "$T/ro/data" ] && [ -f "$T/ro/data9.gz" ]; then ok "read-only inputs untouched"
  else fail "read-only inputs were removed"; fi

  # 5. Errors: a missing file ends the program with status 1.
  wasm --dir "$T/w::/work" -- -d /work/missing.gz 2>"$T/w.err"
  rcw=$RC
  native -- -d "$T/n/missing.gz" 2>"$T/n.err"
  same_status "missing input" 1 "$RC" "$rcw"
  if grep -q "can't gzopen" "$T/w.err"; then ok "missing input: wasm reports can't gzopen"
  else fail "missing input: wasm stderr lacks \"can't gzopen\""; show_stderr "$T/w.err"; fi
}

# --- sqlite3 --------------------------------------------------------------------
test_sqlite3() {
  # Layout per side: sql/ (scripts, read-only in wasm: /sql) and data/ (the database,
  # writable: /data). The scripts name paths as @SQL@ and @DATA@.
  local side sqldir datadir
  for side in w n; do
    mkdir -p "$T/$side/sql" "$T/$side/data"
    if [ "$side" = w ]; then sqldir=/sql datadir=/data; else sqldir="$T/n/sql" datadir="$T/n/data"; fi
    for f in sqlite-create.sql sqlite-query.sql; do
      sed -e "s|@SQL@|$sqldir|g" -e "s|@DATA@|$datadir|g" "$DATA/$f" >"$T/$side/sql/$f"
    done
    cp "$DATA/people.csv" "$T/$side/sql/"
    : >"$T/$side/sql/init.sql" # -init: neither side reads a ~/.sqliterc
  done
  local W=(--dir "$T/w/data::/data" --dir "$T/w/sql::/sql:ro" --env TMPDIR=/data)
  local NENV=(TMPDIR="$T/n/data")
  local rcw

  # Phase 1: .read a script (from the read-only dir) given as a command argument.
  wasm "${W[@]}" -- -batch -bail -init /sql/init.sql /data/test.db ".read /sql/sqlite-create.sql" \
    >"$T/w/create.out" 2>"$T/w/create.err"
  rcw=$RC
  native "${NENV[@]}" -- -batch -bail -init "$T/n/sql/init.sql" "$T/n/data/test.db" \
    ".read $T/n/sql/sqlite-create.sql" >"$T/n/create.out" 2>"$T/n/create.err"
  same_status "create: .read a script" 0 "$RC" "$rcw" ||
    show_stderr "$T/w/create.err"
  same_file "create: stdout" "$T/n/create.out" "$T/w/create.out"
  same_file "create: stderr" "$T/n/create.err" "$T/w/create.err"
  same_file "create: .output file" "$T/n/data/out.txt" "$T/w/data/out.txt"
  same_file "create: .once file" "$T/n/data/once.csv" "$T/w/data/once.csv"
  same_file "create: writefile() file" "$T/n/data/blob.bin" "$T/w/data/blob.bin"

  # Phase 2: SQL on stdin against the database written in phase 1.
  wasm "${W[@]}" -- -batch -bail -init /sql/init.sql /data/test.db \
    <"$T/w/sql/sqlite-query.sql" >"$T/w/query.out" 2>"$T/w/query.err"
  rcw=$RC
  native "${NENV[@]}" -- -batch -bail -init "$T/n/sql/init.sql" "$T/n/data/test.db" \
    <"$T/n/sql/sqlite-query.sql" >"$T/n/query.out" 2>"$T/n/query.err"
  same_status "query: SQL on stdin, reopened database" 0 "$RC" "$rcw" ||
    show_stderr "$T/w/query.err"
  same_file "query: stdout" "$T/n/query.out" "$T/w/query.out"
  same_file "query: stderr" "$T/n/query.err" "$T/w/query.err"
  absent "no lock, journal or temporary file left in the data dir" \
    "$T/w/data/test.db.lock" "$T/w/data/test.db-journal" "$T/w/data/test.db-wal"
  if [ -n "$(find "$T/w/data" -name 'etilqs_*' -print -quit)" ]; then
    fail "temporary files left in the data dir: $(ls "$T/w/data")"
  fi

  # Phase 3: the database file written through the preopen is a good SQLite file.
  native -- -batch -init "$T/n/sql/init.sql" "$T/w/data/test.db" "PRAGMA integrity_check;" >"$T/w/native-check.out" 2>&1
  if [ "$RC" = 0 ] && [ "$(cat "$T/w/native-check.out")" = ok ]; then
    ok "native integrity_check of the wasm-written database: ok"
  else
    fail "native integrity_check of the wasm-written database: exit $RC: $(head -c 300 "$T/w/native-check.out")"
  fi
  native -- -batch -init "$T/n/sql/init.sql" "$T/w/data/test.db" .dump >"$T/w/native-dump.sql" 2>"$T/w/native-dump.err"
  native -- -batch -init "$T/n/sql/init.sql" "$T/n/data/test.db" .dump >"$T/n/native-dump.sql" 2>"$T/n/native-dump.err"
  same_file "native .dump of the wasm-written db equals that of the native db" \
    "$T/n/native-dump.sql" "$T/w/native-dump.sql"
  same_file "database file equals the native one" "$T/n/data/test.db" "$T/w/data/test.db"
  # ... and the wasm shell reads a natively written database the same way, from a
  # read-only preopen. The wasm build locks with unix-dotfile, which must create
  # <db>.lock even to read, and cannot in a read-only directory (EROFS: a "disk I/O
  # error"); SQLite's answer for read-only media is the immutable=1 URI (no locks).
  mkdir -p "$T/w/ndb"
  cp "$T/n/data/test.db" "$T/w/ndb/native.db"
  wasm --dir "$T/w/ndb::/ndb:ro" --dir "$T/w/sql::/sql:ro" -- -batch -init /sql/init.sql \
    "file:/ndb/native.db?immutable=1" .dump >"$T/w/wasm-dump.sql" 2>"$T/w/wasm-dump.err"
  [ "$RC" = 0 ] || { fail "wasm .dump of the native db (read-only): exit $RC"; show_stderr "$T/w/wasm-dump.err"; }
  same_file "wasm .dump of the native db (read-only preopen, immutable) equals native .dump" \
    "$T/n/native-dump.sql" "$T/w/wasm-dump.sql"
  same_file "wasm .dump: stderr" "$T/n/native-dump.err" "$T/w/wasm-dump.err"

  # Phase 4: an SQL error with -bail: message on stderr, exit status 1.
  wasm "${W[@]}" -- -batch -bail -init /sql/init.sql /data/test.db "SELECT * FROM no_such_table;" \
    >"$T/w/error.out" 2>"$T/w/error.err"
  rcw=$RC
  native "${NENV[@]}" -- -batch -bail -init "$T/n/sql/init.sql" "$T/n/data/test.db" \
    "SELECT * FROM no_such_table;" \
    >"$T/n/error.out" 2>"$T/n/error.err"
  same_status "SQL error" 1 "$RC" "$rcw"
  same_file "SQL error: stderr" "$T/n/error.err" "$T/w/error.err"

  # Phase 5 (Isola only: node has no overlay mounts): phase 1 again with the data dir
  # mounted :overlay. The guest sees its own writes (same output as native), the host
  # directory stays untouched.
  if [ "$RUNNER" = node ]; then
    echo "skip overlay phase: node's WASI has no :overlay mounts"
    return
  fi
  mkdir -p "$T/w/ovl"
  wasm --dir "$T/w/ovl::/data:overlay" --dir "$T/w/sql::/sql:ro" --env TMPDIR=/data -- \
    -batch -bail -init /sql/init.sql /data/test.db ".read /sql/sqlite-create.sql" \
    >"$T/w/overlay.out" 2>"$T/w/overlay.err"
  [ "$RC" = 0 ] || { fail "overlay: exit $RC"; show_stderr "$T/w/overlay.err"; }
  same_file "overlay: stdout equals native" "$T/n/create.out" "$T/w/overlay.out"
  if [ -z "$(ls -A "$T/w/ovl")" ]; then ok "overlay: host directory untouched"
  else fail "overlay: host directory has $(find "$T/w/ovl" -mindepth 1 -printf '%P ')"; fi
}

# --- lua ------------------------------------------------------------------------
test_lua() {
  # Both sides run with the same absolute paths (the wasm side preopens the directory
  # under its host name), so chunk names in messages match: the wasm side runs first,
  # its results are moved aside, then the native side runs in a fresh copy.
  local run="$T/run" side rcw
  (for i in $(seq 1 500); do echo "line $i: $((i * 37 % 101)) and -$i"; done) >"$T/stdin.txt"
  for side in w n; do
    rm -rf "$run"
    mkdir -p "$run/work"
    cp "$DATA/e2e.lua" "$DATA/e2e-error.lua" "$run/"
    if [ "$side" = w ]; then
      wasm --dir "$run" --env E2E_GREETING=héllo --env E2E_EXIT=3 -- \
        "$run/e2e.lua" "$run/work" alpha "two words" "" <"$T/stdin.txt" >"$run/main.out" 2>"$run/main.err"
      echo "$RC" >"$run/main.rc"
      wasm --dir "$run" -- "$run/e2e-error.lua" >"$run/error.out" 2>"$run/error.err"
      echo "$RC" >"$run/error.rc"
      wasm -- -e 'io.write(("%d %s %.3f\n"):format(#arg, _VERSION, math.pi)) os.exit(7)' \
        >"$run/exit.out" 2>"$run/exit.err"
      echo "$RC" >"$run/exit.rc"
    else
      # lua.c names itself by argv[0] in messages: make that "lua", as the wasm side
      # prints (env execs a PATH lookup with argv[0] as given).
      mkdir -p "$T/bin"
      ln -sf "$NATIVE" "$T/bin/lua"
      timeout "$TIMEOUT" env -i PATH="$T/bin" E2E_GREETING=héllo E2E_EXIT=3 TZ=UTC lua \
        "$run/e2e.lua" "$run/work" alpha "two words" "" <"$T/stdin.txt" >"$run/main.out" 2>"$run/main.err"
      echo "$?" >"$run/main.rc"
      timeout "$TIMEOUT" env -i PATH="$T/bin" lua "$run/e2e-error.lua" >"$run/error.out" 2>"$run/error.err"
      echo "$?" >"$run/error.rc"
      timeout "$TIMEOUT" env -i PATH="$T/bin" lua \
        -e 'io.write(("%d %s %.3f\n"):format(#arg, _VERSION, math.pi)) os.exit(7)' \
        >"$run/exit.out" 2>"$run/exit.err"
      echo "$?" >"$run/exit.rc"
    fi
    mv "$run" "$T/$side"
  done
  same_status "script with os.exit(3)" 3 "$(cat "$T/n/main.rc")" "$(cat "$T/w/main.rc")" ||
    show_stderr "$T/w/main.err"
  same_file "script: stdout" "$T/n/main.out" "$T/w/main.out"
  same_file "script: stderr" "$T/n/main.err" "$T/w/main.err"
  local f
  for f in lua-out.txt lua-summary.txt; do
    same_file "script: $f written through the preopen" "$T/n/work/$f" "$T/w/work/$f"
  done
  absent "script: renamed-then-removed file is gone" "$T/w/work/lua-bin.dat" "$T/w/work/lua-renamed.dat"
  same_status "uncaught error" 1 "$(cat "$T/n/error.rc")" "$(cat "$T/w/error.rc")"
  same_file "uncaught error: stdout" "$T/n/error.out" "$T/w/error.out"
  same_file "uncaught error: message and traceback on stderr" "$T/n/error.err" "$T/w/error.err"
  same_status "lua -e 'os.exit(7)'" 7 "$(cat "$T/n/exit.rc")" "$(cat "$T/w/exit.rc")"
  same_file "lua -e: stdout" "$T/n/exit.out" "$T/w/exit.out"
}

"test_$PROG"

echo "run-e2e: $PROG: $((CHECKS - FAILS)) of $CHECKS checks passed"
[ "$FAILS" = 0 ]
