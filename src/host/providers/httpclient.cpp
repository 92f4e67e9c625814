#include "host/providers/httpclient.hpp"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <netinet/in.h>

#include <cctype>
#include <charconv>
#include <map>
#include <mutex>

#include "host/codec/mp.hpp"
#include "host/providers/payload.hpp"

namespace isola::host::providers {
namespace {

using Headers = std::vector<std::pair<std::string, std::string>>;

struct Request {
  std::string method, url;
  Headers headers;
  std::vector<uint8_t> body;
};

struct Response {
  long status = 0;
  std::string reason;
  std::map<std::string, std::vector<std::string>> headers;  // lower-case names
  std::string body;
};

// State shared with libcurl's callbacks for one transfer.
struct Transfer {
  bool explicit_host = false;  // the allow-list names this host: any address is fine
  std::string refused;         // why a connection was refused, if one was
  size_t limit = 0;
  size_t received = 0;
  bool too_big = false;
  Response resp;
};

std::string ip_text(const sockaddr* sa) {
  char buf[INET6_ADDRSTRLEN] = "?";
  if (sa->sa_family == AF_INET)
    inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(sa)->sin_addr, buf, sizeof buf);
  else if (sa->sa_family == AF_INET6)
    inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(sa)->sin6_addr, buf, sizeof buf);
  return buf;
}

// Every connection libcurl makes goes through here, with the address it resolved: the one
// place where a DNS answer pointing at a private address is caught.
curl_socket_t open_socket(void* clientp, curlsocktype purpose, curl_sockaddr* addr) {
  auto* t = static_cast<Transfer*>(clientp);
  if (purpose != CURLSOCKTYPE_IPCXN) return CURL_SOCKET_BAD;
  std::string_view kind = special_address_kind(&addr->addr);
  if (!kind.empty() && !t->explicit_host) {
    if (t->refused.empty()) t->refused = ip_text(&addr->addr) + " (" + std::string(kind) + " address)";
    return CURL_SOCKET_BAD;
  }
  return ::socket(addr->family, addr->socktype, addr->protocol);
}

size_t on_body(char* p, size_t size, size_t n, void* userdata) {
  auto* t = static_cast<Transfer*>(userdata);
  size_t len = size * n;
  if (t->received + len > t->limit) {
    t->too_big = true;
    return 0;  // aborts the transfer with CURLE_WRITE_ERROR
  }
  t->received += len;
  t->resp.body.append(p, len);
  return len;
}

size_t on_header(char* p, size_t size, size_t n, void* userdata) {
  auto* t = static_cast<Transfer*>(userdata);
  size_t len = size * n;
  if (t->received + len > t->limit) {
    t->too_big = true;
    return 0;
  }
  t->received += len;
  std::string_view line(p, len);
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.remove_suffix(1);
  if (line.substr(0, 5) == "HTTP/") {  // a status line: a new response (after 1xx) starts
    t->resp.headers.clear();
    t->resp.reason.clear();
    auto sp1 = line.find(' ');
    auto sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
    if (sp2 != std::string_view::npos) t->resp.reason = std::string(line.substr(sp2 + 1));
    return len;
  }
  auto colon = line.find(':');
  if (colon == std::string_view::npos || colon == 0) return len;
  std::string name(line.substr(0, colon));
  for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  std::string_view value = line.substr(colon + 1);
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  t->resp.headers[name].emplace_back(value);
  return len;
}

bool is_token(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos))
      return false;
  return true;
}

bool has_ctl(std::string_view s) {
  for (char c : s)
    if (c == '\r' || c == '\n' || c == '\0') return true;
  return false;
}

class HttpClientProvider final : public Provider {
 public:
  explicit HttpClientProvider(HttpClientConfig cfg) : cfg_(std::move(cfg)) {
    static std::once_flag once;
    std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  }

  CapabilityResult call(const Caller&, std::string_view op, std::span<const uint8_t> payload) override {
    bool wasmbus = op == "HttpClient.Request";
    if (op != "PerformRequest" && !wasmbus)
      return CapabilityResult::failure("httpclient: unknown operation \"" + std::string(op) + "\"");
    mp::Value v;
    std::string err;
    if (!decode_struct(payload, op, v, err)) return CapabilityResult::failure(err);
    auto req = wasmbus ? read_wasmbus(v) : read_classic(v);
    if (!req.ok()) return CapabilityResult::failure(req.error().message);
    auto resp = perform(*req);
    if (!resp.ok()) return CapabilityResult::failure(resp.error().message);
    return CapabilityResult::success(wasmbus ? write_wasmbus(*resp) : write_classic(*resp));
  }

