// A host directory as a VFS mount, read-write or read-only.
//
// This is a security boundary: every path comes from a hostile guest. Each open Dir keeps a
// host fd, and every guest path is resolved beneath that fd by openat2(2) with
// RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS, so the kernel itself refuses absolute paths, `..`
// that climbs out and symlinks that lead out (EXDEV, which from_host_errno turns into
// ENOTCAPABLE), and never follows /proc magic links. Operations on a last component (mkdir,
// unlink, rename, ...) resolve only the parent that way and then call the *at syscall on a
// single plain name, which cannot contain '/' and is never "." or "..", so that nothing but
// the name's own directory entry is touched. Where Linux would follow a symlink in the last
// component without such a check (utimensat without AT_SYMLINK_NOFOLLOW, linkat with
// AT_SYMLINK_FOLLOW), we follow it ourselves, one hop at a time, each hop again beneath.
#include <dirent.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <climits>
#include <cstddef>
#include <cstring>
#include <new>
#include <stdexcept>
#include <type_traits>
#include <utility>

#include "wasi/vfs/vfs.hpp"

namespace isola::wasi::vfs {
namespace {

constexpr uint64_t kResolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;

// Owns one host fd.
class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  Fd(Fd&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
  Fd& operator=(Fd&& o) noexcept {
    if (this != &o) {
      reset();
      fd_ = std::exchange(o.fd_, -1);
    }
    return *this;
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() { reset(); }

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  void reset() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_ = -1;
};

Errno host_error() { return from_host_errno(errno); }

// Runs `f`, turning the only exceptions our code can raise (allocation failures) into an
// errno: nothing may unwind into the WASI layer.
template <class F>
auto guard(F&& f) noexcept -> std::invoke_result_t<F&> {
  try {
    return f();
  } catch (const std::bad_alloc&) {
    return Errno::nomem;
  } catch (const std::length_error&) {
    return Errno::nomem;
  }
}

// openat2 beneath `dirfd`. The kernel answers EAGAIN when a concurrent rename or mount might
// have let a `..` escape; it asks us to retry, and a bounded number of retries keeps a guest
// that renames in a loop from spinning us forever.
Result<Fd> open_beneath(int dirfd, const char* path, uint64_t flags, uint64_t mode = 0) {
  open_how how{};
  how.flags = flags | O_CLOEXEC;
  how.mode = mode;
  how.resolve = kResolve;
  for (int attempt = 0;; ++attempt) {
    long r = ::syscall(SYS_openat2, dirfd, path, &how, sizeof how);
    if (r >= 0) return Fd(static_cast<int>(r));
    if ((errno == EAGAIN || errno == EINTR) && attempt < 64) continue;
    return host_error();
  }
}

// Checks that hold for every guest path before it reaches the kernel. NUL would silently cut
// the path short in a C string, so it is refused rather than truncated.
Errno check_path(std::string_view p) {
  if (p.empty()) return Errno::noent;
  if (p.find('\0') != std::string_view::npos) return Errno::inval;
  if (p.front() == '/') return Errno::notcapable;
  return Errno::success;
}

// A guest path cut into the part up to its last component and that component.
struct PathParts {
  std::string prefix;           // "" or ends with '/': "a/b/" for "a/b/c"
  std::string name;             // "c"; never contains '/'
  bool trailing_slash = false;  // "a/b/c/" (a directory is meant)
  bool dot() const { return name == "." || name == ".."; }
  const char* parent() const { return prefix.empty() ? "." : prefix.c_str(); }
};

Result<PathParts> split_path(std::string_view p) {
  if (Errno e = check_path(p); e != Errno::success) return e;
  size_t end = p.size();
  while (end > 0 && p[end - 1] == '/') --end;  // stops at 1: p[0] is not '/'
  size_t slash = p.rfind('/', end - 1);
  size_t start = slash == std::string_view::npos ? 0 : slash + 1;
  PathParts parts;
  parts.prefix.assign(p.substr(0, start));
  parts.name.assign(p.substr(start, end - start));
  parts.trailing_slash = end != p.size();
  return parts;
}

// How deep the directory named by `prefix` lies below the Dir, counting lexically.
int lexical_depth(std::string_view prefix) {
  int depth = 0;
  size_t i = 0;
  while (i < prefix.size()) {
    size_t j = prefix.find('/', i);
    if (j == std::string_view::npos) j = prefix.size();
    std::string_view part = prefix.substr(i, j - i);
    if (part == "..") {
      --depth;
    } else if (!part.empty() && part != ".") {
      ++depth;
    }
    i = j + 1;
  }
  return depth;
}

Result<std::string> read_link_at(int dirfd, const char* name) {
  std::string buf(256, '\0');
  for (;;) {
    ssize_t n = ::readlinkat(dirfd, name, buf.data(), buf.size());
    if (n < 0) return host_error();
    if (static_cast<size_t>(n) < buf.size()) {
      buf.resize(static_cast<size_t>(n));
      return buf;
    }
    // A full buffer may mean a cut-off target; symlinks are at most a page on Linux.
    if (buf.size() >= (1u << 20)) return Errno::nametoolong;
    buf.resize(buf.size() * 2);
  }
}

Result<std::array<timespec, 2>> host_times(const Times& t) {
  using namespace fstflags;
  if (t.flags & ~(atim | atim_now | mtim | mtim_now)) return Errno::inval;
  if ((t.flags & atim) && (t.flags & atim_now)) return Errno::inval;
  if ((t.flags & mtim) && (t.flags & mtim_now)) return Errno::inval;
  auto one = [](bool set, bool now, uint64_t ns) {
    timespec ts{};
    if (now) {
      ts.tv_nsec = UTIME_NOW;
    } else if (set) {
      ts.tv_sec = static_cast<time_t>(ns / 1'000'000'000ull);
      ts.tv_nsec = static_cast<long>(ns % 1'000'000'000ull);
    } else {
      ts.tv_nsec = UTIME_OMIT;
    }
    return ts;
  };
  return std::array<timespec, 2>{one(t.flags & atim, t.flags & atim_now, t.atim),
                                 one(t.flags & mtim, t.flags & mtim_now, t.mtim)};
}

Filetype filetype_from_dtype(unsigned char d_type) {
  switch (d_type) {
    case DT_REG: return Filetype::regular_file;
    case DT_DIR: return Filetype::directory;
    case DT_LNK: return Filetype::symbolic_link;
    case DT_CHR: return Filetype::character_device;
    case DT_BLK: return Filetype::block_device;
    case DT_SOCK: return Filetype::socket_stream;
    default: return Filetype::unknown;
  }
}

// readv/writev refuse more than IOV_MAX buffers; a short transfer is allowed, an error for
// a guest that passed many small buffers would not be.
int iov_count(size_t n) { return static_cast<int>(std::min<size_t>(n, IOV_MAX)); }

constexpr uint64_t kMaxOff = static_cast<uint64_t>(INT64_MAX);

// ---------------------------------------------------------------------------------------
// Files

class HostFile final : public File {
 public:
  HostFile(Fd fd, Filetype type, bool regular, bool read_only, bool writable, uint16_t sync_flags)
      : fd_(std::move(fd)), type_(type), regular_(regular), read_only_(read_only),
        writable_(writable), sync_flags_(sync_flags) {}

  Filetype type() const override { return type_; }

  Result<Filestat> stat() override {
    struct stat st;
    if (::fstat(fd_.get(), &st) != 0) return host_error();
    return filestat_from_host(st);
  }

  Result<size_t> read(std::span<const iovec> bufs) override {
    ssize_t n = ::readv(fd_.get(), bufs.data(), iov_count(bufs.size()));
    if (n < 0) return host_error();
    return static_cast<size_t>(n);
  }

  Result<size_t> write(std::span<const iovec> bufs) override {
    if (read_only_) return Errno::rofs;
    ssize_t n = ::writev(fd_.get(), bufs.data(), iov_count(bufs.size()));
    if (n < 0) return host_error();
    return static_cast<size_t>(n);
  }

  Result<size_t> pread(std::span<const iovec> bufs, uint64_t offset) override {
    if (offset > kMaxOff) return Errno::inval;
    ssize_t n =
        ::preadv(fd_.get(), bufs.data(), iov_count(bufs.size()), static_cast<off_t>(offset));
    if (n < 0) return host_error();
    return static_cast<size_t>(n);
  }

  Result<size_t> pwrite(std::span<const iovec> bufs, uint64_t offset) override {
    if (read_only_) return Errno::rofs;
    if (offset > kMaxOff) return Errno::inval;
    ssize_t n =
        ::pwritev(fd_.get(), bufs.data(), iov_count(bufs.size()), static_cast<off_t>(offset));
    if (n < 0) return host_error();
    return static_cast<size_t>(n);
  }

  Result<uint64_t> seek(int64_t offset, Whence whence) override {
    int w;
    switch (whence) {
      case Whence::set: w = SEEK_SET; break;
      case Whence::cur: w = SEEK_CUR; break;
      case Whence::end: w = SEEK_END; break;
      default: return Errno::inval;
    }
    off_t r = ::lseek(fd_.get(), static_cast<off_t>(offset), w);
    if (r < 0) return host_error();  // EINVAL for a position before the start
    return static_cast<uint64_t>(r);
  }

  Errno set_size(uint64_t size) override {
    if (read_only_) return Errno::rofs;
    if (size > kMaxOff) return Errno::fbig;
    if (::ftruncate(fd_.get(), static_cast<off_t>(size)) != 0) return host_error();
    return Errno::success;
  }

  Errno set_times(const Times& t) override {
    if (read_only_) return Errno::rofs;
    auto ts = host_times(t);
    if (!ts) return ts.error();
    if (::futimens(fd_.get(), ts->data()) != 0) return host_error();
    return Errno::success;
  }

  Errno sync() override { return ::fsync(fd_.get()) == 0 ? Errno::success : host_error(); }
  Errno datasync() override {
    return ::fdatasync(fd_.get()) == 0 ? Errno::success : host_error();
  }

  Errno allocate(uint64_t offset, uint64_t len) override {
    if (read_only_) return Errno::rofs;
    if (offset > kMaxOff || len > kMaxOff - offset) return Errno::fbig;
    auto off = static_cast<off_t>(offset), n = static_cast<off_t>(len);
    // fallocate(2) rather than posix_fallocate: glibc's fallback writes zeros block by block,
    // slow and (with O_APPEND) wrong. Where the filesystem cannot reserve space, growing the
    // file still gives what fd_allocate promises to the guest: the range exists.
    if (::fallocate(fd_.get(), 0, off, n) == 0) return Errno::success;
    if (errno != EOPNOTSUPP) return host_error();
    struct stat st;
    if (::fstat(fd_.get(), &st) != 0) return host_error();
    if (off + n > st.st_size && ::ftruncate(fd_.get(), off + n) != 0) return host_error();
    return Errno::success;
  }

  Errno advise(uint64_t offset, uint64_t len, Advice advice) override {
    int a;
    switch (advice) {
      case Advice::normal: a = POSIX_FADV_NORMAL; break;
      case Advice::sequential: a = POSIX_FADV_SEQUENTIAL; break;
      case Advice::random: a = POSIX_FADV_RANDOM; break;
      case Advice::willneed: a = POSIX_FADV_WILLNEED; break;
      case Advice::dontneed: a = POSIX_FADV_DONTNEED; break;
      case Advice::noreuse: a = POSIX_FADV_NOREUSE; break;
      default: return Errno::inval;
    }
    if (offset > kMaxOff || len > kMaxOff) return Errno::inval;
    int err = ::posix_fadvise(fd_.get(), static_cast<off_t>(offset), static_cast<off_t>(len), a);
    return from_host_errno(err);  // posix_fadvise returns the error instead of setting errno
  }

  // The sync family is reported as the guest asked for it: Linux folds O_RSYNC into O_SYNC
  // (and O_SYNC includes O_DSYNC's bit), so F_GETFL could not tell them apart.
  uint16_t fdflags() const override {
    uint16_t r = sync_flags_;
    int fl = ::fcntl(fd_.get(), F_GETFL);
    if (fl >= 0) {
      if (fl & O_APPEND) r |= fdflags::append;
      if (fl & O_NONBLOCK) r |= fdflags::nonblock;
    }
    return r;
  }

  Errno set_fdflags(uint16_t flags) override {
    namespace ff = fdflags;  // spelled out: the member sync() hides fdflags::sync
    if (flags & ~(ff::append | ff::dsync | ff::nonblock | ff::rsync | ff::sync)) {
      return Errno::inval;
    }
    // Linux cannot change the sync mode of an open file (F_SETFL ignores it).
    if ((flags & (ff::dsync | ff::rsync | ff::sync)) != sync_flags_) return Errno::notsup;
    int fl = ::fcntl(fd_.get(), F_GETFL);
    if (fl < 0) return host_error();
    fl &= ~(O_APPEND | O_NONBLOCK);
    if (flags & ff::append) fl |= O_APPEND;
    if (flags & ff::nonblock) fl |= O_NONBLOCK;
    if (::fcntl(fd_.get(), F_SETFL, fl) != 0) return host_error();
    return Errno::success;
  }

  bool writable() const override { return writable_; }

  // Regular files are always ready; FIFOs and devices can be waited on.
  int poll_fd() const override { return regular_ ? -1 : fd_.get(); }

 private:
  Fd fd_;
  Filetype type_;
  bool regular_;
  bool read_only_;
  bool writable_;
  uint16_t sync_flags_;
};

// ---------------------------------------------------------------------------------------
// Directories

// What every Dir of one open_host_dir shares: rename and link may only stay within it.
struct Mount {
  dev_t dev;
  ino_t ino;
  bool read_only;
};

class HostDir final : public Dir {
 public:
  HostDir(Fd fd, std::shared_ptr<const Mount> mount)
      : fd_(std::move(fd)), mount_(std::move(mount)) {}

  Result<Filestat> stat() override {
    struct stat st;
    if (::fstat(fd_.get(), &st) != 0) return host_error();
    return filestat_from_host(st);
  }

  Errno set_times(const Times& t) override {
    if (read_only()) return Errno::rofs;
    auto ts = host_times(t);
    if (!ts) return ts.error();
    // fd_ may be O_PATH, which futimens refuses; "." relative to it is the directory itself.
    if (::utimensat(fd_.get(), ".", ts->data(), 0) != 0) return host_error();
    return Errno::success;
  }

  Errno sync() override {
    // fsync needs a real fd, and fd_ may be O_PATH.
    Fd dir(::openat(fd_.get(), ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!dir.valid()) return host_error();
    return ::fsync(dir.get()) == 0 ? Errno::success : host_error();
  }

  bool read_only() const override { return mount_->read_only; }

  Result<Opened> open(std::string_view path, const OpenRequest& req) override {
    return guard([&]() -> Result<Opened> { return open_impl(path, req); });
  }

  Result<Filestat> stat_at(std::string_view path, bool follow) override {
    return guard([&]() -> Result<Filestat> {
      if (Errno e = check_path(path); e != Errno::success) return e;
      // O_PATH | O_NOFOLLOW yields the symlink itself, so fstat is lstat here; a trailing
      // slash still follows, as lstat("link/") does.
      auto fd = open_beneath(fd_.get(), std::string(path).c_str(),
                             O_PATH | (follow ? 0 : O_NOFOLLOW));
      if (!fd) return fd.error();
      struct stat st;
      if (::fstat(fd->get(), &st) != 0) return host_error();
      return filestat_from_host(st);
    });
  }

  Errno set_times_at(std::string_view path, bool follow, const Times& t) override {
    return guard([&]() -> Errno {
      if (read_only()) return Errno::rofs;
      auto ts = host_times(t);
      if (!ts) return ts.error();
      auto at = locate(path, follow);
      if (!at) return at.error();
      int r = at->dir.valid()
                  ? ::utimensat(at->dir.get(), ".", ts->data(), 0)
                  : ::utimensat(at->parent.get(), at->parts.name.c_str(), ts->data(),
                                AT_SYMLINK_NOFOLLOW);
      return r == 0 ? Errno::success : host_error();
    });
  }

  Errno mkdir(std::string_view path) override {
    return guard([&]() -> Errno {
      if (read_only()) return Errno::rofs;
      auto at = last(path);
      if (!at) return at.error();
      if (at->parts.dot()) return Errno::exist;  // as mkdir(".") on Linux
      if (::mkdirat(at->parent.get(), at->parts.name.c_str(), 0777) != 0) return host_error();
      return Errno::success;
    });
  }

  Errno rmdir(std::string_view path) override {
    return guard([&]() -> Errno {
      if (read_only()) return Errno::rofs;
      auto at = last(path);
      if (!at) return at.error();
      if (at->parts.dot()) return at->parts.name == "." ? Errno::inval : Errno::notempty;
      if (::unlinkat(at->parent.get(), at->parts.name.c_str(), AT_REMOVEDIR) != 0) {
        return host_error();
      }
      return Errno::success;
    });
  }

  Errno unlink(std::string_view path) override {
    return guard([&]() -> Errno {
      if (read_only()) return Errno::rofs;
      auto at = last(path);
      if (!at) return at.error();
      if (at->parts.dot()) return Errno::isdir;
      if (at->parts.trailing_slash) {
        // "x/" names a directory: Linux refuses with EISDIR for one, ENOTDIR for anything
        // else (a symlink included), and removes nothing.
        struct stat st;
        if (::fstatat(at->parent.get(), at->parts.name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
          return host_error();
        }
        return S_ISDIR(st.st_mode) ? Errno::isdir : Errno::notdir;
      }
      if (::unlinkat(at->parent.get(), at->parts.name.c_str(), 0) != 0) return host_error();
      return Errno::success;
    });
  }

  Result<std::string> readlink(std::string_view path) override {
    return guard([&]() -> Result<std::string> {
      auto at = last(path);
      if (!at) return at.error();
      if (at->parts.dot()) return Errno::inval;
      if (at->parts.trailing_slash) {
        // "x/" follows x to a directory, which is not a symlink.
        auto dir = open_beneath(fd_.get(), std::string(path).c_str(), O_PATH | O_DIRECTORY);
        if (!dir) return dir.error();
        return Errno::inval;
      }
      return read_link_at(at->parent.get(), at->parts.name.c_str());
    });
  }

  Errno symlink(std::string_view target, std::string_view path) override {
    return guard([&]() -> Errno {
      if (read_only()) return Errno::rofs;
      if (target.empty()) return Errno::noent;
      if (target.find('\0') != std::string_view::npos) return Errno::inval;
      if (target.front() == '/') return Errno::notcapable;
      auto at = last(path);
      if (!at) return at.error();
      if (at->parts.dot()) return Errno::exist;
      if (at->parts.trailing_slash) {
        // A symlink is not a directory: "x/" can only name one that exists already.
        struct stat st;
        if (::fstatat(at->parent.get(), at->parts.name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0) {
          return Errno::exist;
        }
        return host_error();
      }
      // The link's depth is taken both lexically from the guest's path and physically from
      // where its parent really is: through a symlinked parent ("self" -> ".") the lexical
      // depth alone would let "self/x" -> "../out" point out of the tree for whoever follows
      // it on the host (our own resolution would refuse it anyway).
      auto physical = depth_below(at->parent.get());
      if (!physical) return physical.error();
      int depth = std::min(lexical_depth(at->parts.prefix), *physical);
      if (depth < 0 || !symlink_target_stays_inside(target, depth)) return Errno::notcapable;
      if (::symlinkat(std::string(target).c_str(), at->parent.get(), at->parts.name.c_str()) != 0) {
        return host_error();
      }
      return Errno::success;
    });
  }

  Errno rename(std::string_view from, Dir& to_dir, std::string_view to) override {
    return guard([&]() -> Errno {
      auto* other = dynamic_cast<HostDir*>(&to_dir);
      if (!other || !same_mount(*other)) return Errno::xdev;
      if (read_only()) return Errno::rofs;
      auto src = last(from);
      if (!src) return src.error();
      auto dst = other->last(to);
      if (!dst) return dst.error();
      if (src->parts.dot() || dst->parts.dot()) return Errno::busy;  // as Linux
      if (src->parts.trailing_slash || dst->parts.trailing_slash) {
        // A trailing slash on either end means the source must be a directory.
        struct stat st;
        if (::fstatat(src->parent.get(), src->parts.name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
          return host_error();
        }
        if (!S_ISDIR(st.st_mode)) return Errno::notdir;
      }
      if (::renameat(src->parent.get(), src->parts.name.c_str(), dst->parent.get(),
                     dst->parts.name.c_str()) != 0) {
        // Both names are plain entries, so EXDEV here is a real cross-device rename (a mount
        // inside the tree), not an escape.
        return errno == EXDEV ? Errno::xdev : host_error();
      }
      return Errno::success;
    });
  }

  Errno link(std::string_view from, bool follow, Dir& to_dir, std::string_view to) override {
    return guard([&]() -> Errno {
      auto* other = dynamic_cast<HostDir*>(&to_dir);
      if (!other || !same_mount(*other)) return Errno::xdev;
      if (read_only()) return Errno::rofs;
      // Never AT_SYMLINK_FOLLOW: the kernel would follow the source symlink without any
      // beneath check and hard-link whatever it points to, /etc/shadow included. locate()
      // follows it hop by hop beneath this Dir instead.
      auto src = locate(from, follow);
      if (!src) return src.error();
      auto dst = other->last(to);
      if (!dst) return dst.error();
      if (dst->parts.dot()) return Errno::exist;
      if (dst->parts.trailing_slash) {
        struct stat st;
        if (::fstatat(dst->parent.get(), dst->parts.name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0) {
          return Errno::exist;
        }
        return host_error();
      }
      if (src->dir.valid()) return Errno::perm;  // a directory: no hard links to those
      if (::linkat(src->parent.get(), src->parts.name.c_str(), dst->parent.get(),
                   dst->parts.name.c_str(), 0) != 0) {
        return errno == EXDEV ? Errno::xdev : host_error();
      }
      return Errno::success;
    });
  }

  Result<std::vector<Dirent>> readdir(uint64_t cookie, size_t min_bytes) override {
    return guard([&]() -> Result<std::vector<Dirent>> { return readdir_impl(cookie, min_bytes); });
  }

 private:
  // The last component of a guest path with its parent opened beneath this Dir. When the
  // component is "." or "..", `parent` stays closed: the *at calls would take ".." from
  // the parent fd without any beneath check, so the whole path is resolved instead, which
  // proves it exists inside, and the caller answers as Linux does for such names.
  struct Last {
    PathParts parts;
    Fd parent;
    Fd dir;  // only from locate(): the path names this directory ("." / ".." / "x/")
  };

  Result<Last> last(std::string_view path) const {
    auto parts = split_path(path);
    if (!parts) return parts.error();
    Last at;
    at.parts = std::move(*parts);
    if (at.parts.dot()) {
      auto whole = open_beneath(fd_.get(), std::string(path).c_str(), O_PATH | O_DIRECTORY);
      if (!whole) return whole.error();
      return at;
    }
    auto parent = open_beneath(fd_.get(), at.parts.parent(), O_PATH | O_DIRECTORY);
    if (!parent) return parent.error();
    at.parent = std::move(*parent);
    return at;
  }

  // Like last(), but following symlinks in the last component when `follow` is set, so that
  // the result names an object that is not a symlink (or, racing a concurrent change, one
  // that the caller then treats with AT_SYMLINK_NOFOLLOW, which is safe). A target is taken
  // relative to the link's own directory: the prefix of the path that led to it, resolved
  // again beneath this Dir on the next hop. A path naming a directory by ".", ".." or a
  // trailing slash comes back as `dir`, opened itself.
  Result<Last> locate(std::string_view path, bool follow) const {
    std::string cur(path);
    for (int hops = 0;;) {
      auto parts = split_path(cur);
      if (!parts) return parts.error();
      Last at;
      at.parts = std::move(*parts);
      if (at.parts.dot() || at.parts.trailing_slash) {
        auto dir = open_beneath(fd_.get(), cur.c_str(), O_PATH | O_DIRECTORY);
        if (!dir) return dir.error();
        at.dir = std::move(*dir);
        return at;
      }
      auto parent = open_beneath(fd_.get(), at.parts.parent(), O_PATH | O_DIRECTORY);
      if (!parent) return parent.error();
      at.parent = std::move(*parent);
      if (!follow) return at;
      struct stat st;
      if (::fstatat(at.parent.get(), at.parts.name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0 ||
          !S_ISLNK(st.st_mode)) {
        return at;  // missing (the caller's call says so) or not a symlink
      }
      if (++hops > kMaxSymlinks) return Errno::loop;
      auto target = read_link_at(at.parent.get(), at.parts.name.c_str());
      if (!target) return target.error();
      if (target->empty()) return Errno::noent;
      if (target->front() == '/') return Errno::notcapable;
      cur = std::move(at.parts.prefix);
      cur.append(*target);
    }
  }

  // How many levels below this Dir the directory `dirfd` is, found by walking up its ".."
  // entries until this Dir's own inode. The walk leaves the tree only to compare inodes,
  // never to act on what it finds; it fails with ENOTCAPABLE if it reaches the host's root
  // first (the directory was moved out meanwhile).
  Result<int> depth_below(int dirfd) const {
    struct stat root;
    if (::fstat(fd_.get(), &root) != 0) return host_error();
    Fd cur(::openat(dirfd, ".", O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!cur.valid()) return host_error();
    for (int depth = 0; depth < 4096; ++depth) {
      struct stat st, up_st;
      if (::fstat(cur.get(), &st) != 0) return host_error();
      if (st.st_dev == root.st_dev && st.st_ino == root.st_ino) return depth;
      Fd up(::openat(cur.get(), "..", O_PATH | O_DIRECTORY | O_CLOEXEC));
      if (!up.valid()) return host_error();
      if (::fstat(up.get(), &up_st) != 0) return host_error();
      if (up_st.st_dev == st.st_dev && up_st.st_ino == st.st_ino) break;  // the host's "/"
      cur = std::move(up);
    }
    return Errno::notcapable;
  }

  // Two Dirs are of one mount when they come from the same open_host_dir, or from two opens
  // of the same host directory with the same access: renaming between those cannot reach
  // anything either could not.
  bool same_mount(const HostDir& other) const {
    if (mount_ == other.mount_) return true;
    return mount_->dev == other.mount_->dev && mount_->ino == other.mount_->ino &&
           mount_->read_only == other.mount_->read_only;
  }

  Result<Opened> open_impl(std::string_view path, const OpenRequest& req) {
    if (Errno e = check_path(path); e != Errno::success) return e;
    const bool ro = read_only();
    if (ro && (req.write || (req.oflags & (oflags::creat | oflags::trunc)))) return Errno::rofs;
    // Linux 6.4+ refuses O_CREAT | O_DIRECTORY too; answering ourselves keeps older kernels
    // from creating a regular file the guest asked to be a directory.
    if ((req.oflags & oflags::creat) && (req.oflags & oflags::directory)) return Errno::inval;
    const std::string p(path);
    const uint64_t nofollow = req.follow ? 0 : O_NOFOLLOW;

    if ((req.oflags & oflags::directory) && !req.write && !(req.oflags & oflags::trunc)) {
      // A directory serves as a base for paths: O_PATH needs no read permission on it, and
      // never opens a device or FIFO for real when the path turns out not to be a directory.
      // With O_NOFOLLOW a symlink fails O_DIRECTORY with ENOTDIR, as Linux's open does.
      auto fd = open_beneath(fd_.get(), p.c_str(), O_PATH | O_DIRECTORY | nofollow);
      if (!fd) return fd.error();
      return Opened{nullptr, std::make_shared<HostDir>(std::move(*fd), mount_)};
    }

    // O_NONBLOCK at first, always: opening a FIFO would otherwise block this thread until a
    // writer appears, at a guest's whim. It is cleared below unless the guest asked for it.
    uint64_t flags = O_NOCTTY | O_NONBLOCK | nofollow;
    flags |= req.write ? (req.read ? O_RDWR : O_WRONLY) : O_RDONLY;
    if (req.oflags & oflags::creat) {
      flags |= O_CREAT;
      if (req.oflags & oflags::excl) flags |= O_EXCL;  // without O_CREAT it means something else
    }
    if (req.oflags & oflags::trunc) flags |= O_TRUNC;
    if (req.oflags & oflags::directory) flags |= O_DIRECTORY;
    if (req.fdflags & fdflags::append) flags |= O_APPEND;
    if (req.fdflags & fdflags::dsync) flags |= O_DSYNC;
    if (req.fdflags & fdflags::rsync) flags |= O_RSYNC;
    if (req.fdflags & fdflags::sync) flags |= O_SYNC;
    auto fd = open_beneath(fd_.get(), p.c_str(), flags, (flags & O_CREAT) ? 0666 : 0);
    if (!fd) return fd.error();  // a directory opened for writing: EISDIR from the kernel

    struct stat st;
    if (::fstat(fd->get(), &st) != 0) return host_error();
    if (S_ISDIR(st.st_mode)) {
      // A directory opened without oflags::directory is still a Dir; this read-only fd
      // serves as well as an O_PATH one.
      return Opened{nullptr, std::make_shared<HostDir>(std::move(*fd), mount_)};
    }
    if (!(req.fdflags & fdflags::nonblock)) {
      int fl = ::fcntl(fd->get(), F_GETFL);
      if (fl < 0 || ::fcntl(fd->get(), F_SETFL, fl & ~O_NONBLOCK) != 0) return host_error();
    }
    const uint16_t sync_flags = req.fdflags & (fdflags::dsync | fdflags::rsync | fdflags::sync);
    return Opened{std::make_shared<HostFile>(std::move(*fd), filetype_from_mode(st.st_mode),
                                             S_ISREG(st.st_mode), ro, req.write && !ro,
                                             sync_flags),
                  nullptr};
  }

  Result<std::vector<Dirent>> readdir_impl(uint64_t cookie, size_t min_bytes) {
    // A fresh fd per call: fd_ may be O_PATH, which getdents refuses, and a private offset
    // means the cookie alone says where to resume. Cookies are the filesystem's own d_off
    // values (hash positions on ext4, stable offsets on tmpfs), which survive entries being
    // added or removed in between, where a count of entries would not.
    Fd dir(::openat(fd_.get(), ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!dir.valid()) return host_error();
    if (cookie > kMaxOff) return Errno::inval;
    if (::lseek(dir.get(), static_cast<off_t>(cookie), SEEK_SET) < 0) return host_error();

    // At the mount's root, ".." is the host directory above it: its inode is not the guest's
    // to see. It gets the root's own, as ".." of "/" has.
    struct stat self;
    if (::fstat(dir.get(), &self) != 0) return host_error();
    const bool at_root = self.st_dev == mount_->dev && self.st_ino == mount_->ino;

    std::vector<Dirent> out;
    size_t bytes = 0;
    alignas(8) char buf[16384];
    while (bytes < min_bytes) {
      ssize_t n = ::getdents64(dir.get(), buf, sizeof buf);
      if (n < 0) return host_error();
      if (n == 0) break;  // the end
      for (size_t pos = 0; pos < static_cast<size_t>(n) && bytes < min_bytes;) {
        // Header fields are copied out rather than read through a cast pointer.
        const char* rec = buf + pos;
        uint64_t ino;
        int64_t off;
        unsigned short reclen;
        unsigned char dtype;
        std::memcpy(&ino, rec + offsetof(struct dirent64, d_ino), sizeof ino);
        std::memcpy(&off, rec + offsetof(struct dirent64, d_off), sizeof off);
        std::memcpy(&reclen, rec + offsetof(struct dirent64, d_reclen), sizeof reclen);
        std::memcpy(&dtype, rec + offsetof(struct dirent64, d_type), sizeof dtype);
        if (reclen == 0) return Errno::io;  // never from a sane kernel; would loop forever
        const char* name = rec + offsetof(struct dirent64, d_name);
        size_t name_len = ::strnlen(name, reclen - offsetof(struct dirent64, d_name));

        Dirent e;
        e.next = static_cast<uint64_t>(off);
        e.ino = ino;
        e.name.assign(name, name_len);
        if (e.name == "." || e.name == "..") {
          e.type = Filetype::directory;  // never stat ".." of the root: it is outside
          if (at_root && e.name == "..") e.ino = mount_->ino;
        } else if (dtype == DT_UNKNOWN) {
          // Some filesystems (XFS without ftype, some network ones) leave d_type unset.
          struct stat st;
          e.type = ::fstatat(dir.get(), e.name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0
                       ? filetype_from_mode(st.st_mode)
                       : Filetype::unknown;
        } else {
          e.type = filetype_from_dtype(dtype);
        }
        bytes += layout::kDirentSize + e.name.size();
        out.push_back(std::move(e));
        pos += reclen;
      }
    }
    return out;
  }

  Fd fd_;
  std::shared_ptr<const Mount> mount_;
};

}  // namespace

Result<std::shared_ptr<Dir>> open_host_dir(const std::string& host_path, bool read_only) {
  return guard([&]() -> Result<std::shared_ptr<Dir>> {
    if (host_path.empty()) return Errno::noent;
    if (host_path.find('\0') != std::string::npos) return Errno::inval;
    Fd fd(::open(host_path.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!fd.valid()) return host_error();
    // O_PATH opens a directory we may not search; say so now rather than on every call.
    if (::faccessat(fd.get(), ".", X_OK, 0) != 0) return host_error();
    struct stat st;
    if (::fstat(fd.get(), &st) != 0) return host_error();
    auto mount = std::make_shared<const Mount>(Mount{st.st_dev, st.st_ino, read_only});
    return std::shared_ptr<Dir>(std::make_shared<HostDir>(std::move(fd), std::move(mount)));
  });
}

}  // namespace isola::wasi::vfs
