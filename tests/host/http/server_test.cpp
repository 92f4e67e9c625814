// The ingress against real loopback sockets. The client side is raw POSIX sockets so the
// tests control every byte (pipelining, partial requests, oversize headers). Every read has
// a receive timeout, so a broken server fails a test instead of hanging it.
#include "host/http/server.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <csignal>
#include <mutex>
#include <thread>

#include <gtest/gtest.h>

#include "host/http/signals.hpp"

namespace isola::host {
namespace {

using namespace std::chrono_literals;

class Client {
 public:
  explicit Client(uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    timeval tv{10, 0};  // a safety net, not an assertion
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  }
  ~Client() {
    if (fd_ >= 0) ::close(fd_);
  }
  bool connected() const { return connected_; }
  void close() {
    ::close(fd_);
    fd_ = -1;
  }

  bool send(std::string_view data) {
    while (!data.empty()) {
      ssize_t n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
      if (n <= 0) return false;
      data.remove_prefix(static_cast<size_t>(n));
    }
    return true;
  }

  struct Response {
    std::string status_line, head, body;
    int status = 0;
    std::string header(std::string_view name) const {
      std::string lower_head = lower(head), key = "\r\n" + lower(std::string(name)) + ":";
      size_t at = lower_head.find(key);
      if (at == std::string::npos) return {};
      size_t start = at + key.size(), end = head.find("\r\n", start);
      std::string v = head.substr(start, end - start);
      while (!v.empty() && v.front() == ' ') v.erase(0, 1);
      return v;
    }
    static std::string lower(std::string s) {
      for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      return s;
    }
  };

  // Reads one response (Content-Length framing); status 0 if the connection ended first.
  // For a HEAD request pass head=true: no body follows whatever Content-Length says.
  Response read_response(bool head = false) {
    Response r;
    size_t end;
    while ((end = buf_.find("\r\n\r\n")) == std::string::npos)
      if (!fill()) return r;
    r.head = buf_.substr(0, end + 2);
    buf_.erase(0, end + 4);
    r.status_line = r.head.substr(0, r.head.find("\r\n"));
    if (r.status_line.size() >= 12) r.status = std::stoi(r.status_line.substr(9, 3));
    size_t length = head ? 0 : std::stoul("0" + r.header("Content-Length"));
    while (buf_.size() < length)
      if (!fill()) return Response{};
    r.body = buf_.substr(0, length);
    buf_.erase(0, length);
    return r;
  }

  // True if the server closed the connection (orderly or by reset) before sending more.
  bool closed_by_server() {
    if (!buf_.empty()) return false;
    char c;
    ssize_t n = ::recv(fd_, &c, 1, 0);
    return n == 0 || (n < 0 && errno == ECONNRESET);
  }

