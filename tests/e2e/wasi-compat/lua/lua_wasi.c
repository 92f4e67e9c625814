/* The error "throw" and os.execute() backend of the wasm32-wasi build of Lua for
 * Isola's end-to-end tests (see lua_wasi.h for why). Not part of Lua. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "lua.h"
#include "lua_wasi.h"

_Noreturn void isola_e2e_lua_throw(lua_State *L, int status) {
  const char *msg;
  if (status == LUA_YIELD) {
    msg = "attempt to yield: coroutines cannot yield in this wasm build (no longjmp)";
  } else if (status == LUA_ERRMEM) {
    msg = "not enough memory";
  } else {
    msg = lua_tostring(L, -1);
    if (msg == NULL) msg = "(error object is not a string)";
  }
  fflush(stdout);
  fprintf(stderr, "lua: %s\n", msg);
  fflush(stderr);
  exit(EXIT_FAILURE);
}

/* WASI has no processes: system(NULL) says there is no shell, anything else fails. */
int isola_e2e_lua_system(const char *command) {
  if (command == NULL) return 0;
  errno = ENOSYS;
  return -1;
}

/* WASI has no temporary directory. */
FILE *isola_e2e_lua_tmpfile(void) {
  errno = ENOTSUP;
  return NULL;
}
