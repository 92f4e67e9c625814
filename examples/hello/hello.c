/* A WAGI handler: an ordinary WASI program. The request arrives as CGI variables in the
 * environment (and the body on stdin); the response is written to stdout as CGI: header
 * lines, a blank line, the body. */
#include <stdio.h>
#include <stdlib.h>

static const char *env(const char *name) {
  const char *v = getenv(name);
  return v ? v : "";
}

int main(void) {
  printf("Content-Type: text/plain\n\n");
  printf("Hello from Isola\n");
  printf("%s %s%s\n", env("REQUEST_METHOD"), env("SCRIPT_NAME"), env("PATH_INFO"));
  return 0;
}
