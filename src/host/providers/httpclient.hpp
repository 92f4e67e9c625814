// The httpclient provider: `PerformRequest` (waSCC `wascc:http_client`, WIDL
// `wasmcloud:httpclient`; Request -> Response as ACTOR-ABI §2.3) and wasmbus
// `HttpClient.Request`, via libcurl. Deny by default: only hosts on the link's allow-list,
// and non-public addresses only for hosts the list names exactly, checked on the address
// actually connected to (after DNS). Redirects are returned, never followed.
#pragma once

#include <cstddef>
#include <memory>

#include "host/providers/address_policy.hpp"
#include "host/providers/provider.hpp"

namespace isola::host::providers {

struct HttpClientConfig {
  AllowList allow;
  long timeout_ms = 10'000;
  size_t max_response_bytes = 16u << 20;  // headers and body together
};

// From link values allowed_hosts, timeout_ms and max_response_bytes.
isola::Expected<HttpClientConfig> parse_httpclient_config(const LinkValues& values);

std::shared_ptr<Provider> make_httpclient_provider(HttpClientConfig config);

}  // namespace isola::host::providers
