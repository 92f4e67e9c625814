// Binds the preview1 calls to their names in a Linker. Every call goes through one wrapper
// that finds the instance's Context, turns a bad guest pointer into EFAULT, and, when the
// context traces or denies anything, writes the trace line and applies the policy.
#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <string>

#include "isola/wasi.hpp"
#include "wasi/call.hpp"

namespace isola::wasi {
namespace detail {
namespace {

struct CallDef {
  const char* name;
  const char* sig;
  CallFn fn;
};

constexpr CallDef kCalls[] = {
#define ISOLA_WASI_DEF(name, sig) {#name, sig, &name},
    ISOLA_WASI_CALLS(ISOLA_WASI_DEF)
#undef ISOLA_WASI_DEF
};
constexpr size_t kNumCalls = sizeof(kCalls) / sizeof(kCalls[0]);
static_assert(kNumCalls == 46, "wasi_snapshot_preview1 has 46 functions");
static_assert(kNumCalls <= kMaxCalls);

FuncType signature(const CallDef& d) {
  FuncType t;
  for (const char* p = d.sig; *p; ++p) {
    switch (*p) {
      case 'U': case 'I': case 'X': t.params.push_back(ValType::I64); break;
      case 's': t.params.push_back(ValType::I32); t.params.push_back(ValType::I32); break;
      default: t.params.push_back(ValType::I32); break;
    }
  }
  if (std::string_view(d.name) != "proc_exit") t.results.push_back(ValType::I32);
  return t;
}

const char* clock_name(uint32_t id) {
  switch (id) {
    case 0: return "REALTIME";
    case 1: return "MONOTONIC";
    case 2: return "PROCESS_CPUTIME";
    case 3: return "THREAD_CPUTIME";
    default: return nullptr;
  }
}

// Appends `s` quoted, with control characters and non-ASCII bytes escaped and long strings
// cut, so a hostile path cannot forge trace lines.
void append_quoted(std::string& out, std::string_view s) {
  constexpr size_t kMax = 256;
  out += '"';
  for (size_t i = 0; i < s.size() && i < kMax; ++i) {
    unsigned char ch = static_cast<unsigned char>(s[i]);
    if (ch == '"' || ch == '\\') {
      out += '\\';
      out += static_cast<char>(ch);
    } else if (ch < 0x20 || ch >= 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", ch);
      out += buf;
    } else {
      out += static_cast<char>(ch);
    }
  }
  out += '"';
  if (s.size() > kMax) out += "...";
}

void append_fmt(std::string& out, const char* fmt, uint64_t v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, fmt, v);
  out += buf;
}

// "path_open(3, 0x1, "a/b.txt", 0x9, ...". With `results`, pointer-to-result arguments show
// the value written there ("->5"); before the call (or after a failure) they show the pointer.
std::string format_args(const CallDef& d, const uint64_t* a, const Guest& mem, bool results) {
  std::string out = d.name;
  out += '(';
  int i = 0;
  for (const char* p = d.sig; *p; ++p) {
    if (p != d.sig) out += ", ";
    uint64_t v = a[i];
    uint32_t v32 = static_cast<uint32_t>(v);
    switch (*p) {
      case 'f': case 'u': append_fmt(out, "%" PRIu64, v32); break;
      case 'x': append_fmt(out, "0x%" PRIx64, v32); break;
      case 'c':
        if (const char* n = clock_name(v32)) out += n;
        else append_fmt(out, "%" PRIu64, v32);
        break;
      case 'p': append_fmt(out, "0x%" PRIx64, v32); break;
      case 'U': append_fmt(out, "%" PRIu64, v); break;
      case 'I': append_fmt(out, "%" PRId64, v); break;
      case 'X': append_fmt(out, "0x%" PRIx64, v); break;
      case 's': {
        uint32_t len = static_cast<uint32_t>(a[i + 1]);
        try {
          append_quoted(out, mem.str(v32, len));
        } catch (const Fault&) {
          append_fmt(out, "<bad string at 0x%" PRIx64, v32);
          append_fmt(out, " length %" PRIu64 ">", len);
        }
        ++i;
        break;
      }
      case 'o': case 'h': case 'O':
        try {
          if (!results) throw Fault{};
          uint64_t r = *p == 'o' ? mem.u32(v32) : *p == 'h' ? mem.load<uint16_t>(v32) : mem.u64(v32);
          append_fmt(out, "->%" PRIu64, r);
        } catch (const Fault&) {
          append_fmt(out, "0x%" PRIx64, v32);
        }
        break;
    }
    ++i;
  }
  out += ')';
  return out;
}

inline ContextData* context_of(Caller& caller) {
  Context* ctx = Context::from(caller.store());
  if (!ctx) caller.trap("WASI call from a store without a WASI context (see isola::wasi::Context::attach)");
  return &ctx->data();
}

inline Errno invoke(const CallDef& d, ContextData& ctx, Caller& caller, const uint64_t* a) {
  Call c{ctx, caller, Guest(caller.memory()), a};
  try {
    return d.fn(c);
  } catch (const Fault&) {
    return Errno::fault;
  } catch (const std::bad_alloc&) {
    return Errno::nomem;
  }
}

// The slow path: the context traces or denies.
__attribute__((noinline)) Errno intercepted(size_t index, ContextData& ctx, Caller& caller, const uint64_t* a) {
  const CallDef& d = kCalls[index];
  const bool denied = ctx.deny.test(index);
  if (!ctx.trace) return denied ? Errno::notcapable : invoke(d, ctx, caller, a);

  Guest mem(caller.memory());
  // Arguments are decoded before the call: the call may overwrite the strings they point to.
  std::string line = format_args(d, a, mem, false);
  if (denied) {
    line += " = ENOTCAPABLE (denied by policy)";
    ctx.trace(line);
    return Errno::notcapable;
  }
  if (std::string_view(d.name) == "proc_exit") {
    line += " = exit";
    ctx.trace(line);
    return invoke(d, ctx, caller, a);  // does not return
  }
  auto t0 = std::chrono::steady_clock::now();
  Errno r = invoke(d, ctx, caller, a);
  auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - t0).count();
  if (r == Errno::success && std::strpbrk(d.sig, "ohO")) line = format_args(d, a, Guest(caller.memory()), true);
  line += " = ";
  line += r == Errno::success ? "0" : errno_name(r);
  char buf[48];
  std::snprintf(buf, sizeof buf, " (%.1fus)", static_cast<double>(ns) / 1000.0);
  line += buf;
  ctx.trace(line);
  return r;
}

template <size_t I>
void entry(Caller& caller, uint64_t* slots) {
  ContextData* ctx = context_of(caller);
  Errno r = __builtin_expect(ctx->intercept, 0) ? intercepted(I, *ctx, caller, slots)
                                                  : invoke(kCalls[I], *ctx, caller, slots);
  slots[0] = static_cast<uint16_t>(r);
}

template <size_t... I>
void add_all(Linker& linker, std::index_sequence<I...>) {
  (linker.func("wasi_snapshot_preview1", kCalls[I].name, HostFunc{signature(kCalls[I]), &entry<I>}), ...);
}

}  // namespace

int call_index(std::string_view name) {
  for (size_t i = 0; i < kNumCalls; ++i)
    if (name == kCalls[i].name) return static_cast<int>(i);
  return -1;
}

}  // namespace detail

void add_to_linker(Linker& linker) { detail::add_all(linker, std::make_index_sequence<detail::kNumCalls>{}); }

const std::vector<std::string_view>& function_names() {
  static const std::vector<std::string_view> names = [] {
    std::vector<std::string_view> v;
    for (const auto& d : detail::kCalls) v.emplace_back(d.name);
    return v;
  }();
  return names;
}

}  // namespace isola::wasi
