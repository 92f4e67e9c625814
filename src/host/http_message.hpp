// An HTTP request and response as the host's parts exchange them: the ingress (http/)
// produces HttpRequest and sends HttpResponse; the guest ABIs (abi/) turn them into WAGI
// CGI or waPC HandleRequest calls and back. Plain data, no library types, so neither side
// depends on the other or on Boost.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace isola::host {

using HttpHeaders = std::vector<std::pair<std::string, std::string>>;  // in arrival order

struct HttpRequest {
  std::string method;  // "GET"
  std::string target;  // as sent: "/api/items?id=3"
  std::string path;    // target before '?', still percent-encoded: "/api/items"
  std::string query;   // after '?', without it: "id=3"
  HttpHeaders headers;  // names as sent; look them up case-insensitively
  std::string body;
  std::string remote_addr;  // "127.0.0.1" or "::1"
  uint16_t remote_port = 0;
  std::string server_name;  // from the Host header, else the listen address
  uint16_t server_port = 0;

  // The first header named `name` (ASCII case-insensitive), or nullptr.
  const std::string* header(std::string_view name) const {
    for (const auto& [k, v] : headers) {
      if (k.size() != name.size()) continue;
      bool same = true;
      for (size_t i = 0; i < k.size() && same; ++i) {
        char a = k[i], b = name[i];
        if (a >= 'A' && a <= 'Z') a = static_cast<char>(a - 'A' + 'a');
        if (b >= 'A' && b <= 'Z') b = static_cast<char>(b - 'A' + 'a');
        same = a == b;
      }
      if (same) return &v;
    }
    return nullptr;
  }
};

struct HttpResponse {
  unsigned status = 200;
  HttpHeaders headers;  // Content-Length and Connection are the ingress's business
  std::string body;

  // For the access log: which component answered and how long its instance ran
  // (instantiation + guest code + host calls). Empty / zero if no guest ran.
  std::string component;
  std::chrono::nanoseconds instance_time{0};

  static HttpResponse text(unsigned status, std::string body) {
    HttpResponse r;
    r.status = status;
    r.headers.emplace_back("Content-Type", "text/plain; charset=utf-8");
    r.body = std::move(body);
    if (r.body.empty() || r.body.back() != '\n') r.body.push_back('\n');
    return r;
  }
};

}  // namespace isola::host
