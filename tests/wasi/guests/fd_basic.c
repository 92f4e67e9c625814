// The fd_* calls on regular files: read, write, pread, pwrite, seek, tell, append, fdstat
// get/set_flags, filestat get/set_size/set_times, allocate, advise, sync, datasync,
// renumber, close, and EBADF for descriptors that are closed or never existed.
// Run with --dir HOST::/sandbox (read-write); leaves fdb/final.txt for the runner to find.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"

static int root;

static uint64_t file_size(int fd) {
  __wasi_filestat_t st;
  if (__wasi_fd_filestat_get(fd, &st) != 0) return UINT64_MAX;
  return st.size;
}

static size_t pread_str(int fd, char* buf, size_t len, uint64_t off) {
  // Reads at most len - 1 bytes and NUL-terminates.
  __wasi_iovec_t iov = {(uint8_t*)buf, len - 1};
  size_t n = 0;
  CHECK_OK(__wasi_fd_pread(fd, &iov, 1, off, &n));
  buf[n < len ? n : len - 1] = 0;
  return n;
}

static uint64_t tell(int fd) {
  __wasi_filesize_t pos = UINT64_MAX;
  CHECK_OK(__wasi_fd_tell(fd, &pos));
  return pos;
}

static void test_read_write(void) {
  int fd;
  REQUIRE(CHECK_OK(open_at(root, "fdb/file", __WASI_OFLAGS_CREAT | __WASI_OFLAGS_TRUNC, 0, &fd)),
          "creating fdb/file");
  __wasi_fdstat_t fs;
  CHECK_OK(__wasi_fd_fdstat_get(fd, &fs));
  CHECK_EQ(fs.fs_filetype, __WASI_FILETYPE_REGULAR_FILE);
  CHECK_EQ(fs.fs_flags, 0);
  __wasi_rights_t need = __WASI_RIGHTS_FD_READ | __WASI_RIGHTS_FD_WRITE | __WASI_RIGHTS_FD_SEEK |
                         __WASI_RIGHTS_FD_TELL | __WASI_RIGHTS_FD_FILESTAT_GET;
  CHECK((fs.fs_rights_base & need) == need,
        "a file opened with all rights can read, write, seek, tell and stat (rights 0x%llx)",
        (unsigned long long)fs.fs_rights_base);

  CHECK_EQ(tell(fd), 0);
  CHECK_OK(write_all(fd, "hello world", 11));
  CHECK_EQ(tell(fd), 11);
  __wasi_filesize_t pos = 99;
  CHECK_OK(__wasi_fd_seek(fd, 0, __WASI_WHENCE_SET, &pos));
  CHECK_EQ(pos, 0);
  char buf[256];
  size_t n = 0;
  CHECK_OK(read_all(fd, buf, sizeof buf, &n));
  CHECK_MEM(buf, n, "hello world");
  // At EOF a read returns 0 bytes, not an error.
  __wasi_iovec_t iov = {(uint8_t*)buf, sizeof buf};
  n = 7;
  CHECK_OK(__wasi_fd_read(fd, &iov, 1, &n));
  CHECK_EQ(n, 0);

  // pread/pwrite leave the offset alone.
  n = pread_str(fd, buf, 6, 6);
  CHECK_MEM(buf, n, "world");
  CHECK_EQ(tell(fd), 11);
  __wasi_ciovec_t civ = {(const uint8_t*)"WORLD", 5};
  n = 0;
  CHECK_OK(__wasi_fd_pwrite(fd, &civ, 1, 6, &n));
  CHECK_EQ(n, 5);
  CHECK_EQ(tell(fd), 11);
  n = pread_str(fd, buf, sizeof buf, 0);
  CHECK_MEM(buf, n, "hello WORLD");
  // pread past the end reads nothing; pwrite past the end makes a hole of zeros.
  n = 9;
  iov = (__wasi_iovec_t){(uint8_t*)buf, 10};
  CHECK_OK(__wasi_fd_pread(fd, &iov, 1, 1000, &n));
  CHECK_EQ(n, 0);
  civ = (__wasi_ciovec_t){(const uint8_t*)"XY", 2};
  CHECK_OK(__wasi_fd_pwrite(fd, &civ, 1, 20, &n));
  CHECK_EQ(n, 2);
  CHECK_EQ(file_size(fd), 22);
  memset(buf, 0x55, sizeof buf);
  n = pread_str(fd, buf, 23, 0);
  CHECK_EQ(n, 22);
  int zeros = 1;
  for (int i = 11; i < 20; i++) zeros &= buf[i] == 0;
  CHECK(zeros, "pwrite past the end leaves zeros in the hole");
  CHECK(buf[20] == 'X' && buf[21] == 'Y', "pwrite past the end writes at its offset");
  // Zero-length pwrite/pread.
  civ = (__wasi_ciovec_t){(const uint8_t*)"", 0};
  n = 9;
  CHECK_OK(__wasi_fd_pwrite(fd, &civ, 1, 3, &n));
  CHECK_EQ(n, 0);

  // Seeking.
  CHECK_OK(__wasi_fd_seek(fd, -2, __WASI_WHENCE_END, &pos));
  CHECK_EQ(pos, 20);
  CHECK_OK(__wasi_fd_seek(fd, 1, __WASI_WHENCE_CUR, &pos));
  CHECK_EQ(pos, 21);
  CHECK_OK(__wasi_fd_seek(fd, 0, __WASI_WHENCE_CUR, &pos));
  CHECK_EQ(pos, 21);
  pos = 77;
  CHECK_ERR(__wasi_fd_seek(fd, -1, __WASI_WHENCE_SET, &pos), __WASI_ERRNO_INVAL);
  CHECK_ERR(__wasi_fd_seek(fd, -1000, __WASI_WHENCE_CUR, &pos), __WASI_ERRNO_INVAL);
  CHECK_ERR(__wasi_fd_seek(fd, -23, __WASI_WHENCE_END, &pos), __WASI_ERRNO_INVAL);
  CHECK_ERR(__wasi_fd_seek(fd, 0, 3, &pos), __WASI_ERRNO_INVAL);
  CHECK_ERR(__wasi_fd_seek(fd, 0, 255, &pos), __WASI_ERRNO_INVAL);
  CHECK_EQ(tell(fd), 21);  // failed seeks moved nothing
  CHECK_OK(__wasi_fd_seek(fd, 1000, __WASI_WHENCE_SET, &pos));
  CHECK_EQ(pos, 1000);
  CHECK_EQ(tell(fd), 1000);
  n = 3;
  iov = (__wasi_iovec_t){(uint8_t*)buf, 10};
  CHECK_OK(__wasi_fd_read(fd, &iov, 1, &n));
  CHECK_EQ(n, 0);
  CHECK_EQ(file_size(fd), 22);  // seeking past the end does not grow the file

  // Scatter/gather: writev and readv with several vectors, some empty.
  CHECK_OK(__wasi_fd_seek(fd, 0, __WASI_WHENCE_SET, &pos));
  __wasi_ciovec_t wv[4] = {{(const uint8_t*)"ab", 2},
                           {(const uint8_t*)"", 0},
                           {(const uint8_t*)"cde", 3},
                           {(const uint8_t*)"f", 1}};
  CHECK_OK(__wasi_fd_write(fd, wv, 4, &n));
  CHECK_EQ(n, 6);
  CHECK_EQ(tell(fd), 6);
  CHECK_OK(__wasi_fd_seek(fd, 0, __WASI_WHENCE_SET, &pos));
  char r1[2], r2[1], r3[4];
  __wasi_iovec_t rv[4] = {
      {(uint8_t*)r1, 2}, {(uint8_t*)r2, 0}, {(uint8_t*)r2, 1}, {(uint8_t*)r3, 4}};
  CHECK_OK(__wasi_fd_read(fd, rv, 4, &n));
  CHECK_EQ(n, 7);
  CHECK(memcmp(r1, "ab", 2) == 0 && r2[0] == 'c' && memcmp(r3, "defW", 4) == 0,
        "readv scatters in order (got %.2s|%.1s|%.4s)", r1, r2, r3);
  CHECK_OK(__wasi_fd_write(fd, wv, 0, &n));
  CHECK_EQ(n, 0);

  // A large write and read in one call each.
  size_t big_len = 3 << 20;
  char* big = malloc(big_len);
  char* back = malloc(big_len);
  REQUIRE(big && back, "out of memory");
  for (size_t i = 0; i < big_len; i++) big[i] = (char)(i * 7 + (i >> 12));
  CHECK_OK(__wasi_fd_seek(fd, 0, __WASI_WHENCE_SET, &pos));
  CHECK_OK(write_all(fd, big, big_len));
  CHECK_EQ(file_size(fd), big_len);
  CHECK_OK(__wasi_fd_seek(fd, 0, __WASI_WHENCE_SET, &pos));
  CHECK_OK(read_all(fd, back, big_len + 1, &n));
  CHECK(n == big_len && memcmp(big, back, big_len) == 0, "3 MiB read back as written (%zu)", n);
  free(big);
  free(back);
  CHECK_OK(__wasi_fd_close(fd));
}

