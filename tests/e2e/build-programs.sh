#!/usr/bin/env bash
# Builds the end-to-end test programs from Debian's own source packages, twice each:
# for wasm32-wasi (clang --target=wasm32-wasi, wasi-libc) and natively (clang), from
# the same sources, so tests/e2e/run-e2e.sh can compare the two byte for byte.
#
#   minigzip   zlib 1.2.13 (source package zlib): test/minigzip.c + the library
#   sqlite3    SQLite 3.40.1 (sqlite3): the shell, shell.c + the sqlite3.c amalgamation,
#              both generated from the source tree (configure; make sqlite3.c shell.c)
#   lua        Lua 5.4.4 (lua5.4): the standalone interpreter, src/*.c minus luac.c
#
# Sources: `apt-get source` into SRC (default build/e2e-src), after adding a deb-src
# entry for bookworm if the machine has none (needs root or sudo, and the network).
# Outputs: OUT/<prog>.wasm and OUT/<prog>.native (default build/e2e), plus
# OUT/BUILD-INFO.txt with the exact compiler commands. Idempotent: fetches only what
# is missing and rebuilds only what is out of date. No source file is patched; what
# WASI lacks is supplied by the small headers in tests/e2e/wasi-compat/ (see
# tests/e2e/README.md for every flag and why).
#
# Usage: tests/e2e/build-programs.sh [--src DIR] [--out DIR] [--force] [-j N] [PROG...]
#   PROG       minigzip, sqlite3, lua (default: all three)
#   --force    rebuild everything
#   -j N       parallel compiler jobs (default: nproc)
# Env: WASM_CC, NATIVE_CC (default clang).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
HERE="$ROOT/tests/e2e"
COMPAT="$HERE/wasi-compat"
SRC="$ROOT/build/e2e-src"
OUT="$ROOT/build/e2e"
FORCE=0
JOBS="$(nproc 2>/dev/null || echo 2)"
PROGS=()

usage() { sed -n '2,23p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }
while [ $# -gt 0 ]; do
  case "$1" in
    --src) SRC="${2:?--src needs a directory}"; shift 2 ;;
    --out) OUT="${2:?--out needs a directory}"; shift 2 ;;
    --force) FORCE=1; shift ;;
    -j) JOBS="${2:?-j needs a number}"; shift 2 ;;
    -j*) JOBS="${1#-j}"; shift ;;
    -h|--help) usage; exit 0 ;;
    minigzip|sqlite3|lua) PROGS+=("$1"); shift ;;
    *) echo "build-programs: unknown argument '$1'" >&2; usage >&2; exit 2 ;;
  esac
