// `isola wast FILE.json|DIR... [-v]`: runs the WebAssembly spec test suite in the JSON form
// that wabt's wast2json writes (a list of commands plus one .wasm file per module).
//
// Each file runs in a forked child process by default, so that an engine crash or hang in
// one file is reported as that file's failure and the run goes on with the next one. The
// child reports counts through a shared page (they survive its death) and failure lines
// through a pipe.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <exception>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <new>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli/cli_util.hpp"

namespace isola::cli {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

constexpr const char* kWastUsage =
    "usage: isola wast [OPTIONS] FILE.json|DIR...\n"
    "\n"
    "Runs spec test scripts converted by wast2json (every *.json file of each DIR).\n"
    "Prints one line per file and a total; exits 0 if no command failed.\n"
    "Modules in text form and the simd_* files are skipped (no SIMD yet).\n"
    "\n"
    "options:\n"
    "  -v, --verbose     list every failure (default: the first 10 per file) and let the\n"
    "                    spectest print functions print\n"
    "  --timeout SECS    time limit per file (default 300, 0 = none)\n"
    "  --memory-mode guard|bounds\n"
    "                    guard pages (the default) or explicit bounds checks\n"
    "  --no-fork         run every file in this process (for debuggers; a crash ends the run)\n"
    "  -h, --help        show this help\n";

constexpr size_t kShownFailures = 10;
constexpr size_t kMaxReason = 600;

struct Options {
  bool verbose = false;
  bool fork = true;
  unsigned timeout_s = 300;
  Engine::MemoryMode memory_mode = Engine::MemoryMode::GuardPages;
  std::vector<std::string> paths;
};

struct Failure {
  uint32_t line = 0;  // 0: about the file as a whole
  std::string reason;
};

struct FileResult {
  uint64_t passed = 0, failed = 0, skipped = 0;
  std::vector<Failure> failures;
};

// One line of printable text: control characters and newlines escaped, length capped.
std::string printable(std::string_view s) {
  std::string out;
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (c < 0x20 || c == 0x7F) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    } else {
      out += ch;
    }
    if (out.size() > kMaxReason) {
      out += "...";
      break;
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------
// Where a script's outcomes go.

class Sink {
 public:
  virtual ~Sink() = default;
  virtual void start(uint64_t total_commands) = 0;
  virtual void at(uint32_t line) = 0;  // about to run the command on `line`
  virtual void pass() = 0;
  virtual void skip() = 0;
  virtual void fail(uint32_t line, std::string_view reason) = 0;
};

// Straight into a FileResult (--no-fork, or when fork is unavailable).
class LocalSink final : public Sink {
 public:
  explicit LocalSink(FileResult& r) : r_(r) {}
  void start(uint64_t) override {}
  void at(uint32_t) override {}
  void pass() override { ++r_.passed; }
  void skip() override { ++r_.skipped; }
  void fail(uint32_t line, std::string_view reason) override {
    ++r_.failed;
    r_.failures.push_back({line, printable(reason)});
  }

 private:
  FileResult& r_;
};

// Counters in a MAP_SHARED page: the parent reads them even after the child died.
struct SharedCounters {
  std::atomic<uint64_t> total{0}, done{0}, passed{0}, failed{0}, skipped{0};
  std::atomic<uint32_t> line{0};
  std::atomic<int> finished{0};
};

class ChildSink final : public Sink {
 public:
  ChildSink(SharedCounters* c, int fd) : c_(c), fd_(fd) {}
  void start(uint64_t total) override { c_->total.store(total, std::memory_order_relaxed); }
  void at(uint32_t line) override { c_->line.store(line, std::memory_order_relaxed); }
  void pass() override { bump(c_->passed); }
  void skip() override { bump(c_->skipped); }
  void fail(uint32_t line, std::string_view reason) override {
    std::string rec = std::to_string(line) + "\t" + printable(reason) + "\n";
    const char* p = rec.data();
    size_t left = rec.size();
    while (left > 0) {
      ssize_t n = ::write(fd_, p, left);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;  // the parent went away; the counters still tell
      p += n;
      left -= static_cast<size_t>(n);
    }
    bump(c_->failed);
  }

 private:
  void bump(std::atomic<uint64_t>& n) {
    n.fetch_add(1, std::memory_order_relaxed);
    c_->done.fetch_add(1, std::memory_order_relaxed);
  }
  SharedCounters* c_;
  int fd_;
};

// ---------------------------------------------------------------------------------------
// One script: a store, a linker with `spectest` and the registered instances, named modules.

struct Outcome {
  enum Kind { Pass, Fail, Skip } kind = Pass;
  std::string reason;
};
Outcome pass() { return {Outcome::Pass, {}}; }
Outcome skip() { return {Outcome::Skip, {}}; }
Outcome fail(std::string why) { return {Outcome::Fail, std::move(why)}; }

// Host references `ref.extern N`: N maps to the address of a box we keep, so that the
// references are stable, distinct and never null (N = 0 included).
class HostRefs {
 public:
  const void* get(uint64_t n) {
    auto& box = boxes_[n];
    if (!box) {
      box = std::make_unique<uint64_t>(n);
      back_[box.get()] = n;
    }
    return box.get();
  }
  std::optional<uint64_t> find(const void* p) const {
    auto it = back_.find(p);
    if (it == back_.end()) return std::nullopt;
    return it->second;
  }

 private:
  std::map<uint64_t, std::unique_ptr<uint64_t>> boxes_;
  std::map<const void*, uint64_t> back_;
};

std::optional<uint64_t> parse_u64(const json& v) {
  if (!v.is_string()) return std::nullopt;
  const std::string& s = v.get_ref<const std::string&>();
  uint64_t x = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), x, 10);
  if (ec != std::errc() || p != s.data() + s.size() || s.empty()) return std::nullopt;
  return x;
}

