#include "host/abi/wagi.hpp"

#include <map>
#include <optional>

namespace isola::host::wagi {

namespace {

char upper(char c) { return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c; }
char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (lower(a[i]) != lower(b[i])) return false;
  return true;
}

// RFC 9110 token characters: what a header name may be made of.
bool is_tchar(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Percent-decodes a path, as CGI wants PATH_INFO. nullopt when the result would hold a NUL
// (which an environment string cannot carry) or an escape is broken: the raw path is used then.
std::optional<std::string> percent_decode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') {
      out.push_back(s[i]);
      continue;
    }
    if (i + 2 >= s.size()) return std::nullopt;
    int hi = hex_digit(s[i + 1]), lo = hex_digit(s[i + 2]);
    if (hi < 0 || lo < 0) return std::nullopt;
    char c = static_cast<char>(hi * 16 + lo);
    if (c == '\0') return std::nullopt;
    out.push_back(c);
    i += 2;
  }
  return out;
}

bool has_nul(std::string_view s) { return s.find('\0') != std::string_view::npos; }

}  // namespace

std::vector<std::string> cgi_environment(const HttpRequest& req, const Options& opt) {
  // Later entries win; a std::map keeps one value per name and a stable order.
  std::map<std::string, std::string> vars;
  for (const auto& e : opt.env) {
    auto eq = e.find('=');
    if (eq == std::string::npos || eq == 0) continue;
    vars[e.substr(0, eq)] = e.substr(eq + 1);
  }

  // Every header as HTTP_<NAME>; repeated headers are joined with ", " (RFC 9110 §5.3).
  // Names that cannot form a clean variable name are left out rather than mangled into
  // something that could shadow another variable.
  std::map<std::string, std::string> http;
  for (const auto& [name, value] : req.headers) {
    if (name.empty() || has_nul(value)) continue;
    std::string key = "HTTP_";
    bool ok = true;
    for (char c : name) {
      if (c == '-') key.push_back('_');
      else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) key.push_back(upper(c));
      else { ok = false; break; }
    }
    if (!ok) continue;
    auto [it, fresh] = http.emplace(key, value);
    if (!fresh) it->second += ", " + value;
  }
  for (auto& [k, v] : http) vars[k] = std::move(v);

  std::string path_info = req.path;
  if (!opt.script_name.empty() && req.path.compare(0, opt.script_name.size(), opt.script_name) == 0)
    path_info = req.path.substr(opt.script_name.size());
  std::string raw_path_info = path_info;
  if (auto d = percent_decode(path_info)) path_info = std::move(*d);

  const std::string* host = req.header("Host");
  std::string authority = host && !has_nul(*host) ? *host : req.server_name + ":" + std::to_string(req.server_port);
  const std::string* ctype = req.header("Content-Type");

  vars["GATEWAY_INTERFACE"] = "CGI/1.1";
  vars["SERVER_SOFTWARE"] = opt.server_software;
  vars["SERVER_PROTOCOL"] = "HTTP/1.1";
  vars["SERVER_NAME"] = req.server_name;
  vars["SERVER_PORT"] = std::to_string(req.server_port);
  vars["REQUEST_METHOD"] = req.method;
  vars["SCRIPT_NAME"] = opt.script_name;
  vars["PATH_INFO"] = path_info;
  vars["PATH_TRANSLATED"] = path_info;
  vars["X_RAW_PATH_INFO"] = raw_path_info;
  vars["QUERY_STRING"] = req.query;
  vars["CONTENT_TYPE"] = ctype && !has_nul(*ctype) ? *ctype : "";
  vars["CONTENT_LENGTH"] = std::to_string(req.body.size());
  vars["REMOTE_ADDR"] = req.remote_addr;
  vars["REMOTE_HOST"] = req.remote_addr;  // no reverse DNS: it would cost a lookup per request
  vars["AUTH_TYPE"] = "";
  vars["REMOTE_USER"] = "";
  vars["X_MATCHED_ROUTE"] = opt.matched_route;
  vars["X_FULL_URL"] = "http://" + authority + req.target;

  std::vector<std::string> out;
  out.reserve(vars.size());
  for (auto& [k, v] : vars) {
    if (has_nul(v)) continue;
    out.push_back(k + "=" + v);
  }
  return out;
}

// ---------------------------------------------------------------------------------------

Exchange::Exchange(const HttpRequest& request, Options options)
    : opt_(std::move(options)), env_(cgi_environment(request, opt_)), body_(request.body) {}

wasi::Config Exchange::config() {
  wasi::Config c;
  c.args = {opt_.script_name.empty() ? std::string("/") : opt_.script_name};
  c.env = env_;
  c.dirs = opt_.dirs;
  c.stdin_ = wasi::Stdio::from_string(std::move(body_));
  c.stdout_ = wasi::Stdio::to([this](std::string_view b) {
    // Past the limit the program may keep writing; its bytes are dropped, not buffered.
    if (overflow_) return;
    if (b.size() > opt_.max_stdout - stdout_.size()) {
      overflow_ = true;
      return;
    }
    stdout_.append(b);
  });
  c.stderr_ = wasi::Stdio::to([this](std::string_view b) { on_stderr_bytes(b); });
  return c;
}