static void test_filestat(void) {
  int fd;
  CHECK_OK(open_at(root, "fdb/stat", __WASI_OFLAGS_CREAT | __WASI_OFLAGS_TRUNC, 0, &fd));
  CHECK_OK(write_all(fd, "0123456789", 10));
  __wasi_filestat_t st, pst;
  CHECK_OK(__wasi_fd_filestat_get(fd, &st));
  CHECK_EQ(st.filetype, __WASI_FILETYPE_REGULAR_FILE);
  CHECK_EQ(st.size, 10);
  CHECK_EQ(st.nlink, 1);
  CHECK_OK(__wasi_path_filestat_get(root, 0, "fdb/stat", &pst));
  CHECK(st.ino == pst.ino && st.dev == pst.dev, "fd and path filestat agree on dev/ino");
  CHECK_EQ(pst.size, 10);

  // set_size shrinks and grows (with zeros).
  CHECK_OK(__wasi_fd_filestat_set_size(fd, 3));
  CHECK_EQ(file_size(fd), 3);
  char buf[128];
  size_t n = pread_str(fd, buf, sizeof buf, 0);
  CHECK_MEM(buf, n, "012");
  CHECK_OK(__wasi_fd_filestat_set_size(fd, 100));
  CHECK_EQ(file_size(fd), 100);
  n = pread_str(fd, buf, sizeof buf, 0);
  CHECK_EQ(n, 100);
  CHECK(buf[3] == 0 && buf[99] == 0, "set_size grows with zeros");

  // set_times: exact values, "now", and the invalid combinations.
  const uint64_t at = 1600000000123456789ull, mt = 1500000000987654321ull;
  CHECK_OK(__wasi_fd_filestat_set_times(fd, at, mt, __WASI_FSTFLAGS_ATIM | __WASI_FSTFLAGS_MTIM));
  CHECK_OK(__wasi_fd_filestat_get(fd, &st));
  CHECK_EQ(st.atim, at);
  CHECK_EQ(st.mtim, mt);
  // Only mtim: atim stays.
  CHECK_OK(__wasi_fd_filestat_set_times(fd, 0, mt + 1000, __WASI_FSTFLAGS_MTIM));
  CHECK_OK(__wasi_fd_filestat_get(fd, &st));
  CHECK_EQ(st.atim, at);
  CHECK_EQ(st.mtim, mt + 1000);
  uint64_t before = now_ns(__WASI_CLOCKID_REALTIME);
  CHECK_OK(__wasi_fd_filestat_set_times(fd, 0, 0, __WASI_FSTFLAGS_MTIM_NOW));
  CHECK_OK(__wasi_fd_filestat_get(fd, &st));
  CHECK_EQ(st.atim, at);
  CHECK(st.mtim + 2000000000ull >= before && st.mtim <= before + 10000000000ull,
        "MTIM_NOW sets mtim to now (got %llu, now %llu)", (unsigned long long)st.mtim,
        (unsigned long long)before);
  CHECK_OK(__wasi_fd_filestat_set_times(fd, 0, 0, __WASI_FSTFLAGS_ATIM_NOW));
  CHECK_OK(__wasi_fd_filestat_get(fd, &st));
  CHECK(st.atim + 2000000000ull >= before, "ATIM_NOW sets atim to now");
  CHECK_ERR(__wasi_fd_filestat_set_times(fd, 1, 1, __WASI_FSTFLAGS_ATIM | __WASI_FSTFLAGS_ATIM_NOW),
            __WASI_ERRNO_INVAL);
  CHECK_ERR(__wasi_fd_filestat_set_times(fd, 1, 1, __WASI_FSTFLAGS_MTIM | __WASI_FSTFLAGS_MTIM_NOW),
            __WASI_ERRNO_INVAL);
  // set_times with no flags changes nothing.
  __wasi_filestat_t st2;
  CHECK_OK(__wasi_fd_filestat_get(fd, &st));
  CHECK_OK(__wasi_fd_filestat_set_times(fd, 5, 5, 0));
  CHECK_OK(__wasi_fd_filestat_get(fd, &st2));
  CHECK(st.atim == st2.atim && st.mtim == st2.mtim, "set_times with no flags changes nothing");

  // allocate grows the file to cover the range and never shrinks it.
  CHECK_OK(__wasi_fd_allocate(fd, 0, 8192));
  CHECK_EQ(file_size(fd), 8192);
  CHECK_OK(__wasi_fd_allocate(fd, 10, 10));
  CHECK_EQ(file_size(fd), 8192);
  CHECK_OK(__wasi_fd_allocate(fd, 8192, 100));
  CHECK_EQ(file_size(fd), 8292);
  n = pread_str(fd, buf, 4, 8200);
  CHECK(n == 3 && buf[0] == 0 && buf[2] == 0, "allocated bytes read as zeros");

  // advise: every advice is accepted; an unknown one is EINVAL.
  for (int adv = __WASI_ADVICE_NORMAL; adv <= __WASI_ADVICE_NOREUSE; adv++)
    CHECK_OK(__wasi_fd_advise(fd, 0, 100, (__wasi_advice_t)adv));
  CHECK_OK(__wasi_fd_advise(fd, 0, 0, __WASI_ADVICE_SEQUENTIAL));
  CHECK_ERR(__wasi_fd_advise(fd, 0, 100, 6), __WASI_ERRNO_INVAL);
  CHECK_ERR(__wasi_fd_advise(fd, 0, 100, 200), __WASI_ERRNO_INVAL);

  CHECK_OK(__wasi_fd_sync(fd));
  CHECK_OK(__wasi_fd_datasync(fd));
  CHECK_OK(__wasi_fd_close(fd));
}

