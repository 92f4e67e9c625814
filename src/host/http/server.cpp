#include "host/http/server.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/socket_base.hpp>

#include "host/http/core.hpp"
#include "host/http/listen_address.hpp"
#include "host/http/session.hpp"

namespace isola::host {

namespace net = boost::asio;
using boost::system::error_code;
using namespace std::chrono_literals;

void HttpServer::Core::accept_next() {
  acceptor.async_accept(net::make_strand(loops.next()), [this](error_code ec, net::ip::tcp::socket socket) {
    if (ec == net::error::operation_aborted || stopping) return;
    if (ec) {
      // Out of descriptors or memory, most likely: retry shortly instead of spinning.
      accept_retry.expires_after(50ms);
      accept_retry.async_wait([this](error_code e) {
        if (!e && !stopping) accept_next();
      });
      return;
    }
    auto session = std::make_shared<Session>(std::move(socket), *this);
    if (add(session.get(), session))
      session->start();
    else
      session->reject();
    accept_next();
  });
}

isola::Expected<std::unique_ptr<HttpServer>> HttpServer::start(HttpServerConfig config, HttpHandler handler,
                                                               LogSink* access_log) {
  auto addr = parse_listen_address(config.listen);
  if (!addr) return addr.error();
  if (!handler) return isola::Error{"http server: no handler"};
  unsigned threads = config.threads ? config.threads : std::max(1u, std::thread::hardware_concurrency());
  auto core = std::make_unique<Core>(std::move(config), std::move(handler), access_log, threads);

  error_code ec;
  net::ip::tcp::endpoint endpoint(net::ip::make_address(addr->ip, ec), addr->port);
  if (ec) return isola::Error{"listen address '" + core->config.listen + "': " + ec.message()};
  auto fail = [&](const char* what) {
    return isola::Error{"cannot listen on " + core->config.listen + ": " + what + ": " + ec.message()};
  };
  core->acceptor.open(endpoint.protocol(), ec);
  if (ec) return fail("socket");
  core->acceptor.set_option(net::socket_base::reuse_address(true), ec);
  if (ec) return fail("SO_REUSEADDR");
  core->acceptor.bind(endpoint, ec);
  if (ec) return fail("bind");
  core->acceptor.listen(net::socket_base::max_listen_connections, ec);
  if (ec) return fail("listen");
  core->local = core->acceptor.local_endpoint(ec);
  if (ec) return fail("getsockname");

  core->accept_next();
  core->loops.start();
  return std::unique_ptr<HttpServer>(new HttpServer(std::move(core)));
}

HttpServer::HttpServer(std::unique_ptr<Core> core) : core_(std::move(core)) {}

HttpServer::~HttpServer() { shutdown(0ms); }

std::string HttpServer::local_address() const {
  return format_host_port(core_->local.address().to_string(), core_->local.port());
}

uint16_t HttpServer::local_port() const { return core_->local.port(); }

void HttpServer::shutdown(std::chrono::milliseconds grace) {
  Core& c = *core_;
  if (c.shut_down) return;
  c.shut_down = true;
  c.stopping = true;
  net::post(c.accept_strand, [&c] {
    error_code ignored;
    c.acceptor.close(ignored);
    c.accept_retry.cancel();
  });
  for (auto& s : c.snapshot()) s->stop_if_idle();
  {
    std::unique_lock lock(c.mu);
    c.all_closed.wait_for(lock, grace, [&] { return c.sessions.empty(); });
  }
  for (auto& s : c.snapshot()) s->force_close();
  {
    // A handler that is still running finishes first: a thread cannot be interrupted safely.
    std::unique_lock lock(c.mu);
    c.all_closed.wait(lock, [&] { return c.sessions.empty(); });
  }
  c.loops.stop();
}

}  // namespace isola::host
