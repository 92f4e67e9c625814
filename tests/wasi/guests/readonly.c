// A read-only mount: reads work; every write fails with EROFS or ENOTCAPABLE (EBADF also
// for a write through a descriptor opened for reading); rights are reported without write
// rights and cannot be regained; nothing crosses to a writable mount by rename or link.
//
//   readonly.wasm   --dir FIXTURE::/ro:ro --dir SCRATCH::/rw
// The runner checks FIXTURE is byte-for-byte unchanged and SCRATCH/written.txt exists.
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"

#define ROFS __WASI_ERRNO_ROFS
#define NOTCAP __WASI_ERRNO_NOTCAPABLE
#define FOLLOW __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW
#define DENY_W(call) CHECK_ERR(call, ROFS, NOTCAP)
#define DENY_FD_W(call) CHECK_ERR(call, ROFS, NOTCAP, __WASI_ERRNO_BADF)

static const __wasi_rights_t kWriteRights =
    __WASI_RIGHTS_FD_WRITE | __WASI_RIGHTS_FD_ALLOCATE | __WASI_RIGHTS_FD_FILESTAT_SET_SIZE |
    __WASI_RIGHTS_FD_FILESTAT_SET_TIMES | __WASI_RIGHTS_PATH_CREATE_DIRECTORY |
    __WASI_RIGHTS_PATH_CREATE_FILE | __WASI_RIGHTS_PATH_LINK_TARGET |
    __WASI_RIGHTS_PATH_RENAME_SOURCE | __WASI_RIGHTS_PATH_RENAME_TARGET |
    __WASI_RIGHTS_PATH_SYMLINK | __WASI_RIGHTS_PATH_REMOVE_DIRECTORY |
    __WASI_RIGHTS_PATH_UNLINK_FILE | __WASI_RIGHTS_PATH_FILESTAT_SET_SIZE |
    __WASI_RIGHTS_PATH_FILESTAT_SET_TIMES;

static int ro, rw;

static void deny_open_(int line, int dirfd, const char* path, __wasi_oflags_t of,
                       __wasi_rights_t base, __wasi_rights_t inh, __wasi_fdflags_t ff) {
  __wasi_fd_t fd = -1;
  __wasi_errno_t e = __wasi_path_open(dirfd, FOLLOW, path, of, base, inh, ff, &fd);
  char what[256];
  snprintf(what, sizeof what, "path_open(\"%s\", oflags=%u, rights=0x%llx, fdflags=%u)", path, of,
           (unsigned long long)base, ff);
  check_errno_in(__FILE_NAME__, line, what, e, ERRS_(ROFS, NOTCAP));
  if (e == 0) (void)__wasi_fd_close(fd);
}
// Asks for no inheriting rights, so a refusal can only come from what is asked for.
#define DENY_OPEN(path, oflags, base, fdflags) \
  deny_open_(__LINE__, ro, path, oflags, base, 0, fdflags)

static void test_rights(void) {
  __wasi_fdstat_t fs;
  CHECK_OK(__wasi_fd_fdstat_get(ro, &fs));
  CHECK_EQ(fs.fs_filetype, __WASI_FILETYPE_DIRECTORY);
  CHECK(!(fs.fs_rights_base & kWriteRights),
        "a read-only preopen has no write rights (base 0x%llx has 0x%llx)",
        (unsigned long long)fs.fs_rights_base,
        (unsigned long long)(fs.fs_rights_base & kWriteRights));
  CHECK(!(fs.fs_rights_inheriting & kWriteRights),
        "... and hands none down (inheriting 0x%llx has 0x%llx)",
        (unsigned long long)fs.fs_rights_inheriting,
        (unsigned long long)(fs.fs_rights_inheriting & kWriteRights));
  __wasi_rights_t reads = __WASI_RIGHTS_PATH_OPEN | __WASI_RIGHTS_FD_READDIR |
                          __WASI_RIGHTS_PATH_FILESTAT_GET | __WASI_RIGHTS_PATH_READLINK;
  CHECK((fs.fs_rights_base & reads) == reads,
        "a read-only preopen can open, list, stat and readlink (base 0x%llx)",
        (unsigned long long)fs.fs_rights_base);
  CHECK(fs.fs_rights_inheriting & __WASI_RIGHTS_FD_READ, "files opened from it can be read");
  // Rights only shrink: asking for write rights back is refused.
  CHECK_ERR(__wasi_fd_fdstat_set_rights(ro, fs.fs_rights_base | __WASI_RIGHTS_PATH_CREATE_FILE,
                                        fs.fs_rights_inheriting),
            NOTCAP);
  CHECK_ERR(__wasi_fd_fdstat_set_rights(ro, fs.fs_rights_base,
                                        fs.fs_rights_inheriting | __WASI_RIGHTS_FD_WRITE),
            NOTCAP);
  // The writable mount beside it has them.
  CHECK_OK(__wasi_fd_fdstat_get(rw, &fs));
  CHECK(fs.fs_rights_base & __WASI_RIGHTS_PATH_CREATE_FILE, "the rw preopen can create files");
  CHECK(fs.fs_rights_inheriting & __WASI_RIGHTS_FD_WRITE, "the rw preopen hands down FD_WRITE");
}