 private:
  bool fill() {
    char tmp[8192];
    ssize_t n = ::recv(fd_, tmp, sizeof tmp, 0);
    if (n <= 0) return false;
    buf_.append(tmp, static_cast<size_t>(n));
    return true;
  }
  int fd_ = -1;
  bool connected_ = false;
  std::string buf_;
};

// Keeps every record the server logs, for inspection after shutdown() has joined.
class CaptureLog : public LogSink {
 public:
  void write(LogLevel, const nlohmann::json& record) override {
    std::lock_guard lock(mu);
    lines.push_back(record.dump());
  }
  bool enabled(LogLevel) const override { return true; }
  std::mutex mu;
  std::vector<std::string> lines;
};

HttpServerConfig test_config() {
  HttpServerConfig c;
  c.listen = "127.0.0.1:0";
  c.threads = 4;
  c.request_timeout = 5s;
  c.idle_timeout = 5s;
  return c;
}

// Answers "METHOD PATH?QUERY body" so tests see what the server parsed.
HttpResponse echo(const HttpRequest& r) {
  auto res = HttpResponse::text(200, r.method + " " + r.path + (r.query.empty() ? "" : "?" + r.query) +
                                         (r.body.empty() ? "" : " " + r.body));
  res.component = "echo";
  res.instance_time = 1500us;
  return res;
}

std::unique_ptr<HttpServer> start(HttpServerConfig config, HttpHandler handler, LogSink* log = nullptr) {
  auto s = HttpServer::start(std::move(config), std::move(handler), log);
  EXPECT_TRUE(s) << s.error().message;
  return s ? std::move(*s) : nullptr;
}

std::string get(std::string_view path, std::string_view extra = "") {
  return "GET " + std::string(path) + " HTTP/1.1\r\nHost: test\r\n" + std::string(extra) + "\r\n";
}

TEST(HttpServer, BindsLoopbackWithPickedPort) {
  auto server = start(test_config(), echo);
  ASSERT_TRUE(server);
  EXPECT_NE(server->local_port(), 0);
  EXPECT_EQ(server->local_address(), "127.0.0.1:" + std::to_string(server->local_port()));
}

TEST(HttpServer, RefusesBadListenAddressAndBusyPort) {
  auto bad = HttpServer::start({.listen = "nowhere"}, echo, nullptr);
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("nowhere"), std::string::npos);
  auto first = start(test_config(), echo);
  ASSERT_TRUE(first);
  auto second = HttpServer::start({.listen = first->local_address()}, echo, nullptr);
  ASSERT_FALSE(second);
  EXPECT_NE(second.error().message.find("cannot listen on " + first->local_address()), std::string::npos)
      << second.error().message;
}

TEST(HttpServer, KeepAliveServesSeveralRequestsOnOneConnection) {
  std::mutex mu;
  std::set<uint16_t> ports;
  auto server = start(test_config(), [&](const HttpRequest& r) {
    std::lock_guard lock(mu);
    ports.insert(r.remote_port);
    return echo(r);
  });
  Client c(server->local_port());
  ASSERT_TRUE(c.connected());
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(c.send(get("/n/" + std::to_string(i) + "?x=1")));
    auto r = c.read_response();
    ASSERT_EQ(r.status, 200) << r.status_line;
    EXPECT_EQ(r.body, "GET /n/" + std::to_string(i) + "?x=1\n");
    EXPECT_EQ(r.header("Server"), "isola");
    EXPECT_NE(r.header("Date").find(" GMT"), std::string::npos);
    EXPECT_EQ(r.header("Content-Type"), "text/plain; charset=utf-8");
  }
  EXPECT_EQ(ports.size(), 1u);
}

TEST(HttpServer, PipelinedRequestsAreAnsweredInOrder) {
  auto server = start(test_config(), [](const HttpRequest& r) {
    // The first request is the slowest: answers must still come in request order.
    if (r.path == "/0") std::this_thread::sleep_for(50ms);
    return echo(r);
  });
  Client c(server->local_port());
  std::string batch;
  for (int i = 0; i < 6; ++i) batch += get(std::string("/").append(std::to_string(i)));  // not "/" + ...: GCC 12 -Wrestrict
  batch += "POST /body HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\nhello";
  batch += get("/last", "Connection: close\r\n");
  ASSERT_TRUE(c.send(batch));
  for (int i = 0; i < 6; ++i) {
    auto r = c.read_response();
    ASSERT_EQ(r.status, 200);
    EXPECT_EQ(r.body, "GET /" + std::to_string(i) + "\n");
  }
  EXPECT_EQ(c.read_response().body, "POST /body hello\n");
  auto last = c.read_response();
  EXPECT_EQ(last.body, "GET /last\n");
  EXPECT_EQ(Client::Response::lower(last.header("Connection")), "close");
  EXPECT_TRUE(c.closed_by_server());
}

TEST(HttpServer, ServesConcurrentClients) {
  std::atomic<int> served{0};
  auto server = start(test_config(), [&](const HttpRequest& r) {
    ++served;
    return echo(r);
  });
  constexpr int kClients = 8, kRequests = 25;
  std::atomic<int> ok{0};
  std::vector<std::thread> clients;
  for (int t = 0; t < kClients; ++t)
    clients.emplace_back([&, t] {
      Client c(server->local_port());
      for (int i = 0; i < kRequests; ++i) {
        std::string path = "/c" + std::to_string(t) + "/" + std::to_string(i);
        if (!c.send(get(path))) return;
        if (c.read_response().body == "GET " + path + "\n") ++ok;
      }
    });
  for (auto& t : clients) t.join();
  EXPECT_EQ(ok, kClients * kRequests);
  EXPECT_EQ(served, kClients * kRequests);
}

