// What the server and its connections share (internal to http/): configuration, the
// handler, the access log, the event loops with their threads, and the registry of open
// connections that limits their number and lets shutdown reach each one.
#pragma once

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include "host/http/event_loops.hpp"
#include "host/http/server.hpp"

namespace isola::host {

class Session;

struct HttpServer::Core {
  Core(HttpServerConfig c, HttpHandler h, LogSink* log, unsigned threads)
      : config(std::move(c)), handler(std::move(h)), access_log(log), loops(threads) {}

  const HttpServerConfig config;
  const HttpHandler handler;
  LogSink* const access_log;
  std::atomic<bool> stopping{false};

  // Registry of open connections. Declared before the event loops on purpose: destroying
  // their io_contexts destroys any handlers still queued, and with them the sessions, which
  // unregister themselves here.
  std::mutex mu;
  std::condition_variable all_closed;
  std::unordered_map<Session*, std::weak_ptr<Session>> sessions;

  // Registers a new connection unless the limit is reached.
  bool add(Session* s, const std::shared_ptr<Session>& sp) {
    std::lock_guard lock(mu);
    if (sessions.size() >= config.max_connections) return false;
    sessions.emplace(s, sp);
    return true;
  }
  void remove(Session* s) {
    std::lock_guard lock(mu);
    sessions.erase(s);
    if (sessions.empty()) all_closed.notify_all();
  }
  std::vector<std::shared_ptr<Session>> snapshot() {
    std::lock_guard lock(mu);
    std::vector<std::shared_ptr<Session>> out;
    for (auto& [_, w] : sessions)
      if (auto sp = w.lock()) out.push_back(std::move(sp));
    return out;
  }

  // The threads, one event loop each. They keep running until shutdown is done with the
  // sessions, even at moments when no operation is pending: shutdown posts to sessions and
  // needs those posts to run.
  EventLoops loops;
  boost::asio::strand<boost::asio::io_context::executor_type> accept_strand{boost::asio::make_strand(loops.first())};
  boost::asio::ip::tcp::acceptor acceptor{accept_strand};
  boost::asio::steady_timer accept_retry{accept_strand};
  boost::asio::ip::tcp::endpoint local;
  bool shut_down = false;  // shutdown() has run (guarded by the caller: one controlling thread)

  void accept_next();
};

}  // namespace isola::host
