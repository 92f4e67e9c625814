#include "host/manifest/values.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <charconv>

namespace isola::host::manifest_detail {

namespace {

// `"text"`, built with append: GCC 12 -O3 warns falsely (-Wrestrict) on "\"" + string.
std::string dq(std::string_view text) {
  std::string q = "\"";
  q.append(text).push_back('"');
  return q;
}

// The leading decimal integer of `text` and what follows it.
bool leading_number(std::string_view text, uint64_t& n, std::string_view& unit) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec != std::errc() || end == text.data()) return false;
  unit = text.substr(static_cast<size_t>(end - text.data()));
  while (!unit.empty() && unit.front() == ' ') unit.remove_prefix(1);
  return true;
}

constexpr const char* kMethods[] = {"GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"};

bool serves(const Route& r, std::string_view method) {
  if (r.methods.empty()) return true;
  for (const auto& m : r.methods)
    if (m == method || (method == "HEAD" && m == "GET")) return true;
  return false;
}

}  // namespace

Parsed<uint64_t> parse_size(std::string_view text) {
  static constexpr std::pair<std::string_view, uint64_t> kUnits[] = {
      {"", 1},          {"B", 1},           {"KiB", 1ull << 10}, {"MiB", 1ull << 20}, {"GiB", 1ull << 30},
      {"KB", 1000ull},  {"MB", 1000000ull}, {"GB", 1000000000ull}};
  uint64_t n = 0;
  std::string_view unit;
  if (!leading_number(text, n, unit))
    return {std::nullopt, dq(text).append(" is not a size (expected e.g. 65536, 512KiB, 64MiB, 1GiB)")};
  for (const auto& [name, factor] : kUnits)
    if (unit == name) {
      if (n > UINT64_MAX / factor) return {std::nullopt, dq(text).append(" is too large")};
      return {n * factor, {}};
    }
  return {std::nullopt, dq(text).append(": unknown size unit '" + std::string(unit) +
                            "' (use B, KiB, MiB, GiB, KB, MB or GB)")};
}

Parsed<std::chrono::milliseconds> parse_duration(std::string_view text) {
  static constexpr std::pair<std::string_view, uint64_t> kUnits[] = {
      {"ms", 1}, {"s", 1000}, {"m", 60'000}, {"h", 3'600'000}};
  uint64_t n = 0;
  std::string_view unit;
  if (!leading_number(text, n, unit) || unit.empty())
    return {std::nullopt, dq(text).append(" is not a duration (expected e.g. 250ms, 5s, 2m, 1h)")};
  for (const auto& [name, factor] : kUnits)
    if (unit == name) {
      if (n > (1ull << 40) / factor) return {std::nullopt, dq(text).append(" is too long")};
      return {std::chrono::milliseconds(n * factor), {}};
    }
  return {std::nullopt, dq(text).append(" is not a duration: unknown unit '" + std::string(unit) +
                            "' (use ms, s, m or h)")};
}

std::optional<std::string> check_listen(std::string_view text) {
  std::string bad = dq(text).append(" is not a listen address");
  size_t colon = text.rfind(':');
  if (colon == std::string_view::npos) return bad + " (expected HOST:PORT, e.g. 127.0.0.1:8080)";
  std::string host(text.substr(0, colon));
  std::string_view port = text.substr(colon + 1);
  unsigned p = 0;
  auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), p);
  if (port.empty() || ec != std::errc() || end != port.data() + port.size() || p > 65535)
    return bad + " (the port must be 0-65535)";
  in_addr a4{};
  in6_addr a6{};
  if (host == "localhost" || inet_pton(AF_INET, host.c_str(), &a4) == 1) return std::nullopt;
  if (host.size() > 2 && host.front() == '[' && host.back() == ']' &&
      inet_pton(AF_INET6, host.substr(1, host.size() - 2).c_str(), &a6) == 1)
    return std::nullopt;
  return bad + " (the host must be an IPv4 address, [IPv6] or localhost)";
}

std::optional<std::string> check_route_pattern(std::string_view pattern) {
  std::string quoted = dq(pattern);
  if (pattern.empty() || pattern.front() != '/') return quoted + " must start with '/'";
  for (char c : pattern)
    if (static_cast<unsigned char>(c) <= ' ' || c == '?' || c == '#' || c == 0x7f)
      return quoted + " may not contain spaces, control characters, '?' or '#'";
  size_t dots = pattern.find("...");
  if (dots != std::string_view::npos && (dots + 3 != pattern.size() || pattern[dots - 1] != '/'))
    return quoted + ": '...' may only end a pattern, as in \"/api/...\"";
  return std::nullopt;
}

std::optional<std::string> normalize_method(std::string& method) {
  for (char& c : method)
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 32);
  for (const char* m : kMethods)
    if (method == m) return std::nullopt;
  return "\"" + method + "\" is not a method the server serves (GET, HEAD, POST, PUT, DELETE, PATCH, OPTIONS)";
}

const Route* find_conflict(const std::vector<Route>& routes, const Route& route) {
  for (const auto& other : routes) {
    if (other.pattern != route.pattern) continue;
    if (route.methods.empty() || other.methods.empty()) return &other;
    for (const char* m : kMethods)
      if (serves(route, m) && serves(other, m)) return &other;
  }
  return nullptr;
}

}  // namespace isola::host::manifest_detail

namespace isola::host {

const Route* match_route(const Manifest& manifest, std::string_view method, std::string_view path,
                         bool* method_mismatch) {
  const Route* best = nullptr;
  size_t best_rank = 0;  // exact: SIZE_MAX; prefix: its length + 1
  bool path_matched = false;
  for (const auto& r : manifest.routes) {
    std::string_view p = r.pattern;
    size_t rank;
    if (p.size() >= 4 && p.substr(p.size() - 4) == "/...") {
      std::string_view prefix = p.substr(0, p.size() - 4);  // "" for "/..."
      bool match = (!prefix.empty() && path == prefix) ||
                   (path.size() > prefix.size() && path.substr(0, prefix.size()) == prefix && path[prefix.size()] == '/');
      if (!match) continue;
      rank = prefix.size() + 1;
    } else {
      if (path != p) continue;
      rank = SIZE_MAX;
    }
    path_matched = true;
    bool ok = r.methods.empty() ||
              std::any_of(r.methods.begin(), r.methods.end(),
                          [&](const std::string& m) { return m == method || (method == "HEAD" && m == "GET"); });
    if (ok && (!best || rank > best_rank)) {
      best = &r;
      best_rank = rank;
    }
  }
  if (method_mismatch) *method_mismatch = !best && path_matched;
  return best;
}

}  // namespace isola::host