TEST(HttpServer, OversizeHeaderIs431) {
  auto config = test_config();
  config.max_header_bytes = 1024;
  auto server = start(config, echo);
  Client c(server->local_port());
  ASSERT_TRUE(c.send(get("/", "X-Big: " + std::string(4000, 'a') + "\r\n")));
  auto r = c.read_response();
  EXPECT_EQ(r.status, 431) << r.status_line;
  EXPECT_NE(r.body.find("too large"), std::string::npos);
  EXPECT_EQ(r.header("Content-Type"), "text/plain; charset=utf-8");
  EXPECT_TRUE(c.closed_by_server());
}

TEST(HttpServer, OversizeBodyIs413BeforeItIsRead) {
  auto config = test_config();
  config.max_body_bytes = 1000;
  std::atomic<int> handled{0};
  auto server = start(config, [&](const HttpRequest& r) {
    ++handled;
    return echo(r);
  });
  {
    Client c(server->local_port());
    ASSERT_TRUE(c.send("POST /up HTTP/1.1\r\nHost: t\r\nContent-Length: 100000000\r\n\r\n" + std::string(2000, 'x')));
    auto r = c.read_response();
    EXPECT_EQ(r.status, 413) << r.status_line;
    EXPECT_NE(r.body.find("limit 1000 bytes"), std::string::npos) << r.body;
  }
  {
    // Chunked: the limit applies to the decoded body as it arrives.
    Client c(server->local_port());
    std::string chunk(600, 'y');
    ASSERT_TRUE(c.send("POST /up HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n258\r\n" + chunk +
                       "\r\n258\r\n" + chunk + "\r\n0\r\n\r\n"));
    EXPECT_EQ(c.read_response().status, 413);
  }
  {
    // Exactly at the limit is fine.
    Client c(server->local_port());
    ASSERT_TRUE(c.send("POST /up HTTP/1.1\r\nHost: t\r\nContent-Length: 1000\r\n\r\n" + std::string(1000, 'z')));
    EXPECT_EQ(c.read_response().status, 200);
  }
  EXPECT_EQ(handled, 1);
}

TEST(HttpServer, MalformedRequestsAre400AndUnsupportedOnesSayWhy) {
  auto server = start(test_config(), echo);
  struct Case {
    std::string request;
    int status;
  };
  for (const auto& [request, status] : std::vector<Case>{
           {"GARBAGE\r\n\r\n", 400},
           {"GET / HTTP/1.1\r\nBad Header\r\n\r\n", 400},
           {"GET / HTTP/1.1\r\nContent-Length: 12x\r\n\r\n", 400},
           {"GET / HTTP/2.0\r\nHost: t\r\n\r\n", 505},
           {"BREW /pot HTTP/1.1\r\nHost: t\r\n\r\n", 501},
           {"GET http://example.com/ HTTP/1.1\r\nHost: t\r\n\r\n", 400},
       }) {
    Client c(server->local_port());
    ASSERT_TRUE(c.send(request));
    auto r = c.read_response();
    EXPECT_EQ(r.status, status) << request << " -> " << r.status_line;
    EXPECT_FALSE(r.body.empty());
    EXPECT_TRUE(c.closed_by_server()) << request;
  }
}

TEST(HttpServer, SlowClientIsCutWith408) {
  auto config = test_config();
  config.request_timeout = 200ms;
  auto server = start(config, echo);
  Client c(server->local_port());
  ASSERT_TRUE(c.send("GET /slow HTTP/1.1\r\nHo"));  // ... and never the rest
  auto r = c.read_response();
  EXPECT_EQ(r.status, 408) << r.status_line;
  EXPECT_TRUE(c.closed_by_server());
}

TEST(HttpServer, IdleKeepAliveConnectionIsClosed) {
  auto config = test_config();
  config.idle_timeout = 100ms;
  auto server = start(config, echo);
  Client c(server->local_port());
  ASSERT_TRUE(c.send(get("/")));
  EXPECT_EQ(c.read_response().status, 200);
  EXPECT_TRUE(c.closed_by_server());  // no answer, just the close
}

TEST(HttpServer, HandlerExceptionIs500AndTheServerGoesOn) {
  auto server = start(test_config(), [](const HttpRequest& r) -> HttpResponse {
    if (r.path == "/throw") throw std::runtime_error("boom");
    return echo(r);
  });
  Client c(server->local_port());
  ASSERT_TRUE(c.send(get("/throw")));
  auto r = c.read_response();
  EXPECT_EQ(r.status, 500);
  EXPECT_EQ(r.body.find("boom"), std::string::npos);  // internals stay in the log
  ASSERT_TRUE(c.send(get("/fine")));
  EXPECT_EQ(c.read_response().body, "GET /fine\n");
}

