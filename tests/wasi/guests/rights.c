// Preopens and rights: fd_prestat_get / fd_prestat_dir_name for several preopens (fds 3, 4,
// 5 in the order given; a guest name defaults to the host path), path_open with exact
// rights, calls refused for want of a right, fd_fdstat_set_rights that only ever shrinks,
// and directory fds whose rights limit what can be opened through them.
//
//   rights.wasm   --dir FIXTURE::/sandbox --dir FIXTURE/sub::data --dir FIXTURE/empty
//                 --env EMPTY_HOST=FIXTURE/empty
#include <fcntl.h>
#include <unistd.h>

#include "check.h"

#define NOTCAP __WASI_ERRNO_NOTCAPABLE
#define FOLLOW __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW

static void check_prestat(int fd, const char* want) {
  __wasi_prestat_t ps;
  memset(&ps, 0xee, sizeof ps);
  if (!CHECK_OK(__wasi_fd_prestat_get(fd, &ps))) return;
  CHECK_EQ(ps.tag, __WASI_PREOPENTYPE_DIR);
  size_t len = strlen(want);
  CHECK(ps.u.dir.pr_name_len == len, "fd %d: prestat name length %zu (got %zu)", fd, len,
        (size_t)ps.u.dir.pr_name_len);
  char buf[1024];
  memset(buf, '#', sizeof buf);
  if (len + 8 > sizeof buf) return;
  CHECK_OK(__wasi_fd_prestat_dir_name(fd, (uint8_t*)buf, len));
  CHECK(memcmp(buf, want, len) == 0, "fd %d: prestat name \"%.*s\" (want \"%s\")", fd, (int)len,
        buf, want);
  CHECK(buf[len] == '#', "fd %d: prestat_dir_name writes only the %zu bytes asked for", fd, len);
  // A roomier buffer gets the same name.
  memset(buf, '#', sizeof buf);
  CHECK_OK(__wasi_fd_prestat_dir_name(fd, (uint8_t*)buf, len + 8));
  CHECK(memcmp(buf, want, len) == 0, "fd %d: prestat name with a larger buffer", fd);
  // One byte short: refused, not truncated.
  if (len > 0) {
    memset(buf, '#', sizeof buf);
    CHECK_ERR(__wasi_fd_prestat_dir_name(fd, (uint8_t*)buf, len - 1), __WASI_ERRNO_NAMETOOLONG,
              __WASI_ERRNO_NOBUFS, __WASI_ERRNO_INVAL);
    CHECK(buf[len - 1] == '#', "fd %d: a short buffer is not overrun", fd);
  }
}

static void test_preopens(void) {
  const char* empty_host = getenv("EMPTY_HOST");
  REQUIRE(empty_host != NULL, "EMPTY_HOST is set by the runner");
  check_prestat(3, "/sandbox");
  check_prestat(4, "data");
  check_prestat(5, empty_host);
  __wasi_prestat_t ps;
  CHECK_ERR(__wasi_fd_prestat_get(6, &ps), __WASI_ERRNO_BADF);
  for (int fd = 0; fd < 3; fd++) CHECK_ERR(__wasi_fd_prestat_get(fd, &ps), __WASI_ERRNO_BADF);
  char buf[16];
  CHECK_ERR(__wasi_fd_prestat_dir_name(0, (uint8_t*)buf, sizeof buf), __WASI_ERRNO_BADF);
  // What is opened through a preopen is not a preopen.
  int sub;
  CHECK_OK(open_dir(3, "sub", &sub));
  CHECK_ERR(__wasi_fd_prestat_get(sub, &ps), __WASI_ERRNO_BADF);
  CHECK_OK(__wasi_fd_close(sub));
  // Each preopen is its own tree.
  CHECK_OK(get_file(4, "inner.txt", buf, sizeof buf));
  CHECK_STR(buf, "inner\n");
  CHECK_OK(get_file(3, "sub/inner.txt", buf, sizeof buf));
  CHECK_STR(buf, "inner\n");
  int fd;
  CHECK_ERR(open_ro(4, "../hello.txt", 1, &fd), NOTCAP);
  // libc finds files through the preopen names.
  int lfd = open("/sandbox/hello.txt", O_RDONLY);
  CHECK(lfd >= 0, "libc open through /sandbox (errno %s)", errname(errno));
  if (lfd >= 0) close(lfd);
  char path[1100];
  snprintf(path, sizeof path, "%s/.", empty_host);
  lfd = open(path, O_RDONLY | O_DIRECTORY);
  CHECK(lfd >= 0, "libc open through a preopen named by its host path (errno %s)", errname(errno));
  if (lfd >= 0) close(lfd);
}

