// The path_* calls inside one preopen: open flags (creat, excl, trunc, directory), mkdir,
// rmdir, unlink, rename, link, symlink, readlink, filestat get and set_times with and
// without following symlinks, and the errors POSIX gives them: ENOENT, EEXIST, ENOTDIR,
// EISDIR, ENOTEMPTY, ELOOP, ENAMETOOLONG, EINVAL.
// Run with --dir HOST::/sandbox (read-write); leaves po/ for the runner to inspect.
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"

static int root;

#define FOLLOW __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW

static void test_open_flags(void) {
  int fd, fd2;
  // creat|excl: the first time creates, the second is EEXIST.
  CHECK_OK(open_at(root, "po/new", __WASI_OFLAGS_CREAT | __WASI_OFLAGS_EXCL, 0, &fd));
  CHECK_OK(write_all(fd, "content", 7));
  CHECK_OK(__wasi_fd_close(fd));
  CHECK_ERR(open_at(root, "po/new", __WASI_OFLAGS_CREAT | __WASI_OFLAGS_EXCL, 0, &fd),
            __WASI_ERRNO_EXIST);
  // creat alone opens what exists and keeps its content; trunc empties it.
  CHECK_OK(open_at(root, "po/new", __WASI_OFLAGS_CREAT, 0, &fd));
  __wasi_filestat_t st;
  CHECK_OK(__wasi_fd_filestat_get(fd, &st));
  CHECK_EQ(st.size, 7);
  CHECK_OK(__wasi_fd_close(fd));
  CHECK_OK(open_at(root, "po/new", __WASI_OFLAGS_TRUNC, 0, &fd));
  CHECK_OK(__wasi_fd_filestat_get(fd, &st));
  CHECK_EQ(st.size, 0);
  CHECK_OK(__wasi_fd_close(fd));
  // Missing files and missing parents.
  CHECK_ERR(open_at(root, "po/missing", 0, 0, &fd), __WASI_ERRNO_NOENT);
  CHECK_ERR(open_at(root, "po/nodir/file", __WASI_OFLAGS_CREAT, 0, &fd), __WASI_ERRNO_NOENT);
  // An empty path names nothing (ENOENT, as openat) or is refused as invalid.
  CHECK_ERR(open_at(root, "", 0, 0, &fd), __WASI_ERRNO_NOENT, __WASI_ERRNO_INVAL);
  // excl with creat on a dangling symlink must not create its target.
  CHECK_OK(__wasi_path_symlink("dangling-target", root, "po/dangling"));
  CHECK_ERR(open_at(root, "po/dangling", __WASI_OFLAGS_CREAT | __WASI_OFLAGS_EXCL, 0, &fd),
            __WASI_ERRNO_EXIST);
  CHECK_ERR(lstat_err(root, "po/dangling-target"), __WASI_ERRNO_NOENT);
  // A file used as a directory.
  CHECK_ERR(open_at(root, "po/new/x", 0, 0, &fd), __WASI_ERRNO_NOTDIR);
  CHECK_ERR(open_at(root, "po/new/x", __WASI_OFLAGS_CREAT, 0, &fd), __WASI_ERRNO_NOTDIR);
  CHECK_ERR(open_at(root, "po/new/", 0, 0, &fd), __WASI_ERRNO_NOTDIR);
  CHECK_ERR(open_dir(root, "po/new", &fd), __WASI_ERRNO_NOTDIR);
  // A directory opened for writing.
  CHECK_ERR(open_with(root, FOLLOW, "po", 0, __WASI_RIGHTS_FD_WRITE, 0, &fd), __WASI_ERRNO_ISDIR);
  CHECK_ERR(open_with(root, FOLLOW, "po", __WASI_OFLAGS_CREAT, RIGHTS_FILE_RW, 0, &fd),
            __WASI_ERRNO_ISDIR);
  CHECK_ERR(open_with(root, FOLLOW, "po", __WASI_OFLAGS_TRUNC, RIGHTS_FILE_RW, 0, &fd),
            __WASI_ERRNO_ISDIR);
  // creat|directory is not a way to make directories.
  CHECK_ERR(open_at(root, "po/newdir", __WASI_OFLAGS_CREAT | __WASI_OFLAGS_DIRECTORY, 0, &fd),
            __WASI_ERRNO_INVAL, __WASI_ERRNO_NOTDIR, __WASI_ERRNO_ISDIR, __WASI_ERRNO_NOENT);
  CHECK_ERR(lstat_err(root, "po/newdir"), __WASI_ERRNO_NOENT);
  // A directory opens with oflags::directory, and reports itself as one.
  CHECK_OK(open_dir(root, "po", &fd));
  __wasi_fdstat_t fs;
  CHECK_OK(__wasi_fd_fdstat_get(fd, &fs));
  CHECK_EQ(fs.fs_filetype, __WASI_FILETYPE_DIRECTORY);
  // Paths are relative to the directory fd they are given with.
  CHECK_OK(open_ro(fd, "new", 1, &fd2));
  CHECK_OK(__wasi_fd_close(fd2));
  CHECK_OK(open_ro(fd, ".", 1, &fd2));
  CHECK_OK(__wasi_fd_close(fd2));
  CHECK_OK(__wasi_fd_close(fd));
  // Names: "." and redundant slashes resolve; a component longer than 255 bytes does not.
  CHECK_OK(open_ro(root, "./po//./new", 1, &fd));
  CHECK_OK(__wasi_fd_close(fd));
  CHECK_OK(open_ro(root, "po/../po/new", 1, &fd));  // ".." that stays inside is fine
  CHECK_OK(__wasi_fd_close(fd));
  char longname[300];
  memset(longname, 'n', sizeof longname);
  memcpy(longname, "po/", 3);
  longname[sizeof longname - 1] = 0;
  CHECK_ERR(open_at(root, longname, __WASI_OFLAGS_CREAT, 0, &fd), __WASI_ERRNO_NAMETOOLONG);
  // A NUL inside a path never names a different, shorter path.
  static const char with_nul[] = "po/new\0/../../x";
  __wasi_fd_t out = 0;
  int32_t e = raw_path_open(root, FOLLOW, PTR(with_nul), sizeof with_nul - 1, 0,
                            (int64_t)RIGHTS_FILE_RO, 0, 0, PTR(&out));
  CHECK(e != 0, "path_open(\"po/new\\0/../../x\") fails (got fd %d)", (int)out);
  if (e == 0) (void)__wasi_fd_close(out);
  static const char nul_only[] = "po/new\0";
  e = raw_path_open(root, FOLLOW, PTR(nul_only), sizeof nul_only - 1, 0, (int64_t)RIGHTS_FILE_RO, 0,
                    0, PTR(&out));
  CHECK(e != 0, "path_open(\"po/new\\0\") fails (got fd %d)", (int)out);
  if (e == 0) (void)__wasi_fd_close(out);

  // libc's view of the same.
  CHECK_LIBC_ERR(open("/sandbox/po/new", O_CREAT | O_EXCL | O_WRONLY, 0644), EEXIST);
  CHECK_LIBC_ERR(open("/sandbox/po/missing", O_RDONLY), ENOENT);
  CHECK_LIBC_ERR(open("/sandbox/po/new", O_RDONLY | O_DIRECTORY), ENOTDIR);
  CHECK_LIBC_ERR(open("/sandbox/po", O_WRONLY), EISDIR);
  int lfd = open("/sandbox/po/libc", O_CREAT | O_WRONLY | O_TRUNC, 0644);
  CHECK(lfd >= 0, "open(O_CREAT) in libc (errno %s)", errname(errno));
  if (lfd >= 0) {
    CHECK_EQ(write(lfd, "libc", 4), 4);
    CHECK_LIBC_OK(close(lfd));
  }
}

