// The httpclient's SSRF rules, kept apart from libcurl so they can be tested directly: which
// hosts a link allows, and which addresses are not public (loopback, private, link-local,
// metadata, ...) and so may be reached only when the allow-list names the host exactly.
#pragma once

#include <sys/socket.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "isola/engine.hpp"

namespace isola::host::providers {

class AllowList {
 public:
  enum class Match {
    None,      // not allowed at all
    Pattern,   // allowed by a wildcard entry (`*.example.com`): public addresses only
    Explicit,  // the entry names this host (and port, if it gives one): any address
  };

  // `csv`: comma-separated entries `host`, `host:port`, `*.domain[:port]`, `[v6addr]:port`,
  // a bare IP address, or `*` (any host, public addresses only). Blank entries are ignored; anything else malformed is an error.
  static isola::Expected<AllowList> parse(std::string_view csv);

  // `host` as it appears in the URL (lower case, IPv6 without brackets).
  Match match(std::string_view host, uint16_t port) const;
  bool empty() const { return rules_.empty(); }

 private:
  struct Rule {
    std::string host;  // lower case, without a trailing dot; for wildcards, the suffix ".example.com"
    bool wildcard = false;
    std::optional<uint16_t> port;
  };
  std::vector<Rule> rules_;
};

// Why `addr` is not a public unicast address ("loopback", "private", "link-local",
// "metadata", "carrier-grade NAT", "unspecified", "multicast", "reserved"), or "" if it is.
// IPv4 addresses embedded in IPv6 (mapped, compatible, NAT64, 6to4) are judged as IPv4.
std::string_view special_address_kind(const sockaddr* addr);
std::string_view special_address_kind(std::string_view ip_text);  // "" also for non-addresses

// Lower case, one trailing dot and IPv6 brackets removed: the form both sides compare in.
std::string normalize_host(std::string_view host);

}  // namespace isola::host::providers
