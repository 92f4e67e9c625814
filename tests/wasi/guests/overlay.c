// An overlay mount: the guest reads the host's files and every write it makes is visible
// inside the instance (overwrite, append, pwrite, create, mkdir, unlink, rmdir, rename,
// symlink, link, set_size, set_times), including deleting a host file and creating it again;
// the host directory itself never changes and the next instance sees it as it was.
//
//   overlay.wasm write    --dir FIXTURE::/ov:overlay   (then the runner compares FIXTURE
//                                                      with its snapshot)
//   overlay.wasm verify   --dir FIXTURE::/ov:overlay   (a second instance: all original)
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"

#define FOLLOW __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW

static int ov;

typedef struct {
  char names[64][64];
  int n;
} Names;

static void list(int dirfd, const char* path, Names* out) {
  out->n = 0;
  int fd;
  if (!CHECK_OK(open_dir(dirfd, path, &fd))) return;
  uint8_t buf[8192];
  size_t used = 0;
  CHECK_OK(__wasi_fd_readdir(fd, buf, sizeof buf, 0, &used));
  CHECK(used < sizeof buf, "listing %s fits in 8 KiB", path);
  for (size_t off = 0; off + sizeof(__wasi_dirent_t) <= used && out->n < 64;) {
    __wasi_dirent_t d;
    memcpy(&d, buf + off, sizeof d);
    if (off + sizeof d + d.d_namlen > used) break;
    size_t nl = d.d_namlen < 63 ? d.d_namlen : 63;
    memcpy(out->names[out->n], buf + off + sizeof d, nl);
    out->names[out->n][nl] = 0;
    out->n++;
    off += sizeof d + d.d_namlen;
  }
  (void)__wasi_fd_close(fd);
}
static int has(const Names* l, const char* name) {
  int hits = 0;
  for (int i = 0; i < l->n; i++) hits += strcmp(l->names[i], name) == 0;
  return hits;
}

static void check_file(int line, const char* path, const char* want) {
  char buf[512];
  char what[300];
  snprintf(what, sizeof what, "contents of %s", path);
  __wasi_errno_t e = get_file(ov, path, buf, sizeof buf);
  if (check_errno_in(__FILE_NAME__, line, what, e, ERRS_(0)))
    check_str(__FILE_NAME__, line, what, buf, want);
}
#define CHECK_FILE(path, want) check_file(__LINE__, path, want)

static uint64_t size_of(const char* path) {
  __wasi_filestat_t st;
  if (__wasi_path_filestat_get(ov, FOLLOW, path, &st)) return UINT64_MAX;
  return st.size;
}

static void verify_original(void) {
  CHECK_FILE("hello.txt", "Hello, sandbox!\n");
  CHECK_FILE("sub/inner.txt", "inner\n");
  CHECK_FILE("sub/deeper/leaf.txt", "leaf\n");
  CHECK_FILE("link_hello", "Hello, sandbox!\n");
  CHECK_EQ(size_of("data.bin"), 256);
  int fd;
  CHECK_OK(open_ro(ov, "data.bin", 1, &fd));
  uint8_t b[256];
  size_t n = 0;
  __wasi_iovec_t iov = {b, sizeof b};
  CHECK_OK(__wasi_fd_read(fd, &iov, 1, &n));
  int same = n == 256;
  for (int i = 0; same && i < 256; i++) same = b[i] == i;
  CHECK(same, "data.bin holds bytes 0..255");
  (void)__wasi_fd_close(fd);
  static const char* gone[] = {"new.txt", "newdir",       "renamed.txt", "sub_moved",
                               "mylink",  "new_hard.txt", "big.bin"};
  for (size_t i = 0; i < sizeof gone / sizeof gone[0]; i++) {
    char what[64];
    snprintf(what, sizeof what, "%s does not exist", gone[i]);
    check_errno_in(__FILE_NAME__, __LINE__, what, lstat_err(ov, gone[i]),
                   ERRS_(__WASI_ERRNO_NOENT));
  }
  CHECK_EQ(type_at(ov, "empty", 0, NULL), __WASI_FILETYPE_DIRECTORY);
  CHECK_EQ(type_at(ov, "link_hello", 0, NULL), __WASI_FILETYPE_SYMBOLIC_LINK);
  Names l;
  list(ov, ".", &l);
  CHECK(has(&l, "hello.txt") && has(&l, "sub") && has(&l, "data.bin") && !has(&l, "new.txt"),
        "the root lists the host's entries only");
}