static void test_dirs(void) {
  CHECK_OK(__wasi_path_create_directory(root, "po/d"));
  CHECK_ERR(__wasi_path_create_directory(root, "po/d"), __WASI_ERRNO_EXIST);
  CHECK_ERR(__wasi_path_create_directory(root, "po/new"), __WASI_ERRNO_EXIST);
  CHECK_ERR(__wasi_path_create_directory(root, "po/nodir/d"), __WASI_ERRNO_NOENT);
  CHECK_ERR(__wasi_path_create_directory(root, "po/new/d"), __WASI_ERRNO_NOTDIR);
  CHECK_ERR(__wasi_path_create_directory(root, ""), __WASI_ERRNO_NOENT, __WASI_ERRNO_INVAL);
  CHECK_OK(__wasi_path_create_directory(root, "po/d/e"));
  CHECK_EQ(type_at(root, "po/d/e", 0, NULL), __WASI_FILETYPE_DIRECTORY);
  CHECK_OK(put_file(root, "po/d/e/f", "f"));

  CHECK_ERR(__wasi_path_remove_directory(root, "po/d"), __WASI_ERRNO_NOTEMPTY);
  CHECK_ERR(__wasi_path_remove_directory(root, "po/d/e"), __WASI_ERRNO_NOTEMPTY);
  CHECK_ERR(__wasi_path_remove_directory(root, "po/d/e/f"), __WASI_ERRNO_NOTDIR);
  CHECK_ERR(__wasi_path_remove_directory(root, "po/d/missing"), __WASI_ERRNO_NOENT);
  CHECK_ERR(__wasi_path_unlink_file(root, "po/d/e"), __WASI_ERRNO_ISDIR, __WASI_ERRNO_PERM);
  CHECK_ERR(__wasi_path_unlink_file(root, "po/d/e/f/"), __WASI_ERRNO_NOTDIR);
  CHECK_OK(__wasi_path_unlink_file(root, "po/d/e/f"));
  CHECK_ERR(__wasi_path_unlink_file(root, "po/d/e/f"), __WASI_ERRNO_NOENT);
  CHECK_OK(__wasi_path_remove_directory(root, "po/d/e"));
  CHECK_ERR(__wasi_path_remove_directory(root, "po/d/e"), __WASI_ERRNO_NOENT);
  CHECK_ERR(lstat_err(root, "po/d/e"), __WASI_ERRNO_NOENT);
  // rmdir through a symlink to a directory removes nothing.
  CHECK_OK(__wasi_path_create_directory(root, "po/d/kept"));
  CHECK_OK(__wasi_path_symlink("kept", root, "po/d/kept-link"));
  CHECK_ERR(__wasi_path_remove_directory(root, "po/d/kept-link"), __WASI_ERRNO_NOTDIR);
  CHECK_EQ(type_at(root, "po/d/kept", 0, NULL), __WASI_FILETYPE_DIRECTORY);

  // libc.
  CHECK_LIBC_OK(mkdir("/sandbox/po/m", 0755));
  CHECK_LIBC_ERR(mkdir("/sandbox/po/m", 0755), EEXIST);
  CHECK_LIBC_OK(rmdir("/sandbox/po/m"));
  CHECK_LIBC_ERR(rmdir("/sandbox/po/m"), ENOENT);
  CHECK_LIBC_ERR(rmdir("/sandbox/po/new"), ENOTDIR);
  CHECK_LIBC_ERR(unlink("/sandbox/po/missing"), ENOENT);
}