TEST(HttpServer, HandlerHeadersAreFilteredAndHeadHasNoBody) {
  auto server = start(test_config(), [](const HttpRequest& r) {
    HttpResponse res;
    res.status = r.path == "/empty" ? 204 : 201;
    res.headers = {{"X-Ok", "yes"}, {"X-Split", "a\r\nSet-Cookie: evil=1"}, {"Content-Length", "999"},
                   {"Bad Name", "v"}};
    res.body = "twelve bytes";
    return res;
  });
  Client c(server->local_port());
  ASSERT_TRUE(c.send(get("/")));
  auto r = c.read_response();
  EXPECT_EQ(r.status, 201);
  EXPECT_EQ(r.header("X-Ok"), "yes");
  EXPECT_EQ(r.header("X-Split"), "");
  EXPECT_EQ(r.header("Set-Cookie"), "");
  EXPECT_EQ(r.header("Content-Length"), "12");
  EXPECT_EQ(r.body, "twelve bytes");
  ASSERT_TRUE(c.send("HEAD / HTTP/1.1\r\nHost: t\r\n\r\n"));
  auto h = c.read_response(/*head=*/true);
  EXPECT_EQ(h.status, 201);
  EXPECT_EQ(h.header("Content-Length"), "12");
  ASSERT_TRUE(c.send(get("/empty")));
  auto e = c.read_response();
  EXPECT_EQ(e.status, 204);
  EXPECT_EQ(e.header("Content-Length"), "");
  // The connection is still in sync: nothing of the HEAD or 204 bodies leaked into it.
  ASSERT_TRUE(c.send(get("/")));
  EXPECT_EQ(c.read_response().body, "twelve bytes");
}

TEST(HttpServer, ExpectContinueGetsInterimAnswer) {
  auto server = start(test_config(), echo);
  Client c(server->local_port());
  ASSERT_TRUE(c.send("PUT /x HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\nExpect: 100-continue\r\n\r\n"));
  auto interim = c.read_response(/*head=*/true);
  EXPECT_EQ(interim.status, 100);
  ASSERT_TRUE(c.send("abc"));
  EXPECT_EQ(c.read_response().body, "PUT /x abc\n");
}

TEST(HttpServer, TooManyConnectionsIs503) {
  auto config = test_config();
  config.max_connections = 1;
  auto server = start(config, echo);
  Client first(server->local_port());
  ASSERT_TRUE(first.send(get("/")));
  ASSERT_EQ(first.read_response().status, 200);  // registered for sure
  Client second(server->local_port());
  auto r = second.read_response();
  EXPECT_EQ(r.status, 503) << r.status_line;
  EXPECT_EQ(r.header("Retry-After"), "1");
  EXPECT_TRUE(second.closed_by_server());
  ASSERT_TRUE(first.send(get("/again")));
  EXPECT_EQ(first.read_response().status, 200);
}

TEST(HttpServer, GracefulShutdownFinishesTheRequestInFlight) {
  std::atomic<bool> entered{false};
  auto server = start(test_config(), [&](const HttpRequest& r) {
    if (r.path == "/slow") {
      entered = true;
      std::this_thread::sleep_for(300ms);  // still running when shutdown starts
    }
    return echo(r);
  });
  Client idle(server->local_port());
  ASSERT_TRUE(idle.send(get("/warm")));
  ASSERT_EQ(idle.read_response().status, 200);  // now waiting, idle, on a kept-alive connection
  Client busy(server->local_port());
  ASSERT_TRUE(busy.send(get("/slow")));
  while (!entered) std::this_thread::sleep_for(1ms);
  uint16_t port = server->local_port();
  std::thread stopper([&] { server->shutdown(10s); });
  auto r = busy.read_response();
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "GET /slow\n");
  EXPECT_EQ(Client::Response::lower(r.header("Connection")), "close");
  EXPECT_TRUE(busy.closed_by_server());
  EXPECT_TRUE(idle.closed_by_server());
  busy.close();  // ends the server's lingering close
  idle.close();
  stopper.join();
  Client late(port);
  EXPECT_FALSE(late.connected());
}

