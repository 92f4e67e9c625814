// A guest must never name anything outside its preopens. Every way out is tried here:
// `..` chains, absolute paths, symlinks (absolute, to `/`, to `..`, to `../outside`, loops,
// long chains), renames and hard links out of and into the tree, symlinks created with
// escaping targets, directory fds used as roots, and (mode "race") a symlink the host swaps
// between inside and outside while the guest opens through it.
//
//   escape.wasm rw|ro|overlay      --dir SANDBOX::/sandbox[:ro|:overlay]
//   escape.wasm race               --dir SANDBOX::/sandbox (the runner swaps `race`)
// Environment from the runner: PROBE (a unique file name the runner looks for on the host
// afterwards), SECRET_HOST_PATH (the host path of ../outside/secret.txt).
// Escapes fail with ENOTCAPABLE; on a read-only mount a write may fail with EROFS first.
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"

#define NOTCAP __WASI_ERRNO_NOTCAPABLE
#define FOLLOW __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW

static int root, ro, secret_reads;
static const char* probe;

// Reads whatever an unexpectedly successful open gave, and fails loudly if it is the secret.
static void inspect_leak(int line, int fd, const char* path) {
  char buf[256];
  size_t n = 0;
  __wasi_fdstat_t fs;
  if (__wasi_fd_fdstat_get(fd, &fs) == 0 && fs.fs_filetype == __WASI_FILETYPE_REGULAR_FILE &&
      read_all(fd, buf, sizeof buf, &n) == 0 && strstr(buf, "TOP SECRET")) {
    secret_reads++;
    fail_at(__FILE_NAME__, line, "read the secret outside the sandbox through \"%s\"", path);
  }
  (void)__wasi_fd_close(fd);
}

// path_open must fail with one of the allowed errnos.
static void deny_open_(int line, const char* path, __wasi_lookupflags_t lf, __wasi_oflags_t of,
                       __wasi_rights_t rights, const int* allowed, size_t n) {
  __wasi_fd_t fd = -1;
  __wasi_rights_t inh = inheriting_of(root);
  __wasi_errno_t e = __wasi_path_open(root, lf, path, of, rights & inh, inh, 0, &fd);
  char what[512];
  snprintf(what, sizeof what, "path_open(\"%s\", lookup=%u, oflags=%u)", path, lf, of);
  check_errno_in(__FILE_NAME__, line, what, e, allowed, n);
  if (e == 0) inspect_leak(line, fd, path);
}
#define DENY_OPEN(path, ...) \
  deny_open_(__LINE__, path, FOLLOW, 0, RIGHTS_FILE_RO | RIGHTS_DIR, ERRS_(__VA_ARGS__))
#define DENY_OPEN_NOFOLLOW(path, ...) \
  deny_open_(__LINE__, path, 0, 0, RIGHTS_FILE_RO | RIGHTS_DIR, ERRS_(__VA_ARGS__))
// Writing opens: on a read-only mount EROFS is as good a refusal as ENOTCAPABLE.
#define DENY_CREATE(path, oflags)                            \
  deny_open_(__LINE__, path, FOLLOW, oflags, RIGHTS_FILE_RW, \
             ERRS_(NOTCAP, ro ? __WASI_ERRNO_ROFS : NOTCAP))

// A path call that writes must be refused as an escape.
#define DENY_W(call) CHECK_ERR(call, NOTCAP, ro ? __WASI_ERRNO_ROFS : NOTCAP)
#define DENY(call) CHECK_ERR(call, NOTCAP)

// Opens inside must work and read what the fixture holds.
static void allow_read_(int line, int dirfd, const char* path, const char* want) {
  char buf[256];
  char what[300];
  snprintf(what, sizeof what, "reading \"%s\"", path);
  __wasi_errno_t e = get_file(dirfd, path, buf, sizeof buf);
  const int ok[] = {0};
  if (check_errno_in(__FILE_NAME__, line, what, e, ok, 1))
    check_str(__FILE_NAME__, line, what, buf, want);
}
#define ALLOW_READ(path, want) allow_read_(__LINE__, root, path, want)

static char* pjoin(const char* a, const char* b) {
  static char bufs[8][512];
  static int next;
  char* out = bufs[next++ % 8];
  snprintf(out, sizeof bufs[0], "%s%s", a, b);
  return out;
}