static void test_rename(void) {
  char buf[64];
  CHECK_OK(put_file(root, "po/r1", "one"));
  CHECK_OK(__wasi_path_rename(root, "po/r1", root, "po/r2"));
  CHECK_ERR(lstat_err(root, "po/r1"), __WASI_ERRNO_NOENT);
  CHECK_OK(get_file(root, "po/r2", buf, sizeof buf));
  CHECK_STR(buf, "one");
  // Over an existing file: replaced.
  CHECK_OK(put_file(root, "po/r3", "three"));
  CHECK_OK(__wasi_path_rename(root, "po/r2", root, "po/r3"));
  CHECK_OK(get_file(root, "po/r3", buf, sizeof buf));
  CHECK_STR(buf, "one");
  // Onto itself: nothing happens.
  CHECK_OK(__wasi_path_rename(root, "po/r3", root, "po/r3"));
  CHECK_OK(get_file(root, "po/r3", buf, sizeof buf));
  CHECK_STR(buf, "one");
  CHECK_ERR(__wasi_path_rename(root, "po/missing", root, "po/r4"), __WASI_ERRNO_NOENT);
  CHECK_ERR(__wasi_path_rename(root, "po/r3", root, "po/nodir/r4"), __WASI_ERRNO_NOENT);
  // Directories.
  CHECK_OK(__wasi_path_create_directory(root, "po/rd"));
  CHECK_OK(put_file(root, "po/rd/inner", "inner"));
  CHECK_OK(__wasi_path_rename(root, "po/rd", root, "po/rd2"));
  CHECK_OK(get_file(root, "po/rd2/inner", buf, sizeof buf));
  CHECK_STR(buf, "inner");
  CHECK_OK(__wasi_path_create_directory(root, "po/empty"));
  CHECK_OK(__wasi_path_create_directory(root, "po/full"));
  CHECK_OK(put_file(root, "po/full/x", "x"));
  CHECK_ERR(__wasi_path_rename(root, "po/rd2", root, "po/full"), __WASI_ERRNO_NOTEMPTY,
            __WASI_ERRNO_EXIST);
  CHECK_ERR(__wasi_path_rename(root, "po/r3", root, "po/empty"), __WASI_ERRNO_ISDIR);
  CHECK_ERR(__wasi_path_rename(root, "po/rd2", root, "po/r3"), __WASI_ERRNO_NOTDIR);
  CHECK_ERR(__wasi_path_rename(root, "po/rd2", root, "po/rd2/sub"), __WASI_ERRNO_INVAL);
  CHECK_OK(__wasi_path_rename(root, "po/rd2", root, "po/empty"));  // over an empty dir
  CHECK_OK(get_file(root, "po/empty/inner", buf, sizeof buf));
  CHECK_STR(buf, "inner");
  // Between two directory fds.
  int d1, d2;
  CHECK_OK(open_dir(root, "po/empty", &d1));
  CHECK_OK(open_dir(root, "po/full", &d2));
  CHECK_OK(__wasi_path_rename(d1, "inner", d2, "moved"));
  CHECK_OK(get_file(root, "po/full/moved", buf, sizeof buf));
  CHECK_STR(buf, "inner");
  CHECK_OK(__wasi_fd_close(d1));
  CHECK_OK(__wasi_fd_close(d2));
  // A symlink is renamed as itself, not its target.
  CHECK_OK(__wasi_path_symlink("r3", root, "po/rl"));
  CHECK_OK(__wasi_path_rename(root, "po/rl", root, "po/rl2"));
  CHECK_EQ(type_at(root, "po/rl2", 0, NULL), __WASI_FILETYPE_SYMBOLIC_LINK);
  CHECK_EQ(type_at(root, "po/r3", 0, NULL), __WASI_FILETYPE_REGULAR_FILE);
  // libc.
  CHECK_LIBC_OK(rename("/sandbox/po/r3", "/sandbox/po/r5"));
  CHECK_LIBC_ERR(rename("/sandbox/po/r3", "/sandbox/po/r6"), ENOENT);
}

