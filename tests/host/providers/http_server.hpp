// A tiny HTTP/1.1 server on 127.0.0.1 for the httpclient tests, one connection at a time:
//   /hello     200 "hello" with X-Test: yes
//   /big       200 with a 100000-byte body
//   /slow      sends nothing until the client gives up (at most 10 s)
//   /redirect  302 to the metadata address
//   /echo      200 with "<method> <header X-In> <body>"
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <string>
#include <thread>

namespace isola::host::test {

class HttpServer {
 public:
  HttpServer() {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    ::setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a);
    ::listen(fd_, 16);
    socklen_t len = sizeof a;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    thread_ = std::thread([this] { loop(); });
  }
  ~HttpServer() {
    stop_ = true;
    thread_.join();
    ::close(fd_);
  }
  uint16_t port() const { return port_; }
  int requests() const { return requests_; }

 private:
  void loop() {
    while (!stop_) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) continue;
      int c = ::accept(fd_, nullptr, nullptr);
      if (c < 0) continue;
      serve(c);
      ::close(c);
    }
  }

  static bool wait_readable(int fd, int ms) {
    pollfd p{fd, POLLIN, 0};
    return ::poll(&p, 1, ms) > 0;
  }

  void serve(int c) {
    std::string in;
    char buf[4096];
    size_t end;
    while ((end = in.find("\r\n\r\n")) == std::string::npos) {
      if (!wait_readable(c, 5000)) return;
      ssize_t n = ::read(c, buf, sizeof buf);
      if (n <= 0) return;
      in.append(buf, static_cast<size_t>(n));
    }
    ++requests_;
    std::string head = in.substr(0, end);
    std::string body = in.substr(end + 4);
    size_t want = 0;
    std::string lower = head;
    for (char& ch : lower) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    if (auto cl = lower.find("content-length:"); cl != std::string::npos) want = std::stoul(head.substr(cl + 15));
    while (body.size() < want && wait_readable(c, 5000)) {
      ssize_t n = ::read(c, buf, sizeof buf);
      if (n <= 0) break;
      body.append(buf, static_cast<size_t>(n));
    }
    std::string method = head.substr(0, head.find(' '));
    std::string path = head.substr(head.find(' ') + 1);
    path = path.substr(0, path.find(' '));
    std::string xin;
    if (auto h = lower.find("\r\nx-in:"); h != std::string::npos) {
      auto e = head.find("\r\n", h + 2);
      xin = head.substr(h + 8, e == std::string::npos ? std::string::npos : e - h - 8);
    }
    auto send = [&](const std::string& status, const std::string& extra, const std::string& b) {
      std::string out = "HTTP/1.1 " + status + "\r\nContent-Length: " + std::to_string(b.size()) +
                        "\r\nConnection: close\r\n" + extra + "\r\n" + b;
      size_t off = 0;
      while (off < out.size()) {
        ssize_t n = ::write(c, out.data() + off, out.size() - off);
        if (n <= 0) return;
        off += static_cast<size_t>(n);
      }
    };
    if (path == "/hello" || path.rfind("/hello?", 0) == 0) {
      send("200 OK", "X-Test: yes\r\nX-Multi: 1\r\nX-Multi: 2\r\n", "hello " + path);
    } else if (path == "/big") {
      send("200 OK", "", std::string(100000, 'b'));
    } else if (path == "/slow") {
      wait_readable(c, 10000);  // returns when the client closes
    } else if (path == "/redirect") {
      send("302 Found", "Location: http://169.254.169.254/latest/meta-data/\r\n", "");
    } else if (path == "/echo") {
      send("200 OK", "", method + " " + xin + " " + body);
    } else {
      send("404 Not Found", "", "no");
    }
  }

  int fd_ = -1;
  uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> requests_{0};
  std::thread thread_;
};

}  // namespace isola::host::test
