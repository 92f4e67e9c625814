// The overlay mount (src/wasi/vfs/overlay.cpp): a host directory whose writes stay in
// memory. Every test checks in TearDown that the host tree is byte-for-byte and
// timestamp-for-timestamp what it was; the errno checks are also run against Linux itself
// on a scratch copy (ErrnoParity), so "as Linux would" is measured, not assumed.
#include <dirent.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <thread>

#include "wasi/vfs/overlay.hpp"
#include "wasi/vfs/vfs.hpp"

// Errnos print by name in failures. Internal linkage: other tests in this binary may have
// their own (argument-dependent lookup still finds it here).
namespace isola::wasi {
static void PrintTo(Errno e, std::ostream* os) { *os << errno_name(e); }
}  // namespace isola::wasi

namespace {

using namespace isola::wasi;
using namespace isola::wasi::vfs;
namespace fs = std::filesystem;

template <class T>
Errno err(const Result<T>& r) {
  return r ? Errno::success : r.error();
}

OpenRequest rd() { return OpenRequest{}; }
OpenRequest wr(uint16_t of = 0, uint16_t ff = 0) {
  OpenRequest r;
  r.write = true;
  r.oflags = of;
  r.fdflags = ff;
  return r;
}
constexpr uint16_t kCreat = oflags::creat, kTrunc = oflags::trunc, kExcl = oflags::excl,
                   kDirectory = oflags::directory;

std::shared_ptr<File> open_file(Dir& d, std::string_view path, const OpenRequest& req) {
  auto r = d.open(path, req);
  if (!r) {
    ADD_FAILURE() << "open " << path << ": " << errno_name(r.error());
    return nullptr;
  }
  EXPECT_TRUE(r->file) << path;
  return r->file;
}

std::shared_ptr<Dir> open_dir(Dir& d, std::string_view path) {
  auto r = d.open(path, rd());
  if (!r) {
    ADD_FAILURE() << "open dir " << path << ": " << errno_name(r.error());
    return nullptr;
  }
  EXPECT_TRUE(r->dir) << path;
  return r->dir;
}

Result<size_t> put(File& f, std::string_view s) {
  iovec v{const_cast<char*>(s.data()), s.size()};
  return f.write(std::span<const iovec>(&v, 1));
}

Result<size_t> put_at(File& f, std::string_view s, uint64_t off) {
  iovec v{const_cast<char*>(s.data()), s.size()};
  return f.pwrite(std::span<const iovec>(&v, 1), off);
}

Result<std::string> get_at(File& f, size_t n, uint64_t off) {
  std::string s(n, '\0');
  iovec v{s.data(), s.size()};
  auto r = f.pread(std::span<const iovec>(&v, 1), off);
  if (!r) return r.error();
  s.resize(*r);
  return s;
}

Result<std::string> read_rest(File& f) {
  std::string out;
  char buf[1000];
  for (;;) {
    iovec v{buf, sizeof buf};
    auto r = f.read(std::span<const iovec>(&v, 1));
    if (!r) return r.error();
    if (*r == 0) return out;
    out.append(buf, *r);
  }
}

Result<std::string> slurp(Dir& d, std::string_view path) {
  auto o = d.open(path, rd());
  if (!o) return o.error();
  if (!o->file) return Errno::isdir;
  return read_rest(*o->file);
}

Errno spit(Dir& d, std::string_view path, std::string_view content,
           uint16_t of = kCreat | kTrunc) {
  auto o = d.open(path, wr(of));
  if (!o) return o.error();
  auto n = put(*o->file, content);
  if (!n) return n.error();
  return *n == content.size() ? Errno::success : Errno::io;
}

// Every name readdir gives, in order, following the cookies with small reads.
std::vector<std::string> listing(Dir& d, size_t min_bytes = 64) {
  std::vector<std::string> names;
  uint64_t cookie = 0;
  for (int guard = 0; guard < 100000; ++guard) {
    auto r = d.readdir(cookie, min_bytes);
    if (!r) {
      ADD_FAILURE() << "readdir: " << errno_name(r.error());
      break;
    }
    if (r->empty()) break;
    for (const Dirent& e : *r) names.push_back(e.name);
    cookie = r->back().next;
  }
  return names;
}

std::vector<std::string> names_in(Dir& d, std::string_view path) {
  auto sub = path == "." ? nullptr : open_dir(d, path);
  auto v = listing(sub ? *sub : d);
  v.erase(std::remove_if(v.begin(), v.end(),
                         [](const std::string& n) { return n == "." || n == ".."; }),
          v.end());
  return v;
}

using Names = std::vector<std::string>;

// Concatenation by append: GCC 12 at -O3 warns falsely (-Wrestrict) on "x" + std::string.
std::string cat(std::initializer_list<std::string_view> parts) {
  std::string s;
  for (std::string_view p : parts) s.append(p);
  return s;
}
std::string num(uint64_t n) { return std::to_string(n); }

// Another kind of Dir (as a host_dir mount would be): renames and links to it are EXDEV.
class ForeignDir final : public Dir {
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

// ---------------------------------------------------------------------------------------
// Host fixtures

void write_host(const fs::path& p, std::string_view content) {
  std::ofstream o(p, std::ios::binary);
  o << content;
}

uint64_t ns(const timespec& t) { return uint64_t(t.tv_sec) * 1000000000ull + uint64_t(t.tv_nsec); }

// What must not change: every name, type, mode, size, mtime, ctime, content, link target.
std::map<std::string, std::string> snapshot(const fs::path& root) {
  std::map<std::string, std::string> snap;
  std::vector<fs::path> todo{root};
  while (!todo.empty()) {
    fs::path dir = todo.back();
    todo.pop_back();
    for (const auto& e : fs::directory_iterator(dir)) {
      struct stat st;
      if (::lstat(e.path().c_str(), &st) != 0) continue;
      std::string d = cat({num(st.st_mode), " ", num(uint64_t(st.st_size)), " ",
                           num(ns(st.st_mtim)), " ", num(ns(st.st_ctim)), " ", num(st.st_nlink)});
      if (S_ISREG(st.st_mode)) {
        std::ifstream in(e.path(), std::ios::binary);
        d.append(" [").append(std::istreambuf_iterator<char>(in), {}).append("]");
      } else if (S_ISLNK(st.st_mode)) {
        d.append(" -> ").append(fs::read_symlink(e.path()).string());
      } else if (S_ISDIR(st.st_mode)) {
        todo.push_back(e.path());
      }
      // Not fs::relative: it canonicalises, following the fixture's symlink loops.
      snap[e.path().string().substr(root.string().size())] = d;
    }
  }
  return snap;
}

class OverlayTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/isola-overlay-test-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    top_ = tmpl;
    host_ = top_ / "host";
    fs::create_directories(host_ / "sub" / "deep");
    fs::create_directories(host_ / "empty");
    fs::create_directories(top_ / "outside");
    write_host(host_ / "a.txt", "alpha");
    write_host(host_ / "b.txt", "bravo");
    write_host(host_ / "sub" / "c.txt", "charlie");
    write_host(host_ / "sub" / "deep" / "d.txt", "delta");
    write_host(top_ / "outside" / "secret.txt", "secret");
    write_host(top_ / "outside" / "big.bin", std::string(40 * 1024, 'h'));
    fs::create_symlink("a.txt", host_ / "link_to_a");
    fs::create_symlink("sub", host_ / "link_to_sub");
    fs::create_symlink("/", host_ / "esc_root");
    fs::create_symlink("..", host_ / "esc_up");
    fs::create_symlink("../outside/secret.txt", host_ / "esc_out");
    fs::create_symlink("loop2", host_ / "loop1");
    fs::create_symlink("loop1", host_ / "loop2");
    fs::create_symlink("../a.txt", host_ / "sub" / "up");
    ASSERT_EQ(::mkfifo((host_ / "fifo").c_str(), 0644), 0);
    // Old times, so that a write that touched the host could not hide in the same tick.
    for (const char* p : {"a.txt", "b.txt", "sub/c.txt", "sub/deep/d.txt"}) {
      timespec ts[2] = {{1000000, 0}, {1000000, 0}};
      ::utimensat(AT_FDCWD, (host_ / p).c_str(), ts, 0);
    }
    before_ = snapshot(top_);
    scratch_ = top_.string() + "-scratch";
    fs::create_directories(scratch_);
    auto o = open_overlay(host_.string());
    ASSERT_TRUE(o) << errno_name(o.error());
    ov_ = *o;
  }

  void TearDown() override {
    ov_.reset();
    EXPECT_EQ(snapshot(top_), before_) << "the host tree changed";
    std::error_code ec;
    fs::remove_all(top_, ec);
    fs::remove_all(scratch_, ec);
  }

  Dir& d() { return *ov_; }

  fs::path top_, host_, scratch_;  // scratch_: not part of the checked tree
  std::map<std::string, std::string> before_;
  std::shared_ptr<Dir> ov_;
};

// ---------------------------------------------------------------------------------------
// Reading the host through the overlay

