// Checks and conversions of single manifest values (internal to manifest/): sizes,
// durations, listen addresses, route patterns and methods. Each returns the reason a value
// is wrong, for the loader to prefix with file, line and key.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "host/manifest/manifest.hpp"

namespace isola::host::manifest_detail {

template <class T>
struct Parsed {
  std::optional<T> value;
  std::string error;  // when !value
};

// "64MiB", "512KiB", "1GiB", "100MB" (decimal), "65536" or "65536B".
Parsed<uint64_t> parse_size(std::string_view text);
// "250ms", "5s", "2m", "1h": an integer and a unit.
Parsed<std::chrono::milliseconds> parse_duration(std::string_view text);
// "HOST:PORT" or "[V6]:PORT" with an IP address (or "localhost") and a port 0-65535.
std::optional<std::string> check_listen(std::string_view text);
// "/exact", "/prefix/...", "/...".
std::optional<std::string> check_route_pattern(std::string_view pattern);
// Upper-cases `method` and checks it is one the ingress serves.
std::optional<std::string> normalize_method(std::string& method);
// A route already in `routes` that would serve some request `route` serves too.
const Route* find_conflict(const std::vector<Route>& routes, const Route& route);

}  // namespace isola::host::manifest_detail