// c[key], or null when absent (operator[] on a const json must not be given a missing key).
const json& at(const json& c, const char* key) {
  static const json null;
  auto it = c.find(key);
  return it == c.end() ? null : *it;
}

std::string str(const json& c, const char* key) {
  auto it = c.find(key);
  if (it == c.end() || !it->is_string()) return {};
  return it->get<std::string>();
}

class Script {
 public:
  Script(const Engine& engine, fs::path dir, bool verbose)
      : engine_(engine), dir_(std::move(dir)), store_(engine), linker_(engine) {
    define_spectest(verbose);
  }

  Outcome run(const json& c) {
    const std::string type = str(c, "type");
    if (type == "module") return module(c);
    if (type == "register") return register_instance(c);
    if (type == "action") return action(c);
    if (type == "assert_return") return assert_return(c);
    if (type == "assert_trap") return c.contains("action") ? assert_trap(c) : assert_uninstantiable(c);
    if (type == "assert_exhaustion") return assert_exhaustion(c);
    if (type == "assert_invalid" || type == "assert_malformed") return assert_not_loadable(c);
    if (type == "assert_unlinkable") return assert_unlinkable(c);
    if (type == "assert_uninstantiable") return assert_uninstantiable(c);
    return fail("unknown command type '" + type + "'");
  }

 private:
  struct ActionResult {
    std::vector<Value> values;
    std::optional<Trap> trap;
    std::optional<std::string> error;  // could not perform the action at all
  };

  void define_spectest(bool verbose) {
    // Host functions are store-independent; they capture nothing but the flag.
    linker_.func_typed("spectest", "print", [verbose](Caller&) {
      if (verbose) std::printf("spectest.print()\n");
    });
    linker_.func_typed("spectest", "print_i32", [verbose](Caller&, int32_t a) {
      if (verbose) std::printf("spectest.print_i32(%d)\n", a);
    });
    linker_.func_typed("spectest", "print_i64", [verbose](Caller&, int64_t a) {
      if (verbose) std::printf("spectest.print_i64(%lld)\n", static_cast<long long>(a));
    });
    linker_.func_typed("spectest", "print_f32", [verbose](Caller&, float a) {
      if (verbose) std::printf("spectest.print_f32(%s)\n", format_value(Value::f32(a)).c_str());
    });
    linker_.func_typed("spectest", "print_f64", [verbose](Caller&, double a) {
      if (verbose) std::printf("spectest.print_f64(%s)\n", format_value(Value::f64(a)).c_str());
    });
    linker_.func_typed("spectest", "print_i32_f32", [verbose](Caller&, int32_t a, float b) {
      if (verbose) std::printf("spectest.print_i32_f32(%d, %s)\n", a, format_value(Value::f32(b)).c_str());
    });
    linker_.func_typed("spectest", "print_f64_f64", [verbose](Caller&, double a, double b) {
      if (verbose)
        std::printf("spectest.print_f64_f64(%s, %s)\n", format_value(Value::f64(a)).c_str(),
                    format_value(Value::f64(b)).c_str());
    });
    linker_.define("spectest", "global_i32", store_.create_global({ValType::I32, false}, Value::i32(666)));
    linker_.define("spectest", "global_i64", store_.create_global({ValType::I64, false}, Value::i64(666)));
    linker_.define("spectest", "global_f32", store_.create_global({ValType::F32, false}, Value::f32(666.6f)));
    linker_.define("spectest", "global_f64", store_.create_global({ValType::F64, false}, Value::f64(666.6)));
    linker_.define("spectest", "table",
                   store_.create_table(TableType{ValType::FuncRef, Limits{10, 20}}, Value::null(ValType::FuncRef)));
    linker_.define("spectest", "memory", store_.create_memory(MemoryType{Limits{1, 2}}));
  }