static void test_file_rights(void) {
  __wasi_fdstat_t fs;
  CHECK_OK(__wasi_fd_fdstat_get(3, &fs));
  CHECK_EQ(fs.fs_filetype, __WASI_FILETYPE_DIRECTORY);
  __wasi_rights_t dir_needs = __WASI_RIGHTS_PATH_OPEN | __WASI_RIGHTS_FD_READDIR |
                              __WASI_RIGHTS_PATH_CREATE_FILE | __WASI_RIGHTS_PATH_FILESTAT_GET;
  CHECK((fs.fs_rights_base & dir_needs) == dir_needs, "a rw preopen's base rights (0x%llx)",
        (unsigned long long)fs.fs_rights_base);
  __wasi_rights_t file_needs = __WASI_RIGHTS_FD_READ | __WASI_RIGHTS_FD_WRITE |
                               __WASI_RIGHTS_FD_SEEK | __WASI_RIGHTS_FD_FILESTAT_GET;
  CHECK((fs.fs_rights_inheriting & file_needs) == file_needs,
        "a rw preopen's inheriting rights (0x%llx)", (unsigned long long)fs.fs_rights_inheriting);

  // Only FD_READ: reading works, nothing else does.
  __wasi_fd_t fd;
  REQUIRE(CHECK_OK(__wasi_path_open(3, FOLLOW, "hello.txt", 0, __WASI_RIGHTS_FD_READ, 0, 0, &fd)),
          "open with FD_READ only");
  CHECK_OK(__wasi_fd_fdstat_get(fd, &fs));
  CHECK(fs.fs_rights_base & __WASI_RIGHTS_FD_READ, "FD_READ granted");
  CHECK(!(fs.fs_rights_base & ~(__wasi_rights_t)__WASI_RIGHTS_FD_READ),
        "no more than FD_READ granted (0x%llx)", (unsigned long long)fs.fs_rights_base);
  CHECK_EQ(fs.fs_rights_inheriting, 0);
  char buf[32];
  uint8_t b[4];
  __wasi_iovec_t iov = {b, sizeof b};
  __wasi_ciovec_t civ = {(const uint8_t*)"x", 1};
  size_t n;
  CHECK_OK(__wasi_fd_read(fd, &iov, 1, &n));
  CHECK_EQ(n, 4);
  __wasi_filesize_t pos;
  __wasi_filestat_t st;
  CHECK_ERR(__wasi_fd_seek(fd, 0, __WASI_WHENCE_SET, &pos), NOTCAP);
  CHECK_ERR(__wasi_fd_tell(fd, &pos), NOTCAP);
  CHECK_ERR(__wasi_fd_write(fd, &civ, 1, &n), NOTCAP, __WASI_ERRNO_BADF);
  CHECK_ERR(__wasi_fd_pread(fd, &iov, 1, 0, &n), NOTCAP);  // pread needs FD_SEEK too
  CHECK_ERR(__wasi_fd_filestat_get(fd, &st), NOTCAP);
  CHECK_ERR(__wasi_fd_filestat_set_size(fd, 0), NOTCAP, __WASI_ERRNO_BADF);
  CHECK_ERR(__wasi_fd_advise(fd, 0, 0, __WASI_ADVICE_NORMAL), NOTCAP);
  CHECK_ERR(__wasi_fd_datasync(fd), NOTCAP);
  CHECK_ERR(__wasi_fd_fdstat_set_flags(fd, __WASI_FDFLAGS_APPEND), NOTCAP);
  // Rights only shrink.
  CHECK_ERR(__wasi_fd_fdstat_set_rights(fd, __WASI_RIGHTS_FD_READ | __WASI_RIGHTS_FD_SEEK, 0),
            NOTCAP);
  CHECK_OK(__wasi_fd_fdstat_set_rights(fd, 0, 0));
  CHECK_ERR(__wasi_fd_read(fd, &iov, 1, &n), NOTCAP, __WASI_ERRNO_BADF);
  CHECK_ERR(__wasi_fd_fdstat_set_rights(fd, __WASI_RIGHTS_FD_READ, 0), NOTCAP);
  CHECK_OK(__wasi_fd_fdstat_get(fd, &fs));  // fdstat needs no right
  CHECK_EQ(fs.fs_rights_base, 0);
  CHECK_OK(__wasi_fd_close(fd));

  // Shrinking step by step.
  __wasi_rights_t three = __WASI_RIGHTS_FD_READ | __WASI_RIGHTS_FD_SEEK | __WASI_RIGHTS_FD_TELL;
  CHECK_OK(__wasi_path_open(3, FOLLOW, "hello.txt", 0, three, 0, 0, &fd));
  CHECK_OK(__wasi_fd_seek(fd, 7, __WASI_WHENCE_SET, &pos));
  CHECK_OK(__wasi_fd_fdstat_set_rights(fd, __WASI_RIGHTS_FD_READ | __WASI_RIGHTS_FD_TELL, 0));
  CHECK_ERR(__wasi_fd_seek(fd, 0, __WASI_WHENCE_SET, &pos), NOTCAP);
  CHECK_OK(__wasi_fd_tell(fd, &pos));
  CHECK_EQ(pos, 7);
  CHECK_OK(read_all(fd, buf, sizeof buf, &n));
  CHECK_STR(buf, "sandbox!\n");
  CHECK_OK(__wasi_fd_close(fd));

  // Asking for more than the directory hands down: granted only what it hands down.
  CHECK_OK(__wasi_path_open(3, FOLLOW, "sub", __WASI_OFLAGS_DIRECTORY,
                            __WASI_RIGHTS_PATH_OPEN | __WASI_RIGHTS_FD_READDIR,
                            __WASI_RIGHTS_FD_READ, 0, &fd));
  __wasi_fd_t inner;
  CHECK_OK(__wasi_path_open(fd, FOLLOW, "inner.txt", 0, __WASI_RIGHTS_FD_READ, 0, 0, &inner));
  if (inner >= 0) (void)__wasi_fd_close(inner);
  // Isola grants the intersection of what is asked and what the directory hands down, as
  // Rust's std expects ("implementations may give us fewer rights silently than we ask
  // for"; it asks for FD_FILESTAT_SET_TIMES even to read). The fd must not be able to write.
  inner = -1;
  CHECK_OK(__wasi_path_open(fd, FOLLOW, "inner.txt", 0,
                            __WASI_RIGHTS_FD_READ | __WASI_RIGHTS_FD_WRITE, 0, 0, &inner));
  CHECK(inner >= 0, "path_open returned an fd");
  if (inner >= 0) {
    __wasi_ciovec_t w = {(const uint8_t*)"x", 1};
    CHECK_ERR(__wasi_fd_write(inner, &w, 1, &n), NOTCAP, __WASI_ERRNO_BADF);
    CHECK_OK(__wasi_fd_fdstat_get(inner, &fs));
    CHECK_EQ(fs.fs_rights_base & __WASI_RIGHTS_FD_WRITE, 0);
    (void)__wasi_fd_close(inner);
  }
  inner = -1;
  CHECK_OK(__wasi_path_open(fd, FOLLOW, "inner.txt", 0, __WASI_RIGHTS_FD_READ,
                            __WASI_RIGHTS_FD_WRITE, 0, &inner));
  CHECK(inner >= 0, "path_open returned an fd");
  if (inner >= 0) {
    CHECK_OK(__wasi_fd_fdstat_get(inner, &fs));
    CHECK_EQ(fs.fs_rights_inheriting & __WASI_RIGHTS_FD_WRITE, 0);
    (void)__wasi_fd_close(inner);
  }
  // ... and directory operations the fd was not given.
  CHECK_ERR(__wasi_path_create_directory(fd, "nope"), NOTCAP);
  CHECK_ERR(__wasi_path_unlink_file(fd, "inner.txt"), NOTCAP);
  CHECK_ERR(__wasi_path_filestat_get(fd, 0, "inner.txt", &st), NOTCAP);
  CHECK_ERR(__wasi_path_open(fd, FOLLOW, "made.txt", __WASI_OFLAGS_CREAT, __WASI_RIGHTS_FD_READ, 0,
                             0, &inner),
            NOTCAP);
  CHECK_ERR(__wasi_path_symlink("inner.txt", fd, "l"), NOTCAP);
  CHECK_ERR(__wasi_path_rename(fd, "inner.txt", fd, "moved.txt"), NOTCAP);
  CHECK_ERR(__wasi_path_readlink(fd, "link_up_ok", (uint8_t*)buf, sizeof buf, &n), NOTCAP);
  uint8_t dbuf[128];
  CHECK_OK(__wasi_fd_readdir(fd, dbuf, sizeof dbuf, 0, &n));
  CHECK_OK(__wasi_fd_close(fd));
  CHECK_ERR(lstat_err(3, "sub/nope"), __WASI_ERRNO_NOENT);
  CHECK_ERR(lstat_err(3, "sub/made.txt"), __WASI_ERRNO_NOENT);
  CHECK_OK(get_file(3, "sub/inner.txt", buf, sizeof buf));
  CHECK_STR(buf, "inner\n");

  // A preopen can give up rights too.
  CHECK_OK(__wasi_fd_fdstat_get(5, &fs));
  CHECK_OK(__wasi_fd_fdstat_set_rights(
      5, fs.fs_rights_base & ~(__wasi_rights_t)__WASI_RIGHTS_PATH_CREATE_FILE,
      fs.fs_rights_inheriting));
  CHECK_ERR(__wasi_path_open(5, FOLLOW, "f", __WASI_OFLAGS_CREAT, __WASI_RIGHTS_FD_READ, 0, 0, &fd),
            NOTCAP);
  CHECK_ERR(__wasi_fd_fdstat_set_rights(5, fs.fs_rights_base, fs.fs_rights_inheriting), NOTCAP);
  CHECK_OK(__wasi_path_create_directory(5, "still-allowed"));
  CHECK_OK(__wasi_path_remove_directory(5, "still-allowed"));
}

