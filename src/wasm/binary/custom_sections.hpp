// The section framing of a module, without decoding what is inside the sections: enough to
// list, cut out and append custom sections byte for byte (claims signing embeds a token
// this way, and the module hash is computed over the bytes around it).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "isola/engine.hpp"

namespace isola::wasm {

// One section as it sits in the file: [begin, end) is the whole section (id, size, payload),
// payload_begin the first byte after the size.
struct SectionSpan {
  uint8_t id = 0;
  size_t begin = 0;
  size_t payload_begin = 0;
  size_t end = 0;
};

// Checks the magic and version and the framing of every section (a known id, a LEB128 u32
// size of at most 5 bytes that fits the file) and returns the sections in file order.
// Errors read "malformed: section size out of bounds at byte 0x1a".
Expected<std::vector<SectionSpan>> split_sections(std::span<const uint8_t> module);

// The unsigned LEB128 encoding of `v` in the fewest bytes.
void append_leb_u32(std::vector<uint8_t>& out, uint32_t v);

}  // namespace isola::wasm
