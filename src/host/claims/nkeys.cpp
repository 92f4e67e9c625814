#include "host/claims/nkeys.hpp"

#include <sodium.h>

#include <cstdio>
#include <vector>

#include "host/claims/base32.hpp"
#include "host/claims/crc16.hpp"

namespace isola::host::claims {
namespace {

constexpr uint8_t kSeedPrefix = 144;  // 18 << 3: "S"
constexpr size_t kPublicLength = 56;  // base32 of 1 + 32 + 2 bytes
constexpr size_t kSeedLength = 58;    // base32 of 2 + 32 + 2 bytes

struct TypeInfo {
  KeyType type;
  const char* name;
  char letter;
};
constexpr TypeInfo kTypes[] = {
    {KeyType::Account, "account", 'A'},   {KeyType::Cluster, "cluster", 'C'},
    {KeyType::Module, "module", 'M'},     {KeyType::Server, "server", 'N'},
    {KeyType::Operator, "operator", 'O'}, {KeyType::User, "user", 'U'},
    {KeyType::Provider, "provider", 'V'}, {KeyType::Curve, "curve", 'X'},
};

std::optional<KeyType> type_from_prefix(uint8_t prefix) {
  for (const auto& t : kTypes)
    if (static_cast<uint8_t>(t.type) == prefix) return t.type;
  return std::nullopt;
}

// The key as the user typed it, shortened so a secret never lands whole in a log.
std::string shown(std::string_view text) {
  // Built with append: GCC 12 warns falsely (-Wrestrict) about "'" + std::string(...).
  std::string s = "'";
  s.append(text.size() <= 8 ? text : text.substr(0, 4));
  s.append(text.size() <= 8 ? "'" : "…'");
  return s;
}

void put_crc(std::vector<uint8_t>& raw) {
  uint16_t crc = crc16_xmodem(raw);
  raw.push_back(static_cast<uint8_t>(crc & 0xff));
  raw.push_back(static_cast<uint8_t>(crc >> 8));
}

bool crc_ok(const std::vector<uint8_t>& raw) {
  size_t n = raw.size() - 2;
  uint16_t want = static_cast<uint16_t>(raw[n] | (raw[n + 1] << 8));
  return crc16_xmodem(std::span(raw.data(), n)) == want;
}

}  // namespace

bool sodium_ready() {
  static const bool ok = sodium_init() >= 0;
  return ok;
}

const char* to_string(KeyType t) {
  for (const auto& i : kTypes)
    if (i.type == t) return i.name;
  return "unknown";
}

std::optional<KeyType> key_type_from_name(std::string_view name) {
  for (const auto& i : kTypes)
    if (name == i.name) return i.type;
  return std::nullopt;
}

std::string a_key_type(KeyType t) {
  bool vowel = t == KeyType::Account || t == KeyType::Operator;
  return std::string(vowel ? "an " : "a ") + to_string(t);
}

char key_type_letter(KeyType t) {
  for (const auto& i : kTypes)
    if (i.type == t) return i.letter;
  return '?';
}

PublicKey PublicKey::from_raw(KeyType type, const std::array<uint8_t, 32>& raw) {
  PublicKey k;
  k.type_ = type;
  k.raw_ = raw;
  std::vector<uint8_t> bytes;
  bytes.reserve(35);
  bytes.push_back(static_cast<uint8_t>(type));
  bytes.insert(bytes.end(), raw.begin(), raw.end());
  put_crc(bytes);
  k.encoded_ = base32_encode(bytes);
  return k;
}

Expected<PublicKey> PublicKey::decode(std::string_view text) {
  if (text.size() != kPublicLength) {
    if (text.size() == kSeedLength && !text.empty() && text[0] == 'S')
      return Error{shown(text) + ": is a seed, not a public key"};
    return Error{shown(text) + ": not a public key: " + std::to_string(text.size()) + " characters, expected 56"};
  }
  auto raw = base32_decode(text);
  if (!raw || raw->size() != 35) return Error{shown(text) + ": not a public key: invalid base32"};
  auto type = type_from_prefix((*raw)[0]);
  if (!type) {
    char buf[64];
    std::snprintf(buf, sizeof buf, ": unknown public key prefix byte %u", (*raw)[0]);
    return Error{shown(text) + buf};
  }
  if (!crc_ok(*raw)) return Error{shown(text) + ": public key checksum mismatch (mistyped or truncated?)"};
  std::array<uint8_t, 32> key;
  std::copy(raw->begin() + 1, raw->begin() + 33, key.begin());
  return from_raw(*type, key);
}

bool PublicKey::verify(std::span<const uint8_t> message, std::span<const uint8_t> signature) const {
  if (signature.size() != crypto_sign_BYTES || type_ == KeyType::Curve || !sodium_ready()) return false;
  return crypto_sign_verify_detached(signature.data(), message.data(), message.size(), raw_.data()) == 0;
}

Expected<KeyPair> KeyPair::from_raw_seed(KeyType type, const uint8_t* seed32) {
  if (!sodium_ready()) return Error{"libsodium failed to initialise"};
  if (type == KeyType::Curve) return Error{"curve (X25519) keys cannot sign"};
  KeyPair k;
  k.type_ = type;
  std::copy(seed32, seed32 + 32, k.seed_.begin());
  std::array<uint8_t, 32> pk;
  crypto_sign_seed_keypair(pk.data(), k.secret_.data(), k.seed_.data());
  k.public_ = PublicKey::from_raw(type, pk);
  return k;
}

Expected<KeyPair> KeyPair::generate(KeyType type) {
  if (!sodium_ready()) return Error{"libsodium failed to initialise"};
  std::array<uint8_t, 32> seed;
  randombytes_buf(seed.data(), seed.size());
  auto k = from_raw_seed(type, seed.data());
  sodium_memzero(seed.data(), seed.size());
  return k;
}

Expected<KeyPair> KeyPair::from_seed(std::string_view text) {
  if (text.size() != kSeedLength) {
    if (text.size() == kPublicLength) return Error{shown(text) + ": is a public key, not a seed"};
    return Error{shown(text) + ": not a seed: " + std::to_string(text.size()) + " characters, expected 58"};
  }
  auto raw = base32_decode(text);
  if (!raw || raw->size() != 36) return Error{shown(text) + ": not a seed: invalid base32"};
  if (((*raw)[0] & 0xf8) != kSeedPrefix) {
    sodium_memzero(raw->data(), raw->size());
    return Error{shown(text) + ": not a seed: wrong prefix byte"};
  }
  uint8_t prefix = static_cast<uint8_t>((((*raw)[0] & 7) << 5) | ((*raw)[1] >> 3));
  auto type = type_from_prefix(prefix);
  bool low_bits_clear = ((*raw)[1] & 7) == 0;
  bool crc = crc_ok(*raw);
  Expected<KeyPair> out = Error{};
  if (!type || !low_bits_clear) {
    char buf[64];
    std::snprintf(buf, sizeof buf, ": unknown seed key type %u", prefix);
    out = Error{shown(text) + buf};
  } else if (!crc) {
    out = Error{shown(text) + ": seed checksum mismatch (mistyped or truncated?)"};
  } else {
    out = from_raw_seed(*type, raw->data() + 2);
  }
  sodium_memzero(raw->data(), raw->size());
  return out;
}

KeyPair::KeyPair(const KeyPair&) = default;
KeyPair& KeyPair::operator=(const KeyPair&) = default;
KeyPair::~KeyPair() {
  sodium_memzero(seed_.data(), seed_.size());
  sodium_memzero(secret_.data(), secret_.size());
}

std::string KeyPair::seed() const {
  uint8_t prefix = static_cast<uint8_t>(type_);
  std::vector<uint8_t> raw;
  raw.reserve(36);
  raw.push_back(static_cast<uint8_t>(kSeedPrefix | (prefix >> 5)));
  raw.push_back(static_cast<uint8_t>((prefix & 0x1f) << 3));
  raw.insert(raw.end(), seed_.begin(), seed_.end());
  put_crc(raw);
  std::string text = base32_encode(raw);
  sodium_memzero(raw.data(), raw.size());
  return text;
}

std::array<uint8_t, 64> KeyPair::sign(std::span<const uint8_t> message) const {
  std::array<uint8_t, 64> sig{};
  crypto_sign_detached(sig.data(), nullptr, message.data(), message.size(), secret_.data());
  return sig;
}

}  // namespace isola::host::claims