static void test_reads(void) {
  char buf[512];
  CHECK_OK(get_file(ro, "hello.txt", buf, sizeof buf));
  CHECK_STR(buf, "Hello, sandbox!\n");
  CHECK_OK(get_file(ro, "link_sub/inner.txt", buf, sizeof buf));
  CHECK_STR(buf, "inner\n");
  CHECK_OK(get_file(ro, "sub/link_up_ok", buf, sizeof buf));
  CHECK_STR(buf, "Hello, sandbox!\n");
  int fd;
  CHECK_OK(open_ro(ro, "data.bin", 1, &fd));
  __wasi_filestat_t st;
  CHECK_OK(__wasi_fd_filestat_get(fd, &st));
  CHECK_EQ(st.size, 256);
  uint8_t b[4];
  __wasi_iovec_t iov = {b, 4};
  size_t n;
  CHECK_OK(__wasi_fd_pread(fd, &iov, 1, 100, &n));
  CHECK(n == 4 && b[0] == 100 && b[3] == 103, "pread on a read-only mount");
  __wasi_filesize_t pos;
  CHECK_OK(__wasi_fd_seek(fd, -1, __WASI_WHENCE_END, &pos));
  CHECK_EQ(pos, 255);
  CHECK_OK(__wasi_fd_advise(fd, 0, 0, __WASI_ADVICE_SEQUENTIAL));
  __wasi_fdstat_t fs;
  CHECK_OK(__wasi_fd_fdstat_get(fd, &fs));
  CHECK_EQ(fs.fs_rights_base & kWriteRights, 0);

  // Writes through a descriptor opened for reading.
  __wasi_ciovec_t civ = {(const uint8_t*)"x", 1};
  DENY_FD_W(__wasi_fd_write(fd, &civ, 1, &n));
  DENY_FD_W(__wasi_fd_pwrite(fd, &civ, 1, 0, &n));
  DENY_FD_W(__wasi_fd_filestat_set_size(fd, 0));
  DENY_FD_W(__wasi_fd_filestat_set_size(fd, 1000));
  DENY_FD_W(__wasi_fd_filestat_set_times(fd, 0, 0, __WASI_FSTFLAGS_MTIM_NOW));
  DENY_FD_W(__wasi_fd_allocate(fd, 0, 4096));
  CHECK_ERR(__wasi_fd_fdstat_set_rights(fd, fs.fs_rights_base | __WASI_RIGHTS_FD_WRITE, 0), NOTCAP);
  CHECK_OK(__wasi_fd_close(fd));
  DENY_FD_W(__wasi_fd_filestat_set_times(ro, 0, 0, __WASI_FSTFLAGS_MTIM_NOW));

  CHECK_OK(__wasi_path_filestat_get(ro, 0, "link_hello", &st));
  CHECK_EQ(st.filetype, __WASI_FILETYPE_SYMBOLIC_LINK);
  CHECK_OK(__wasi_path_readlink(ro, "link_hello", (uint8_t*)buf, sizeof buf, &n));
  CHECK_MEM(buf, n, "hello.txt");
  DIR* d = opendir("/ro/sub");
  CHECK(d != NULL, "opendir on a read-only mount (errno %s)", errname(errno));
  int entries = 0;
  if (d) {
    while (readdir(d)) entries++;
    closedir(d);
  }
  CHECK(entries >= 4, "sub lists its entries (%d)", entries);
}

