// proc_raise (kept apart from proc_exit.c so that a missing import fails only this test).
// Preview1 gives the call no useful meaning, so two outcomes are right: the instance stops
// (a trap: exit 134 and "isola: trap" on stderr), or the call returns an errno and the
// guest goes on. Returning success without doing anything is wrong. The runner tells which.
#include "check.h"

int main(void) {
  printf("raising\n");
  fflush(stdout);
  int32_t e = raw_proc_raise(6);  // SIGABRT in WASI's numbering
  printf("proc_raise returned %s\n", errname(e));
  fflush(stdout);
  if (e == 0) {
    fprintf(stderr, "FAIL proc_raise.c:%d: proc_raise(SIGABRT) returned success\n", __LINE__);
    return 1;
  }
  // A signal number past the last one is never valid.
  int32_t bad = raw_proc_raise(1000);
  CHECK(bad != 0, "proc_raise(1000) fails (got %s)", errname(bad));
  return finish();
}
