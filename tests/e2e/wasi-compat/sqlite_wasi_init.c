/* Linked into the wasm32-wasi build of SQLite's shell (SQLITE_EXTRA_INIT names this
 * function, which sqlite3_initialize() calls last). WASI has no fcntl() record locks,
 * so the default "unix" VFS cannot lock a database; "unix-dotfile", compiled into the
 * same os_unix.c, locks by creating a `<db>.lock` directory, which WASI can do. Make it
 * the default so the shell works unmodified. Written for Isola's end-to-end tests. */
#include "sqlite3.h"

int isola_e2e_sqlite_init(const char *unused) {
  (void)unused;
  sqlite3_vfs *vfs = sqlite3_vfs_find("unix-dotfile");
  return vfs ? sqlite3_vfs_register(vfs, 1) : SQLITE_ERROR;
}