 private:
  // {method, path (the whole URL), queryString, header{str:str}, body}
  static isola::Expected<Request> read_classic(const mp::Value& v) {
    StructReader r(v, "Request");
    Request req;
    req.method = r.str("method", 0);
    req.url = r.str("path", 1);
    std::string qs = r.str("queryString", 2);
    if (const mp::Value* h = r.optional("header", 3); h && !h->is_nil()) {
      if (!h->is_map()) r.fail("field `header` of Request: expected a map, got " + std::string(h->kind_name()));
      for (size_t i = 0; r.ok() && i < h->size(); ++i) {
        auto k = h->key_at(i)->as_str();
        auto val = h->value_at(i)->as_str();
        if (!k || !val) r.fail("field `header` of Request: names and values must be strings");
        else req.headers.emplace_back(*k, *val);
      }
    }
    if (const mp::Value* b = r.optional("body", 4); b && !b->is_nil()) req.body = r.bin("body", 4);
    if (!r.ok()) return isola::Error{r.error()};
    if (!qs.empty()) req.url += (req.url.find('?') == std::string::npos ? "?" : "&") + qs;
    return req;
  }

  // {method, url, headers{str:[str]}, body}
  static isola::Expected<Request> read_wasmbus(const mp::Value& v) {
    StructReader r(v, "HttpRequest");
    Request req;
    req.method = r.str("method", 0);
    req.url = r.str("url", 1);
    if (const mp::Value* h = r.optional("headers", 2); h && !h->is_nil()) {
      if (!h->is_map()) r.fail("field `headers` of HttpRequest: expected a map, got " + std::string(h->kind_name()));
      for (size_t i = 0; r.ok() && i < h->size(); ++i) {
        auto k = h->key_at(i)->as_str();
        std::vector<std::string> vals;
        std::string e;
        if (!k || !read_str_list(*h->value_at(i), "header values", vals, e))
          r.fail("field `headers` of HttpRequest: expected names with lists of strings");
        for (auto& val : vals) req.headers.emplace_back(*k, std::move(val));
      }
    }
    if (const mp::Value* b = r.optional("body", 3); b && !b->is_nil()) req.body = r.bin("body", 3);
    if (!r.ok()) return isola::Error{r.error()};
    return req;
  }

  static std::vector<uint8_t> write_classic(const Response& resp) {
    mp::Writer w;
    w.map(4).str("statusCode").uint(static_cast<uint64_t>(resp.status)).str("status").str(resp.reason);
    w.str("header").map(static_cast<uint32_t>(resp.headers.size()));
    for (const auto& [k, vals] : resp.headers) {
      std::string joined;
      for (const auto& x : vals) joined += (joined.empty() ? "" : ", ") + x;
      w.str(k).str(joined);
    }
    w.str("body").bin(resp.body);
    return w.take();
  }

  static std::vector<uint8_t> write_wasmbus(const Response& resp) {
    mp::Writer w;
    w.map(3).str("statusCode").uint(static_cast<uint64_t>(resp.status));
    w.str("header").map(static_cast<uint32_t>(resp.headers.size()));
    for (const auto& [k, vals] : resp.headers) {
      w.str(k).array(static_cast<uint32_t>(vals.size()));
      for (const auto& x : vals) w.str(x);
    }
    w.str("body").bin(resp.body);
    return w.take();
  }

