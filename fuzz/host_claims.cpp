// fuzz_claims: signed-actor claims as they reach the host inside module files.
//
// Input: one selector byte (claims_operations() in order, modulo their number), then:
//   token        a JWT: decode_token; a decoded token has exactly three segments, each in
//                canonical base64url (re-encoding gives the same text), and its signing input
//                is the first two as written. Then verification against a fixed module, both
//                with verify_claims and embedded in the module through verify_module, which
//                must agree word for word; a token that passes has an account issuer, a
//                module subject, a valid signature, the module's hash and a valid time.
//   public_key   PublicKey::decode: an accepted key re-encodes to the same text and starts
//   seed         with its type's letter; KeyPair::from_seed: an accepted seed re-encodes to
//                itself and signs what its public key verifies. An error never quotes a
//                key (or a seed) whole.
//   base64       base64url and base32: what decodes re-encodes to the same text, and every
//                byte string survives encode + decode; CRC-16/XMODEM of the bytes followed by
//                their checksum is 0.
//   revocation   parse_revocation_list: entries are non-empty, trimmed, one line each, and
//                parse again to the same set; a Policy revoking them refuses claims naming
//                any of them and admits others; trusted issuers are accepted exactly when
//                they are account keys.
//   module       module bytes through the custom-section functions of isola/engine.hpp and
//                the claims functions: section ranges are ordered and in bounds; removing,
//                appending and normalising keep every other section byte for byte; the module
//                hash ignores token sections; find_token/has_claims agree with the section
//                list; signing the module with a fixed key gives a module that verifies.
//   claims_json  from_claims_json: accepted claims survive to_claims_json + from_claims_json
//                unchanged; signed with the fixed key (issuer, subject and hash set to match),
//                they verify exactly when exp and nbf allow.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>

#include "host/claims/base32.hpp"
#include "host/claims/claims.hpp"
#include "host/claims/crc16.hpp"
#include "host/claims/jwt.hpp"
#include "host/claims/nkeys.hpp"
#include "host/claims/policy.hpp"
#include "host/claims/verify.hpp"
#include "host_harness.hpp"
#include "isola/engine.hpp"