// A handler that blocks until the test releases it, or 20 s pass: longer than the client's
// 10 s receive timeout, so a server that waits for it fails the test instead of hanging.
// Counts the handlers inside.
struct Gate {
  std::mutex mu;
  std::condition_variable cv;
  int inside = 0;
  bool released = false;
  HttpResponse hold(const HttpRequest& r) {
    std::unique_lock lock(mu);
    ++inside;
    cv.notify_all();
    cv.wait_for(lock, 20s, [&] { return released; });
    --inside;
    return echo(r);
  }
  bool wait_inside(int n) {
    std::unique_lock lock(mu);
    return cv.wait_for(lock, 10s, [&] { return inside >= n; });
  }
  int now_inside() {
    std::lock_guard lock(mu);
    return inside;
  }
  void release() {
    std::lock_guard lock(mu);
    released = true;
    cv.notify_all();
  }
};

// Each thread runs its own event loop. A handler that runs long (a slow guest) must not
// hold up the other connections of its loop: a helper thread takes the loop over.
TEST(HttpServer, LongHandlerDoesNotHoldUpOtherConnectionsOnItsThread) {
  Gate gate;
  auto config = test_config();
  config.threads = 1;
  auto server = start(config, [&](const HttpRequest& r) { return r.path == "/hold" ? gate.hold(r) : echo(r); });
  Client held(server->local_port());
  ASSERT_TRUE(held.send(get("/hold")));
  ASSERT_TRUE(gate.wait_inside(1));
  Client other(server->local_port());
  ASSERT_TRUE(other.send(get("/fast")));
  auto r = other.read_response();
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "GET /fast\n");
  EXPECT_EQ(gate.now_inside(), 1) << "answered only after the long handler ended";
  gate.release();
  EXPECT_EQ(held.read_response().status, 200);
  // The loop's own thread is free again and serves on.
  ASSERT_TRUE(other.send(get("/again")));
  EXPECT_EQ(other.read_response().body, "GET /again\n");
}

// Helpers can get stuck too; each stuck one gets another.
TEST(HttpServer, SeveralLongHandlersOnOneThreadEachGetAHelper) {
  Gate gate;
  auto config = test_config();
  config.threads = 1;
  auto server = start(config, [&](const HttpRequest& r) { return r.path == "/hold" ? gate.hold(r) : echo(r); });
  std::vector<std::unique_ptr<Client>> held;
  for (int i = 1; i <= 4; ++i) {
    held.push_back(std::make_unique<Client>(server->local_port()));
    ASSERT_TRUE(held.back()->send(get("/hold")));
    ASSERT_TRUE(gate.wait_inside(i)) << "hold request " << i << " never started";
  }
  Client other(server->local_port());
  ASSERT_TRUE(other.send(get("/fast")));
  EXPECT_EQ(other.read_response().status, 200);
  EXPECT_EQ(gate.now_inside(), 4);
  gate.release();
  for (auto& c : held) EXPECT_EQ(c->read_response().status, 200);
}

TEST(HttpServer, AccessLogHasOneJsonLinePerRequest) {
  CaptureLog log;
  auto config = test_config();
  config.max_header_bytes = 512;
  auto server = start(config, echo, &log);
  {
    Client c(server->local_port());
    ASSERT_TRUE(c.send(get("/logged?q=1")));
    ASSERT_EQ(c.read_response().status, 200);
    ASSERT_TRUE(c.send(get("/", "X-Big: " + std::string(1000, 'a') + "\r\n")));
    ASSERT_EQ(c.read_response().status, 431);
  }
  server->shutdown(1s);
  ASSERT_EQ(log.lines.size(), 2u);
  auto ok = nlohmann::json::parse(log.lines[0]);
  EXPECT_EQ(ok["method"], "GET");
  EXPECT_EQ(ok["path"], "/logged");
  EXPECT_EQ(ok["status"], 200);
  EXPECT_EQ(ok["bytes"], std::string("GET /logged?q=1\n").size());
  EXPECT_EQ(ok["component"], "echo");
  EXPECT_DOUBLE_EQ(ok["instance_ms"].get<double>(), 1.5);
  EXPECT_GE(ok["duration_ms"].get<double>(), 0.0);
  EXPECT_EQ(ok["remote"], "127.0.0.1");
  auto big = nlohmann::json::parse(log.lines[1]);
  EXPECT_EQ(big["status"], 431);
  EXPECT_EQ(big["component"], "");
  EXPECT_TRUE(big.contains("error"));
}

