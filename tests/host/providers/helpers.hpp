// Shared by the provider tests: temp directories, a real redis-server on a free loopback
// port, and shorthand for calling a provider with msgpack built by mp::Writer.
#pragma once

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "host/codec/mp.hpp"
#include "host/providers/provider.hpp"

namespace isola::host::test {

namespace mp = isola::host::mp;

struct TempDir {
  std::filesystem::path path;
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "isola-providers-XXXXXX").string();
    char* p = mkdtemp(tmpl.data());
    if (!p) throw std::runtime_error("mkdtemp failed");
    path = p;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
};

inline uint16_t free_port() {
  int s = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  ::getsockname(s, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(s);
  return ntohs(a.sin_port);
}

inline bool can_connect(uint16_t port) {
  int s = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bool ok = ::connect(s, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  ::close(s);
  return ok;
}

inline std::string find_redis_server() {
  for (const char* p : {"/usr/bin/redis-server", "/usr/local/bin/redis-server"})
    if (::access(p, X_OK) == 0) return p;
  return "";
}

// A private redis-server: 127.0.0.1 only, no persistence, its own directory.
class RedisServer {
 public:
  bool start() {
    std::string bin = find_redis_server();
    if (bin.empty()) return false;
    port_ = free_port();
    std::string port = std::to_string(port_), dir = dir_.path.string();
    pid_ = ::fork();
    if (pid_ == 0) {
      int devnull = ::open("/dev/null", O_WRONLY);
      ::dup2(devnull, 1);
      ::execl(bin.c_str(), bin.c_str(), "--port", port.c_str(), "--bind", "127.0.0.1", "--save", "",
              "--appendonly", "no", "--dir", dir.c_str(), static_cast<char*>(nullptr));
      ::_exit(127);
    }
    for (int i = 0; i < 500 && !can_connect(port_); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    return can_connect(port_);
  }
  void stop() {
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      ::waitpid(pid_, nullptr, 0);
      pid_ = -1;
    }
  }
  ~RedisServer() { stop(); }
  uint16_t port() const { return port_; }
  std::string url() const { return "redis://127.0.0.1:" + std::to_string(port_); }

 private:
  TempDir dir_;
  pid_t pid_ = -1;
  uint16_t port_ = 0;
};

inline CapabilityResult call(Provider& p, std::string_view op, const std::vector<uint8_t>& payload,
                             std::string_view component = "comp-a") {
  Caller caller{component, ""};
  return p.call(caller, op, payload);
}

inline mp::Value decoded(const CapabilityResult& r) {
  EXPECT_TRUE(r.ok) << r.error;
  auto v = mp::decode(r.data);
  EXPECT_TRUE(v.ok()) << (v.ok() ? "" : v.error().message);
  return v.ok() ? std::move(*v) : mp::Value();
}

inline std::vector<std::string> strings_of(const mp::Value* v) {
  std::vector<std::string> out;
  if (!v) return out;
  for (size_t i = 0; i < v->size(); ++i) out.emplace_back(v->at(i)->as_str().value_or("?"));
  return out;
}

}  // namespace isola::host::test
