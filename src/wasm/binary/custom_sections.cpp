// Custom-section surgery: list, remove and append custom sections without re-encoding the
// rest of the module, so every other byte (and therefore a hash over them) stays as it was.
#include "wasm/binary/custom_sections.hpp"

#include <cstdio>
#include <string>

namespace isola {
namespace wasm {
namespace {

constexpr uint8_t kMagicVersion[8] = {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00};
constexpr uint8_t kLastSectionId = 13;  // tag (exception handling); 12 is data count

Error malformed(const std::string& what, size_t offset) {
  char at[32];
  std::snprintf(at, sizeof at, " at byte 0x%zx", offset);
  return Error{"malformed: " + what + at};
}

// Reads an unsigned LEB128 u32 at `pos` (advanced past it): at most 5 bytes, and the unused
// high bits of the fifth byte must be zero, as the binary format requires.
bool read_leb_u32(std::span<const uint8_t> b, size_t& pos, uint32_t& out, std::string& why) {
  uint64_t v = 0;
  for (int i = 0; i < 5; ++i) {
    if (pos >= b.size()) {
      why = "unexpected end in a LEB128 integer";
      return false;
    }
    uint8_t byte = b[pos++];
    if (i == 4 && (byte & 0xf0) != 0) {
      why = "integer too large or LEB128 too long";
      return false;
    }
    v |= static_cast<uint64_t>(byte & 0x7f) << (7 * i);
    if ((byte & 0x80) == 0) {
      out = static_cast<uint32_t>(v);
      return true;
    }
  }
  why = "integer too large or LEB128 too long";
  return false;
}

bool valid_utf8(std::span<const uint8_t> s) {
  size_t i = 0;
  while (i < s.size()) {
    uint8_t c = s[i];
    size_t n;
    uint32_t cp;
    if (c < 0x80) { ++i; continue; }
    if ((c & 0xe0) == 0xc0) { n = 1; cp = c & 0x1f; }
    else if ((c & 0xf0) == 0xe0) { n = 2; cp = c & 0x0f; }
    else if ((c & 0xf8) == 0xf0) { n = 3; cp = c & 0x07; }
    else return false;
    if (i + n >= s.size()) return false;  // truncated sequence
    for (size_t k = 1; k <= n; ++k) {
      if ((s[i + k] & 0xc0) != 0x80) return false;
      cp = (cp << 6) | (s[i + k] & 0x3f);
    }
    // Overlong forms, surrogates and values past U+10FFFF are not UTF-8.
    if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) || cp > 0x10ffff ||
        (cp >= 0xd800 && cp <= 0xdfff))
      return false;
    i += n + 1;
  }
  return true;
}

// The name of the custom section `s`, checked; the offset just past the name in `after_name`.
Expected<std::string> custom_name(std::span<const uint8_t> b, const SectionSpan& s, size_t& after_name) {
  size_t pos = s.payload_begin;
  uint32_t len = 0;
  std::string why;
  if (!read_leb_u32(b.first(s.end), pos, len, why)) return malformed(why + " (custom section name length)", pos);
  if (len > s.end - pos) return malformed("custom section name length out of bounds", s.payload_begin);
  auto name = b.subspan(pos, len);
  if (!valid_utf8(name)) return malformed("custom section name is not valid UTF-8", pos);
  after_name = pos + len;
  return std::string(name.begin(), name.end());
}

}  // namespace

void append_leb_u32(std::vector<uint8_t>& out, uint32_t v) {
  do {
    uint8_t byte = v & 0x7f;
    v >>= 7;
    out.push_back(v ? byte | 0x80 : byte);
  } while (v);
}

