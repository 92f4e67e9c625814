#include "host/claims/claims.hpp"

#include <sodium.h>

#include <ctime>
#include <limits>

#include <nlohmann/json.hpp>

#include "host/claims/jwt.hpp"

namespace isola::host::claims {
namespace {

using ojson = nlohmann::ordered_json;
using json = nlohmann::json;

std::string sha256_hex_upper(std::span<const uint8_t> bytes) {
  std::array<uint8_t, crypto_hash_sha256_BYTES> digest;
  crypto_hash_sha256(digest.data(), bytes.data(), bytes.size());
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(digest.size() * 2);
  for (uint8_t b : digest) {
    out.push_back(kHex[b >> 4]);
    out.push_back(kHex[b & 15]);
  }
  return out;
}

// The module with both token sections cut out.
Expected<std::vector<uint8_t>> without_tokens(std::span<const uint8_t> module) {
  auto a = remove_custom_sections(module, kJwtSection);
  if (!a) return a.error();
  return remove_custom_sections(*a, kWasmcloudJwtSection);
}

// A nuid-like id: 22 random base62 characters.
std::string random_jti() {
  static constexpr char kAlphabet[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  std::string s(22, '0');
  for (char& c : s) c = kAlphabet[randombytes_uniform(62)];
  return s;
}

Error type_error(const char* key, const char* want) {
  return Error{std::string("claims key '") + key + "' is not " + want};
}

// Reads optional key `key` of `obj` into `out` when present; false (with `err`) on a type error.
bool get_string(const json& obj, const char* key, std::optional<std::string>& out, Error& err) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return true;
  if (!it->is_string()) {
    err = type_error(key, "a string");
    return false;
  }
  out = it->get<std::string>();
  return true;
}

bool get_time(const json& obj, const char* key, std::optional<int64_t>& out, Error& err) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return true;
  if (it->is_number_unsigned() && it->get<uint64_t>() <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
    out = static_cast<int64_t>(it->get<uint64_t>());
    return true;
  }
  err = type_error(key, "a non-negative integer (seconds since the epoch)");
  return false;
}

bool get_strings(const json& obj, const char* key, std::vector<std::string>& out, Error& err) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return true;
  if (!it->is_array()) {
    err = type_error(key, "an array of strings");
    return false;
  }
  for (const auto& v : *it) {
    if (!v.is_string()) {
      err = type_error(key, "an array of strings");
      return false;
    }
    out.push_back(v.get<std::string>());
  }
  return true;
}

}  // namespace

std::string to_claims_json(const Claims& c) {
  ojson j;
  if (c.exp) j["exp"] = *c.exp;
  j["jti"] = c.jti;
  if (c.iat) j["iat"] = *c.iat;
  j["iss"] = c.issuer;
  j["sub"] = c.subject;
  if (c.nbf) j["nbf"] = *c.nbf;
  ojson w;
  if (!c.name.empty()) w["name"] = c.name;
  w["hash"] = c.hash;
  w["tags"] = c.tags;
  w["caps"] = c.caps;
  if (c.rev) w["rev"] = *c.rev;
  if (c.ver) w["ver"] = *c.ver;
  if (c.call_alias) w["call_alias"] = *c.call_alias;
  w["prov"] = c.provider;
  j["wascap"] = std::move(w);
  if (c.wascap_revision) j["wascap_revision"] = *c.wascap_revision;
  return j.dump();
}

Expected<Claims> from_claims_json(std::string_view text) {
  auto j = json::parse(text.begin(), text.end(), nullptr, false);
  if (j.is_discarded() || !j.is_object()) return Error{"claims are not a JSON object"};
  Claims c;
  Error err;
  std::optional<std::string> s;
  if (!get_string(j, "iss", s, err)) return err;
  if (!s) return Error{"claims have no 'iss' (issuer)"};
  c.issuer = *s;
  s.reset();
  if (!get_string(j, "sub", s, err)) return err;
  if (!s) return Error{"claims have no 'sub' (subject)"};
  c.subject = *s;
  s.reset();
  if (!get_string(j, "jti", s, err)) return err;
  c.jti = s.value_or("");
  if (!get_time(j, "iat", c.iat, err) || !get_time(j, "exp", c.exp, err) || !get_time(j, "nbf", c.nbf, err))
    return err;
  if (auto it = j.find("wascap_revision"); it != j.end() && !it->is_null()) {
    if (!it->is_number_unsigned() || it->get<uint64_t>() > UINT32_MAX) return type_error("wascap_revision", "a u32");
    c.wascap_revision = static_cast<uint32_t>(it->get<uint64_t>());
  }
  auto w = j.find("wascap");
  if (w == j.end() || !w->is_object()) return Error{"claims have no 'wascap' object (not actor claims)"};
  s.reset();
  if (!get_string(*w, "name", s, err)) return err;
  c.name = s.value_or("");
  s.reset();
  if (!get_string(*w, "hash", s, err)) return err;
  if (!s) return Error{"claims have no 'wascap.hash' (module hash)"};
  c.hash = *s;
  if (!get_strings(*w, "tags", c.tags, err) || !get_strings(*w, "caps", c.caps, err)) return err;
  if (auto it = w->find("rev"); it != w->end() && !it->is_null()) {
    if (!it->is_number_integer()) return type_error("rev", "an integer");
    int64_t v = it->get<int64_t>();
    if (it->is_number_unsigned() && it->get<uint64_t>() > static_cast<uint64_t>(INT32_MAX))
      return type_error("rev", "an i32");
    if (v < INT32_MIN || v > INT32_MAX) return type_error("rev", "an i32");
    c.rev = static_cast<int32_t>(v);
  }
  if (!get_string(*w, "ver", c.ver, err) || !get_string(*w, "call_alias", c.call_alias, err)) return err;
  if (auto it = w->find("prov"); it != w->end() && !it->is_null()) {
    if (!it->is_boolean()) return type_error("prov", "a boolean");
    c.provider = it->get<bool>();
  }
  return c;
}

