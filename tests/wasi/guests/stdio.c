// fds 0, 1 and 2: binary data through stdin and stdout byte for byte, gathered writes,
// large writes, EOF, what a stream cannot do (seek, tell, pread, write to stdin), and
// closing them. Results go to stderr when stdout carries data.
//
//   stdio.wasm echo     stdin: the runner's binary test data -> stdout, exactly
//   stdio.wasm big      stdout: 4 MiB of pattern (byte i = (i * 131 + i / 4096) & 255)
//   stdio.wasm null     stdin: /dev/null
//   stdio.wasm close    closes 0 and 2, then uses them
#include <unistd.h>

#include "check.h"

static void check_streams(void) {
  __wasi_fdstat_t fs;
  CHECK_OK(__wasi_fd_fdstat_get(0, &fs));
  CHECK(fs.fs_rights_base & __WASI_RIGHTS_FD_READ, "stdin can be read (rights 0x%llx)",
        (unsigned long long)fs.fs_rights_base);
  CHECK(fs.fs_filetype != __WASI_FILETYPE_DIRECTORY, "stdin is not a directory");
  CHECK_OK(__wasi_fd_fdstat_get(1, &fs));
  CHECK(fs.fs_rights_base & __WASI_RIGHTS_FD_WRITE, "stdout can be written");
  CHECK_OK(__wasi_fd_fdstat_get(2, &fs));
  CHECK(fs.fs_rights_base & __WASI_RIGHTS_FD_WRITE, "stderr can be written");
  __wasi_prestat_t ps;
  for (int fd = 0; fd < 3; fd++) CHECK_ERR(__wasi_fd_prestat_get(fd, &ps), __WASI_ERRNO_BADF);
  // Redirected to files by the runner: no terminal. (Whether stdin is depends on the mode:
  // /dev/null is a character device, which is all wasi-libc's isatty() can look at.)
  CHECK_EQ(isatty(1), 0);
  CHECK_EQ(isatty(2), 0);
}

static void check_pipe_stdin(void) {
  // stdin is a pipe: not a terminal, no seeking, no telling, no positioned reads; not
  // writable.
  CHECK_EQ(isatty(0), 0);
  __wasi_filesize_t pos;
  CHECK_ERR(__wasi_fd_seek(0, 0, __WASI_WHENCE_CUR, &pos), __WASI_ERRNO_SPIPE,
            __WASI_ERRNO_NOTCAPABLE);
  CHECK_ERR(__wasi_fd_tell(0, &pos), __WASI_ERRNO_SPIPE, __WASI_ERRNO_NOTCAPABLE);
  uint8_t b[4];
  __wasi_iovec_t iov = {b, sizeof b};
  size_t n;
  CHECK_ERR(__wasi_fd_pread(0, &iov, 1, 0, &n), __WASI_ERRNO_SPIPE, __WASI_ERRNO_NOTCAPABLE);
  __wasi_ciovec_t civ = {(const uint8_t*)"x", 1};
  CHECK_ERR(__wasi_fd_write(0, &civ, 1, &n), __WASI_ERRNO_BADF, __WASI_ERRNO_NOTCAPABLE);
}