TEST_F(OverlayTest, ReadsHostFilesAndDirectories) {
  EXPECT_EQ(*slurp(d(), "a.txt"), "alpha");
  EXPECT_EQ(*slurp(d(), "sub/c.txt"), "charlie");
  EXPECT_EQ(*slurp(d(), "sub/deep/d.txt"), "delta");
  EXPECT_EQ(*slurp(d(), "link_to_a"), "alpha");
  EXPECT_EQ(*slurp(d(), "link_to_sub/c.txt"), "charlie");
  EXPECT_EQ(*slurp(d(), "sub/up"), "alpha");  // a host symlink that stays inside
  EXPECT_EQ(*slurp(d(), "./sub/../a.txt"), "alpha");
  EXPECT_FALSE(d().read_only());

  auto st = d().stat_at("a.txt", true);
  ASSERT_TRUE(st);
  struct stat hs;
  ASSERT_EQ(::stat((host_ / "a.txt").c_str(), &hs), 0);
  EXPECT_EQ(st->type, Filetype::regular_file);
  EXPECT_EQ(st->size, 5u);
  EXPECT_EQ(st->ino, hs.st_ino);
  EXPECT_EQ(st->mtim, 1000000ull * 1000000000ull);
  EXPECT_EQ(d().stat_at("link_to_a", false)->type, Filetype::symbolic_link);
  EXPECT_EQ(d().stat_at("link_to_a", true)->type, Filetype::regular_file);
  EXPECT_EQ(d().stat_at("sub", true)->type, Filetype::directory);
  EXPECT_EQ(*d().readlink("link_to_a"), "a.txt");
  EXPECT_EQ(err(d().readlink("a.txt")), Errno::inval);

  EXPECT_EQ(names_in(d(), "."),
            (Names{"a.txt", "b.txt", "empty", "esc_out", "esc_root", "esc_up", "fifo", "link_to_a",
                   "link_to_sub", "loop1", "loop2", "sub"}));
  EXPECT_EQ(names_in(d(), "sub"), (Names{"c.txt", "deep", "up"}));
}

TEST_F(OverlayTest, ReadOnlyFileReportsItself) {
  auto f = open_file(d(), "a.txt", rd());
  ASSERT_TRUE(f);
  EXPECT_EQ(f->type(), Filetype::regular_file);
  EXPECT_FALSE(f->writable());
  EXPECT_EQ(f->poll_fd(), -1);
  EXPECT_EQ(err(put(*f, "x")), Errno::badf);
  EXPECT_EQ(f->set_size(0), Errno::inval);
  EXPECT_EQ(*f->seek(-2, Whence::end), 3u);
  EXPECT_EQ(*read_rest(*f), "ha");
  EXPECT_EQ(err(f->seek(-10, Whence::cur)), Errno::inval);
  EXPECT_EQ(f->sync(), Errno::success);
  EXPECT_EQ(f->datasync(), Errno::success);
  EXPECT_EQ(f->advise(0, 5, Advice::sequential), Errno::success);
}

TEST_F(OverlayTest, HostSpecialFilesCannotBeOpened) {
  // A FIFO on the host would block or reach another process: refused, but listed.
  EXPECT_EQ(err(d().open("fifo", rd())), Errno::acces);
  EXPECT_EQ(err(d().open("fifo", wr())), Errno::acces);
  EXPECT_EQ(d().stat_at("fifo", false)->type, Filetype::unknown);
  EXPECT_EQ(d().rename("fifo", d(), "fifo2"), Errno::xdev);
  EXPECT_EQ(d().unlink("fifo"), Errno::success);  // hiding it is fine
  EXPECT_EQ(err(d().stat_at("fifo", false)), Errno::noent);
}

// ---------------------------------------------------------------------------------------
// Writes stay inside

TEST_F(OverlayTest, NewFilesAreVisibleInsideOnly) {
  ASSERT_EQ(spit(d(), "new.txt", "hello"), Errno::success);
  ASSERT_EQ(spit(d(), "sub/deep/new2.txt", "world"), Errno::success);
  EXPECT_EQ(*slurp(d(), "new.txt"), "hello");
  EXPECT_EQ(*slurp(d(), "sub/deep/new2.txt"), "world");
  EXPECT_FALSE(fs::exists(host_ / "new.txt"));
  EXPECT_FALSE(fs::exists(host_ / "sub/deep/new2.txt"));

  // Seen through other Dirs of the same overlay, opened before and after.
  auto sub = open_dir(d(), "sub");
  auto deep = open_dir(*sub, "deep");
  EXPECT_EQ(*slurp(*deep, "new2.txt"), "world");
  ASSERT_EQ(spit(*deep, "via_view.txt", "v"), Errno::success);
  EXPECT_EQ(*slurp(d(), "sub/deep/via_view.txt"), "v");
  EXPECT_EQ(names_in(*deep, "."), (Names{"d.txt", "new2.txt", "via_view.txt"}));
  auto root2 = open_dir(d(), ".");
  EXPECT_EQ(*slurp(*root2, "new.txt"), "hello");
  ASSERT_EQ(root2->unlink("new.txt"), Errno::success);
  EXPECT_EQ(err(slurp(d(), "new.txt")), Errno::noent);
}

TEST_F(OverlayTest, WritesVanishWithTheOverlay) {
  ASSERT_EQ(spit(d(), "new.txt", "hello"), Errno::success);
  ASSERT_EQ(spit(d(), "a.txt", "changed"), Errno::success);
  ASSERT_EQ(d().unlink("b.txt"), Errno::success);
  ASSERT_EQ(d().mkdir("newdir"), Errno::success);
  ASSERT_EQ(d().rename("sub", d(), "sub2"), Errno::success);

  // A File keeps the overlay alive after its Dir is gone.
  auto f = open_file(d(), "new.txt", wr());
  ov_.reset();
  ASSERT_TRUE(f);
  EXPECT_EQ(*get_at(*f, 10, 0), "hello");
  EXPECT_EQ(*put_at(*f, "J", 0), 1u);
  EXPECT_EQ(*get_at(*f, 10, 0), "Jello");
  f.reset();

  auto o = open_overlay(host_.string());
  ASSERT_TRUE(o);
  ov_ = *o;
  EXPECT_EQ(err(d().stat_at("new.txt", false)), Errno::noent);
  EXPECT_EQ(err(d().stat_at("newdir", false)), Errno::noent);
  EXPECT_EQ(*slurp(d(), "a.txt"), "alpha");
  EXPECT_EQ(*slurp(d(), "b.txt"), "bravo");
  EXPECT_EQ(*slurp(d(), "sub/c.txt"), "charlie");
}

TEST_F(OverlayTest, TwoOverlaysOfOneHostDirAreIndependent) {
  auto o2 = open_overlay(host_.string());
  ASSERT_TRUE(o2);
  ASSERT_EQ(spit(d(), "a.txt", "one"), Errno::success);
  EXPECT_EQ(*slurp(**o2, "a.txt"), "alpha");
  EXPECT_NE(d().stat()->dev, (*o2)->stat()->dev);
}

TEST_F(OverlayTest, CopyUpPreservesContents) {
  auto f = open_file(d(), "a.txt", wr());
  ASSERT_TRUE(f);
  EXPECT_TRUE(f->writable());
  EXPECT_EQ(*put_at(*f, "XY", 2), 2u);
  EXPECT_EQ(*get_at(*f, 100, 0), "alXYa");
  EXPECT_EQ(*slurp(d(), "a.txt"), "alXYa");
  struct stat hs;
  ASSERT_EQ(::stat((host_ / "a.txt").c_str(), &hs), 0);
  auto st = d().stat_at("a.txt", true);
  EXPECT_EQ(st->ino, hs.st_ino);  // copy-up keeps the inode number
  EXPECT_EQ(st->size, 5u);
  EXPECT_NE(st->mtim, 1000000ull * 1000000000ull);  // the write moved it

  // Deep host file, written through a symlink.
  ASSERT_EQ(spit(d(), "link_to_sub/deep/d.txt", "DELTA!", 0), Errno::success);
  EXPECT_EQ(*slurp(d(), "sub/deep/d.txt"), "DELTA!");
}

TEST_F(OverlayTest, ReadersShareTheWritersContents) {
  auto r = open_file(d(), "a.txt", rd());
  auto w = open_file(d(), "a.txt", wr());
  ASSERT_TRUE(r && w);
  EXPECT_EQ(*get_at(*r, 100, 0), "alpha");
  EXPECT_EQ(*put_at(*w, "A", 0), 1u);
  EXPECT_EQ(*get_at(*r, 100, 0), "Alpha");  // no stale host view after copy-up
  EXPECT_EQ(r->stat()->size, 5u);
  EXPECT_EQ(w->set_size(2), Errno::success);
  EXPECT_EQ(*get_at(*r, 100, 0), "Al");
}

TEST_F(OverlayTest, TruncateAndSetSize) {
  auto f = open_file(d(), "a.txt", wr(kTrunc));
  ASSERT_TRUE(f);
  EXPECT_EQ(f->stat()->size, 0u);
  EXPECT_EQ(*slurp(d(), "a.txt"), "");
  f.reset();

  auto g = open_file(d(), "b.txt", wr());
  ASSERT_TRUE(g);
  EXPECT_EQ(g->set_size(3), Errno::success);  // copies only what stays
  EXPECT_EQ(*slurp(d(), "b.txt"), "bra");
  EXPECT_EQ(g->set_size(6), Errno::success);
  EXPECT_EQ(*slurp(d(), "b.txt"), std::string("bra\0\0\0", 6));
  EXPECT_EQ(g->allocate(0, 10), Errno::success);
  EXPECT_EQ(g->stat()->size, 10u);
  EXPECT_EQ(g->allocate(0, 4), Errno::success);  // never shrinks
  EXPECT_EQ(g->stat()->size, 10u);
  EXPECT_EQ(g->allocate(0, 0), Errno::inval);
  EXPECT_EQ(g->set_size(uint64_t(1) << 63), Errno::fbig);
}

