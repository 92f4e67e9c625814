#include "host/http/session.hpp"

#include <algorithm>
#include <exception>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>

namespace isola::host {

namespace net = boost::asio;
namespace http = boost::beast::http;
using boost::system::error_code;
using namespace std::chrono_literals;

namespace {

constexpr size_t kMaxDrainBytes = 1 << 20;  // read and dropped after an error answer, at most

bool supported_method(http::verb v) {
  switch (v) {
    case http::verb::get: case http::verb::head: case http::verb::post: case http::verb::put:
    case http::verb::delete_: case http::verb::patch: case http::verb::options:
      return true;
    default:
      return false;
  }
}

std::string_view sv(boost::beast::string_view s) { return {s.data(), s.size()}; }

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return (x >= 'A' && x <= 'Z' ? x + 32 : x) == (y >= 'A' && y <= 'Z' ? y + 32 : y);
         });
}

// "example.com:8080" -> "example.com", "[::1]:8080" -> "[::1]".
std::string host_without_port(std::string_view host) {
  size_t colon = host.rfind(':');
  if (colon != std::string_view::npos && host.find(']', colon) == std::string_view::npos &&
      (host.front() == '[' || host.find(':') == colon))
    host = host.substr(0, colon);
  return std::string(host);
}

}  // namespace

Session::Session(net::ip::tcp::socket socket, HttpServer::Core& core)
    : core_(core), socket_(std::move(socket)), timer_(socket_.get_executor()) {
  error_code ec;
  auto remote = socket_.remote_endpoint(ec);
  if (!ec) {
    remote_ip_ = remote.address().to_string();
    remote_port_ = remote.port();
  }
  auto local = socket_.local_endpoint(ec);
  if (!ec) local_port_ = local.port();
  socket_.set_option(net::ip::tcp::no_delay(true), ec);
}

Session::~Session() { core_.remove(this); }

void Session::start() {
  net::dispatch(socket_.get_executor(), [self = shared_from_this()] { self->wait_for_request(); });
}

void Session::reject() {
  net::dispatch(socket_.get_executor(), [self = shared_from_this()] {
    self->started_ = std::chrono::steady_clock::now();
    self->response_ = http_detail::server_error(503, "service unavailable: too many connections", 11, false);
    self->response_->set(http::field::retry_after, "1");
    self->status_ = 503;
    self->error_ = "too many connections";
    self->write(false);
  });
}

void Session::stop_if_idle() {
  net::post(socket_.get_executor(), [self = shared_from_this()] {
    self->closing_ = true;
    if (self->phase_ == Phase::Idle) {
      error_code ignored;
      self->socket_.cancel(ignored);
    }
  });
}

void Session::force_close() {
  net::post(socket_.get_executor(), [self = shared_from_this()] {
    self->closing_ = true;
    self->close();
  });
}

void Session::arm(std::chrono::milliseconds d) {
  timed_out_ = false;
  deadline_ = Clock::now() + d;
  if (timer_pending_ && timer_expiry_ <= deadline_) return;  // it wakes first and waits again
  start_timer(deadline_);
}

void Session::start_timer(Clock::time_point at) {
  timer_pending_ = true;
  timer_expiry_ = at;
  uint64_t generation = ++timer_generation_;
  timer_.expires_at(at);  // cancels the pending wait, if any: its completion is superseded
  timer_.async_wait([self = shared_from_this(), generation](error_code ec) {
    if (generation != self->timer_generation_) return;
    self->timer_pending_ = false;
    if (ec || self->phase_ == Phase::Closed || self->deadline_ == Clock::time_point::max()) return;
    if (Clock::now() < self->deadline_) return self->start_timer(self->deadline_);
    self->deadline_ = Clock::time_point::max();
    self->timed_out_ = true;
    error_code ignored;
    self->socket_.cancel(ignored);  // the pending read or write completes with an error
  });
}

