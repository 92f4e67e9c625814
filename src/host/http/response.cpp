#include "host/http/response.hpp"

#include <chrono>
#include <ctime>

#include <boost/beast/http/field.hpp>

namespace isola::host::http_detail {

namespace http = boost::beast::http;

namespace {

bool token_char(unsigned char c) {
  if (c >= '0' && c <= '9') return true;
  if ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') return true;
  switch (c) {
    case '!': case '#': case '$': case '%': case '&': case '\'': case '*': case '+':
    case '-': case '.': case '^': case '_': case '`': case '|': case '~':
      return true;
    default:
      return false;
  }
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    unsigned char x = static_cast<unsigned char>(a[i]), y = static_cast<unsigned char>(b[i]);
    if (x >= 'A' && x <= 'Z') x = static_cast<unsigned char>(x + 32);
    if (y >= 'A' && y <= 'Z') y = static_cast<unsigned char>(y + 32);
    if (x != y) return false;
  }
  return true;
}

// Headers that frame the message: the server sets them from what it actually sends.
bool framing_header(std::string_view name) {
  return iequals(name, "Content-Length") || iequals(name, "Transfer-Encoding") || iequals(name, "Connection") ||
         iequals(name, "Keep-Alive") || iequals(name, "Upgrade") || iequals(name, "Date");
}

void finish(WireResponse& res, size_t body_size, bool head_request, bool keep_alive) {
  unsigned status = res.result_int();
  bool bodyless = status == 204 || status == 304;
  if (bodyless) {
    res.body().clear();
  } else {
    res.content_length(body_size);
    if (head_request) res.body().clear();
  }
  res.set(http::field::date, http_date_now());
  if (res.find(http::field::server) == res.end()) res.set(http::field::server, "isola");
  res.keep_alive(keep_alive);
}

}  // namespace

bool valid_header(std::string_view name, std::string_view value) {
  if (name.empty()) return false;
  for (char c : name)
    if (!token_char(static_cast<unsigned char>(c))) return false;
  for (char c : value)
    if (c == '\r' || c == '\n' || c == '\0') return false;
  return true;
}

std::string http_date_now() {
  // Formatting costs a gmtime_r and a strftime; once a second per thread is enough.
  thread_local std::time_t cached_second = 0;
  thread_local char cached[40] = {};
  std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  if (now != cached_second) {
    std::tm tm{};
    gmtime_r(&now, &tm);
    std::strftime(cached, sizeof cached, "%a, %d %b %Y %H:%M:%S GMT", &tm);
    cached_second = now;
  }
  return cached;
}

WireResponse to_wire(HttpResponse&& response, unsigned version, bool head_request, bool keep_alive) {
  // A handler cannot send an interim (1xx) answer, and a status must have three digits.
  if (response.status < 200 || response.status > 999)
    return server_error(500, "the handler answered with an invalid status " + std::to_string(response.status),
                        version, keep_alive);
  WireResponse res;
  res.version(version);
  res.result(response.status);
  for (auto& [name, value] : response.headers) {
    if (framing_header(name) || !valid_header(name, value)) continue;
    res.insert(name, value);
  }
  size_t size = response.body.size();
  res.body() = std::move(response.body);
  finish(res, size, head_request, keep_alive);
  return res;
}

WireResponse server_error(unsigned status, std::string_view message, unsigned version, bool keep_alive) {
  WireResponse res;
  res.version(version);
  res.result(status);
  res.set(http::field::content_type, "text/plain; charset=utf-8");
  std::string body(message);
  body.push_back('\n');
  size_t size = body.size();
  res.body() = std::move(body);
  finish(res, size, false, keep_alive);
  return res;
}

}  // namespace isola::host::http_detail