TEST_F(OverlayTest, SeekReadWriteAndAppend) {
  auto f = open_file(d(), "s.txt", wr(kCreat, fdflags::append));
  ASSERT_TRUE(f);
  EXPECT_EQ(f->fdflags(), fdflags::append);
  EXPECT_EQ(*put(*f, "abc"), 3u);
  EXPECT_EQ(*f->seek(0, Whence::set), 0u);
  EXPECT_EQ(*put(*f, "def"), 3u);  // append ignores the position
  EXPECT_EQ(*f->seek(0, Whence::cur), 6u);
  EXPECT_EQ(*put_at(*f, "X", 0), 1u);  // as Linux: pwrite with O_APPEND appends
  EXPECT_EQ(*get_at(*f, 100, 0), "abcdefX");
  EXPECT_EQ(f->set_fdflags(fdflags::nonblock), Errno::success);
  EXPECT_EQ(f->fdflags(), fdflags::nonblock);
  EXPECT_EQ(*f->seek(1, Whence::set), 1u);
  EXPECT_EQ(*put(*f, "Z"), 1u);
  EXPECT_EQ(*f->seek(-1, Whence::end), 6u);
  EXPECT_EQ(*read_rest(*f), "X");
  EXPECT_EQ(*get_at(*f, 100, 0), "aZcdefX");
  EXPECT_EQ(*get_at(*f, 100, 50), "");
  EXPECT_EQ(*put_at(*f, "!", 9), 1u);  // a hole reads as zeros
  EXPECT_EQ(*get_at(*f, 100, 0), std::string("aZcdefX\0\0!", 10));
  EXPECT_EQ(*f->seek(3, Whence::set), 3u);
  // Scattered reads and gathered writes.
  char a[2], b[3];
  iovec v[2] = {{a, 2}, {b, 3}};
  EXPECT_EQ(*f->read(std::span<const iovec>(v, 2)), 5u);
  EXPECT_EQ(std::string(a, 2) + std::string(b, 3), std::string("defX\0", 5));
  iovec w[2] = {{const_cast<char*>("12"), 2}, {const_cast<char*>("345"), 3}};
  EXPECT_EQ(*f->pwrite(std::span<const iovec>(w, 2), 0), 5u);
  EXPECT_EQ(*get_at(*f, 5, 0), "12345");
}

TEST_F(OverlayTest, WriteOnlyFileCannotRead) {
  OpenRequest req = wr(kCreat);
  req.read = false;
  auto f = open_file(d(), "w.txt", req);
  ASSERT_TRUE(f);
  EXPECT_EQ(*put(*f, "x"), 1u);
  char c;
  iovec v{&c, 1};
  EXPECT_EQ(err(f->read(std::span<const iovec>(&v, 1))), Errno::badf);
  EXPECT_EQ(err(f->pread(std::span<const iovec>(&v, 1), 0)), Errno::badf);
}

TEST_F(OverlayTest, OpenFilesOutliveUnlink) {
  ASSERT_EQ(spit(d(), "m.txt", "memory"), Errno::success);
  auto m = open_file(d(), "m.txt", wr());
  auto h = open_file(d(), "a.txt", rd());
  ASSERT_TRUE(m && h);
  ASSERT_EQ(d().unlink("m.txt"), Errno::success);
  ASSERT_EQ(d().unlink("a.txt"), Errno::success);
  EXPECT_EQ(err(d().stat_at("m.txt", false)), Errno::noent);
  EXPECT_EQ(*get_at(*m, 100, 0), "memory");
  EXPECT_EQ(*put_at(*m, "M", 0), 1u);
  EXPECT_EQ(*get_at(*m, 100, 0), "Memory");
  EXPECT_EQ(m->stat()->nlink, 0u);
  EXPECT_EQ(*get_at(*h, 100, 0), "alpha");
  // A new file of the same name is another file.
  ASSERT_EQ(spit(d(), "m.txt", "new"), Errno::success);
  EXPECT_EQ(*get_at(*m, 100, 0), "Memory");
  EXPECT_NE(m->stat()->ino, d().stat_at("m.txt", false)->ino);
}

// ---------------------------------------------------------------------------------------
// Whiteouts, directories

TEST_F(OverlayTest, DeletedHostFileStaysDeletedAndCanBeRecreated) {
  ASSERT_EQ(d().unlink("a.txt"), Errno::success);
  EXPECT_EQ(err(d().stat_at("a.txt", false)), Errno::noent);
  EXPECT_EQ(err(d().open("a.txt", rd())), Errno::noent);
  EXPECT_EQ(d().unlink("a.txt"), Errno::noent);
  EXPECT_EQ(err(slurp(d(), "link_to_a")), Errno::noent);  // dangling now
  EXPECT_EQ(err(slurp(d(), "sub/up")), Errno::noent);
  auto names = names_in(d(), ".");
  EXPECT_EQ(std::count(names.begin(), names.end(), "a.txt"), 0);

  ASSERT_EQ(spit(d(), "a.txt", "reborn", kCreat | kExcl), Errno::success);
  EXPECT_EQ(*slurp(d(), "a.txt"), "reborn");
  EXPECT_EQ(*slurp(d(), "link_to_a"), "reborn");
  names = names_in(d(), ".");
  EXPECT_EQ(std::count(names.begin(), names.end(), "a.txt"), 1);
}

TEST_F(OverlayTest, RemovedHostDirectoryComesBackEmpty) {
  EXPECT_EQ(d().rmdir("sub"), Errno::notempty);
  ASSERT_EQ(d().unlink("sub/c.txt"), Errno::success);
  ASSERT_EQ(d().unlink("sub/up"), Errno::success);
  EXPECT_EQ(d().rmdir("sub"), Errno::notempty);
  ASSERT_EQ(d().unlink("sub/deep/d.txt"), Errno::success);
  ASSERT_EQ(d().rmdir("sub/deep"), Errno::success);
  EXPECT_EQ(names_in(d(), "sub"), Names{});
  ASSERT_EQ(d().rmdir("sub"), Errno::success);
  EXPECT_EQ(err(d().stat_at("sub", false)), Errno::noent);
  EXPECT_EQ(err(d().stat_at("sub/c.txt", false)), Errno::noent);
  EXPECT_EQ(err(d().stat_at("link_to_sub/", false)), Errno::noent);
  // A new directory of that name does not show the host's old contents.
  ASSERT_EQ(d().mkdir("sub"), Errno::success);
  EXPECT_EQ(names_in(d(), "sub"), Names{});
  EXPECT_EQ(err(d().stat_at("sub/c.txt", false)), Errno::noent);
  ASSERT_EQ(spit(d(), "sub/c.txt", "fresh"), Errno::success);
  EXPECT_EQ(*slurp(d(), "sub/c.txt"), "fresh");
  EXPECT_EQ(names_in(d(), "sub"), Names{"c.txt"});
}

TEST_F(OverlayTest, DirectoryCalls) {
  EXPECT_EQ(d().mkdir("n"), Errno::success);
  EXPECT_EQ(d().mkdir("n"), Errno::exist);
  EXPECT_EQ(d().mkdir("sub"), Errno::exist);
  EXPECT_EQ(d().mkdir("a.txt"), Errno::exist);
  EXPECT_EQ(d().mkdir("nope/x"), Errno::noent);
  EXPECT_EQ(d().mkdir("a.txt/x"), Errno::notdir);
  EXPECT_EQ(d().mkdir("n/m/"), Errno::success);
  EXPECT_EQ(d().rmdir("a.txt"), Errno::notdir);
  EXPECT_EQ(d().rmdir("link_to_sub"), Errno::notdir);
  EXPECT_EQ(d().rmdir("n"), Errno::notempty);
  EXPECT_EQ(d().unlink("n"), Errno::isdir);
  EXPECT_EQ(d().unlink("sub"), Errno::isdir);
  EXPECT_EQ(d().rmdir("n/m"), Errno::success);
  EXPECT_EQ(d().rmdir("n"), Errno::success);
  EXPECT_EQ(d().rmdir("n"), Errno::noent);
  EXPECT_EQ(d().rmdir("empty"), Errno::success);
  EXPECT_EQ(d().rmdir("."), Errno::inval);
  EXPECT_EQ(d().rmdir("sub/.."), Errno::notempty);
  EXPECT_EQ(d().unlink("."), Errno::isdir);

  // nlink counts subdirectories of a memory directory.
  ASSERT_EQ(d().mkdir("p"), Errno::success);
  EXPECT_EQ(d().stat_at("p", false)->nlink, 2u);
  ASSERT_EQ(d().mkdir("p/q"), Errno::success);
  ASSERT_EQ(d().mkdir("p/r"), Errno::success);
  EXPECT_EQ(d().stat_at("p", false)->nlink, 4u);
  ASSERT_EQ(d().rmdir("p/r"), Errno::success);
  EXPECT_EQ(d().stat_at("p", false)->nlink, 3u);
  EXPECT_EQ(d().stat_at("p", false)->type, Filetype::directory);
}

