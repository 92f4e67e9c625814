/* Cost of one monotonic clock read: N calls (default 1,000,000) in a loop, timed by
 * the program itself. In wasm each call is one wasi_snapshot_preview1.clock_time_get
 * host call (called directly, not through wasi-libc's clock_gettime); natively it is
 * clock_gettime(CLOCK_MONOTONIC), which glibc serves from the vDSO without entering
 * the kernel. Prints "clock_loop: N calls, X ns/call, checksum C".
 * Usage: clock_loop [N]  (bench/wasi/run.sh) */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#ifdef __wasi__
#include <wasi/api.h>
static uint64_t now_ns(void) {
  __wasi_timestamp_t t = 0;
  if (__wasi_clock_time_get(__WASI_CLOCKID_MONOTONIC, 1, &t) != 0) {
    fputs("clock_loop: clock_time_get failed\n", stderr);
    exit(1);
  }
  return t;
}
#else
#include <time.h>
static uint64_t now_ns(void) {
  struct timespec ts;
  if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0) {
    perror("clock_loop: clock_gettime");
    exit(1);
  }
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}
#endif

int main(int argc, char **argv) {
  long n = argc > 1 ? strtol(argv[1], NULL, 10) : 1000000;
  if (n <= 0) {
    fputs("usage: clock_loop [N > 0]\n", stderr);
    return 2;
  }
  uint64_t start = now_ns(), prev = start, check = 0;
  long backwards = 0;
  for (long i = 0; i < n; i++) {
    uint64_t t = now_ns();
    if (t < prev) backwards++; /* monotonic: must never happen */
    check += t - prev;         /* depends on every result, so no call can be dropped */
    prev = t;
  }
  uint64_t end = now_ns();
  if (backwards) {
    fprintf(stderr, "clock_loop: the monotonic clock went backwards %ld times\n", backwards);
    return 1;
  }
  printf("clock_loop: %ld calls, %.1f ns/call, checksum %" PRIu64 "\n", n,
         (double)(end - start) / (double)n, check <= end - start ? (uint64_t)1 : (uint64_t)0);
  return 0;
}
