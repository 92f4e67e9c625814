// Skipping an instruction's immediates, for passes that walk code the validator has
// already checked and care only about some opcodes (the lowering's dead code, the
// liveness search). LEB128 values are stepped over, not decoded or range-checked:
// validation did that. Reads never pass `end`.
#pragma once

#include <array>
#include <cstdint>

#include "wasm/binary/opcodes.hpp"
#include "wasm/binary/reader.hpp"

namespace isola::wasm {

namespace immediates {
// How the immediates after each opcode are laid out.
enum Kind : uint8_t { None, Leb, Leb2, Bytes4, Bytes8, Table, SelectT, Byte, PrefixFC };
constexpr std::array<uint8_t, 256> kKinds = [] {
  std::array<uint8_t, 256> k{};
  for (uint8_t o : {op::Block, op::Loop, op::If, op::Br, op::BrIf, op::Call, op::LocalGet, op::LocalSet,
                    op::LocalTee, op::GlobalGet, op::GlobalSet, op::TableGet, op::TableSet, op::RefFunc,
                    op::I32Const, op::I64Const})
    k[o] = Leb;
  k[op::CallIndirect] = Leb2;
  for (unsigned o = op::I32Load; o <= op::I64Store32; ++o) k[o] = Leb2;  // memarg: align, offset
  k[op::F32Const] = Bytes4;
  k[op::F64Const] = Bytes8;
  k[op::BrTable] = Table;
  k[op::SelectT] = SelectT;
  k[op::RefNull] = k[op::MemorySize] = k[op::MemoryGrow] = Byte;
  k[op::PrefixFC] = PrefixFC;
  return k;
}();

inline const uint8_t* leb(const uint8_t* p, const uint8_t* end) {
  while (p < end && (*p++ & 0x80)) {
  }
  return p;
}
inline const uint8_t* leb_value(const uint8_t* p, const uint8_t* end, uint32_t& v) {
  v = 0;
  for (unsigned shift = 0; p < end && shift < 35; shift += 7) {
    const uint8_t b = *p++;
    v |= static_cast<uint32_t>(b & 0x7F) << shift;
    if (!(b & 0x80)) break;
  }
  return p;
}
inline const uint8_t* bytes(const uint8_t* p, const uint8_t* end, uint32_t n) {
  return n <= static_cast<uint32_t>(end - p) ? p + n : end;
}
}  // namespace immediates

// The first byte after the immediates of the instruction whose opcode `o` ends just
// before `p`.
inline const uint8_t* skip_immediates(const uint8_t* p, const uint8_t* end, uint8_t o) {
  namespace im = immediates;
  switch (im::kKinds[o]) {
    case im::None: return p;
    case im::Leb: return im::leb(p, end);
    case im::Leb2: return im::leb(im::leb(p, end), end);
    case im::Bytes4: return im::bytes(p, end, 4);
    case im::Bytes8: return im::bytes(p, end, 8);
    case im::Byte: return im::bytes(p, end, 1);
    case im::Table: {  // n, then n + 1 labels
      uint32_t n;
      p = im::leb_value(p, end, n);
      for (uint64_t i = 0; i <= n && p < end; ++i) p = im::leb(p, end);
      return p;
    }
    case im::SelectT: {  // n, then n one-byte value types
      uint32_t n;
      p = im::leb_value(p, end, n);
      return im::bytes(p, end, n);
    }
    default: {  // 0xFC: a sub-opcode, then its own immediates
      uint32_t sub;
      p = im::leb_value(p, end, sub);
      switch (sub) {
        case op::ext::MemoryInit: return im::bytes(im::leb(p, end), end, 1);
        case op::ext::DataDrop: case op::ext::ElemDrop: case op::ext::TableGrow: case op::ext::TableSize:
        case op::ext::TableFill:
          return im::leb(p, end);
        case op::ext::MemoryCopy: return im::bytes(p, end, 2);
        case op::ext::MemoryFill: return im::bytes(p, end, 1);
        case op::ext::TableInit: case op::ext::TableCopy: return im::leb(im::leb(p, end), end);
        default: return p;  // saturating truncations: no immediates
      }
    }
  }
}

// The same, moving a Reader that has just read `o`.
inline void skip_immediates(Reader& r, uint8_t o) {
  const uint8_t* p = r.pos();
  r.skip(static_cast<size_t>(skip_immediates(p, p + r.remaining(), o) - p));
}

}  // namespace isola::wasm
