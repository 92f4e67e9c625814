// The host's built-in capability providers (keyvalue, logging, httpclient, extras,
// numbergen), behind one small interface. The host makes one Provider per component link;
// providers that share a backend configuration share the backend (one SQLite database or one
// Redis connection pool per store), so links are cheap.
#pragma once

#include <filesystem>
#include <memory>
#include <span>
#include <string_view>

#include "host/capability.hpp"
#include "host/log.hpp"
#include "isola/engine.hpp"

namespace isola::host {

struct ProviderEnv {
  std::filesystem::path state_dir;  // where SQLite stores live: <state_dir>/kv/<store>.sqlite3
  LogSink* log = nullptr;           // guest log records go here; nullptr drops them
};

class Provider {
 public:
  virtual ~Provider() = default;
  // Answers one operation for `caller`. Called concurrently from many request threads.
  // Malformed payloads and backend failures are failure results, never exceptions.
  virtual CapabilityResult call(const Caller& caller, std::string_view operation,
                                std::span<const uint8_t> payload) = 0;
};

// The built-in provider for `contract` configured by a link's values, or an error naming
// the bad value. Values the provider does not know (such as the `__wascc_*` ones a waSCC
// host adds) are ignored.
isola::Expected<std::shared_ptr<Provider>> make_provider(std::string_view contract, const LinkValues& values,
                                                         const ProviderEnv& env);

// Whether make_provider knows `contract`: wascc:keyvalue, wasmcloud:keyvalue, wascc:logging,
// wasmcloud:logging, wasmcloud:builtin:logging, wascc:http_client, wasmcloud:httpclient,
// wascc:extras, wasmcloud:extras, wasmcloud:builtin:numbergen.
bool is_known_contract(std::string_view contract);

}  // namespace isola::host
