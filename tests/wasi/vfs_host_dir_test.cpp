// White-box tests of the host-directory mount (src/wasi/vfs/host_dir.cpp). Each test gets a
// fresh directory under /tmp: `base/` holds the mount `base/mnt/` and, beside it, `base/secret`,
// the file every escape attempt aims at. Errnos are asserted exactly, and escapes are checked
// on the host too (nothing created, changed or removed outside the mount).
#include <dirent.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "wasi/vfs/vfs.hpp"

namespace {

namespace fs = std::filesystem;
using isola::wasi::Errno;
using isola::wasi::errno_name;
using isola::wasi::Filetype;
using isola::wasi::Whence;
using namespace isola::wasi::vfs;
namespace oflags = isola::wasi::oflags;
namespace fdflags = isola::wasi::fdflags;
namespace fstflags = isola::wasi::fstflags;

Errno err_of(Errno e) { return e; }
template <class T>
Errno err_of(const Result<T>& r) {
  return r.ok() ? Errno::success : r.error();
}

// Compares errno names, so a failure reads "ENOENT vs ENOTCAPABLE".
#define EXPECT_ERR(expr, code) \
  EXPECT_STREQ(errno_name(err_of(expr)), errno_name(Errno::code)) << #expr
#define ASSERT_ERR(expr, code) \
  ASSERT_STREQ(errno_name(err_of(expr)), errno_name(Errno::code)) << #expr

// Concatenation by append: GCC 12 at -O3 warns falsely (-Wrestrict) on "lit" + std::string.
std::string cat(std::string_view a, std::string_view b) {
  std::string s(a);
  s.append(b);
  return s;
}
std::string numbered(std::string_view prefix, int i) { return cat(prefix, std::to_string(i)); }

void write_host(const fs::path& p, std::string_view s) {
  std::ofstream(p, std::ios::binary) << s;
}
std::string read_host(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}
bool exists_host(const fs::path& p) {  // without following a final symlink
  struct stat st;
  return ::lstat(p.c_str(), &st) == 0;
}
struct stat lstat_host(const fs::path& p) {
  struct stat st {};
  EXPECT_EQ(::lstat(p.c_str(), &st), 0) << p;
  return st;
}
uint64_t mtime_ns(const struct stat& st) {
  return static_cast<uint64_t>(st.st_mtim.tv_sec) * 1'000'000'000ull +
         static_cast<uint64_t>(st.st_mtim.tv_nsec);
}
uint64_t atime_ns(const struct stat& st) {
  return static_cast<uint64_t>(st.st_atim.tv_sec) * 1'000'000'000ull +
         static_cast<uint64_t>(st.st_atim.tv_nsec);
}
// Every entry of a host directory tree with its type and content: compared before and
// after, it shows that nothing changed.
std::map<std::string, std::string> snapshot(const fs::path& root) {
  std::map<std::string, std::string> out;
  for (auto& e : fs::recursive_directory_iterator(root)) {
    std::string rel = e.path().lexically_relative(root).string();
    if (e.is_symlink()) {
      out[rel] = cat("link:", fs::read_symlink(e.path()).string());
    } else if (e.is_directory()) {
      out[rel] = "dir";
    } else {
      out[rel] = cat("file:", read_host(e.path()));
    }
  }
  return out;
}
int open_fd_count() {
  int n = 0;
  for ([[maybe_unused]] auto& e : fs::directory_iterator("/proc/self/fd")) ++n;
  return n;
}

OpenRequest rd(bool follow = true) {
  OpenRequest r;
  r.follow = follow;
  return r;
}
OpenRequest rw(uint16_t of = 0, uint16_t fdf = 0) {
  OpenRequest r;
  r.write = true;
  r.oflags = of;
  r.fdflags = fdf;
  return r;
}
OpenRequest dir_req(bool follow = true) {
  OpenRequest r;
  r.oflags = oflags::directory;
  r.follow = follow;
  return r;
}

Result<size_t> put(File& f, std::string_view s) {
  iovec v{const_cast<char*>(s.data()), s.size()};
  return f.write({&v, 1});
}
std::string get(File& f, size_t n) {
  std::string s(n, '\0');
  iovec v{s.data(), n};
  auto r = f.read({&v, 1});
  if (!r) return cat(cat("<", errno_name(r.error())), ">");
  s.resize(*r);
  return s;
}

std::vector<Dirent> read_all(Dir& d) {
  auto r = d.readdir(0, SIZE_MAX);
  EXPECT_TRUE(r.ok());
  return r.ok() ? *r : std::vector<Dirent>{};
}
std::multiset<std::string> names_of(const std::vector<Dirent>& v) {
  std::multiset<std::string> s;
  for (auto& e : v) s.insert(e.name);
  return s;
}

class HostDirTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = "/tmp/isola-hostdir-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    base_ = tmpl;
    mnt_ = base_ / "mnt";
    fs::create_directory(mnt_);
    write_host(base_ / "secret", "top secret");
    auto d = open_host_dir(mnt_.string(), false);
    ASSERT_TRUE(d.ok()) << errno_name(d.error());
    dir_ = *d;
  }
  void TearDown() override {
    dir_.reset();
    std::error_code ec;
    fs::remove_all(base_, ec);
  }

  std::shared_ptr<File> open_file(Dir& d, std::string_view path, const OpenRequest& req) {
    auto r = d.open(path, req);
    EXPECT_TRUE(r.ok()) << path << ": " << errno_name(err_of(r));
    if (!r.ok()) return nullptr;
    EXPECT_EQ(r->dir, nullptr);
    return r->file;
  }
  std::shared_ptr<Dir> open_dir(Dir& d, std::string_view path, const OpenRequest& req = {}) {
    auto r = d.open(path, req);
    EXPECT_TRUE(r.ok()) << path << ": " << errno_name(err_of(r));
    if (!r.ok()) return nullptr;
    EXPECT_EQ(r->file, nullptr);
    return r->dir;
  }

  fs::path base_, mnt_;
  std::shared_ptr<Dir> dir_;
};

// ---------------------------------------------------------------------------------------
// Opening the mount

TEST_F(HostDirTest, OpenHostDirRefusesMissingAndNonDirectories) {
  EXPECT_ERR(open_host_dir((base_ / "nope").string(), false), noent);
  EXPECT_ERR(open_host_dir((base_ / "secret").string(), false), notdir);
  EXPECT_ERR(open_host_dir("", true), noent);
  EXPECT_ERR(open_host_dir(std::string("/tmp\0x", 6), true), inval);
  auto ro = open_host_dir(mnt_.string(), true);
  ASSERT_TRUE(ro.ok());
  EXPECT_TRUE((*ro)->read_only());
  EXPECT_FALSE(dir_->read_only());
}

// ---------------------------------------------------------------------------------------
// Files

