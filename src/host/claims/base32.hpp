// RFC 4648 base32 (alphabet A-Z 2-7), upper case, without padding: the text form of nkeys.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace isola::host::claims {

std::string base32_encode(std::span<const uint8_t> bytes);

// Decodes unpadded upper-case base32. Returns nullopt for a character outside the alphabet,
// for a length no encoder produces, or when the unused low bits of the last character are
// not zero (so every byte string has exactly one accepted text form).
std::optional<std::vector<uint8_t>> base32_decode(std::string_view text);

}  // namespace isola::host::claims
