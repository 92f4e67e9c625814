// Guest pointers the kernel must not trust: buffers that run off the end of linear memory,
// lengths that wrap around 4 GiB, counts that would make the host allocate gigabytes. Each
// mode makes one such call. Right answers: the call fails (EFAULT, or EINVAL/EOVERFLOW/...)
// and the guest prints "refused: ERRNO" and exits 0, or the instance traps (exit 134 with
// "isola: trap"). Wrong: success, or the host crashing, hanging or eating memory.
//
//   badptr.wasm MODE      (stdin: a little data, for fd_read)
#include "check.h"

static int report(const char* mode, int32_t e) {
  if (e == 0) {
    fprintf(stderr, "FAIL badptr.c: %s succeeded with an out-of-bounds pointer\n", mode);
    return 1;
  }
  printf("refused: %s\n", errname(e));
  return 0;
}

int main(int argc, char** argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: badptr.wasm MODE\n");
    return 2;
  }
  const char* m = argv[1];
  uint32_t end = memory_end();
  static uint8_t scratch[64];
  static __wasi_ciovec_t civ;
  static __wasi_iovec_t iov;
  static uint32_t out32;
  int32_t e;
  if (!strcmp(m, "iovs_past_end")) {  // the iovec array itself lies past the end
    e = raw_fd_write(1, (int32_t)(end - 4), 1, PTR(&out32));
  } else if (!strcmp(m, "write_buf_past_end")) {  // an iovec whose bytes run past the end
    civ.buf = (const uint8_t*)(uintptr_t)(end - 10);
    civ.buf_len = 100;
    e = raw_fd_write(1, PTR(&civ), 1, PTR(&out32));
  } else if (!strcmp(m, "write_buf_wraps")) {  // pointer + length wraps around 2^32
    civ.buf = (const uint8_t*)(uintptr_t)0xfffffff0u;
    civ.buf_len = 0x20;
    e = raw_fd_write(1, PTR(&civ), 1, PTR(&out32));
  } else if (!strcmp(m, "read_buf_past_end")) {  // fd_read into memory that is not there
    iov.buf = (uint8_t*)(uintptr_t)(end - 2);
    iov.buf_len = 4096;
    e = raw_fd_read(0, PTR(&iov), 1, PTR(&out32));
  } else if (!strcmp(m, "huge_iovs_len")) {  // 2^31 iovecs: must not allocate for them
    e = raw_fd_write(1, PTR(&civ), 0x7fffffff, PTR(&out32));
  } else if (!strcmp(m, "result_past_end")) {  // the nwritten result pointer is out of bounds
    civ.buf = scratch;
    civ.buf_len = 1;
    scratch[0] = '\n';
    e = raw_fd_write(1, PTR(&civ), 1, (int32_t)(end - 2));
  } else if (!strcmp(m, "args_past_end")) {
    e = raw_args_get((int32_t)(end - 4), PTR(scratch));
  } else if (!strcmp(m, "environ_sizes_past_end")) {
    e = raw_environ_sizes_get((int32_t)end, PTR(&out32));
  } else if (!strcmp(m, "random_wraps")) {
    e = raw_random_get((int32_t)(end - 16), (int32_t)0xffffffffu);
  } else if (!strcmp(m, "random_past_end")) {
    e = raw_random_get((int32_t)(end - 16), 17);
  } else if (!strcmp(m, "clock_result_past_end")) {
    e = raw_clock_time_get(__WASI_CLOCKID_MONOTONIC, 1, (int32_t)(end - 4));
  } else if (!strcmp(m, "path_past_end")) {
    int root = preopen_fd("/sandbox");
    __wasi_fd_t fd;
    e = raw_path_open(root, 0, (int32_t)(end - 3), 100, 0, (int64_t)__WASI_RIGHTS_FD_READ, 0, 0,
                      PTR(&fd));
  } else if (!strcmp(m, "path_len_huge")) {
    int root = preopen_fd("/sandbox");
    e = raw_path_create_directory(root, PTR(scratch), (int32_t)0xfffffff0u);
  } else if (!strcmp(m, "poll_many")) {  // 2^28 subscriptions: far past the end of memory
    e = raw_poll_oneoff(PTR(scratch), PTR(scratch), 0x10000000, PTR(&out32));
  } else if (!strcmp(m, "poll_out_past_end")) {  // one clock; the event lands out of bounds
    static __wasi_subscription_t s;
    s.u.tag = __WASI_EVENTTYPE_CLOCK;
    s.u.u.clock.id = __WASI_CLOCKID_MONOTONIC;
    s.u.u.clock.timeout = 0;
    e = raw_poll_oneoff(PTR(&s), (int32_t)(end - 8), 1, PTR(&out32));
  } else if (!strcmp(m, "readdir_past_end")) {
    int root = preopen_fd("/sandbox");
    e = raw_fd_readdir(root, (int32_t)(end - 8), 4096, 0, PTR(&out32));
  } else if (!strcmp(m, "prestat_name_past_end")) {
    int root = preopen_fd("/sandbox");
    e = raw_fd_prestat_dir_name(root, (int32_t)(end - 2), 8);
  } else if (!strcmp(m, "filestat_past_end")) {
    int root = preopen_fd("/sandbox");
    static const char p[] = "hello.txt";
    e = raw_path_filestat_get(root, 0, PTR(p), sizeof p - 1, (int32_t)(end - 16));
  } else {
    fprintf(stderr, "unknown mode %s\n", m);
    return 2;
  }
  return report(m, e);
}
