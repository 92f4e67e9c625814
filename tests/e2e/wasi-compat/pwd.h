/* <pwd.h> for wasm32-wasi, where wasi-libc has none: WASI has no user database, so
 * nobody is found and callers fall back to $HOME (SQLite's shell looks up the home
 * directory this way to find ~/.sqliterc). On the include path only for the wasm
 * builds of Isola's end-to-end test programs; not part of any upstream project. */
#ifndef ISOLA_E2E_PWD_H
#define ISOLA_E2E_PWD_H
#include <errno.h>
#include <stddef.h>
#include <sys/types.h>

struct passwd {
  char *pw_name;
  char *pw_passwd;
  uid_t pw_uid;
  gid_t pw_gid;
  char *pw_gecos;
  char *pw_dir;
  char *pw_shell;
};

static inline uid_t isola_e2e_getuid(void) { return 1; }
static inline struct passwd *isola_e2e_getpwuid(uid_t uid) {
  (void)uid;
  errno = ENOENT;
  return NULL;
}
#define getuid isola_e2e_getuid
#define getpwuid isola_e2e_getpwuid

#endif
