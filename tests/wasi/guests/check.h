// Shared by the WASI guest test programs: checks that count themselves and say what went
// wrong, WASI errno names, and small helpers over the raw wasi_snapshot_preview1 calls.
//
// A failed check prints `FAIL file:line: what (got X, expected Y)` to stderr and the program
// goes on, so one run lists every failure; finish() then exits 1. A program that passes
// prints `ok N checks` to stdout and exits 0.
#pragma once

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wasi/api.h>

static int checks_run, checks_failed;
static FILE* fail_stream;  // where FAIL lines go: stderr unless a program needs it closed

// The preview1 errno names, indexed by number (wasi-libc's errno values are the same).
static const char* const kErrnoNames[] = {
    "SUCCESS",      "E2BIG",           "EACCES",       "EADDRINUSE",   "EADDRNOTAVAIL",
    "EAFNOSUPPORT", "EAGAIN",          "EALREADY",     "EBADF",        "EBADMSG",
    "EBUSY",        "ECANCELED",       "ECHILD",       "ECONNABORTED", "ECONNREFUSED",
    "ECONNRESET",   "EDEADLK",         "EDESTADDRREQ", "EDOM",         "EDQUOT",
    "EEXIST",       "EFAULT",          "EFBIG",        "EHOSTUNREACH", "EIDRM",
    "EILSEQ",       "EINPROGRESS",     "EINTR",        "EINVAL",       "EIO",
    "EISCONN",      "EISDIR",          "ELOOP",        "EMFILE",       "EMLINK",
    "EMSGSIZE",     "EMULTIHOP",       "ENAMETOOLONG", "ENETDOWN",     "ENETRESET",
    "ENETUNREACH",  "ENFILE",          "ENOBUFS",      "ENODEV",       "ENOENT",
    "ENOEXEC",      "ENOLCK",          "ENOLINK",      "ENOMEM",       "ENOMSG",
    "ENOPROTOOPT",  "ENOSPC",          "ENOSYS",       "ENOTCONN",     "ENOTDIR",
    "ENOTEMPTY",    "ENOTRECOVERABLE", "ENOTSOCK",     "ENOTSUP",      "ENOTTY",
    "ENXIO",        "EOVERFLOW",       "EOWNERDEAD",   "EPERM",        "EPIPE",
    "EPROTO",       "EPROTONOSUPPORT", "EPROTOTYPE",   "ERANGE",       "EROFS",
    "ESPIPE",       "ESRCH",           "ESTALE",       "ETIMEDOUT",    "ETXTBSY",
    "EXDEV",        "ENOTCAPABLE",
};

static inline const char* errname(int e) {
  static char buf[4][24];
  static int next;
  if (e >= 0 && e < (int)(sizeof kErrnoNames / sizeof kErrnoNames[0])) return kErrnoNames[e];
  char* b = buf[next++ % 4];
  snprintf(b, sizeof buf[0], "errno %d", e);
  return b;
}

static inline void fail_at(const char* file, int line, const char* fmt, ...)
    __attribute__((format(printf, 3, 4)));
static inline void fail_at(const char* file, int line, const char* fmt, ...) {
  FILE* out = fail_stream ? fail_stream : stderr;
  checks_failed++;
  fprintf(out, "FAIL %s:%d: ", file, line);
  va_list ap;
  va_start(ap, fmt);
  vfprintf(out, fmt, ap);
  va_end(ap);
  fputc('\n', out);
  fflush(out);
}

// A condition; the message says what was expected.
#define CHECK(cond, ...)                                        \
  do {                                                          \
    checks_run++;                                               \
    if (!(cond)) fail_at(__FILE_NAME__, __LINE__, __VA_ARGS__); \
  } while (0)

// A fatal condition: the rest of the program makes no sense without it.
#define REQUIRE(cond, ...)                                                                  \
  do {                                                                                      \
    checks_run++;                                                                           \
    if (!(cond)) {                                                                          \
      fail_at(__FILE_NAME__, __LINE__, __VA_ARGS__);                                        \
      fprintf(fail_stream ? fail_stream : stderr,                                           \
              "FAIL: giving up after %d of %d checks failed\n", checks_failed, checks_run); \
      exit(1);                                                                              \
    }                                                                                       \
  } while (0)