TEST_F(OverlayTest, OpenFlags) {
  EXPECT_EQ(err(d().open("sub", wr())), Errno::isdir);
  EXPECT_EQ(err(d().open("sub", wr(kCreat))), Errno::isdir);
  EXPECT_EQ(err(d().open("a.txt", wr(kDirectory))), Errno::notdir);
  EXPECT_EQ(err(d().open("a.txt/", rd())), Errno::notdir);
  EXPECT_EQ(err(d().open("a.txt", wr(kCreat | kExcl))), Errno::exist);
  EXPECT_EQ(err(d().open("link_to_a", wr(kCreat | kExcl))), Errno::exist);
  EXPECT_EQ(err(d().open("nope", rd())), Errno::noent);
  EXPECT_EQ(err(d().open("nope/x", wr(kCreat))), Errno::noent);
  EXPECT_EQ(err(d().open("x/", wr(kCreat))), Errno::isdir);
  EXPECT_EQ(err(d().open("x", wr(kCreat | kDirectory))), Errno::inval);
  OpenRequest nf = rd();
  nf.follow = false;
  EXPECT_EQ(err(d().open("link_to_a", nf)), Errno::loop);
  nf.oflags = kDirectory;
  EXPECT_EQ(err(d().open("link_to_sub", nf)), Errno::notdir);
  auto sub = d().open("sub", wr(kDirectory));
  EXPECT_EQ(err(sub), Errno::isdir);
  auto s2 = d().open("link_to_sub/", rd());
  ASSERT_TRUE(s2);
  EXPECT_TRUE(s2->dir);
  EXPECT_FALSE(s2->file);

  // O_CREAT through a dangling symlink creates its target, as Linux does.
  ASSERT_EQ(d().unlink("a.txt"), Errno::success);
  ASSERT_EQ(spit(d(), "link_to_a", "via link", kCreat), Errno::success);
  EXPECT_EQ(*slurp(d(), "a.txt"), "via link");
}

// Shadow nodes of host directories are dropped when nothing needs them; what does need
// them (an open Dir, changed times) must keep them.
TEST_F(OverlayTest, ShadowDirectoriesKeepWhatMatters) {
  auto sub = open_dir(d(), "sub");
  // Opening and closing a host file below makes, then drops, its shadow entry.
  EXPECT_EQ(*slurp(d(), "sub/c.txt"), "charlie");
  EXPECT_EQ(*slurp(d(), "sub/deep/d.txt"), "delta");
  ASSERT_EQ(spit(d(), "sub/new", "n"), Errno::success);
  EXPECT_EQ(*slurp(*sub, "new"), "n");  // the open view is still the overlay's "sub"
  ASSERT_EQ(d().unlink("sub/new"), Errno::success);
  EXPECT_EQ(err(sub->stat_at("new", false)), Errno::noent);

  Times t;
  t.mtim = 777;
  t.flags = fstflags::mtim;
  {
    auto deep = open_dir(d(), "sub/deep");
    ASSERT_EQ(deep->set_times(t), Errno::success);
  }
  EXPECT_EQ(*slurp(d(), "sub/deep/d.txt"), "delta");
  EXPECT_EQ(d().stat_at("sub/deep", false)->mtim, 777u);
  ASSERT_EQ(d().set_times_at("empty", false, t), Errno::success);
  { auto e = open_dir(d(), "empty"); }
  EXPECT_EQ(d().stat_at("empty", false)->mtim, 777u);
  // A host file with only new times keeps them after its last File closes.
  { auto f = open_file(d(), "b.txt", rd()); ASSERT_EQ(f->set_times(t), Errno::success); }
  EXPECT_EQ(d().stat_at("b.txt", false)->mtim, 777u);
  // Many views of host directories opened and closed leave the tree as it was.
  for (int i = 0; i < 200; ++i) {
    auto v = open_dir(d(), i % 2 ? "sub/deep" : "link_to_sub");
    ASSERT_TRUE(v);
  }
  EXPECT_EQ(names_in(d(), "sub"), (Names{"c.txt", "deep", "up"}));
}

// ---------------------------------------------------------------------------------------
// Renames and links

TEST_F(OverlayTest, RenameHostFileAndDirectory) {
  ASSERT_EQ(d().rename("a.txt", d(), "z.txt"), Errno::success);
  EXPECT_EQ(err(d().stat_at("a.txt", false)), Errno::noent);
  EXPECT_EQ(*slurp(d(), "z.txt"), "alpha");

  // A host directory moves with everything below it (host entries and upper ones).
  ASSERT_EQ(spit(d(), "sub/deep/up.txt", "upper"), Errno::success);
  auto deep = open_dir(d(), "sub/deep");
  ASSERT_EQ(d().rename("sub", d(), "moved"), Errno::success);
  EXPECT_EQ(err(d().stat_at("sub", false)), Errno::noent);
  EXPECT_EQ(*slurp(d(), "moved/c.txt"), "charlie");
  EXPECT_EQ(*slurp(d(), "moved/deep/d.txt"), "delta");
  EXPECT_EQ(*slurp(d(), "moved/deep/up.txt"), "upper");
  EXPECT_EQ(err(slurp(d(), "moved/up")), Errno::noent);  // ../a.txt, renamed away above
  EXPECT_EQ(names_in(d(), "moved"), (Names{"c.txt", "deep", "up"}));
  EXPECT_EQ(names_in(*deep, "."), (Names{"d.txt", "up.txt"}));  // the open view moved too
  ASSERT_EQ(spit(*deep, "late.txt", "late"), Errno::success);
  EXPECT_EQ(*slurp(d(), "moved/deep/late.txt"), "late");
  ASSERT_EQ(spit(d(), "moved/c.txt", "C!", kTrunc), Errno::success);
  EXPECT_EQ(*slurp(d(), "moved/c.txt"), "C!");
  // And back: it still merges its host directory.
  ASSERT_EQ(d().rename("moved", d(), "sub"), Errno::success);
  EXPECT_EQ(*slurp(d(), "sub/deep/d.txt"), "delta");
  EXPECT_EQ(*slurp(d(), "sub/c.txt"), "C!");
  EXPECT_EQ(names_in(d(), "sub/deep"), (Names{"d.txt", "late.txt", "up.txt"}));
}

TEST_F(OverlayTest, RenameErrors) {
  EXPECT_EQ(d().rename("sub", d(), "sub/deep/x"), Errno::inval);
  EXPECT_EQ(d().rename("sub", d(), "link_to_sub/deep/x"), Errno::inval);
  auto deep = open_dir(d(), "sub/deep");
  EXPECT_EQ(d().rename("sub", *deep, "x"), Errno::inval);
  EXPECT_EQ(d().rename("sub/deep", d(), "sub"), Errno::notempty);
  EXPECT_EQ(d().rename("a.txt", d(), "sub"), Errno::isdir);
  EXPECT_EQ(d().rename("sub", d(), "a.txt"), Errno::notdir);
  EXPECT_EQ(d().rename("empty", d(), "sub"), Errno::notempty);
  EXPECT_EQ(d().rename("nope", d(), "x"), Errno::noent);
  EXPECT_EQ(d().rename(".", d(), "x"), Errno::busy);
  EXPECT_EQ(d().rename("a.txt", d(), "."), Errno::busy);
  EXPECT_EQ(d().rename("a.txt/", d(), "x"), Errno::notdir);
  EXPECT_EQ(d().rename("a.txt", d(), "x/"), Errno::notdir);
  EXPECT_EQ(d().rename("a.txt", d(), "a.txt"), Errno::success);
  EXPECT_EQ(d().rename("a.txt", d(), "./sub/../a.txt"), Errno::success);
  EXPECT_EQ(*slurp(d(), "a.txt"), "alpha");
  EXPECT_EQ(d().rename("../a.txt", d(), "x"), Errno::notcapable);
  EXPECT_EQ(d().rename("a.txt", d(), "../x"), Errno::notcapable);

  // Another overlay, or another kind of Dir, is another device.
  auto other = open_overlay(host_.string());
  ASSERT_TRUE(other);
  EXPECT_EQ(d().rename("a.txt", **other, "x"), Errno::xdev);
  EXPECT_EQ(d().link("a.txt", false, **other, "x"), Errno::xdev);
  ForeignDir foreign;
  EXPECT_EQ(d().rename("a.txt", foreign, "x"), Errno::xdev);
  EXPECT_EQ(d().link("a.txt", false, foreign, "x"), Errno::xdev);
  EXPECT_EQ(*slurp(d(), "a.txt"), "alpha");
}