TEST_F(HostDirTest, CreateWriteReadSeekStat) {
  auto f = open_file(*dir_, "f.txt", rw(oflags::creat));
  ASSERT_NE(f, nullptr);
  EXPECT_TRUE(f->writable());
  EXPECT_EQ(f->type(), Filetype::regular_file);
  EXPECT_EQ(f->poll_fd(), -1);

  std::string a = "hello ", b = "world";
  iovec two[2] = {{a.data(), a.size()}, {b.data(), b.size()}};
  auto n = f->write(two);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 11u);
  EXPECT_EQ(read_host(mnt_ / "f.txt"), "hello world");
  // New files get 0666 less the umask.
  mode_t mask = ::umask(0);
  ::umask(mask);
  EXPECT_EQ(lstat_host(mnt_ / "f.txt").st_mode & 0777, 0666u & ~mask);

  auto pos = f->seek(0, Whence::cur);
  ASSERT_TRUE(pos.ok());
  EXPECT_EQ(*pos, 11u);
  ASSERT_TRUE(f->seek(6, Whence::set).ok());
  EXPECT_EQ(get(*f, 100), "world");
  pos = f->seek(-5, Whence::end);
  ASSERT_TRUE(pos.ok());
  EXPECT_EQ(*pos, 6u);
  EXPECT_ERR(f->seek(-100, Whence::cur), inval);
  EXPECT_ERR(f->seek(0, static_cast<Whence>(7)), inval);

  char buf[5];
  iovec v{buf, sizeof buf};
  auto r = f->pread({&v, 1}, 0);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(std::string(buf, *r), "hello");
  std::string up = "HELLO";
  iovec w{up.data(), up.size()};
  ASSERT_TRUE(f->pwrite({&w, 1}, 0).ok());
  EXPECT_EQ(read_host(mnt_ / "f.txt"), "HELLO world");
  EXPECT_ERR(f->pread({&v, 1}, UINT64_MAX), inval);
  // pread/pwrite leave the position alone.
  pos = f->seek(0, Whence::cur);
  ASSERT_TRUE(pos.ok());
  EXPECT_EQ(*pos, 6u);

  auto st = f->stat();
  ASSERT_TRUE(st.ok());
  struct stat host = lstat_host(mnt_ / "f.txt");
  EXPECT_EQ(st->size, 11u);
  EXPECT_EQ(st->type, Filetype::regular_file);
  EXPECT_EQ(st->ino, host.st_ino);
  EXPECT_EQ(st->dev, host.st_dev);
  EXPECT_EQ(st->nlink, 1u);
  EXPECT_EQ(st->mtim, mtime_ns(host));

  auto at = dir_->stat_at("f.txt", true);
  ASSERT_TRUE(at.ok());
  EXPECT_EQ(at->ino, st->ino);
  EXPECT_EQ(at->size, 11u);
}

TEST_F(HostDirTest, OpenFlags) {
  write_host(mnt_ / "f", "0123456789");
  fs::create_directory(mnt_ / "d");
  fs::create_symlink("f", mnt_ / "lf");
  fs::create_symlink("d", mnt_ / "ld");

  EXPECT_ERR(dir_->open("missing", rd()), noent);
  EXPECT_ERR(dir_->open("f", rw(oflags::creat | oflags::excl)), exist);
  EXPECT_ERR(dir_->open("f", dir_req()), notdir);
  EXPECT_ERR(dir_->open("f/", rd()), notdir);
  EXPECT_ERR(dir_->open("new", rw(oflags::creat | oflags::directory)), inval);
  EXPECT_FALSE(exists_host(mnt_ / "new"));
  EXPECT_ERR(dir_->open("d", rw()), isdir);
  EXPECT_ERR(dir_->open("d", rw(oflags::directory)), isdir);
  // Not following a symlink in the last component: ELOOP for a file, ENOTDIR when a
  // directory is demanded, as Linux's open does.
  EXPECT_ERR(dir_->open("lf", rd(false)), loop);
  EXPECT_ERR(dir_->open("ld", dir_req(false)), notdir);
  // Following it works.
  auto viaf = open_file(*dir_, "lf", rd());
  ASSERT_NE(viaf, nullptr);
  EXPECT_EQ(get(*viaf, 4), "0123");
  EXPECT_NE(open_dir(*dir_, "ld", dir_req()), nullptr);

  // A file opened only for reading: the mount may allow writes, this fd does not.
  auto ro = open_file(*dir_, "f", rd());
  ASSERT_NE(ro, nullptr);
  EXPECT_FALSE(ro->writable());
  EXPECT_ERR(put(*ro, "x"), badf);

  // trunc empties, append writes at the end whatever the position.
  auto app = open_file(*dir_, "f", rw(0, fdflags::append));
  ASSERT_NE(app, nullptr);
  ASSERT_TRUE(app->seek(0, Whence::set).ok());
  ASSERT_TRUE(put(*app, "AB").ok());
  EXPECT_EQ(read_host(mnt_ / "f"), "0123456789AB");
  EXPECT_EQ(app->fdflags(), fdflags::append);
  auto tr = open_file(*dir_, "f", rw(oflags::trunc));
  ASSERT_NE(tr, nullptr);
  EXPECT_EQ(read_host(mnt_ / "f"), "");

  // creat on an existing file without excl opens it; creat through an inside symlink
  // that dangles creates its target.
  EXPECT_NE(open_file(*dir_, "f", rw(oflags::creat)), nullptr);
  fs::create_symlink("made", mnt_ / "dangling");
  EXPECT_NE(open_file(*dir_, "dangling", rw(oflags::creat)), nullptr);
  EXPECT_TRUE(fs::is_regular_file(mnt_ / "made"));
  // ... but not with nofollow.
  fs::create_symlink("made2", mnt_ / "dangling2");
  OpenRequest creat_nofollow = rw(oflags::creat);
  creat_nofollow.follow = false;
  EXPECT_ERR(dir_->open("dangling2", creat_nofollow), loop);
  EXPECT_FALSE(exists_host(mnt_ / "made2"));
}

TEST_F(HostDirTest, FdflagsReportAndChange) {
  write_host(mnt_ / "f", "abc");
  auto f = open_file(*dir_, "f", rw(0, fdflags::sync | fdflags::nonblock));
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->fdflags(), fdflags::sync | fdflags::nonblock);
  // append and nonblock can change; the sync mode cannot.
  ASSERT_ERR(f->set_fdflags(fdflags::sync | fdflags::append), success);
  EXPECT_EQ(f->fdflags(), fdflags::sync | fdflags::append);
  ASSERT_TRUE(f->seek(0, Whence::set).ok());
  ASSERT_TRUE(put(*f, "d").ok());
  EXPECT_EQ(read_host(mnt_ / "f"), "abcd");
  EXPECT_ERR(f->set_fdflags(fdflags::append), notsup);
  EXPECT_ERR(f->set_fdflags(0x100), inval);
  EXPECT_EQ(f->fdflags(), fdflags::sync | fdflags::append);

  // Files are opened non-blocking (so a FIFO cannot hang the host), but the guest only
  // sees O_NONBLOCK if it asked for it.
  auto plain = open_file(*dir_, "f", rd());
  ASSERT_NE(plain, nullptr);
  EXPECT_EQ(plain->fdflags(), 0);
  auto dsync = open_file(*dir_, "f", rw(0, fdflags::dsync | fdflags::rsync));
  ASSERT_NE(dsync, nullptr);
  EXPECT_EQ(dsync->fdflags(), fdflags::dsync | fdflags::rsync);
}