static void test_append_and_flags(void) {
  int fd;
  CHECK_OK(put_file(root, "fdb/append", "start\n"));
  CHECK_OK(open_at(root, "fdb/append", 0, __WASI_FDFLAGS_APPEND, &fd));
  __wasi_fdstat_t fs;
  CHECK_OK(__wasi_fd_fdstat_get(fd, &fs));
  CHECK_EQ(fs.fs_flags & __WASI_FDFLAGS_APPEND, __WASI_FDFLAGS_APPEND);
  __wasi_filesize_t pos;
  CHECK_OK(__wasi_fd_seek(fd, 0, __WASI_WHENCE_SET, &pos));
  CHECK_OK(write_all(fd, "one\n", 4));  // goes to the end anyway
  CHECK_EQ(tell(fd), 10);
  char buf[64];
  size_t n = pread_str(fd, buf, sizeof buf, 0);
  CHECK_MEM(buf, n, "start\none\n");

  // Clearing APPEND: writes land at the offset again.
  CHECK_OK(__wasi_fd_fdstat_set_flags(fd, 0));
  CHECK_OK(__wasi_fd_fdstat_get(fd, &fs));
  CHECK_EQ(fs.fs_flags & __WASI_FDFLAGS_APPEND, 0);
  CHECK_OK(__wasi_fd_seek(fd, 0, __WASI_WHENCE_SET, &pos));
  CHECK_OK(write_all(fd, "S", 1));
  n = pread_str(fd, buf, sizeof buf, 0);
  CHECK_MEM(buf, n, "Start\none\n");
  // Setting it again.
  CHECK_OK(__wasi_fd_fdstat_set_flags(fd, __WASI_FDFLAGS_APPEND));
  CHECK_OK(__wasi_fd_seek(fd, 0, __WASI_WHENCE_SET, &pos));
  CHECK_OK(write_all(fd, "two\n", 4));
  n = pread_str(fd, buf, sizeof buf, 0);
  CHECK_MEM(buf, n, "Start\none\ntwo\n");
  // NONBLOCK is accepted on a regular file and reported back.
  CHECK_OK(__wasi_fd_fdstat_set_flags(fd, __WASI_FDFLAGS_NONBLOCK));
  CHECK_OK(__wasi_fd_fdstat_get(fd, &fs));
  CHECK_EQ(fs.fs_flags & (__WASI_FDFLAGS_NONBLOCK | __WASI_FDFLAGS_APPEND),
           __WASI_FDFLAGS_NONBLOCK);
  CHECK_OK(__wasi_fd_close(fd));

  // libc: O_APPEND through open().
  int lfd = open("/sandbox/fdb/append", O_WRONLY | O_APPEND);
  CHECK(lfd >= 0, "open(O_APPEND) (errno %s)", errname(errno));
  if (lfd >= 0) {
    CHECK_EQ(write(lfd, "three\n", 6), 6);
    CHECK_EQ(lseek(lfd, 0, SEEK_CUR), 20);
    CHECK_EQ(fcntl(lfd, F_GETFL) & O_APPEND, O_APPEND);
    CHECK_LIBC_OK(close(lfd));
  }
}

