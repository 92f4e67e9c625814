/* ldo.c includes <setjmp.h> unconditionally, and wasi-libc has none. Nothing from it
 * is used: lua_wasi.h defines LUAI_THROW/LUAI_TRY without setjmp. For Isola's
 * end-to-end tests; not part of Lua or wasi-libc. */
#ifndef ISOLA_E2E_SETJMP_H
#define ISOLA_E2E_SETJMP_H
#endif
