// A bounds-checked cursor over module bytes, with the LEB128 rules of the binary format.
//
// Shared by the decoder, the validator and the interpreter's lowering pass. Every read
// checks the end and throws a malformed LoadError naming the byte offset, so callers
// never index past the buffer.
#pragma once

#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

#include "wasm/error.hpp"

namespace isola::wasm {

class Reader {
 public:
  // `base` is the module offset of data[0], so error offsets are module offsets.
  Reader(const uint8_t* data, size_t size, uint32_t base = 0,
         std::optional<uint32_t> func = std::nullopt)
      : begin_(data), p_(data), end_(data + size), base_(base), func_(func) {}

  uint32_t offset() const { return base_ + static_cast<uint32_t>(p_ - begin_); }
  size_t remaining() const { return static_cast<size_t>(end_ - p_); }
  bool at_end() const { return p_ == end_; }
  const uint8_t* pos() const { return p_; }
  void set_func(std::optional<uint32_t> f) { func_ = f; }
  std::optional<uint32_t> func() const { return func_; }

  [[noreturn]] void fail(std::string what) const { throw_malformed(std::move(what), offset(), func_); }
  [[noreturn]] void fail_at(std::string what, uint32_t off) const {
    throw_malformed(std::move(what), off, func_);
  }

  uint8_t u8() {
    if (p_ >= end_) fail("unexpected end");
    return *p_++;
  }
  uint8_t peek_u8() const {
    if (p_ >= end_) fail("unexpected end");
    return *p_;
  }

  void skip(size_t n) {
    if (n > remaining()) fail("unexpected end");
    p_ += n;
  }

  const uint8_t* bytes(size_t n) {
    if (n > remaining()) fail("unexpected end");
    const uint8_t* r = p_;
    p_ += n;
    return r;
  }

  uint32_t u32() { return static_cast<uint32_t>(unsigned_leb(32)); }
  uint64_t u64() { return unsigned_leb(64); }
  int32_t s32() { return static_cast<int32_t>(signed_leb(32)); }
  int64_t s64() { return signed_leb(64); }
  // The 33-bit signed index of a block type.
  int64_t s33() { return signed_leb(33); }

  uint32_t f32_bits() {
    uint32_t v;
    std::memcpy(&v, bytes(4), 4);
    return v;
  }
  uint64_t f64_bits() {
    uint64_t v;
    std::memcpy(&v, bytes(8), 8);
    return v;
  }

  // A length-prefixed UTF-8 name.
  std::string name() {
    uint32_t start = offset();
    uint32_t n = u32();
    if (n > remaining()) fail("unexpected end: name length out of bounds");
    const char* s = reinterpret_cast<const char*>(bytes(n));
    if (!valid_utf8(reinterpret_cast<const uint8_t*>(s), n)) fail_at("malformed UTF-8 encoding", start);
    return std::string(s, n);
  }

  static bool valid_utf8(const uint8_t* s, size_t n) {
    size_t i = 0;
    while (i < n) {
      uint8_t c = s[i];
      if (c < 0x80) { ++i; continue; }
      uint32_t cp;
      size_t len;
      if ((c & 0xE0) == 0xC0) { cp = c & 0x1F; len = 2; }
      else if ((c & 0xF0) == 0xE0) { cp = c & 0x0F; len = 3; }
      else if ((c & 0xF8) == 0xF0) { cp = c & 0x07; len = 4; }
      else return false;
      if (i + len > n) return false;
      for (size_t k = 1; k < len; ++k) {
        if ((s[i + k] & 0xC0) != 0x80) return false;
        cp = (cp << 6) | (s[i + k] & 0x3F);
      }
      // Reject overlong forms, surrogates and values past U+10FFFF.
      if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000)) return false;
      if (cp >= 0xD800 && cp <= 0xDFFF) return false;
      if (cp > 0x10FFFF) return false;
      i += len;
    }
    return true;
  }

 private:
  uint64_t unsigned_leb(unsigned bits) {
    uint64_t result = 0;
    unsigned shift = 0;
    const unsigned max_bytes = (bits + 6) / 7;
    for (unsigned i = 0;; ++i) {
      if (p_ >= end_) fail("unexpected end of LEB128 integer");
      uint8_t b = *p_++;
      if (i == max_bytes - 1) {
        // Last permitted byte: no continuation, and bits past the width must be zero.
        if (b & 0x80) fail("integer representation too long");
        unsigned used = bits - shift;
        if (used < 7 && (b >> used) != 0) fail("integer too large");
        return result | (static_cast<uint64_t>(b) << shift);
      }
      result |= static_cast<uint64_t>(b & 0x7F) << shift;
      if (!(b & 0x80)) return result;
      shift += 7;
    }
  }

  int64_t signed_leb(unsigned bits) {
    uint64_t result = 0;
    unsigned shift = 0;
    const unsigned max_bytes = (bits + 6) / 7;
    for (unsigned i = 0;; ++i) {
      if (p_ >= end_) fail("unexpected end of LEB128 integer");
      uint8_t b = *p_++;
      if (i == max_bytes - 1) {
        if (b & 0x80) fail("integer representation too long");
        // The unused high bits must all equal the sign bit of the value.
        unsigned used = bits - shift;  // value bits held by this byte
        if (used < 7) {
          int8_t sext = static_cast<int8_t>(b << 1) >> 1;  // 7-bit payload, sign-extended
          int8_t top = static_cast<int8_t>(sext >> (used - 1));  // bits at and above the sign bit
          if (top != 0 && top != -1) fail("integer too large");
        }
        result |= static_cast<uint64_t>(b & 0x7F) << shift;
        shift += 7;
        if (shift < 64 && (b & 0x40)) result |= ~uint64_t(0) << shift;
        return static_cast<int64_t>(result);
      }
      result |= static_cast<uint64_t>(b & 0x7F) << shift;
      shift += 7;
      if (!(b & 0x80)) {
        if (shift < 64 && (b & 0x40)) result |= ~uint64_t(0) << shift;
        return static_cast<int64_t>(result);
      }
    }
  }

  const uint8_t* begin_;
  const uint8_t* p_;
  const uint8_t* end_;
  uint32_t base_;
  std::optional<uint32_t> func_;
};

}  // namespace isola::wasm