static void test_open_escapes(void) {
  const char* secret_host = getenv("SECRET_HOST_PATH");
  REQUIRE(secret_host && secret_host[0] == '/', "SECRET_HOST_PATH is set by the runner");

  // `..` above the preopen, however it is spelled.
  DENY_OPEN("..", NOTCAP);
  DENY_OPEN("../", NOTCAP);
  DENY_OPEN("../.", NOTCAP);
  DENY_OPEN("./..", NOTCAP);
  DENY_OPEN("../..", NOTCAP);
  DENY_OPEN("../../../../../../../../../..", NOTCAP);
  DENY_OPEN("../outside", NOTCAP);
  DENY_OPEN("../outside/secret.txt", NOTCAP);
  DENY_OPEN("../sandbox/hello.txt", NOTCAP);  // out and back in is still out
  DENY_OPEN("sub/../..", NOTCAP);
  DENY_OPEN("sub/../../outside/secret.txt", NOTCAP);
  DENY_OPEN("a/../../outside/secret.txt", NOTCAP);
  DENY_OPEN("a/../../x", NOTCAP);
  DENY_OPEN("sub/deeper/../../../outside/secret.txt", NOTCAP);
  DENY_OPEN("sub//..//..//outside//secret.txt", NOTCAP);
  DENY_OPEN("./sub/./../.././outside/secret.txt", NOTCAP);
  DENY_OPEN("sub/deeper/../../..", NOTCAP);
  // Through a component that does not exist or is a file, the walk may stop first.
  DENY_OPEN("nonexistent/../../outside/secret.txt", NOTCAP, __WASI_ERRNO_NOENT);
  DENY_OPEN("hello.txt/../../outside/secret.txt", NOTCAP, __WASI_ERRNO_NOTDIR);

  // Absolute paths, including the preopen's own guest name and the secret's host path.
  DENY_OPEN("/", NOTCAP);
  DENY_OPEN("/etc/passwd", NOTCAP);
  DENY_OPEN("//etc/passwd", NOTCAP);
  DENY_OPEN("/sandbox/hello.txt", NOTCAP);
  DENY_OPEN("/sandbox", NOTCAP);
  DENY_OPEN(secret_host, NOTCAP);

  // Symlinks that leave, absolute or relative, as the last component or in the middle.
  DENY_OPEN("link_root", NOTCAP);
  DENY_OPEN("link_root/", NOTCAP);
  DENY_OPEN("link_root/etc/passwd", NOTCAP);
  DENY_OPEN(pjoin("link_root", secret_host), NOTCAP);
  DENY_OPEN("link_up", NOTCAP);
  DENY_OPEN("link_up/outside/secret.txt", NOTCAP);
  DENY_OPEN("link_up/sandbox/hello.txt", NOTCAP);
  DENY_OPEN("link_outside", NOTCAP);
  DENY_OPEN("link_outside/secret.txt", NOTCAP);
  DENY_OPEN("link_outside_secret", NOTCAP);
  DENY_OPEN("link_abs_secret", NOTCAP);
  DENY_OPEN("link_abs_inside", NOTCAP);  // absolute targets fail even when they point inside
  DENY_OPEN("sub/link_up_escape", NOTCAP);
  DENY_OPEN("link_sub/link_up_escape", NOTCAP);
  DENY_OPEN("link_dot/../outside/secret.txt", NOTCAP);
  DENY_OPEN("link_dot/link_up/outside/secret.txt", NOTCAP);
  DENY_OPEN("sub/dangle_out", NOTCAP);
  // Nothing outside can be probed for existence: missing names outside are ENOTCAPABLE too.
  DENY_OPEN("../outside/does-not-exist", NOTCAP);
  DENY_OPEN("link_outside/does-not-exist", NOTCAP);
  DENY_OPEN("link_root/does-not-exist-anywhere", NOTCAP);
  DENY_OPEN("../does-not-exist/x", NOTCAP);
  // Not following the last component opens nothing through it either.
  DENY_OPEN_NOFOLLOW("link_root", __WASI_ERRNO_LOOP, NOTCAP);
  DENY_OPEN_NOFOLLOW("link_outside_secret", __WASI_ERRNO_LOOP, NOTCAP);
  DENY_OPEN_NOFOLLOW("link_up/outside/secret.txt", NOTCAP);

  // Loops and chains too long to follow: ELOOP.
  DENY_OPEN("loop_a", __WASI_ERRNO_LOOP);
  DENY_OPEN("loop_b", __WASI_ERRNO_LOOP);
  DENY_OPEN("self_loop", __WASI_ERRNO_LOOP);
  DENY_OPEN("loop_a/x", __WASI_ERRNO_LOOP);
  DENY_OPEN("chain/c00", __WASI_ERRNO_LOOP);
  __wasi_filestat_t st;
  CHECK_ERR(__wasi_path_filestat_get(root, FOLLOW, "loop_a", &st), __WASI_ERRNO_LOOP);
  CHECK_ERR(__wasi_path_filestat_get(root, FOLLOW, "chain/c00", &st), __WASI_ERRNO_LOOP);
  CHECK_OK(__wasi_path_filestat_get(root, 0, "loop_a", &st));  // the link itself is fine
  CHECK_EQ(st.filetype, __WASI_FILETYPE_SYMBOLIC_LINK);

  // What stays inside works: `..` that does not climb out, symlinks that stay.
  int fd;
  CHECK_OK(open_ro(root, ".", 1, &fd));
  if (fd >= 0) (void)__wasi_fd_close(fd);
  CHECK_OK(open_ro(root, "sub/..", 1, &fd));
  if (fd >= 0) (void)__wasi_fd_close(fd);
  ALLOW_READ("hello.txt", "Hello, sandbox!\n");
  ALLOW_READ("sub/../hello.txt", "Hello, sandbox!\n");
  ALLOW_READ("./sub/./deeper/../inner.txt", "inner\n");
  ALLOW_READ("sub/deeper/../../hello.txt", "Hello, sandbox!\n");
  ALLOW_READ("link_hello", "Hello, sandbox!\n");
  ALLOW_READ("sub/link_up_ok", "Hello, sandbox!\n");
  ALLOW_READ("link_sub/inner.txt", "inner\n");
  ALLOW_READ("link_sub/../hello.txt", "Hello, sandbox!\n");
  ALLOW_READ("link_dot/hello.txt", "Hello, sandbox!\n");
  ALLOW_READ("link_self_dotdot/hello.txt", "Hello, sandbox!\n");
  ALLOW_READ("chain/s0", "Hello, sandbox!\n");

  // Metadata through escapes: refused; the links themselves can be looked at.
  DENY(__wasi_path_filestat_get(root, FOLLOW, "link_root", &st));
  DENY(__wasi_path_filestat_get(root, FOLLOW, "link_up", &st));
  DENY(__wasi_path_filestat_get(root, FOLLOW, "link_outside_secret", &st));
  DENY(__wasi_path_filestat_get(root, FOLLOW, "link_abs_secret", &st));
  DENY(__wasi_path_filestat_get(root, 0, "../outside/secret.txt", &st));
  DENY(__wasi_path_filestat_get(root, 0, "..", &st));
  DENY(__wasi_path_filestat_get(root, 0, "/etc", &st));
  DENY(__wasi_path_filestat_get(root, 0, "link_up/outside", &st));
  CHECK_OK(__wasi_path_filestat_get(root, 0, "link_root", &st));
  CHECK_EQ(st.filetype, __WASI_FILETYPE_SYMBOLIC_LINK);
  char buf[512];
  size_t n = 0;
  CHECK_OK(__wasi_path_readlink(root, "link_abs_secret", (uint8_t*)buf, sizeof buf, &n));
  CHECK_MEM(buf, n, secret_host);  // a link's text is data in the sandbox
  CHECK_OK(__wasi_path_readlink(root, "link_up", (uint8_t*)buf, sizeof buf, &n));
  CHECK_MEM(buf, n, "..");
  DENY(__wasi_path_readlink(root, "../outside/link", (uint8_t*)buf, sizeof buf, &n));
  DENY(__wasi_path_readlink(root, "link_up/sandbox/link_up", (uint8_t*)buf, sizeof buf, &n));

  // Directory listings never show the outside.
  DENY_OPEN("link_outside/", NOTCAP);
}

