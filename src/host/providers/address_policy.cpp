#include "host/providers/address_policy.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstring>

namespace isola::host::providers {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::string_view classify_v4(const uint8_t a[4]) {
  uint32_t ip = (uint32_t{a[0]} << 24) | (uint32_t{a[1]} << 16) | (uint32_t{a[2]} << 8) | a[3];
  auto in = [&](uint32_t net, int bits) { return bits == 0 || (ip >> (32 - bits)) == (net >> (32 - bits)); };
  if (ip == 0xA9FEA9FE) return "metadata";  // 169.254.169.254, the cloud metadata service
  if (in(0x00000000, 8)) return "unspecified";
  if (in(0x7F000000, 8)) return "loopback";
  if (in(0x0A000000, 8) || in(0xAC100000, 12) || in(0xC0A80000, 16)) return "private";
  if (in(0xA9FE0000, 16)) return "link-local";
  if (in(0x64400000, 10)) return "carrier-grade NAT";
  if (in(0xE0000000, 4)) return "multicast";
  if (in(0xF0000000, 4)) return "reserved";  // includes 255.255.255.255
  if (in(0xC0000000, 24) || in(0xC6120000, 15)) return "reserved";  // IETF assignments, benchmarking
  return "";
}

std::string_view classify_v6(const uint8_t a[16]) {
  static const uint8_t metadata[16] = {0xfd, 0x00, 0x0e, 0xc2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x02, 0x54};
  if (std::memcmp(a, metadata, 16) == 0) return "metadata";  // fd00:ec2::254
  bool zero80 = std::all_of(a, a + 10, [](uint8_t b) { return b == 0; });
  if (zero80 && a[10] == 0xff && a[11] == 0xff) return classify_v4(a + 12);  // ::ffff:a.b.c.d
  if (zero80 && a[10] == 0 && a[11] == 0) {
    if (std::all_of(a + 12, a + 15, [](uint8_t b) { return b == 0; })) {
      if (a[15] == 0) return "unspecified";  // ::
      if (a[15] == 1) return "loopback";     // ::1
    }
    return classify_v4(a + 12);  // ::a.b.c.d, deprecated IPv4-compatible form
  }
  static const uint8_t nat64[12] = {0x00, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0};
  if (std::memcmp(a, nat64, 12) == 0) return classify_v4(a + 12);  // 64:ff9b::a.b.c.d
  if (a[0] == 0x20 && a[1] == 0x02) return classify_v4(a + 2);      // 2002:AABB:CCDD::/48, 6to4
  if (a[0] == 0xff) return "multicast";
  if (a[0] == 0xfe && (a[1] & 0xc0) == 0x80) return "link-local";  // fe80::/10
  if (a[0] == 0xfe && (a[1] & 0xc0) == 0xc0) return "private";     // fec0::/10, old site-local
  if ((a[0] & 0xfe) == 0xfc) return "private";                     // fc00::/7, unique local
  return "";
}

}  // namespace

std::string normalize_host(std::string_view host) {
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  if (!host.empty() && host.back() == '.') host.remove_suffix(1);
  std::string out(host);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

isola::Expected<AllowList> AllowList::parse(std::string_view csv) {
  AllowList list;
  while (!csv.empty()) {
    auto comma = csv.find(',');
    std::string_view entry = trim(csv.substr(0, comma));
    csv = comma == std::string_view::npos ? std::string_view() : csv.substr(comma + 1);
    if (entry.empty()) continue;
    auto bad = [&](std::string why) {
      return isola::Error{"httpclient: link value allowed_hosts: entry \"" + std::string(entry) + "\": " + why};
    };
    Rule rule;
    std::string_view host = entry, port;
    if (entry.front() == '[') {
      auto close = entry.find(']');
      if (close == std::string_view::npos) return bad("unterminated [");
      host = entry.substr(1, close - 1);
      if (close + 1 < entry.size()) {
        if (entry[close + 1] != ':') return bad("expected :port after ]");
        port = entry.substr(close + 2);
      }
    } else if (std::count(entry.begin(), entry.end(), ':') == 1) {
      auto colon = entry.find(':');
      host = entry.substr(0, colon);
      port = entry.substr(colon + 1);
    }  // more than one colon: a bare IPv6 address
    if (!port.empty() || (entry.back() == ':')) {
      unsigned p = 0;
      auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), p);
      if (port.empty() || ec != std::errc() || end != port.data() + port.size() || p == 0 || p > 65535)
        return bad("bad port");
      rule.port = static_cast<uint16_t>(p);
    }
    if (host == "*") {  // any host, but public addresses only
      rule.wildcard = true;
      list.rules_.push_back(std::move(rule));
      continue;
    }
    if (host.substr(0, 2) == "*.") {
      rule.wildcard = true;
      host.remove_prefix(1);  // keep the dot: ".example.com"
      if (host.size() < 2) return bad("empty domain after *.");
    }
    if (host.empty()) return bad("no host");
    for (char c : host)
      if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == ':' || c == '_'))
        return bad(std::string("unexpected character '") + c + "'");
    if (host.find('*') != std::string_view::npos) return bad("* is allowed only as the first label");
    rule.host = normalize_host(host);
    list.rules_.push_back(std::move(rule));
  }
  return list;
}

AllowList::Match AllowList::match(std::string_view host_in, uint16_t port) const {
  std::string host = normalize_host(host_in);
  Match best = Match::None;
  for (const auto& r : rules_) {
    if (r.port && *r.port != port) continue;
    if (!r.wildcard && r.host == host) return Match::Explicit;
    if (r.wildcard && host.size() > r.host.size() && host.compare(host.size() - r.host.size(), r.host.size(), r.host) == 0)
      best = Match::Pattern;
  }
  return best;
}

std::string_view special_address_kind(const sockaddr* addr) {
  if (addr->sa_family == AF_INET) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(addr);
    uint8_t a[4];
    std::memcpy(a, &in->sin_addr, 4);
    return classify_v4(a);
  }
  if (addr->sa_family == AF_INET6) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(addr);
    uint8_t a[16];
    std::memcpy(a, &in6->sin6_addr, 16);
    return classify_v6(a);
  }
  return "non-IP";  // unix sockets and anything else are never reachable
}

std::string_view special_address_kind(std::string_view ip_text) {
  std::string s = normalize_host(ip_text);
  uint8_t buf[16];
  if (inet_pton(AF_INET, s.c_str(), buf) == 1) return classify_v4(buf);
  if (inet_pton(AF_INET6, s.c_str(), buf) == 1) return classify_v6(buf);
  return "";
}

}  // namespace isola::host::providers
