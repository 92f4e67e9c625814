#!/usr/bin/env bash
# Runs a command and checks its exit code and output, for CTest.
#   expect.sh --exit N [--stdout ERE]... [--stderr ERE]... -- COMMAND [ARGS...]
# Each ERE must match some line of the command's stdout (or stderr).
set -u
want=0 outs=() errs=()
while [ $# -gt 0 ]; do
  case $1 in
    --exit) want=$2; shift 2 ;;
    --stdout) outs+=("$2"); shift 2 ;;
    --stderr) errs+=("$2"); shift 2 ;;
    --) shift; break ;;
    *) echo "expect.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
out=$(mktemp) err=$(mktemp)
trap 'rm -f "$out" "$err"' EXIT
"$@" >"$out" 2>"$err"
rc=$?
ok=1
if [ "$rc" -ne "$want" ]; then echo "FAIL: exit code $rc, expected $want"; ok=0; fi
for re in ${outs[@]+"${outs[@]}"}; do
  grep -Eq -- "$re" "$out" || { echo "FAIL: no line of stdout matches: $re"; ok=0; }
done
for re in ${errs[@]+"${errs[@]}"}; do
  grep -Eq -- "$re" "$err" || { echo "FAIL: no line of stderr matches: $re"; ok=0; }
done
if [ $ok -eq 0 ]; then
  echo "--- command: $*"
  echo "--- stdout:"; cat "$out"
  echo "--- stderr:"; cat "$err"
  exit 1
fi
exit 0
