// The HTTP ingress: an HTTP/1.1 server (Boost.Beast on Asio) that parses requests within
// limits, hands each one to a blocking handler on a server thread, and writes the answer.
// Connections are kept alive and may pipeline: requests on one connection are read, handled
// and answered strictly one after another. Every limit is answered with its own status code
// and a short text/plain body (see docs/manifest.md, "HTTP ingress"; [app] in isola.toml sets
// the size limits and timeouts).
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>

#include "host/http_message.hpp"
#include "host/log.hpp"
#include "isola/engine.hpp"

namespace isola::host {

struct HttpServerConfig {
  std::string listen = "127.0.0.1:8080";  // "HOST:PORT" or "[V6]:PORT"; port 0 picks a free one
  unsigned threads = 0;                    // 0 = std::thread::hardware_concurrency()
  size_t max_header_bytes = 16 * 1024;     // request line + header fields -> 431 beyond
  size_t max_body_bytes = 8 * 1024 * 1024;  // -> 413 beyond
  std::chrono::milliseconds request_timeout{30000};  // first byte to last byte of a request -> 408;
                                                     // also bounds writing the response
  std::chrono::milliseconds idle_timeout{60000};     // keep-alive wait for the next request -> close
  size_t max_connections = 10000;                    // open connections; more -> 503 and close
};

// Answers one request. It may block (it runs guests) and runs on a server thread; a handler
// that blocks past EventLoops::kStall gets its thread's other connections served by a helper
// thread (event_loops.hpp), so handlers at once are not limited to N. An exception becomes
// a 500.
using HttpHandler = std::function<HttpResponse(const HttpRequest&)>;

class HttpServer {
 public:
  // Binds and starts serving. `access_log` (may be null) gets one JSON line per request:
  // method, path, status, bytes (response body), duration_ms, component, instance_ms, remote.
  // It must outlive the server. Errors: a bad listen address, or the bind failing.
  static isola::Expected<std::unique_ptr<HttpServer>> start(HttpServerConfig config, HttpHandler handler,
                                                            LogSink* access_log);
  ~HttpServer();  // shutdown(0ms) if not done yet
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // The bound address, "127.0.0.1:PORT" or "[::1]:PORT" (the real port when 0 was asked).
  std::string local_address() const;
  uint16_t local_port() const;

  // Stops accepting, closes idle keep-alive connections, lets requests in progress finish
  // (their connections close after the answer), and after `grace` closes whatever is left.
  // A handler that is running is never interrupted: shutdown returns once it has returned
  // (guests are bounded by their own limits). Joins every server thread. Idempotent.
  void shutdown(std::chrono::milliseconds grace);

  struct Core;  // the implementation (server.cpp, session.cpp)

 private:
  explicit HttpServer(std::unique_ptr<Core> core);
  std::unique_ptr<Core> core_;
};

}  // namespace isola::host