TEST_F(OverlayTest, RenameReplaces) {
  ASSERT_EQ(d().rename("a.txt", d(), "b.txt"), Errno::success);
  EXPECT_EQ(*slurp(d(), "b.txt"), "alpha");
  EXPECT_EQ(err(d().stat_at("a.txt", false)), Errno::noent);
  // A directory onto an empty directory.
  ASSERT_EQ(d().mkdir("m"), Errno::success);
  ASSERT_EQ(spit(d(), "m/f", "in m"), Errno::success);
  auto empty = open_dir(d(), "empty");
  ASSERT_EQ(d().rename("m", d(), "empty"), Errno::success);
  EXPECT_EQ(*slurp(d(), "empty/f"), "in m");
  EXPECT_EQ(err(empty->stat_at("f", false)), Errno::noent);  // the old one is gone
  EXPECT_EQ(empty->stat()->nlink, 0u);
  EXPECT_EQ(err(empty->open("new", wr(kCreat))), Errno::noent);
  EXPECT_EQ(empty->mkdir("new"), Errno::noent);
  EXPECT_EQ(listing(*empty), Names{});
  // Memory files between views.
  auto sub = open_dir(d(), "sub");
  ASSERT_EQ(spit(d(), "t1", "T1"), Errno::success);
  ASSERT_EQ(d().rename("t1", *sub, "t2"), Errno::success);
  EXPECT_EQ(*slurp(*sub, "t2"), "T1");
  EXPECT_EQ(*slurp(d(), "sub/t2"), "T1");
  // Symlinks move as symlinks.
  ASSERT_EQ(d().rename("link_to_sub", *sub, "l"), Errno::success);
  EXPECT_EQ(*sub->readlink("l"), "sub");
  EXPECT_EQ(d().stat_at("sub/l", false)->type, Filetype::symbolic_link);
}

TEST_F(OverlayTest, HardLinks) {
  ASSERT_EQ(d().link("a.txt", false, d(), "hard.txt"), Errno::success);
  auto st = d().stat_at("a.txt", false);
  EXPECT_EQ(st->nlink, 2u);
  EXPECT_EQ(d().stat_at("hard.txt", false)->ino, st->ino);
  ASSERT_EQ(spit(d(), "hard.txt", "shared", kTrunc), Errno::success);
  EXPECT_EQ(*slurp(d(), "a.txt"), "shared");
  ASSERT_EQ(d().unlink("a.txt"), Errno::success);
  EXPECT_EQ(d().stat_at("hard.txt", false)->nlink, 1u);
  EXPECT_EQ(*slurp(d(), "hard.txt"), "shared");

  ASSERT_EQ(spit(d(), "m", "mem"), Errno::success);
  auto sub = open_dir(d(), "sub");
  ASSERT_EQ(d().link("m", false, *sub, "m2"), Errno::success);
  ASSERT_EQ(spit(*sub, "m2", "MEM", 0), Errno::success);
  EXPECT_EQ(*slurp(d(), "m"), "MEM");
  // Following the symlink links its target, not following links the symlink.
  ASSERT_EQ(d().link("link_to_sub", false, d(), "l2"), Errno::success);
  EXPECT_EQ(*d().readlink("l2"), "sub");
  EXPECT_EQ(d().stat_at("l2", false)->nlink, 2u);
  EXPECT_EQ(d().link("sub/up", true, d(), "b_link"), Errno::noent);  // up -> ../a.txt: gone
  EXPECT_EQ(err(d().stat_at("b_link", false)), Errno::noent);
  ASSERT_EQ(spit(d(), "a.txt", "again"), Errno::success);
  ASSERT_EQ(d().link("sub/up", true, d(), "b_link"), Errno::success);
  EXPECT_EQ(d().stat_at("b_link", false)->type, Filetype::regular_file);
  EXPECT_EQ(*slurp(d(), "b_link"), "again");

  EXPECT_EQ(d().link("sub", false, d(), "x"), Errno::perm);
  EXPECT_EQ(d().link("b.txt", false, d(), "sub"), Errno::exist);
  EXPECT_EQ(d().link("nope", false, d(), "x"), Errno::noent);
  EXPECT_EQ(d().link("b.txt", false, d(), "new/"), Errno::noent);
  EXPECT_EQ(d().link("b.txt", false, d(), "."), Errno::exist);
  EXPECT_EQ(d().link("b.txt", false, d(), "../x"), Errno::notcapable);
}

// ---------------------------------------------------------------------------------------
// Symlinks and escapes

TEST_F(OverlayTest, EscapesAreRefused) {
  EXPECT_EQ(err(d().open("../outside/secret.txt", rd())), Errno::notcapable);
  EXPECT_EQ(err(d().open("/etc/passwd", rd())), Errno::notcapable);
  EXPECT_EQ(err(d().open("sub/../../outside/secret.txt", rd())), Errno::notcapable);
  EXPECT_EQ(err(d().open("esc_root/etc/passwd", rd())), Errno::notcapable);
  EXPECT_EQ(err(d().open("esc_root", rd())), Errno::notcapable);
  EXPECT_EQ(err(d().stat_at("esc_root", true)), Errno::notcapable);
  EXPECT_EQ(d().stat_at("esc_root", false)->type, Filetype::symbolic_link);
  EXPECT_EQ(*d().readlink("esc_root"), "/");
  EXPECT_EQ(err(d().open("esc_up/outside/secret.txt", rd())), Errno::notcapable);
  EXPECT_EQ(err(d().open("esc_out", rd())), Errno::notcapable);
  EXPECT_EQ(err(d().open("esc_out", wr(kCreat | kTrunc))), Errno::notcapable);
  EXPECT_EQ(d().mkdir("esc_up/x"), Errno::notcapable);
  EXPECT_EQ(d().mkdir("../x"), Errno::notcapable);
  // ".." of the Dir itself is outside too (Linux would say EEXIST, EBUSY: it is there).
  EXPECT_EQ(d().mkdir(".."), Errno::notcapable);
  EXPECT_EQ(d().rename("a.txt", d(), ".."), Errno::notcapable);
  EXPECT_EQ(d().unlink("esc_root/tmp/x"), Errno::notcapable);
  EXPECT_EQ(err(d().open("loop1", rd())), Errno::loop);
  EXPECT_EQ(err(d().stat_at("loop1/x", false)), Errno::loop);
  EXPECT_EQ(err(d().open(std::string("a.txt\0x", 7), rd())), Errno::inval);
  EXPECT_EQ(err(d().open("", rd())), Errno::noent);
  EXPECT_EQ(err(d().stat_at("", false)), Errno::noent);
  EXPECT_EQ(err(d().open(std::string(300, 'n'), wr(kCreat))), Errno::nametoolong);

  // A view cannot climb out of itself, even to where the overlay goes on.
  auto sub = open_dir(d(), "sub");
  EXPECT_EQ(err(sub->open("../a.txt", rd())), Errno::notcapable);
  EXPECT_EQ(err(sub->open("up", rd())), Errno::notcapable);
  EXPECT_EQ(err(sub->open("deep/../../a.txt", rd())), Errno::notcapable);
  EXPECT_EQ(err(sub->open("..", rd())), Errno::notcapable);
  EXPECT_EQ(*slurp(*sub, "deep/../c.txt"), "charlie");
}

TEST_F(OverlayTest, SymlinkCreation) {
  EXPECT_EQ(d().symlink("a.txt", "l"), Errno::success);
  EXPECT_EQ(*slurp(d(), "l"), "alpha");
  EXPECT_EQ(*d().readlink("l"), "a.txt");
  EXPECT_EQ(d().stat_at("l", false)->size, 5u);
  EXPECT_EQ(d().symlink("b.txt", "l"), Errno::exist);
  EXPECT_EQ(d().symlink("x", "a.txt"), Errno::exist);
  EXPECT_EQ(d().symlink("x", "."), Errno::exist);
  EXPECT_EQ(d().symlink("x", "new/"), Errno::noent);
  EXPECT_EQ(d().symlink("", "e"), Errno::noent);
  EXPECT_EQ(d().symlink("/etc/passwd", "e"), Errno::notcapable);
  EXPECT_EQ(d().symlink("../outside", "e"), Errno::notcapable);
  EXPECT_EQ(d().symlink("sub/../../x", "e"), Errno::notcapable);
  EXPECT_EQ(d().symlink("../a.txt", "sub/deep/e"), Errno::success);  // stays inside
  EXPECT_EQ(d().symlink("../../../a.txt", "sub/deep/e2"), Errno::notcapable);
  EXPECT_EQ(d().symlink("../../a.txt", "link_to_sub/deep/e3"), Errno::success);
  EXPECT_EQ(*slurp(d(), "sub/deep/e3"), "alpha");
  EXPECT_EQ(err(d().stat_at("e", false)), Errno::noent);
  // Relative to the Dir it is made through, not to the overlay's root.
  auto sub = open_dir(d(), "sub");
  EXPECT_EQ(sub->symlink("../a.txt", "e4"), Errno::notcapable);
  EXPECT_EQ(sub->symlink("c.txt", "e4"), Errno::success);
  EXPECT_EQ(*slurp(d(), "sub/e4"), "charlie");
  // A dangling link is fine; following it is ENOENT.
  EXPECT_EQ(d().symlink("nothing", "dangling"), Errno::success);
  EXPECT_EQ(err(d().open("dangling", rd())), Errno::noent);
  EXPECT_EQ(d().mkdir("dangling"), Errno::exist);
  EXPECT_EQ(d().unlink("dangling"), Errno::success);
}

TEST_F(OverlayTest, SymlinkChainLimit) {
  // l0 -> a.txt, l1 -> l0, ...: 40 hops resolve, 41 are a loop (as Linux).
  ASSERT_EQ(d().symlink("a.txt", "l0"), Errno::success);
  for (int i = 1; i <= 40; ++i)
    ASSERT_EQ(d().symlink(cat({"l", num(i - 1)}), cat({"l", num(i)})), Errno::success);
  EXPECT_EQ(*slurp(d(), "l39"), "alpha");
  EXPECT_EQ(err(d().open("l40", rd())), Errno::loop);
  EXPECT_EQ(d().stat_at("l40", false)->type, Filetype::symbolic_link);
  ASSERT_EQ(d().symlink("self", "self"), Errno::success);
  EXPECT_EQ(err(d().stat_at("self", true)), Errno::loop);
}

