// `isola run [OPTIONS] MODULE.wasm [ARGS...]`, in the spirit of `wasmtime run`: a WASI
// command runs with the directories, environment and sockets the options grant.
#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "cli/cli_util.hpp"
#include "isola/wasi.hpp"

extern char** environ;

namespace isola::cli {
namespace {

constexpr const char* kRunUsage =
    "usage: isola run [OPTIONS] MODULE.wasm [ARGS...]\n"
    "\n"
    "Runs a WASI command: instantiates MODULE.wasm and calls its `_start` with ARGS as its\n"
    "arguments; the exit status is the guest's. With --invoke, calls `_initialize` if\n"
    "exported (a WASI reactor), then FUNC with ARGS parsed per its parameter types, and\n"
    "prints each result on its own line. A trap exits 134 with one line naming it.\n"
    "\n"
    "options:\n"
    "  --dir HOST[::GUEST][:ro|:overlay]\n"
    "                      preopen directory HOST, named GUEST inside (default: HOST).\n"
    "                      :ro refuses writes (EROFS); :overlay keeps writes in memory, gone\n"
    "                      when the guest ends, and never touches HOST\n"
    "  --env NAME=VALUE    set an environment variable for the guest\n"
    "  --inherit-env       pass this process's whole environment to the guest\n"
    "  --listen ADDR       preopen a TCP socket listening on ADDR (HOST:PORT, [V6]:PORT)\n"
    "                      after the directories; port 0 picks one and prints it on stderr\n"
    "  --invoke FUNC       call the exported function FUNC instead of _start\n"
    "  --trace-wasi        print every WASI call on stderr: arguments, result, duration\n"
    "  --fuel N            stop the guest (trap \"out of fuel\") after about N wasm instructions\n"
    "  --timeout DURATION  stop the guest (trap \"deadline exceeded\") after DURATION of wall\n"
    "                      time (500ms, 2s, 1.5m; a bare number is seconds)\n"
    "  --max-memory SIZE   cap the guest's linear memory (64KiB, 256MiB, 1GiB): it cannot\n"
    "                      instantiate with more, and memory.grow past it returns -1\n"
    "  --memory-mode guard|bounds\n"
    "                      keep the guest in its memory with guard pages (the default) or\n"
    "                      with explicit bounds checks (for little address space)\n"
    "  --deny-wasi NAMES   comma-separated WASI calls that fail with ENOTCAPABLE\n"
    "  -h, --help          show this help\n"
    "\n"
    "ARGS of --invoke: i32/i64 as decimal (signed or unsigned) or 0x hex; f32/f64 as\n"
    "decimal, hex float (0x1.8p3), inf, nan or nan:0xPAYLOAD; funcref/externref as null.\n";

int usage_error(const std::string& message) {
  std::fprintf(stderr, "isola run: %s\n(see `isola run --help`)\n", message.c_str());
  return kExitUsage;
}

int report_trap(const Trap& trap) {
  if (trap.kind == TrapKind::Exit) return trap.exit_code;  // the guest asked to exit
  std::fprintf(stderr, "isola: trap: %s\n", trap.to_string().c_str());
  return kExitTrap;
}

std::string exported_functions(const Module& m) {
  std::string names;
  for (const ExportInfo& e : m.exports()) {
    if (e.kind != ExternKind::Func) continue;
    if (!names.empty()) names += ", ";
    names += e.name;
  }
  return names.empty() ? "none" : names;
}

// "HOST[::GUEST][:ro|:overlay]"
std::optional<wasi::DirMount> parse_dir(std::string_view spec) {
  wasi::DirMount m;
  if (spec.ends_with(":ro")) {
    m.mode = wasi::MountMode::ReadOnly;
    spec.remove_suffix(3);
  } else if (spec.ends_with(":overlay")) {
    m.mode = wasi::MountMode::Overlay;
    spec.remove_suffix(8);
  }
  size_t sep = spec.find("::");
  m.host_path = std::string(spec.substr(0, sep));
  m.guest_path = sep == std::string_view::npos ? m.host_path : std::string(spec.substr(sep + 2));
  if (m.host_path.empty() || m.guest_path.empty()) return std::nullopt;
  return m;
}

// A listening TCP socket on "HOST:PORT" or "[V6]:PORT"; returns -1 with `err` set.
int listen_on(const std::string& addr, std::string& err) {
  std::string host, port;
  if (!addr.empty() && addr.front() == '[') {
    size_t close = addr.find("]:");
    if (close == std::string::npos) return err = "expected [ADDRESS]:PORT", -1;
    host = addr.substr(1, close - 1);
    port = addr.substr(close + 2);
  } else {
    size_t colon = addr.rfind(':');
    if (colon == std::string::npos) return err = "expected HOST:PORT", -1;
    host = addr.substr(0, colon);
    port = addr.substr(colon + 1);
  }
  if (port.empty() || port.find_first_not_of("0123456789") != std::string::npos) return err = "bad port", -1;
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* res = nullptr;
  if (int r = getaddrinfo(host.empty() ? nullptr : host.c_str(), port.c_str(), &hints, &res); r != 0)
    return err = gai_strerror(r), -1;
  int fd = -1;
  for (addrinfo* ai = res; ai; ai = ai->ai_next) {
    fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
    if (fd < 0) continue;
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 && listen(fd, 128) == 0) break;
    err = std::strerror(errno);
    close(fd);
    fd = -1;
  }
  freeaddrinfo(res);
  if (fd >= 0 && port == "0") {
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
    char h[NI_MAXHOST], p[NI_MAXSERV];
    if (getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) == 0 &&
        getnameinfo(reinterpret_cast<sockaddr*>(&ss), len, h, sizeof h, p, sizeof p, NI_NUMERICHOST | NI_NUMERICSERV) == 0)
      std::fprintf(stderr, "isola: listening on %s%s%s:%s\n", ss.ss_family == AF_INET6 ? "[" : "", h,
                   ss.ss_family == AF_INET6 ? "]" : "", p);
  }
  return fd;
}