Expected<std::string> module_hash(std::span<const uint8_t> module) {
  if (!sodium_ready()) return Error{"libsodium failed to initialise"};
  auto base = without_tokens(module);
  if (!base) return base.error();
  return sha256_hex_upper(*base);
}

Expected<std::string> module_hash_normalized(std::span<const uint8_t> module) {
  if (!sodium_ready()) return Error{"libsodium failed to initialise"};
  auto base = without_tokens(module);
  if (!base) return base.error();
  auto normal = normalize_section_sizes(*base);
  if (!normal) return normal.error();
  return sha256_hex_upper(*normal);
}

Expected<std::vector<uint8_t>> sign_module(std::span<const uint8_t> module, const KeyPair& issuer,
                                           const PublicKey& subject, const SignOptions& o) {
  if (issuer.type() != KeyType::Account)
    return Error{"the issuer must be an account key (A…), not " + a_key_type(issuer.type()) + " key"};
  if (subject.type() != KeyType::Module)
    return Error{"the subject must be a module key (M…), not " + a_key_type(subject.type()) + " key"};
  if (o.section != kJwtSection && o.section != kWasmcloudJwtSection)
    return Error{"claims section must be 'jwt' or 'wasmcloud_jwt', not '" + std::string(o.section) + "'"};
  if (!sodium_ready()) return Error{"libsodium failed to initialise"};
  auto base = without_tokens(module);
  if (!base) return base.error();

  Claims c;
  c.issuer = issuer.public_key().encoded();
  c.subject = subject.encoded();
  c.name = o.name;
  c.jti = o.jti.empty() ? random_jti() : o.jti;
  c.hash = sha256_hex_upper(*base);
  c.caps = o.caps;
  c.tags = o.tags;
  int64_t now = std::chrono::duration_cast<std::chrono::seconds>(o.now.time_since_epoch()).count();
  c.iat = now;
  if (o.expires_in) c.exp = now + o.expires_in->count();
  if (o.not_before_in) c.nbf = now + o.not_before_in->count();
  c.rev = o.rev;
  c.ver = o.ver;
  c.call_alias = o.call_alias;
  c.provider = o.provider;
  if (o.section == kWasmcloudJwtSection) {
    // wascap >= 0.10 hosts check the hash only when wascap_revision says the token was made
    // their way (shortest section sizes). Claim that only when it is true of this module.
    auto normal = normalize_section_sizes(*base);
    if (normal && *normal == *base) c.wascap_revision = 3;
  }
  std::string token = sign_token(to_claims_json(c), issuer);
  return append_custom_section(*base, o.section,
                               std::span(reinterpret_cast<const uint8_t*>(token.data()), token.size()));
}

Expected<std::optional<EmbeddedToken>> find_token(std::span<const uint8_t> module) {
  auto customs = list_custom_sections(module);
  if (!customs) return customs.error();
  std::optional<EmbeddedToken> found;
  for (const auto& s : *customs) {
    if (s.name != kJwtSection && s.name != kWasmcloudJwtSection) continue;
    if (found) {
      char buf[160];
      std::snprintf(buf, sizeof buf, "more than one claims section ('%s' at byte 0x%zx, '%s' at byte 0x%zx)",
                    found->section.c_str(), found->offset, s.name.c_str(), s.begin);
      return Error{buf};
    }
    size_t len = s.end - s.payload_begin;
    if (len > kMaxTokenBytes)
      return Error{"claims section '" + s.name + "' is " + std::to_string(len) + " bytes, more than the limit of " +
                   std::to_string(kMaxTokenBytes)};
    found = EmbeddedToken{s.name, std::string(module.begin() + static_cast<ptrdiff_t>(s.payload_begin),
                                              module.begin() + static_cast<ptrdiff_t>(s.end)),
                          s.begin};
  }
  return found;
}

Expected<Claims> read_claims(std::span<const uint8_t> module) {
  auto found = find_token(module);
  if (!found) return found.error();
  if (!*found) return Error{"no claims: the module has no jwt or wasmcloud_jwt section (unsigned)"};
  auto token = decode_token((*found)->token);
  if (!token) return Error{"claims token malformed: " + token.error().message};
  auto c = from_claims_json(token->claims.dump());
  if (!c) return Error{"claims malformed: " + c.error().message};
  c->section = (*found)->section;
  c->token = std::move((*found)->token);
  return c;
}

bool has_claims(std::span<const uint8_t> module) {
  auto customs = list_custom_sections(module);
  if (!customs) return false;
  for (const auto& s : *customs)
    if (s.name == kJwtSection || s.name == kWasmcloudJwtSection) return true;
  return false;
}

std::string format_time(int64_t t) {
  std::time_t tt = static_cast<std::time_t>(t);
  std::tm tm{};
  if (!gmtime_r(&tt, &tm)) return std::to_string(t);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

}  // namespace isola::host::claims
