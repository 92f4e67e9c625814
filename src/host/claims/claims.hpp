// wascap actor claims (ACTOR-ABI.md §4): what they say, how they are embedded in a module's
// custom section, and the module hash they pin.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "host/claims/nkeys.hpp"
#include "isola/engine.hpp"

namespace isola::host::claims {

// The section names: `jwt` (wascap <= 0.8: waSCC and wasmCloud 0.x hosts) and
// `wasmcloud_jwt` (wascap >= 0.9). Readers accept either.
inline constexpr std::string_view kJwtSection = "jwt";
inline constexpr std::string_view kWasmcloudJwtSection = "wasmcloud_jwt";

// Every key of §4.3. Optional keys are omitted from the JSON when absent (name when empty).
struct Claims {
  std::string issuer;   // iss: the account public key (A…) that signed the token
  std::string subject;  // sub: the module public key (M…), the actor's identity
  std::string name;     // wascap.name
  std::string jti;      // unique token id
  std::string hash;     // wascap.hash: 64 upper-case hex digits (module_hash)
  std::vector<std::string> caps, tags;
  std::optional<int64_t> iat, exp, nbf;  // seconds since the epoch
  std::optional<int32_t> rev;
  std::optional<std::string> ver, call_alias;
  bool provider = false;                    // wascap.prov
  std::optional<uint32_t> wascap_revision;  // top level, wascap >= 0.9

  // Where the claims came from (filled by read_claims, not part of the JSON).
  std::string section;  // "jwt" or "wasmcloud_jwt"
  std::string token;    // the token as embedded
};

// The claims JSON in wascap's key order; `from_claims_json` checks every key's type.
std::string to_claims_json(const Claims& c);
Expected<Claims> from_claims_json(std::string_view json);

// The module hash of §4.4: SHA-256, in upper-case hex, of the module with every `jwt` and
// `wasmcloud_jwt` section cut out and every other byte as it is. For a file signed by
// wascap <= 0.8 this is the hash its token carries.
Expected<std::string> module_hash(std::span<const uint8_t> module);
// The hash wascap >= 0.10 computes: the same, after re-encoding every section size as the
// shortest LEB128. Equal to module_hash for modules whose sizes are already minimal.
Expected<std::string> module_hash_normalized(std::span<const uint8_t> module);

struct SignOptions {
  std::string name;
  std::vector<std::string> caps, tags;
  std::optional<int32_t> rev;
  std::optional<std::string> ver, call_alias;
  bool provider = false;
  std::optional<std::chrono::seconds> expires_in;     // exp = now + this
  std::optional<std::chrono::seconds> not_before_in;  // nbf = now + this
  std::string_view section = kJwtSection;             // or kWasmcloudJwtSection
  std::chrono::system_clock::time_point now = std::chrono::system_clock::now();
  std::string jti;  // empty: a fresh random one
};

// Embeds claims for `subject` (a module key), signed by `issuer` (an account key), in a copy
// of `module`. Existing claims sections are removed first, so re-signing replaces them.
Expected<std::vector<uint8_t>> sign_module(std::span<const uint8_t> module, const KeyPair& issuer,
                                           const PublicKey& subject, const SignOptions& options);

// The module's token section, if any: exactly one `jwt` or `wasmcloud_jwt` section may exist.
struct EmbeddedToken {
  std::string section;
  std::string token;
  size_t offset = 0;  // of the section in the file
};
Expected<std::optional<EmbeddedToken>> find_token(std::span<const uint8_t> module);

// Decodes the module's claims without verifying anything (for `isola claims inspect`).
// Errors: no token, malformed token, claims of the wrong types.
Expected<Claims> read_claims(std::span<const uint8_t> module);

// True if the module carries a `jwt` or `wasmcloud_jwt` section (whether valid or not).
bool has_claims(std::span<const uint8_t> module);

// "2024-05-01T12:00:00Z".
std::string format_time(int64_t seconds_since_epoch);

}  // namespace isola::host::claims