  static bool is_text(const json& c) {
    return str(c, "module_type") == "text" || str(c, "filename").ends_with(".wat");
  }

  Expected<Module> load(const json& c) {
    const std::string file = str(c, "filename");
    if (file.empty()) return Error{"command has no filename"};
    auto m = Module::load_file(engine_, (dir_ / file).string());
    if (m) modules_.push_back(*m);  // keep every module alive as long as the store
    return m;
  }

  Outcome module(const json& c) {
    if (is_text(c)) return skip();
    const std::string name = str(c, "name");
    // Until this module exists, nothing may silently use an older one under its name.
    current_ = Instance();
    if (!name.empty()) named_.erase(name);
    const std::string file = str(c, "filename");
    auto m = load(c);
    if (!m) return fail("module " + file + " did not load: " + m.error().message);
    auto pre = linker_.prelink(*m);
    if (!pre) return fail("module " + file + " did not link: " + pre.error().message);
    pres_.push_back(*pre);
    auto inst = pre->instantiate(store_);
    if (!inst) {
      std::string why = inst.error().message;
      if (inst.error().trap) why = "trap: " + inst.error().trap->to_string();
      return fail("module " + file + " did not instantiate: " + why);
    }
    current_ = *inst;
    if (!name.empty()) named_[name] = *inst;
    return pass();
  }

  // The instance an action or register names, or the current one.
  std::optional<Instance> instance(const json& c, std::string& error) {
    const std::string name = str(c, "module");
    if (!name.empty()) {
      auto it = named_.find(name);
      if (it == named_.end()) {
        error = "unknown module " + name;
        return std::nullopt;
      }
      return it->second;
    }
    if (!current_) {
      error = "no current module";
      return std::nullopt;
    }
    return current_;
  }

  Outcome register_instance(const json& c) {
    std::string error;
    json target = json::object();
    if (c.contains("name")) target["module"] = at(c, "name");
    auto inst = instance(target, error);
    if (!inst) return fail("register: " + error);
    linker_.define_instance(str(c, "as"), *inst);
    return pass();
  }

  std::optional<Value> arg_value(const json& a, std::string& error) {
    const std::string type = str(a, "type");
    const json& v = at(a, "value");
    if (type == "externref" || type == "funcref") {
      const ValType t = type == "externref" ? ValType::ExternRef : ValType::FuncRef;
      if (v == "null") return Value::null(t);
      if (t == ValType::ExternRef)
        if (auto n = parse_u64(v)) return Value::externref(refs_.get(*n));
      error = "unsupported " + type + " argument " + v.dump();
      return std::nullopt;
    }
    if (type == "v128") {
      error = "v128 values are not supported";
      return std::nullopt;
    }
    auto bits = parse_u64(v);
    if (!bits) {
      error = "bad " + type + " argument " + v.dump();
      return std::nullopt;
    }
    const bool narrow = type == "i32" || type == "f32";
    if (narrow && *bits > 0xFFFF'FFFFull) {
      error = "bad " + type + " argument " + v.dump();
      return std::nullopt;
    }
    if (type == "i32") return Value::i32(static_cast<int32_t>(static_cast<uint32_t>(*bits)));
    if (type == "i64") return Value::i64(static_cast<int64_t>(*bits));
    if (type == "f32") return Value::f32_bits(static_cast<uint32_t>(*bits));
    if (type == "f64") return Value::f64_bits(*bits);
    error = "unknown value type '" + type + "'";
    return std::nullopt;
  }