TEST(HttpServer, JsonLinesLogWritesParsableLines) {
  std::FILE* f = std::tmpfile();
  ASSERT_TRUE(f);
  JsonLinesLog log(f);
  {
    auto server = start(test_config(), echo, &log);
    {
      Client c(server->local_port());
      ASSERT_TRUE(c.send(get("/x", "Connection: close\r\n")));
      ASSERT_EQ(c.read_response().status, 200);
    }
    server->shutdown(1s);
  }
  std::rewind(f);
  char line[4096];
  ASSERT_TRUE(std::fgets(line, sizeof line, f));
  auto j = nlohmann::json::parse(line);
  for (const char* key : {"time", "level", "method", "path", "status", "bytes", "duration_ms", "component",
                          "instance_ms", "remote"})
    EXPECT_TRUE(j.contains(key)) << key;
  std::fclose(f);
}

// Threads that log at once: every line arrives exactly once, whole, and each thread's lines
// in the order it wrote them (one thread writes while the others append to its batch).
// With a flush interval most lines wait in the buffer, and the flusher, the warnings that
// write at once (every 500th line) and the destructor all take turns writing.
void check_concurrent_lines(std::chrono::milliseconds flush_every) {
  std::FILE* f = std::tmpfile();
  ASSERT_TRUE(f);
  constexpr int kThreads = 8, kLines = 2000;
  {
    JsonLinesLog log(f, LogLevel::Info, flush_every);
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t)
      threads.emplace_back([&log, t] {
        for (int i = 0; i < kLines; ++i) {
          JsonFields fields;
          fields.num("thread", static_cast<uint64_t>(t)).num("seq", static_cast<uint64_t>(i));
          fields.str("pad", std::string(static_cast<size_t>(i % 97) * 7, 'x'));
          log.write_fields(i % 500 == 7 ? LogLevel::Warn : LogLevel::Info, fields);
        }
      });
    for (auto& th : threads) th.join();
  }  // the destructor writes what is left
  std::rewind(f);
  std::vector<int> next(kThreads, 0);
  char line[4096];
  int total = 0;
  while (std::fgets(line, sizeof line, f)) {
    auto j = nlohmann::json::parse(line);  // throws on a torn or interleaved line
    int t = j["thread"].get<int>();
    ASSERT_GE(t, 0);
    ASSERT_LT(t, kThreads);
    ASSERT_EQ(j["seq"].get<int>(), next[t]) << "thread " << t;
    ASSERT_EQ(j["pad"].get<std::string>().size(), static_cast<size_t>(next[t] % 97) * 7);
    ++next[t];
    ++total;
  }
  EXPECT_EQ(total, kThreads * kLines);
  std::fclose(f);
}

TEST(HttpServer, JsonLinesLogKeepsEveryLineWholeUnderConcurrentWriters) {
  check_concurrent_lines(std::chrono::milliseconds(0));
}

TEST(HttpServer, BufferedJsonLinesLogKeepsEveryLineWholeAndInOrder) {
  check_concurrent_lines(std::chrono::milliseconds(1));
}

// What is written when, with an interval no test waits for: info lines stay buffered until
// a warning, flush() or the destructor writes them, in the order they came.
TEST(HttpServer, BufferedJsonLinesLogWritesWarningsAtOnceAndInfoOnFlush) {
  std::FILE* f = std::tmpfile();
  ASSERT_TRUE(f);
  auto lines = [f] {
    std::fflush(f);
    std::vector<std::string> out;
    std::rewind(f);
    char* line = nullptr;
    size_t cap = 0;
    while (getline(&line, &cap, f) > 0) out.push_back(nlohmann::json::parse(line)["n"].get<std::string>());
    std::free(line);
    std::fseek(f, 0, SEEK_END);
    return out;
  };
  auto put = [](JsonLinesLog& log, LogLevel level, const char* n) {
    JsonFields fields;
    fields.str("n", n);
    log.write_fields(level, fields);
  };
  {
    JsonLinesLog log(f, LogLevel::Info, std::chrono::hours(1));
    put(log, LogLevel::Info, "a");
    log.write(LogLevel::Info, {{"n", "b"}});
    EXPECT_EQ(lines(), std::vector<std::string>{});
    put(log, LogLevel::Warn, "c");
    EXPECT_EQ(lines(), (std::vector<std::string>{"a", "b", "c"}));
    put(log, LogLevel::Info, "d");
    EXPECT_EQ(lines().size(), 3u);
    log.flush();
    EXPECT_EQ(lines(), (std::vector<std::string>{"a", "b", "c", "d"}));
    log.write(LogLevel::Error, {{"n", "e"}});
    put(log, LogLevel::Debug, "filtered out");
    put(log, LogLevel::Info, "f");
    // A buffer past kMaxPending is written by the line that fills it.
    std::string big(JsonLinesLog::kMaxPending, 'z');
    put(log, LogLevel::Info, big.c_str());
    auto now = lines();
    ASSERT_EQ(now.size(), 7u);
    EXPECT_EQ(now[5], "f");
    put(log, LogLevel::Info, "g");
  }
  auto all = lines();
  ASSERT_EQ(all.size(), 8u);
  EXPECT_EQ(all[4], "e");
  EXPECT_EQ(all[7], "g");
  std::fclose(f);
}

