// An application, running: every component loaded and pre-linked, its providers made, the
// routes matched, and the HTTP ingress serving. Built from a Manifest; `isola up` is
//   auto app = App::create(manifest, options, &log);   // load, verify, link
//   (*app)->start();                                    // bind and serve
//   signals.wait(); (*app)->shutdown(10s);
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "host/app/executor.hpp"
#include "host/claims/policy.hpp"
#include "host/http/server.hpp"
#include "host/log.hpp"
#include "host/manifest/manifest.hpp"
#include "host/providers/provider.hpp"
#include "isola/engine.hpp"

namespace isola::host::app {

struct AppOptions {
  std::string listen;     // overrides the manifest's listen address when not empty
  std::string state_dir;  // overrides the manifest's state directory when not empty
  unsigned threads = 0;   // server threads; 0 = twice the cores, at least 4 (handlers block)
};

class App {
 public:
  // Loads every component (sha256, claims, ABI, pre-link), resolves a waSCC manifest's
  // actor keys, creates the state directory and the providers of every link. The first
  // problem is the error, naming the component and the check.
  static Expected<std::unique_ptr<App>> create(Manifest manifest, AppOptions options, LogSink* log);
  ~App();

  // Binds the listen address and starts serving.
  Expected<std::monostate> start();
  // "127.0.0.1:8080", once started.
  std::string local_address() const;
  // Stops serving: in-flight requests finish (within `grace`), then every thread is joined.
  void shutdown(std::chrono::milliseconds grace);

  // Routes and runs one request (what the ingress calls; public for tests).
  HttpResponse handle(const HttpRequest& request) const;

  const Manifest& manifest() const { return manifest_; }

 private:
  App(Manifest m, AppOptions o, LogSink* log) : manifest_(std::move(m)), options_(std::move(o)), log_(log) {}
  const ComponentRuntime* runtime_for(const LoadedComponent& lc) const;
  const LoadedComponent* find_actor(std::string_view key_or_alias) const;

  Manifest manifest_;
  AppOptions options_;
  LogSink* log_;
  Engine engine_;
  std::optional<claims::Policy> policy_;
  std::unique_ptr<Executor> executor_;
  std::vector<std::unique_ptr<ComponentRuntime>> components_;
  std::unique_ptr<HttpServer> server_;
};

}  // namespace isola::host::app
