/* Force-included (clang -include) when building SQLite's amalgamation and shell for
 * wasm32-wasi. SQLite 3.40's os_unix.c assumes a POSIX system; WASI preview 1 has no
 * file locks, no owners and no permission bits, and wasi-libc leaves out the names
 * that cannot work. This header supplies just enough for the unix VFS code to
 * compile. At run time the wasm build uses the "unix-dotfile" VFS (see
 * sqlite_wasi_init.c), which locks with a `<db>.lock` directory instead of fcntl(),
 * so the stubs below are never asked to lock anything.
 *
 * Written for Isola's end-to-end tests; not part of SQLite. */
#ifndef ISOLA_E2E_SQLITE_WASI_H
#define ISOLA_E2E_SQLITE_WASI_H
#ifdef __wasi__

#include <errno.h>
#include <sys/types.h>

/* fcntl() record-lock commands and lock types. wasi-libc's fcntl() implements only
 * F_GETFD/F_SETFD/F_GETFL/F_SETFL (1..4) and fails with EINVAL for anything else,
 * which is the right answer for these (the values are Linux's). */
#ifndef F_GETLK
#define F_GETLK 5
#define F_SETLK 6
#define F_SETLKW 7
#endif
#ifndef F_RDLCK
#define F_RDLCK 0
#define F_WRLCK 1
#define F_UNLCK 2
#endif

/* No owners or permission bits in WASI. A non-zero effective uid makes SQLite skip
 * fchown() altogether (it only chowns journals when running as root); fchmod() fails
 * with ENOTSUP, which SQLite ignores (it only tries to match a new file's mode). */
static inline uid_t isola_e2e_geteuid(void) { return 1; }
static inline int isola_e2e_fchown(int fd, uid_t uid, gid_t gid) {
  (void)fd; (void)uid; (void)gid;
  errno = ENOTSUP;
  return -1;
}
static inline int isola_e2e_fchmod(int fd, mode_t mode) {
  (void)fd; (void)mode;
  errno = ENOTSUP;
  return -1;
}
static inline int isola_e2e_chmod(const char *path, mode_t mode) {
  (void)path; (void)mode;
  errno = ENOTSUP;
  return -1;
}
#define geteuid isola_e2e_geteuid
#define fchown isola_e2e_fchown
#define fchmod isola_e2e_fchmod
#define chmod isola_e2e_chmod

#endif /* __wasi__ */
#endif