static void test_links(void) {
  char buf[64];
  __wasi_filestat_t a, b;
  CHECK_OK(put_file(root, "po/l1", "linked"));
  CHECK_OK(__wasi_path_link(root, 0, "po/l1", root, "po/l2"));
  CHECK_OK(__wasi_path_filestat_get(root, 0, "po/l1", &a));
  CHECK_OK(__wasi_path_filestat_get(root, 0, "po/l2", &b));
  CHECK_EQ(a.nlink, 2);
  CHECK(a.ino == b.ino && a.dev == b.dev, "a hard link shares the inode");
  // Writes through one name show through the other.
  int fd;
  CHECK_OK(open_at(root, "po/l2", __WASI_OFLAGS_TRUNC, 0, &fd));
  CHECK_OK(write_all(fd, "changed", 7));
  CHECK_OK(__wasi_fd_close(fd));
  CHECK_OK(get_file(root, "po/l1", buf, sizeof buf));
  CHECK_STR(buf, "changed");
  CHECK_ERR(__wasi_path_link(root, 0, "po/l1", root, "po/l2"), __WASI_ERRNO_EXIST);
  CHECK_ERR(__wasi_path_link(root, 0, "po/missing", root, "po/l3"), __WASI_ERRNO_NOENT);
  CHECK_ERR(__wasi_path_link(root, 0, "po/full", root, "po/l3"), __WASI_ERRNO_PERM);
  CHECK_OK(__wasi_path_unlink_file(root, "po/l1"));
  CHECK_OK(__wasi_path_filestat_get(root, 0, "po/l2", &b));
  CHECK_EQ(b.nlink, 1);
  CHECK_OK(get_file(root, "po/l2", buf, sizeof buf));
  CHECK_STR(buf, "changed");

  // Symlinks: created verbatim, read back verbatim, followed on request.
  CHECK_OK(__wasi_path_symlink("l2", root, "po/s1"));
  CHECK_OK(__wasi_path_symlink("../po/l2", root, "po/s2"));
  CHECK_OK(__wasi_path_symlink("s1", root, "po/s3"));  // a chain
  size_t n = 0;
  CHECK_OK(__wasi_path_readlink(root, "po/s2", (uint8_t*)buf, sizeof buf, &n));
  CHECK_MEM(buf, n, "../po/l2");
  CHECK_OK(get_file(root, "po/s3", buf, sizeof buf));
  CHECK_STR(buf, "changed");
  CHECK_EQ(type_at(root, "po/s1", 0, NULL), __WASI_FILETYPE_SYMBOLIC_LINK);
  CHECK_EQ(type_at(root, "po/s1", 1, NULL), __WASI_FILETYPE_REGULAR_FILE);
  // A short buffer gets the first bytes (readlink truncates, as POSIX).
  memset(buf, 0, sizeof buf);
  n = 0;
  CHECK_OK(__wasi_path_readlink(root, "po/s2", (uint8_t*)buf, 3, &n));
  CHECK_MEM(buf, n, "../");
  CHECK_EQ(buf[3], 0);
  CHECK_ERR(__wasi_path_readlink(root, "po/l2", (uint8_t*)buf, sizeof buf, &n), __WASI_ERRNO_INVAL);
  CHECK_ERR(__wasi_path_readlink(root, "po/missing", (uint8_t*)buf, sizeof buf, &n),
            __WASI_ERRNO_NOENT);
  CHECK_ERR(__wasi_path_symlink("x", root, "po/s1"), __WASI_ERRNO_EXIST);
  CHECK_ERR(__wasi_path_symlink("x", root, "po/l2"), __WASI_ERRNO_EXIST);
  CHECK_ERR(__wasi_path_symlink("x", root, "po/nodir/s"), __WASI_ERRNO_NOENT);
  // Opening a symlink without following it: ELOOP (as O_NOFOLLOW).
  int fd2;
  CHECK_ERR(open_ro(root, "po/s1", 0, &fd2), __WASI_ERRNO_LOOP);
  // Symlinks in the middle of a path are always followed.
  CHECK_OK(__wasi_path_symlink("full", root, "po/sd"));
  CHECK_OK(open_ro(root, "po/sd/moved", 0, &fd2));
  CHECK_OK(__wasi_fd_close(fd2));
  // Unlinking a symlink removes the link only.
  CHECK_OK(__wasi_path_unlink_file(root, "po/s1"));
  CHECK_OK(get_file(root, "po/l2", buf, sizeof buf));
  CHECK_STR(buf, "changed");
  CHECK_ERR(get_file(root, "po/s3", buf, sizeof buf), __WASI_ERRNO_NOENT);  // now dangling
  // Unlinking a symlink to a directory works (it is not the directory).
  CHECK_OK(__wasi_path_unlink_file(root, "po/sd"));
  CHECK_EQ(type_at(root, "po/full", 0, NULL), __WASI_FILETYPE_DIRECTORY);
  // A hard link to a symlink, not following it, is another symlink.
  CHECK_OK(__wasi_path_link(root, 0, "po/s2", root, "po/s2-hard"));
  CHECK_EQ(type_at(root, "po/s2-hard", 0, NULL), __WASI_FILETYPE_SYMBOLIC_LINK);
  // ... and following it, a link to its target.
  CHECK_OK(__wasi_path_link(root, FOLLOW, "po/s2", root, "po/l2-via-symlink"));
  CHECK_EQ(type_at(root, "po/l2-via-symlink", 0, NULL), __WASI_FILETYPE_REGULAR_FILE);
  CHECK_OK(__wasi_path_filestat_get(root, 0, "po/l2", &b));
  CHECK_EQ(b.nlink, 2);

  // libc.
  CHECK_LIBC_OK(symlink("l2", "/sandbox/po/ls"));
  char lb[32] = {0};
  CHECK_EQ(readlink("/sandbox/po/ls", lb, sizeof lb), 2);
  CHECK_STR(lb, "l2");
  struct stat st;
  CHECK_LIBC_OK(lstat("/sandbox/po/ls", &st));
  CHECK(S_ISLNK(st.st_mode), "lstat sees a symlink");
  CHECK_LIBC_OK(stat("/sandbox/po/ls", &st));
  CHECK(S_ISREG(st.st_mode), "stat follows it");
  CHECK_LIBC_OK(link("/sandbox/po/l2", "/sandbox/po/l4"));
  CHECK_LIBC_ERR(link("/sandbox/po/l2", "/sandbox/po/l4"), EEXIST);
}