TEST(HttpServer, JsonFieldsEscapeAndReplaceInvalidUtf8) {
  JsonFields f;
  f.str("plain", "a\"b\\c\n\t\x01\x7f").str("utf8", "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80");
  f.str("overlong", "x\xc0\xafy").str("surrogate", "\xed\xa0\x80").str("too_big", "\xf4\x90\x80\x80");
  f.str("truncated", "\xe2\x82").str("stray", "\x80z").num("n", 18446744073709551615ull);
  f.ms("ms", std::chrono::nanoseconds(12739));
  auto j = nlohmann::json::parse("{" + f.text() + "}");
  const std::string r = "\xef\xbf\xbd";  // U+FFFD
  EXPECT_EQ(j["plain"], "a\"b\\c\n\t\x01\x7f");
  EXPECT_EQ(j["utf8"], "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80");
  EXPECT_EQ(j["overlong"], "x" + r + r + "y");
  EXPECT_EQ(j["surrogate"], r + r + r);
  EXPECT_EQ(j["too_big"], r + r + r + r);
  EXPECT_EQ(j["truncated"], r + r);
  EXPECT_EQ(j["stray"], r + "z");
  EXPECT_EQ(j["n"].get<uint64_t>(), 18446744073709551615ull);
  EXPECT_EQ(j["ms"].get<double>(), 0.012739);
}

TEST(HttpServer, JsonFieldsMillisecondsAreExact) {
  auto text = [](int64_t ns) {
    JsonFields f;
    f.ms("t", std::chrono::nanoseconds(ns));
    return f.text();
  };
  EXPECT_EQ(text(0), "\"t\":0.000000");
  EXPECT_EQ(text(1), "\"t\":0.000001");
  EXPECT_EQ(text(999'999), "\"t\":0.999999");
  EXPECT_EQ(text(1'000'000), "\"t\":1.000000");
  EXPECT_EQ(text(2'532'244'732), "\"t\":2532.244732");
  EXPECT_EQ(text(-1'500'000), "\"t\":-1.500000");
  EXPECT_EQ(text(INT64_MIN), "\"t\":-9223372036854.775807");  // clamped, still valid JSON
  EXPECT_EQ(nlohmann::json::parse("{" + text(INT64_MAX) + "}")["t"].get<double>(), 9223372036854.775807);
}

TEST(HttpServer, AccessLogLinesStayValidJsonForHostilePaths) {
  std::FILE* f = std::tmpfile();
  ASSERT_TRUE(f);
  JsonLinesLog log(f);
  {
    auto server = start(test_config(), echo, &log);
    {
      Client c(server->local_port());
      ASSERT_TRUE(c.send("GET /a\"b\\\xff\xc3\xa9 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
      c.read_response();
    }
    server->shutdown(1s);
  }
  std::rewind(f);
  char line[4096];
  ASSERT_TRUE(std::fgets(line, sizeof line, f));
  auto j = nlohmann::json::parse(line);
  EXPECT_EQ(j["path"], "/a\"b\\\xef\xbf\xbd\xc3\xa9");
  EXPECT_EQ(j["level"], "info");
  EXPECT_EQ(j["log"], "access");
  std::fclose(f);
}

TEST(ShutdownSignals, WaitReturnsTheSignalThatArrived) {
  ShutdownSignals signals;
  std::raise(SIGTERM);  // caught and queued: the process lives on
  EXPECT_EQ(signals.wait(), SIGTERM);
  std::raise(SIGINT);
  EXPECT_EQ(signals.wait(), SIGINT);
}

}  // namespace
}  // namespace isola::host