  std::string show(const Value& v) const {
    std::string s = std::string(to_string(v.type())) + ":";
    switch (v.type()) {
      case ValType::ExternRef:
        if (v.is_null()) return s + "null";
        if (auto n = refs_.find(v.externref())) return s + std::to_string(*n);
        return s + format_value(v);
      case ValType::FuncRef:
        return s + (v.is_null() ? "null" : "func");
      default:
        return s + format_value(v);
    }
  }

  static std::string show_expected(const json& e) {
    const std::string type = str(e, "type");
    if (!e.contains("value")) return type;
    const json& v = at(e, "value");
    if (!v.is_string()) return type + ":" + v.dump();
    const std::string& s = v.get_ref<const std::string&>();
    if (s.starts_with("nan:") || s == "null") return type + ":" + s;
    auto bits = parse_u64(v);
    if (!bits) return type + ":" + s;
    if (type == "i32") return type + ":" + std::to_string(static_cast<int32_t>(static_cast<uint32_t>(*bits)));
    if (type == "i64") return type + ":" + std::to_string(static_cast<int64_t>(*bits));
    if (type == "f32") return type + ":" + format_f32_bits(static_cast<uint32_t>(*bits));
    if (type == "f64") return type + ":" + format_f64_bits(*bits);
    return type + ":" + s;
  }

  template <class T>
  static std::string list(const std::vector<T>& items, auto&& fmt) {
    std::string s = "(";
    for (size_t i = 0; i < items.size(); ++i) {
      if (i) s += ", ";
      s += fmt(items[i]);
    }
    return s + ")";
  }

  static std::string describe(const json& a) {
    std::string s;
    const std::string mod = str(a, "module");
    if (!mod.empty()) s += mod + ".";
    s += str(a, "field");
    if (str(a, "type") == "get") return "get " + s;
    std::vector<json> args;
    if (const json& j = at(a, "args"); j.is_array()) args.assign(j.begin(), j.end());
    return s + list(args, show_expected);
  }

  ActionResult act(const json& a) {
    ActionResult r;
    std::string error;
    auto inst = instance(a, error);
    if (!inst) {
      r.error = error;
      return r;
    }
    const std::string field = str(a, "field");
    const std::string type = str(a, "type");
    if (type == "get") {
      Global g = inst->get_global(field);
      if (!g) {
        r.error = "no exported global '" + field + "'";
        return r;
      }
      r.values.push_back(g.get());
      return r;
    }
    if (type != "invoke") {
      r.error = "unknown action type '" + type + "'";
      return r;
    }
    Func f = inst->get_func(field);
    if (!f) {
      r.error = "no exported function '" + field + "'";
      return r;
    }
    std::vector<Value> args;
    if (at(a, "args").is_array()) {
      for (const json& j : at(a, "args")) {
        auto v = arg_value(j, error);
        if (!v) {
          r.error = error;
          return r;
        }
        args.push_back(*v);
      }
    }
    const FuncType& ft = f.type();
    bool fits = args.size() == ft.params.size();
    for (size_t i = 0; fits && i < args.size(); ++i) fits = args[i].type() == ft.params[i];
    if (!fits) {
      r.error = "arguments " + list(args, [&](const Value& v) { return show(v); }) + " do not fit type " +
                func_type_string(ft);
      return r;
    }
    auto out = f.call(store_, std::span<const Value>(args));
    if (out)
      r.values = std::move(*out);
    else
      r.trap = std::move(out.error());
    return r;
  }