done
[ ${#PROGS[@]} -gt 0 ] || PROGS=(minigzip sqlite3 lua)
mkdir -p "$SRC" "$OUT"
SRC="$(cd "$SRC" && pwd)"
OUT="$(cd "$OUT" && pwd)"

WASM_CC="${WASM_CC:-clang}"
NATIVE_CC="${NATIVE_CC:-clang}"
LOGS="$OUT/logs"
mkdir -p "$LOGS"

log() { echo "build-programs: $*" >&2; }
die() { log "ERROR: $*"; exit 1; }
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"

want() { local p; for p in "${PROGS[@]}"; do [ "$p" = "$1" ] && return 0; done; return 1; }

# --- 0. tools -----------------------------------------------------------------

for tool in "$WASM_CC" "$NATIVE_CC" wasm-ld wasm-objdump make; do
  command -v "$tool" >/dev/null || die "missing $tool (run scripts/install-deps.sh)"
done
[ -f /usr/lib/wasm32-wasi/libc.a ] || die "wasi-libc is not installed (run scripts/install-deps.sh)"
if want sqlite3 && ! command -v tclsh >/dev/null; then
  die "missing tclsh, needed to generate SQLite's amalgamation (Debian package tcl; run scripts/install-deps.sh)"
fi

# --- 1. sources ---------------------------------------------------------------

# Source package for each program.
declare -A PKG=([minigzip]=zlib [sqlite3]=sqlite3 [lua]=lua5.4)

have_deb_src() {
  # One-line format: "deb-src <uri> bookworm ..."
  if grep -hsE '^[[:space:]]*deb-src[[:space:]].*[[:space:]]bookworm([[:space:]]|$)' \
      /etc/apt/sources.list /etc/apt/sources.list.d/*.list >/dev/null 2>&1; then
    return 0
  fi
  # deb822 format: a stanza whose Types include deb-src and Suites include bookworm.
  local f
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] || continue
    awk 'BEGIN { RS = "" }
         /(^|\n)Types:[^\n]*deb-src/ && /(^|\n)Suites:[^\n]*bookworm([ \t\n]|$)/ { found = 1 }
         END { exit !found }' "$f" && return 0
  done
  return 1
}

src_dir() { # newest extracted source tree of a package, e.g. zlib-1.2.13.dfsg
  local d best=""
  for d in "$SRC/$1"-[0-9]*/; do
    [ -d "$d" ] && best="${d%/}"
  done
  [ -n "$best" ] && { echo "$best"; return 0; }
  return 1
}

fetch_sources() {
  local missing=() p
  for p in "${PROGS[@]}"; do
    src_dir "${PKG[$p]}" >/dev/null || missing+=("${PKG[$p]}")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  command -v dpkg-source >/dev/null || die "missing dpkg-source (Debian package dpkg-dev; run scripts/install-deps.sh)"
  local updated=0
  if ! have_deb_src; then
    log "adding a deb-src entry for bookworm: /etc/apt/sources.list.d/isola-e2e-src.sources"
    $SUDO tee /etc/apt/sources.list.d/isola-e2e-src.sources >/dev/null <<'SOURCES'
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: bookworm
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SOURCES
    log "apt-get update"
    $SUDO apt-get update -qq || die "apt-get update failed (no network?)"
    updated=1
  fi
  log "apt-get source ${missing[*]} (into $SRC)"
  if ! (cd "$SRC" && apt-get source -qq "${missing[@]}" >"$LOGS/apt-get-source.log" 2>&1); then
    if [ "$updated" = 0 ]; then
      log "apt-get source failed; retrying after apt-get update"
      $SUDO apt-get update -qq || die "apt-get update failed (no network?)"
      (cd "$SRC" && apt-get source -qq "${missing[@]}" >"$LOGS/apt-get-source.log" 2>&1) ||
        { tail -n 20 "$LOGS/apt-get-source.log" >&2; die "apt-get source ${missing[*]} failed (no network?)"; }
    else
      tail -n 20 "$LOGS/apt-get-source.log" >&2
      die "apt-get source ${missing[*]} failed (no network?)"
    fi
  fi
  for p in "${PROGS[@]}"; do
    src_dir "${PKG[$p]}" >/dev/null || die "apt-get source ${PKG[$p]} left no source tree in $SRC"
  done
}

fetch_sources

# --- 2. build helpers ---------------------------------------------------------

# out_of_date OUTPUT INPUT...: true if OUTPUT is missing or older than an input.
out_of_date() {
  local out="$1" f
  shift
  [ "$FORCE" = 1 ] && return 0
  [ -f "$out" ] || return 0
  for f in "$@"; do [ "$f" -nt "$out" ] && return 0; done
  return 1
}

# Background jobs, at most $JOBS at a time; a failed job fails the build.
FAILED=0
RUNNING=0
reap_one() {
  if ! wait -n; then FAILED=1; fi
  RUNNING=$((RUNNING - 1))
}
spawn() { # spawn NAME COMMAND...: runs COMMAND in the background, output in logs/NAME.log
  local name="$1"
  shift
  while [ "$RUNNING" -ge "$JOBS" ]; do reap_one; done
  (
    if "$@" >"$LOGS/$name.log" 2>&1; then
      exit 0
    else
      echo "build-programs: ERROR: $name failed; last lines of $LOGS/$name.log:" >&2
      tail -n 30 "$LOGS/$name.log" >&2
      exit 1
    fi
  ) &
  RUNNING=$((RUNNING + 1))
}
wait_all() {
  while [ "$RUNNING" -gt 0 ]; do reap_one; done
  [ "$FAILED" = 0 ] || die "build failed"
}

# The exact command behind each output, gathered into OUT/BUILD-INFO.txt at the end.
CMDS="$OUT/cmds"
mkdir -p "$CMDS"
record() { # record LABEL COMMAND...
  local label="$1"
  shift
  { printf '%s:\n ' "$label"; printf ' %q' "$@"; printf '\n'; } >"$CMDS/$label.txt"
}

# compile LABEL OUTPUT COMMAND...: run COMMAND (a compile+link into OUTPUT) in the
# background via a temporary file, so a failed build never leaves a stale OUTPUT.
compile() {
  local label="$1" out="$2"
  shift 2
  record "$label" "$@" -o "$out"
  spawn "$label" "$@" -o "$out.tmp"
  TMP_OUTPUTS+=("$out")
}
TMP_OUTPUTS=()
commit_outputs() {
  local o
  for o in "${TMP_OUTPUTS[@]}"; do
    [ -f "$o.tmp" ] && mv -f "$o.tmp" "$o"
  done
  TMP_OUTPUTS=()
}

# Common flags. Compiler warnings in third-party sources are theirs, not ours, and go
# to the logs; but an implicitly declared function is an error (in wasm a wrong guess
# at a signature links to a trap), and so is any wasm-ld warning (--fatal-warnings:
# e.g. "function signature mismatch").
WASM_CFLAGS=(--target=wasm32-wasi -O2 -Werror=implicit-function-declaration)
# shellcheck disable=SC2054  # the commas belong to -Wl, options
WASM_LDFLAGS=(-Wl,--fatal-warnings -Wl,-z,stack-size=1048576)
NATIVE_CFLAGS=(-O2 -Werror=implicit-function-declaration)

COMPAT_FILES=("$COMPAT"/*.h "$COMPAT"/*.c "$COMPAT"/lua/*)
SELF="${BASH_SOURCE[0]}"

# --- 3. sqlite amalgamation (a background job: it overlaps the small builds) ----

gen_amalgamation() { # gen_amalgamation SQLITE_SRC AMALG_DIR (built aside, then renamed)
  rm -rf "$2" "$2.tmp"
  mkdir -p "$2.tmp"
  (cd "$2.tmp" && "$1/configure" --disable-tcl && make sqlite3.c shell.c) || return 1
  mv "$2.tmp" "$2"
}
if want sqlite3; then
  SQLITE="$(src_dir sqlite3)"
  AMALG="$OUT/sqlite-amalg"
  if [ "$FORCE" = 1 ] || [ ! -f "$AMALG/sqlite3.c" ] || [ ! -f "$AMALG/shell.c" ] ||
     [ ! -f "$AMALG/sqlite3.h" ] || [ "$SQLITE/VERSION" -nt "$AMALG/sqlite3.c" ]; then
    log "generating the sqlite3 amalgamation and shell.c in $AMALG"
    spawn sqlite-amalgamation gen_amalgamation "$SQLITE" "$AMALG"
  fi
fi

# --- 4. minigzip (zlib) -------------------------------------------------------

if want minigzip; then
  ZLIB="$(src_dir zlib)"
  ZSRCS=("$ZLIB/test/minigzip.c")
  for f in adler32 compress crc32 deflate gzclose gzlib gzread gzwrite infback inffast \
           inflate inftrees trees uncompr zutil; do
    ZSRCS+=("$ZLIB/$f.c")
  done
  # zlib's configure would set Z_HAVE_UNISTD_H in zconf.h on any POSIX system; without
  # it gz*.c call lseek/read/write undeclared.
  ZFLAGS=(-DZ_HAVE_UNISTD_H -I"$ZLIB")
  if out_of_date "$OUT/minigzip.wasm" "${ZSRCS[@]}" "$SELF"; then
    log "wasm   minigzip"
    compile minigzip.wasm "$OUT/minigzip.wasm" "$WASM_CC" "${WASM_CFLAGS[@]}" "${ZFLAGS[@]}" \
      "${ZSRCS[@]}" "${WASM_LDFLAGS[@]}"
  fi
  if out_of_date "$OUT/minigzip.native" "${ZSRCS[@]}" "$SELF"; then
    log "native minigzip"
    compile minigzip.native "$OUT/minigzip.native" "$NATIVE_CC" "${NATIVE_CFLAGS[@]}" "${ZFLAGS[@]}" \
      "${ZSRCS[@]}"
  fi
fi

# --- 5. lua -------------------------------------------------------------------

if want lua; then
  LUA="$(src_dir lua5.4)"
  LSRCS=()
  for f in "$LUA"/src/*.c; do
    [ "$(basename "$f")" = luac.c ] || LSRCS+=("$f")
  done
  # Debian's lua-modules-paths patch makes luaconf.h include a header that its
  # debian/rules generates; generate it the same way, once per target.
  LGEN="$OUT/lua-gen"
  mkdir -p "$LGEN/wasm" "$LGEN/native"
  multiarch="$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || $NATIVE_CC -print-multiarch)"
  for t in wasm:wasm32-wasi "native:$multiarch"; do
    hdr="$LGEN/${t%%:*}/lua5.4-deb-multiarch.h"
    want_text="$(printf '#ifndef _LUA_DEB_MULTIARCH_\n#define _LUA_DEB_MULTIARCH_\n#define DEB_HOST_MULTIARCH "%s"\n#endif' "${t#*:}")"
    [ -f "$hdr" ] && [ "$(cat "$hdr")" = "$want_text" ] || printf '%s\n' "$want_text" >"$hdr"
  done
  # LUA_COMPAT_5_3: as Debian (and upstream's makefile) build it.
  # wasm: Lua's generic ISO C configuration (no LUA_USE_POSIX: no popen, mkstemp or
  # sigaction in WASI), errors without longjmp (wasi-compat/lua/lua_wasi.h), signal()
  # from wasi-libc's emulation (lua.c installs a SIGINT handler), clock() from its
  # process-clock emulation (os.clock).
  # native: upstream's and Debian's "linux" configuration, without readline.
  if out_of_date "$OUT/lua.wasm" "${LSRCS[@]}" "${COMPAT_FILES[@]}" "$SELF"; then
    log "wasm   lua"
    compile lua.wasm "$OUT/lua.wasm" "$WASM_CC" "${WASM_CFLAGS[@]}" -DLUA_COMPAT_5_3 \
      -D_WASI_EMULATED_SIGNAL -D_WASI_EMULATED_PROCESS_CLOCKS \
      -I"$LGEN/wasm" -I"$COMPAT/lua" -include "$COMPAT/lua/lua_wasi.h" -I"$LUA/src" \
      "${LSRCS[@]}" "$COMPAT/lua/lua_wasi.c" \
      "${WASM_LDFLAGS[@]}" -lwasi-emulated-signal -lwasi-emulated-process-clocks
  fi
  if out_of_date "$OUT/lua.native" "${LSRCS[@]}" "$SELF"; then
    log "native lua"
    compile lua.native "$OUT/lua.native" "$NATIVE_CC" "${NATIVE_CFLAGS[@]}" -DLUA_COMPAT_5_3 \
      -DLUA_USE_LINUX -I"$LGEN/native" -I"$LUA/src" "${LSRCS[@]}" -Wl,-E -ldl -lm
  fi
fi

# --- 6. sqlite3 shell ---------------------------------------------------------

wait_all
commit_outputs
if want sqlite3; then
  # Both builds: no threads, no loadable extensions (as in bench/programs), and
  # LONGDOUBLE_TYPE=double: SQLite 3.40 converts floats to and from text through
  # `long double`, which is the 80-bit x87 type natively but IEEE binary128 (in
  # software) in wasm32, so the two print some REALs differently in the last digits
  # (native 750000.24999999999998, wasm 750000.25). With plain double both sides do
  # the same arithmetic and must agree to the byte.
  SQ_COMMON=(-DSQLITE_THREADSAFE=0 -DSQLITE_OMIT_LOAD_EXTENSION -DLONGDOUBLE_TYPE=double -I"$AMALG")
  # wasm only, because WASI cannot do these:
  #  -include sqlite_wasi.h      fcntl lock constants, fchown/fchmod/geteuid stubs
  #  -I wasi-compat              <pwd.h> that finds no user (shell's home directory)
  #  SQLITE_EXTRA_INIT           make "unix-dotfile" the default VFS (no fcntl locks)
  #  SQLITE_OMIT_WAL             WAL needs a shared-memory file with fcntl locks
  #  SQLITE_MAX_MMAP_SIZE=0      no memory-mapped I/O (WASI has no mmap of files)
  #  SQLITE_OMIT_POPEN           the shell's .output |cmd and .once |cmd (no processes)
  #  SQLITE_NOHAVE_SYSTEM        the shell's .system/.shell/.edit (no processes)
  #  _WASI_EMULATED_SIGNAL       the shell's SIGINT handler (signal())
  #  _WASI_EMULATED_PROCESS_CLOCKS  the shell's .timer (clock(), getrusage())
  #  _WASI_EMULATED_GETPID       os_unix.c's getpid()
  SQ_WASM=(-include "$COMPAT/sqlite_wasi.h" -I"$COMPAT" -DSQLITE_EXTRA_INIT=isola_e2e_sqlite_init
    -DSQLITE_OMIT_WAL -DSQLITE_MAX_MMAP_SIZE=0 -DSQLITE_OMIT_POPEN -DSQLITE_NOHAVE_SYSTEM
    -D_WASI_EMULATED_SIGNAL -D_WASI_EMULATED_PROCESS_CLOCKS -D_WASI_EMULATED_GETPID)
  SQ_WASM_LIBS=(-lwasi-emulated-signal -lwasi-emulated-process-clocks -lwasi-emulated-getpid)
  SQ_DEPS=("$AMALG/sqlite3.c" "$AMALG/shell.c" "$SELF")
  # sqlite3.c is the long pole (about 25 s per target): compile it and shell.c as
  # separate objects so both targets' big compiles run in parallel.
  OBJ="$OUT/obj"
  mkdir -p "$OBJ"
  if out_of_date "$OUT/sqlite3.wasm" "${SQ_DEPS[@]}" "${COMPAT_FILES[@]}"; then
    log "wasm   sqlite3"
    compile sqlite3.wasm-sqlite3.o "$OBJ/sqlite3.wasm.o" "$WASM_CC" "${WASM_CFLAGS[@]}" \
      "${SQ_COMMON[@]}" "${SQ_WASM[@]}" -c "$AMALG/sqlite3.c"
    compile sqlite3.wasm-shell.o "$OBJ/shell.wasm.o" "$WASM_CC" "${WASM_CFLAGS[@]}" \
      "${SQ_COMMON[@]}" "${SQ_WASM[@]}" -c "$AMALG/shell.c"
    compile sqlite3.wasm-init.o "$OBJ/sqlite_wasi_init.wasm.o" "$WASM_CC" "${WASM_CFLAGS[@]}" \
      "${SQ_COMMON[@]}" -c "$COMPAT/sqlite_wasi_init.c"
    SQ_LINK_WASM=1
  fi
  if out_of_date "$OUT/sqlite3.native" "${SQ_DEPS[@]}"; then
    log "native sqlite3"
    compile sqlite3.native-sqlite3.o "$OBJ/sqlite3.native.o" "$NATIVE_CC" "${NATIVE_CFLAGS[@]}" \
      "${SQ_COMMON[@]}" -c "$AMALG/sqlite3.c"
    compile sqlite3.native-shell.o "$OBJ/shell.native.o" "$NATIVE_CC" "${NATIVE_CFLAGS[@]}" \
      "${SQ_COMMON[@]}" -c "$AMALG/shell.c"
    SQ_LINK_NATIVE=1
  fi
fi

wait_all
commit_outputs

if [ "${SQ_LINK_WASM:-0}" = 1 ]; then
  compile sqlite3.wasm "$OUT/sqlite3.wasm" "$WASM_CC" --target=wasm32-wasi -O2 \
    "$OBJ/shell.wasm.o" "$OBJ/sqlite3.wasm.o" "$OBJ/sqlite_wasi_init.wasm.o" \
    "${WASM_LDFLAGS[@]}" "${SQ_WASM_LIBS[@]}"
fi
if [ "${SQ_LINK_NATIVE:-0}" = 1 ]; then
  compile sqlite3.native "$OUT/sqlite3.native" "$NATIVE_CC" -O2 \
    "$OBJ/shell.native.o" "$OBJ/sqlite3.native.o" -lm
fi
wait_all
commit_outputs

cat "$CMDS"/*.txt >"$OUT/BUILD-INFO.txt" 2>/dev/null || true

# --- 7. check -----------------------------------------------------------------

for p in "${PROGS[@]}"; do
  for ext in wasm native; do
    [ -f "$OUT/$p.$ext" ] || die "$OUT/$p.$ext was not built"
  done
  # A WASI command: exports _start and imports nothing but wasi_snapshot_preview1.
  if ! wasm-objdump -x -j Export "$OUT/$p.wasm" | grep -q '"_start"\|<_start>'; then
    die "$OUT/$p.wasm does not export _start"
  fi
  bad="$(wasm-objdump -x -j Import "$OUT/$p.wasm" | grep -E '^ - ' | grep -v 'wasi_snapshot_preview1\.' || true)"
  [ -z "$bad" ] || die "$OUT/$p.wasm imports something other than wasi_snapshot_preview1: $bad"
  printf 'build-programs: %-9s %s (%s bytes), %s\n' "$p" "$OUT/$p.wasm" \
    "$(stat -c %s "$OUT/$p.wasm")" "$OUT/$p.native" >&2
done
