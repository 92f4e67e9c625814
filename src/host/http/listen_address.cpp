#include "host/http/listen_address.hpp"

#include <arpa/inet.h>

#include <charconv>

namespace isola::host {

namespace {
bool is_ipv4(const std::string& s) {
  in_addr a{};
  return inet_pton(AF_INET, s.c_str(), &a) == 1;
}
bool is_ipv6(const std::string& s) {
  in6_addr a{};
  return inet_pton(AF_INET6, s.c_str(), &a) == 1;
}
std::string quoted(std::string_view s) {
  std::string q = "'";
  q.append(s).push_back('\'');
  return q;
}
}  // namespace

isola::Expected<ListenAddress> parse_listen_address(std::string_view text) {
  auto fail = [&](std::string why) {
    // Built with append: GCC 12 -O3 warns (-Wrestrict, falsely) on "'" + string chains.
    std::string m = "listen address '";
    m.append(text).append("': ").append(why);
    return isola::Error{std::move(m)};
  };
  std::string host;
  std::string_view port_text;
  if (!text.empty() && text.front() == '[') {
    size_t close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':')
      return fail("expected [IPV6]:PORT");
    host = std::string(text.substr(1, close - 1));
    port_text = text.substr(close + 2);
    if (!is_ipv6(host)) return fail(quoted(host).append(" is not an IPv6 address"));
  } else {
    size_t colon = text.rfind(':');
    if (colon == std::string_view::npos) return fail("expected HOST:PORT");
    host = std::string(text.substr(0, colon));
    port_text = text.substr(colon + 1);
    if (host == "localhost") host = "127.0.0.1";
    if (host.find(':') != std::string::npos) return fail("write an IPv6 address in brackets: [ADDR]:PORT");
    if (!is_ipv4(host)) return fail(quoted(host).append(" is not an IPv4 address (use an address, not a name)"));
  }
  unsigned port = 0;
  auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (port_text.empty() || ec != std::errc() || end != port_text.data() + port_text.size() || port > 65535)
    return fail(quoted(port_text).append(" is not a port (0-65535)"));
  return ListenAddress{host, static_cast<uint16_t>(port)};
}

std::string format_host_port(std::string_view ip, uint16_t port) {
  std::string out;
  if (ip.find(':') != std::string_view::npos)
    out.append("[").append(ip).append("]");
  else
    out.append(ip);
  return out + ":" + std::to_string(port);
}

}  // namespace isola::host