TEST_F(HostDirTest, OpeningAFifoDoesNotBlock) {
  ASSERT_EQ(::mkfifo((mnt_ / "fifo").c_str(), 0600), 0);
  auto f = open_file(*dir_, "fifo", rd());  // would hang forever without O_NONBLOCK
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->type(), Filetype::unknown);
  ASSERT_GE(f->poll_fd(), 0);  // not a regular file: something poll can wait on
  EXPECT_EQ(::fcntl(f->poll_fd(), F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
  EXPECT_EQ(f->fdflags(), 0);
}

TEST_F(HostDirTest, FileSizeAllocateAdviseSyncTimes) {
  auto f = open_file(*dir_, "f", rw(oflags::creat));
  ASSERT_NE(f, nullptr);
  ASSERT_ERR(f->set_size(100), success);
  EXPECT_EQ(fs::file_size(mnt_ / "f"), 100u);
  ASSERT_ERR(f->set_size(3), success);
  EXPECT_EQ(fs::file_size(mnt_ / "f"), 3u);
  EXPECT_ERR(f->set_size(UINT64_MAX), fbig);
  ASSERT_ERR(f->allocate(0, 4096), success);
  EXPECT_EQ(fs::file_size(mnt_ / "f"), 4096u);
  ASSERT_ERR(f->allocate(0, 10), success);  // never shrinks
  EXPECT_EQ(fs::file_size(mnt_ / "f"), 4096u);
  EXPECT_ERR(f->allocate(UINT64_MAX - 1, 10), fbig);
  EXPECT_ERR(f->advise(0, 0, isola::wasi::Advice::sequential), success);
  EXPECT_ERR(f->advise(0, 0, static_cast<isola::wasi::Advice>(99)), inval);
  EXPECT_ERR(f->sync(), success);
  EXPECT_ERR(f->datasync(), success);

  Times t;
  t.atim = 1'000'000'000ull * 1000 + 7;
  t.mtim = 1'000'000'000ull * 2000 + 9;
  t.flags = fstflags::atim | fstflags::mtim;
  ASSERT_ERR(f->set_times(t), success);
  struct stat st = lstat_host(mnt_ / "f");
  EXPECT_EQ(atime_ns(st), t.atim);
  EXPECT_EQ(mtime_ns(st), t.mtim);
  t.flags = fstflags::atim | fstflags::atim_now;
  EXPECT_ERR(f->set_times(t), inval);
  t.flags = fstflags::mtim | fstflags::mtim_now;
  EXPECT_ERR(f->set_times(t), inval);
  t.flags = 0x10;
  EXPECT_ERR(f->set_times(t), inval);
  // Only mtime to now: atime is left alone.
  t.flags = fstflags::mtim_now;
  uint64_t before = now_ns();
  ASSERT_ERR(f->set_times(t), success);
  st = lstat_host(mnt_ / "f");
  EXPECT_EQ(atime_ns(st), 1'000'000'000ull * 1000 + 7);
  EXPECT_GE(mtime_ns(st) + 1'000'000'000ull, before);  // coarse fs clocks lag a little
}

// ---------------------------------------------------------------------------------------
// Paths every operation refuses the same way

TEST_F(HostDirTest, EmptyPathIsNoentAndNulIsInval) {
  write_host(mnt_ / "a", "x");
  const std::string_view nul("a\0b", 3);
  Times t;
  t.flags = fstflags::mtim_now;
  for (std::string_view p : {std::string_view(""), nul}) {
    SCOPED_TRACE(p.size());
    const bool empty = p.empty();
    auto expect = [&](Errno e) {
      EXPECT_STREQ(errno_name(e), empty ? "ENOENT" : "EINVAL");
    };
    expect(err_of(dir_->open(p, rd())));
    expect(err_of(dir_->open(p, rw(oflags::creat))));
    expect(err_of(dir_->stat_at(p, true)));
    expect(err_of(dir_->stat_at(p, false)));
    expect(dir_->set_times_at(p, true, t));
    expect(dir_->mkdir(p));
    expect(dir_->rmdir(p));
    expect(dir_->unlink(p));
    expect(err_of(dir_->readlink(p)));
    expect(dir_->symlink("a", p));
    expect(dir_->rename(p, *dir_, "z"));
    expect(dir_->rename("a", *dir_, p));
    expect(dir_->link(p, false, *dir_, "z"));
    expect(dir_->link("a", true, *dir_, p));
  }
  EXPECT_ERR(dir_->symlink("", "s"), noent);
  EXPECT_ERR(dir_->symlink(nul, "s"), inval);
  EXPECT_FALSE(exists_host(mnt_ / "s"));
  EXPECT_FALSE(exists_host(mnt_ / "z"));
  EXPECT_EQ(read_host(mnt_ / "a"), "x");
}

// ---------------------------------------------------------------------------------------
// Directories

TEST_F(HostDirTest, MkdirRmdir) {
  write_host(mnt_ / "f", "x");
  ASSERT_ERR(dir_->mkdir("d"), success);
  EXPECT_TRUE(fs::is_directory(mnt_ / "d"));
  EXPECT_ERR(dir_->mkdir("d"), exist);
  EXPECT_ERR(dir_->mkdir("f"), exist);
  EXPECT_ERR(dir_->mkdir("missing/d"), noent);
  EXPECT_ERR(dir_->mkdir("f/d"), notdir);
  EXPECT_ERR(dir_->mkdir("."), exist);
  EXPECT_ERR(dir_->mkdir("d/.."), exist);
  ASSERT_ERR(dir_->mkdir("d/e/"), success);  // a trailing slash is fine for a directory
  EXPECT_TRUE(fs::is_directory(mnt_ / "d" / "e"));
  // New directories get 0777 less the umask.
  mode_t mask = ::umask(0);
  ::umask(mask);
  EXPECT_EQ(lstat_host(mnt_ / "d").st_mode & 0777, 0777u & ~mask);

  EXPECT_ERR(dir_->rmdir("d"), notempty);
  EXPECT_ERR(dir_->rmdir("f"), notdir);
  EXPECT_ERR(dir_->rmdir("missing"), noent);
  EXPECT_ERR(dir_->rmdir("."), inval);
  EXPECT_ERR(dir_->rmdir("d/e/."), inval);
  EXPECT_ERR(dir_->rmdir("d/e/.."), notempty);
  EXPECT_ERR(dir_->rmdir("d/missing/.."), noent);
  EXPECT_TRUE(fs::is_directory(mnt_ / "d" / "e"));
  fs::create_symlink("d", mnt_ / "ld");
  EXPECT_ERR(dir_->rmdir("ld"), notdir);  // a symlink to a directory is not one
  ASSERT_ERR(dir_->rmdir("d/e/"), success);
  ASSERT_ERR(dir_->rmdir("d"), success);
  EXPECT_FALSE(exists_host(mnt_ / "d"));
  EXPECT_TRUE(exists_host(mnt_ / "ld"));
}

TEST_F(HostDirTest, SubDirectoriesAreDirsRootedWhereTheyAre) {
  fs::create_directories(mnt_ / "sub" / "deeper");
  write_host(mnt_ / "sub" / "in", "inside");
  write_host(mnt_ / "top", "top");

  // A directory comes back as a Dir whether or not oflags::directory was given.
  auto sub = open_dir(*dir_, "sub");
  ASSERT_NE(sub, nullptr);
  ASSERT_NE(open_dir(*dir_, "sub", dir_req()), nullptr);
  ASSERT_NE(open_dir(*dir_, "sub/", dir_req()), nullptr);
  ASSERT_NE(open_dir(*dir_, ".", dir_req()), nullptr);
  EXPECT_FALSE(sub->read_only());

  auto in = open_file(*sub, "in", rd());
  ASSERT_NE(in, nullptr);
  EXPECT_EQ(get(*in, 100), "inside");
  ASSERT_ERR(sub->mkdir("made"), success);
  EXPECT_TRUE(fs::is_directory(mnt_ / "sub" / "made"));

  // A sub-Dir is a capability of its own: it cannot climb to its parent.
  EXPECT_ERR(sub->open("../top", rd()), notcapable);
  EXPECT_ERR(sub->stat_at("..", true), notcapable);
  EXPECT_ERR(sub->stat_at("deeper/../..", true), notcapable);
  EXPECT_ERR(sub->mkdir("../x"), notcapable);
  EXPECT_FALSE(exists_host(mnt_ / "x"));
  EXPECT_TRUE(sub->stat_at("deeper/..", true).ok());

  // Dir::stat describes the directory itself.
  auto st = sub->stat();
  ASSERT_TRUE(st.ok());
  EXPECT_EQ(st->type, Filetype::directory);
  EXPECT_EQ(st->ino, lstat_host(mnt_ / "sub").st_ino);
  EXPECT_ERR(sub->sync(), success);
}

TEST_F(HostDirTest, Unlink) {
  write_host(mnt_ / "f", "x");
  fs::create_directory(mnt_ / "d");
  fs::create_symlink("f", mnt_ / "lf");
  fs::create_symlink("d", mnt_ / "ld");

  EXPECT_ERR(dir_->unlink("d"), isdir);
  EXPECT_ERR(dir_->unlink("d/"), isdir);
  EXPECT_ERR(dir_->unlink("f/"), notdir);
  EXPECT_ERR(dir_->unlink("lf/"), notdir);
  EXPECT_ERR(dir_->unlink("ld/"), notdir);
  EXPECT_ERR(dir_->unlink("missing"), noent);
  EXPECT_ERR(dir_->unlink("missing/"), noent);
  EXPECT_ERR(dir_->unlink("."), isdir);
  EXPECT_ERR(dir_->unlink("d/.."), isdir);
  EXPECT_TRUE(exists_host(mnt_ / "f"));
  EXPECT_TRUE(exists_host(mnt_ / "ld"));

  // A symlink is removed itself, not what it points to.
  ASSERT_ERR(dir_->unlink("lf"), success);
  EXPECT_FALSE(exists_host(mnt_ / "lf"));
  EXPECT_TRUE(exists_host(mnt_ / "f"));
  ASSERT_ERR(dir_->unlink("ld"), success);
  EXPECT_TRUE(fs::is_directory(mnt_ / "d"));
  ASSERT_ERR(dir_->unlink("f"), success);
  EXPECT_FALSE(exists_host(mnt_ / "f"));
}

TEST_F(HostDirTest, Rename) {
  write_host(mnt_ / "f", "content");
  write_host(mnt_ / "g", "other");
  fs::create_directories(mnt_ / "d");
  fs::create_directories(mnt_ / "full" / "x");
  fs::create_directories(mnt_ / "empty");

  ASSERT_ERR(dir_->rename("f", *dir_, "d/f2"), success);
  EXPECT_FALSE(exists_host(mnt_ / "f"));
  EXPECT_EQ(read_host(mnt_ / "d" / "f2"), "content");
  // Replacing an existing file, as POSIX rename does.
  ASSERT_ERR(dir_->rename("d/f2", *dir_, "g"), success);
  EXPECT_EQ(read_host(mnt_ / "g"), "content");

  // Between a Dir and a sub-Dir of the same mount.
  auto d = open_dir(*dir_, "d");
  ASSERT_NE(d, nullptr);
  ASSERT_ERR(dir_->rename("g", *d, "moved"), success);
  EXPECT_EQ(read_host(mnt_ / "d" / "moved"), "content");
  ASSERT_ERR(d->rename("moved", *dir_, "back"), success);
  EXPECT_EQ(read_host(mnt_ / "back"), "content");

  EXPECT_ERR(dir_->rename("missing", *dir_, "x"), noent);
  EXPECT_ERR(dir_->rename("back", *dir_, "missing/x"), noent);
  EXPECT_ERR(dir_->rename("empty", *dir_, "full"), notempty);
  EXPECT_ERR(dir_->rename("empty", *dir_, "back"), notdir);
  EXPECT_ERR(dir_->rename("back", *dir_, "empty"), isdir);
  EXPECT_ERR(dir_->rename("d", *dir_, "d/inside"), inval);
  EXPECT_ERR(dir_->rename(".", *dir_, "x"), busy);
  EXPECT_ERR(dir_->rename("d/..", *dir_, "x"), busy);
  EXPECT_ERR(dir_->rename("back", *dir_, "."), busy);
  EXPECT_ERR(dir_->rename("back", *dir_, "d/.."), busy);
  EXPECT_ERR(dir_->rename("back/", *dir_, "x"), notdir);
  EXPECT_ERR(dir_->rename("back", *dir_, "x/"), notdir);
  EXPECT_FALSE(exists_host(mnt_ / "x"));
  EXPECT_EQ(read_host(mnt_ / "back"), "content");
  ASSERT_ERR(dir_->rename("empty/", *dir_, "renamed/"), success);
  EXPECT_TRUE(fs::is_directory(mnt_ / "renamed"));
}

TEST_F(HostDirTest, Link) {
  write_host(mnt_ / "f", "content");
  fs::create_directories(mnt_ / "d");
  fs::create_symlink("f", mnt_ / "lf");
  fs::create_directories(mnt_ / "sub");
  fs::create_symlink("../f", mnt_ / "sub" / "up_f");  // stays inside

  ASSERT_ERR(dir_->link("f", false, *dir_, "d/hard"), success);
  EXPECT_EQ(lstat_host(mnt_ / "d" / "hard").st_ino, lstat_host(mnt_ / "f").st_ino);
  EXPECT_EQ(lstat_host(mnt_ / "f").st_nlink, 2u);

  // follow: the link is to the symlink's target; not following: to the symlink itself.
  ASSERT_ERR(dir_->link("lf", true, *dir_, "followed"), success);
  EXPECT_EQ(lstat_host(mnt_ / "followed").st_ino, lstat_host(mnt_ / "f").st_ino);
  ASSERT_ERR(dir_->link("lf", false, *dir_, "unfollowed"), success);
  EXPECT_EQ(lstat_host(mnt_ / "unfollowed").st_ino, lstat_host(mnt_ / "lf").st_ino);
  EXPECT_TRUE(fs::is_symlink(mnt_ / "unfollowed"));
  // Following a relative target that climbs out of its own directory but not the mount.
  ASSERT_ERR(dir_->link("sub/up_f", true, *dir_, "via_sub"), success);
  EXPECT_EQ(lstat_host(mnt_ / "via_sub").st_ino, lstat_host(mnt_ / "f").st_ino);

  EXPECT_ERR(dir_->link("f", false, *dir_, "lf"), exist);
  EXPECT_ERR(dir_->link("missing", false, *dir_, "x"), noent);
  EXPECT_ERR(dir_->link("d", false, *dir_, "x"), perm);
  EXPECT_ERR(dir_->link("d/", false, *dir_, "x"), perm);
  EXPECT_ERR(dir_->link(".", false, *dir_, "x"), perm);
  EXPECT_ERR(dir_->link("f/", false, *dir_, "x"), notdir);
  EXPECT_ERR(dir_->link("f", false, *dir_, "."), exist);
  EXPECT_ERR(dir_->link("f", false, *dir_, "x/"), noent);
  EXPECT_ERR(dir_->link("f", false, *dir_, "d/"), exist);
  EXPECT_FALSE(exists_host(mnt_ / "x"));
}

TEST_F(HostDirTest, SymlinkAndReadlink) {
  write_host(mnt_ / "f", "x");
  fs::create_directories(mnt_ / "sub" / "deep");

  ASSERT_ERR(dir_->symlink("f", "l"), success);
  EXPECT_EQ(fs::read_symlink(mnt_ / "l"), "f");
  auto t = dir_->readlink("l");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(*t, "f");
  // Targets that stay inside from where the link is, dangling ones included.
  ASSERT_ERR(dir_->symlink("../f", "sub/up"), success);
  ASSERT_ERR(dir_->symlink("../../sub/./deep/../f", "sub/deep/zigzag"), success);
  ASSERT_ERR(dir_->symlink("not/there/yet", "dangling"), success);
  ASSERT_ERR(dir_->symlink(".", "self"), success);
  auto via = open_file(*dir_, "sub/up", rd());
  ASSERT_NE(via, nullptr);
  EXPECT_EQ(get(*via, 10), "x");
  t = dir_->readlink("sub/deep/zigzag");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(*t, "../../sub/./deep/../f");

  // A long target comes back whole.
  std::string longer(1000, 'a');
  ASSERT_ERR(dir_->symlink(longer, "long"), success);
  t = dir_->readlink("long");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(*t, longer);

  EXPECT_ERR(dir_->symlink("f", "l"), exist);
  EXPECT_ERR(dir_->symlink("f", "f"), exist);
  EXPECT_ERR(dir_->symlink("f", "."), exist);
  EXPECT_ERR(dir_->symlink("f", "new/"), noent);
  EXPECT_ERR(dir_->symlink("f", "f/"), exist);
  EXPECT_ERR(dir_->symlink("f", "missing/l"), noent);
  EXPECT_FALSE(exists_host(mnt_ / "new"));

  EXPECT_ERR(dir_->readlink("f"), inval);
  EXPECT_ERR(dir_->readlink("sub"), inval);
  EXPECT_ERR(dir_->readlink("sub/"), inval);
  EXPECT_ERR(dir_->readlink("f/"), notdir);
  EXPECT_ERR(dir_->readlink("."), inval);
  EXPECT_ERR(dir_->readlink("missing"), noent);
  // A symlink earlier in the path is followed; the last one is read.
  t = dir_->readlink("self/l");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(*t, "f");
}

TEST_F(HostDirTest, StatAt) {
  write_host(mnt_ / "f", "12345");
  fs::create_directory(mnt_ / "d");
  fs::create_symlink("f", mnt_ / "lf");
  fs::create_symlink("d", mnt_ / "ld");

  auto followed = dir_->stat_at("lf", true);
  ASSERT_TRUE(followed.ok());
  EXPECT_EQ(followed->type, Filetype::regular_file);
  EXPECT_EQ(followed->size, 5u);
  auto link = dir_->stat_at("lf", false);
  ASSERT_TRUE(link.ok());
  EXPECT_EQ(link->type, Filetype::symbolic_link);
  EXPECT_EQ(link->ino, lstat_host(mnt_ / "lf").st_ino);

  // A trailing slash demands a directory, following a final symlink even when not asked to
  // (as lstat("ld/") does).
  auto d = dir_->stat_at("ld/", false);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->type, Filetype::directory);
  EXPECT_ERR(dir_->stat_at("f/", true), notdir);
  EXPECT_ERR(dir_->stat_at("lf/", false), notdir);
  EXPECT_ERR(dir_->stat_at("missing", false), noent);
  EXPECT_ERR(dir_->stat_at("f/x", false), notdir);

  auto dot = dir_->stat_at(".", false);
  auto self = dir_->stat();
  ASSERT_TRUE(dot.ok());
  ASSERT_TRUE(self.ok());
  EXPECT_EQ(dot->ino, self->ino);
  EXPECT_EQ(self->ino, lstat_host(mnt_).st_ino);
  EXPECT_EQ(self->type, Filetype::directory);
  auto dd = dir_->stat_at("d/..", false);
  ASSERT_TRUE(dd.ok());
  EXPECT_EQ(dd->ino, self->ino);
}

TEST_F(HostDirTest, SetTimesAt) {
  write_host(mnt_ / "f", "x");
  fs::create_directories(mnt_ / "sub");
  fs::create_symlink("f", mnt_ / "lf");
  fs::create_symlink("../lf", mnt_ / "sub" / "chain");  // sub/chain -> ../lf -> f

  Times t;
  t.atim = 1'000'000'000ull * 111;
  t.mtim = 1'000'000'000ull * 222 + 3;
  t.flags = fstflags::atim | fstflags::mtim;
  const uint64_t link_mtime = mtime_ns(lstat_host(mnt_ / "lf"));

  ASSERT_ERR(dir_->set_times_at("sub/chain", true, t), success);
  EXPECT_EQ(mtime_ns(lstat_host(mnt_ / "f")), t.mtim);
  EXPECT_EQ(atime_ns(lstat_host(mnt_ / "f")), t.atim);
  EXPECT_EQ(mtime_ns(lstat_host(mnt_ / "lf")), link_mtime);

  Times t2 = t;
  t2.mtim = 1'000'000'000ull * 333;
  t2.flags = fstflags::mtim;
  ASSERT_ERR(dir_->set_times_at("lf", false, t2), success);
  EXPECT_EQ(mtime_ns(lstat_host(mnt_ / "lf")), t2.mtim);
  EXPECT_EQ(mtime_ns(lstat_host(mnt_ / "f")), t.mtim);  // the target is untouched

  // Directories, by name, by "." and by a trailing slash; and Dir::set_times.
  ASSERT_ERR(dir_->set_times_at("sub/", false, t), success);
  EXPECT_EQ(mtime_ns(lstat_host(mnt_ / "sub")), t.mtim);
  ASSERT_ERR(dir_->set_times_at(".", true, t2), success);
  EXPECT_EQ(mtime_ns(lstat_host(mnt_)), t2.mtim);
  auto sub = open_dir(*dir_, "sub", dir_req());
  ASSERT_NE(sub, nullptr);
  ASSERT_ERR(sub->set_times(t2), success);
  EXPECT_EQ(mtime_ns(lstat_host(mnt_ / "sub")), t2.mtim);

  EXPECT_ERR(dir_->set_times_at("missing", true, t), noent);
  EXPECT_ERR(dir_->set_times_at("f/", true, t), notdir);
  t.flags = fstflags::atim | fstflags::atim_now;
  EXPECT_ERR(dir_->set_times_at("f", true, t), inval);
  EXPECT_ERR(dir_->set_times(t), inval);
  t.flags = fstflags::mtim | fstflags::mtim_now;
  EXPECT_ERR(dir_->set_times_at("f", true, t), inval);
  EXPECT_EQ(mtime_ns(lstat_host(mnt_ / "f")), 1'000'000'000ull * 222 + 3);
}

// ---------------------------------------------------------------------------------------
// readdir

TEST_F(HostDirTest, ReaddirListsEntriesWithTypesAndInodes) {
  write_host(mnt_ / "file", "x");
  fs::create_directory(mnt_ / "dir");
  fs::create_symlink("file", mnt_ / "link");

  auto all = read_all(*dir_);
  EXPECT_EQ(names_of(all), (std::multiset<std::string>{".", "..", "file", "dir", "link"}));
  std::map<std::string, Dirent> by;
  for (auto& e : all) by[e.name] = e;
  EXPECT_EQ(by["file"].type, Filetype::regular_file);
  EXPECT_EQ(by["dir"].type, Filetype::directory);
  EXPECT_EQ(by["link"].type, Filetype::symbolic_link);
  EXPECT_EQ(by["."].type, Filetype::directory);
  EXPECT_EQ(by[".."].type, Filetype::directory);
  EXPECT_EQ(by["file"].ino, lstat_host(mnt_ / "file").st_ino);
  EXPECT_EQ(by["link"].ino, lstat_host(mnt_ / "link").st_ino);
  EXPECT_EQ(by["."].ino, lstat_host(mnt_).st_ino);
  // ".." of the mount's root would be the host directory above: the root stands in for it.
  EXPECT_EQ(by[".."].ino, lstat_host(mnt_).st_ino);
  EXPECT_NE(lstat_host(base_).st_ino, lstat_host(mnt_).st_ino);

  // Resuming from the last entry's cookie gives nothing more; min_bytes 0 gives nothing.
  auto rest = dir_->readdir(all.back().next, SIZE_MAX);
  ASSERT_TRUE(rest.ok());
  EXPECT_TRUE(rest->empty());
  auto none = dir_->readdir(0, 0);
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
  EXPECT_ERR(dir_->readdir(UINT64_MAX, 100), inval);

  // An empty sub-Dir (opened O_PATH) lists just "." and "..", whose ".." is inside and real.
  auto sub = open_dir(*dir_, "dir", dir_req());
  ASSERT_NE(sub, nullptr);
  auto sub_all = read_all(*sub);
  EXPECT_EQ(names_of(sub_all), (std::multiset<std::string>{".", ".."}));
  for (auto& e : sub_all) {
    EXPECT_EQ(e.ino, lstat_host(e.name == "." ? mnt_ / "dir" : mnt_).st_ino) << e.name;
  }
}

TEST_F(HostDirTest, ReaddirStopsAtMinBytesAndResumesByCookie) {
  for (int i = 0; i < 50; ++i) write_host(mnt_ / numbered("entry", i), "");
  auto all = read_all(*dir_);
  ASSERT_EQ(all.size(), 52u);

  // min_bytes 1: exactly one entry a call, in the same order as a full read.
  std::vector<Dirent> one_by_one;
  uint64_t cookie = 0;
  for (;;) {
    auto r = dir_->readdir(cookie, 1);
    ASSERT_TRUE(r.ok());
    if (r->empty()) break;
    ASSERT_EQ(r->size(), 1u);
    one_by_one.push_back(r->front());
    cookie = r->front().next;
    ASSERT_LE(one_by_one.size(), 52u);
  }
  ASSERT_EQ(one_by_one.size(), all.size());
  for (size_t i = 0; i < all.size(); ++i) {
    EXPECT_EQ(one_by_one[i].name, all[i].name);
    EXPECT_EQ(one_by_one[i].next, all[i].next);
  }

  // Entries are added until their encoded size reaches min_bytes: 24 bytes plus the name.
  size_t want = 24 + all[0].name.size() + 24 + all[1].name.size() + 1;
  auto three = dir_->readdir(0, want);
  ASSERT_TRUE(three.ok());
  EXPECT_EQ(three->size(), 3u);
}

TEST_F(HostDirTest, ReaddirCookieSurvivesAddedAndRemovedEntries) {
  std::set<std::string> original{".", ".."};
  for (int i = 0; i < 40; ++i) {
    std::string n = numbered("f", i);
    write_host(mnt_ / n, "");
    original.insert(n);
  }
  // Read the first part.
  std::vector<std::string> first;
  uint64_t cookie = 0;
  while (first.size() < 15) {
    auto r = dir_->readdir(cookie, 1);
    ASSERT_TRUE(r.ok());
    ASSERT_FALSE(r->empty());
    first.push_back(r->front().name);
    cookie = r->front().next;
  }
  std::set<std::string> seen(first.begin(), first.end());
  ASSERT_EQ(seen.size(), first.size());
  // Remove an entry already returned and one not yet returned; add some.
  std::string removed_seen, removed_unseen;
  for (auto& n : first) {
    if (n != "." && n != "..") removed_seen = n;
  }
  for (auto& n : original) {
    if (!seen.count(n) && n != "." && n != "..") removed_unseen = n;
  }
  ASSERT_FALSE(removed_seen.empty());
  ASSERT_FALSE(removed_unseen.empty());
  ASSERT_ERR(dir_->unlink(removed_seen), success);
  ASSERT_ERR(dir_->unlink(removed_unseen), success);
  for (int i = 0; i < 20; ++i) write_host(mnt_ / numbered("new", i), "");

  auto rest = dir_->readdir(cookie, SIZE_MAX);
  ASSERT_TRUE(rest.ok());
  std::multiset<std::string> later = names_of(*rest);
  // Nothing returned twice, nothing that still exists skipped, nothing removed returned.
  for (auto& n : later) {
    EXPECT_EQ(seen.count(n), 0u) << n << " returned again";
    EXPECT_EQ(later.count(n), 1u) << n;
  }
  EXPECT_EQ(later.count(removed_unseen), 0u);
  for (auto& n : original) {
    if (n == removed_unseen || seen.count(n)) continue;
    EXPECT_EQ(later.count(n), 1u) << n << " skipped";
  }
}

// ---------------------------------------------------------------------------------------
// Escapes. Every attempt fails with ENOTCAPABLE (or ELOOP) and leaves the host as it was.

class HostDirEscapeTest : public HostDirTest {
 protected:
  void SetUp() override {
    HostDirTest::SetUp();
    if (HasFatalFailure()) return;
    write_host(mnt_ / "file", "inside");
    fs::create_directories(mnt_ / "a" / "b");
    fs::create_directories(mnt_ / "sub");
    fs::create_symlink("/", mnt_ / "root");                     // absolute
    fs::create_symlink(base_ / "secret", mnt_ / "abs_secret");  // absolute, to the secret
    fs::create_symlink("..", mnt_ / "up");                      // one level out
    fs::create_symlink("../secret", mnt_ / "out_secret");       // relative, out
    fs::create_symlink("../created", mnt_ / "out_dangling");    // out, to nothing yet
    fs::create_symlink("../../secret", mnt_ / "sub" / "esc");   // out from a subdir
    fs::create_symlink("../file", mnt_ / "sub" / "up_file");    // out of sub, in the mount
    fs::create_symlink("sub/esc", mnt_ / "via_sub");            // a chain that ends outside
    fs::create_symlink("loop2", mnt_ / "loop1");
    fs::create_symlink("loop1", mnt_ / "loop2");
    fs::create_symlink("me", mnt_ / "me");
    before_ = snapshot(base_);
    secret_ = lstat_host(base_ / "secret");
  }
  // The host outside the mount, and the secret's times, are as they were.
  void TearDown() override {
    struct stat now = lstat_host(base_ / "secret");  // before snapshot() reads it
    auto after = snapshot(base_);
    for (auto& [k, v] : after) {
      if (k.rfind("mnt", 0) != 0) {
        EXPECT_EQ(before_.count(k), 1u) << "created outside: " << k;
      }
    }
    for (auto& [k, v] : before_) {
      if (k.rfind("mnt", 0) != 0) {
        EXPECT_EQ(after[k], v) << "changed outside: " << k;
      }
    }
    EXPECT_EQ(mtime_ns(now), mtime_ns(secret_));
    EXPECT_EQ(atime_ns(now), atime_ns(secret_));
    EXPECT_EQ(now.st_nlink, 1u);
    HostDirTest::TearDown();
  }

  std::vector<std::string> outside_paths() const {
    return {"../secret",   "a/../../secret", "a/b/../../../secret", (base_ / "secret").string(),
            "/etc/passwd", "root/etc/passwd", "abs_secret",         "up/secret",
            "out_secret",  "sub/esc",         "via_sub",            "up",
            "root",        "./../secret",     "a//..//..//secret",  "sub/../../secret"};
  }

  std::map<std::string, std::string> before_;
  struct stat secret_ {};
};

TEST_F(HostDirEscapeTest, OpenAndStatRefuseEverythingOutside) {
  for (auto& p : outside_paths()) {
    SCOPED_TRACE(p);
    EXPECT_ERR(dir_->open(p, rd()), notcapable);
    EXPECT_ERR(dir_->open(p, dir_req()), notcapable);
    EXPECT_ERR(dir_->open(p, rw(oflags::creat)), notcapable);
    EXPECT_ERR(dir_->open(p, rw(oflags::trunc)), notcapable);
    EXPECT_ERR(dir_->stat_at(p, true), notcapable);
  }
  EXPECT_ERR(dir_->stat_at("..", false), notcapable);
  EXPECT_ERR(dir_->stat_at("../secret", false), notcapable);
  EXPECT_ERR(dir_->stat_at("up/secret", false), notcapable);
  // Creating through a dangling symlink that points out creates nothing.
  EXPECT_ERR(dir_->open("out_dangling", rw(oflags::creat)), notcapable);
  EXPECT_ERR(dir_->open("up/newfile", rw(oflags::creat)), notcapable);
  // The links themselves are inside and can be looked at without following.
  auto l = dir_->stat_at("up", false);
  ASSERT_TRUE(l.ok());
  EXPECT_EQ(l->type, Filetype::symbolic_link);
  auto target = dir_->readlink("abs_secret");
  ASSERT_TRUE(target.ok());
  EXPECT_EQ(*target, (base_ / "secret").string());
}

TEST_F(HostDirEscapeTest, SymlinkLoopsAreEloop) {
  for (std::string p : {"loop1", "loop2", "me", "loop1/x", "a/../loop1"}) {
    SCOPED_TRACE(p);
    EXPECT_ERR(dir_->open(p, rd()), loop);
    EXPECT_ERR(dir_->stat_at(p, true), loop);
    Times t;
    t.flags = fstflags::mtim_now;
    EXPECT_ERR(dir_->set_times_at(p, true, t), loop);
  }
  EXPECT_ERR(dir_->link("loop1", true, *dir_, "hl"), loop);
  EXPECT_ERR(dir_->mkdir("loop1/x"), loop);
  EXPECT_FALSE(exists_host(mnt_ / "hl"));
  // A chain longer than Linux's 40 hops, and one within it.
  for (int i = 0; i < 50; ++i) {
    std::string target = i == 49 ? std::string("file") : numbered("c", i + 1);
    fs::create_symlink(target, mnt_ / numbered("c", i));
  }
  EXPECT_ERR(dir_->open("c0", rd()), loop);
  EXPECT_ERR(dir_->stat_at("c0", true), loop);
  Times t;
  t.flags = fstflags::mtim_now;
  EXPECT_ERR(dir_->set_times_at("c0", true, t), loop);
  EXPECT_ERR(dir_->link("c0", true, *dir_, "hl"), loop);
  auto f = open_file(*dir_, "c30", rd());
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(get(*f, 10), "inside");
  EXPECT_ERR(dir_->link("c30", true, *dir_, "hl"), success);
  EXPECT_EQ(lstat_host(mnt_ / "hl").st_ino, lstat_host(mnt_ / "file").st_ino);
}

TEST_F(HostDirEscapeTest, LastComponentOperationsStayInside) {
  Times t;
  t.atim = 5;
  t.mtim = 5;
  t.flags = fstflags::atim | fstflags::mtim;
  for (auto& p : outside_paths()) {
    SCOPED_TRACE(p);
    EXPECT_ERR(dir_->set_times_at(p, true, t), notcapable);
  }
  // The secret reached directly, through `..` or through a symlinked directory.
  for (const std::string& p : std::vector<std::string>{"../secret", "a/../../secret", "up/secret",
                                                      "root/tmp", (base_ / "secret").string()}) {
    SCOPED_TRACE(p);
    EXPECT_ERR(dir_->unlink(p), notcapable);
    EXPECT_ERR(dir_->rmdir(p), notcapable);
    EXPECT_ERR(dir_->mkdir(cat(p, "_new")), notcapable);
    EXPECT_ERR(dir_->readlink(p), notcapable);
    EXPECT_ERR(dir_->set_times_at(p, false, t), notcapable);
    EXPECT_ERR(dir_->stat_at(p, false), notcapable);
    EXPECT_ERR(dir_->symlink("file", cat(p, "_link")), notcapable);
  }
  EXPECT_ERR(dir_->rmdir(".."), notcapable);
  EXPECT_ERR(dir_->rmdir("a/../.."), notcapable);
  EXPECT_ERR(dir_->mkdir(".."), notcapable);
  EXPECT_ERR(dir_->unlink(".."), notcapable);
  EXPECT_ERR(dir_->readlink(".."), notcapable);
  EXPECT_ERR(dir_->set_times_at("..", false, t), notcapable);
  EXPECT_ERR(dir_->set_times_at("up/", false, t), notcapable);
  EXPECT_ERR(dir_->set_times_at("out_secret", true, t), notcapable);
  EXPECT_ERR(dir_->set_times_at("abs_secret", true, t), notcapable);
  EXPECT_ERR(dir_->set_times_at("via_sub", true, t), notcapable);
  // Not following, the link's own times are set: it is inside.
  EXPECT_ERR(dir_->set_times_at("out_secret", false, t), success);
  EXPECT_EQ(mtime_ns(lstat_host(mnt_ / "out_secret")), 5u);
}

TEST_F(HostDirEscapeTest, RenameAndLinkCannotLeave) {
  const std::vector<std::string> outside_targets{"../stolen",       "a/../../stolen",
                                                 "up/stolen",       "root/tmp/stolen",
                                                 "sub/../../stolen", (base_ / "stolen").string()};
  for (const std::string& out : outside_targets) {
    SCOPED_TRACE(out);
    EXPECT_ERR(dir_->rename("file", *dir_, out), notcapable);
    EXPECT_ERR(dir_->link("file", false, *dir_, out), notcapable);
    EXPECT_ERR(dir_->link("file", true, *dir_, out), notcapable);
    EXPECT_ERR(dir_->symlink("file", out), notcapable);
    EXPECT_ERR(dir_->rename("a", *dir_, out), notcapable);
  }
  const std::vector<std::string> outside_sources{"../secret", "a/../../secret", "up/secret",
                                                 "up/mnt",    "..",
                                                 (base_ / "secret").string()};
  for (const std::string& in : outside_sources) {
    SCOPED_TRACE(in);
    EXPECT_ERR(dir_->rename(in, *dir_, "stolen"), notcapable);
    EXPECT_ERR(dir_->link(in, false, *dir_, "stolen"), notcapable);
    EXPECT_ERR(dir_->link(in, true, *dir_, "stolen"), notcapable);
  }
  EXPECT_FALSE(exists_host(mnt_ / "stolen"));
  EXPECT_EQ(read_host(mnt_ / "file"), "inside");
  EXPECT_TRUE(fs::is_directory(mnt_ / "a"));
}

// linkat(AT_SYMLINK_FOLLOW) follows the source symlink with no beneath check: both the
// secret and the mount are on one filesystem here, so such a bug would really hard-link it.
TEST_F(HostDirEscapeTest, LinkFollowDoesNotHardLinkWhatASymlinkPointsToOutside) {
  for (std::string p : {"abs_secret", "out_secret", "sub/esc", "via_sub", "up"}) {
    SCOPED_TRACE(p);
    EXPECT_ERR(dir_->link(p, true, *dir_, "hl"), notcapable);
    EXPECT_FALSE(exists_host(mnt_ / "hl"));
  }
  // Without following, the symlink itself is linked, which is inside and harmless.
  ASSERT_ERR(dir_->link("abs_secret", false, *dir_, "hl"), success);
  EXPECT_TRUE(fs::is_symlink(mnt_ / "hl"));
  EXPECT_ERR(dir_->open("hl", rd()), notcapable);
}

TEST_F(HostDirEscapeTest, SubDirCannotFollowLinksAboveIt) {
  auto sub = open_dir(*dir_, "sub", dir_req());
  ASSERT_NE(sub, nullptr);
  // "up_file" stays inside the mount but leaves the sub-Dir: the sub-Dir refuses it.
  EXPECT_ERR(sub->open("up_file", rd()), notcapable);
  EXPECT_ERR(sub->stat_at("up_file", true), notcapable);
  EXPECT_ERR(sub->open("esc", rd()), notcapable);
  EXPECT_ERR(sub->open("../file", rd()), notcapable);
  EXPECT_ERR(sub->rename("esc", *sub, "../esc2"), notcapable);
  EXPECT_ERR(sub->link("up_file", true, *sub, "hl"), notcapable);
  EXPECT_ERR(sub->symlink("../file", "l"), notcapable);  // fine from the root, not from here
  EXPECT_FALSE(exists_host(mnt_ / "sub" / "hl"));
  EXPECT_FALSE(exists_host(mnt_ / "sub" / "l"));
  // Through the root Dir the same link is fine.
  auto f = open_file(*dir_, "sub/up_file", rd());
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(get(*f, 10), "inside");
}

TEST_F(HostDirEscapeTest, SymlinkCreationRefusesTargetsThatPointOut) {
  const std::vector<std::string> targets{"/",     "/etc/passwd",  (base_ / "secret").string(),
                                         "..",    "../secret",    "a/../../secret",
                                         "./..",  "a/b/../../..", "../mnt/file"};
  for (const std::string& target : targets) {
    SCOPED_TRACE(target);
    EXPECT_ERR(dir_->symlink(target, "l"), notcapable);
    EXPECT_FALSE(exists_host(mnt_ / "l"));
  }
  // From a subdirectory, one `..` is fine and two are not.
  EXPECT_ERR(dir_->symlink("../../secret", "a/l"), notcapable);
  EXPECT_ERR(dir_->symlink("../b/../../../x", "a/b/l"), notcapable);
  EXPECT_ERR(dir_->symlink("../file", "a/l"), success);
  EXPECT_ERR(dir_->symlink("../../file", "a/b/l"), success);
  // A symlinked parent does not make a link deeper than it is: "self" is the root, so
  // "self/l" -> "../secret" would point out for anyone following it on the host.
  fs::create_symlink(".", mnt_ / "self");
  EXPECT_ERR(dir_->symlink("../secret", "self/l"), notcapable);
  EXPECT_FALSE(exists_host(mnt_ / "l"));
  // The smaller of the two depths counts: "deep" is a/b (depth 2) while the guest's path
  // says 1, and the lexical depth is what the interface documents.
  fs::create_symlink("a/b", mnt_ / "deep");
  EXPECT_ERR(dir_->symlink("../../file", "deep/l2"), notcapable);
  EXPECT_ERR(dir_->symlink("../file", "deep/l2"), success);
  EXPECT_EQ(fs::read_symlink(mnt_ / "a" / "b" / "l2"), "../file");
}

// ---------------------------------------------------------------------------------------
// Read-only mounts and mount boundaries

TEST_F(HostDirTest, ReadOnlyMountRefusesEveryMutation) {
  write_host(mnt_ / "f", "data");
  fs::create_directories(mnt_ / "d" / "e");
  fs::create_symlink("f", mnt_ / "l");
  const auto before = snapshot(mnt_);
  const struct stat f_before = lstat_host(mnt_ / "f");
  const struct stat d_before = lstat_host(mnt_ / "d");

  auto r = open_host_dir(mnt_.string(), true);
  ASSERT_TRUE(r.ok());
  auto ro = *r;
  EXPECT_TRUE(ro->read_only());
  Times t;
  t.flags = fstflags::atim_now | fstflags::mtim_now;

  EXPECT_ERR(ro->open("f", rw()), rofs);
  EXPECT_ERR(ro->open("f", rw(oflags::trunc)), rofs);
  EXPECT_ERR(ro->open("new", rw(oflags::creat)), rofs);
  OpenRequest creat_only;
  creat_only.oflags = oflags::creat;
  EXPECT_ERR(ro->open("new", creat_only), rofs);
  OpenRequest trunc_only;
  trunc_only.oflags = oflags::trunc;
  EXPECT_ERR(ro->open("f", trunc_only), rofs);
  EXPECT_ERR(ro->mkdir("x"), rofs);
  EXPECT_ERR(ro->rmdir("d/e"), rofs);
  EXPECT_ERR(ro->unlink("f"), rofs);
  EXPECT_ERR(ro->symlink("f", "l2"), rofs);
  EXPECT_ERR(ro->rename("f", *ro, "g"), rofs);
  EXPECT_ERR(ro->link("f", false, *ro, "g"), rofs);
  EXPECT_ERR(ro->link("f", true, *ro, "g"), rofs);
  EXPECT_ERR(ro->set_times_at("f", true, t), rofs);
  EXPECT_ERR(ro->set_times_at("l", false, t), rofs);
  EXPECT_ERR(ro->set_times(t), rofs);

  // Reading works; the file refuses every write.
  auto f = open_file(*ro, "f", rd());
  ASSERT_NE(f, nullptr);
  EXPECT_FALSE(f->writable());
  EXPECT_EQ(get(*f, 10), "data");
  EXPECT_ERR(put(*f, "x"), rofs);
  std::string x = "x";
  iovec v{x.data(), 1};
  EXPECT_ERR(f->pwrite({&v, 1}, 0), rofs);
  EXPECT_ERR(f->set_size(0), rofs);
  EXPECT_ERR(f->allocate(0, 100), rofs);
  EXPECT_ERR(f->set_times(t), rofs);
  EXPECT_ERR(f->set_fdflags(fdflags::append), success);  // harmless without write access
  EXPECT_ERR(put(*f, "x"), rofs);
  EXPECT_TRUE(ro->stat_at("l", false).ok());
  EXPECT_EQ(names_of(read_all(*ro)),
            (std::multiset<std::string>{".", "..", "f", "d", "l"}));

  // Sub-Dirs inherit it, however they are opened.
  for (auto& req : {OpenRequest{}, dir_req()}) {
    auto sub = open_dir(*ro, "d", req);
    ASSERT_NE(sub, nullptr);
    EXPECT_TRUE(sub->read_only());
    EXPECT_ERR(sub->mkdir("x"), rofs);
    EXPECT_ERR(sub->rmdir("e"), rofs);
    EXPECT_ERR(sub->set_times(t), rofs);
    EXPECT_ERR(sub->open("new", rw(oflags::creat)), rofs);
    // ... and rename/link from them into the read-only root stay read-only.
    EXPECT_ERR(sub->rename("e", *ro, "e2"), rofs);
  }

  EXPECT_EQ(snapshot(mnt_), before);
  struct stat f_after = lstat_host(mnt_ / "f"), d_after = lstat_host(mnt_ / "d");
  EXPECT_EQ(mtime_ns(f_after), mtime_ns(f_before));
  EXPECT_EQ(f_after.st_size, f_before.st_size);
  EXPECT_EQ(mtime_ns(d_after), mtime_ns(d_before));
}

// A Dir of some other mount type, for the EXDEV checks.
class OtherDir final : public Dir {
 public:
  Result<Filestat> stat() override { return Errno::notsup; }
  Errno set_times(const Times&) override { return Errno::notsup; }
  bool read_only() const override { return false; }
  Result<Opened> open(std::string_view, const OpenRequest&) override { return Errno::notsup; }
  Result<Filestat> stat_at(std::string_view, bool) override { return Errno::notsup; }
  Errno set_times_at(std::string_view, bool, const Times&) override { return Errno::notsup; }
  Errno mkdir(std::string_view) override { return Errno::notsup; }
  Errno rmdir(std::string_view) override { return Errno::notsup; }
  Errno unlink(std::string_view) override { return Errno::notsup; }
  Result<std::string> readlink(std::string_view) override { return Errno::notsup; }
  Errno symlink(std::string_view, std::string_view) override { return Errno::notsup; }
  Errno rename(std::string_view, Dir&, std::string_view) override { return Errno::notsup; }
  Errno link(std::string_view, bool, Dir&, std::string_view) override { return Errno::notsup; }
  Result<std::vector<Dirent>> readdir(uint64_t, size_t) override { return Errno::notsup; }
};

TEST_F(HostDirTest, RenameAndLinkAcrossMountsAreExdev) {
  fs::create_directories(base_ / "m1");
  fs::create_directories(base_ / "m2");
  write_host(base_ / "m1" / "f", "one");
  auto m1 = open_host_dir((base_ / "m1").string(), false);
  auto m2 = open_host_dir((base_ / "m2").string(), false);
  auto m1_ro = open_host_dir((base_ / "m1").string(), true);
  ASSERT_TRUE(m1.ok() && m2.ok() && m1_ro.ok());
  Dir& a = **m1;
  Dir& b = **m2;
  OtherDir other;

  EXPECT_ERR(a.rename("f", b, "f"), xdev);
  EXPECT_ERR(a.link("f", false, b, "f"), xdev);
  EXPECT_ERR(a.link("f", true, b, "f"), xdev);
  EXPECT_ERR(a.rename("f", other, "f"), xdev);
  EXPECT_ERR(a.link("f", false, other, "f"), xdev);
  // The same directory mounted read-only is another mount, both ways.
  EXPECT_ERR(a.rename("f", **m1_ro, "g"), xdev);
  EXPECT_ERR((*m1_ro)->rename("f", a, "g"), xdev);
  EXPECT_ERR(a.link("f", false, **m1_ro, "g"), xdev);
  // A sub-Dir of another mount is of that mount.
  ASSERT_EQ(::mkdir((base_ / "m2" / "sub").c_str(), 0777), 0);
  auto b_sub = open_dir(b, "sub", dir_req());
  ASSERT_NE(b_sub, nullptr);
  EXPECT_ERR(a.rename("f", *b_sub, "f"), xdev);
  EXPECT_ERR(a.rename("f", *dir_, "f"), xdev);

  EXPECT_EQ(read_host(base_ / "m1" / "f"), "one");
  EXPECT_FALSE(exists_host(base_ / "m2" / "f"));
  EXPECT_FALSE(exists_host(base_ / "m2" / "sub" / "f"));
  EXPECT_FALSE(exists_host(base_ / "m1" / "g"));
  EXPECT_FALSE(exists_host(mnt_ / "f"));

  // Two opens of one host directory with the same access are one mount.
  auto m1_again = open_host_dir((base_ / "m1").string(), false);
  ASSERT_TRUE(m1_again.ok());
  ASSERT_ERR(a.rename("f", **m1_again, "g"), success);
  EXPECT_EQ(read_host(base_ / "m1" / "g"), "one");
}

TEST_F(HostDirTest, NoFdLeaks) {
  write_host(mnt_ / "f", "x");
  fs::create_directories(mnt_ / "d");
  fs::create_symlink("../x", mnt_ / "d" / "out");
  const int before = open_fd_count();
  {
    auto root = open_host_dir(mnt_.string(), false);
    ASSERT_TRUE(root.ok());
    Dir& r = **root;
    for (int i = 0; i < 20; ++i) {
      auto f = open_file(r, "f", rw());
      auto d = open_dir(r, "d");
      auto d2 = open_dir(r, "d", dir_req());
      (void)r.readdir(0, SIZE_MAX);
      (void)d->readdir(0, SIZE_MAX);
      (void)r.stat_at("d/out", true);
      (void)r.open("d/out", rd());
      (void)r.symlink("f", "d/l");
      (void)r.readlink("d/l");
      (void)r.link("d/l", true, r, "hl");
      (void)r.rename("hl", *d, "hl2");
      (void)r.unlink("d/hl2");
      (void)r.unlink("d/l");
      (void)r.mkdir("e");
      (void)r.rmdir("e");
      Times t;
      t.flags = fstflags::mtim_now;
      (void)r.set_times_at("f", true, t);
      (void)d->set_times(t);
      (void)d->sync();
      (void)r.link("d/out", true, r, "x");
    }
  }
  EXPECT_EQ(open_fd_count(), before);
}

}  // namespace
