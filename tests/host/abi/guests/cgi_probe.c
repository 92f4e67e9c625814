/* A WAGI test program. QUERY_STRING picks what it does:
 *   env     a text/plain response listing argv[0], every environment variable and the body
 *   raw     copies stdin to stdout as it is: the body IS the CGI response (for parser tests)
 *   big     writes a 2 MiB body
 *   stderr  writes three lines to stderr, then a small response
 *   exit3   exits with status 3 without writing anything
 *   trap    traps
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern char **environ;

static void copy_stdin(void) {
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, stdin)) > 0) fwrite(buf, 1, n, stdout);
}

int main(int argc, char **argv) {
  const char *q = getenv("QUERY_STRING");
  if (!q) q = "";
  if (strcmp(q, "raw") == 0) {
    copy_stdin();
  } else if (strcmp(q, "big") == 0) {
    printf("Content-Type: text/plain\n\n");
    static char chunk[65536];
    memset(chunk, 'x', sizeof chunk);
    for (int i = 0; i < 32; ++i) fwrite(chunk, 1, sizeof chunk, stdout);
  } else if (strcmp(q, "stderr") == 0) {
    fprintf(stderr, "first line\nsecond line\nno newline at the end");
    printf("Content-Type: text/plain\n\nok\n");
  } else if (strcmp(q, "exit3") == 0) {
    exit(3);
  } else if (strcmp(q, "trap") == 0) {
    __builtin_trap();
  } else {
    printf("Content-Type: text/plain\nX-Probe: yes\n\n");
    printf("argc=%d argv0=%s\n", argc, argc > 0 ? argv[0] : "");
    for (char **e = environ; *e; ++e) printf("%s\n", *e);
    printf("body=");
    copy_stdin();
    printf("\n");
  }
  return 0;
}
