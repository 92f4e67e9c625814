#include "host/app/executor.hpp"

#include <algorithm>
#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "host/abi/http_codec.hpp"
#include "host/abi/wagi.hpp"
#include "host/abi/wapc.hpp"
#include "isola/wasi.hpp"

namespace isola::host::app {

namespace {

using Clock = std::chrono::steady_clock;

wasi::MountMode mount_mode(FileMount::Mode m) {
  switch (m) {
    case FileMount::ReadOnly: return wasi::MountMode::ReadOnly;
    case FileMount::Overlay: return wasi::MountMode::Overlay;
    case FileMount::ReadWrite: break;
  }
  return wasi::MountMode::ReadWrite;
}

std::vector<wasi::DirMount> mounts(const Component& c) {
  std::vector<wasi::DirMount> dirs;
  for (const auto& f : c.files) dirs.push_back({f.host, f.guest, mount_mode(f.mode)});
  return dirs;
}

// The fixed part of a route pattern: "/api/..." -> "/api", "/..." -> "".
std::string script_name(std::string_view pattern) {
  if (pattern.size() >= 4 && pattern.substr(pattern.size() - 4) == "/...") pattern.remove_suffix(4);
  return std::string(pattern);
}

std::string ms_text(std::chrono::milliseconds ms) { return std::to_string(ms.count()) + " ms"; }

// Why a run ended without an answer, as a status code and a reason.
struct Failure {
  unsigned status = 500;
  std::string reason;
};

// A Store set up with the component's per-request limits.
void apply_limits(Store& store, const ComponentLimits& l) {
  if (l.max_memory_bytes) {
    StoreLimits sl;
    sl.max_memory_bytes = *l.max_memory_bytes;
    sl.max_total_memory_bytes = *l.max_memory_bytes;
    store.set_limits(sl);
  }
  if (l.fuel) store.set_fuel(*l.fuel);
  if (l.timeout) store.set_timeout(*l.timeout);
}

// Whether the store's memory limit refused the guest memory during this request: a guest
// that then fails most likely failed for want of it (memory.grow answers -1 rather than
// trapping, so the failure itself comes later, as a trap or an error page).
bool hit_memory_limit(const Store& store, const ComponentLimits& l) {
  return l.max_memory_bytes && store.memory_limit_refusals() > 0;
}

Failure classify_trap(const Trap& t, const Store& store, const ComponentLimits& l) {
  switch (t.kind) {
    case TrapKind::DeadlineExceeded:
    case TrapKind::Interrupted:
      return {504, "timed out: still running after " + (l.timeout ? ms_text(*l.timeout) : std::string("its deadline"))};
    case TrapKind::OutOfFuel:
      return {503, "out of fuel: used all " + std::to_string(l.fuel.value_or(0)) + " units of its fuel limit"};
    default: break;
  }
  if (hit_memory_limit(store, l))
    return {503, "memory limit reached (" + std::to_string(*l.max_memory_bytes) + " bytes), then: " + t.to_string()};
  return {500, "trapped: " + t.to_string()};
}

}  // namespace

struct Executor::Outcome {
  // Shared by both entry points: admission, the per-instance Store and the failure text.
  static std::optional<Failure> admit(const Executor& ex, const LoadedComponent& lc) {
    if (!lc.claims || !ex.policy_) return std::nullopt;
    if (auto ok = ex.policy_->admit(*lc.claims, lc.name); !ok) return Failure{403, ok.error().message};
    if (lc.claims->exp) {
      auto now = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch());
      if (now.count() >= *lc.claims->exp) return Failure{403, lc.name + ": claims expired"};
    }
    return std::nullopt;
  }
};

