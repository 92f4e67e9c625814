// What an application is, as plain data: its components (modules with their env, files,
// limits and capability links), the routes that reach them, and the claims policy. Read
// from `isola.toml` (docs/manifest.md) or from a waSCC host manifest (YAML, ACTOR-ABI.md §6);
// both end up in the same structs, so the rest of the host does not care which was used.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "host/capability.hpp"
#include "isola/engine.hpp"

namespace isola::host {

// Where `${VAR}` values come from: the process environment, or a map (tests, embedding).
class Environment {
 public:
  using Lookup = std::function<std::optional<std::string>(std::string_view name)>;
  explicit Environment(Lookup lookup) : lookup_(std::move(lookup)) {}
  static Environment process();
  static Environment from(std::map<std::string, std::string, std::less<>> vars);
  std::optional<std::string> get(std::string_view name) const { return lookup_(name); }

 private:
  Lookup lookup_;
};

struct ComponentLimits {
  std::optional<uint64_t> max_memory_bytes;           // linear memory, per instance
  std::optional<uint64_t> fuel;                       // per request
  std::optional<std::chrono::milliseconds> timeout;   // wall clock, per request
  std::optional<unsigned> max_concurrent;             // instances at once; beyond -> 503
};

// The HTTP ingress's limits from [app]. Unset means the ingress's default
// (HttpServerConfig: 16 KiB, 8 MiB, 30 s, 60 s), so the defaults live in one place.
struct IngressLimits {
  std::optional<uint64_t> max_header_bytes;             // request line + headers -> 431 beyond
  std::optional<uint64_t> max_body_bytes;               // -> 413 beyond
  std::optional<std::chrono::milliseconds> request_timeout;  // first byte to last byte -> 408
  std::optional<std::chrono::milliseconds> idle_timeout;     // keep-alive wait -> close
};

struct CapabilityLink {
  std::string contract;             // "wascc:keyvalue"
  std::string binding = "default";  // the link name
  LinkValues values;                // {"URL": "redis://..."}
  // From a waSCC manifest: the public key of the actor this binding is for. The link
  // applies only to the component whose claims carry that subject (resolve_actor_keys).
  // Empty for isola.toml links, which belong to their component.
  std::string actor_key;
  std::string where;  // "isola.toml:14", for errors found later (unknown provider, bad URL)
};

struct FileMount {
  enum Mode { ReadWrite, ReadOnly, Overlay };
  std::string host;   // absolute, resolved against the manifest's directory
  std::string guest;  // the name the guest sees ("/data")
  Mode mode = ReadWrite;
};

struct Component {
  std::string id;
  std::string source;  // absolute path of the module
  std::optional<std::string> sha256;  // 64 lowercase hex digits; the host checks the bytes
  std::string sha256_where;           // "isola.toml:7", the sha256 key's line
  std::string abi;                    // "wagi", "wapc", or "" = detect from the exports
  std::vector<std::string> env;       // "NAME=VALUE", sorted by name
  std::vector<FileMount> files;
  ComponentLimits limits;
  std::vector<CapabilityLink> links;
  bool allow_unsigned = false;  // run without valid claims (the claims check is skipped)
  std::string where;            // "isola.toml:5" (its [[component]] line)
};

struct Route {
  std::string pattern;               // "/exact", "/api/..." (prefix), "/..." (everything)
  std::vector<std::string> methods;  // upper case; empty = any. GET also serves HEAD.
  std::string component;             // a Component::id ("" until resolve_actor_keys, see actor_key)
  std::string actor_key;             // waSCC manifests: the actor that serves it, by public key
  std::string where;
};

struct Manifest {
  std::string path;    // the file it came from, as given
  std::string format;  // "toml" or "wascc"
  std::string app_name;
  std::string listen = "127.0.0.1:8080";
  std::string state_dir;  // absolute; default "<manifest dir>/.isola"
  IngressLimits ingress;  // [app] max_header_size, max_body_size, request_timeout, idle_timeout
  std::map<std::string, std::string> labels;  // waSCC host labels (informational)
  std::vector<Component> components;
  std::vector<Route> routes;
  std::vector<std::string> trusted_issuers;  // account/operator public keys; empty = any issuer
  std::vector<std::string> revoked;          // revoked subjects or token ids
  std::string revocation_file;               // absolute; one entry a line; "" = none

  const Component* component(std::string_view id) const {
    for (const auto& c : components)
      if (c.id == id) return &c;
    return nullptr;
  }
};

// Reads `file`: TOML if it ends in .toml, otherwise a waSCC host manifest (YAML; JSON is
// read as YAML too). Errors read "FILE:LINE: SCOPE: KEY: what is wrong".
isola::Expected<Manifest> load_manifest(const std::filesystem::path& file,
                                        const Environment& env = Environment::process());

// The same from text, for tests and tools; `file` is used for the directory that relative
// paths are resolved against and in error messages.
isola::Expected<Manifest> parse_toml_manifest(std::string_view text, const std::filesystem::path& file,
                                              const Environment& env);
isola::Expected<Manifest> parse_wascc_manifest(std::string_view text, const std::filesystem::path& file,
                                               const Environment& env);

// The route that serves (method, path), most specific first: an exact pattern beats a
// prefix, a longer prefix beats a shorter one, and a route whose methods do not include
// `method` is passed over for the next. nullptr if none; then *method_mismatch (if given)
// says whether some route matched the path but not the method (405 rather than 404).
// `path` is matched as it arrived (percent-encoded, no normalisation).
const Route* match_route(const Manifest& manifest, std::string_view method, std::string_view path,
                         bool* method_mismatch = nullptr);

// For waSCC manifests, once each component's claims have been read: keeps only the links
// whose actor_key is the component's subject and points key-addressed routes at their
// component. `subject_by_component` maps component id -> public key from its claims.
// Fails, as waSCC does, when a binding names an actor that no component is.
isola::Expected<Manifest> resolve_actor_keys(Manifest manifest,
                                             const std::map<std::string, std::string>& subject_by_component);

}  // namespace isola::host