static void test_renumber_preopen(void) {
  // A file renumbered over a preopen replaces it: the directory is gone from the table.
  __wasi_fd_t fd;
  CHECK_OK(__wasi_path_open(3, FOLLOW, "hello.txt", 0, __WASI_RIGHTS_FD_READ, 0, 0, &fd));
  CHECK_OK(__wasi_fd_renumber(fd, 4));
  __wasi_prestat_t ps;
  CHECK_ERR(__wasi_fd_prestat_get(4, &ps), __WASI_ERRNO_BADF);
  __wasi_fdstat_t fs;
  CHECK_OK(__wasi_fd_fdstat_get(4, &fs));
  CHECK_EQ(fs.fs_filetype, __WASI_FILETYPE_REGULAR_FILE);
  __wasi_fd_t out;
  CHECK_ERR(__wasi_path_open(4, FOLLOW, "inner.txt", 0, __WASI_RIGHTS_FD_READ, 0, 0, &out),
            __WASI_ERRNO_NOTDIR, NOTCAP);
  CHECK_ERR(__wasi_fd_fdstat_get(fd, &fs), __WASI_ERRNO_BADF);
  // Closing a preopen works like closing anything else.
  CHECK_OK(__wasi_fd_close(5));
  CHECK_ERR(__wasi_fd_prestat_get(5, &ps), __WASI_ERRNO_BADF);
  CHECK_ERR(__wasi_path_create_directory(5, "x"), __WASI_ERRNO_BADF);
}

int main(void) {
  test_preopens();
  test_file_rights();
  test_renumber_preopen();
  return finish();
}
