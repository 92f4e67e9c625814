#include "host/claims/jwt.hpp"

#include <sodium.h>

namespace isola::host::claims {

std::string base64url_encode(std::span<const uint8_t> bytes) {
  constexpr int kVariant = sodium_base64_VARIANT_URLSAFE_NO_PADDING;
  std::string out(sodium_base64_ENCODED_LEN(bytes.size(), kVariant), '\0');
  sodium_bin2base64(out.data(), out.size(), bytes.data(), bytes.size(), kVariant);
  out.resize(out.size() - 1);  // the encoder's terminating NUL
  return out;
}

std::optional<std::vector<uint8_t>> base64url_decode(std::string_view text) {
  std::vector<uint8_t> out(text.size() * 3 / 4 + 3);
  size_t len = 0;
  const char* end = nullptr;
  if (sodium_base642bin(out.data(), out.size(), text.data(), text.size(), nullptr, &len, &end,
                        sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
      end != text.data() + text.size())
    return std::nullopt;
  out.resize(len);
  if (base64url_encode(out) != text) return std::nullopt;  // non-zero unused bits
  return out;
}

namespace {

Expected<nlohmann::json> json_segment(std::string_view seg, const char* what) {
  auto bytes = base64url_decode(seg);
  if (!bytes) return Error{std::string(what) + " is not valid base64url"};
  auto j = nlohmann::json::parse(bytes->begin(), bytes->end(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return Error{std::string(what) + " is not valid JSON"};
  if (!j.is_object()) return Error{std::string(what) + " is not a JSON object"};
  return j;
}

}  // namespace

Expected<DecodedToken> decode_token(std::string_view token) {
  if (token.size() > kMaxTokenBytes)
    return Error{"token is " + std::to_string(token.size()) + " bytes, more than the limit of " +
                 std::to_string(kMaxTokenBytes)};
  size_t a = token.find('.');
  size_t b = a == std::string_view::npos ? a : token.find('.', a + 1);
  if (b == std::string_view::npos || token.find('.', b + 1) != std::string_view::npos)
    return Error{"token does not have three dot-separated segments"};
  DecodedToken t;
  auto header = json_segment(token.substr(0, a), "token header");
  if (!header) return header.error();
  auto claims = json_segment(token.substr(a + 1, b - a - 1), "token claims");
  if (!claims) return claims.error();
  auto sig = base64url_decode(token.substr(b + 1));
  if (!sig) return Error{"token signature is not valid base64url"};
  if (sig->size() != t.signature.size())
    return Error{"token signature is " + std::to_string(sig->size()) + " bytes, expected 64"};
  std::copy(sig->begin(), sig->end(), t.signature.begin());
  t.signing_input = std::string(token.substr(0, b));
  t.header = std::move(*header);
  t.claims = std::move(*claims);
  return t;
}

std::string sign_token(std::string_view claims_json, const KeyPair& issuer) {
  auto as_bytes = [](std::string_view s) { return std::span(reinterpret_cast<const uint8_t*>(s.data()), s.size()); };
  std::string input = base64url_encode(as_bytes(kJwtHeader)) + "." + base64url_encode(as_bytes(claims_json));
  auto sig = issuer.sign(as_bytes(input));
  return input + "." + base64url_encode(sig);
}

}  // namespace isola::host::claims