struct RunOptions {
  std::optional<std::string> invoke;
  std::optional<uint64_t> fuel;
  std::optional<std::chrono::nanoseconds> timeout;
  std::optional<uint64_t> max_memory;
  Engine::MemoryMode memory_mode = Engine::MemoryMode::GuardPages;
  wasi::Config wasi;
  std::vector<std::string> listen;
  bool inherit_env = false;
  std::vector<std::string> env;
};

// Parses options up to MODULE.wasm; returns the index of MODULE.wasm, or an exit code
// (negated, minus one) when the command is done.
long parse_options(std::span<char* const> args, RunOptions& o) {
  size_t i = 0;
  auto value = [&](std::string_view a, std::string_view name, std::string& out) -> int {
    // "--name VALUE" or "--name=VALUE"; returns 1 if `a` is this option, -1 if it lacks a value.
    if (a == name) {
      if (i + 1 >= args.size()) return -1;
      out = args[++i];
      return 1;
    }
    if (a.size() > name.size() && a.starts_with(name) && a[name.size()] == '=') {
      out = std::string(a.substr(name.size() + 1));
      return 1;
    }
    return 0;
  };
  for (; i < args.size(); ++i) {
    std::string_view a = args[i];
    std::string v;
    int r;
    if (a == "--") return static_cast<long>(i + 1);
    if (a == "-h" || a == "--help") {
      std::fputs(kRunUsage, stdout);
      return -1 - kExitOk;
    }
    if (a == "--inherit-env") {
      o.inherit_env = true;
    } else if (a == "--trace-wasi") {
      o.wasi.trace = [](std::string_view line) {
        std::fprintf(stderr, "[wasi] %.*s\n", static_cast<int>(line.size()), line.data());
      };
    } else if ((r = value(a, "--invoke", v)) != 0) {
      if (r < 0 || v.empty()) return -1 - usage_error("--invoke needs a function name");
      o.invoke = v;
    } else if ((r = value(a, "--dir", v)) != 0) {
      if (r < 0) return -1 - usage_error("--dir needs HOST[::GUEST][:ro|:overlay]");
      auto m = parse_dir(v);
      if (!m) return -1 - usage_error("--dir '" + v + "': expected HOST[::GUEST][:ro|:overlay]");
      o.wasi.dirs.push_back(std::move(*m));
    } else if ((r = value(a, "--env", v)) != 0) {
      if (r < 0 || v.find('=') == std::string::npos || v.front() == '=')
        return -1 - usage_error("--env needs NAME=VALUE");
      o.env.push_back(v);
    } else if ((r = value(a, "--fuel", v)) != 0) {
      Expected<Value> n = parse_value(ValType::I64, v);
      if (r < 0 || !n || v.front() == '-') return -1 - usage_error("--fuel needs a number of units");
      o.fuel = static_cast<uint64_t>(n->i64());
    } else if ((r = value(a, "--timeout", v)) != 0) {
      if (r < 0) return -1 - usage_error("--timeout needs a duration (500ms, 2s, 1.5m)");
      auto d = parse_duration(v);
      if (!d) return -1 - usage_error("--timeout " + d.error().message);
      o.timeout = *d;
    } else if ((r = value(a, "--max-memory", v)) != 0) {
      if (r < 0) return -1 - usage_error("--max-memory needs a size (64KiB, 256MiB, 1GiB)");
      auto n = parse_size(v);
      if (!n) return -1 - usage_error("--max-memory " + n.error().message);
      o.max_memory = *n;
    } else if ((r = value(a, "--memory-mode", v)) != 0) {
      if (r < 0 || (v != "guard" && v != "bounds"))
        return -1 - usage_error("--memory-mode needs 'guard' or 'bounds'");
      o.memory_mode = v == "guard" ? Engine::MemoryMode::GuardPages : Engine::MemoryMode::BoundsChecks;
    } else if ((r = value(a, "--listen", v)) != 0) {
      if (r < 0) return -1 - usage_error("--listen needs an address (HOST:PORT)");
      o.listen.push_back(v);
    } else if ((r = value(a, "--deny-wasi", v)) != 0) {
      if (r < 0) return -1 - usage_error("--deny-wasi needs call names");
      size_t start = 0;
      while (start <= v.size()) {
        size_t comma = v.find(',', start);
        if (comma == std::string::npos) comma = v.size();
        std::string name = v.substr(start, comma - start);
        if (!name.empty()) o.wasi.deny.push_back(name);
        start = comma + 1;
      }
    } else if (a.size() > 1 && a[0] == '-') {
      return -1 - usage_error("unknown option '" + std::string(a) + "'");
    } else {
      return static_cast<long>(i);
    }
  }
  return static_cast<long>(i);
}

