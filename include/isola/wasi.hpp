// Isola's WASI kernel: every `wasi_snapshot_preview1` call a guest makes is served here, and
// this code decides what the guest may touch.
//
//   isola::Linker linker(engine);
//   isola::wasi::add_to_linker(linker);                 // the 46 preview1 functions
//   auto pre = linker.prelink(module);
//
//   isola::wasi::Config cfg;
//   cfg.args = {"app", "--verbose"};
//   cfg.dirs.push_back({"/srv/data", "/data", isola::wasi::MountMode::Overlay});
//   auto ctx = isola::wasi::Context::create(std::move(cfg));   // per instance
//   isola::Store store(engine);
//   (*ctx)->attach(store);                               // the calls find it through the store
//   auto inst = pre->instantiate(store);
//   auto code = isola::wasi::run_command(store, *inst);  // _start; exit code or trap
//
// Paths a guest names never leave its preopened directories: host directories are resolved
// with openat2(RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS), overlays by a walk that refuses to
// climb above their root. A Context is used by one thread at a time.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "isola/engine.hpp"

namespace isola::wasi {

namespace detail {
struct ContextData;
}

// How a preopened host directory is mounted.
enum class MountMode : uint8_t {
  ReadWrite,  // the guest reads and writes the host directory
  ReadOnly,   // writes fail with EROFS; rights reported without write rights
  Overlay,    // writes (create, write, rename, unlink, mkdir) live in memory and vanish with
              // the Context; the host directory is never modified
};

struct DirMount {
  std::string host_path;   // a directory on the host
  std::string guest_path;  // the name the guest sees ("/data", "."); defaults to host_path
  MountMode mode = MountMode::ReadWrite;
};

// Where a standard stream (fd 0, 1, 2) comes from or goes to.
struct Stdio {
  enum class Kind : uint8_t { Inherit, Null, Input, Output };
  Kind kind = Kind::Inherit;
  int host_fd = -1;                      // Inherit: this host fd (duplicated); -1 = the usual 0/1/2
  std::string input;                     // Input: the bytes the guest reads, then EOF
  std::function<void(std::string_view)> output;  // Output: receives each write, in order

  static Stdio inherit(int fd = -1) { Stdio s; s.host_fd = fd; return s; }
  static Stdio null() { Stdio s; s.kind = Kind::Null; return s; }
  static Stdio from_string(std::string bytes) { Stdio s; s.kind = Kind::Input; s.input = std::move(bytes); return s; }
  static Stdio to(std::function<void(std::string_view)> sink) {
    Stdio s; s.kind = Kind::Output; s.output = std::move(sink); return s;
  }
};

struct Config {
  std::vector<std::string> args;  // argv; args[0] is the program's name
  std::vector<std::string> env;   // "NAME=VALUE"
  Stdio stdin_ = Stdio::inherit(), stdout_ = Stdio::inherit(), stderr_ = Stdio::inherit();
  // Preopened directories, fds 3, 4, ... in this order.
  std::vector<DirMount> dirs;
  // Sockets handed to the guest as preopened fds after the directories (host fds, which
  // the Context duplicates): listening sockets for sock_accept, or connected ones.
  std::vector<int> sockets;
  // Receives one line per call (no trailing newline) when set: name, decoded arguments,
  // result or errno, duration. Denied calls are traced too.
  std::function<void(std::string_view line)> trace;
  // Calls refused with ENOTCAPABLE, by name ("path_open", "sock_accept", ...).
  std::vector<std::string> deny;
};

// The state of one guest instance: arguments, environment, fd table, mounts.
class Context {
 public:
  // Errors name what is wrong: "--dir /nope: no such directory", "unknown WASI call 'foo'".
  static Expected<std::unique_ptr<Context>> create(Config config);
  ~Context();
  Context(const Context&) = delete;
  Context& operator=(const Context&) = delete;

  // Makes the WASI calls made from `store` use this context. The context must outlive the
  // store's use of it.
  void attach(Store& store);
  static Context* from(const Store& store);

  detail::ContextData& data() { return *d_; }

 private:
  explicit Context(std::unique_ptr<detail::ContextData> d);
  std::unique_ptr<detail::ContextData> d_;
};

// Defines every wasi_snapshot_preview1 function in `linker`. Each finds its Context through
// the calling store (Context::attach); a call from a store without one traps.
void add_to_linker(Linker& linker);

// The names of the 46 preview1 functions, in the spec's order.
const std::vector<std::string_view>& function_names();

// Calls the command's `_start`. Returns its exit code (0 when it returns normally, the
// code given to proc_exit otherwise) or the trap that ended it.
Expected<int, Trap> run_command(Store& store, const Instance& instance);

}  // namespace isola::wasi
