// Load errors: what went wrong while decoding or validating a module, and where.
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>

namespace isola::wasm {

struct LoadError {
  enum class Kind : uint8_t { Malformed, Invalid };
  Kind kind = Kind::Malformed;
  std::string what;                // e.g. "unexpected end of section"
  uint32_t offset = 0;             // byte offset in the module
  std::optional<uint32_t> func;    // function index, when inside a code entry

  // "malformed: unexpected end of section at byte 0x1a3 (function 4)"
  std::string to_string() const;
};

// Thrown inside the decoder and validator; caught at their entry points and returned
// as a LoadError. Exceptions keep the hot decoding paths free of error plumbing.
struct LoadException : std::runtime_error {
  LoadError error;
  explicit LoadException(LoadError e) : std::runtime_error(e.what), error(std::move(e)) {}
};

[[noreturn]] inline void throw_malformed(std::string what, uint32_t offset,
                                         std::optional<uint32_t> func = std::nullopt) {
  throw LoadException(LoadError{LoadError::Kind::Malformed, std::move(what), offset, func});
}
[[noreturn]] inline void throw_invalid(std::string what, uint32_t offset,
                                       std::optional<uint32_t> func = std::nullopt) {
  throw LoadException(LoadError{LoadError::Kind::Invalid, std::move(what), offset, func});
}

}  // namespace isola::wasm