  // Does `got` match the expected value or pattern `e`? Compares bit patterns exactly.
  bool matches(const json& e, const Value& got) const {
    const std::string type = str(e, "type");
    if (type != to_string(got.type())) return false;
    if (!e.contains("value")) {
      // A reference type without a value: any non-null reference of that type.
      return (got.type() == ValType::FuncRef || got.type() == ValType::ExternRef) && !got.is_null();
    }
    const json& v = at(e, "value");
    if (got.type() == ValType::FuncRef || got.type() == ValType::ExternRef) {
      if (v == "null") return got.is_null();
      if (got.type() == ValType::FuncRef) return false;  // the suite only expects null funcrefs
      auto n = parse_u64(v);
      return n && !got.is_null() && refs_.find(got.externref()) == n;
    }
    if (v == "nan:canonical" || v == "nan:arithmetic") {
      const bool canonical = v == "nan:canonical";
      if (got.type() == ValType::F32) {
        const uint32_t b = static_cast<uint32_t>(got.bits());
        return canonical ? (b & 0x7FFF'FFFFu) == 0x7FC0'0000u : (b & 0x7FC0'0000u) == 0x7FC0'0000u;
      }
      if (got.type() == ValType::F64) {
        const uint64_t b = got.bits();
        return canonical ? (b & 0x7FFF'FFFF'FFFF'FFFFull) == 0x7FF8'0000'0000'0000ull
                         : (b & 0x7FF8'0000'0000'0000ull) == 0x7FF8'0000'0000'0000ull;
      }
      return false;
    }
    auto bits = parse_u64(v);
    if (!bits) return false;
    switch (got.type()) {
      case ValType::I32:
      case ValType::F32:
        return static_cast<uint32_t>(got.bits()) == *bits;
      case ValType::I64:
      case ValType::F64:
        return got.bits() == *bits;
      default:
        return false;
    }
  }

  static bool trap_matches(const Trap& t, std::string_view expected) {
    // The suite's texts sometimes carry more ("uninitialized element 2"), or less.
    const std::string_view actual = to_string(t.kind);
    if (actual.empty() || expected.empty()) return actual == expected;
    return expected.starts_with(actual) || actual.starts_with(expected);
  }

  Outcome action(const json& c) {
    ActionResult r = act(at(c, "action"));
    if (r.error) return fail("action " + describe(at(c, "action")) + ": " + *r.error);
    if (r.trap) return fail("action " + describe(at(c, "action")) + ": trap: " + r.trap->to_string());
    return pass();
  }

  Outcome assert_return(const json& c) {
    const json& a = at(c, "action");
    ActionResult r = act(a);
    std::vector<json> expected;
    if (const json& j = at(c, "expected"); j.is_array()) expected.assign(j.begin(), j.end());
    const std::string want = list(expected, show_expected);
    if (r.error) return fail("assert_return " + describe(a) + ": " + *r.error);
    if (r.trap) return fail("assert_return " + describe(a) + ": trap: " + r.trap->to_string() + ", expected " + want);
    for (const json& e : expected) {
      if (str(e, "type") == "v128") return fail("assert_return " + describe(a) + ": v128 results are not supported");
    }
    bool ok = r.values.size() == expected.size();
    for (size_t i = 0; ok && i < expected.size(); ++i) ok = matches(expected[i], r.values[i]);
    if (ok) return pass();
    return fail("assert_return " + describe(a) + ": got " + list(r.values, [&](const Value& v) { return show(v); }) +
                ", expected " + want);
  }

  Outcome assert_trap(const json& c) { return expect_trap(c, "assert_trap", false); }
  Outcome assert_exhaustion(const json& c) { return expect_trap(c, "assert_exhaustion", true); }

  // assert_trap and assert_exhaustion: the action must trap with the expected text
  // (and, for exhaustion, with "call stack exhausted").
  Outcome expect_trap(const json& c, const char* what, bool exhaustion) {
    const json& a = at(c, "action");
    const std::string text = str(c, "text");
    const std::string head = std::string(what) + " " + describe(a);
    ActionResult r = act(a);
    if (r.error) return fail(head + ": " + *r.error);
    if (!r.trap)
      return fail(head + ": returned " + list(r.values, [&](const Value& v) { return show(v); }) +
                  ", expected trap \"" + text + "\"");
    if ((exhaustion && r.trap->kind != TrapKind::CallStackExhausted) || !trap_matches(*r.trap, text))
      return fail(head + ": trap \"" + r.trap->to_string() + "\", expected \"" + text + "\"");
    return pass();
  }

  Outcome assert_not_loadable(const json& c) {
    if (is_text(c)) return skip();
    const std::string type = str(c, "type");
    auto m = load(c);
    if (m) return fail(type + " " + str(c, "filename") + ": loaded, expected \"" + str(c, "text") + "\"");
    return pass();
  }

  Outcome assert_unlinkable(const json& c) {
    if (is_text(c)) return skip();
    const std::string file = str(c, "filename");
    auto m = load(c);
    if (!m) return fail("assert_unlinkable " + file + ": did not load: " + m.error().message);
    auto pre = linker_.prelink(*m);
    if (pre) {
      pres_.push_back(*pre);
      return fail("assert_unlinkable " + file + ": linked, expected \"" + str(c, "text") + "\"");
    }
    return pass();
  }

  Outcome assert_uninstantiable(const json& c) {
    if (is_text(c)) return skip();
    const std::string file = str(c, "filename");
    const std::string text = str(c, "text");
    auto m = load(c);
    if (!m) return fail("assert_uninstantiable " + file + ": did not load: " + m.error().message);
    auto pre = linker_.prelink(*m);
    if (!pre) return fail("assert_uninstantiable " + file + ": did not link: " + pre.error().message);
    pres_.push_back(*pre);
    auto inst = pre->instantiate(store_);
    if (inst) return fail("assert_uninstantiable " + file + ": instantiated, expected trap \"" + text + "\"");
    if (!inst.error().trap)
      return fail("assert_uninstantiable " + file + ": failed without a trap (" + inst.error().message +
                  "), expected trap \"" + text + "\"");
    if (!trap_matches(*inst.error().trap, text))
      return fail("assert_uninstantiable " + file + ": trap \"" + inst.error().trap->to_string() +
                  "\", expected \"" + text + "\"");
    return pass();
  }

  // Declaration order is destruction order reversed: the linker and store go first, then
  // the modules and pre-linked modules they may point into, then the host references.
  const Engine& engine_;
  fs::path dir_;
  HostRefs refs_;
  std::vector<Module> modules_;
  std::vector<InstancePre> pres_;
  Store store_;
  Linker linker_;
  std::map<std::string, Instance> named_;
  Instance current_;
};

// Runs one script file in this process.
void run_script(const fs::path& file, const Options& opt, Sink& sink) {
  json doc;
  {
    std::ifstream in(file, std::ios::binary);
    if (!in) {
      sink.start(1);
      sink.fail(0, std::string("cannot open: ") + std::strerror(errno));
      return;
    }
    try {
      doc = json::parse(in);
    } catch (const std::exception& e) {
      sink.start(1);
      sink.fail(0, std::string("not a wast2json script: ") + e.what());
      return;
    }
  }
  if (!doc.is_object() || !at(doc, "commands").is_array()) {
    sink.start(1);
    sink.fail(0, "not a wast2json script: no \"commands\" array");
    return;
  }
  const json& commands = at(doc, "commands");
  sink.start(commands.size());
  auto line_of = [](const json& c) -> uint32_t {
    auto it = c.find("line");
    return it != c.end() && it->is_number_unsigned() ? it->get<uint32_t>() : 0;
  };

  if (file.filename().string().starts_with("simd_")) {  // until the engine has SIMD
    for (const json& c : commands) {
      sink.at(line_of(c));
      sink.skip();
    }
    return;
  }

  Engine::Config config;
  config.memory_mode = opt.memory_mode;
  Engine engine(config);
  std::unique_ptr<Script> script;
  try {
    script = std::make_unique<Script>(engine, file.parent_path(), opt.verbose);
  } catch (const std::exception& e) {
    for (const json& c : commands) sink.fail(line_of(c), std::string("cannot set up the spectest module: ") + e.what());
    return;
  }
  for (const json& c : commands) {
    const uint32_t line = line_of(c);
    sink.at(line);
    Outcome out;
    try {
      out = c.is_object() ? script->run(c) : fail("command is not an object");
    } catch (const std::exception& e) {
      out = fail(std::string("exception: ") + e.what());
    } catch (...) {
      out = fail("unknown exception");
    }
    switch (out.kind) {
      case Outcome::Pass: sink.pass(); break;
      case Outcome::Skip: sink.skip(); break;
      case Outcome::Fail: sink.fail(line, out.reason); break;
    }
  }
  std::fflush(stdout);
}

FileResult run_local(const fs::path& file, const Options& opt) {
  FileResult r;
  LocalSink sink(r);
  try {
    run_script(file, opt, sink);
  } catch (const std::exception& e) {
    sink.fail(0, std::string("internal error: ") + e.what());
  } catch (...) {
    sink.fail(0, "internal error: unknown exception");
  }
  return r;
}

// Runs one script file in a child process; a crash or a hang becomes a failure of the file.
FileResult run_forked(const fs::path& file, const Options& opt) {
  void* mem = ::mmap(nullptr, sizeof(SharedCounters), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (mem == MAP_FAILED) return run_local(file, opt);
  auto* shared = new (mem) SharedCounters();
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) {
    ::munmap(mem, sizeof(SharedCounters));
    return run_local(file, opt);
  }
  std::fflush(stdout);
  std::fflush(stderr);
  const pid_t pid = ::fork();
  if (pid < 0) {
    ::close(fds[0]);
    ::close(fds[1]);
    ::munmap(mem, sizeof(SharedCounters));
    return run_local(file, opt);
  }
  if (pid == 0) {
    ::close(fds[0]);
    ChildSink sink(shared, fds[1]);
    try {
      run_script(file, opt, sink);
    } catch (...) {
      sink.fail(0, "internal error: exception escaped the script runner");
    }
    shared->finished.store(1);
    std::fflush(stdout);
    std::fflush(stderr);
    ::_exit(0);
  }
  ::close(fds[1]);

  // Collect failure lines until the child closes the pipe (it exits, crashes or is killed).
  std::string text;
  bool timed_out = false;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(opt.timeout_s);
  for (;;) {
    int wait_ms = -1;
    if (opt.timeout_s > 0 && !timed_out) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) {
        ::kill(pid, SIGKILL);
        timed_out = true;
      } else {
        wait_ms = static_cast<int>(std::min<long long>(left.count(), 1000));
      }
    }
    pollfd p{fds[0], POLLIN, 0};
    int rc = ::poll(&p, 1, wait_ms);
    if (rc < 0 && errno != EINTR) break;
    if (rc <= 0) continue;
    char buf[8192];
    ssize_t n = ::read(fds[0], buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    text.append(buf, static_cast<size_t>(n));
  }
  ::close(fds[0]);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }

  FileResult r;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string::npos) break;  // a record cut short by the child's death
    std::string_view rec(text.data() + pos, nl - pos);
    pos = nl + 1;
    size_t tab = rec.find('\t');
    if (tab == std::string_view::npos) continue;
    uint32_t line = 0;
    std::from_chars(rec.data(), rec.data() + tab, line);
    r.failures.push_back({line, std::string(rec.substr(tab + 1))});
  }
  r.passed = shared->passed.load();
  r.failed = shared->failed.load();
  r.skipped = shared->skipped.load();
  const bool clean = shared->finished.load() && WIFEXITED(status) && WEXITSTATUS(status) == 0;
  if (!clean) {
    std::string why;
    if (timed_out) {
      why = "timed out after " + std::to_string(opt.timeout_s) + " s";
    } else if (WIFSIGNALED(status)) {
      const int sig = WTERMSIG(status);
      const char* name = ::strsignal(sig);
      why = "crashed with signal " + std::to_string(sig) + " (" + (name ? name : "?") + ")";
    } else if (WIFEXITED(status)) {
      why = "exited with status " + std::to_string(WEXITSTATUS(status));
    } else {
      why = "died";
    }
    const uint64_t total = shared->total.load(), done = shared->done.load();
    // The command that was running, and every command after it, count as failed.
    const uint64_t lost = total > done ? total - done : 1;
    r.failed += lost;
    why += " while running this command";
    if (lost > 1) why += "; the file's " + std::to_string(lost - 1) + " later commands did not run";
    r.failures.push_back({shared->line.load(), why});
  }
  shared->~SharedCounters();
  ::munmap(mem, sizeof(SharedCounters));
  return r;
}