static void test_filestat_times(void) {
  CHECK_OK(put_file(root, "po/t", "times"));
  CHECK_OK(__wasi_path_symlink("t", root, "po/tl"));
  __wasi_filestat_t f0, l0, f1, l1;
  CHECK_OK(__wasi_path_filestat_get(root, 0, "po/t", &f0));
  CHECK_OK(__wasi_path_filestat_get(root, 0, "po/tl", &l0));
  CHECK_EQ(f0.filetype, __WASI_FILETYPE_REGULAR_FILE);
  CHECK_EQ(f0.size, 5);
  CHECK_EQ(l0.filetype, __WASI_FILETYPE_SYMBOLIC_LINK);
  CHECK_EQ(l0.size, 1);  // a symlink's size is its target's length
  CHECK_OK(__wasi_path_filestat_get(root, FOLLOW, "po/tl", &f1));
  CHECK(f1.ino == f0.ino && f1.filetype == __WASI_FILETYPE_REGULAR_FILE,
        "filestat following the symlink sees the file");
  __wasi_filestat_t d;
  CHECK_OK(__wasi_path_filestat_get(root, 0, "po", &d));
  CHECK_EQ(d.filetype, __WASI_FILETYPE_DIRECTORY);
  CHECK_OK(__wasi_path_filestat_get(root, 0, ".", &d));
  CHECK_EQ(d.filetype, __WASI_FILETYPE_DIRECTORY);
  CHECK_ERR(__wasi_path_filestat_get(root, 0, "po/missing", &d), __WASI_ERRNO_NOENT);
  CHECK_ERR(__wasi_path_filestat_get(root, 0, "po/t/x", &d), __WASI_ERRNO_NOTDIR);

  // Following: the file's times change, the link's do not.
  const uint64_t at = 1400000000111111111ull, mt = 1300000000222222222ull;
  CHECK_OK(__wasi_path_filestat_set_times(root, FOLLOW, "po/tl", at, mt,
                                          __WASI_FSTFLAGS_ATIM | __WASI_FSTFLAGS_MTIM));
  CHECK_OK(__wasi_path_filestat_get(root, 0, "po/t", &f1));
  CHECK_OK(__wasi_path_filestat_get(root, 0, "po/tl", &l1));
  CHECK_EQ(f1.atim, at);
  CHECK_EQ(f1.mtim, mt);
  CHECK(l1.mtim == l0.mtim, "set_times following a symlink leaves the link's mtim");
  // Not following: the link's times change, the file's do not.
  const uint64_t lmt = 1200000000333333333ull;
  CHECK_OK(__wasi_path_filestat_set_times(root, 0, "po/tl", 0, lmt, __WASI_FSTFLAGS_MTIM));
  CHECK_OK(__wasi_path_filestat_get(root, 0, "po/tl", &l1));
  CHECK_OK(__wasi_path_filestat_get(root, 0, "po/t", &f1));
  CHECK_EQ(l1.mtim, lmt);
  CHECK_EQ(f1.mtim, mt);
  CHECK_EQ(f1.atim, at);
  // "now", and the bad combinations.
  uint64_t before = now_ns(__WASI_CLOCKID_REALTIME);
  CHECK_OK(__wasi_path_filestat_set_times(root, 0, "po/t", 0, 0, __WASI_FSTFLAGS_MTIM_NOW));
  CHECK_OK(__wasi_path_filestat_get(root, 0, "po/t", &f1));
  CHECK(f1.mtim + 2000000000ull >= before, "MTIM_NOW is now");
  CHECK_EQ(f1.atim, at);
  CHECK_ERR(__wasi_path_filestat_set_times(root, 0, "po/t", 1, 1,
                                           __WASI_FSTFLAGS_MTIM | __WASI_FSTFLAGS_MTIM_NOW),
            __WASI_ERRNO_INVAL);
  CHECK_ERR(__wasi_path_filestat_set_times(root, 0, "po/missing", 1, 1, __WASI_FSTFLAGS_MTIM),
            __WASI_ERRNO_NOENT);
  // Directories have times too.
  CHECK_OK(__wasi_path_filestat_set_times(root, 0, "po/full", 0, mt, __WASI_FSTFLAGS_MTIM));
  CHECK_OK(__wasi_path_filestat_get(root, 0, "po/full", &d));
  CHECK_EQ(d.mtim, mt);
  // The directory's own fd.
  int dfd;
  CHECK_OK(open_dir(root, "po/full", &dfd));
  CHECK_OK(__wasi_fd_filestat_set_times(dfd, at, 0, __WASI_FSTFLAGS_ATIM));
  CHECK_OK(__wasi_fd_filestat_get(dfd, &d));
  CHECK_EQ(d.atim, at);
  CHECK_EQ(d.mtim, mt);
  CHECK_OK(__wasi_fd_close(dfd));
}

int main(void) {
  root = preopen_fd("/sandbox");
  REQUIRE(root >= 0, "a preopen named /sandbox");
  CHECK_OK(__wasi_path_create_directory(root, "po"));
  test_open_flags();
  test_dirs();
  test_rename();
  test_links();
  test_filestat_times();
  CHECK_OK(put_file(root, "po/final.txt", "final\n"));
  return finish();
}