static void test_dir_fd_roots(void) {
  // Each directory fd is a root of its own: `..` above it is out, even if still inside the
  // preopen.
  int sub;
  REQUIRE(CHECK_OK(open_dir(root, "sub", &sub)), "open sub");
  int fd;
  __wasi_rights_t inh = inheriting_of(sub);
  __wasi_fd_t out;
  CHECK_ERR(__wasi_path_open(sub, FOLLOW, "../hello.txt", 0, RIGHTS_FILE_RO & inh, inh, 0, &out),
            NOTCAP);
  CHECK_ERR(__wasi_path_open(sub, FOLLOW, "..", 0, RIGHTS_DIR & inh, inh, 0, &out), NOTCAP);
  CHECK_ERR(__wasi_path_open(sub, FOLLOW, "link_up_ok", 0, RIGHTS_FILE_RO & inh, inh, 0, &out),
            NOTCAP);
  CHECK_ERR(__wasi_path_open(sub, FOLLOW, "deeper/../../hello.txt", 0, RIGHTS_FILE_RO & inh, inh, 0,
                             &out),
            NOTCAP);
  __wasi_filestat_t st;
  CHECK_ERR(__wasi_path_filestat_get(sub, 0, "../hello.txt", &st), NOTCAP);
  CHECK_ERR(__wasi_path_create_directory(sub, "../made-from-sub"), NOTCAP,
            ro ? __WASI_ERRNO_ROFS : NOTCAP);
  char buf[64];
  CHECK_OK(get_file(sub, "deeper/../inner.txt", buf, sizeof buf));
  CHECK_STR(buf, "inner\n");
  CHECK_OK(open_dir(sub, "deeper", &fd));
  CHECK_OK(get_file(fd, "leaf.txt", buf, sizeof buf));
  CHECK_STR(buf, "leaf\n");
  CHECK_ERR(get_file(fd, "../inner.txt", buf, sizeof buf), NOTCAP);
  CHECK_OK(__wasi_fd_close(fd));
  CHECK_OK(__wasi_fd_close(sub));
}