  isola::Expected<Response> perform(const Request& req) {
    auto fail = [&](std::string why) { return isola::Error{"httpclient: " + req.method + " " + req.url + ": " + why}; };
    if (!is_token(req.method)) return fail("bad method");
    for (const auto& [k, val] : req.headers)
      if (!is_token(k) || has_ctl(val)) return fail("bad header \"" + k + "\"");

    // Parse the URL once, with libcurl's own parser, and hand curl the parsed form so the
    // host checked here is the host connected to.
    std::unique_ptr<CURLU, decltype(&curl_url_cleanup)> url(curl_url(), curl_url_cleanup);
    if (!url || curl_url_set(url.get(), CURLUPART_URL, req.url.c_str(), 0) != CURLUE_OK) return fail("malformed URL");
    auto part = [&](CURLUPart p, unsigned flags = 0) {
      char* s = nullptr;
      std::string out;
      if (curl_url_get(url.get(), p, &s, flags) == CURLUE_OK && s) out = s;
      curl_free(s);
      return out;
    };
    std::string scheme = part(CURLUPART_SCHEME);
    if (scheme != "http" && scheme != "https") return fail("only http and https URLs are allowed");
    std::string host = normalize_host(part(CURLUPART_HOST));
    std::string port_text = part(CURLUPART_PORT, CURLU_DEFAULT_PORT);
    unsigned port = 0;
    std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    auto match = cfg_.allow.match(host, static_cast<uint16_t>(port));
    if (match == AllowList::Match::None)
      return fail("host " + host + ":" + std::to_string(port) +
                  " is not on this link's allow-list (link value allowed_hosts)");

    Transfer t;
    t.explicit_host = match == AllowList::Match::Explicit;
    t.limit = cfg_.max_response_bytes;
    std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> h(curl_easy_init(), curl_easy_cleanup);
    if (!h) return fail("cannot create a libcurl handle");
    CURL* c = h.get();
    char errbuf[CURL_ERROR_SIZE] = "";
    curl_easy_setopt(c, CURLOPT_CURLU, url.get());
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);  // a redirect goes back to the guest
    curl_easy_setopt(c, CURLOPT_PROXY, "");           // ignore *_proxy in the environment
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, cfg_.timeout_ms);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, cfg_.timeout_ms);
    curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, static_cast<curl_off_t>(cfg_.max_response_bytes));
    curl_easy_setopt(c, CURLOPT_OPENSOCKETFUNCTION, open_socket);
    curl_easy_setopt(c, CURLOPT_OPENSOCKETDATA, &t);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &t);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, &t);
    if (req.method == "HEAD")
      curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
    else if (req.method != "GET" || !req.body.empty())
      curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, req.method.c_str());
    if (!req.body.empty() || req.method == "POST" || req.method == "PUT" || req.method == "PATCH") {
      curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(req.body.size()));
      curl_easy_setopt(c, CURLOPT_POSTFIELDS, req.body.empty() ? "" : reinterpret_cast<const char*>(req.body.data()));
    }
    std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)> hdrs(nullptr, curl_slist_free_all);
    for (const auto& [k, val] : req.headers) {
      std::string line = val.empty() ? k + ";" : k + ": " + val;  // "Name;" sends an empty value
      curl_slist* next = curl_slist_append(hdrs.get(), line.c_str());
      if (!next) return fail("out of memory");
      hdrs.release();
      hdrs.reset(next);
    }
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs.get());

    CURLcode rc = curl_easy_perform(c);
    if (rc != CURLE_OK) {
      if (t.too_big || rc == CURLE_FILESIZE_EXCEEDED)
        return fail("response larger than " + std::to_string(cfg_.max_response_bytes) +
                    " bytes (link value max_response_bytes)");
      if (rc == CURLE_OPERATION_TIMEDOUT)
        return fail("timed out after " + std::to_string(cfg_.timeout_ms) + " ms (link value timeout_ms)");
      if (!t.refused.empty())
        return fail("refused to connect to " + t.refused + ": only hosts named exactly in allowed_hosts may reach it");
      return fail(std::string(curl_easy_strerror(rc)) + (errbuf[0] ? std::string(": ") + errbuf : ""));
    }
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &t.resp.status);
    return std::move(t.resp);
  }

  HttpClientConfig cfg_;
};

isola::Expected<long> positive_number(const LinkValues& values, std::string_view key, long dflt, long max) {
  auto it = values.find(key);
  if (it == values.end()) return dflt;
  long v = 0;
  const std::string& s = it->second;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || v <= 0 || v > max)
    return isola::Error{"httpclient: link value " + std::string(key) + " = \"" + s + "\": expected a number from 1 to " +
                        std::to_string(max)};
  return v;
}

}  // namespace

isola::Expected<HttpClientConfig> parse_httpclient_config(const LinkValues& values) {
  HttpClientConfig cfg;
  if (auto it = values.find("allowed_hosts"); it != values.end()) {
    auto allow = AllowList::parse(it->second);
    if (!allow.ok()) return allow.error();
    cfg.allow = std::move(*allow);
  }
  auto timeout = positive_number(values, "timeout_ms", cfg.timeout_ms, 3'600'000);
  if (!timeout.ok()) return timeout.error();
  cfg.timeout_ms = *timeout;
  auto max = positive_number(values, "max_response_bytes", static_cast<long>(cfg.max_response_bytes), 1L << 30);
  if (!max.ok()) return max.error();
  cfg.max_response_bytes = static_cast<size_t>(*max);
  return cfg;
}

std::shared_ptr<Provider> make_httpclient_provider(HttpClientConfig config) {
  return std::make_shared<HttpClientProvider>(std::move(config));
}

}  // namespace isola::host::providers
