/* The smallest useful WASI command: start, write one line to stdout, exit 0. Run by
 * bench/wasi/run.sh to measure what `isola run` costs per process (decode, validate,
 * instantiate, WASI set-up, one fd_write, proc_exit), against node's WASI and native. */
#include <stdio.h>

int main(void) {
  puts("hello, world");
  return 0;
}