static void test_writes(void) {
  // Opening for writing, in every way libc and the raw call offer. wasi-libc asks only for
  // the rights the directory hands down, which here include no write right: so a plain
  // O_WRONLY/O_RDWR open may succeed (without FD_WRITE) or fail; writing through it fails.
  static const int modes[] = {O_WRONLY, O_RDWR};
  for (int i = 0; i < 2; i++) {
    errno = 0;
    int wfd = open("/ro/hello.txt", modes[i]);
    if (wfd < 0) {
      CHECK(errno == EROFS || errno == ENOTCAPABLE,
            "open(O_%s) on :ro: EROFS or ENOTCAPABLE (got %s)", i ? "RDWR" : "WRONLY",
            errname(errno));
    } else {
      CHECK_LIBC_ERR(write(wfd, "x", 1), EROFS, ENOTCAPABLE, EBADF);
      CHECK_LIBC_ERR(ftruncate(wfd, 0), EROFS, ENOTCAPABLE, EBADF, EINVAL);
      close(wfd);
    }
  }
  CHECK_LIBC_ERR(open("/ro/hello.txt", O_WRONLY | O_APPEND), EROFS, ENOTCAPABLE);
  CHECK_LIBC_ERR(open("/ro/hello.txt", O_WRONLY | O_TRUNC), EROFS, ENOTCAPABLE);
  CHECK_LIBC_ERR(open("/ro/new.txt", O_WRONLY | O_CREAT, 0644), EROFS, ENOTCAPABLE);
  CHECK_LIBC_ERR(open("/ro/new.txt", O_RDONLY | O_CREAT, 0644), EROFS, ENOTCAPABLE);
  CHECK_LIBC_ERR(open("/ro/hello.txt", O_WRONLY | O_CREAT, 0644), EROFS, ENOTCAPABLE);
  CHECK_LIBC_ERR(open("/ro/sub/new.txt", O_WRONLY | O_CREAT | O_EXCL, 0644), EROFS, ENOTCAPABLE);
  CHECK_LIBC_ERR(open("/ro/dangling", O_WRONLY | O_CREAT, 0644), EROFS, ENOTCAPABLE);
  CHECK(fopen("/ro/hello.txt", "a") == NULL, "fopen(\"a\") fails");
  CHECK(fopen("/ro/fresh.txt", "w") == NULL, "fopen(\"w\") fails");
  DENY_OPEN("hello.txt", 0, __WASI_RIGHTS_FD_WRITE, 0);
  DENY_OPEN("hello.txt", 0, __WASI_RIGHTS_FD_READ | __WASI_RIGHTS_FD_FILESTAT_SET_SIZE, 0);
  DENY_OPEN("hello.txt", 0, __WASI_RIGHTS_FD_READ | __WASI_RIGHTS_FD_ALLOCATE, 0);
  DENY_OPEN("hello.txt", __WASI_OFLAGS_TRUNC, __WASI_RIGHTS_FD_READ, 0);
  DENY_OPEN("new2.txt", __WASI_OFLAGS_CREAT, __WASI_RIGHTS_FD_READ, 0);
  DENY_OPEN("new3.txt", __WASI_OFLAGS_CREAT | __WASI_OFLAGS_EXCL, __WASI_RIGHTS_FD_READ, 0);
  DENY_OPEN("hello.txt", 0, __WASI_RIGHTS_FD_READ | __WASI_RIGHTS_FD_WRITE, __WASI_FDFLAGS_APPEND);
  DENY_OPEN("link_hello", __WASI_OFLAGS_TRUNC, __WASI_RIGHTS_FD_READ, 0);
  // A directory fd opened from the mount asking for write rights gets none to hand down.
  __wasi_fd_t sub;
  __wasi_errno_t e = __wasi_path_open(ro, FOLLOW, "sub", __WASI_OFLAGS_DIRECTORY, RIGHTS_DIR,
                                      RIGHTS_FILE_RW | RIGHTS_DIR, 0, &sub);
  if (e == 0) {
    DENY_W(__wasi_path_create_directory(sub, "x"));
    deny_open_(__LINE__, sub, "y", __WASI_OFLAGS_CREAT, RIGHTS_FILE_RW, RIGHTS_FILE_RW, 0);
    deny_open_(__LINE__, sub, "inner.txt", 0, RIGHTS_FILE_RW, RIGHTS_FILE_RW, 0);
    DENY_W(__wasi_path_unlink_file(sub, "inner.txt"));
    CHECK_OK(__wasi_fd_close(sub));
  } else {
    CHECK_ERR(e, ROFS, NOTCAP);  // refusing the rights outright is fine too
  }

  // Path calls that write.
  DENY_W(__wasi_path_create_directory(ro, "newdir"));
  DENY_W(__wasi_path_create_directory(ro, "sub/newdir"));
  DENY_W(__wasi_path_remove_directory(ro, "empty"));
  DENY_W(__wasi_path_unlink_file(ro, "hello.txt"));
  DENY_W(__wasi_path_unlink_file(ro, "link_hello"));
  DENY_W(__wasi_path_unlink_file(ro, "sub/inner.txt"));
  DENY_W(__wasi_path_rename(ro, "hello.txt", ro, "renamed.txt"));
  DENY_W(__wasi_path_rename(ro, "sub", ro, "sub2"));
  DENY_W(__wasi_path_rename(ro, "hello.txt", ro, "data.bin"));
  DENY_W(__wasi_path_link(ro, 0, "hello.txt", ro, "hard.txt"));
  DENY_W(__wasi_path_link(ro, FOLLOW, "link_hello", ro, "hard2.txt"));
  DENY_W(__wasi_path_symlink("hello.txt", ro, "newlink"));
  DENY_W(__wasi_path_symlink("hello.txt", ro, "sub/newlink"));
  DENY_W(__wasi_path_filestat_set_times(ro, 0, "hello.txt", 0, 0, __WASI_FSTFLAGS_MTIM_NOW));
  DENY_W(__wasi_path_filestat_set_times(ro, FOLLOW, "link_hello", 0, 0,
                                        __WASI_FSTFLAGS_ATIM_NOW | __WASI_FSTFLAGS_MTIM_NOW));
  DENY_W(__wasi_path_filestat_set_times(ro, 0, "link_hello", 1, 1,
                                        __WASI_FSTFLAGS_ATIM | __WASI_FSTFLAGS_MTIM));
  DENY_W(__wasi_path_filestat_set_times(ro, 0, "sub", 0, 0, __WASI_FSTFLAGS_MTIM_NOW));
  DENY_W(__wasi_path_filestat_set_times(ro, 0, ".", 0, 0, __WASI_FSTFLAGS_MTIM_NOW));
  CHECK_LIBC_ERR(mkdir("/ro/m", 0755), EROFS, ENOTCAPABLE);
  CHECK_LIBC_ERR(rmdir("/ro/empty"), EROFS, ENOTCAPABLE);
  CHECK_LIBC_ERR(unlink("/ro/hello.txt"), EROFS, ENOTCAPABLE);
  CHECK_LIBC_ERR(rename("/ro/hello.txt", "/ro/x"), EROFS, ENOTCAPABLE);
  CHECK_LIBC_ERR(symlink("x", "/ro/y"), EROFS, ENOTCAPABLE);
  CHECK_LIBC_ERR(link("/ro/hello.txt", "/ro/z"), EROFS, ENOTCAPABLE);
  // Nothing happened.
  char buf[64];
  CHECK_OK(get_file(ro, "hello.txt", buf, sizeof buf));
  CHECK_STR(buf, "Hello, sandbox!\n");
  CHECK_ERR(lstat_err(ro, "newdir"), __WASI_ERRNO_NOENT);
  CHECK_ERR(lstat_err(ro, "new.txt"), __WASI_ERRNO_NOENT);
  CHECK_ERR(lstat_err(ro, "newlink"), __WASI_ERRNO_NOENT);
  CHECK_EQ(type_at(ro, "empty", 0, NULL), __WASI_FILETYPE_DIRECTORY);
}