static void test_file_writes(void) {
  // Overwrite a host file.
  CHECK_FILE("hello.txt", "Hello, sandbox!\n");
  int keep;  // opened before the change: it must see the change too (one file, not a copy)
  CHECK_OK(open_ro(ov, "hello.txt", 1, &keep));
  int fd;
  CHECK_OK(open_at(ov, "hello.txt", __WASI_OFLAGS_TRUNC, 0, &fd));
  CHECK_OK(write_all(fd, "Changed!\n", 9));
  CHECK_OK(__wasi_fd_close(fd));
  CHECK_FILE("hello.txt", "Changed!\n");
  CHECK_EQ(size_of("hello.txt"), 9);
  CHECK_FILE("link_hello", "Changed!\n");  // host symlinks lead to the overlay's file
  char buf[64];
  size_t n = 0;
  CHECK_OK(read_all(keep, buf, sizeof buf, &n));
  CHECK_MEM(buf, n, "Changed!\n");
  CHECK_OK(__wasi_fd_close(keep));

  // Append to one, pwrite into another.
  CHECK_OK(open_at(ov, "sub/inner.txt", 0, __WASI_FDFLAGS_APPEND, &fd));
  CHECK_OK(write_all(fd, "more\n", 5));
  CHECK_OK(__wasi_fd_close(fd));
  CHECK_FILE("sub/inner.txt", "inner\nmore\n");
  CHECK_OK(open_at(ov, "data.bin", 0, 0, &fd));
  __wasi_ciovec_t civ = {(const uint8_t*)"XYZ", 3};
  CHECK_OK(__wasi_fd_pwrite(fd, &civ, 1, 10, &n));
  CHECK_EQ(n, 3);
  uint8_t b[256];
  __wasi_iovec_t iov = {b, sizeof b};
  CHECK_OK(__wasi_fd_pread(fd, &iov, 1, 0, &n));
  CHECK(n == 256 && b[0] == 0 && b[9] == 9 && b[10] == 'X' && b[12] == 'Z' && b[13] == 13 &&
            b[255] == 255,
        "pwrite changed bytes 10..12 only (n=%zu)", n);
  // Two descriptors on one file see each other's writes.
  int fd2;
  CHECK_OK(open_ro(ov, "data.bin", 1, &fd2));
  civ = (__wasi_ciovec_t){(const uint8_t*)"Q", 1};
  CHECK_OK(__wasi_fd_pwrite(fd, &civ, 1, 0, &n));
  iov = (__wasi_iovec_t){b, 1};
  CHECK_OK(__wasi_fd_pread(fd2, &iov, 1, 0, &n));
  CHECK(n == 1 && b[0] == 'Q', "a second fd sees the first one's write");
  // set_size and set_times on a host file.
  CHECK_OK(__wasi_fd_filestat_set_size(fd, 100));
  CHECK_EQ(size_of("data.bin"), 100);
  CHECK_OK(__wasi_fd_filestat_set_size(fd, 300));
  CHECK_OK(__wasi_fd_pread(fd2, &iov, 1, 299, &n));
  CHECK(n == 1 && b[0] == 0, "growing with set_size adds zeros");
  __wasi_filestat_t st;
  CHECK_OK(__wasi_fd_filestat_set_times(fd, 1000000000ull, 2000000000ull,
                                        __WASI_FSTFLAGS_ATIM | __WASI_FSTFLAGS_MTIM));
  CHECK_OK(__wasi_fd_filestat_get(fd2, &st));
  CHECK_EQ(st.mtim, 2000000000ull);
  CHECK_OK(__wasi_path_filestat_set_times(ov, 0, "sub/inner.txt", 0, 3000000000ull,
                                          __WASI_FSTFLAGS_MTIM));
  CHECK_OK(__wasi_path_filestat_get(ov, 0, "sub/inner.txt", &st));
  CHECK_EQ(st.mtim, 3000000000ull);
  CHECK_OK(__wasi_fd_allocate(fd, 0, 1000));
  CHECK_EQ(size_of("data.bin"), 1000);
  CHECK_OK(__wasi_fd_close(fd));
  CHECK_OK(__wasi_fd_close(fd2));

  // New files, including a large one.
  CHECK_OK(put_file(ov, "new.txt", "brand new\n"));
  CHECK_FILE("new.txt", "brand new\n");
  CHECK_ERR(open_at(ov, "new.txt", __WASI_OFLAGS_CREAT | __WASI_OFLAGS_EXCL, 0, &fd),
            __WASI_ERRNO_EXIST);
  CHECK_ERR(open_at(ov, "hello.txt", __WASI_OFLAGS_CREAT | __WASI_OFLAGS_EXCL, 0, &fd),
            __WASI_ERRNO_EXIST);
  size_t big_len = 1 << 20;
  char* big = malloc(big_len);
  char* back = malloc(big_len + 1);
  REQUIRE(big && back, "out of memory");
  for (size_t i = 0; i < big_len; i++) big[i] = (char)(i * 31 + (i >> 10));
  CHECK_OK(open_at(ov, "big.bin", __WASI_OFLAGS_CREAT, 0, &fd));
  CHECK_OK(write_all(fd, big, big_len));
  CHECK_OK(__wasi_fd_close(fd));
  CHECK_OK(open_ro(ov, "big.bin", 1, &fd));
  CHECK_OK(read_all(fd, back, big_len + 1, &n));
  CHECK(n == big_len && memcmp(big, back, big_len) == 0, "1 MiB read back as written");
  CHECK_OK(__wasi_fd_close(fd));
  free(big);
  free(back);
}