static void echo(void) {
  check_streams();
  check_pipe_stdin();
  size_t cap = 1 << 20, len = 0;
  uint8_t* data = malloc(cap);
  REQUIRE(data != NULL, "out of memory");
  // Read with odd-sized scattered buffers until EOF.
  for (;;) {
    if (cap - len < 8192) {
      cap *= 2;
      data = realloc(data, cap);
      REQUIRE(data != NULL, "out of memory");
    }
    __wasi_iovec_t iov[3] = {{data + len, 1}, {data + len + 1, 4095}, {data + len + 4096, 3}};
    size_t n = 0;
    if (!CHECK_OK(__wasi_fd_read(0, iov, 3, &n))) break;
    if (n == 0) break;
    len += n;
  }
  // EOF stays EOF.
  uint8_t extra;
  __wasi_iovec_t one = {&extra, 1};
  size_t n = 9;
  CHECK_OK(__wasi_fd_read(0, &one, 1, &n));
  CHECK_EQ(n, 0);
  // Write back in gathered chunks of varied sizes, handling short writes.
  size_t off = 0, k = 0;
  while (off < len) {
    __wasi_ciovec_t v[8];
    size_t want = 0;
    int cnt = 0;
    for (; cnt < 8 && off + want < len; cnt++) {
      size_t piece = 1 + (k++ * 977) % 5000;
      if (piece > len - off - want) piece = len - off - want;
      v[cnt] = (__wasi_ciovec_t){data + off + want, piece};
      want += piece;
    }
    size_t wrote = 0;
    if (!CHECK_OK(__wasi_fd_write(1, v, cnt, &wrote))) break;
    CHECK(wrote > 0 && wrote <= want, "fd_write wrote %zu of %zu", wrote, want);
    if (wrote == 0) break;
    off += wrote;
  }
  fprintf(stderr, "stdin: %zu bytes\n", len);
  free(data);
}

static void big(void) {
  check_streams();
  size_t len = 4 << 20;
  uint8_t* data = malloc(len);
  REQUIRE(data != NULL, "out of memory");
  for (size_t i = 0; i < len; i++) data[i] = (uint8_t)(i * 131 + i / 4096);
  CHECK_OK(write_all(1, data, len));
  free(data);
}

static void null_stdin(void) {
  check_streams();
  uint8_t b[16];
  __wasi_iovec_t iov = {b, sizeof b};
  size_t n = 9;
  CHECK_OK(__wasi_fd_read(0, &iov, 1, &n));
  CHECK_EQ(n, 0);
  CHECK_EQ(read(0, b, sizeof b), 0);
  CHECK_EQ(getchar(), EOF);
  CHECK(feof(stdin), "feof(stdin)");
}

static void close_streams(void) {
  CHECK_OK(__wasi_fd_close(0));
  uint8_t b[4];
  __wasi_iovec_t iov = {b, sizeof b};
  size_t n;
  CHECK_ERR(__wasi_fd_read(0, &iov, 1, &n), __WASI_ERRNO_BADF);
  CHECK_ERR(__wasi_fd_close(0), __WASI_ERRNO_BADF);
  __wasi_fdstat_t fs;
  CHECK_ERR(__wasi_fd_fdstat_get(0, &fs), __WASI_ERRNO_BADF);
  fail_stream = stdout;  // stderr is about to go
  CHECK_OK(__wasi_fd_close(2));
  __wasi_ciovec_t civ = {(const uint8_t*)"lost\n", 5};
  CHECK_ERR(__wasi_fd_write(2, &civ, 1, &n), __WASI_ERRNO_BADF);
  // Renumbering stdout onto the free 2 makes 2 write where 1 did, and closes 1.
  CHECK_ERR(__wasi_fd_renumber(1, 2), 0, __WASI_ERRNO_BADF);
  if (__wasi_fd_fdstat_get(2, &fs) == 0) {
    civ = (__wasi_ciovec_t){(const uint8_t*)"via fd 2\n", 9};
    CHECK_OK(__wasi_fd_write(2, &civ, 1, &n));
    CHECK_ERR(__wasi_fd_fdstat_get(1, &fs), __WASI_ERRNO_BADF);
    // Results must still reach the runner: put stdout back where it was.
    CHECK_OK(__wasi_fd_renumber(2, 1));
  }
}

int main(int argc, char** argv) {
  REQUIRE(argc == 2, "usage: stdio.wasm echo|big|null|close");
  const char* mode = argv[1];
  if (!strcmp(mode, "echo")) {
    echo();
    return finish_to(stderr);
  }
  if (!strcmp(mode, "big")) {
    big();
    return finish_to(stderr);
  }
  if (!strcmp(mode, "null")) {
    null_stdin();
    return finish();
  }
  if (!strcmp(mode, "close")) {
    close_streams();
    return finish();
  }
  REQUIRE(0, "unknown mode %s", mode);
  return 1;
}