static void test_write_escapes(void) {
  char p[256];
  // Creating files outside, directly or through symlinks (some dangling).
  snprintf(p, sizeof p, "../outside/%s", probe);
  DENY_CREATE(p, __WASI_OFLAGS_CREAT);
  snprintf(p, sizeof p, "../%s", probe);
  DENY_CREATE(p, __WASI_OFLAGS_CREAT);
  DENY_CREATE(p, __WASI_OFLAGS_CREAT | __WASI_OFLAGS_EXCL);
  snprintf(p, sizeof p, "link_outside/%s", probe);
  DENY_CREATE(p, __WASI_OFLAGS_CREAT);
  snprintf(p, sizeof p, "link_up/%s", probe);
  DENY_CREATE(p, __WASI_OFLAGS_CREAT);
  snprintf(p, sizeof p, "link_root/tmp/%s", probe);
  DENY_CREATE(p, __WASI_OFLAGS_CREAT);
  snprintf(p, sizeof p, "/tmp/%s", probe);
  DENY_CREATE(p, __WASI_OFLAGS_CREAT);
  DENY_CREATE("sub/dangle_out", __WASI_OFLAGS_CREAT);
  // With EXCL the final symlink is not followed: the link itself exists (EEXIST, as POSIX).
  deny_open_(__LINE__, "sub/dangle_out", FOLLOW, __WASI_OFLAGS_CREAT | __WASI_OFLAGS_EXCL,
             RIGHTS_FILE_RW, ERRS_(NOTCAP, __WASI_ERRNO_EXIST, ro ? __WASI_ERRNO_ROFS : NOTCAP));
  // Truncating or appending to the secret through links.
  DENY_CREATE("link_abs_secret", __WASI_OFLAGS_TRUNC);
  DENY_CREATE("link_outside_secret", __WASI_OFLAGS_TRUNC);
  DENY_CREATE("link_outside_secret", 0);
  DENY_CREATE("sub/link_up_escape", __WASI_OFLAGS_CREAT);
  deny_open_(__LINE__, "loop_a", FOLLOW, __WASI_OFLAGS_CREAT, RIGHTS_FILE_RW,
             ERRS_(__WASI_ERRNO_LOOP, ro ? __WASI_ERRNO_ROFS : __WASI_ERRNO_LOOP));
  // Directories.
  snprintf(p, sizeof p, "../%s", probe);
  DENY_W(__wasi_path_create_directory(root, p));
  snprintf(p, sizeof p, "link_up/%s", probe);
  DENY_W(__wasi_path_create_directory(root, p));
  snprintf(p, sizeof p, "link_outside/%s", probe);
  DENY_W(__wasi_path_create_directory(root, p));
  snprintf(p, sizeof p, "/%s", probe);
  DENY_W(__wasi_path_create_directory(root, p));
  DENY_W(__wasi_path_remove_directory(root, "../outside/dir"));
  DENY_W(__wasi_path_remove_directory(root, "link_outside/dir"));
  DENY_W(__wasi_path_remove_directory(root, ".."));
  // Deleting outside.
  DENY_W(__wasi_path_unlink_file(root, "../outside/secret.txt"));
  DENY_W(__wasi_path_unlink_file(root, "link_outside/secret.txt"));
  DENY_W(__wasi_path_unlink_file(root, "link_up/outside/secret.txt"));
  // Renames out of the tree, into it, and through links.
  DENY_W(__wasi_path_rename(root, "hello.txt", root, "../outside/stolen"));
  DENY_W(__wasi_path_rename(root, "../outside/secret.txt", root, "stolen"));
  DENY_W(__wasi_path_rename(root, "hello.txt", root, "link_outside/stolen"));
  DENY_W(__wasi_path_rename(root, "link_outside/secret.txt", root, "stolen"));
  DENY_W(__wasi_path_rename(root, "link_up/outside", root, "stolen"));
  DENY_W(__wasi_path_rename(root, "sub", root, "../outside/subdir"));
  DENY_W(__wasi_path_rename(root, "hello.txt", root, "/tmp/stolen"));
  DENY_W(__wasi_path_rename(root, "hello.txt", root, "link_root/tmp/stolen"));
  // Hard links out and in; following an escaping symlink as the source.
  DENY_W(__wasi_path_link(root, 0, "hello.txt", root, "../outside/linked"));
  DENY_W(__wasi_path_link(root, 0, "hello.txt", root, "link_outside/linked"));
  DENY_W(__wasi_path_link(root, 0, "../outside/secret.txt", root, "secret_link"));
  DENY_W(__wasi_path_link(root, 0, "link_outside/secret.txt", root, "secret_link"));
  DENY_W(__wasi_path_link(root, FOLLOW, "link_outside_secret", root, "secret_hard"));
  DENY_W(__wasi_path_link(root, FOLLOW, "link_abs_secret", root, "secret_hard2"));
  CHECK_ERR(lstat_err(root, "secret_link"), __WASI_ERRNO_NOENT);
  CHECK_ERR(lstat_err(root, "secret_hard"), __WASI_ERRNO_NOENT);
  CHECK_ERR(lstat_err(root, "secret_hard2"), __WASI_ERRNO_NOENT);
  // Linking the escaping symlink itself (not following) may be allowed: the copy escapes no
  // better than the original.
  __wasi_errno_t e = __wasi_path_link(root, 0, "link_outside_secret", root, "copy_of_link");
  CHECK(e == 0 || e == NOTCAP || (ro && e == __WASI_ERRNO_ROFS),
        "hard link of an escaping symlink: allowed or ENOTCAPABLE (got %s)", errname(e));
  if (e == 0) DENY_OPEN("copy_of_link", NOTCAP);

  // Symlinks with targets that escape, or at places outside.
  static const struct {
    const char *target, *at;
  } bad[] = {
      {"/etc/passwd", "new_abs"},
      {"/", "new_root"},
      {"..", "new_up"},
      {"../", "new_up2"},
      {"../outside/secret.txt", "new_esc"},
      {"../../x", "sub/new_esc2"},
      {"sub/../../x", "new_esc3"},
      {"a/../../outside", "new_esc4"},
      {"sub/deeper/../../../outside", "new_esc5"},
      {"./../outside", "new_esc6"},
      {"../../../../../../../../etc", "sub/deeper/new_esc7"},
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    char what[256];
    snprintf(what, sizeof what, "path_symlink(\"%s\", \"%s\")", bad[i].target, bad[i].at);
    check_errno_in(__FILE_NAME__, __LINE__, what,
                   __wasi_path_symlink(bad[i].target, root, bad[i].at),
                   ERRS_(NOTCAP, ro ? __WASI_ERRNO_ROFS : NOTCAP));
    snprintf(what, sizeof what, "no symlink left at \"%s\"", bad[i].at);
    const int noent[] = {__WASI_ERRNO_NOENT};
    check_errno_in(__FILE_NAME__, __LINE__, what, lstat_err(root, bad[i].at), noent, 1);
  }
  DENY_W(__wasi_path_symlink("hello.txt", root, "../outside/evil_link"));
  DENY_W(__wasi_path_symlink("hello.txt", root, "link_outside/evil_link"));
  DENY_W(__wasi_path_symlink("hello.txt", root, "/tmp/evil_link"));
  // Symlinks whose targets stay inside are fine (a read-only mount refuses all writes).
  static const struct {
    const char *target, *at, *read;
  } good[] = {
      {"../hello.txt", "sub/ok_link", "sub/ok_link"},
      {"sub/..", "ok_dot", "ok_dot/hello.txt"},
      {"../../hello.txt", "sub/deeper/ok_deep", "sub/deeper/ok_deep"},
      {"deeper/../../sub/inner.txt", "sub/ok_zigzag", "sub/ok_zigzag"},
  };
  for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
    __wasi_errno_t se = __wasi_path_symlink(good[i].target, root, good[i].at);
    char what[256];
    snprintf(what, sizeof what, "path_symlink(\"%s\", \"%s\")", good[i].target, good[i].at);
    if (ro)
      check_errno_in(__FILE_NAME__, __LINE__, what, se, ERRS_(__WASI_ERRNO_ROFS, NOTCAP));
    else
      check_errno_in(__FILE_NAME__, __LINE__, what, se, ERRS_(0));
    if (!ro && se == 0) {
      char buf[64];
      CHECK_OK(get_file(root, good[i].read, buf, sizeof buf));
      CHECK(strcmp(buf, "Hello, sandbox!\n") == 0 || strcmp(buf, "inner\n") == 0,
            "reading through %s (got \"%s\")", good[i].at, buf);
    }
  }

  // Times of the secret, through links and directly.
  DENY_W(__wasi_path_filestat_set_times(root, FOLLOW, "link_outside_secret", 0, 0,
                                        __WASI_FSTFLAGS_MTIM_NOW));
  DENY_W(__wasi_path_filestat_set_times(root, FOLLOW, "link_abs_secret", 0, 0,
                                        __WASI_FSTFLAGS_MTIM_NOW | __WASI_FSTFLAGS_ATIM_NOW));
  DENY_W(__wasi_path_filestat_set_times(root, 0, "../outside/secret.txt", 0, 0,
                                        __WASI_FSTFLAGS_MTIM_NOW));
  DENY_W(__wasi_path_filestat_set_times(root, 0, "..", 0, 0, __WASI_FSTFLAGS_MTIM_NOW));

  // The preopen itself cannot be removed or renamed away.
  CHECK(__wasi_path_remove_directory(root, ".") != 0, "rmdir of the preopen fails");
  CHECK(__wasi_path_rename(root, ".", root, "moved-root") != 0, "renaming the preopen fails");
  CHECK(__wasi_path_unlink_file(root, ".") != 0, "unlinking the preopen fails");
  CHECK_EQ(type_at(root, ".", 0, NULL), __WASI_FILETYPE_DIRECTORY);

  // Removing an escaping symlink removes the link, never its target (the runner checks the
  // secret is still there).
  e = __wasi_path_unlink_file(root, "link_outside_secret");
  CHECK(ro ? (e == __WASI_ERRNO_ROFS || e == NOTCAP) : e == 0,
        "unlink of the symlink link_outside_secret (got %s)", errname(e));
}