// ---------------------------------------------------------------------------------------
// Attributes

TEST_F(OverlayTest, StatAndTimes) {
  auto root = d().stat();
  ASSERT_TRUE(root);
  EXPECT_EQ(root->type, Filetype::directory);
  EXPECT_GE(root->nlink, 2u);
  const uint64_t dev = root->dev;
  ASSERT_EQ(spit(d(), "m1", "1"), Errno::success);
  ASSERT_EQ(spit(d(), "m2", "22"), Errno::success);
  ASSERT_EQ(d().mkdir("md"), Errno::success);
  std::set<uint64_t> inos;
  for (const char* p : {"m1", "m2", "md", "a.txt", "b.txt", "sub", "sub/c.txt"}) {
    auto s = d().stat_at(p, false);
    ASSERT_TRUE(s) << p;
    EXPECT_EQ(s->dev, dev) << p;
    EXPECT_TRUE(inos.insert(s->ino).second) << p << " shares an inode number";
  }
  EXPECT_EQ(d().stat_at("m2", false)->size, 2u);
  // Stable across calls and opens.
  auto f = open_file(d(), "m1", rd());
  EXPECT_EQ(f->stat()->ino, d().stat_at("m1", false)->ino);

  Times t;
  t.atim = 111;
  t.mtim = 222;
  t.flags = fstflags::atim | fstflags::mtim;
  for (const char* p : {"m1", "a.txt", "sub", "link_to_a", "md"}) {
    ASSERT_EQ(d().set_times_at(p, false, t), Errno::success) << p;
    auto s = d().stat_at(p, false);
    EXPECT_EQ(s->atim, 111u) << p;
    EXPECT_EQ(s->mtim, 222u) << p;
  }
  EXPECT_EQ(*slurp(d(), "a.txt"), "alpha");  // times alone copy no bytes, change none
  // Only mtime, to now.
  Times now;
  now.flags = fstflags::mtim_now;
  const uint64_t atim = d().stat_at("b.txt", false)->atim;
  uint64_t before = now_ns();
  ASSERT_EQ(d().set_times_at("b.txt", true, now), Errno::success);
  EXPECT_GE(d().stat_at("b.txt", false)->mtim, before);
  EXPECT_EQ(d().stat_at("b.txt", false)->atim, atim);
  Times bad;
  bad.flags = fstflags::atim | fstflags::atim_now;
  EXPECT_EQ(d().set_times_at("m1", false, bad), Errno::inval);
  EXPECT_EQ(f->set_times(bad), Errno::inval);
  EXPECT_EQ(d().set_times(bad), Errno::inval);
  EXPECT_EQ(d().set_times_at("nope", false, t), Errno::noent);
  // Through open files and Dirs.
  t.atim = 333;
  t.mtim = 444;
  EXPECT_EQ(f->set_times(t), Errno::success);
  EXPECT_EQ(d().stat_at("m1", false)->mtim, 444u);
  auto sub = open_dir(d(), "sub");
  EXPECT_EQ(sub->set_times(t), Errno::success);
  EXPECT_EQ(d().stat_at("sub", false)->mtim, 444u);
  EXPECT_EQ(d().set_times(t), Errno::success);
  EXPECT_EQ(d().stat()->atim, 333u);
  // Creating inside a directory moves its mtime.
  uint64_t t0 = now_ns();
  ASSERT_EQ(spit(*sub, "x", "x"), Errno::success);
  EXPECT_GE(sub->stat()->mtim, t0);
}

// ---------------------------------------------------------------------------------------
// readdir

TEST_F(OverlayTest, ReaddirMergesLayers) {
  ASSERT_EQ(d().unlink("b.txt"), Errno::success);
  ASSERT_EQ(spit(d(), "0first", ""), Errno::success);
  ASSERT_EQ(spit(d(), "a.txt", "shadow", kTrunc), Errno::success);
  ASSERT_EQ(d().mkdir("zz"), Errno::success);
  auto all = listing(d(), 1);  // one entry a call
  EXPECT_EQ(all, (Names{".", "..", "0first", "a.txt", "empty", "esc_out", "esc_root", "esc_up",
                        "fifo", "link_to_a", "link_to_sub", "loop1", "loop2", "sub", "zz"}));
  auto r = d().readdir(0, 1 << 20);
  ASSERT_TRUE(r);
  std::map<std::string, Dirent> by;
  for (const Dirent& e : *r) by[e.name] = e;
  EXPECT_EQ(by["."].type, Filetype::directory);
  EXPECT_EQ(by["."].ino, d().stat()->ino);
  EXPECT_EQ(by["sub"].type, Filetype::directory);
  EXPECT_EQ(by["sub"].ino, d().stat_at("sub", false)->ino);
  EXPECT_EQ(by["0first"].type, Filetype::regular_file);
  EXPECT_EQ(by["0first"].ino, d().stat_at("0first", false)->ino);
  EXPECT_EQ(by["a.txt"].ino, d().stat_at("a.txt", false)->ino);
  EXPECT_EQ(by["link_to_a"].type, Filetype::symbolic_link);
  EXPECT_EQ(by["zz"].type, Filetype::directory);
  // `next` of the last entry ends the listing.
  auto end = d().readdir(r->back().next, 1 << 20);
  ASSERT_TRUE(end);
  EXPECT_TRUE(end->empty());
  // ".." of a subdirectory is its parent.
  auto sub = open_dir(d(), "sub");
  auto sr = sub->readdir(0, 1 << 20);
  ASSERT_TRUE(sr);
  ASSERT_GE(sr->size(), 2u);
  EXPECT_EQ((*sr)[1].name, "..");
  EXPECT_EQ((*sr)[1].ino, d().stat()->ino);
  // Cookies 1 and 2 resume after "." and "..".
  EXPECT_EQ(d().readdir(1, 1)->front().name, "..");
  EXPECT_EQ(d().readdir(2, 1)->front().name, "0first");
  // Entries are as big as their names: min_bytes counts them.
  auto two = d().readdir(0, 24 + 1 + 1);  // "." and then ".." reaches it
  EXPECT_EQ(two->size(), 2u);
}

TEST_F(OverlayTest, ReaddirCookiesSurviveChanges) {
  ASSERT_EQ(d().mkdir("dir"), Errno::success);
  auto dir = open_dir(d(), "dir");
  for (int i = 0; i < 40; ++i) {
    char n[16];
    std::snprintf(n, sizeof n, "f%02d", i);
    ASSERT_EQ(spit(*dir, n, n), Errno::success);
  }
  // Read ".", "..", f00 .. f14.
  std::vector<std::string> seen;
  uint64_t cookie = 0;
  while (seen.size() < 17) {
    auto r = dir->readdir(cookie, 1);
    ASSERT_TRUE(r);
    ASSERT_EQ(r->size(), 1u);
    seen.push_back(r->front().name);
    cookie = r->front().next;
  }
  EXPECT_EQ(seen.back(), "f14");
  // Meanwhile: the entry the cookie came from goes, others before and after come and go.
  ASSERT_EQ(d().unlink("dir/f14"), Errno::success);
  ASSERT_EQ(d().unlink("dir/f03"), Errno::success);
  ASSERT_EQ(d().unlink("dir/f20"), Errno::success);
  ASSERT_EQ(spit(d(), "dir/f00a", "new before"), Errno::success);
  ASSERT_EQ(spit(d(), "dir/f14a", "new after"), Errno::success);
  ASSERT_EQ(spit(d(), "dir/f99", "new at end"), Errno::success);
  auto rest = dir->readdir(cookie, 1 << 20);
  ASSERT_TRUE(rest);
  Names got;
  for (const Dirent& e : *rest) got.push_back(e.name);
  Names want{"f14a"};
  for (int i = 15; i < 40; ++i) {
    if (i == 20) continue;
    char n[16];
    std::snprintf(n, sizeof n, "f%02d", i);
    want.push_back(n);
  }
  want.push_back("f99");
  EXPECT_EQ(got, want);
  // An old cookie still resumes where it did, with a fresh one from another stream.
  auto again = dir->readdir(cookie, 1);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->front().name, "f14a");
  auto other = open_dir(d(), "dir");
  EXPECT_EQ(listing(*other).size(), 2u + 40u - 3u + 3u);
  // A cookie no stream gave is the end, not an error.
  auto bogus = dir->readdir(uint64_t(1) << 40, 100);
  ASSERT_TRUE(bogus);
  EXPECT_TRUE(bogus->empty());
}

TEST_F(OverlayTest, ReaddirOfHostDirectoryWithChanges) {
  auto sub = open_dir(d(), "sub");
  auto r = sub->readdir(0, 24 + 1 + 24 + 2);  // "." and ".."
  ASSERT_TRUE(r);
  ASSERT_EQ(r->size(), 2u);
  uint64_t cookie = r->back().next;
  ASSERT_EQ(d().unlink("sub/c.txt"), Errno::success);
  ASSERT_EQ(spit(d(), "sub/b", "b"), Errno::success);
  Names got;
  for (;;) {
    auto n = sub->readdir(cookie, 1);
    ASSERT_TRUE(n);
    if (n->empty()) break;
    got.push_back(n->front().name);
    cookie = n->front().next;
  }
  EXPECT_EQ(got, (Names{"b", "deep", "up"}));
}

