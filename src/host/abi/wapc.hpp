// The waPC actor ABI, host side (ACTOR-ABI.md §1): the nine imports a waPC guest calls,
// under both `wapc` and `wasmbus`, and the host -> guest call protocol around
// `__guest_call`. Wire-compatible with waSCC and wasmCloud 0.x actors.
//
//   isola::Linker linker(engine);
//   isola::host::wapc::add_to_linker(linker);          // once; shared by every store
//   ...
//   isola::host::wapc::Session session;                 // per instance
//   session.set_host_call([&](const CapabilityCall& c) { return providers.dispatch(c); });
//   session.attach(store);                              // before instantiating
//   auto inst = pre->instantiate(store);
//   auto guest = isola::host::wapc::Guest::bind(store, *inst, session);
//   guest->initialize();                                 // _initialize, _start, wapc_init
//   auto reply = guest->call("HandleRequest", payload);  // bytes, or CallError
//
// Everything the guest hands the host is a pointer and a length into its own memory; every
// one is checked against the memory's current size (it may grow during a call) and a bad
// one traps the guest. The host never allocates in guest memory.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "host/capability.hpp"
#include "isola/engine.hpp"

namespace isola::host::wapc {

// The import modules the nine functions are defined under.
inline constexpr std::string_view kWapcModule = "wapc";
inline constexpr std::string_view kWasmbusModule = "wasmbus";

// Defines __host_call, __host_response(_len), __host_error(_len), __guest_request,
// __guest_response, __guest_error and __console_log under `wapc` and `wasmbus`. Each finds
// its Session through the calling store; a call from a store without one traps.
void add_to_linker(Linker& linker);

// Bounds on what the host copies out of a guest, so a guest cannot make it allocate
// without limit.
struct Limits {
  size_t max_payload = 16u << 20;     // guest response, host-call payload, call payload
  size_t max_name = 4096;             // binding, namespace and operation of a host call
  size_t max_error = 64u << 10;       // guest error text (longer text is truncated)
  size_t max_log_line = 64u << 10;    // console log line (longer lines are truncated)
};

using HostCallHandler = std::function<CapabilityResult(const CapabilityCall&)>;
using ConsoleLog = std::function<void(std::string_view line)>;  // valid UTF-8

// The per-instance state the imports work on: the current invocation, the guest's answer,
// the last host call's answer, and where host calls and log lines go.
class Session {
 public:
  explicit Session(Limits limits = {}) : limits_(limits) {}
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  // Host calls without a handler fail with a host error; log lines without a sink are
  // dropped.
  void set_host_call(HostCallHandler h) { host_call_ = std::move(h); }
  void set_console_log(ConsoleLog l) { console_log_ = std::move(l); }
  const Limits& limits() const { return limits_; }

  // Makes the waPC imports called from `store` use this session. The session must outlive
  // the store's use of it.
  void attach(Store& store);
  static Session* from(const Store& store);

  // --- used by the imports and by Guest (not by embedders) ---------------------------
  struct Invocation {
    std::string operation;
    std::vector<uint8_t> payload;
  };
  std::optional<Invocation> invocation;              // set while __guest_call runs
  std::optional<std::vector<uint8_t>> guest_response;
  std::optional<std::string> guest_error;
  std::optional<std::vector<uint8_t>> host_response;
  std::optional<std::string> host_error;

  CapabilityResult run_host_call(const CapabilityCall& call) const;
  void log(std::string_view line) const;

 private:
  Limits limits_;
  HostCallHandler host_call_;
  ConsoleLog console_log_;
};

// Why a call into the guest did not produce a response.
struct CallError {
  enum class Kind : uint8_t {
    GuestError,  // __guest_call returned 0, or returned 1 without a response
    Trap,        // the guest trapped (including a bad pointer passed to an import)
    Refused,     // the host refused before calling (payload too large, ...)
  };
  Kind kind = Kind::GuestError;
  std::string message;         // the guest's error text, the trap, or why it was refused
  std::optional<Trap> trap;    // for Kind::Trap
};

// A waPC guest instance: checks the module shape and runs the call protocol (§1.3, §1.4).
// One call at a time (waPC instances are not reentrant).
class Guest {
 public:
  // Checks that the instance exports `memory` and `__guest_call: (i32, i32) -> i32`, and
  // attaches `session` to `store`. Errors say what is missing.
  static Expected<Guest> bind(Store& store, const Instance& instance, Session& session);

  // Runs, when exported, `_initialize` (the WASI reactor constructor hook), `_start` and
  // then `wapc_init`, each `() -> ()`. A WASI exit with status 0 from `_start` counts as
  // success. Call once, before the first call().
  Expected<std::monostate, CallError> initialize();

  // Invokes `operation` with `payload` (§1.4) and returns the guest's response bytes.
  Expected<std::vector<uint8_t>, CallError> call(std::string_view operation,
                                                 std::span<const uint8_t> payload);

  // Whether the module looks like a wasmbus-rpc actor (imports from `wasmbus` or exports
  // `__wasmbus_rpc_version`).
  static bool is_wasmbus(const Module& module);

 private:
  Guest(Store& store, Instance instance, Session& session, Func guest_call)
      : store_(&store), instance_(instance), session_(&session), guest_call_(guest_call) {}
  Store* store_;
  Instance instance_;
  Session* session_;
  Func guest_call_;
};

// Whether a module has the waPC shape (exports `__guest_call`), for ABI detection.
bool looks_like_actor(const Module& module);

// `bytes` as UTF-8, with each invalid sequence replaced by U+FFFD and at most `max_bytes`
// of input taken (a cut-off tail is marked with "…").
std::string lossy_utf8(std::span<const uint8_t> bytes, size_t max_bytes);

}  // namespace isola::host::wapc
