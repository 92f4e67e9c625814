/* A WAGI program that misbehaves on request, for the end-to-end tests of per-request
 * limits. PATH_INFO picks the behaviour:
 *   /ok    answers 200 "ok"
 *   /trap  traps (unreachable)
 *   /loop  loops forever (the wall-clock limit must stop it)
 *   /hog   allocates until malloc fails, then aborts (the memory limit must stop it) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static volatile unsigned long sink;

int main(void) {
  const char *p = getenv("PATH_INFO");
  if (!p) p = "";
  if (strcmp(p, "/trap") == 0) __builtin_trap();
  if (strcmp(p, "/loop") == 0)
    for (;;) sink++;
  if (strcmp(p, "/hog") == 0) {
    for (;;) {
      char *b = malloc(1 << 20);
      if (!b) abort();
      memset(b, 1, 1 << 20);
      sink += (unsigned long)b[7];
    }
  }
  printf("Content-Type: text/plain\n\nok\n");
  return 0;
}
