// One request, one fresh instance: a new Store with the component's limits (memory via
// StoreLimits, fuel, a wall-clock deadline), instantiated from the pre-linked module, run
// through its ABI (WAGI: a WASI command with the request as CGI; waPC: _start/wapc_init and
// then HandleRequest), and thrown away. How each outcome becomes a status code is in
// docs/host.md ("Per-request limits"):
//   guest answered                          -> its answer
//   trap, guest error, bad response         -> 500
//   out of fuel, memory limit reached       -> 503
//   wall-clock timeout                      -> 504
//   max_concurrent instances already run    -> 503 + Retry-After: 1 (no queue)
//   claims revoked or expired since start   -> 403
// Every body is one line of plain text naming the component and the reason.
#pragma once

#include <memory>
#include <optional>
#include <span>
#include <string_view>

#include "host/app/capabilities.hpp"
#include "host/app/component.hpp"
#include "host/app/limiter.hpp"
#include "host/claims/policy.hpp"
#include "host/http_message.hpp"
#include "host/log.hpp"
#include "host/manifest/manifest.hpp"
#include "isola/engine.hpp"

namespace isola::host::app {

// Everything a request needs about one component; built once by App.
struct ComponentRuntime {
  std::unique_ptr<LoadedComponent> loaded;
  std::unique_ptr<CapabilityTable> capabilities;
  std::unique_ptr<ConcurrencyLimiter> limiter;
};

class Executor {
 public:
  // `policy` (may be null) is asked on every request whether a signed component's claims
  // are still admitted (revocations take effect without a restart).
  Executor(const Engine& engine, const claims::Policy* policy, LogSink* log)
      : engine_(&engine), policy_(policy), log_(log) {}

  // Serves `request`, which `route` matched, on a fresh instance of `rt`.
  HttpResponse serve(const ComponentRuntime& rt, const Route& route, const HttpRequest& request) const;

  // Runs `operation` on a fresh instance of the actor `rt` (an actor-to-actor call, §2.2).
  CapabilityResult invoke(const ComponentRuntime& rt, std::string_view operation,
                          std::span<const uint8_t> payload, unsigned depth) const;

 private:
  struct Outcome;
  const Engine* engine_;
  const claims::Policy* policy_;
  LogSink* log_;
};

}  // namespace isola::host::app
