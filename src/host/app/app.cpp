#include "host/app/app.hpp"

#include <algorithm>
#include <filesystem>
#include <thread>

namespace isola::host::app {

App::~App() { shutdown(std::chrono::milliseconds(0)); }

Expected<std::unique_ptr<App>> App::create(Manifest manifest, AppOptions options, LogSink* log) {
  std::unique_ptr<App> app(new App(std::move(manifest), std::move(options), log));
  Manifest& m = app->manifest_;
  if (!app->options_.state_dir.empty()) m.state_dir = std::filesystem::absolute(app->options_.state_dir).string();
  if (!app->options_.listen.empty()) m.listen = app->options_.listen;

  claims::PolicyConfig pc;
  pc.trusted_issuers = m.trusted_issuers;
  pc.revoked = m.revoked;
  if (!m.revocation_file.empty()) pc.revocation_file = m.revocation_file;
  auto policy = claims::Policy::create(std::move(pc));
  if (!policy) return Error{m.path + ": claims: " + policy.error().message};
  app->policy_.emplace(std::move(*policy));

  // Load every module first: a waSCC manifest's links name actors by the keys in their
  // claims, which are known only now.
  Linker linker = make_host_linker(app->engine_);
  std::map<std::string, std::string> subjects;
  for (const Component& c : m.components) {
    auto lc = load_component(app->engine_, linker, c, log);
    if (!lc) return lc.error();
    if ((*lc)->claims) {
      if (auto ok = app->policy_->admit(*(*lc)->claims, (*lc)->name); !ok)
        return Error{describe(c) + ": " + ok.error().message};
      subjects[c.id] = (*lc)->claims->subject;
    }
    auto rt = std::make_unique<ComponentRuntime>();
    rt->loaded = std::move(*lc);
    rt->limiter = std::make_unique<ConcurrencyLimiter>(c.limits.max_concurrent.value_or(0));
    app->components_.push_back(std::move(rt));
  }
  if (m.format == "wascc") {
    auto resolved = resolve_actor_keys(m, subjects);
    if (!resolved) return resolved.error();
    m = std::move(*resolved);
    for (auto& rt : app->components_)
      if (const Component* c = m.component(rt->loaded->config.id)) rt->loaded->config.links = c->links;
  }

  std::error_code ec;
  std::filesystem::create_directories(m.state_dir, ec);
  if (ec) return Error{m.path + ": state directory " + m.state_dir + ": " + ec.message()};

  app->executor_ = std::make_unique<Executor>(app->engine_, &*app->policy_, log);
  ActorDirectory actors;
  App* self = app.get();
  actors.find = [self](std::string_view k) { return self->find_actor(k); };
  actors.invoke = [self](const LoadedComponent& target, std::string_view op, std::span<const uint8_t> payload,
                         unsigned depth) {
    const ComponentRuntime* rt = self->runtime_for(target);
    if (!rt) return CapabilityResult::failure("Invocation failure: unknown actor");
    return self->executor_->invoke(*rt, op, payload, depth);
  };
  ProviderEnv env{m.state_dir, log};
  for (auto& rt : app->components_) {
    auto table = CapabilityTable::create(*rt->loaded, env, actors);
    if (!table) return table.error();
    rt->capabilities = std::move(*table);
  }
  return app;
}

const ComponentRuntime* App::runtime_for(const LoadedComponent& lc) const {
  for (const auto& rt : components_)
    if (rt->loaded.get() == &lc) return rt.get();
  return nullptr;
}

const LoadedComponent* App::find_actor(std::string_view key_or_alias) const {
  for (const auto& rt : components_) {
    const auto& cl = rt->loaded->claims;
    if (!cl) continue;
    if (cl->subject == key_or_alias || (cl->call_alias && *cl->call_alias == key_or_alias)) return rt->loaded.get();
  }
  return nullptr;
}

Expected<std::monostate> App::start() {
  HttpServerConfig cfg;
  cfg.listen = manifest_.listen;
  // [app] ingress limits; those left out keep HttpServerConfig's defaults.
  const IngressLimits& in = manifest_.ingress;
  if (in.max_header_bytes) cfg.max_header_bytes = static_cast<size_t>(*in.max_header_bytes);
  if (in.max_body_bytes) cfg.max_body_bytes = static_cast<size_t>(*in.max_body_bytes);
  if (in.request_timeout) cfg.request_timeout = *in.request_timeout;
  if (in.idle_timeout) cfg.idle_timeout = *in.idle_timeout;
  unsigned hw = std::max(1u, std::thread::hardware_concurrency());
  cfg.threads = options_.threads ? options_.threads : std::max(4u, 2 * hw);
  auto server = HttpServer::start(cfg, [this](const HttpRequest& r) { return handle(r); }, log_);
  if (!server) return server.error();
  server_ = std::move(*server);
  if (log_)
    log_->write(LogLevel::Info, {{"log", "host"}, {"event", "listening"}, {"app", manifest_.app_name},
                                 {"address", server_->local_address()}, {"components", components_.size()}});
  return std::monostate{};
}

std::string App::local_address() const { return server_ ? server_->local_address() : std::string(); }

void App::shutdown(std::chrono::milliseconds grace) {
  if (server_) server_->shutdown(grace);
}

HttpResponse App::handle(const HttpRequest& request) const {
  bool method_mismatch = false;
  const Route* route = match_route(manifest_, request.method, request.path, &method_mismatch);
  if (!route) {
    if (!method_mismatch) return HttpResponse::text(404, "Not Found: no route for " + request.path);
    // The methods the path's routes accept, for Allow.
    std::vector<std::string> allow;
    for (const char* m : {"GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"}) {
      bool mm = false;
      if (match_route(manifest_, m, request.path, &mm)) allow.emplace_back(m);
    }
    std::string allow_text;
    for (const auto& a : allow) allow_text += (allow_text.empty() ? "" : ", ") + a;
    HttpResponse r = HttpResponse::text(405, "Method Not Allowed: " + request.method + " " + request.path);
    r.headers.emplace_back("Allow", allow_text);
    return r;
  }
  for (const auto& rt : components_)
    if (rt->loaded->config.id == route->component) return executor_->serve(*rt, *route, request);
  return HttpResponse::text(500, "Internal Server Error: route " + route->pattern + " names no loaded component");
}

}  // namespace isola::host::app
