#include "host/abi/wapc.hpp"

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <exception>
#include <string>

namespace isola::host::wapc {

namespace {

const char kStoreKey = 0;  // its address keys the Session in a Store

// The session of the calling store; traps when there is none, since the imports have
// nothing to work on (a module's start section calling __host_call, say).
Session& session_of(isola::Caller& c, const char* fn) {
  Session* s = Session::from(c.store());
  if (!s) c.trap(std::string(fn) + ": no waPC session is attached to this instance");
  return *s;
}

// The guest bytes [ptr, ptr+len), or a trap naming the import and the argument. The view is
// good until the guest runs again or memory grows, so callers copy what they keep.
std::span<uint8_t> guest_bytes(isola::Caller& c, const char* fn, const char* what, uint32_t ptr, uint64_t len) {
  Memory m = c.memory();
  if (!m) c.trap(std::string(fn) + ": the module has no linear memory");
  auto s = m.span(ptr, len);
  if (!s) {
    char buf[200];
    std::snprintf(buf, sizeof buf, "%s: %s at 0x%" PRIx32 " + %" PRIu64 " bytes is outside guest memory (%" PRIu64
                  " bytes)", fn, what, ptr, len, m.size());
    c.trap(buf);
  }
  return *s;
}

std::string as_string(std::span<const uint8_t> b) { return std::string(b.begin(), b.end()); }

void define_all(Linker& linker, std::string module) {
  linker.func_typed(module, "__host_call",
                    [](isola::Caller& c, uint32_t bd_ptr, uint32_t bd_len, uint32_t ns_ptr, uint32_t ns_len,
                       uint32_t op_ptr, uint32_t op_len, uint32_t ptr, uint32_t len) -> int32_t {
                      const char* fn = "__host_call";
                      Session& s = session_of(c, fn);
                      // Bounds first: a bad pointer is a guest bug and traps, whatever its size.
                      auto bd = guest_bytes(c, fn, "binding", bd_ptr, bd_len);
                      auto ns = guest_bytes(c, fn, "namespace", ns_ptr, ns_len);
                      auto op = guest_bytes(c, fn, "operation", op_ptr, op_len);
                      auto pl = guest_bytes(c, fn, "payload", ptr, len);
                      s.host_response.reset();
                      s.host_error.reset();
                      const Limits& lim = s.limits();
                      if (bd_len > lim.max_name || ns_len > lim.max_name || op_len > lim.max_name) {
                        s.host_error = "host call refused: binding, namespace or operation longer than " +
                                       std::to_string(lim.max_name) + " bytes";
                        return 0;
                      }
                      if (len > lim.max_payload) {
                        s.host_error = "host call refused: payload of " + std::to_string(len) +
                                       " bytes exceeds the limit of " + std::to_string(lim.max_payload);
                        return 0;
                      }
                      // Copies: the handler may run for a while and the views must not dangle.
                      std::string binding = as_string(bd), ns_s = as_string(ns), op_s = as_string(op);
                      std::vector<uint8_t> payload(pl.begin(), pl.end());
                      CapabilityCall call{binding, ns_s, op_s, payload};
                      CapabilityResult r = s.run_host_call(call);
                      if (r.ok) {
                        s.host_response = std::move(r.data);
                        return 1;
                      }
                      s.host_error = std::move(r.error);
                      return 0;
                    });
  linker.func_typed(module, "__host_response_len", [](isola::Caller& c) -> int32_t {
    Session& s = session_of(c, "__host_response_len");
    return s.host_response ? static_cast<int32_t>(s.host_response->size()) : 0;
  });
  linker.func_typed(module, "__host_response", [](isola::Caller& c, uint32_t ptr) {
    const char* fn = "__host_response";
    Session& s = session_of(c, fn);
    if (!s.host_response) return;
    auto dst = guest_bytes(c, fn, "destination", ptr, s.host_response->size());
    std::copy(s.host_response->begin(), s.host_response->end(), dst.begin());
  });
  linker.func_typed(module, "__host_error_len", [](isola::Caller& c) -> int32_t {
    Session& s = session_of(c, "__host_error_len");
    return s.host_error ? static_cast<int32_t>(s.host_error->size()) : 0;
  });
  linker.func_typed(module, "__host_error", [](isola::Caller& c, uint32_t ptr) {
    const char* fn = "__host_error";
    Session& s = session_of(c, fn);
    if (!s.host_error) return;
    auto dst = guest_bytes(c, fn, "destination", ptr, s.host_error->size());
    std::copy(s.host_error->begin(), s.host_error->end(), dst.begin());
  });
  linker.func_typed(module, "__guest_request", [](isola::Caller& c, uint32_t op_ptr, uint32_t payload_ptr) {
    const char* fn = "__guest_request";
    Session& s = session_of(c, fn);
    if (!s.invocation) c.trap("__guest_request: called outside __guest_call");
    auto pl = guest_bytes(c, fn, "payload buffer", payload_ptr, s.invocation->payload.size());
    auto op = guest_bytes(c, fn, "operation buffer", op_ptr, s.invocation->operation.size());
    std::copy(s.invocation->payload.begin(), s.invocation->payload.end(), pl.begin());
    std::copy(s.invocation->operation.begin(), s.invocation->operation.end(), op.begin());
  });
  linker.func_typed(module, "__guest_response", [](isola::Caller& c, uint32_t ptr, uint32_t len) {
    const char* fn = "__guest_response";
    Session& s = session_of(c, fn);
    auto b = guest_bytes(c, fn, "response", ptr, len);
    if (len > s.limits().max_payload)
      c.trap("__guest_response: response of " + std::to_string(len) + " bytes exceeds the limit of " +
             std::to_string(s.limits().max_payload));
    s.guest_response.emplace(b.begin(), b.end());  // a second response replaces the first
  });
  linker.func_typed(module, "__guest_error", [](isola::Caller& c, uint32_t ptr, uint32_t len) {
    const char* fn = "__guest_error";
    Session& s = session_of(c, fn);
    auto b = guest_bytes(c, fn, "error text", ptr, len);
    s.guest_error = lossy_utf8(b, s.limits().max_error);
  });
  linker.func_typed(module, "__console_log", [](isola::Caller& c, uint32_t ptr, uint32_t len) {
    const char* fn = "__console_log";
    Session& s = session_of(c, fn);
    auto b = guest_bytes(c, fn, "log text", ptr, len);
    s.log(lossy_utf8(b, s.limits().max_log_line));
  });
}

}  // namespace

void add_to_linker(Linker& linker) {
  define_all(linker, std::string(kWapcModule));
  define_all(linker, std::string(kWasmbusModule));
}

void Session::attach(Store& store) { store.set_data(&kStoreKey, this); }

Session* Session::from(const Store& store) { return static_cast<Session*>(store.data(&kStoreKey)); }

CapabilityResult Session::run_host_call(const CapabilityCall& call) const {
  if (!host_call_) return CapabilityResult::failure("no capability providers are available to this component");
  // A provider's exception must not unwind through the guest as a crash: it becomes the
  // host error the guest reads.
  try {
    return host_call_(call);
  } catch (const std::exception& e) {
    return CapabilityResult::failure(std::string("Invocation failure: ") + e.what());
  }
}

void Session::log(std::string_view line) const {
  if (console_log_) console_log_(line);
}

// ---------------------------------------------------------------------------------------

namespace {

bool is_unit_func(const Func& f) { return f.type().params.empty() && f.type().results.empty(); }

CallError trap_error(const char* where, Trap t) {
  CallError e;
  e.kind = CallError::Kind::Trap;
  e.message = std::string(where) + ": " + t.to_string();
  e.trap = std::move(t);
  return e;
}

CallError refused(std::string msg) { return CallError{CallError::Kind::Refused, std::move(msg), std::nullopt}; }

}  // namespace

Expected<Guest> Guest::bind(Store& store, const Instance& instance, Session& session) {
  if (!instance.get_memory("memory"))
    return Error{"not a waPC actor: the module exports no memory named \"memory\""};
  Func gc = instance.get_func("__guest_call");
  if (!gc) return Error{"not a waPC actor: the module exports no function \"__guest_call\""};
  const FuncType want{{ValType::I32, ValType::I32}, {ValType::I32}};
  if (!(gc.type() == want))
    return Error{"not a waPC actor: __guest_call has type " + gc.type().to_string() + ", expected " +
                 want.to_string()};
  session.attach(store);
  return Guest(store, instance, session, gc);
}

Expected<std::monostate, CallError> Guest::initialize() {
  for (const char* name : {"_initialize", "_start", "wapc_init"}) {
    Func f = instance_.get_func(name);
    if (!f) continue;
    if (!is_unit_func(f))
      return refused(std::string(name) + " has type " + f.type().to_string() + ", expected () -> ()");
    auto r = f.call(*store_, {});
    if (!r) {
      // wasi-libc's _start ends with proc_exit(0) when main returns: that is success.
      if (r.error().kind == TrapKind::Exit && r.error().exit_code == 0) continue;
      return trap_error(name, std::move(r.error()));
    }
  }
  return std::monostate{};
}

Expected<std::vector<uint8_t>, CallError> Guest::call(std::string_view operation, std::span<const uint8_t> payload) {
  const Limits& lim = session_->limits();
  if (payload.size() > lim.max_payload)
    return refused("payload of " + std::to_string(payload.size()) + " bytes exceeds the limit of " +
                   std::to_string(lim.max_payload));
  if (operation.size() > lim.max_name)
    return refused("operation name longer than " + std::to_string(lim.max_name) + " bytes");

  Session& s = *session_;
  s.invocation = Session::Invocation{std::string(operation), std::vector<uint8_t>(payload.begin(), payload.end())};
  s.guest_response.reset();
  s.guest_error.reset();
  s.host_response.reset();
  s.host_error.reset();
  session_->attach(*store_);  // in case another session was attached since bind()

  auto r = guest_call_.call(*store_, {Value::i32(static_cast<int32_t>(operation.size())),
                                      Value::i32(static_cast<int32_t>(payload.size()))});
  s.invocation.reset();
  if (!r) return trap_error("__guest_call", std::move(r.error()));

  if (r->at(0).i32() == 0) {
    if (s.guest_error) return CallError{CallError::Kind::GuestError, std::move(*s.guest_error), std::nullopt};
    return CallError{CallError::Kind::GuestError, "No error message set for call failure", std::nullopt};
  }
  if (!s.guest_response)
    return CallError{CallError::Kind::GuestError, "No error message OR response set for call success",
                     std::nullopt};
  std::vector<uint8_t> out = std::move(*s.guest_response);
  s.guest_response.reset();
  return out;
}

bool Guest::is_wasmbus(const Module& module) {
  for (const auto& imp : module.imports())
    if (imp.module == kWasmbusModule) return true;
  for (const auto& exp : module.exports())
    if (exp.name == "__wasmbus_rpc_version") return true;
  return false;
}

bool looks_like_actor(const Module& module) {
  for (const auto& exp : module.exports())
    if (exp.name == "__guest_call" && exp.kind == ExternKind::Func) return true;
  return false;
}

std::string lossy_utf8(std::span<const uint8_t> bytes, size_t max_bytes) {
  static constexpr std::string_view kReplacement = "\xEF\xBF\xBD";
  bool cut = bytes.size() > max_bytes;
  if (cut) bytes = bytes.first(max_bytes);
  std::string out;
  out.reserve(bytes.size());
  size_t i = 0;
  while (i < bytes.size()) {
    uint8_t b = bytes[i];
    if (b < 0x80) {
      out.push_back(static_cast<char>(b));
      ++i;
      continue;
    }
    // Length and the smallest code point for that length (to refuse overlong forms).
    size_t n = 0;
    uint32_t cp = 0, min = 0;
    if ((b & 0xE0) == 0xC0) n = 2, cp = b & 0x1F, min = 0x80;
    else if ((b & 0xF0) == 0xE0) n = 3, cp = b & 0x0F, min = 0x800;
    else if ((b & 0xF8) == 0xF0) n = 4, cp = b & 0x07, min = 0x10000;
    size_t k = 1;
    if (n) {
      for (; k < n && i + k < bytes.size() && (bytes[i + k] & 0xC0) == 0x80; ++k) cp = (cp << 6) | (bytes[i + k] & 0x3F);
    }
    if (n && k == n && cp >= min && cp <= 0x10FFFF && !(cp >= 0xD800 && cp <= 0xDFFF)) {
      out.append(reinterpret_cast<const char*>(&bytes[i]), n);
      i += n;
    } else {
      out.append(kReplacement);
      i += n ? k : 1;  // skip the bad lead byte and any continuation bytes it claimed
    }
  }
  if (cut) out.append("\xE2\x80\xA6");  // …
  return out;
}

}  // namespace isola::host::wapc