Expected<std::vector<SectionSpan>> split_sections(std::span<const uint8_t> b) {
  if (b.size() < 8) return malformed("unexpected end: shorter than the 8-byte header", b.size());
  for (size_t i = 0; i < 4; ++i)
    if (b[i] != kMagicVersion[i]) return malformed("magic header not detected", 0);
  for (size_t i = 4; i < 8; ++i)
    if (b[i] != kMagicVersion[i]) return malformed("unknown binary version", 4);
  std::vector<SectionSpan> out;
  size_t pos = 8;
  while (pos < b.size()) {
    SectionSpan s;
    s.begin = pos;
    s.id = b[pos++];
    if (s.id > kLastSectionId) return malformed("unknown section id " + std::to_string(s.id), s.begin);
    uint32_t size = 0;
    std::string why;
    size_t size_at = pos;
    if (!read_leb_u32(b, pos, size, why)) return malformed(why + " (section size)", size_at);
    if (size > b.size() - pos) return malformed("section size out of bounds", size_at);
    s.payload_begin = pos;
    s.end = pos + size;
    if (s.id == 0) {
      size_t after = 0;
      auto name = custom_name(b, s, after);
      if (!name) return name.error();
    }
    out.push_back(s);
    pos = s.end;
  }
  return out;
}

}  // namespace wasm

Expected<std::vector<CustomSectionRange>> list_custom_sections(std::span<const uint8_t> module) {
  auto sections = wasm::split_sections(module);
  if (!sections) return sections.error();
  std::vector<CustomSectionRange> out;
  for (const auto& s : *sections) {
    if (s.id != 0) continue;
    CustomSectionRange c;
    auto name = wasm::custom_name(module, s, c.payload_begin);
    if (!name) return name.error();
    c.name = std::move(*name);
    c.begin = s.begin;
    c.end = s.end;
    out.push_back(std::move(c));
  }
  return out;
}

Expected<std::vector<uint8_t>> remove_custom_sections(std::span<const uint8_t> module, std::string_view name) {
  auto customs = list_custom_sections(module);
  if (!customs) return customs.error();
  std::vector<uint8_t> out;
  out.reserve(module.size());
  size_t copied = 0;
  for (const auto& c : *customs) {
    if (c.name != name) continue;
    out.insert(out.end(), module.begin() + static_cast<ptrdiff_t>(copied), module.begin() + static_cast<ptrdiff_t>(c.begin));
    copied = c.end;
  }
  out.insert(out.end(), module.begin() + static_cast<ptrdiff_t>(copied), module.end());
  return out;
}

Expected<std::vector<uint8_t>> append_custom_section(std::span<const uint8_t> module, std::string_view name,
                                                     std::span<const uint8_t> payload) {
  auto sections = wasm::split_sections(module);
  if (!sections) return sections.error();
  auto name_bytes = std::span(reinterpret_cast<const uint8_t*>(name.data()), name.size());
  if (!wasm::valid_utf8(name_bytes)) return Error{"custom section name is not valid UTF-8"};
  std::vector<uint8_t> name_len;
  wasm::append_leb_u32(name_len, static_cast<uint32_t>(name.size()));
  uint64_t size = name_len.size() + name.size() + payload.size();
  if (name.size() > UINT32_MAX || size > UINT32_MAX) return Error{"custom section too large for a u32 size"};
  std::vector<uint8_t> out(module.begin(), module.end());
  out.reserve(module.size() + 6 + size);
  out.push_back(0);
  wasm::append_leb_u32(out, static_cast<uint32_t>(size));
  out.insert(out.end(), name_len.begin(), name_len.end());
  out.insert(out.end(), name_bytes.begin(), name_bytes.end());
  out.insert(out.end(), payload.begin(), payload.end());
  return out;
}

Expected<std::vector<uint8_t>> normalize_section_sizes(std::span<const uint8_t> module) {
  auto sections = wasm::split_sections(module);
  if (!sections) return sections.error();
  std::vector<uint8_t> out(module.begin(), module.begin() + 8);
  out.reserve(module.size());
  for (const auto& s : *sections) {
    out.push_back(s.id);
    wasm::append_leb_u32(out, static_cast<uint32_t>(s.end - s.payload_begin));
    out.insert(out.end(), module.begin() + static_cast<ptrdiff_t>(s.payload_begin),
               module.begin() + static_cast<ptrdiff_t>(s.end));
  }
  return out;
}

}  // namespace isola
