/* Force-included (clang -include) into every Lua source file of the wasm32-wasi build
 * of Lua 5.4 for Isola's end-to-end tests; not part of Lua.
 *
 * Lua raises errors with longjmp(), and wasm32-wasi (clang 14, wasi-libc, no
 * exception-handling proposal) has no setjmp/longjmp at all. ldo.c lets a port
 * define how errors are thrown (LUAI_THROW/LUAI_TRY), so this build runs protected
 * code directly and turns a raised error into the end of the program: the error
 * object, which Lua's message handler has already turned into "msg + traceback" by
 * the time it is thrown, goes to stderr as the standalone interpreter would print it,
 * and the exit status is 1. Consequences, intended and documented in
 * tests/e2e/README.md: an error caught by pcall/xpcall ends the program, and
 * coroutine.yield (which unwinds with a throw) ends it too. Code that raises no
 * error behaves exactly as in a native build.
 *
 * WASI also has no temporary directory and no shell: os.tmpname() and io.tmpfile()
 * fail, os.execute() reports that no shell is available, and io.popen() says it is
 * not supported (Lua's generic ISO C configuration). */
#ifndef ISOLA_E2E_LUA_WASI_H
#define ISOLA_E2E_LUA_WASI_H

#include <stdio.h>
#include <stdlib.h>

struct lua_State;
_Noreturn void isola_e2e_lua_throw(struct lua_State *L, int status);
int isola_e2e_lua_system(const char *command);
FILE *isola_e2e_lua_tmpfile(void);

#define LUAI_THROW(L, c) isola_e2e_lua_throw(L, (c)->status)
#define LUAI_TRY(L, c, a) { a }
#define luai_jmpbuf int /* unused */

#define LUA_TMPNAMBUFSIZE 32
#define lua_tmpnam(b, e) { (void)(b); e = 1; }
#define tmpfile isola_e2e_lua_tmpfile
#define system isola_e2e_lua_system

#endif
