// The VFS: what the WASI calls need from an open file and an open directory. Three mounts
// implement Dir (host_dir.cpp: a host directory, read-write or read-only; overlay.cpp: an
// in-memory layer over a host directory); stream.cpp implements File for stdio and sockets.
//
// Every path a Dir receives is the guest's, relative to that Dir, and untrusted: an
// implementation must never reach anything outside the tree it was opened on. Absolute
// paths, `..` that climbs above the Dir, and symlinks that point outside (absolute targets
// included) fail with ENOTCAPABLE; symlink chains longer than kMaxSymlinks fail with ELOOP.
// Errors are WASI errnos.
#pragma once

#include <sys/stat.h>
#include <sys/uio.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "isola/engine.hpp"
#include "wasi/abi.hpp"

namespace isola::wasi::vfs {

template <class T>
using Result = Expected<T, Errno>;

inline constexpr int kMaxSymlinks = 40;  // as Linux

struct Filestat {
  uint64_t dev = 0, ino = 0;
  Filetype type = Filetype::unknown;
  uint64_t nlink = 0, size = 0;
  uint64_t atim = 0, mtim = 0, ctim = 0;  // ns since the epoch
};

// fd_filestat_set_times / path_filestat_set_times arguments.
struct Times {
  uint64_t atim = 0, mtim = 0;
  uint16_t flags = 0;  // fstflags: which of atim/mtim to set, to the given value or to now
};

struct Dirent {
  uint64_t next = 0;  // the cookie that resumes reading after this entry
  uint64_t ino = 0;
  Filetype type = Filetype::unknown;
  std::string name;
};

// An open file, stream or socket. The defaults answer as a file that cannot do the thing.
class File {
 public:
  virtual ~File() = default;
  virtual Filetype type() const = 0;
  virtual Result<Filestat> stat() = 0;

  virtual Result<size_t> read(std::span<const iovec> bufs) = 0;
  virtual Result<size_t> write(std::span<const iovec> bufs) = 0;
  virtual Result<size_t> pread(std::span<const iovec>, uint64_t) { return Errno::spipe; }
  virtual Result<size_t> pwrite(std::span<const iovec>, uint64_t) { return Errno::spipe; }
  virtual Result<uint64_t> seek(int64_t, Whence) { return Errno::spipe; }

  virtual Errno set_size(uint64_t) { return Errno::inval; }
  virtual Errno set_times(const Times&) { return Errno::notsup; }
  virtual Errno sync() { return Errno::success; }
  virtual Errno datasync() { return Errno::success; }
  virtual Errno allocate(uint64_t, uint64_t) { return Errno::notsup; }
  virtual Errno advise(uint64_t, uint64_t, Advice) { return Errno::success; }

  // fdflags (append, nonblock, ...) as fd_fdstat_get reports them; set_fdflags may change
  // append and nonblock.
  virtual uint16_t fdflags() const { return 0; }
  virtual Errno set_fdflags(uint16_t) { return Errno::notsup; }
  // Writes denied by the mount (a read-only mount, a file opened without write access).
  virtual bool writable() const { return true; }

  // A host fd poll_oneoff can wait on, or -1 when the file is always ready (regular files,
  // in-memory streams).
  virtual int poll_fd() const { return -1; }

  // Sockets.
  virtual Result<std::shared_ptr<File>> accept(uint16_t /*fdflags*/) { return Errno::notsock; }
  virtual Result<size_t> recv(std::span<const iovec>, uint16_t /*riflags*/, uint16_t& /*roflags*/) {
    return Errno::notsock;
  }
  virtual Result<size_t> send(std::span<const iovec>) { return Errno::notsock; }
  virtual Errno shutdown(uint8_t /*sdflags*/) { return Errno::notsock; }
};

class Dir;

// What path_open produces: a directory or a file, never both.
struct Opened {
  std::shared_ptr<File> file;
  std::shared_ptr<Dir> dir;
};

struct OpenRequest {
  bool follow = true;       // follow a symlink in the last component (lookupflags)
  uint16_t oflags = 0;      // creat, directory, excl, trunc
  uint16_t fdflags = 0;     // append, nonblock, dsync, rsync, sync
  bool read = true;         // the rights asked for include reading ...
  bool write = false;       // ... or writing
};

// An open directory. All paths are relative to it (see the top of this file).
class Dir {
 public:
  virtual ~Dir() = default;
  virtual Result<Filestat> stat() = 0;
  virtual Errno set_times(const Times& t) = 0;
  virtual Errno sync() { return Errno::success; }
  virtual bool read_only() const = 0;

  // Opens (and with oflags::creat, creates) `path`. A directory comes back as a Dir (and
  // oflags::directory insists on one: ENOTDIR otherwise); anything else as a File.
  // On a read-only mount, creat, trunc or write fail with EROFS.
  virtual Result<Opened> open(std::string_view path, const OpenRequest& req) = 0;

  virtual Result<Filestat> stat_at(std::string_view path, bool follow) = 0;
  virtual Errno set_times_at(std::string_view path, bool follow, const Times& t) = 0;
  virtual Errno mkdir(std::string_view path) = 0;
  virtual Errno rmdir(std::string_view path) = 0;
  virtual Errno unlink(std::string_view path) = 0;
  virtual Result<std::string> readlink(std::string_view path) = 0;
  // Creates a symlink at `path` holding `target`. A target that is absolute, or that would
  // point above the root of this Dir from where the link is, fails with ENOTCAPABLE.
  virtual Errno symlink(std::string_view target, std::string_view path) = 0;
  // Both ends are checked. A `to_dir` of another mount (or another kind of Dir) fails
  // with EXDEV.
  virtual Errno rename(std::string_view from, Dir& to_dir, std::string_view to) = 0;
  virtual Errno link(std::string_view from, bool follow, Dir& to_dir, std::string_view to) = 0;

  // Entries from `cookie` on (0 = the first), including "." and "..", until their encoded
  // size (24 bytes + name each) reaches `min_bytes` or the directory ends. A cookie stays
  // valid while entries are added or removed: reading resumes after the entry that
  // produced it, skipping none that still exist.
  virtual Result<std::vector<Dirent>> readdir(uint64_t cookie, size_t min_bytes) = 0;
};

// host_dir.cpp: a directory of the host, opened now. Errors: ENOENT, ENOTDIR, EACCES.
Result<std::shared_ptr<Dir>> open_host_dir(const std::string& host_path, bool read_only);
// overlay.cpp: an in-memory writable layer over a host directory, which is only read.
Result<std::shared_ptr<Dir>> open_overlay(const std::string& host_path);

// stream.cpp: stdio and sockets.
std::shared_ptr<File> host_stream(int fd);  // takes ownership of fd (pipe, tty, socket, file)
std::shared_ptr<File> null_stream();
std::shared_ptr<File> input_stream(std::string bytes);
std::shared_ptr<File> output_stream(std::function<void(std::string_view)> sink);

// Shared by the mounts (vfs/util.cpp).
Filestat filestat_from_host(const struct stat& st);
Filetype filetype_from_mode(unsigned mode);
uint64_t now_ns();  // CLOCK_REALTIME
// Whether a symlink `target`, created in the directory at `depth` levels below the root,
// stays inside the root (lexically: it is relative and its `..` never climb past the root).
bool symlink_target_stays_inside(std::string_view target, int depth);

}  // namespace isola::wasi::vfs
