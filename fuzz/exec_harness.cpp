// See exec_harness.hpp for what a run does and the lines it writes.
#include "exec_harness.hpp"

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <string_view>

namespace isola::fuzz {

namespace {

// JSON string literal. Bytes outside printable ASCII are written as \u00XX (reading the name
// as Latin-1): fuzzed names need not be UTF-8, and the output must stay valid JSON.
std::string quote(std::string_view s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20 || c >= 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + "\"";
}

std::string format_value(ValType type, uint64_t bits) {
  char buf[64];
  switch (type) {
    case ValType::I32:
      std::snprintf(buf, sizeof buf, "i32:%" PRId32, static_cast<int32_t>(static_cast<uint32_t>(bits)));
      return buf;
    case ValType::I64:
      std::snprintf(buf, sizeof buf, "i64:%" PRId64, static_cast<int64_t>(bits));
      return buf;
    case ValType::F32:
      std::snprintf(buf, sizeof buf, "f32:0x%08" PRIx32, static_cast<uint32_t>(bits));
      return buf;
    case ValType::F64:
      std::snprintf(buf, sizeof buf, "f64:0x%016" PRIx64, bits);
      return buf;
    case ValType::FuncRef:
      return bits ? "funcref:func" : "funcref:null";
    case ValType::ExternRef:
      return bits ? "externref:ref" : "externref:null";
    case ValType::V128:
      return "v128";
  }
  return "?";
}

std::string format_values(const std::vector<Value>& values) {
  std::string out = "[";
  for (size_t i = 0; i < values.size(); ++i) {
    if (i) out += ',';
    out += quote(format_value(values[i].type(), values[i].bits()));
  }
  return out + "]";
}

bool has_v128(const FuncType& t) {
  for (ValType v : t.params)
    if (v == ValType::V128) return true;
  for (ValType v : t.results)
    if (v == ValType::V128) return true;
  return false;
}

std::vector<Value> zero_args(const FuncType& t) {
  std::vector<Value> args;
  for (ValType v : t.params) {
    switch (v) {
      case ValType::I32: args.push_back(Value::i32(0)); break;
      case ValType::I64: args.push_back(Value::i64(0)); break;
      case ValType::F32: args.push_back(Value::f32_bits(0)); break;
      case ValType::F64: args.push_back(Value::f64_bits(0)); break;
      default: args.push_back(Value::null(v)); break;
    }
  }
  return args;
}

std::string trap_fields(const Trap& t) {
  return "\"trap\":" + quote(trap_class(t.kind)) + ",\"detail\":" + quote(t.to_string());
}

// The stubs find the run's line list through the store (host functions are shared by
// every store, so they cannot hold it themselves).
const char kLinesKey = 0;

uint32_t fnv1a(const uint8_t* p, uint64_t n) {
  uint32_t h = 2166136261u;
  for (uint64_t i = 0; i < n; ++i) h = (h ^ p[i]) * 16777619u;
  return h;
}

}  // namespace

const char* trap_class(TrapKind kind) {
  switch (kind) {
    case TrapKind::Unreachable: return "unreachable";
    case TrapKind::IntegerOverflow: return "int-overflow";
    case TrapKind::IntegerDivideByZero: return "int-div-zero";
    case TrapKind::InvalidConversion: return "invalid-conversion";
    case TrapKind::MemoryOutOfBounds: return "memory-oob";
    case TrapKind::TableOutOfBounds:
    case TrapKind::UndefinedElement: return "table-oob";
    case TrapKind::UninitializedElement:
    case TrapKind::IndirectCallTypeMismatch: return "indirect-null-or-sig";
    case TrapKind::CallStackExhausted: return "stack";
    case TrapKind::Host: return "host";
    case TrapKind::Exit: return "exit";
    case TrapKind::OutOfFuel: return "fuel";
    case TrapKind::Interrupted: return "interrupted";
    case TrapKind::DeadlineExceeded: return "deadline";
  }
  return "unknown";
}

Engine::Config engine_config() {
  Engine::Config c;
  c.max_call_depth = 4000;
  return c;
}

ExecReport exec_module(const Engine& engine, std::span<const uint8_t> bytes, const ExecOptions& options) {
  ExecReport report;
  auto& lines = report.lines;
  auto module = Module::load(engine, bytes);
  if (!module) {
    lines.push_back("{\"load\":\"error\",\"message\":" + quote(module.error().message) + "}");
    return report;
  }
  report.loaded = true;
  if (options.lower_all) module->lower_all();

  Linker linker(engine);
  for (const ImportInfo& imp : module->imports()) {
    if (imp.kind != ExternKind::Func) {
      lines.push_back("{\"link\":\"skipped\",\"reason\":" +
                      quote(std::string("imports a ") + to_string(imp.kind) + ": " + imp.module + "." + imp.name) +
                      "}");
      return report;
    }
    std::string label = imp.module + "." + imp.name;
    FuncType type = imp.func;
    linker.func(imp.module, imp.name,
                HostFunc{imp.func, [label, type](Caller& caller, uint64_t* slots) {
                           auto* out = static_cast<std::vector<std::string>*>(caller.store().data(&kLinesKey));
                           std::string args = "[";
                           for (size_t i = 0; i < type.params.size(); ++i) {
                             if (i) args += ',';
                             args += quote(format_value(type.params[i], slots[i]));
                           }
                           if (out) out->push_back("{\"host\":" + quote(label) + ",\"args\":" + args + "]}");
                           for (size_t i = 0; i < type.results.size(); ++i) slots[i] = 0;
                         }});
  }
  auto pre = linker.prelink(*module);
  if (!pre) {
    lines.push_back("{\"link\":\"error\",\"message\":" + quote(pre.error().message) + "}");
    return report;
  }

  Store store(engine);
  store.set_data(&kLinesKey, &lines);
  store.set_fuel(options.fuel);
  auto finish = [&] {
    store.set_data(&kLinesKey, nullptr);
    report.fuel_used = options.fuel - store.fuel_remaining().value_or(0);
  };

  auto instance = pre->instantiate(store);
  if (!instance) {
    const auto& e = instance.error();
    if (e.trap) {
      lines.push_back("{\"instantiate\":\"trap\"," + trap_fields(*e.trap) + "}");
    } else {
      lines.push_back("{\"instantiate\":\"error\",\"message\":" + quote(e.message) + "}");
    }
    finish();
    return report;
  }
  lines.push_back("{\"instantiate\":\"ok\"}");

  Func reset = instance->get_func("hangLimitInitializer");
  if (reset && !reset.type().params.empty()) reset = Func();
  const auto exports = instance->exports();
  for (const auto& [name, ext] : exports) {
    if (ext.kind() != ExternKind::Func) continue;
    Func f = ext.func();
    if (has_v128(f.type())) {
      lines.push_back("{\"call\":" + quote(name) + ",\"skipped\":\"v128\"}");
      continue;
    }
    // As binaryen's own harness does: each export starts with a full hang budget. Its
    // result is not recorded (the call is made again as an export in its turn).
    if (reset) (void)reset.call(store, {});
    auto r = f.call(store, zero_args(f.type()));
    if (r) {
      lines.push_back("{\"call\":" + quote(name) + ",\"results\":" + format_values(*r) + "}");
    } else {
      lines.push_back("{\"call\":" + quote(name) + "," + trap_fields(r.error()) + "}");
    }
  }

  for (const auto& [name, ext] : exports) {
    char buf[96];
    switch (ext.kind()) {
      case ExternKind::Memory: {
        Memory m = ext.memory();
        uint64_t n = std::min<uint64_t>(m.size(), options.max_hashed_bytes);
        std::snprintf(buf, sizeof buf, ",\"pages\":%" PRIu32 ",\"hash\":\"0x%08" PRIx32 "\"}", m.pages(),
                      fnv1a(m.data(), n));
        lines.push_back("{\"memory\":" + quote(name) + buf);
        if (!options.dump_memory_path.empty()) {
          if (std::FILE* f = std::fopen(options.dump_memory_path.c_str(), "wb")) {
            std::fwrite(m.data(), 1, n, f);
            std::fclose(f);
          }
        }
        break;
      }
      case ExternKind::Global: {
        Value v = ext.global().get();
        lines.push_back("{\"global\":" + quote(name) + ",\"value\":" + quote(format_value(v.type(), v.bits())) +
                        "}");
        break;
      }
      case ExternKind::Table:
        std::snprintf(buf, sizeof buf, ",\"size\":%" PRIu32 "}", ext.table().size());
        lines.push_back("{\"table\":" + quote(name) + buf);
        break;
      case ExternKind::Func:
        break;
    }
  }
  finish();
  return report;
}

std::optional<std::string> check_input(const Engine& engine, std::span<const uint8_t> bytes,
                                       const ExecOptions& options) {
  {
    // The metadata a host reads right after loading must be consistent.
    auto module = Module::load(engine, bytes);
    if (!module) {
      if (module.error().message.empty()) return "load failed with an empty error message";
      return std::nullopt;  // rejected: nothing to run
    }
    for (const auto& name : module->custom_section_names())
      if (!module->custom_section(name)) return "custom section '" + name + "' is listed but not retrievable";
    if (module->num_imported_functions() > module->num_functions())
      return "more imported functions than functions";
  }
  ExecOptions lazy = options, eager = options;
  lazy.lower_all = false;
  eager.lower_all = true;
  ExecReport a = exec_module(engine, bytes, lazy);
  ExecReport b = exec_module(engine, bytes, eager);
  if (a.fuel_used > options.fuel) return "used more fuel than the budget: " + std::to_string(a.fuel_used);
  size_t n = std::max(a.lines.size(), b.lines.size());
  for (size_t i = 0; i < n; ++i) {
    std::string la = i < a.lines.size() ? a.lines[i] : "(nothing)";
    std::string lb = i < b.lines.size() ? b.lines[i] : "(nothing)";
    if (la != lb)
      return "lazy and eager lowering disagree at line " + std::to_string(i + 1) + ":\n  lazy:  " + la +
             "\n  eager: " + lb;
  }
  if (a.fuel_used != b.fuel_used)
    return "lazy and eager lowering used different fuel: " + std::to_string(a.fuel_used) + " vs " +
           std::to_string(b.fuel_used);
  return std::nullopt;
}

}  // namespace isola::fuzz