static void test_access_modes(void) {
  CHECK_OK(put_file(root, "fdb/modes", "abc"));
  // Read-only descriptors cannot write, write-only ones cannot read.
  int rfd = open("/sandbox/fdb/modes", O_RDONLY);
  int wfd = open("/sandbox/fdb/modes", O_WRONLY);
  REQUIRE(rfd >= 0 && wfd >= 0, "open O_RDONLY/O_WRONLY (errno %s)", errname(errno));
  char buf[8];
  CHECK_LIBC_ERR(write(rfd, "x", 1), EBADF, ENOTCAPABLE);
  CHECK_LIBC_ERR(read(wfd, buf, sizeof buf), EBADF, ENOTCAPABLE);
  CHECK_LIBC_ERR(ftruncate(rfd, 0), EBADF, EINVAL, ENOTCAPABLE);
  __wasi_ciovec_t civ = {(const uint8_t*)"x", 1};
  size_t n;
  CHECK_ERR(__wasi_fd_pwrite(rfd, &civ, 1, 0, &n), __WASI_ERRNO_BADF, __WASI_ERRNO_NOTCAPABLE);
  CHECK_ERR(__wasi_fd_allocate(rfd, 0, 100), __WASI_ERRNO_BADF, __WASI_ERRNO_NOTCAPABLE);
  __wasi_fdstat_t fs;
  CHECK_OK(__wasi_fd_fdstat_get(rfd, &fs));
  CHECK_EQ(fs.fs_rights_base & __WASI_RIGHTS_FD_WRITE, 0);
  CHECK_EQ(read(rfd, buf, sizeof buf), 3);
  CHECK_EQ(write(wfd, "xyz!", 4), 4);
  CHECK_LIBC_OK(close(rfd));
  CHECK_LIBC_OK(close(wfd));
  char content[16];
  CHECK_OK(get_file(root, "fdb/modes", content, sizeof content));
  CHECK_STR(content, "xyz!");

  // The preopened directory is not a file: no read, write or size change.
  CHECK_ERR(__wasi_fd_write(root, &civ, 1, &n), __WASI_ERRNO_BADF, __WASI_ERRNO_ISDIR,
            __WASI_ERRNO_NOTCAPABLE);
  __wasi_iovec_t iov = {(uint8_t*)buf, sizeof buf};
  CHECK_ERR(__wasi_fd_read(root, &iov, 1, &n), __WASI_ERRNO_BADF, __WASI_ERRNO_ISDIR,
            __WASI_ERRNO_NOTCAPABLE);
  CHECK_ERR(__wasi_fd_filestat_set_size(root, 0), __WASI_ERRNO_BADF, __WASI_ERRNO_ISDIR,
            __WASI_ERRNO_INVAL, __WASI_ERRNO_NOTCAPABLE);
  __wasi_filestat_t st;
  CHECK_OK(__wasi_fd_filestat_get(root, &st));
  CHECK_EQ(st.filetype, __WASI_FILETYPE_DIRECTORY);
}

