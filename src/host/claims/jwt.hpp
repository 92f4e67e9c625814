// The compact JWT form wascap uses (ACTOR-ABI.md §4.2): three base64url segments without
// padding, header.claims.signature, Ed25519-signed by the issuer over the first two segments
// exactly as they are written (never over re-encoded JSON).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "host/claims/nkeys.hpp"
#include "isola/engine.hpp"

namespace isola::host::claims {

// The only header wascap writes and the only one accepted: {"typ":"jwt","alg":"Ed25519"}.
inline constexpr std::string_view kJwtHeader = R"({"typ":"jwt","alg":"Ed25519"})";
// Tokens larger than this are refused before any decoding (real ones are well under 4 KiB).
inline constexpr size_t kMaxTokenBytes = 64 * 1024;

std::string base64url_encode(std::span<const uint8_t> bytes);
// Accepts only the canonical unpadded form (re-encoding gives the same text), so a token has
// one spelling and a flipped padding bit is not a silently equal signature.
std::optional<std::vector<uint8_t>> base64url_decode(std::string_view text);

// A token split and decoded, not yet verified.
struct DecodedToken {
  std::string signing_input;  // "<header>.<claims>" as written in the token
  nlohmann::json header;
  nlohmann::json claims;
  std::array<uint8_t, 64> signature{};
};

// Splits and decodes; errors say which segment is wrong and why.
Expected<DecodedToken> decode_token(std::string_view token);

// header.claims.signature, with `claims_json` written as given and signed by `issuer`.
std::string sign_token(std::string_view claims_json, const KeyPair& issuer);

}  // namespace isola::host::claims