// Sets NAME=VALUE in `env`, replacing an earlier NAME.
void set_env(std::vector<std::string>& env, const std::string& entry) {
  std::string_view name(entry.data(), entry.find('='));
  for (std::string& e : env) {
    if (e.size() > name.size() && e.compare(0, name.size(), name) == 0 && e[name.size()] == '=') {
      e = entry;
      return;
    }
  }
  env.push_back(entry);
}

}  // namespace

int cmd_run(std::span<char* const> args) {
  RunOptions o;
  long first = parse_options(args, o);
  if (first < 0) return static_cast<int>(-first - 1);
  size_t i = static_cast<size_t>(first);
  if (i >= args.size()) return usage_error("missing MODULE.wasm");
  std::string path = args[i++];
  std::vector<std::string_view> guest_args(args.begin() + static_cast<std::ptrdiff_t>(i), args.end());

  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) {
    std::fprintf(stderr, "isola: %s: %s\n", path.c_str(),
                 std::filesystem::exists(path, ec) ? "not a regular file" : "no such file");
    return kExitUsage;
  }

  Engine::Config engine_config;
  engine_config.memory_mode = o.memory_mode;
  Engine engine(engine_config);
  Expected<Module> module = Module::load_file(engine, path);
  if (!module) {
    std::fprintf(stderr, "isola: %s\n", with_path(path, module.error().message).c_str());
    return kExitUsage;
  }

  // The guest's view of the world: argv, environment, preopens, sockets.
  o.wasi.args.push_back(path);
  if (!o.invoke)
    for (std::string_view a : guest_args) o.wasi.args.emplace_back(a);
  if (o.inherit_env)
    for (char** e = environ; *e; ++e)
      if (std::strchr(*e, '=')) o.wasi.env.emplace_back(*e);
  for (const std::string& e : o.env) set_env(o.wasi.env, e);
  std::vector<int> sockets;
  for (const std::string& addr : o.listen) {
    std::string err;
    int fd = listen_on(addr, err);
    if (fd < 0) {
      std::fprintf(stderr, "isola: --listen %s: %s\n", addr.c_str(), err.c_str());
      return kExitUsage;
    }
    o.wasi.sockets.push_back(fd);
    sockets.push_back(fd);
  }
  auto ctx = wasi::Context::create(std::move(o.wasi));
  for (int fd : sockets) close(fd);  // the context holds its own duplicates
  if (!ctx) {
    std::fprintf(stderr, "isola: %s\n", ctx.error().message.c_str());
    return kExitUsage;
  }

  Linker linker(engine);
  wasi::add_to_linker(linker);
  Expected<InstancePre> pre = linker.prelink(*module);
  if (!pre) {
    std::fprintf(stderr, "isola: %s\n", with_path(path, pre.error().message).c_str());
    return kExitUsage;
  }
  Store store(engine);
  (*ctx)->attach(store);
  // The limits cover everything the guest runs: its start function, _initialize, the call.
  if (o.fuel) store.set_fuel(*o.fuel);
  if (o.timeout) store.set_timeout(*o.timeout);
  if (o.max_memory) {
    StoreLimits limits;
    limits.max_memory_bytes = *o.max_memory;
    limits.max_total_memory_bytes = *o.max_memory;
    store.set_limits(limits);
  }
  auto inst = pre->instantiate(store);
  if (!inst) {
    if (inst.error().trap) return report_trap(*inst.error().trap);
    std::fprintf(stderr, "isola: %s: instantiation failed: %s\n", path.c_str(), inst.error().message.c_str());
    return kExitFailure;
  }

  if (!o.invoke) {
    Func start = inst->get_func("_start");
    if (!start) {
      if (!guest_args.empty()) {
        std::fprintf(stderr, "isola: %s exports no _start to pass arguments to (use --invoke FUNC)\n", path.c_str());
        return kExitUsage;
      }
      return kExitOk;  // a module without _start: instantiation (its start function) was the run
    }
    if (!start.type().params.empty() || !start.type().results.empty()) {
      std::fprintf(stderr, "isola: %s: _start has type %s, expected () -> ()\n", path.c_str(),
                   func_type_string(start.type()).c_str());
      return kExitUsage;
    }
    auto code = wasi::run_command(store, *inst);
    return code ? *code : report_trap(code.error());
  }

  Func func = inst->get_func(*o.invoke);
  if (!func) {
    std::fprintf(stderr, "isola: %s: no exported function '%s' (exported functions: %s)\n", path.c_str(),
                 o.invoke->c_str(), exported_functions(*module).c_str());
    return kExitUsage;
  }
  const FuncType& type = func.type();
  if (guest_args.size() != type.params.size()) {
    std::fprintf(stderr, "isola: %s has type %s: expected %zu argument%s, got %zu\n", o.invoke->c_str(),
                 func_type_string(type).c_str(), type.params.size(), type.params.size() == 1 ? "" : "s",
                 guest_args.size());
    return kExitUsage;
  }
  std::vector<Value> values;
  values.reserve(guest_args.size());
  for (size_t k = 0; k < guest_args.size(); ++k) {
    Expected<Value> v = parse_value(type.params[k], guest_args[k]);
    if (!v) {
      std::fprintf(stderr, "isola: argument %zu of %s: %s\n", k + 1, o.invoke->c_str(), v.error().message.c_str());
      return kExitUsage;
    }
    values.push_back(*v);
  }

  // A WASI reactor initialises itself (constructors, libc) in `_initialize`, which the
  // host calls once before any other export.
  if (Func init = inst->get_func("_initialize");
      init && init.type().params.empty() && init.type().results.empty() && *o.invoke != "_initialize") {
    auto done = init.call(store, std::span<const Value>());
    if (!done) return report_trap(done.error());
  }
  auto out = func.call(store, std::span<const Value>(values));
  if (!out) return report_trap(out.error());
  for (const Value& v : *out) std::printf("%s\n", format_value(v).c_str());
  std::fflush(stdout);
  return kExitOk;
}

}  // namespace isola::cli
