#include "host/claims/verify.hpp"

#include <algorithm>

#include "host/claims/jwt.hpp"
#include "host/claims/nkeys.hpp"

namespace isola::host::claims {
namespace {

Error fail(std::string_view module_name, const std::string& what) {
  return Error{std::string(module_name) + ": " + what};
}

std::string header_field(const nlohmann::json& header, const char* key) {
  auto it = header.find(key);
  if (it == header.end()) return "missing";
  if (!it->is_string()) return "not a string";
  std::string s = "'";  // appended: GCC 12 warns falsely (-Wrestrict) about "'" + string
  s.append(it->get<std::string>()).append("'");
  return s;
}

}  // namespace

Expected<Claims> verify_module(std::span<const uint8_t> module, std::string_view module_name,
                               const VerifyOptions& options) {
  auto claims = read_claims(module);
  if (!claims) return fail(module_name, claims.error().message);
  return verify_claims(std::move(*claims), module, module_name, options);
}

Expected<Claims> verify_claims(Claims given, std::span<const uint8_t> module, std::string_view module_name,
                               const VerifyOptions& options) {
  auto token = decode_token(given.token);
  if (!token) return fail(module_name, "claims token malformed: " + token.error().message);
  // Every field is taken from the token itself, never from what the caller filled in.
  auto parsed = from_claims_json(token->claims.dump());
  if (!parsed) return fail(module_name, "claims malformed: " + parsed.error().message);
  Claims c = std::move(*parsed);
  c.section = std::move(given.section);
  c.token = std::move(given.token);

  // Header: only Ed25519 JWTs exist in this world; anything else is a forgery or a mistake.
  const auto& h = token->header;
  if (auto alg = h.find("alg"); alg == h.end() || !alg->is_string() || *alg != "Ed25519")
    return fail(module_name, "claims header: alg is " + header_field(h, "alg") + ", expected 'Ed25519'");
  if (auto typ = h.find("typ"); typ == h.end() || !typ->is_string() || *typ != "jwt")
    return fail(module_name, "claims header: typ is " + header_field(h, "typ") + ", expected 'jwt'");

  // Key types before the signature, so a module key posing as an issuer is named as such.
  auto issuer = PublicKey::decode(c.issuer);
  if (!issuer) return fail(module_name, "claims issuer invalid: " + issuer.error().message);
  if (issuer->type() != KeyType::Account)
    return fail(module_name, "claims issuer " + c.issuer + " is " + a_key_type(issuer->type()) +
                                 " key, expected an account key (A…)");
  auto subject = PublicKey::decode(c.subject);
  if (!subject) return fail(module_name, "claims subject invalid: " + subject.error().message);
  if (subject->type() != KeyType::Module)
    return fail(module_name, "claims subject " + c.subject + " is " + a_key_type(subject->type()) +
                                 " key, expected a module key (M…)");

  const auto& input = token->signing_input;
  if (!issuer->verify(std::span(reinterpret_cast<const uint8_t*>(input.data()), input.size()), token->signature))
    return fail(module_name, "claims signature invalid: the token was not signed by its issuer " + c.issuer +
                                 " (or was altered after signing)");

  // The hash is checked whatever wascap_revision says: a token must pin its module.
  auto hash = module_hash(module);
  if (!hash) return fail(module_name, hash.error().message);
  if (*hash != c.hash) {
    // Modules signed by wascap >= 0.10 carry the hash of the module with its section sizes
    // re-encoded in the fewest bytes.
    auto normalized = module_hash_normalized(module);
    if (!normalized || *normalized != c.hash)
      return fail(module_name, "claims hash mismatch: module hashes to " + *hash + ", token says " + c.hash);
  }

  int64_t now = std::chrono::duration_cast<std::chrono::seconds>(options.now.time_since_epoch()).count();
  if (c.exp && *c.exp < now)
    return fail(module_name, "claims expired at " + format_time(*c.exp) + " (now " + format_time(now) + ")");
  if (c.nbf && now < *c.nbf)
    return fail(module_name, "claims not valid before " + format_time(*c.nbf) + " (now " + format_time(now) + ")");
  return c;
}

bool may_call(const Claims& claims, std::string_view contract) {
  if (!claims.subject.empty() && contract == claims.subject) return true;
  return std::find(claims.caps.begin(), claims.caps.end(), contract) != claims.caps.end();
}

std::string permission_denied_message(std::string_view actor, std::string_view operation,
                                      std::string_view contract, std::string_view binding) {
  std::string s = "Actor ";
  s.append(actor).append(" attempted to call ").append(operation).append(" on ").append(contract);
  s.append(",").append(binding).append(" - PERMISSION DENIED.");
  return s;
}

}  // namespace isola::host::claims