// ---------------------------------------------------------------------------------------
// Limits

TEST_F(OverlayTest, MemoryCapGivesEnospc) {
  auto o = open_overlay(host_.string(), 64 * 1024);
  ASSERT_TRUE(o);
  Dir& s = **o;
  auto f = open_file(s, "big", wr(kCreat));
  ASSERT_TRUE(f);
  std::string chunk(16 * 1024, 'x');
  EXPECT_EQ(*put(*f, chunk), chunk.size());
  EXPECT_EQ(*put(*f, chunk), chunk.size());
  std::string huge(64 * 1024, 'y');
  EXPECT_EQ(err(put(*f, huge)), Errno::nospc);
  EXPECT_EQ(f->stat()->size, 32u * 1024);  // a failed write changes nothing
  // Far offsets must not try to allocate.
  EXPECT_EQ(err(put_at(*f, "z", uint64_t(1) << 62)), Errno::nospc);
  EXPECT_EQ(err(put_at(*f, "zz", uint64_t(INT64_MAX))), Errno::fbig);
  EXPECT_EQ(f->set_size(uint64_t(1) << 40), Errno::nospc);
  EXPECT_EQ(f->allocate(0, uint64_t(1) << 40), Errno::nospc);
  EXPECT_EQ(*f->seek(int64_t(1) << 62, Whence::set), uint64_t(1) << 62);
  EXPECT_EQ(err(put(*f, "z")), Errno::nospc);
  // Copy-up counts too: a host file bigger than what is left.
  auto o2 = open_overlay((top_ / "outside").string(), 32 * 1024);
  ASSERT_TRUE(o2);
  auto hb = open_file(**o2, "big.bin", wr());
  ASSERT_TRUE(hb);
  EXPECT_EQ(*get_at(*hb, 4, 0), "hhhh");  // reading needs no memory
  EXPECT_EQ(err(put_at(*hb, "W", 0)), Errno::nospc);
  EXPECT_EQ(*get_at(*hb, 4, 0), "hhhh");
  hb.reset();
  // Names cost too: endless empty files run out.
  Errno last = Errno::success;
  int made = 0;
  for (; made < 100000 && last == Errno::success; ++made)
    last = spit(s, cat({"n", num(made)}), "");
  EXPECT_EQ(last, Errno::nospc);
  // Freeing gives the space back.
  f.reset();
  ASSERT_EQ(s.unlink("big"), Errno::success);
  ASSERT_EQ(s.unlink("n0"), Errno::success);
  EXPECT_EQ(spit(s, "again", chunk), Errno::success);
  // Unlinking (a whiteout) works even when full.
  for (int i = 1; i < 100; ++i) spit(s, cat({"m", num(i)}), "");
  EXPECT_EQ(s.unlink("a.txt"), Errno::success);
  EXPECT_EQ(s.rmdir("empty"), Errno::success);
}

TEST_F(OverlayTest, ConcurrentWritersThroughOneOverlay) {
  std::vector<std::thread> ts;
  for (int t = 0; t < 4; ++t) {
    ts.emplace_back([this, t] {
      auto dir = open_dir(d(), ".");
      for (int i = 0; i < 100; ++i) {
        std::string name = cat({"t", num(t), "_", num(i)});
        EXPECT_EQ(spit(*dir, name, name), Errno::success);
        EXPECT_EQ(*slurp(*dir, name), name);
        if (i % 2) {
          EXPECT_EQ(dir->unlink(name), Errno::success);
        }
        auto a = slurp(*dir, "a.txt");
        EXPECT_TRUE(a);
      }
    });
  }
  for (auto& t : ts) t.join();
  EXPECT_EQ(names_in(d(), ".").size(), 12u + 4u * 50u);
}

// Directories nested deeper than the stack could take recursively still die cleanly.
TEST_F(OverlayTest, DeepNestingTearsDown) {
  std::shared_ptr<Dir> cur = ov_;
  for (int i = 0; i < 200000; ++i) {
    ASSERT_EQ(cur->mkdir("x"), Errno::success);
    cur = open_dir(*cur, "x");
    ASSERT_TRUE(cur);
  }
  ASSERT_EQ(spit(*cur, "bottom", "deep"), Errno::success);
  cur.reset();
  ov_.reset();
}

// The fds of this process that point into the test's tree, and whether each is O_CLOEXEC.
std::map<int, bool> fds_into(const fs::path& top) {
  std::map<int, bool> out;
  for (const auto& e : fs::directory_iterator("/proc/self/fd")) {
    std::error_code ec;
    fs::path target = fs::read_symlink(e.path(), ec);
    if (ec || target.string().rfind(top.string(), 0) != 0) continue;
    int fd = std::stoi(e.path().filename().string());
    int fl = ::fcntl(fd, F_GETFD);
    if (fl >= 0) out[fd] = fl & FD_CLOEXEC;
  }
  return out;
}

TEST_F(OverlayTest, HostFdsOnlyWhileFilesAreOpen) {
  auto all_cloexec = [](const std::map<int, bool>& m) {
    return std::all_of(m.begin(), m.end(), [](const auto& p) { return p.second; });
  };
  const auto base = fds_into(top_);
  EXPECT_EQ(base.size(), 1u);  // the overlay's root
  EXPECT_TRUE(all_cloexec(base));
  {
    auto a = open_file(d(), "a.txt", rd());
    auto c = open_file(d(), "sub/deep/d.txt", wr());
    auto view = open_dir(d(), "sub/deep");
    auto now = fds_into(top_);
    EXPECT_EQ(now.size(), 3u);  // the two host files; a Dir holds none
    EXPECT_TRUE(all_cloexec(now));
    EXPECT_EQ(put_at(*c, "D", 0).ok(), true);  // copy-up lets the host file go
    EXPECT_EQ(fds_into(top_).size(), 2u);
    EXPECT_EQ(listing(*view), (Names{".", "..", "d.txt"}));
  }
  EXPECT_EQ(fds_into(top_), base);
  // Walks, listings, renames, links, times: nothing stays open.
  EXPECT_TRUE(d().stat_at("link_to_sub/deep/d.txt", true));
  EXPECT_EQ(names_in(d(), "sub").size(), 3u);
  ASSERT_EQ(d().rename("b.txt", d(), "sub/deep/b2"), Errno::success);
  ASSERT_EQ(d().link("sub/c.txt", false, d(), "c2"), Errno::success);
  ASSERT_EQ(d().rename("sub", d(), "sub2"), Errno::success);
  Times t;
  t.flags = fstflags::mtim_now;
  ASSERT_EQ(d().set_times_at("sub2/deep", false, t), Errno::success);
  EXPECT_EQ(*slurp(d(), "sub2/deep/b2"), "bravo");
  EXPECT_EQ(*slurp(d(), "c2"), "charlie");
  EXPECT_EQ(fds_into(top_), base);
  ov_.reset();
  EXPECT_TRUE(fds_into(top_).empty());
}

TEST_F(OverlayTest, OpenErrorsForMissingHostRoot) {
  EXPECT_EQ(err(open_overlay((top_ / "nope").string())), Errno::noent);
  EXPECT_EQ(err(open_overlay((host_ / "a.txt").string())), Errno::notdir);
}

// ---------------------------------------------------------------------------------------
// Parity with Linux: the same calls on a scratch copy of a tree and on an overlay of an
// identical tree give the same errnos, and leave the same tree behind.

struct Op {
  enum Kind {
    mkdir, rmdir, unlink, rename, link, link_follow, symlink, open, stat, lstat, readlink
  };
  Op(Kind k, std::string a_, std::string b_ = "", uint16_t of_ = 0, bool write_ = false,
     bool follow_ = true)
      : kind(k), a(std::move(a_)), b(std::move(b_)), of(of_), write(write_), follow(follow_) {}
  Kind kind;
  std::string a, b;
  uint16_t of;
  bool write, follow;
};

Errno run_linux(int dfd, const Op& op) {
  int r = 0;
  switch (op.kind) {
    case Op::mkdir: r = ::mkdirat(dfd, op.a.c_str(), 0755); break;
    case Op::rmdir: r = ::unlinkat(dfd, op.a.c_str(), AT_REMOVEDIR); break;
    case Op::unlink: r = ::unlinkat(dfd, op.a.c_str(), 0); break;
    case Op::rename: r = ::renameat(dfd, op.a.c_str(), dfd, op.b.c_str()); break;
    case Op::link: r = ::linkat(dfd, op.a.c_str(), dfd, op.b.c_str(), 0); break;
    case Op::link_follow:
      r = ::linkat(dfd, op.a.c_str(), dfd, op.b.c_str(), AT_SYMLINK_FOLLOW);
      break;
    case Op::symlink: r = ::symlinkat(op.a.c_str(), dfd, op.b.c_str()); break;
    case Op::open: {
      int fl = (op.write ? O_RDWR : O_RDONLY) | O_CLOEXEC;
      if (op.of & oflags::creat) fl |= O_CREAT;
      if (op.of & oflags::excl) fl |= O_EXCL;
      if (op.of & oflags::trunc) fl |= O_TRUNC;
      if (op.of & oflags::directory) fl |= O_DIRECTORY;
      if (!op.follow) fl |= O_NOFOLLOW;
      r = ::openat(dfd, op.a.c_str(), fl, 0644);
      if (r >= 0) {
        ::close(r);
        r = 0;
      }
      break;
    }
    case Op::stat:
    case Op::lstat: {
      struct stat st;
      r = ::fstatat(dfd, op.a.c_str(), &st, op.kind == Op::lstat ? AT_SYMLINK_NOFOLLOW : 0);
      break;
    }
    case Op::readlink: {
      char buf[256];
      r = ::readlinkat(dfd, op.a.c_str(), buf, sizeof buf) < 0 ? -1 : 0;
      break;
    }
  }
  return r < 0 ? from_host_errno(errno) : Errno::success;
}

