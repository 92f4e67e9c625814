// Skipping an instruction's immediates, for passes that walk code the validator has
// already checked and care only about some opcodes (the lowering's dead code, the
// liveness search). LEB128 values are read, not range-checked: validation did that.
#pragma once

#include <cstdint>

#include "wasm/binary/opcodes.hpp"
#include "wasm/binary/reader.hpp"

namespace isola::wasm {

// Reads past the immediates of the instruction whose opcode byte `o` was just read.
inline void skip_immediates(Reader& r, uint8_t o) {
  switch (o) {
    case op::Block: case op::Loop: case op::If: r.s33(); return;
    case op::Br: case op::BrIf: case op::Call: case op::LocalGet: case op::LocalSet:
    case op::LocalTee: case op::GlobalGet: case op::GlobalSet: case op::TableGet:
    case op::TableSet: case op::RefFunc: case op::I32Const:
      r.u64();  // any LEB128 up to 64 bits
      return;
    case op::I64Const: r.s64(); return;
    case op::F32Const: r.f32_bits(); return;
    case op::F64Const: r.f64_bits(); return;
    case op::BrTable: {
      uint32_t n = r.u32();
      for (uint32_t i = 0; i <= n; ++i) r.u32();
      return;
    }
    case op::CallIndirect: r.u32(); r.u32(); return;
    case op::SelectT: { uint32_t n = r.u32(); for (uint32_t i = 0; i < n; ++i) r.u8(); return; }
    case op::RefNull: r.u8(); return;
    case op::MemorySize: case op::MemoryGrow: r.u8(); return;
    case op::PrefixFC: {
      uint32_t sub = r.u32();
      switch (sub) {
        case op::ext::MemoryInit: r.u32(); r.u8(); return;
        case op::ext::DataDrop: r.u32(); return;
        case op::ext::MemoryCopy: r.u8(); r.u8(); return;
        case op::ext::MemoryFill: r.u8(); return;
        case op::ext::TableInit: r.u32(); r.u32(); return;
        case op::ext::ElemDrop: r.u32(); return;
        case op::ext::TableCopy: r.u32(); r.u32(); return;
        case op::ext::TableGrow: case op::ext::TableSize: case op::ext::TableFill: r.u32(); return;
        default: return;  // saturating truncations: no immediates
      }
    }
    default:
      if (o >= op::I32Load && o <= op::I64Store32) { r.u32(); r.u32(); }
      return;
  }
}

}  // namespace isola::wasm
