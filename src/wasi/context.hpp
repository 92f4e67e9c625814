// The per-instance state of the WASI kernel: arguments, environment, the fd table, and the
// trace and deny policy.
#pragma once

#include <bitset>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "isola/wasi.hpp"
#include "wasi/abi.hpp"
#include "wasi/vfs/vfs.hpp"

namespace isola::wasi::detail {

// fd_readdir cookies as the guest sees them: small numbers standing for the mount's own
// cookies. Host directories use the filesystem's 64-bit hash offsets, which wasi-libc's
// telldir() (a 32-bit long on wasm32) would cut short.
struct ReaddirCookies {
  std::vector<uint64_t> mount;                  // guest cookie g >= 1 stands for mount[g - 1]
  std::unordered_map<uint64_t, uint64_t> guest;  // the other way
};

// One open descriptor: a file (stream, socket) or a directory, with its rights.
struct FdEntry {
  std::shared_ptr<vfs::File> file;
  std::shared_ptr<vfs::Dir> dir;
  Rights base = 0;        // what this fd may do
  Rights inheriting = 0;  // what fds opened through it (path_open) may do
  std::string preopen;    // the guest's name for a preopened directory; empty otherwise
  bool is_preopen = false;
  bool read_only = false;  // opened on a read-only mount
  std::shared_ptr<ReaddirCookies> cookies;  // directories, from the first fd_readdir

  explicit operator bool() const { return file || dir; }
  Filetype type() const { return dir ? Filetype::directory : file->type(); }
};

inline constexpr size_t kMaxCalls = 64;

struct ContextData {
  std::vector<std::string> args;
  std::vector<std::string> env;
  std::vector<FdEntry> fds;  // indexed by fd; a closed fd has neither file nor dir
  std::function<void(std::string_view)> trace;
  std::bitset<kMaxCalls> deny;  // by call index (see calls.hpp)
  bool intercept = false;       // tracing or denying anything: take the slow path

  // The entry for `fd`, or nullptr when it is not open.
  FdEntry* get(uint32_t fd) {
    if (fd >= fds.size() || !fds[fd]) return nullptr;
    return &fds[fd];
  }
  // Installs `e` at the lowest free fd, as POSIX does.
  uint32_t insert(FdEntry e) {
    for (size_t i = 0; i < fds.size(); ++i) {
      if (!fds[i]) {
        fds[i] = std::move(e);
        return static_cast<uint32_t>(i);
      }
    }
    fds.push_back(std::move(e));
    return static_cast<uint32_t>(fds.size() - 1);
  }
};

// Upper bound on open fds per instance; path_open and sock_accept past it fail with EMFILE.
inline constexpr size_t kMaxFds = 4096;

}  // namespace isola::wasi::detail