struct Target {
  fs::path path;
  std::string display;
  std::string error;  // when the argument names nothing runnable
};

std::vector<Target> expand(const std::vector<std::string>& paths) {
  std::vector<Target> out;
  for (const std::string& p : paths) {
    std::error_code ec;
    if (fs::is_directory(p, ec)) {
      std::vector<fs::path> files;
      for (const auto& entry : fs::directory_iterator(p, ec)) {
        std::error_code ec2;
        if (entry.path().extension() == ".json" && entry.is_regular_file(ec2)) files.push_back(entry.path());
      }
      if (ec) {
        out.push_back({p, p, "cannot read directory: " + ec.message()});
        continue;
      }
      std::sort(files.begin(), files.end());
      if (files.empty()) out.push_back({p, p, "no .json files in this directory"});
      for (const fs::path& f : files) out.push_back({f, f.filename().string(), {}});
    } else if (fs::exists(p, ec)) {
      out.push_back({p, p, {}});
    } else {
      out.push_back({p, p, "no such file or directory"});
    }
  }
  return out;
}

int wast_usage_error(const std::string& message) {
  std::fprintf(stderr, "isola wast: %s\n\n%s", message.c_str(), kWastUsage);
  return kExitUsage;
}

}  // namespace

int cmd_wast(std::span<char* const> args) {
  Options opt;
  bool options_done = false;
  for (size_t i = 0; i < args.size(); ++i) {
    std::string_view a = args[i];
    if (options_done || a.empty() || a[0] != '-' || a == "-") {
      opt.paths.emplace_back(a);
    } else if (a == "--") {
      options_done = true;
    } else if (a == "-v" || a == "--verbose") {
      opt.verbose = true;
    } else if (a == "--no-fork") {
      opt.fork = false;
    } else if (a == "-h" || a == "--help") {
      std::fputs(kWastUsage, stdout);
      return kExitOk;
    } else if (a == "--memory-mode") {
      std::string_view v = i + 1 < args.size() ? std::string_view(args[++i]) : std::string_view();
      if (v == "guard") opt.memory_mode = Engine::MemoryMode::GuardPages;
      else if (v == "bounds") opt.memory_mode = Engine::MemoryMode::BoundsChecks;
      else return wast_usage_error("--memory-mode needs 'guard' or 'bounds', not '" + std::string(v) + "'");
    } else if (a == "--timeout" || a.starts_with("--timeout=")) {
      std::string_view v;
      if (a == "--timeout") {
        if (i + 1 >= args.size()) return wast_usage_error("--timeout needs a number of seconds");
        v = args[++i];
      } else {
        v = a.substr(10);
      }
      unsigned secs = 0;
      auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), secs);
      if (ec != std::errc() || p != v.data() + v.size() || v.empty())
        return wast_usage_error("--timeout needs a number of seconds, not '" + std::string(v) + "'");
      opt.timeout_s = secs;
    } else {
      return wast_usage_error("unknown option '" + std::string(a) + "'");
    }
  }
  if (opt.paths.empty()) return wast_usage_error("no test files given");

  uint64_t passed = 0, failed = 0, skipped = 0;
  for (const Target& t : expand(opt.paths)) {
    FileResult r;
    if (!t.error.empty()) {
      r.failed = 1;
      r.failures.push_back({0, t.error});
    } else {
      r = opt.fork ? run_forked(t.path, opt) : run_local(t.path, opt);
    }
    passed += r.passed;
    failed += r.failed;
    skipped += r.skipped;

    std::string head = t.display + ": " + std::to_string(r.passed) + " passed, " + std::to_string(r.failed) + " failed";
    if (r.skipped) head += ", " + std::to_string(r.skipped) + " skipped";
    std::printf("%s\n", head.c_str());
    const size_t shown = opt.verbose ? r.failures.size() : std::min(r.failures.size(), kShownFailures);
    for (size_t i = 0; i < shown; ++i) {
      const Failure& f = r.failures[i];
      if (f.line)
        std::printf("  line %u: %s\n", f.line, f.reason.c_str());
      else
        std::printf("  %s\n", f.reason.c_str());
    }
    if (shown < r.failures.size())
      std::printf("  ... and %zu more (-v lists all)\n", r.failures.size() - shown);
    std::fflush(stdout);
  }
  std::string total = std::to_string(passed) + " passed, " + std::to_string(failed) + " failed";
  if (skipped) total += ", " + std::to_string(skipped) + " skipped";
  std::printf("%s\n", total.c_str());
  std::fflush(stdout);
  return failed == 0 ? kExitOk : kExitFailure;
}

}  // namespace isola::cli