static void test_tree_changes(void) {
  Names l;
  // mkdir and a nested file.
  CHECK_OK(__wasi_path_create_directory(ov, "newdir"));
  CHECK_ERR(__wasi_path_create_directory(ov, "newdir"), __WASI_ERRNO_EXIST);
  CHECK_ERR(__wasi_path_create_directory(ov, "sub"), __WASI_ERRNO_EXIST);
  CHECK_OK(put_file(ov, "newdir/nested.txt", "nested\n"));
  CHECK_FILE("newdir/nested.txt", "nested\n");
  list(ov, "newdir", &l);
  CHECK(l.n == 3 && has(&l, "nested.txt"), "newdir lists . .. nested.txt (%d entries)", l.n);

  // Delete a host file, then its directory.
  CHECK_ERR(__wasi_path_remove_directory(ov, "sub/deeper"), __WASI_ERRNO_NOTEMPTY);
  CHECK_OK(__wasi_path_unlink_file(ov, "sub/deeper/leaf.txt"));
  CHECK_ERR(lstat_err(ov, "sub/deeper/leaf.txt"), __WASI_ERRNO_NOENT);
  int fd;
  CHECK_ERR(open_ro(ov, "sub/deeper/leaf.txt", 1, &fd), __WASI_ERRNO_NOENT);
  list(ov, "sub/deeper", &l);
  CHECK(l.n == 2 && !has(&l, "leaf.txt"), "a deleted host file is not listed (%d)", l.n);
  CHECK_OK(__wasi_path_remove_directory(ov, "sub/deeper"));
  CHECK_ERR(lstat_err(ov, "sub/deeper"), __WASI_ERRNO_NOENT);
  // ... and create them again: nothing of the host's old contents shows through.
  CHECK_OK(__wasi_path_create_directory(ov, "sub/deeper"));
  list(ov, "sub/deeper", &l);
  CHECK(l.n == 2, "a re-created directory is empty (%d entries)", l.n);
  CHECK_OK(put_file(ov, "sub/deeper/leaf.txt", "reborn leaf\n"));
  CHECK_FILE("sub/deeper/leaf.txt", "reborn leaf\n");
  CHECK_OK(__wasi_path_unlink_file(ov, "data.bin"));
  CHECK_ERR(lstat_err(ov, "data.bin"), __WASI_ERRNO_NOENT);
  CHECK_OK(open_at(ov, "data.bin", __WASI_OFLAGS_CREAT | __WASI_OFLAGS_EXCL, 0, &fd));
  CHECK_OK(write_all(fd, "reborn", 6));
  CHECK_OK(__wasi_fd_close(fd));
  CHECK_FILE("data.bin", "reborn");
  CHECK_EQ(size_of("data.bin"), 6);

  // rmdir of a host directory, and mkdir of the same name.
  CHECK_OK(__wasi_path_remove_directory(ov, "empty"));
  CHECK_ERR(lstat_err(ov, "empty"), __WASI_ERRNO_NOENT);
  CHECK_OK(__wasi_path_create_directory(ov, "empty"));
  CHECK_EQ(type_at(ov, "empty", 0, NULL), __WASI_FILETYPE_DIRECTORY);

  // Renames: a host file, a host directory with its contents (some changed).
  CHECK_OK(__wasi_path_rename(ov, "hello.txt", ov, "renamed.txt"));
  CHECK_ERR(lstat_err(ov, "hello.txt"), __WASI_ERRNO_NOENT);
  CHECK_FILE("renamed.txt", "Changed!\n");
  CHECK_ERR(get_file(ov, "link_hello", (char[8]){0}, 8), __WASI_ERRNO_NOENT);  // now dangling
  CHECK_OK(__wasi_path_rename(ov, "sub", ov, "sub_moved"));
  CHECK_ERR(lstat_err(ov, "sub"), __WASI_ERRNO_NOENT);
  CHECK_FILE("sub_moved/inner.txt", "inner\nmore\n");
  CHECK_FILE("sub_moved/deeper/leaf.txt", "reborn leaf\n");
  // Its symlink to ../hello.txt moved with it and dangles now that hello.txt is renamed.
  CHECK_EQ(type_at(ov, "sub_moved/link_up_ok", 0, NULL), __WASI_FILETYPE_SYMBOLIC_LINK);
  CHECK_ERR(get_file(ov, "sub_moved/link_up_ok", (char[8]){0}, 8), __WASI_ERRNO_NOENT);
  // Rename over an existing host file replaces it.
  CHECK_OK(put_file(ov, "replacement", "replaced\n"));
  CHECK_OK(__wasi_path_rename(ov, "replacement", ov, "renamed.txt"));
  CHECK_FILE("renamed.txt", "replaced\n");
  CHECK_ERR(lstat_err(ov, "replacement"), __WASI_ERRNO_NOENT);

  // Symlinks and hard links.
  CHECK_OK(__wasi_path_unlink_file(ov, "link_hello"));
  CHECK_ERR(lstat_err(ov, "link_hello"), __WASI_ERRNO_NOENT);
  CHECK_OK(__wasi_path_symlink("new.txt", ov, "mylink"));
  char buf[64];
  size_t n;
  CHECK_OK(__wasi_path_readlink(ov, "mylink", (uint8_t*)buf, sizeof buf, &n));
  CHECK_MEM(buf, n, "new.txt");
  CHECK_FILE("mylink", "brand new\n");
  CHECK_ERR(__wasi_path_symlink("../outside", ov, "esc"), __WASI_ERRNO_NOTCAPABLE);
  CHECK_OK(__wasi_path_link(ov, 0, "new.txt", ov, "new_hard.txt"));
  CHECK_FILE("new_hard.txt", "brand new\n");
  CHECK_OK(open_at(ov, "new_hard.txt", 0, __WASI_FDFLAGS_APPEND, &fd));
  CHECK_OK(write_all(fd, "via link\n", 9));
  CHECK_OK(__wasi_fd_close(fd));
  CHECK_FILE("new.txt", "brand new\nvia link\n");
  __wasi_filestat_t st;
  CHECK_OK(__wasi_path_filestat_get(ov, 0, "new.txt", &st));
  CHECK_EQ(st.nlink, 2);

  // The root's listing reflects all of it.
  list(ov, ".", &l);
  CHECK(has(&l, "renamed.txt") && !has(&l, "hello.txt"), "listing: hello.txt renamed");
  CHECK(has(&l, "sub_moved") && !has(&l, "sub"), "listing: sub renamed");
  CHECK(has(&l, "new.txt") && has(&l, "newdir") && has(&l, "mylink"), "listing: new entries");
  CHECK(!has(&l, "link_hello"), "listing: link_hello removed");
  CHECK_EQ(has(&l, "data.bin"), 1);
  CHECK_EQ(has(&l, "empty"), 1);

  // libc on top.
  FILE* f = fopen("/ov/newdir/libc.txt", "w");
  CHECK(f != NULL, "fopen on the overlay");
  if (f) {
    fputs("from libc\n", f);
    fclose(f);
  }
  CHECK_FILE("newdir/libc.txt", "from libc\n");
  struct stat sst;
  CHECK_LIBC_OK(stat("/ov/newdir/libc.txt", &sst));
  CHECK_EQ(sst.st_size, 10);
  CHECK_LIBC_OK(unlink("/ov/newdir/libc.txt"));
  CHECK_LIBC_ERR(stat("/ov/newdir/libc.txt", &sst), ENOENT);
}

int main(int argc, char** argv) {
  REQUIRE(argc == 2, "usage: overlay.wasm write|verify");
  ov = preopen_fd("/ov");
  REQUIRE(ov >= 0, "a preopen named /ov");
  __wasi_fdstat_t fs;
  CHECK_OK(__wasi_fd_fdstat_get(ov, &fs));
  CHECK(fs.fs_rights_base & __WASI_RIGHTS_PATH_CREATE_FILE, "an overlay is writable");
  if (strcmp(argv[1], "verify") == 0) {
    verify_original();
  } else {
    REQUIRE(strcmp(argv[1], "write") == 0, "unknown mode %s", argv[1]);
    test_file_writes();
    test_tree_changes();
  }
  return finish();
}