namespace isola::fuzz {

std::vector<uint8_t> claims_fixed_module() {
  // A type section with () -> () and a custom section "note" holding "isola".
  return {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x04, 0x01, 0x60, 0x00, 0x00,
          0x00, 0x0a, 0x04, 'n',  'o',  't',  'e',  'i',  's',  'o',  'l',  'a'};
}

namespace {

using namespace isola::host::claims;
using Bytes = std::span<const uint8_t>;

Bytes as_bytes(std::string_view s) { return {reinterpret_cast<const uint8_t*>(s.data()), s.size()}; }
std::string_view as_text(Bytes b) { return {reinterpret_cast<const char*>(b.data()), b.size()}; }

VerifyOptions at_fixed_time() {
  VerifyOptions o;
  o.now = std::chrono::system_clock::time_point(std::chrono::seconds(kClaimsNow));
  return o;
}

// A key from a fixed seed, so that runs are reproducible.
KeyPair fixed_key(KeyType type, uint8_t fill) {
  auto t = static_cast<uint8_t>(type);
  std::vector<uint8_t> raw{static_cast<uint8_t>(0x90 | (t >> 5)), static_cast<uint8_t>((t & 0x1f) << 3)};
  for (int i = 0; i < 32; ++i) raw.push_back(static_cast<uint8_t>(fill + i * 7));
  uint16_t crc = crc16_xmodem(raw);
  raw.push_back(static_cast<uint8_t>(crc & 0xff));
  raw.push_back(static_cast<uint8_t>(crc >> 8));
  auto k = KeyPair::from_seed(base32_encode(raw));
  ISOLA_FUZZ_CHECK(k.ok());
  return *k;
}

const KeyPair& account_key() {
  static const KeyPair k = fixed_key(KeyType::Account, 1);
  return k;
}
const KeyPair& module_key() {
  static const KeyPair k = fixed_key(KeyType::Module, 2);
  return k;
}

bool same_claims(const Claims& a, const Claims& b) {
  return a.issuer == b.issuer && a.subject == b.subject && a.name == b.name && a.jti == b.jti && a.hash == b.hash &&
         a.caps == b.caps && a.tags == b.tags && a.iat == b.iat && a.exp == b.exp && a.nbf == b.nbf && a.rev == b.rev &&
         a.ver == b.ver && a.call_alias == b.call_alias && a.provider == b.provider &&
         a.wascap_revision == b.wascap_revision;
}

// Accepted claims survive being written and read again.
void check_claims_round_trip(const Claims& c) {
  auto again = from_claims_json(to_claims_json(c));
  ISOLA_FUZZ_CHECK(again.ok() && same_claims(*again, c));
}

// What a successful verification promises.
void check_verified(const Claims& c, Bytes module) {
  auto issuer = PublicKey::decode(c.issuer);
  auto subject = PublicKey::decode(c.subject);
  ISOLA_FUZZ_CHECK(issuer.ok() && issuer->type() == KeyType::Account);
  ISOLA_FUZZ_CHECK(subject.ok() && subject->type() == KeyType::Module);
  auto token = decode_token(c.token);
  ISOLA_FUZZ_CHECK(token.ok());
  ISOLA_FUZZ_CHECK(issuer->verify(as_bytes(token->signing_input), token->signature));
  auto hash = module_hash(module);
  auto normalized = module_hash_normalized(module);
  ISOLA_FUZZ_CHECK((hash.ok() && *hash == c.hash) || (normalized.ok() && *normalized == c.hash));
  ISOLA_FUZZ_CHECK(!c.exp || *c.exp >= kClaimsNow);
  ISOLA_FUZZ_CHECK(!c.nbf || *c.nbf <= kClaimsNow);
  ISOLA_FUZZ_CHECK(c.section == kJwtSection || c.section == kWasmcloudJwtSection);
}

void fuzz_token(Bytes in) {
  std::string_view t = as_text(in);
  auto d = decode_token(t);
  if (d) {
    size_t a = t.find('.'), b = t.find('.', a + 1);
    ISOLA_FUZZ_CHECK(a != std::string_view::npos && b != std::string_view::npos);
    ISOLA_FUZZ_CHECK(t.find('.', b + 1) == std::string_view::npos);
    ISOLA_FUZZ_CHECK(d->signing_input == t.substr(0, b));
    for (std::string_view seg : {t.substr(0, a), t.substr(a + 1, b - a - 1), t.substr(b + 1)}) {
      auto bytes = base64url_decode(seg);
      ISOLA_FUZZ_CHECK(bytes.has_value() && base64url_encode(*bytes) == seg);
    }
    auto sig = base64url_decode(t.substr(b + 1));
    ISOLA_FUZZ_CHECK(sig && std::equal(sig->begin(), sig->end(), d->signature.begin(), d->signature.end()));
    ISOLA_FUZZ_CHECK(d->header.is_object() && d->claims.is_object());
    if (auto c = from_claims_json(d->claims.dump())) check_claims_round_trip(*c);
  } else {
    ISOLA_FUZZ_CHECK(!d.error().message.empty());
  }

  // Against the fixed module: the token given as read, and the token embedded.
  auto module = claims_fixed_module();
  Claims given;
  given.section = std::string(kJwtSection);
  given.token = std::string(t);
  auto direct = verify_claims(given, module, "fuzz.wasm", at_fixed_time());
  if (direct) {
    ISOLA_FUZZ_CHECK(d.ok() && direct->token == t);
    check_verified(*direct, module);
  }
  auto embedded = append_custom_section(module, kJwtSection, in);
  ISOLA_FUZZ_CHECK(embedded.ok());
  auto via_module = verify_module(*embedded, "fuzz.wasm", at_fixed_time());
  if (verbose()) std::fprintf(stderr, "token: %s\n", direct ? "verifies" : direct.error().message.c_str());
  ISOLA_FUZZ_CHECK(via_module.ok() == direct.ok());
  if (direct) ISOLA_FUZZ_CHECK(same_claims(*via_module, *direct) && via_module->token == direct->token);
  else ISOLA_FUZZ_CHECK(via_module.error().message == direct.error().message);
}

// Whether an error message could be quoting `text` whole: only checked for base32-looking
// text, which the fixed words of the messages (lower case) cannot contain by chance.
bool quotes_whole(const std::string& message, std::string_view text) {
  if (text.size() <= 8) return false;
  for (char c : text)
    if (!((c >= 'A' && c <= 'Z') || (c >= '2' && c <= '7'))) return false;
  return message.find(text) != std::string::npos;
}

void fuzz_public_key(Bytes in) {
  std::string_view t = as_text(in);
  auto k = PublicKey::decode(t);
  if (!k) {
    ISOLA_FUZZ_CHECK(!k.error().message.empty() && !quotes_whole(k.error().message, t));
    return;
  }
  ISOLA_FUZZ_CHECK(t.size() == 56 && k->encoded() == t && t[0] == key_type_letter(k->type()));
  ISOLA_FUZZ_CHECK(PublicKey::from_raw(k->type(), k->raw()).encoded() == t);
  ISOLA_FUZZ_CHECK(key_type_from_name(to_string(k->type())) == k->type());
}

void fuzz_seed(Bytes in) {
  std::string_view t = as_text(in);
  auto k = KeyPair::from_seed(t);
  if (!k) {
    ISOLA_FUZZ_CHECK(!k.error().message.empty() && !quotes_whole(k.error().message, t));
    return;
  }
  ISOLA_FUZZ_CHECK(t.size() == 58 && k->seed() == t && k->type() != KeyType::Curve);
  ISOLA_FUZZ_CHECK(k->public_key().type() == k->type());
  auto pk = PublicKey::decode(k->public_key().encoded());
  ISOLA_FUZZ_CHECK(pk.ok() && pk->raw() == k->public_key().raw());
  auto sig = k->sign(in);
  ISOLA_FUZZ_CHECK(k->public_key().verify(in, sig));
  sig[in.size() % sig.size()] ^= 1;
  ISOLA_FUZZ_CHECK(!k->public_key().verify(in, sig));
}

void fuzz_base64(Bytes in) {
  std::string_view t = as_text(in);
  if (auto d = base64url_decode(t)) ISOLA_FUZZ_CHECK(base64url_encode(*d) == t);
  auto b64 = base64url_decode(base64url_encode(in));
  ISOLA_FUZZ_CHECK(b64 && std::equal(b64->begin(), b64->end(), in.begin(), in.end()));
  if (auto d = base32_decode(t)) ISOLA_FUZZ_CHECK(base32_encode(*d) == t);
  auto b32 = base32_decode(base32_encode(in));
  ISOLA_FUZZ_CHECK(b32 && std::equal(b32->begin(), b32->end(), in.begin(), in.end()));
  // A CRC without reflection or final XOR leaves 0 over the data followed by its CRC
  // (most significant byte first).
  std::vector<uint8_t> with_crc(in.begin(), in.end());
  uint16_t crc = crc16_xmodem(in);
  with_crc.push_back(static_cast<uint8_t>(crc >> 8));
  with_crc.push_back(static_cast<uint8_t>(crc & 0xff));
  ISOLA_FUZZ_CHECK(crc16_xmodem(with_crc) == 0);
}

void fuzz_revocation(Bytes in) {
  std::string_view text = as_text(in);
  auto entries = parse_revocation_list(text);
  std::string joined;
  for (const auto& e : entries) {
    ISOLA_FUZZ_CHECK(!e.empty() && e.find('\n') == std::string::npos);
    for (char edge : {e.front(), e.back()}) ISOLA_FUZZ_CHECK(edge != ' ' && edge != '\t' && edge != '\r');
    ISOLA_FUZZ_CHECK(e.find(" #") == std::string::npos && e.find("\t#") == std::string::npos);
    joined.append(e).push_back('\n');
  }
  ISOLA_FUZZ_CHECK(parse_revocation_list(joined) == entries);

  // Inline revocations: claims naming an entry (as jti, subject or issuer) are refused,
  // claims naming none of them are admitted.
  PolicyConfig cfg;
  cfg.revoked.assign(entries.begin(), entries.end());
  if (cfg.revoked.size() > 8) cfg.revoked.resize(8);
  auto policy = Policy::create(cfg);
  ISOLA_FUZZ_CHECK(policy.ok());
  Claims clean;
  clean.issuer = clean.subject = clean.jti = "\n";  // no entry holds a newline
  ISOLA_FUZZ_CHECK(policy->admit(clean, "fuzz.wasm").ok());
  for (const auto& e : cfg.revoked) {
    Claims c = clean;
    c.jti = e;
    ISOLA_FUZZ_CHECK(!policy->admit(c, "fuzz.wasm").ok());
    c = clean;
    c.subject = e;
    ISOLA_FUZZ_CHECK(!policy->admit(c, "fuzz.wasm").ok());
    c = clean;
    c.issuer = e;
    ISOLA_FUZZ_CHECK(!policy->admit(c, "fuzz.wasm").ok());
  }

  // The same entries as trusted issuers: accepted exactly when every one is an account key.
  PolicyConfig trust;
  trust.trusted_issuers.assign(entries.begin(), entries.end());
  if (trust.trusted_issuers.size() > 4) trust.trusted_issuers.resize(4);
  bool all_accounts = std::all_of(trust.trusted_issuers.begin(), trust.trusted_issuers.end(), [](const std::string& k) {
    auto pk = PublicKey::decode(k);
    return pk.ok() && pk->type() == KeyType::Account;
  });
  auto trusting = Policy::create(trust);
  ISOLA_FUZZ_CHECK(trusting.ok() == all_accounts);
  if (trusting && !trust.trusted_issuers.empty()) {
    Claims c = clean;
    c.issuer = trust.trusted_issuers.back();
    ISOLA_FUZZ_CHECK(trusting->admit(c, "fuzz.wasm").ok());
    ISOLA_FUZZ_CHECK(!trusting->admit(clean, "fuzz.wasm").ok());
  }
}

// The custom sections as (name, payload) pairs.
std::vector<std::pair<std::string, std::string>> sections_of(Bytes module) {
  auto list = list_custom_sections(module);
  ISOLA_FUZZ_CHECK(list.ok());
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& s : *list) out.emplace_back(s.name, std::string(as_text(module.subspan(s.payload_begin, s.end - s.payload_begin))));
  return out;
}

void fuzz_module(Bytes in) {
  if (in.empty()) return;
  const uint8_t flags = in[0];
  Bytes m = in.subspan(1);
  auto list = list_custom_sections(m);
  if (!list) {
    // Every function checks the same framing, so all of them refuse the file.
    ISOLA_FUZZ_CHECK(!list.error().message.empty());
    ISOLA_FUZZ_CHECK(!remove_custom_sections(m, kJwtSection).ok());
    ISOLA_FUZZ_CHECK(!append_custom_section(m, "x", {}).ok());
    ISOLA_FUZZ_CHECK(!normalize_section_sizes(m).ok());
    ISOLA_FUZZ_CHECK(!module_hash(m).ok() && !module_hash_normalized(m).ok());
    ISOLA_FUZZ_CHECK(!find_token(m).ok() && !read_claims(m).ok() && !has_claims(m));
    ISOLA_FUZZ_CHECK(!verify_module(m, "fuzz.wasm", at_fixed_time()).ok());
    return;
  }

  // Ranges: in bounds, in file order, not overlapping.
  size_t prev_end = 8, tokens = 0;
  for (const auto& s : *list) {
    ISOLA_FUZZ_CHECK(s.begin >= prev_end && s.begin < s.payload_begin && s.payload_begin <= s.end && s.end <= m.size());
    ISOLA_FUZZ_CHECK(m[s.begin] == 0);
    prev_end = s.end;
    tokens += s.name == kJwtSection || s.name == kWasmcloudJwtSection;
  }
  auto sections = sections_of(m);

  // Removing: exactly the named sections go, and their bytes.
  std::vector<std::string> names{std::string(kJwtSection)};
  if (!list->empty()) names.push_back(list->front().name);
  for (const auto& name : names) {
    auto removed = remove_custom_sections(m, name);
    ISOLA_FUZZ_CHECK(removed.ok());
    auto expected = sections;
    std::erase_if(expected, [&](const auto& s) { return s.first == name; });
    ISOLA_FUZZ_CHECK(sections_of(*removed) == expected);
    size_t gone = 0;
    for (const auto& s : *list)
      if (s.name == name) gone += s.end - s.begin;
    ISOLA_FUZZ_CHECK(removed->size() + gone == m.size());
  }

  // Appending: the file as it was, then the new section.
  std::string name = std::string(flags & 1 ? kJwtSection : "fuzz") + std::string(flags >> 6, 'x');
  Bytes payload = m.subspan(0, std::min<size_t>(m.size(), flags & 0x3e));
  auto appended = append_custom_section(m, name, payload);
  ISOLA_FUZZ_CHECK(appended.ok() && appended->size() > m.size() && std::equal(m.begin(), m.end(), appended->begin()));
  auto expected = sections;
  expected.emplace_back(name, std::string(as_text(payload)));
  ISOLA_FUZZ_CHECK(sections_of(*appended) == expected);

  // Normalising: a fixed point, no larger, every custom section kept.
  auto normal = normalize_section_sizes(m);
  ISOLA_FUZZ_CHECK(normal.ok() && normal->size() <= m.size());
  auto twice = normalize_section_sizes(*normal);
  ISOLA_FUZZ_CHECK(twice.ok() && *twice == *normal);
  ISOLA_FUZZ_CHECK(sections_of(*normal) == sections);

  // The hash ignores token sections, whatever they hold.
  auto hash = module_hash(m);
  ISOLA_FUZZ_CHECK(hash.ok() && hash->size() == 64);
  auto stripped = remove_custom_sections(*remove_custom_sections(m, kJwtSection), kWasmcloudJwtSection);
  ISOLA_FUZZ_CHECK(stripped.ok() && module_hash(*stripped).value() == *hash);
  auto with_token = append_custom_section(m, kWasmcloudJwtSection, payload);
  ISOLA_FUZZ_CHECK(with_token.ok() && module_hash(*with_token).value() == *hash);
  auto hash_normalized = module_hash_normalized(m);
  ISOLA_FUZZ_CHECK(hash_normalized.ok() && *hash_normalized == module_hash(*normal).value());

  // Finding the token agrees with the section list.
  ISOLA_FUZZ_CHECK(has_claims(m) == (tokens > 0));
  auto found = find_token(m);
  if (tokens == 0) ISOLA_FUZZ_CHECK(found.ok() && !found->has_value());
  if (tokens >= 2) ISOLA_FUZZ_CHECK(!found.ok());
  if (found && found->has_value()) {
    ISOLA_FUZZ_CHECK(tokens == 1);
    for (const auto& [n, p] : sections)
      if (n == (*found)->section) ISOLA_FUZZ_CHECK(p == (*found)->token);
  }
  auto claims = read_claims(m);
  if (claims) ISOLA_FUZZ_CHECK(found.ok() && found->has_value() && claims->token == (*found)->token);
  auto verified = verify_module(m, "fuzz.wasm", at_fixed_time());
  if (verbose()) std::fprintf(stderr, "module: %s\n", verified ? "verifies" : verified.error().message.c_str());
  if (verified) check_verified(*verified, m);

  // Signing (replacing any claims) gives a module that verifies, with the hash of the
  // module as given.
  SignOptions so;
  so.now = std::chrono::system_clock::time_point(std::chrono::seconds(kClaimsNow - 60));
  so.jti = "fuzz";
  so.name = "fuzzed";
  so.caps = {"wascc:keyvalue"};
  so.section = flags & 2 ? kWasmcloudJwtSection : kJwtSection;
  auto signed_module = sign_module(m, account_key(), module_key().public_key(), so);
  ISOLA_FUZZ_CHECK(signed_module.ok());
  auto ok = verify_module(*signed_module, "fuzz.wasm", at_fixed_time());
  ISOLA_FUZZ_CHECK(ok.ok());
  ISOLA_FUZZ_CHECK(ok->subject == module_key().public_key().encoded() && ok->issuer == account_key().public_key().encoded());
  ISOLA_FUZZ_CHECK(ok->hash == *hash && ok->section == so.section && ok->caps == so.caps);
  ISOLA_FUZZ_CHECK(module_hash(*signed_module).value() == *hash);
}

void fuzz_claims_json(Bytes in) {
  auto c = from_claims_json(as_text(in));
  if (!c) {
    ISOLA_FUZZ_CHECK(!c.error().message.empty());
    return;
  }
  check_claims_round_trip(*c);

  // Signed for real over the fixed module, the claims verify exactly when their times allow.
  auto module = claims_fixed_module();
  Claims s = *c;
  s.issuer = account_key().public_key().encoded();
  s.subject = module_key().public_key().encoded();
  s.hash = module_hash(module).value();
  std::string token = sign_token(to_claims_json(s), account_key());
  if (token.size() > kMaxTokenBytes) return;
  auto embedded = append_custom_section(module, kJwtSection, as_bytes(token));
  ISOLA_FUZZ_CHECK(embedded.ok());
  auto v = verify_module(*embedded, "fuzz.wasm", at_fixed_time());
  if (verbose()) std::fprintf(stderr, "claims_json: %s\n", v ? "verifies" : v.error().message.c_str());
  bool in_time = (!s.exp || *s.exp >= kClaimsNow) && (!s.nbf || *s.nbf <= kClaimsNow);
  ISOLA_FUZZ_CHECK(v.ok() == in_time);
  if (v) {
    ISOLA_FUZZ_CHECK(same_claims(*v, s) && v->token == token);
    check_verified(*v, module);
  }
}

struct Operation {
  const char* name;
  void (*run)(Bytes);
};

constexpr Operation kOperations[] = {
    {"token", fuzz_token},           {"public_key", fuzz_public_key}, {"seed", fuzz_seed},
    {"base64", fuzz_base64},         {"revocation", fuzz_revocation}, {"module", fuzz_module},
    {"claims_json", fuzz_claims_json},
};
constexpr size_t kCount = sizeof kOperations / sizeof kOperations[0];

}  // namespace

int fuzz_claims(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  kOperations[data[0] % kCount].run(Bytes(data + 1, size - 1));
  return 0;
}

uint8_t claims_selector(std::string_view name) {
  for (size_t i = 0; i < kCount; ++i)
    if (kOperations[i].name == name) return static_cast<uint8_t>(i);
  throw std::out_of_range("fuzz_claims: no operation " + std::string(name));
}

std::vector<std::string> claims_operations() {
  std::vector<std::string> names;
  for (const auto& op : kOperations) names.emplace_back(op.name);
  return names;
}

}  // namespace isola::fuzz
