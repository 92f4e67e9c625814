// The Redis key-value backend, chosen when a link names `URL = redis://host:port[/db]`.
// A small pool of hiredis connections; a broken connection is dropped and the next call
// reconnects, and every failure is an error value.
#pragma once

#include <memory>
#include <string_view>

#include "host/providers/kv_backend.hpp"

namespace isola::host::providers {

// Parses `url` (redis://[:password@]host[:port][/db]); connections are made on first use.
isola::Expected<std::shared_ptr<KvBackend>> open_redis_kv(std::string_view url);

}  // namespace isola::host::providers