Errno run_overlay(Dir& d, const Op& op) {
  switch (op.kind) {
    case Op::mkdir: return d.mkdir(op.a);
    case Op::rmdir: return d.rmdir(op.a);
    case Op::unlink: return d.unlink(op.a);
    case Op::rename: return d.rename(op.a, d, op.b);
    case Op::link: return d.link(op.a, false, d, op.b);
    case Op::link_follow: return d.link(op.a, true, d, op.b);
    case Op::symlink: return d.symlink(op.a, op.b);
    case Op::open: {
      OpenRequest req;
      req.oflags = op.of;
      req.write = op.write;
      req.follow = op.follow;
      return err(d.open(op.a, req));
    }
    case Op::stat: return err(d.stat_at(op.a, true));
    case Op::lstat: return err(d.stat_at(op.a, false));
    case Op::readlink: return err(d.readlink(op.a));
  }
  return Errno::io;
}

std::string describe(const Op& op) {
  static const char* kNames[] = {"mkdir", "rmdir",   "unlink", "rename", "link",    "link_follow",
                                 "symlink", "open", "stat",   "lstat",  "readlink"};
  std::string s = kNames[op.kind];
  s.append("(").append(op.a);
  if (!op.b.empty()) s.append(", ").append(op.b);
  s.append(") of=").append(std::to_string(op.of)).append(op.write ? " w" : "");
  s.append(op.follow ? "" : " nofollow");
  return s;
}

void make_parity_tree(const fs::path& p) {
  fs::create_directories(p / "d" / "sub");
  fs::create_directories(p / "e");
  fs::create_directories(p / "d2" / "inner");
  write_host(p / "f", "file f");
  write_host(p / "g", "file g");
  write_host(p / "d" / "x", "file d/x");
  write_host(p / "d2" / "inner" / "y", "file y");
  fs::create_symlink("f", p / "s");
  fs::create_symlink("d", p / "sd");
  fs::create_symlink("nope", p / "dangling");
}

// The tree as the guest sees it, through the overlay.
void walk_overlay(Dir& dir, const std::string& prefix, std::map<std::string, std::string>& out) {
  for (const std::string& n : names_in(dir, ".")) {
    auto st = dir.stat_at(n, false);
    ASSERT_TRUE(st) << prefix << n;
    std::string desc = std::to_string(int(st->type));
    if (st->type == Filetype::regular_file) {
      desc.append(" [").append(*slurp(dir, n)).append("] ").append(std::to_string(st->nlink));
    } else if (st->type == Filetype::symbolic_link) {
      desc.append(" -> ").append(*dir.readlink(n));
    } else if (st->type == Filetype::directory) {
      auto sub = open_dir(dir, n);
      ASSERT_TRUE(sub);
      walk_overlay(*sub, prefix + n + "/", out);
    }
    out[prefix + n] = desc;
  }
}

void walk_host(const fs::path& dir, const std::string& prefix,
               std::map<std::string, std::string>& out) {
  for (const auto& e : fs::directory_iterator(dir)) {
    std::string n = e.path().filename().string();
    struct stat st;
    ASSERT_EQ(::lstat(e.path().c_str(), &st), 0);
    std::string desc = std::to_string(int(filetype_from_mode(st.st_mode)));
    if (S_ISREG(st.st_mode)) {
      std::ifstream in(e.path(), std::ios::binary);
      desc.append(" [").append(std::istreambuf_iterator<char>(in), {}).append("] ");
      desc.append(std::to_string(st.st_nlink));
    } else if (S_ISLNK(st.st_mode)) {
      desc.append(" -> ").append(fs::read_symlink(e.path()).string());
    } else if (S_ISDIR(st.st_mode)) {
      walk_host(e.path(), prefix + n + "/", out);
    }
    out[prefix + n] = desc;
  }
}

TEST_F(OverlayTest, ErrnoParityWithLinux) {
  const fs::path real = scratch_ / "real", lower = scratch_ / "lower";
  make_parity_tree(real);
  make_parity_tree(lower);
  auto lower_before = snapshot(lower);
  auto o = open_overlay(lower.string());
  ASSERT_TRUE(o);
  Dir& ov = **o;
  int dfd = ::open(real.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  ASSERT_GE(dfd, 0);
  using K = Op;
  const std::vector<Op> ops = {
      {K::mkdir, "e"}, {K::mkdir, "s"}, {K::mkdir, "dangling"}, {K::mkdir, "dangling/"},
      {K::mkdir, "f/x"}, {K::mkdir, "nope/x"}, {K::mkdir, "."},
      {K::mkdir, "d/../new/"}, {K::mkdir, "sd/viasd"},
      {K::rmdir, "."}, {K::rmdir, "d/.."}, {K::rmdir, "d/."}, {K::rmdir, "f"}, {K::rmdir, "d"},
      {K::rmdir, "sd"}, {K::rmdir, "sd/"}, {K::rmdir, "nope"}, {K::rmdir, "d/sub/"},
      {K::unlink, "."}, {K::unlink, "d"}, {K::unlink, "d/"}, {K::unlink, "f/"}, {K::unlink, "sd/"},
      {K::unlink, "nope"}, {K::unlink, "s"}, {K::unlink, "d2/inner/y/"},
      {K::rename, ".", "x"}, {K::rename, "f", "."},
      {K::rename, "nope", "x"}, {K::rename, "f", "d"}, {K::rename, "d", "f"},
      {K::rename, "d", "d/sub/x"}, {K::rename, "d", "sd/sub/x"}, {K::rename, "e", "d"},
      {K::rename, "f/", "x"}, {K::rename, "f", "x/"}, {K::rename, "d/sub", "d"},
      {K::rename, "f", "f"}, {K::rename, "f", "nope/x"}, {K::rename, "d", "e/"},
      {K::rename, "g", "f"}, {K::rename, "d2", "d3"}, {K::rename, "d3/inner", "e"},
      {K::rename, "sd", "sd2"}, {K::rename, "e", "dangling"}, {K::rename, "dangling", "e"},
      {K::link, "e", "x"}, {K::link, "f", "e"}, {K::link, "nope", "x"}, {K::link, "f", "new/"},
      {K::link, "f/", "x"}, {K::link, "f", "."}, {K::link, "f", "hard"}, {K::link, "sd2", "sd3"},
      {K::link_follow, "sd2", "z"}, {K::link_follow, "dangling", "z"},
      {K::link_follow, "s", "z2"},
      {K::symlink, "t", "f"}, {K::symlink, "t", "new2/"}, {K::symlink, "", "x"},
      {K::symlink, "t", "."}, {K::symlink, "f", "ln"},
      {K::open, "e", "", 0, true}, {K::open, "e", "", oflags::creat},
      {K::open, "f", "", oflags::directory}, {K::open, "f/"}, {K::open, "x/", "", oflags::creat},
      {K::open, "ln", "", 0, false, false}, {K::open, "sd2", "", oflags::directory, false, false},
      {K::open, "f", "", oflags::creat | oflags::excl},
      {K::open, "ln", "", oflags::creat | oflags::excl},
      {K::open, "ln", "", oflags::creat, false, false},
      {K::open, "nope/x", "", oflags::creat},
      {K::open, "nx", "", oflags::creat | oflags::directory},
      {K::open, "dangling", "", oflags::creat},  // creates nope
      {K::open, "e/.", "", oflags::creat}, {K::open, ".", "", 0, true},
      {K::open, "d2", ""}, {K::open, "e", "", oflags::directory},
      {K::open, "f", "", oflags::trunc, true},
      {K::stat, "f/"}, {K::stat, "sd2/"}, {K::lstat, "sd2/"}, {K::lstat, "sd2"}, {K::stat, "nope/"},
      {K::stat, "e/../f"}, {K::stat, "f/.."}, {K::lstat, "dangling"}, {K::stat, "d3"},
      {K::readlink, "f"}, {K::readlink, "nothing"}, {K::readlink, "ln"}, {K::readlink, "sd2/"},
      {K::readlink, "."},
      {K::rmdir, "e/sub"}, {K::rmdir, "e"}, {K::unlink, "hard"}, {K::rename, "ln", "sd2"},
  };
  for (const Op& op : ops) {
    Errno want = run_linux(dfd, op);
    Errno got = run_overlay(ov, op);
    EXPECT_EQ(got, want) << describe(op);
  }
  ::close(dfd);
  std::map<std::string, std::string> want_tree, got_tree;
  walk_host(real, "", want_tree);
  walk_overlay(ov, "", got_tree);
  EXPECT_EQ(got_tree, want_tree);
  EXPECT_EQ(snapshot(lower), lower_before);
}

}  // namespace
