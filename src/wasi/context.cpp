// Building a Context from a Config: stdio, preopened directories and sockets become the
// first fds; the deny list becomes a bitset the call wrapper tests.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "isola/wasi.hpp"
#include "wasi/call.hpp"
#include "wasi/context.hpp"

namespace isola::wasi {
namespace {

// The Store key under which a Context is attached: the address of this object.
const char kStoreKey = 0;

Expected<std::shared_ptr<vfs::File>> make_stdio(const Stdio& s, int default_fd, const char* name) {
  switch (s.kind) {
    case Stdio::Kind::Inherit: {
      int fd = fcntl(s.host_fd >= 0 ? s.host_fd : default_fd, F_DUPFD_CLOEXEC, 3);
      if (fd < 0) {
        // A process started with a closed stdio fd: the guest sees an empty stream.
        if (errno == EBADF) return vfs::null_stream();
        return Error{std::string(name) + ": " + std::strerror(errno)};
      }
      return vfs::host_stream(fd);
    }
    case Stdio::Kind::Null: return vfs::null_stream();
    case Stdio::Kind::Input: return vfs::input_stream(s.input);
    case Stdio::Kind::Output:
      if (!s.output) return Error{std::string(name) + ": output stream without a sink"};
      return vfs::output_stream(s.output);
  }
  return Error{std::string(name) + ": unknown kind"};
}

detail::FdEntry stream_entry(std::shared_ptr<vfs::File> f) {
  detail::FdEntry e;
  Filetype t = f->type();
  e.base = t == Filetype::regular_file                                   ? right::regular_file
           : t == Filetype::socket_stream || t == Filetype::socket_dgram ? right::socket
                                                                          : right::stream;
  e.file = std::move(f);
  return e;
}

}  // namespace

Context::Context(std::unique_ptr<detail::ContextData> d) : d_(std::move(d)) {}
Context::~Context() = default;

Expected<std::unique_ptr<Context>> Context::create(Config config) {
  auto d = std::make_unique<detail::ContextData>();
  d->args = std::move(config.args);
  d->env = std::move(config.env);
  for (const std::string& e : d->env)
    if (e.find('=') == std::string::npos) return Error{"environment entry '" + e + "' has no '='"};

  const Stdio* stdio[3] = {&config.stdin_, &config.stdout_, &config.stderr_};
  const char* names[3] = {"stdin", "stdout", "stderr"};
  for (int i = 0; i < 3; ++i) {
    auto f = make_stdio(*stdio[i], i, names[i]);
    if (!f) return f.error();
    d->fds.push_back(stream_entry(std::move(*f)));
  }

  for (const DirMount& m : config.dirs) {
    std::string guest = m.guest_path.empty() ? m.host_path : m.guest_path;
    vfs::Result<std::shared_ptr<vfs::Dir>> dir = m.mode == MountMode::Overlay
                                                     ? vfs::open_overlay(m.host_path)
                                                     : vfs::open_host_dir(m.host_path, m.mode == MountMode::ReadOnly);
    if (!dir) {
      const char* why = dir.error() == Errno::noent    ? "no such directory"
                        : dir.error() == Errno::notdir ? "not a directory"
                        : dir.error() == Errno::acces  ? "permission denied"
                                                       : errno_name(dir.error());
      return Error{"directory '" + m.host_path + "': " + why};
    }
    detail::FdEntry e;
    e.dir = std::move(*dir);
    e.read_only = m.mode == MountMode::ReadOnly;
    e.base = right::directory;
    e.inheriting = right::directory | right::regular_file;
    if (e.read_only) {
      e.base &= ~right::writes;
      e.inheriting &= ~right::writes;
    }
    e.is_preopen = true;
    e.preopen = std::move(guest);
    d->fds.push_back(std::move(e));
  }

  for (int s : config.sockets) {
    int fd = fcntl(s, F_DUPFD_CLOEXEC, 3);
    if (fd < 0) return Error{"socket fd " + std::to_string(s) + ": " + std::strerror(errno)};
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISSOCK(st.st_mode)) {
      close(fd);
      return Error{"fd " + std::to_string(s) + " is not a socket"};
    }
    d->fds.push_back(stream_entry(vfs::host_stream(fd)));
  }

  for (const std::string& name : config.deny) {
    int i = detail::call_index(name);
    if (i < 0) return Error{"unknown WASI call '" + name + "' in the deny list"};
    d->deny.set(static_cast<size_t>(i));
  }
  d->trace = std::move(config.trace);
  d->intercept = d->trace || d->deny.any();
  return std::unique_ptr<Context>(new Context(std::move(d)));
}

void Context::attach(Store& store) { store.set_data(&kStoreKey, this); }

Context* Context::from(const Store& store) { return static_cast<Context*>(store.data(&kStoreKey)); }

Expected<int, Trap> run_command(Store& store, const Instance& instance) {
  Func start = instance.get_func("_start");
  if (!start) {
    Trap t;
    t.kind = TrapKind::Host;
    t.message = "the module exports no _start function (not a WASI command)";
    return t;
  }
  auto r = start.call(store, std::span<const Value>());
  if (r) return 0;
  if (r.error().kind == TrapKind::Exit) return r.error().exit_code;
  return r.error();
}

}  // namespace isola::wasi
