// proc_exit: the exit code reaches the host (`isola run` exits with it),
// output written before exiting is not lost, atexit handlers run for exit() but not for a
// raw proc_exit, and a trap is a trap (134). The runner checks status, stdout and stderr.
//
//   proc_exit.wasm exit N        exit(N) after buffered output on stdout
//   proc_exit.wasm return N      return N from main
//   proc_exit.wasm raw N         __wasi_proc_exit(N) directly: atexit handlers do not run
//   proc_exit.wasm atexit N      an atexit handler prints, then exit(N)
//   proc_exit.wasm nested N      proc_exit deep in a call chain with live frames
//   proc_exit.wasm trap          __builtin_trap(): the runner expects 134 and "isola: trap"
//   proc_exit.wasm abort         abort(): a trap as well
#include <stdlib.h>

#include "check.h"

static void handler(void) {
  printf("atexit ran\n");
  fflush(stdout);
}

static int depth_exit(int depth, int code) {
  volatile char frame[64];
  frame[0] = (char)depth;
  if (depth == 0) __wasi_proc_exit((uint32_t)code);
  return depth_exit(depth - 1, code) + frame[0];
}

int main(int argc, char** argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: proc_exit.wasm MODE [N]\n");
    return 2;
  }
  const char* mode = argv[1];
  int code = argc > 2 ? atoi(argv[2]) : 0;
  if (!strcmp(mode, "exit")) {
    printf("before exit %d", code);  // no newline: stays in stdio's buffer until exit
    exit(code);
  }
  if (!strcmp(mode, "return")) {
    printf("returning %d\n", code);
    return code;
  }
  if (!strcmp(mode, "raw")) {
    atexit(handler);
    const char msg[] = "raw exit\n";
    __wasi_ciovec_t iov = {(const uint8_t*)msg, sizeof msg - 1};
    size_t n;
    (void)__wasi_fd_write(1, &iov, 1, &n);
    __wasi_proc_exit((uint32_t)code);
  }
  if (!strcmp(mode, "atexit")) {
    atexit(handler);
    exit(code);
  }
  if (!strcmp(mode, "nested")) {
    printf("nested\n");
    fflush(stdout);
    return depth_exit(1000, code);
  }
  if (!strcmp(mode, "trap")) {
    printf("before trap\n");
    fflush(stdout);
    __builtin_trap();
  }
  if (!strcmp(mode, "abort")) {
    abort();
  }
  fprintf(stderr, "unknown mode %s\n", mode);
  return 2;
}