static void test_libc(void) {
  CHECK_LIBC_ERR(open("/etc/passwd", O_RDONLY), ENOTCAPABLE);
  CHECK_LIBC_ERR(open("/sandbox/../outside/secret.txt", O_RDONLY), ENOTCAPABLE);
  CHECK_LIBC_ERR(open("/sandbox/link_root/etc/passwd", O_RDONLY), ENOTCAPABLE);
  CHECK_LIBC_ERR(open("/sandbox/link_outside_secret2", O_RDONLY), ENOENT);
  struct stat st;
  CHECK_LIBC_ERR(stat("/sandbox/link_up", &st), ENOTCAPABLE);
  CHECK_LIBC_ERR(stat("/sandbox/..", &st), ENOTCAPABLE);
  CHECK(opendir("/sandbox/link_outside") == NULL && errno == ENOTCAPABLE,
        "opendir through link_outside: ENOTCAPABLE (got %s)", errname(errno));
  FILE* f = fopen("/sandbox/sub/link_up_escape", "r");
  CHECK(f == NULL && errno == ENOTCAPABLE, "fopen of an escaping symlink: ENOTCAPABLE (got %s)",
        errname(errno));
  if (f) fclose(f);
  char buf[64];
  CHECK_LIBC_ERR(readlink("/sandbox/../outside/x", buf, sizeof buf), ENOTCAPABLE);
  CHECK(strerror(ENOTCAPABLE) != NULL && strstr(strerror(ENOTCAPABLE), "apabilit") != NULL,
        "strerror(ENOTCAPABLE) names capabilities (got \"%s\")", strerror(ENOTCAPABLE));
}

