// One client connection (internal to http/). It reads a request within the limits, calls the
// handler, writes the answer, and starts over on the same connection: strictly one request
// at a time, so pipelined requests are answered in the order they came. All of its work runs
// on the connection's strand; the only entry points from other threads post onto it.
#pragma once

#include <array>
#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>

#include "host/http/core.hpp"
#include "host/http/response.hpp"

namespace isola::host {

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(boost::asio::ip::tcp::socket socket, HttpServer::Core& core);
  ~Session();

  void start();         // serve requests until the connection ends
  void reject();        // answer 503 (too many connections) and close
  void stop_if_idle();  // for shutdown: close now if waiting for a request, else after the answer
  void force_close();   // for shutdown after the grace period

 private:
  enum class Phase { Idle, Reading, Handling, Writing, Lingering, Closed };

  void wait_for_request();
  void begin_request();
  void on_header(boost::system::error_code ec);
  void read_body();
  void read_failed(boost::system::error_code ec);
  void handle();
  void answer_error(unsigned status, std::string message);
  void write(bool keep_alive);
  void on_written(boost::system::error_code ec, bool keep_alive);
  void linger();
  void drain();
  void close();
  void log_access();

  // The one deadline of the connection: idle wait, request read, response write, lingering
  // close. Arming and disarming only move deadline_; the timer is restarted only when the
  // new deadline is earlier than the pending wait. A wait that ends before the deadline
  // waits again. Cancelling a wait completes its handler, so cancelling at every phase
  // change (three times a request) cost three extra completions through the scheduler.
  void arm(std::chrono::milliseconds d);
  void disarm() { deadline_ = Clock::time_point::max(); }
  void start_timer(std::chrono::steady_clock::time_point at);

  HttpServer::Core& core_;
  boost::asio::ip::tcp::socket socket_;
  using Clock = std::chrono::steady_clock;
  boost::asio::steady_timer timer_;
  Clock::time_point deadline_ = Clock::time_point::max();  // max: nothing is timed
  Clock::time_point timer_expiry_;                         // of the pending wait, if any
  bool timer_pending_ = false;
  uint64_t timer_generation_ = 0;  // makes a superseded wait's completion harmless
  bool timed_out_ = false;
  bool closing_ = false;
  Phase phase_ = Phase::Idle;

  boost::beast::flat_buffer buffer_;
  std::optional<boost::beast::http::request_parser<boost::beast::http::string_body>> parser_;
  std::optional<http_detail::WireResponse> response_;
  std::array<char, 4096> drain_buffer_{};
  size_t drained_ = 0;

  std::string remote_ip_;
  uint16_t remote_port_ = 0;
  uint16_t local_port_ = 0;

  // For the access log line of the request in progress.
  std::chrono::steady_clock::time_point started_;
  std::string method_, path_, component_, error_;
  std::chrono::nanoseconds instance_time_{0};
  unsigned status_ = 0;
  size_t bytes_ = 0;
};

}  // namespace isola::host