static void test_renumber_close(void) {
  int a, b;
  CHECK_OK(put_file(root, "fdb/ra", "file A"));
  CHECK_OK(put_file(root, "fdb/rb", "file B"));
  CHECK_OK(open_ro(root, "fdb/ra", 1, &a));
  CHECK_OK(open_ro(root, "fdb/rb", 1, &b));
  CHECK(a != b && a > 3 && b > 3, "new fds are distinct and above the preopen (%d, %d)", a, b);
  // renumber(a, b): b now is A's file, a is gone.
  CHECK_OK(__wasi_fd_renumber(a, b));
  char buf[32];
  size_t n;
  CHECK_OK(read_all(b, buf, sizeof buf, &n));
  CHECK_STR(buf, "file A");
  __wasi_fdstat_t fs;
  CHECK_ERR(__wasi_fd_fdstat_get(a, &fs), __WASI_ERRNO_BADF);
  // Renumbering onto itself changes nothing.
  CHECK_OK(__wasi_fd_renumber(b, b));
  CHECK_OK(__wasi_fd_fdstat_get(b, &fs));
  CHECK_ERR(__wasi_fd_renumber(a, b), __WASI_ERRNO_BADF);  // a is closed
  CHECK_ERR(__wasi_fd_renumber(9999, b), __WASI_ERRNO_BADF);
  CHECK_OK(__wasi_fd_fdstat_get(b, &fs));  // a failed renumber leaves the target open
  int c;
  CHECK_OK(open_ro(root, "fdb/rb", 1, &c));
  CHECK_OK(read_all(c, buf, sizeof buf, &n));
  CHECK_STR(buf, "file B");
  CHECK_OK(__wasi_fd_close(c));
  CHECK_OK(__wasi_fd_close(b));
  CHECK_ERR(__wasi_fd_close(b), __WASI_ERRNO_BADF);

  // Every fd call on a closed fd and on numbers never opened: EBADF.
  const int bad[] = {b, 9999, 0x7fffffff, -1};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    int fd = bad[i];
    __wasi_iovec_t iov = {(uint8_t*)buf, sizeof buf};
    __wasi_ciovec_t civ = {(const uint8_t*)"x", 1};
    __wasi_filesize_t pos;
    __wasi_filestat_t st;
    __wasi_prestat_t ps;
    CHECK_ERR(__wasi_fd_read(fd, &iov, 1, &n), __WASI_ERRNO_BADF);
    CHECK_ERR(__wasi_fd_write(fd, &civ, 1, &n), __WASI_ERRNO_BADF);
    CHECK_ERR(__wasi_fd_pread(fd, &iov, 1, 0, &n), __WASI_ERRNO_BADF);
    CHECK_ERR(__wasi_fd_pwrite(fd, &civ, 1, 0, &n), __WASI_ERRNO_BADF);
    CHECK_ERR(__wasi_fd_seek(fd, 0, __WASI_WHENCE_SET, &pos), __WASI_ERRNO_BADF);
    CHECK_ERR(__wasi_fd_tell(fd, &pos), __WASI_ERRNO_BADF);
    CHECK_ERR(__wasi_fd_fdstat_get(fd, &fs), __WASI_ERRNO_BADF);
    CHECK_ERR(__wasi_fd_fdstat_set_flags(fd, 0), __WASI_ERRNO_BADF);
    CHECK_ERR(__wasi_fd_fdstat_set_rights(fd, 0, 0), __WASI_ERRNO_BADF);
    CHECK_ERR(__wasi_fd_filestat_get(fd, &st), __WASI_ERRNO_BADF);
    CHECK_ERR(__wasi_fd_filestat_set_size(fd, 0), __WASI_ERRNO_BADF);
    CHECK_ERR(__wasi_fd_filestat_set_times(fd, 0, 0, __WASI_FSTFLAGS_MTIM_NOW), __WASI_ERRNO_BADF);
    CHECK_ERR(__wasi_fd_allocate(fd, 0, 1), __WASI_ERRNO_BADF);
    CHECK_ERR(__wasi_fd_advise(fd, 0, 1, __WASI_ADVICE_NORMAL), __WASI_ERRNO_BADF);
    CHECK_ERR(__wasi_fd_sync(fd), __WASI_ERRNO_BADF);
    CHECK_ERR(__wasi_fd_datasync(fd), __WASI_ERRNO_BADF);
    CHECK_ERR(__wasi_fd_readdir(fd, (uint8_t*)buf, sizeof buf, 0, &n), __WASI_ERRNO_BADF);
    CHECK_ERR(__wasi_fd_prestat_get(fd, &ps), __WASI_ERRNO_BADF);
    CHECK_ERR(__wasi_fd_prestat_dir_name(fd, (uint8_t*)buf, sizeof buf), __WASI_ERRNO_BADF);
    CHECK_ERR(__wasi_fd_close(fd), __WASI_ERRNO_BADF);
    CHECK_ERR(__wasi_fd_renumber(fd, 0), __WASI_ERRNO_BADF);
    int out;
    CHECK_ERR(open_at(fd, "x", 0, 0, &out), __WASI_ERRNO_BADF);
    CHECK_ERR(__wasi_path_create_directory(fd, "x"), __WASI_ERRNO_BADF);
    CHECK_ERR(__wasi_path_filestat_get(fd, 0, "x", &st), __WASI_ERRNO_BADF);
    CHECK_ERR(__wasi_path_unlink_file(fd, "x"), __WASI_ERRNO_BADF);
  }
  CHECK_OK(__wasi_fd_fdstat_get(0, &fs));  // renumber(bad, 0) left stdin alone
}

