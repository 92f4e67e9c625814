// "HOST:PORT" as the manifest and the CLI write a listen address, parsed into an IP address
// and a port. IPv6 literals are bracketed ("[::1]:8080"); "localhost" means 127.0.0.1.
// Host names are not resolved: a server binds to an address, not to whatever DNS says.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "isola/engine.hpp"

namespace isola::host {

struct ListenAddress {
  std::string ip;  // "127.0.0.1", "::1", "0.0.0.0"
  uint16_t port = 0;
};

isola::Expected<ListenAddress> parse_listen_address(std::string_view text);

// "127.0.0.1:8080" or "[::1]:8080".
std::string format_host_port(std::string_view ip, uint16_t port);

}  // namespace isola::host
