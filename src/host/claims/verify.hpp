// The checks a module's claims must pass before it may run (issue 6, ACTOR-ABI.md §4.5):
// one token section; header alg Ed25519 and typ jwt; issuer an account key and subject a
// module key; the signature valid over the token as written; the hash equal to the
// module's (whatever the revision); not expired, not before nbf. Each failure names the
// module, the check and why.
#pragma once

#include <chrono>
#include <span>
#include <string>
#include <string_view>

#include "host/claims/claims.hpp"
#include "isola/engine.hpp"

namespace isola::host::claims {

struct VerifyOptions {
  std::chrono::system_clock::time_point now = std::chrono::system_clock::now();
};

// Finds the token (jwt or wasmcloud_jwt section), checks every rule and returns the claims,
// or an error such as "counter.wasm: claims hash mismatch: module hashes to 4B4B…, token
// says 9F1C…".
Expected<Claims> verify_module(std::span<const uint8_t> module, std::string_view module_name,
                               const VerifyOptions& options = {});

// The same checks for claims already read by read_claims (only its `token` and `section`
// are used: every other field is read again from the token).
Expected<Claims> verify_claims(Claims claims, std::span<const uint8_t> module, std::string_view module_name,
                               const VerifyOptions& options = {});

// Whether the claims let the actor call `contract` (a capability id, or an actor's key or
// call alias): it must be in caps, or be the actor's own subject (§2.2).
bool may_call(const Claims& claims, std::string_view contract);

// waSCC's refusal text (§2.2):
// "Actor <pk> attempted to call <op> on <ns>,<binding> - PERMISSION DENIED."
std::string permission_denied_message(std::string_view actor, std::string_view operation,
                                      std::string_view contract, std::string_view binding);

}  // namespace isola::host::claims