void Exchange::on_stderr_bytes(std::string_view b) {
  for (char ch : b) {
    if (ch == '\n') {
      flush_stderr();
      continue;
    }
    stderr_line_.push_back(ch);
    if (stderr_line_.size() >= opt_.max_stderr_line) flush_stderr();
  }
}

void Exchange::flush_stderr() {
  if (opt_.on_stderr && !stderr_line_.empty()) opt_.on_stderr(stderr_line_);
  stderr_line_.clear();
}

HttpResponse Exchange::response(const Expected<int, Trap>& outcome) {
  flush_stderr();
  if (!outcome) {
    const Trap& t = outcome.error();
    if (t.kind == TrapKind::DeadlineExceeded || t.kind == TrapKind::Interrupted)
      return HttpResponse::text(504, "Gateway Timeout: the handler did not finish in time");
    return HttpResponse::text(500, std::string("Internal Server Error: the handler trapped (") + to_string(t.kind) + ")");
  }
  if (overflow_)
    return HttpResponse::text(500, "Internal Server Error: the handler's response exceeds " +
                                       std::to_string(opt_.max_stdout) + " bytes");
  if (stdout_.empty() && outcome.value() != 0)
    return HttpResponse::text(500, "Internal Server Error: the handler exited with status " +
                                       std::to_string(outcome.value()) + " and wrote no response");
  // A program that wrote a whole response and then exited non-zero still answered; CGI
  // servers (and WAGI) go by the output.
  return parse_cgi_response(stdout_);
}

// ---------------------------------------------------------------------------------------

namespace {

constexpr size_t kMaxHeaderBlock = 64u << 10;
constexpr size_t kMaxHeaders = 100;

HttpResponse malformed(const std::string& why) {
  return HttpResponse::text(500, "Internal Server Error: malformed CGI response from the handler: " + why);
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Hop-by-hop and framing headers belong to the ingress, which computes them itself.
bool ingress_owned(std::string_view name) {
  return iequals(name, "Content-Length") || iequals(name, "Transfer-Encoding") || iequals(name, "Connection") ||
         iequals(name, "Keep-Alive") || iequals(name, "Upgrade") || iequals(name, "Trailer") ||
         iequals(name, "TE") || iequals(name, "Proxy-Connection");
}

}  // namespace

HttpResponse parse_cgi_response(std::string_view out) {
  HttpResponse r;
  std::optional<unsigned> status;
  bool have_type = false, have_location = false;
  size_t pos = 0, count = 0;
  for (;;) {
    size_t nl = out.find('\n', pos);
    if (nl == std::string_view::npos) {
      if (out.empty()) return malformed("the handler wrote nothing");
      return malformed(out.size() > kMaxHeaderBlock ? "header block longer than 64 KiB"
                                                    : "no blank line after the header block");
    }
    if (nl > kMaxHeaderBlock) return malformed("header block longer than 64 KiB");
    std::string_view line = out.substr(pos, nl - pos);
    pos = nl + 1;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) break;  // end of the header block
    if (++count > kMaxHeaders) return malformed("more than 100 header lines");

    size_t colon = line.find(':');
    if (colon == std::string_view::npos)
      return malformed("header line " + std::to_string(count) + " has no ':'");
    std::string_view name = line.substr(0, colon), value = trim(line.substr(colon + 1));
    if (name.empty()) return malformed("header line " + std::to_string(count) + " has an empty name");
    for (char c : name)
      if (!is_tchar(c)) return malformed("header line " + std::to_string(count) + " has an invalid name");
    for (char c : value)
      if ((static_cast<unsigned char>(c) < 0x20 && c != '\t') || c == 0x7f)
        return malformed("header '" + std::string(name) + "' has a control character in its value");

    if (iequals(name, "Status")) {
      if (status) return malformed("more than one Status header");
      // "404" or "404 Not Found": three digits, then nothing or a space and a reason.
      if (value.size() < 3 || (value.size() > 3 && value[3] != ' '))
        return malformed("Status '" + std::string(value) + "' is not a 3-digit code");
      unsigned code = 0;
      for (size_t i = 0; i < 3; ++i) {
        if (value[i] < '0' || value[i] > '9') return malformed("Status '" + std::string(value) + "' is not a 3-digit code");
        code = code * 10 + static_cast<unsigned>(value[i] - '0');
      }
      if (code < 100 || code > 599) return malformed("Status " + std::to_string(code) + " is out of range");
      status = code;
      continue;
    }
    if (iequals(name, "Content-Type")) {
      if (have_type) return malformed("more than one Content-Type header");
      have_type = true;
    } else if (iequals(name, "Location")) {
      if (have_location) return malformed("more than one Location header");
      if (value.empty()) return malformed("empty Location header");
      have_location = true;
    }
    if (ingress_owned(name)) continue;
    r.headers.emplace_back(std::string(name), std::string(value));
  }
  r.body = std::string(out.substr(pos));
  if (!have_type && !have_location && !(status && r.body.empty()))
    return malformed("no Content-Type header (and no Location)");
  r.status = status ? *status : have_location ? 302 : 200;
  return r;
}

}  // namespace isola::host::wagi