static void test_libc(void) {
  FILE* f = fopen("/sandbox/fdb/stdio.txt", "w+");
  REQUIRE(f != NULL, "fopen w+ (errno %s)", errname(errno));
  CHECK_EQ(fprintf(f, "line %d\nline %d\n", 1, 2), 14);
  CHECK_EQ(fseek(f, 5, SEEK_SET), 0);
  CHECK_EQ(ftell(f), 5);
  char line[32];
  CHECK(fgets(line, sizeof line, f) != NULL, "fgets");
  CHECK_STR(line, "1\n");
  CHECK_EQ(fclose(f), 0);
  struct stat st;
  CHECK_LIBC_OK(stat("/sandbox/fdb/stdio.txt", &st));
  CHECK_EQ(st.st_size, 14);
  CHECK(S_ISREG(st.st_mode), "stat: a regular file");
  int fd = open("/sandbox/fdb/stdio.txt", O_RDWR);
  CHECK(fd >= 0, "open O_RDWR");
  CHECK_LIBC_OK(fstat(fd, &st));
  CHECK_EQ(st.st_size, 14);
  CHECK_EQ(posix_fallocate(fd, 0, 64), 0);
  CHECK_LIBC_OK(fstat(fd, &st));
  CHECK_EQ(st.st_size, 64);
  CHECK_EQ(posix_fadvise(fd, 0, 0, POSIX_FADV_RANDOM), 0);
  CHECK_LIBC_OK(ftruncate(fd, 7));
  CHECK_LIBC_OK(fsync(fd));
  CHECK_LIBC_OK(fdatasync(fd));
  CHECK_EQ(lseek(fd, 0, SEEK_END), 7);
  CHECK_LIBC_ERR(lseek(fd, -8, SEEK_END), EINVAL);
  CHECK_LIBC_OK(close(fd));
  CHECK_LIBC_ERR(close(fd), EBADF);
  CHECK_LIBC_ERR(read(fd, line, 1), EBADF);
}

int main(void) {
  root = preopen_fd("/sandbox");
  REQUIRE(root >= 0, "a preopen named /sandbox");
  CHECK_EQ(root, 3);  // preopens are numbered from 3
  __wasi_errno_t e = __wasi_path_create_directory(root, "fdb");
  CHECK(e == 0 || e == __WASI_ERRNO_EXIST, "mkdir fdb (got %s)", errname(e));
  test_read_write();
  test_filestat();
  test_append_and_flags();
  test_access_modes();
  test_renumber_close();
  test_libc();
  CHECK_OK(put_file(root, "fdb/final.txt", "fd_basic done\n"));
  return finish();
}