HttpResponse Executor::serve(const ComponentRuntime& rt, const Route& route, const HttpRequest& request) const {
  const LoadedComponent& lc = *rt.loaded;
  const Component& c = lc.config;
  const ComponentLimits& limits = c.limits;

  auto answer = [&](Failure f, Clock::time_point t0) {
    if (log_)
      log_->write(f.status == 403 || f.status >= 500 ? LogLevel::Warn : LogLevel::Info,
                  {{"log", "host"}, {"event", "request_failed"}, {"component", c.id}, {"status", f.status},
                   {"reason", f.reason}});
    HttpResponse r = HttpResponse::text(f.status, "component " + c.id + ": " + f.reason);
    r.component = c.id;
    if (t0 != Clock::time_point{}) r.instance_time = Clock::now() - t0;
    return r;
  };

  auto slot = rt.limiter->try_acquire();
  if (!slot) {
    HttpResponse r = answer({503, "too many concurrent requests (max_concurrent = " + std::to_string(rt.limiter->max()) + ")"}, {});
    r.headers.emplace_back("Retry-After", "1");
    return r;
  }
  if (auto refused = Outcome::admit(*this, lc)) return answer(*refused, {});

  const auto t0 = Clock::now();
  Store store(*engine_);
  wapc::Session session;
  session.set_host_call([&](const CapabilityCall& call) { return rt.capabilities->dispatch(call, 0); });
  session.set_console_log([&](std::string_view line) {
    if (log_) log_->write(LogLevel::Info, {{"log", "guest"}, {"component", c.id}, {"msg", std::string(line)}});
  });
  session.attach(store);
  auto on_output = [&](std::string_view stream) {
    return [this, &c, stream](std::string_view line) {
      if (log_)
        log_->write(LogLevel::Info, {{"log", "guest"}, {"component", c.id}, {"stream", std::string(stream)},
                                     {"msg", std::string(line)}});
    };
  };

  // The instance both ABIs run in: a WASI context (WAGI's CGI one, or a quiet one for an
  // actor built against wasi-libc), the component's limits, a fresh instance. On failure,
  // the answer to send instead.
  std::unique_ptr<wasi::Context> ctx;
  Instance inst;
  auto start = [&](wasi::Config cfg) -> std::optional<HttpResponse> {
    auto made = wasi::Context::create(std::move(cfg));
    if (!made) return answer({500, "cannot set up WASI: " + made.error().message}, t0);
    ctx = std::move(*made);
    ctx->attach(store);
    apply_limits(store, limits);
    auto i = lc.pre->instantiate(store);
    if (!i) {
      if (i.error().trap) return answer(classify_trap(*i.error().trap, store, limits), t0);
      return answer({hit_memory_limit(store, limits) ? 503u : 500u, "cannot instantiate: " + i.error().message}, t0);
    }
    inst = *i;
    return std::nullopt;
  };
  auto memory_limit_reached = [&](std::string_view detail) {
    return answer({503, "memory limit reached (" + std::to_string(*limits.max_memory_bytes) + " bytes): " +
                            std::string(detail)},
                  t0);
  };

  if (lc.abi == Abi::Wagi) {
    wagi::Options opt;
    opt.script_name = script_name(route.pattern);
    opt.matched_route = route.pattern;
    opt.env = c.env;
    opt.dirs = mounts(c);
    opt.on_stderr = on_output("stderr");
    wagi::Exchange ex(request, std::move(opt));
    if (auto failed = start(ex.config())) return *failed;
    auto outcome = wasi::run_command(store, inst);
    store.clear_deadline();
    if (!outcome) return answer(classify_trap(outcome.error(), store, limits), t0);
    HttpResponse r = ex.response(outcome);
    if (r.status >= 500 && hit_memory_limit(store, limits))
      return memory_limit_reached(r.body.substr(0, r.body.find('\n')));
    r.component = c.id;
    r.instance_time = Clock::now() - t0;
    return r;
  }

  // waPC: the actor may import WASI too (wasi-libc reactors do); give it a quiet one.
  wasi::Config cfg;
  cfg.args = {c.id};
  cfg.env = c.env;
  cfg.dirs = mounts(c);
  cfg.stdin_ = wasi::Stdio::null();
  cfg.stdout_ = wasi::Stdio::to(on_output("stdout"));
  cfg.stderr_ = wasi::Stdio::to(on_output("stderr"));
  if (auto failed = start(std::move(cfg))) return *failed;
  auto guest = wapc::Guest::bind(store, inst, session);
  if (!guest) return answer({500, guest.error().message}, t0);
  auto fail_call = [&](const wapc::CallError& e, std::string_view when) {
    if (e.trap) return answer(classify_trap(*e.trap, store, limits), t0);
    if (hit_memory_limit(store, limits)) return memory_limit_reached(e.message);
    return answer({500, std::string(when) + ": " + e.message}, t0);
  };
  if (auto init = guest->initialize(); !init) return fail_call(init.error(), "initialisation failed");
  auto reply = guest->call(wapc::http_operation(lc.flavour), wapc::encode_http_request(request, lc.flavour));
  store.clear_deadline();
  if (!reply) return fail_call(reply.error(), "guest call failed");
  HttpResponse r = wapc::decode_http_response(*reply, lc.flavour);
  r.component = c.id;
  r.instance_time = Clock::now() - t0;
  return r;
}

CapabilityResult Executor::invoke(const ComponentRuntime& rt, std::string_view operation,
                                  std::span<const uint8_t> payload, unsigned depth) const {
  const LoadedComponent& lc = *rt.loaded;
  const Component& c = lc.config;
  if (lc.abi != Abi::Wapc) return CapabilityResult::failure("Invocation failure: " + c.id + " is not a waPC actor");
  auto slot = rt.limiter->try_acquire();
  if (!slot) return CapabilityResult::failure("Invocation failure: " + c.id + ": too many concurrent requests");
  if (auto refused = Outcome::admit(*this, lc)) return CapabilityResult::failure("Invocation failure: " + refused->reason);

  Store store(*engine_);
  wapc::Session session;
  session.set_host_call([&](const CapabilityCall& call) { return rt.capabilities->dispatch(call, depth); });
  session.set_console_log([&](std::string_view line) {
    if (log_) log_->write(LogLevel::Info, {{"log", "guest"}, {"component", c.id}, {"msg", std::string(line)}});
  });
  session.attach(store);
  wasi::Config cfg;
  cfg.args = {c.id};
  cfg.env = c.env;
  cfg.stdin_ = wasi::Stdio::null();
  cfg.stdout_ = wasi::Stdio::null();
  cfg.stderr_ = wasi::Stdio::null();
  auto ctx = wasi::Context::create(std::move(cfg));
  if (!ctx) return CapabilityResult::failure("Invocation failure: " + ctx.error().message);
  (*ctx)->attach(store);
  apply_limits(store, c.limits);
  auto inst = lc.pre->instantiate(store);
  if (!inst) return CapabilityResult::failure("Invocation failure: " + c.id + ": " + inst.error().message);
  auto guest = wapc::Guest::bind(store, *inst, session);
  if (!guest) return CapabilityResult::failure("Invocation failure: " + guest.error().message);
  if (auto init = guest->initialize(); !init)
    return CapabilityResult::failure("Invocation failure: " + c.id + ": " + init.error().message);
  auto reply = guest->call(operation, payload);
  store.clear_deadline();
  if (!reply) return CapabilityResult::failure("Invocation failure: " + c.id + ": " + reply.error().message);
  return CapabilityResult::success(std::move(*reply));
}

}  // namespace isola::host::app