static inline int check_int(const char* file, int line, const char* what, long long got,
                            long long want) {
  checks_run++;
  if (got == want) return 1;
  fail_at(file, line, "%s (got %lld, expected %lld)", what, got, want);
  return 0;
}
#define CHECK_EQ(got, want) \
  check_int(__FILE_NAME__, __LINE__, #got, (long long)(got), (long long)(want))

static inline int check_str(const char* file, int line, const char* what, const char* got,
                            const char* want) {
  checks_run++;
  if (got && want && strcmp(got, want) == 0) return 1;
  fail_at(file, line, "%s (got \"%s\", expected \"%s\")", what, got ? got : "(null)",
          want ? want : "(null)");
  return 0;
}
#define CHECK_STR(got, want) check_str(__FILE_NAME__, __LINE__, #got, (got), (want))

// Bytes: `got` of length `got_len` equals the NUL-terminated `want`.
static inline int check_mem(const char* file, int line, const char* what, const void* got,
                            size_t got_len, const char* want) {
  checks_run++;
  size_t want_len = strlen(want);
  if (got_len == want_len && memcmp(got, want, want_len) == 0) return 1;
  fail_at(file, line, "%s (got %zu bytes \"%.*s\", expected %zu bytes \"%s\")", what, got_len,
          (int)(got_len > 200 ? 200 : got_len), (const char*)got, want_len, want);
  return 0;
}
#define CHECK_MEM(got, len, want) check_mem(__FILE_NAME__, __LINE__, #got, (got), (len), (want))

// A raw WASI call returned one of the allowed errnos (0 = success).
static inline int check_errno_in(const char* file, int line, const char* what, int got,
                                 const int* allowed, size_t n) {
  checks_run++;
  for (size_t i = 0; i < n; i++)
    if (got == allowed[i]) return 1;
  char want[256] = "";
  for (size_t i = 0; i < n; i++) {
    if (i) strncat(want, " or ", sizeof want - strlen(want) - 1);
    strncat(want, errname(allowed[i]), sizeof want - strlen(want) - 1);
  }
  fail_at(file, line, "%s (got %s, expected %s)", what, errname(got), want);
  return 0;
}
#define ERRS_(...) (const int[]){__VA_ARGS__}, sizeof((const int[]){__VA_ARGS__}) / sizeof(int)
// CHECK_ERR(call, ENOENT): the raw call returned exactly that errno.
#define CHECK_ERR(call, ...) \
  check_errno_in(__FILE_NAME__, __LINE__, #call, (int)(call), ERRS_(__VA_ARGS__))
#define CHECK_OK(call) CHECK_ERR(call, 0)

// A libc call failed (returned -1 or NULL, as `failed` says) with one of the allowed errnos.
static inline int check_libc_err(const char* file, int line, const char* what, int failed, int err,
                                 const int* allowed, size_t n) {
  if (!failed) {
    checks_run++;
    fail_at(file, line, "%s succeeded (expected it to fail)", what);
    return 0;
  }
  return check_errno_in(file, line, what, err, allowed, n);
}
#define CHECK_LIBC_ERR(expr, ...)                                                        \
  do {                                                                                   \
    errno = 0;                                                                           \
    long long r_ = (long long)(expr);                                                    \
    check_libc_err(__FILE_NAME__, __LINE__, #expr, r_ == -1, errno, ERRS_(__VA_ARGS__)); \
  } while (0)
// A libc call that returns -1 and sets errno on failure succeeded.
#define CHECK_LIBC_OK(expr)                                                        \
  do {                                                                             \
    errno = 0;                                                                     \
    long long r_ = (long long)(expr);                                              \
    checks_run++;                                                                  \
    if (r_ < 0)                                                                    \
      fail_at(__FILE_NAME__, __LINE__, "%s (got -1, %s, expected success)", #expr, \
              errname(errno));                                                     \
  } while (0)

// The end of a program: "ok N checks" (to `out`) and 0, or the count of failures and 1.
static inline int finish_to(FILE* out) {
  if (checks_failed) {
    fprintf(fail_stream ? fail_stream : stderr, "FAIL: %d of %d checks failed\n", checks_failed,
            checks_run);
    return 1;
  }
  fprintf(out, "ok %d checks\n", checks_run);
  fflush(out);
  return 0;
}
static inline int finish(void) { return finish_to(stdout); }

// ---- helpers over the raw calls ------------------------------------------------------------

// The fd of the preopened directory the guest knows as `name`, or -1.
static inline int preopen_fd(const char* name) {
  for (int fd = 3; fd < 64; fd++) {
    __wasi_prestat_t ps;
    __wasi_errno_t e = __wasi_fd_prestat_get(fd, &ps);
    if (e == __WASI_ERRNO_BADF) break;
    if (e != 0 || ps.tag != __WASI_PREOPENTYPE_DIR) continue;
    char buf[4096];
    size_t len = ps.u.dir.pr_name_len;
    if (len >= sizeof buf) continue;
    if (__wasi_fd_prestat_dir_name(fd, (uint8_t*)buf, len) != 0) continue;
    buf[len] = 0;
    // Some runtimes count a trailing NUL in the length.
    if (len && buf[len - 1] == 0) len--;
    if (strlen(name) == len && memcmp(buf, name, len) == 0) return fd;
  }
  return -1;
}

#define RIGHTS_FILE_RW                                                                          \
  (__WASI_RIGHTS_FD_READ | __WASI_RIGHTS_FD_WRITE | __WASI_RIGHTS_FD_SEEK |                     \
   __WASI_RIGHTS_FD_TELL | __WASI_RIGHTS_FD_FILESTAT_GET | __WASI_RIGHTS_FD_FILESTAT_SET_SIZE | \
   __WASI_RIGHTS_FD_FILESTAT_SET_TIMES | __WASI_RIGHTS_FD_ALLOCATE | __WASI_RIGHTS_FD_ADVISE |  \
   __WASI_RIGHTS_FD_SYNC | __WASI_RIGHTS_FD_DATASYNC | __WASI_RIGHTS_FD_FDSTAT_SET_FLAGS |      \
   __WASI_RIGHTS_POLL_FD_READWRITE)
#define RIGHTS_FILE_RO                                                                           \
  (__WASI_RIGHTS_FD_READ | __WASI_RIGHTS_FD_SEEK | __WASI_RIGHTS_FD_TELL |                       \
   __WASI_RIGHTS_FD_FILESTAT_GET | __WASI_RIGHTS_FD_ADVISE | __WASI_RIGHTS_FD_FDSTAT_SET_FLAGS | \
   __WASI_RIGHTS_POLL_FD_READWRITE)
#define RIGHTS_DIR                                                                             \
  (__WASI_RIGHTS_FD_FDSTAT_SET_FLAGS | __WASI_RIGHTS_FD_SYNC | __WASI_RIGHTS_FD_ADVISE |       \
   __WASI_RIGHTS_PATH_CREATE_DIRECTORY | __WASI_RIGHTS_PATH_CREATE_FILE |                      \
   __WASI_RIGHTS_PATH_LINK_SOURCE | __WASI_RIGHTS_PATH_LINK_TARGET | __WASI_RIGHTS_PATH_OPEN | \
   __WASI_RIGHTS_FD_READDIR | __WASI_RIGHTS_PATH_READLINK | __WASI_RIGHTS_PATH_RENAME_SOURCE | \
   __WASI_RIGHTS_PATH_RENAME_TARGET | __WASI_RIGHTS_PATH_FILESTAT_GET |                        \
   __WASI_RIGHTS_PATH_FILESTAT_SET_SIZE | __WASI_RIGHTS_PATH_FILESTAT_SET_TIMES |              \
   __WASI_RIGHTS_FD_FILESTAT_GET | __WASI_RIGHTS_FD_FILESTAT_SET_TIMES |                       \
   __WASI_RIGHTS_PATH_SYMLINK | __WASI_RIGHTS_PATH_REMOVE_DIRECTORY |                          \
   __WASI_RIGHTS_PATH_UNLINK_FILE)

// The rights a directory fd hands down to what is opened through it. As wasi-libc does,
// the helpers below ask for no more than these: asking for more is ENOTCAPABLE.
static inline __wasi_rights_t inheriting_of(int dirfd) {
  __wasi_fdstat_t fs;
  if (__wasi_fd_fdstat_get(dirfd, &fs) != 0) return RIGHTS_FILE_RW | RIGHTS_DIR;
  return fs.fs_rights_inheriting;
}

static inline __wasi_errno_t open_with(int dirfd, __wasi_lookupflags_t lookup, const char* path,
                                       __wasi_oflags_t oflags, __wasi_rights_t want,
                                       __wasi_fdflags_t fdflags, int* fd) {
  __wasi_rights_t inh = inheriting_of(dirfd);
  __wasi_fd_t out = -1;
  __wasi_errno_t e = __wasi_path_open(dirfd, lookup, path, oflags, want & inh, inh, fdflags, &out);
  *fd = e == 0 ? (int)out : -1;
  return e;
}
// path_open for reading and writing, following symlinks.
static inline __wasi_errno_t open_at(int dirfd, const char* path, __wasi_oflags_t oflags,
                                     __wasi_fdflags_t fdflags, int* fd) {
  return open_with(dirfd, __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, path, oflags,
                   RIGHTS_FILE_RW | RIGHTS_DIR, fdflags, fd);
}
// path_open asking only for reading.
static inline __wasi_errno_t open_ro(int dirfd, const char* path, int follow, int* fd) {
  return open_with(dirfd, follow ? __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW : 0, path, 0,
                   RIGHTS_FILE_RO | __WASI_RIGHTS_FD_READDIR | __WASI_RIGHTS_PATH_OPEN |
                       __WASI_RIGHTS_PATH_FILESTAT_GET | __WASI_RIGHTS_PATH_READLINK,
                   0, fd);
}
static inline __wasi_errno_t open_dir(int dirfd, const char* path, int* fd) {
  return open_with(dirfd, __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, path, __WASI_OFLAGS_DIRECTORY,
                   RIGHTS_DIR, 0, fd);
}

static inline __wasi_errno_t write_all(int fd, const void* buf, size_t len) {
  const char* p = buf;
  while (len) {
    __wasi_ciovec_t iov = {(const uint8_t*)p, len};
    size_t n = 0;
    __wasi_errno_t e = __wasi_fd_write(fd, &iov, 1, &n);
    if (e) return e;
    if (n == 0) return __WASI_ERRNO_IO;
    p += n;
    len -= n;
  }
  return 0;
}
// Reads up to cap-1 bytes (until EOF) and NUL-terminates; *len gets the count.
static inline __wasi_errno_t read_all(int fd, char* buf, size_t cap, size_t* len) {
  size_t got = 0;
  while (got + 1 < cap) {
    __wasi_iovec_t iov = {(uint8_t*)buf + got, cap - 1 - got};
    size_t n = 0;
    __wasi_errno_t e = __wasi_fd_read(fd, &iov, 1, &n);
    if (e) {
      buf[got] = 0;
      *len = got;
      return e;
    }
    if (n == 0) break;
    got += n;
  }
  buf[got] = 0;
  *len = got;
  return 0;
}

// Writes `content` to `path` under dirfd, creating or truncating it.
static inline __wasi_errno_t put_file(int dirfd, const char* path, const char* content) {
  int fd;
  __wasi_errno_t e = open_at(dirfd, path, __WASI_OFLAGS_CREAT | __WASI_OFLAGS_TRUNC, 0, &fd);
  if (e) return e;
  e = write_all(fd, content, strlen(content));
  __wasi_errno_t c = __wasi_fd_close(fd);
  return e ? e : c;
}
// Reads the whole file at `path` under dirfd (following symlinks) into buf.
static inline __wasi_errno_t get_file(int dirfd, const char* path, char* buf, size_t cap) {
  int fd;
  buf[0] = 0;
  __wasi_errno_t e = open_ro(dirfd, path, 1, &fd);
  if (e) return e;
  size_t len;
  e = read_all(fd, buf, cap, &len);
  __wasi_errno_t c = __wasi_fd_close(fd);
  return e ? e : c;
}
// The file type at path (without following a final symlink), or 0xff with *err set.
static inline int type_at(int dirfd, const char* path, int follow, __wasi_errno_t* err) {
  __wasi_filestat_t st;
  __wasi_errno_t e =
      __wasi_path_filestat_get(dirfd, follow ? __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW : 0, path, &st);
  if (err) *err = e;
  return e ? 0xff : st.filetype;
}
// path_filestat_get's errno for path, not following a final symlink (ENOENT: not there).
static inline __wasi_errno_t lstat_err(int dirfd, const char* path) {
  __wasi_filestat_t st;
  return __wasi_path_filestat_get(dirfd, 0, path, &st);
}
static inline uint64_t now_ns(__wasi_clockid_t id) {
  __wasi_timestamp_t t = 0;
  if (__wasi_clock_time_get(id, 1, &t) != 0) return 0;
  return t;
}
static inline void sleep_ms(unsigned ms) {
  __wasi_subscription_t sub;
  memset(&sub, 0, sizeof sub);
  sub.userdata = 1;
  sub.u.tag = __WASI_EVENTTYPE_CLOCK;
  sub.u.u.clock.id = __WASI_CLOCKID_MONOTONIC;
  sub.u.u.clock.timeout = (uint64_t)ms * 1000000ull;
  __wasi_event_t ev;
  size_t n;
  (void)__wasi_poll_oneoff(&sub, &ev, 1, &n);
}

// Imports wasi-libc's header does not declare, or declares with a friendlier signature.
__attribute__((import_module("wasi_snapshot_preview1"), import_name("proc_raise"))) int32_t
raw_proc_raise(int32_t sig);
__attribute__((import_module("wasi_snapshot_preview1"), import_name("path_open"))) int32_t
raw_path_open(int32_t fd, int32_t dirflags, int32_t path, int32_t path_len, int32_t oflags,
              int64_t base, int64_t inheriting, int32_t fdflags, int32_t out_fd);
__attribute__((import_module("wasi_snapshot_preview1"), import_name("path_filestat_get"))) int32_t
raw_path_filestat_get(int32_t fd, int32_t flags, int32_t path, int32_t path_len, int32_t out);
__attribute__((import_module("wasi_snapshot_preview1"), import_name("path_create_directory")))
int32_t
raw_path_create_directory(int32_t fd, int32_t path, int32_t path_len);
__attribute__((import_module("wasi_snapshot_preview1"), import_name("fd_write"))) int32_t
raw_fd_write(int32_t fd, int32_t iovs, int32_t iovs_len, int32_t out_n);
__attribute__((import_module("wasi_snapshot_preview1"), import_name("fd_read"))) int32_t
raw_fd_read(int32_t fd, int32_t iovs, int32_t iovs_len, int32_t out_n);
__attribute__((import_module("wasi_snapshot_preview1"), import_name("args_get"))) int32_t
raw_args_get(int32_t argv, int32_t argv_buf);
__attribute__((import_module("wasi_snapshot_preview1"), import_name("random_get"))) int32_t
raw_random_get(int32_t buf, int32_t len);
__attribute__((import_module("wasi_snapshot_preview1"), import_name("clock_time_get"))) int32_t
raw_clock_time_get(int32_t id, int64_t precision, int32_t out);
__attribute__((import_module("wasi_snapshot_preview1"), import_name("poll_oneoff"))) int32_t
raw_poll_oneoff(int32_t in, int32_t out, int32_t nsubs, int32_t out_n);
__attribute__((import_module("wasi_snapshot_preview1"), import_name("fd_readdir"))) int32_t
raw_fd_readdir(int32_t fd, int32_t buf, int32_t buf_len, int64_t cookie, int32_t out_n);
__attribute__((import_module("wasi_snapshot_preview1"), import_name("fd_prestat_dir_name"))) int32_t
raw_fd_prestat_dir_name(int32_t fd, int32_t buf, int32_t len);
__attribute__((import_module("wasi_snapshot_preview1"), import_name("environ_sizes_get"))) int32_t
raw_environ_sizes_get(int32_t out_count, int32_t out_size);

#define PTR(p) ((int32_t)(uintptr_t)(p))
// The first byte past linear memory.
static inline uint32_t memory_end(void) { return (uint32_t)__builtin_wasm_memory_size(0) * 65536u; }