// The host swaps `race` between race_inside and ../outside while this runs: whatever the
// guest gets, it is never the secret, and it never creates anything outside.
static void race(void) {
  int ok = 0, denied = 0, other = 0, bad_stats = 0;
  char p[128];
  snprintf(p, sizeof p, "race/%s", probe);
  uint64_t start = now_ns(__WASI_CLOCKID_MONOTONIC);
  int i;
  for (i = 0; i < 200000; i++) {
    if (now_ns(__WASI_CLOCKID_MONOTONIC) - start > 4000000000ull && i >= 2000) break;
    __wasi_fd_t fd;
    __wasi_rights_t inh = inheriting_of(root);
    __wasi_errno_t e;
    if (i % 4 == 3)
      e = __wasi_path_open(root, FOLLOW, p, __WASI_OFLAGS_CREAT, RIGHTS_FILE_RW & inh, inh, 0, &fd);
    else
      e = __wasi_path_open(root, FOLLOW, "race/secret.txt", 0, RIGHTS_FILE_RO & inh, inh, 0, &fd);
    if (e == 0) {
      ok++;
      inspect_leak(__LINE__, fd, "race/secret.txt");
    } else if (e == NOTCAP) {
      denied++;
    } else {
      other++;
    }
    if (i % 16 == 0) {
      __wasi_filestat_t st;
      e = __wasi_path_filestat_get(root, FOLLOW, "race/secret.txt", &st);
      if (e == 0 && st.size != 7) {  // "inside\n"; the secret is 11 bytes
        fail_at(__FILE_NAME__, __LINE__, "filestat through race saw a %llu-byte file",
                (unsigned long long)st.size);
      } else if (e != 0 && e != NOTCAP) {
        bad_stats++;
      }
    }
  }
  CHECK_EQ(bad_stats, 0);
  CHECK_EQ(secret_reads, 0);
  printf("race: %d opens, %d inside, %d refused, %d other errors\n", i, ok, denied, other);
  CHECK(ok > 0, "some opens happened while race pointed inside");
}

int main(int argc, char** argv) {
  REQUIRE(argc == 2, "usage: escape.wasm rw|ro|overlay|race");
  const char* mode = argv[1];
  ro = strcmp(mode, "ro") == 0;
  probe = getenv("PROBE");
  REQUIRE(probe && *probe, "PROBE is set by the runner");
  root = preopen_fd("/sandbox");
  REQUIRE(root >= 0, "a preopen named /sandbox");
  if (strcmp(mode, "race") == 0) {
    race();
    return finish();
  }
  REQUIRE(ro || !strcmp(mode, "rw") || !strcmp(mode, "overlay"), "unknown mode %s", mode);
  test_open_escapes();
  test_dir_fd_roots();
  test_write_escapes();
  test_libc();
  CHECK_EQ(secret_reads, 0);
  return finish();
}