static void test_cross_mount(void) {
  // The writable mount works ...
  CHECK_OK(put_file(rw, "written.txt", "rw ok\n"));
  char buf[64];
  CHECK_OK(get_file(rw, "written.txt", buf, sizeof buf));
  CHECK_STR(buf, "rw ok\n");
  // ... but nothing from the read-only one moves or links into it, or back.
  CHECK_ERR(__wasi_path_link(ro, 0, "hello.txt", rw, "stolen-link"), __WASI_ERRNO_XDEV, ROFS,
            NOTCAP);
  CHECK_ERR(__wasi_path_rename(ro, "hello.txt", rw, "stolen-move"), __WASI_ERRNO_XDEV, ROFS,
            NOTCAP);
  CHECK_ERR(__wasi_path_rename(rw, "written.txt", ro, "planted"), __WASI_ERRNO_XDEV, ROFS, NOTCAP);
  CHECK_ERR(__wasi_path_link(rw, 0, "written.txt", ro, "planted"), __WASI_ERRNO_XDEV, ROFS, NOTCAP);
  CHECK_ERR(lstat_err(rw, "stolen-link"), __WASI_ERRNO_NOENT);
  CHECK_ERR(lstat_err(rw, "stolen-move"), __WASI_ERRNO_NOENT);
  CHECK_ERR(lstat_err(ro, "planted"), __WASI_ERRNO_NOENT);
  CHECK_LIBC_ERR(rename("/ro/hello.txt", "/rw/moved.txt"), EXDEV, EROFS, ENOTCAPABLE);
  // A symlink in the writable mount cannot point into the other one.
  CHECK_ERR(__wasi_path_symlink("../ro/hello.txt", rw, "to-ro"), NOTCAP);
  CHECK_OK(get_file(ro, "hello.txt", buf, sizeof buf));
  CHECK_STR(buf, "Hello, sandbox!\n");
}

int main(void) {
  ro = preopen_fd("/ro");
  rw = preopen_fd("/rw");
  REQUIRE(ro >= 0 && rw >= 0, "preopens /ro and /rw (got %d, %d)", ro, rw);
  CHECK(ro < rw, "preopens are numbered in the order given (%d, %d)", ro, rw);
  test_rights();
  test_reads();
  test_writes();
  test_cross_mount();
  return finish();
}
