/* Native driver: calls the kernel's run() once and prints its checksum. */
#include <stdint.h>
#include <stdio.h>

int32_t run(void);

int main(void) {
  printf("%d\n", (int)run());
  return 0;
}
