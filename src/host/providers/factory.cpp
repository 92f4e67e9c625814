// make_provider: which built-in provider answers which contract, and the process-wide cache
// that lets every link to the same store share one backend.
#include <cctype>
#include <functional>
#include <map>
#include <mutex>

#include "host/providers/extras.hpp"
#include "host/providers/httpclient.hpp"
#include "host/providers/keyvalue.hpp"
#include "host/providers/kv_redis.hpp"
#include "host/providers/kv_sqlite.hpp"
#include "host/providers/logging.hpp"
#include "host/providers/provider.hpp"

namespace isola::host {
namespace {

using namespace providers;

// Backends by identity ("sqlite:<file>" or "redis:<url>"). Weak, so a store is closed when
// the last provider using it goes away (and can then be reopened, by a restarted app).
isola::Expected<std::shared_ptr<KvBackend>> shared_backend(
    const std::string& id, const std::function<isola::Expected<std::shared_ptr<KvBackend>>()>& open) {
  static std::mutex mu;
  static std::map<std::string, std::weak_ptr<KvBackend>> cache;
  std::lock_guard lock(mu);
  if (auto it = cache.find(id); it != cache.end())
    if (auto kv = it->second.lock()) return kv;
  auto kv = open();
  if (kv.ok()) cache[id] = *kv;
  return kv;
}

bool safe_store_name(std::string_view s) {
  if (s.empty() || s.size() > 64 || s.front() == '.') return false;
  for (char c : s)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.')) return false;
  return true;
}

const LinkValues::mapped_type* value_of(const LinkValues& values, std::string_view key) {
  auto it = values.find(key);
  return it == values.end() ? nullptr : &it->second;
}

isola::Expected<std::shared_ptr<KvBackend>> keyvalue_backend(const LinkValues& values, const ProviderEnv& env) {
  // waSCC manifests spell it URL; accept url too.
  const std::string* url = value_of(values, "URL");
  if (!url) url = value_of(values, "url");
  if (url && !url->empty()) {
    if (url->rfind("redis://", 0) != 0)
      return isola::Error{"keyvalue: link value URL = \"" + *url + "\": only redis:// URLs are supported"};
    return shared_backend("redis:" + *url, [&] { return open_redis_kv(*url); });
  }
  std::string store = "default";
  if (const std::string* s = value_of(values, "store")) store = *s;
  if (!safe_store_name(store))
    return isola::Error{"keyvalue: link value store = \"" + store +
                        "\": expected 1 to 64 letters, digits, '-', '_' or '.', not starting with '.'"};
  if (env.state_dir.empty()) return isola::Error{"keyvalue: no state directory for the SQLite store \"" + store + "\""};
  std::filesystem::path dir = env.state_dir / "kv";
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return isola::Error{"keyvalue: cannot create " + dir.string() + ": " + ec.message()};
  std::filesystem::path file = dir / (store + ".sqlite3");
  return shared_backend("sqlite:" + std::filesystem::absolute(file, ec).lexically_normal().string(),
                        [&] { return open_sqlite_kv(file); });
}

}  // namespace

bool is_known_contract(std::string_view c) {
  return c == "wascc:keyvalue" || c == "wasmcloud:keyvalue" || c == "wascc:logging" || c == "wasmcloud:logging" ||
         c == "wasmcloud:builtin:logging" || c == "wascc:http_client" || c == "wasmcloud:httpclient" ||
         c == "wascc:extras" || c == "wasmcloud:extras" || c == "wasmcloud:builtin:numbergen";
}

isola::Expected<std::shared_ptr<Provider>> make_provider(std::string_view contract, const LinkValues& values,
                                                         const ProviderEnv& env) {
  if (contract == "wascc:keyvalue" || contract == "wasmcloud:keyvalue") {
    auto kv = keyvalue_backend(values, env);
    if (!kv.ok()) return kv.error();
    return make_keyvalue_provider(contract == "wascc:keyvalue" ? KvFlavour::Wascc : KvFlavour::Widl, std::move(*kv));
  }
  if (contract == "wascc:logging" || contract == "wasmcloud:logging" || contract == "wasmcloud:builtin:logging")
    return make_logging_provider(env.log);
  if (contract == "wascc:http_client" || contract == "wasmcloud:httpclient") {
    auto cfg = parse_httpclient_config(values);
    if (!cfg.ok()) return cfg.error();
    return make_httpclient_provider(std::move(*cfg));
  }
  if (contract == "wascc:extras" || contract == "wasmcloud:extras" || contract == "wasmcloud:builtin:numbergen") {
    auto p = make_extras_provider(contract == "wascc:extras"       ? ExtrasFlavour::Wascc
                                  : contract == "wasmcloud:extras" ? ExtrasFlavour::Widl
                                                                   : ExtrasFlavour::NumberGen);
    if (!p) return isola::Error{"extras: libsodium could not be initialised (no randomness source)"};
    return p;
  }
  return isola::Error{"no built-in provider for contract \"" + std::string(contract) + "\""};
}

}  // namespace isola::host
