// nkeys: Ed25519 keys in the text form NATS, waSCC and wasmCloud use (ACTOR-ABI.md §5).
// A public key is 56 characters, a type letter first (A account, M module, ...); a seed is
// 58 characters starting with S and the type letter. Decoding checks length, alphabet,
// prefix, type and checksum, and says which one failed.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "isola/engine.hpp"

namespace isola::host::claims {

// The prefix byte of each key type (§5.1).
enum class KeyType : uint8_t {
  Account = 0,
  Cluster = 16,
  Module = 96,
  Server = 104,
  Operator = 112,
  User = 160,
  Provider = 168,  // "service" in nkeys: capability providers
  Curve = 184,     // X25519 keys; not signing keys
};

// "account", "module", "server", "provider", "user", "operator", "cluster", "curve".
const char* to_string(KeyType t);
// The inverse of to_string; nullopt for anything else.
std::optional<KeyType> key_type_from_name(std::string_view name);
// "an account", "a module", ...: for messages.
std::string a_key_type(KeyType t);
// 'A', 'M', 'N', 'V', ...: the first character of a public key of this type.
char key_type_letter(KeyType t);

class PublicKey {
 public:
  // Decodes a 56-character public key. Errors say what is wrong:
  // "'MAB…': not a public key: 55 characters, expected 56".
  static Expected<PublicKey> decode(std::string_view text);
  static PublicKey from_raw(KeyType type, const std::array<uint8_t, 32>& raw);

  KeyType type() const { return type_; }
  const std::array<uint8_t, 32>& raw() const { return raw_; }
  const std::string& encoded() const { return encoded_; }
  // An Ed25519 check of `signature` over `message`.
  bool verify(std::span<const uint8_t> message, std::span<const uint8_t> signature) const;

 private:
  KeyType type_ = KeyType::Account;
  std::array<uint8_t, 32> raw_{};
  std::string encoded_;
};

// A signing key: the 32-byte Ed25519 seed and its type. The secret is wiped on destruction.
class KeyPair {
 public:
  // A fresh random key of `type` (libsodium). Curve keys are refused.
  static Expected<KeyPair> generate(KeyType type);
  // Decodes a 58-character seed ("SA…", "SM…").
  static Expected<KeyPair> from_seed(std::string_view seed);

  KeyPair(const KeyPair&);
  KeyPair& operator=(const KeyPair&);
  ~KeyPair();

  KeyType type() const { return type_; }
  const PublicKey& public_key() const { return public_; }
  // The seed in its text form. Keep it secret: write it only to a 0600 file.
  std::string seed() const;
  // The 64-byte Ed25519 signature of `message`.
  std::array<uint8_t, 64> sign(std::span<const uint8_t> message) const;

 private:
  KeyPair() = default;
  static Expected<KeyPair> from_raw_seed(KeyType type, const uint8_t* seed32);

  KeyType type_ = KeyType::Account;
  std::array<uint8_t, 32> seed_{};
  std::array<uint8_t, 64> secret_{};  // libsodium's expanded secret key (seed ‖ public)
  PublicKey public_;
};

// Makes sure libsodium is initialised (idempotent, thread-safe); false if it cannot be.
bool sodium_ready();

}  // namespace isola::host::claims