void Session::wait_for_request() {
  if (core_.stopping || closing_) return close();
  if (buffer_.size() > 0) return begin_request();  // pipelined: the next request is already here
  // Waiting for the first byte is the keep-alive idle time; from the first byte on, the
  // request timeout runs. A slow client therefore gets request_timeout for the whole request.
  phase_ = Phase::Idle;
  arm(core_.config.idle_timeout);
  socket_.async_read_some(buffer_.prepare(4096), [self = shared_from_this()](error_code ec, size_t n) {
    self->disarm();
    if (ec) return self->close();  // idle timeout, peer closed, or shutdown
    self->buffer_.commit(n);
    self->begin_request();
  });
}

void Session::begin_request() {
  phase_ = Phase::Reading;
  started_ = std::chrono::steady_clock::now();
  method_.clear();
  path_.clear();
  component_.clear();
  error_.clear();
  instance_time_ = {};
  status_ = 0;
  bytes_ = 0;
  parser_.emplace();
  parser_->header_limit(static_cast<uint32_t>(std::min<size_t>(core_.config.max_header_bytes, UINT32_MAX)));
  parser_->body_limit(core_.config.max_body_bytes);
  arm(core_.config.request_timeout);
  http::async_read_header(socket_, buffer_, *parser_,
                          [self = shared_from_this()](error_code ec, size_t) { self->on_header(ec); });
}

void Session::on_header(error_code ec) {
  if (ec) return read_failed(ec);
  auto& req = parser_->get();
  method_ = std::string(req.method_string());
  path_ = std::string(req.target().substr(0, req.target().find('?')));
  if (req.version() != 10 && req.version() != 11)
    return answer_error(505, "HTTP version not supported: this server speaks HTTP/1.0 and HTTP/1.1");
  if (!supported_method(req.method()))
    return answer_error(501, "method '" + method_ + "' not implemented");
  if (req.target().empty() || req.target().front() != '/')
    return answer_error(400, "bad request: the target must be a path starting with '/'");
  if (auto expect = req.find(http::field::expect); expect != req.end()) {
    if (!iequals(sv(expect->value()), "100-continue"))
      return answer_error(417, "expectation failed: only 100-continue is supported");
    if (req.version() == 11 && !parser_->is_done()) {
      static const char kContinue[] = "HTTP/1.1 100 Continue\r\n\r\n";
      net::async_write(socket_, net::buffer(kContinue, sizeof kContinue - 1),
                       [self = shared_from_this()](error_code ec2, size_t) {
                         if (ec2) return self->read_failed(ec2);
                         self->read_body();
                       });
      return;
    }
  }
  read_body();
}

void Session::read_body() {
  if (parser_->is_done()) return handle();
  http::async_read(socket_, buffer_, *parser_, [self = shared_from_this()](error_code ec, size_t) {
    if (ec) return self->read_failed(ec);
    self->handle();
  });
}

void Session::read_failed(error_code ec) {
  disarm();
  if (method_.empty() && parser_) {  // the header may be complete (body limit) or partial
    auto& req = parser_->get();
    method_ = std::string(req.method_string());
    path_ = std::string(req.target().substr(0, req.target().find('?')));
  }
  if (timed_out_) return answer_error(408, "request timeout: the request did not arrive in time");
  if (closing_) return close();
  if (ec == http::error::header_limit || ec == http::error::buffer_overflow)
    return answer_error(431, "request header fields too large (limit " +
                                 std::to_string(core_.config.max_header_bytes) + " bytes)");
  if (ec == http::error::bad_version)  // Beast parses HTTP/1.x only: "HTTP/2.0" lands here
    return answer_error(505, "HTTP version not supported: this server speaks HTTP/1.0 and HTTP/1.1");
  if (ec == http::error::body_limit)
    return answer_error(413, "payload too large (limit " + std::to_string(core_.config.max_body_bytes) + " bytes)");
  // The peer went away (possibly mid-request), or the socket failed: nobody to answer.
  if (ec == http::error::end_of_stream || ec == http::error::partial_message ||
      ec.category() != http::make_error_code(http::error::bad_target).category())
    return close();
  answer_error(400, "bad request: " + ec.message());
}

