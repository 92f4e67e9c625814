// --deny-wasi and --trace-wasi, seen from the guest: denied calls return ENOTCAPABLE
// whatever their arguments, other calls are untouched; traced runs behave exactly as
// untraced ones (the runner checks the trace lines on stderr and that stdout has only the
// guest's output).
//
//   deny.wasm open      --deny-wasi path_open
//   deny.wasm many      --deny-wasi path_open,random_get,clock_time_get,fd_readdir
//   deny.wasm write     --deny-wasi fd_write (the verdict is the exit status alone)
//   deny.wasm trace     --trace-wasi
// All with --dir FIXTURE::/sandbox.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"

#define NOTCAP __WASI_ERRNO_NOTCAPABLE
#define FOLLOW __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW

static int root;

static void open_denied(void) {
  int fd;
  CHECK_ERR(open_ro(root, "hello.txt", 1, &fd), NOTCAP);
  CHECK_ERR(open_ro(root, "does-not-exist.txt", 1, &fd), NOTCAP);
  CHECK_ERR(open_at(root, "new.txt", __WASI_OFLAGS_CREAT, 0, &fd), NOTCAP);
  CHECK_ERR(open_ro(9999, "x", 1, &fd), NOTCAP);  // denied before the fd is even looked at
  CHECK_LIBC_ERR(open("/sandbox/hello.txt", O_RDONLY), ENOTCAPABLE);
  CHECK(fopen("/sandbox/hello.txt", "r") == NULL && errno == ENOTCAPABLE, "fopen: ENOTCAPABLE");
  CHECK_ERR(lstat_err(root, "new.txt"), __WASI_ERRNO_NOENT);  // nothing was created
  // Everything else still works.
  __wasi_filestat_t st;
  CHECK_OK(__wasi_path_filestat_get(root, FOLLOW, "hello.txt", &st));
  CHECK_EQ(st.size, 16);
  struct stat sst;
  CHECK_LIBC_OK(stat("/sandbox/sub/inner.txt", &sst));
  uint8_t buf[256];
  size_t used;
  CHECK_OK(__wasi_fd_readdir(root, buf, sizeof buf, 0, &used));
  CHECK_OK(__wasi_path_create_directory(root, "made-while-open-denied"));
  CHECK_OK(__wasi_path_remove_directory(root, "made-while-open-denied"));
}

static void many_denied(void) {
  int fd;
  CHECK_ERR(open_ro(root, "hello.txt", 1, &fd), NOTCAP);
  uint8_t b[16] = {0};
  CHECK_ERR(__wasi_random_get(b, sizeof b), NOTCAP);
  CHECK_ERR(__wasi_random_get(b, 0), NOTCAP);
  __wasi_timestamp_t t = 0;
  CHECK_ERR(__wasi_clock_time_get(__WASI_CLOCKID_MONOTONIC, 1, &t), NOTCAP);
  CHECK_ERR(__wasi_clock_time_get(__WASI_CLOCKID_REALTIME, 1, &t), NOTCAP);
  size_t used;
  CHECK_ERR(__wasi_fd_readdir(root, b, sizeof b, 0, &used), NOTCAP);
  // Not denied: the neighbours.
  CHECK_OK(__wasi_clock_res_get(__WASI_CLOCKID_MONOTONIC, &t));
  __wasi_filestat_t st;
  CHECK_OK(__wasi_path_filestat_get(root, FOLLOW, "hello.txt", &st));
  CHECK_OK(__wasi_sched_yield());
}

static void trace(void) {
  int fd;
  CHECK_OK(open_ro(root, "hello.txt", 1, &fd));
  char buf[64];
  size_t n;
  CHECK_OK(read_all(fd, buf, sizeof buf, &n));
  CHECK_MEM(buf, n, "Hello, sandbox!\n");
  CHECK_OK(__wasi_fd_close(fd));
  CHECK_ERR(open_ro(root, "does-not-exist.txt", 1, &fd), __WASI_ERRNO_NOENT);
  CHECK_ERR(open_ro(root, "name with \"quote\"\n.txt", 1, &fd), __WASI_ERRNO_NOENT);
  __wasi_filestat_t st;
  CHECK_OK(__wasi_path_filestat_get(root, FOLLOW, "sub/inner.txt", &st));
  const char msg[] = "traced output\n";
  CHECK_OK(write_all(1, msg, sizeof msg - 1));
}

int main(int argc, char** argv) {
  REQUIRE(argc == 2, "usage: deny.wasm open|many|write|trace");
  root = preopen_fd("/sandbox");
  const char* mode = argv[1];
  if (!strcmp(mode, "write")) {
    // stdout is denied: the exit status is the only way to report.
    __wasi_ciovec_t civ = {(const uint8_t*)"should not appear\n", 18};
    size_t n = 0;
    __wasi_errno_t e1 = __wasi_fd_write(1, &civ, 1, &n);
    __wasi_errno_t e2 = __wasi_fd_write(2, &civ, 1, &n);
    __wasi_errno_t e3 = __wasi_fd_write(9999, &civ, 1, &n);
    int r = printf("printf should not appear either\n");
    fflush(stdout);
    (void)r;
    return e1 == NOTCAP && e2 == NOTCAP && e3 == NOTCAP ? 0 : 1;
  }
  REQUIRE(root >= 0, "a preopen named /sandbox");
  if (!strcmp(mode, "open"))
    open_denied();
  else if (!strcmp(mode, "many"))
    many_denied();
  else if (!strcmp(mode, "trace"))
    trace();
  else
    REQUIRE(0, "unknown mode %s", mode);
  return finish();
}
