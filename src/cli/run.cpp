// `isola run [OPTIONS] MODULE.wasm [ARGS...]`, in the spirit of `wasmtime run`.
#include <cstdio>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "cli/cli_util.hpp"

namespace isola::cli {
namespace {

constexpr const char* kRunUsage =
    "usage: isola run [OPTIONS] MODULE.wasm [ARGS...]\n"
    "\n"
    "Instantiates MODULE.wasm (running its start function), then calls its `_start` export\n"
    "if it has one. With --invoke, calls `_initialize` if exported (a WASI reactor), then\n"
    "FUNC with ARGS parsed per its parameter types, and prints each result on its own line.\n"
    "\n"
    "options:\n"
    "  --invoke FUNC   call the exported function FUNC\n"
    "  -h, --help      show this help\n"
    "\n"
    "ARGS: i32/i64 as decimal (signed or unsigned) or 0x hex; f32/f64 as decimal, hex float\n"
    "(0x1.8p3), inf, nan or nan:0xPAYLOAD; funcref/externref as null.\n";

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

}  // namespace

int cmd_run(std::span<char* const> args) {
  std::optional<std::string> invoke;
  std::string path;
  size_t i = 0;
  for (; i < args.size(); ++i) {
    std::string_view a = args[i];
    if (a == "--") {
      ++i;
      break;
    }
    if (a == "-h" || a == "--help") {
      std::fputs(kRunUsage, stdout);
      return kExitOk;
    }
    if (a == "--invoke") {
      if (i + 1 >= args.size()) return usage_error("--invoke needs a function name");
      invoke = args[++i];
    } else if (a.starts_with("--invoke=")) {
      invoke = std::string(a.substr(9));
    } else if (a.size() > 1 && a[0] == '-') {
      return usage_error("unknown option '" + std::string(a) + "'");
    } else {
      break;
    }
  }
  if (i >= args.size()) return usage_error("missing MODULE.wasm");
  path = args[i++];
  std::vector<std::string_view> guest_args(args.begin() + static_cast<std::ptrdiff_t>(i), args.end());
  if (invoke && invoke->empty()) return usage_error("--invoke needs a function name");

  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) {
    std::fprintf(stderr, "isola: %s: %s\n", path.c_str(),
                 std::filesystem::exists(path, ec) ? "not a regular file" : "no such file");
    return kExitUsage;
  }

  Engine engine;
  Expected<Module> module = Module::load_file(engine, path);
  if (!module) {
    std::fprintf(stderr, "isola: %s\n", with_path(path, module.error().message).c_str());
    return kExitUsage;
  }

  // No host functions exist yet: a module that imports anything cannot run.
  std::vector<ImportInfo> imports = module->imports();
  if (!imports.empty()) {
    const ImportInfo& imp = imports.front();
    const bool wasi = imp.module.starts_with("wasi");
    std::fprintf(stderr, "isola: %s: unknown import: %s.%s (%s)\n", path.c_str(), imp.module.c_str(),
                 imp.name.c_str(),
                 wasi ? "WASI support is not built yet" : "isola run provides no host imports yet");
    return kExitUsage;
  }

  Linker linker(engine);
  Expected<InstancePre> pre = linker.prelink(*module);
  if (!pre) {
    std::fprintf(stderr, "isola: %s\n", with_path(path, pre.error().message).c_str());
    return kExitUsage;
  }
  Store store(engine);
  auto inst = pre->instantiate(store);
  if (!inst) {
    if (inst.error().trap) return report_trap(*inst.error().trap);
    std::fprintf(stderr, "isola: %s: instantiation failed: %s\n", path.c_str(), inst.error().message.c_str());
    return kExitFailure;
  }

  if (!invoke) {
    Func start = inst->get_func("_start");
    if (!start) return kExitOk;  // a command module without _start: instantiation was the run
    if (!start.type().params.empty() || !start.type().results.empty()) {
      std::fprintf(stderr, "isola: %s: _start has type %s, expected () -> ()\n", path.c_str(),
                   func_type_string(start.type()).c_str());
      return kExitUsage;
    }
    auto out = start.call(store, std::span<const Value>());
    return out ? kExitOk : report_trap(out.error());
  }

  Func func = inst->get_func(*invoke);
  if (!func) {
    std::fprintf(stderr, "isola: %s: no exported function '%s' (exported functions: %s)\n", path.c_str(),
                 invoke->c_str(), exported_functions(*module).c_str());
    return kExitUsage;
  }
  const FuncType& type = func.type();
  if (guest_args.size() != type.params.size()) {
    std::fprintf(stderr, "isola: %s has type %s: expected %zu argument%s, got %zu\n", invoke->c_str(),
                 func_type_string(type).c_str(), type.params.size(), type.params.size() == 1 ? "" : "s",
                 guest_args.size());
    return kExitUsage;
  }
  std::vector<Value> values;
  values.reserve(guest_args.size());
  for (size_t k = 0; k < guest_args.size(); ++k) {
    Expected<Value> v = parse_value(type.params[k], guest_args[k]);
    if (!v) {
      std::fprintf(stderr, "isola: argument %zu of %s: %s\n", k + 1, invoke->c_str(), v.error().message.c_str());
      return kExitUsage;
    }
    values.push_back(*v);
  }

  // A WASI reactor initialises itself (constructors, libc) in `_initialize`, which the
  // host calls once before any other export.
  if (Func init = inst->get_func("_initialize");
      init && init.type().params.empty() && init.type().results.empty() && *invoke != "_initialize") {
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