void Session::handle() {
  disarm();
  phase_ = Phase::Handling;
  auto& req = parser_->get();
  HttpRequest request;
  request.method = method_;
  request.target = std::string(req.target());
  size_t q = request.target.find('?');
  request.path = request.target.substr(0, q);
  if (q != std::string::npos) request.query = request.target.substr(q + 1);
  for (const auto& field : req) request.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
  request.remote_addr = remote_ip_;
  request.remote_port = remote_port_;
  auto host = req.find(http::field::host);
  request.server_name = host != req.end() && !host->value().empty()
                            ? host_without_port(sv(host->value()))
                            : core_.local.address().to_string();
  request.server_port = local_port_;
  request.body = std::move(req.body());
  bool head = req.method() == http::verb::head;
  unsigned version = req.version();
  bool client_keep_alive = req.keep_alive();

  HttpResponse response;
  try {
    EventLoops::LongHandler long_handler;  // other connections of this loop must not wait on it
    response = core_.handler(request);
  } catch (const std::exception& e) {
    error_ = std::string("handler failed: ") + e.what();
    response = HttpResponse::text(500, "internal server error");
  } catch (...) {
    error_ = "handler failed with an unknown exception";
    response = HttpResponse::text(500, "internal server error");
  }
  component_ = response.component;
  instance_time_ = response.instance_time;
  bool keep_alive = client_keep_alive && !core_.stopping && !closing_;
  response_ = http_detail::to_wire(std::move(response), version, head, keep_alive);
  status_ = response_->result_int();
  write(keep_alive);
}

void Session::answer_error(unsigned status, std::string message) {
  unsigned version = parser_ && parser_->get().version() == 10 ? 10 : 11;
  response_ = http_detail::server_error(status, message, version, false);
  status_ = status;
  error_ = std::move(message);
  write(false);
}

void Session::write(bool keep_alive) {
  phase_ = Phase::Writing;
  bytes_ = response_->body().size();
  arm(core_.config.request_timeout);  // a client that does not read its answer is cut too
  http::async_write(socket_, *response_, [self = shared_from_this(), keep_alive](error_code ec, size_t) {
    self->on_written(ec, keep_alive);
  });
}

void Session::on_written(error_code ec, bool keep_alive) {
  disarm();
  log_access();
  response_.reset();
  parser_.reset();
  if (ec) return close();
  if (!keep_alive) return linger();
  wait_for_request();
}

// After an answer that ends the connection, the client may still be sending (the rest of
// an oversized body, pipelined requests). Closing with unread data makes the kernel send a
// reset, which can destroy the answer before the client reads it; so shut down our side,
// read and drop what comes for a bounded time and amount, then close.
void Session::linger() {
  phase_ = Phase::Lingering;
  error_code ignored;
  socket_.shutdown(net::ip::tcp::socket::shutdown_send, ignored);
  drained_ = 0;
  arm(std::min<std::chrono::milliseconds>(core_.config.request_timeout, 2000ms));
  drain();
}

void Session::drain() {
  socket_.async_read_some(net::buffer(drain_buffer_), [self = shared_from_this()](error_code ec, size_t n) {
    self->drained_ += n;
    if (ec || self->drained_ > kMaxDrainBytes) return self->close();
    self->drain();
  });
}

void Session::close() {
  if (phase_ == Phase::Closed) return;
  phase_ = Phase::Closed;
  disarm();
  ++timer_generation_;
  timer_pending_ = false;
  timer_.cancel();  // its completion releases the session now, not when the wait would end
  error_code ignored;
  socket_.shutdown(net::ip::tcp::socket::shutdown_both, ignored);
  socket_.close(ignored);
}

void Session::log_access() {
  if (!core_.access_log || !core_.access_log->enabled(LogLevel::Info)) return;
  JsonFields f;
  f.str("log", "access").str("method", method_).str("path", path_).num("status", status_).num("bytes", bytes_);
  f.ms("duration_ms", std::chrono::steady_clock::now() - started_);
  f.str("component", component_).ms("instance_ms", instance_time_).str("remote", remote_ip_);
  if (!error_.empty()) f.str("error", error_);
  core_.access_log->write_fields(LogLevel::Info, f);
}

}  // namespace isola::host
