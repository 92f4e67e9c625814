#!/usr/bin/env bash
# Fetches real programs from Debian source packages and builds them for the
# benchmark suite, each twice: a wasm32-wasi reactor exporting `run` with no
# imports, and a native executable from the same sources.
#
#   zlib    zlib sources        + bench/programs/zlib_driver.c
#   bzip2   bzip2 library       + bench/programs/bzip2_driver.c   (BZ_NO_STDIO)
#   sqlite  sqlite3 amalgamation + bench/programs/sqlite_driver.c (SQLITE_OS_OTHER,
#           in-memory VFS written in the driver)
#
# Sources go to build/bench-src/ (apt-get source), outputs to
# build/bench/programs/{zlib,bzip2,sqlite}.{wasm,native}. Idempotent: it only
# fetches what is missing and rebuilds what is out of date.
#
# Usage: bench/programs/fetch-and-build.sh [--force]   (--force rebuilds all)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
HERE="$ROOT/bench/programs"
SRC="$ROOT/build/bench-src"
OUT="$ROOT/build/bench/programs"
FORCE=0
[ "${1:-}" = "--force" ] && FORCE=1

WASM_CC=${WASM_CC:-clang}
NATIVE_CC=${NATIVE_CC:-clang}
# shellcheck disable=SC2054  # the commas belong to -Wl, options
WASM_FLAGS=(--target=wasm32-wasi -O2 -mexec-model=reactor
  -Wl,--export=run -Wl,-z,stack-size=1048576 -Wl,--strip-debug)
NATIVE_FLAGS=(-O2)
SQLITE_FLAGS=(-DSQLITE_OS_OTHER=1 -DSQLITE_THREADSAFE=0 -DSQLITE_OMIT_LOAD_EXTENSION
  -DSQLITE_TEMP_STORE=3)

log() { echo "fetch-and-build: $*" >&2; }
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

# --- 1. sources -------------------------------------------------------------

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
    if awk 'BEGIN { RS = "" }
            /(^|\n)Types:[^\n]*deb-src/ && /(^|\n)Suites:[^\n]*bookworm([ \t\n]|$)/ { found = 1 }
            END { exit !found }' "$f"; then
      return 0
    fi
  done
  return 1
}

src_dir() { # first extracted source tree for a package, e.g. zlib-1.2.13.dfsg
  local d
  for d in "$SRC/$1"-[0-9]*/; do
    [ -d "$d" ] && { echo "${d%/}"; return 0; }
  done
  return 1
}

fetch_sources() {
  local missing=()
  for p in zlib bzip2 sqlite3; do
    src_dir "$p" >/dev/null || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  command -v dpkg-source >/dev/null || { log "installing dpkg-dev"; $SUDO apt-get install -y -qq dpkg-dev; }
  if ! have_deb_src; then
    log "adding deb-src entry for bookworm: /etc/apt/sources.list.d/isola-bench-src.sources"
    $SUDO tee /etc/apt/sources.list.d/isola-bench-src.sources >/dev/null <<'SOURCES'
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: bookworm
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SOURCES
  fi
  log "apt-get update"
  $SUDO apt-get update -qq
  mkdir -p "$SRC"
  log "apt-get source ${missing[*]}"
  (cd "$SRC" && apt-get source -qq "${missing[@]}")
}

fetch_sources
ZLIB="$(src_dir zlib)"
BZIP2="$(src_dir bzip2)"
SQLITE="$(src_dir sqlite3)"
log "sources: $ZLIB $BZIP2 $SQLITE"

# --- 2. sqlite amalgamation -------------------------------------------------

AMALG="$ROOT/build/bench/sqlite-amalg"
if [ ! -f "$AMALG/sqlite3.c" ] || [ ! -f "$AMALG/sqlite3.h" ]; then
  command -v tclsh >/dev/null || { log "installing tcl (needed to generate sqlite3.c)"; $SUDO apt-get install -y -qq tcl; }
  log "generating the sqlite3 amalgamation in $AMALG"
  mkdir -p "$AMALG"
  (cd "$AMALG" && "$SQLITE/configure" --disable-tcl >configure.log 2>&1 &&
     make sqlite3.c >make.log 2>&1) || { log "amalgamation failed, see $AMALG/*.log"; exit 1; }
fi

# --- 3. build ---------------------------------------------------------------

mkdir -p "$OUT"
COMMON_DEPS=("$ROOT/bench/kernels/harness.h" "$HERE/textgen.h" "$ROOT/bench/native_main.c" "$0")

# out_of_date OUTPUT INPUT...: true if OUTPUT is missing or older than an input.
out_of_date() {
  local out="$1" f
  shift
  [ "$FORCE" = 1 ] && return 0
  [ -f "$out" ] || return 0
  for f in "$@"; do [ "$f" -nt "$out" ] && return 0; done
  return 1
}

check_no_imports() {
  if wasm-objdump -h "$1" | grep -qE '^[[:space:]]*Import[[:space:]]'; then
    log "ERROR: $1 has imports:"
    wasm-objdump -x -j Import "$1" >&2
    exit 1
  fi
}

# build NAME "DEFINES..." "INCLUDE DIRS..." SOURCES...
build() {
  local name="$1" defs="$2" incs="$3"
  shift 3
  local srcs=("$@") inc=() d
  for d in $incs; do inc+=("-I$d"); done
  inc+=("-I$ROOT/bench/kernels" "-I$HERE")
  # shellcheck disable=SC2086
  if out_of_date "$OUT/$name.wasm" "${srcs[@]}" "${COMMON_DEPS[@]}"; then
    log "wasm   $name"
    $WASM_CC "${WASM_FLAGS[@]}" $defs "${inc[@]}" -o "$OUT/$name.wasm" "${srcs[@]}" &
  fi
  if out_of_date "$OUT/$name.native" "${srcs[@]}" "${COMMON_DEPS[@]}"; then
    log "native $name"
    $NATIVE_CC "${NATIVE_FLAGS[@]}" $defs "${inc[@]}" -o "$OUT/$name.native" \
      "${srcs[@]}" "$ROOT/bench/native_main.c" -lm &
  fi
  wait
  [ -f "$OUT/$name.wasm" ] && [ -f "$OUT/$name.native" ] || { log "build of $name failed"; exit 1; }
  check_no_imports "$OUT/$name.wasm"
}

# Compiler warnings in third-party sources are theirs, not ours.
QUIET="-w"

ZLIB_SRCS=()
for f in adler32 compress crc32 deflate inffast inflate inftrees trees uncompr zutil; do
  ZLIB_SRCS+=("$ZLIB/$f.c")
done
build zlib "$QUIET" "$ZLIB" "$HERE/zlib_driver.c" "${ZLIB_SRCS[@]}"

BZIP2_SRCS=()
for f in blocksort huffman crctable randtable compress decompress bzlib; do
  BZIP2_SRCS+=("$BZIP2/$f.c")
done
build bzip2 "$QUIET -DBZ_NO_STDIO" "$BZIP2" "$HERE/bzip2_driver.c" "${BZIP2_SRCS[@]}"

build sqlite "$QUIET ${SQLITE_FLAGS[*]}" "$AMALG" "$HERE/sqlite_driver.c" "$AMALG/sqlite3.c"

for n in zlib bzip2 sqlite; do
  printf 'fetch-and-build: %-7s %s (%s bytes, no imports)\n' "$n" "$OUT/$n.wasm" \
    "$(stat -c %s "$OUT/$n.wasm")" >&2
done
