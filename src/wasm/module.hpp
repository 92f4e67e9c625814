// The decoded form of a WebAssembly module.
//
// A Module is filled by the decoder (binary/decode.hpp), checked by the validator
// (valid/validate.hpp), and from then on is immutable and shared by every instance on
// every thread. Function bodies stay as byte ranges into `bytes`; the interpreter lowers
// each one lazily on its first call.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "isola/engine.hpp"

namespace isola::wasm {

// The basic types are part of the public API; the engine uses them as they are.
using isola::ExternKind;
using isola::FuncType;
using isola::GlobalType;
using isola::Limits;
using isola::MemoryType;
using isola::TableType;
using isola::ValType;

inline bool is_ref(ValType t) { return t == ValType::FuncRef || t == ValType::ExternRef; }
inline bool is_num(ValType t) { return !is_ref(t) && t != ValType::V128; }

struct Import {
  std::string module;
  std::string name;
  ExternKind kind = ExternKind::Func;
  uint32_t func_type = 0;  // kind == Func: type index
  TableType table;         // kind == Table
  MemoryType memory;       // kind == Memory
  GlobalType global;       // kind == Global
};

struct Export {
  std::string name;
  ExternKind kind = ExternKind::Func;
  uint32_t index = 0;
};

// A constant expression of WebAssembly 2.0: exactly one constant instruction, then `end`.
struct ConstExpr {
  enum class Op : uint8_t { I32Const, I64Const, F32Const, F64Const, RefNull, RefFunc, GlobalGet };
  Op op = Op::I32Const;
  ValType ref_type = ValType::FuncRef;  // Op::RefNull: which null
  uint64_t bits = 0;                    // Op::*Const: the value's bit pattern
  uint32_t index = 0;                   // Op::RefFunc: function index; Op::GlobalGet: global index
  uint32_t offset = 0;                  // byte offset of the instruction, for error messages
};

struct ElemSegment {
  enum class Mode : uint8_t { Active, Passive, Declarative };
  Mode mode = Mode::Active;
  uint32_t table = 0;
  ConstExpr offset;  // Mode::Active only
  ValType type = ValType::FuncRef;
  // Encodings that list function indices are stored as Op::RefFunc expressions, so every
  // segment has one uniform form.
  std::vector<ConstExpr> init;
  uint32_t section_offset = 0;  // where the segment starts, for error messages
};

struct DataSegment {
  enum class Mode : uint8_t { Active, Passive };
  Mode mode = Mode::Active;
  uint32_t memory = 0;
  ConstExpr offset;  // Mode::Active only
  uint32_t data_offset = 0;  // the bytes, as a range of Module::bytes
  uint32_t data_size = 0;
  uint32_t section_offset = 0;
};

struct LocalDecl {
  uint32_t count = 0;
  ValType type = ValType::I32;
};

// A defined function's code entry.
struct Code {
  std::vector<LocalDecl> locals;
  uint32_t num_locals = 0;   // sum of locals[].count (excluding parameters)
  uint32_t body_offset = 0;  // first instruction, as an offset into Module::bytes
  uint32_t body_end = 0;     // one past the function's final `end`
};

struct CustomSection {
  std::string name;
  uint32_t data_offset = 0;  // payload after the name, as a range of Module::bytes
  uint32_t data_size = 0;
};

struct Module {
  std::vector<uint8_t> bytes;  // the whole binary; every offset below points into it

  std::vector<FuncType> types;
  std::vector<Import> imports;

  // Index spaces: imported entities first, then defined ones.
  std::vector<uint32_t> funcs;  // type index of each function
  std::vector<TableType> tables;
  std::vector<MemoryType> memories;
  std::vector<GlobalType> globals;
  uint32_t num_imported_funcs = 0;
  uint32_t num_imported_tables = 0;
  uint32_t num_imported_memories = 0;
  uint32_t num_imported_globals = 0;

  std::vector<ConstExpr> global_inits;  // one per defined global
  std::vector<Export> exports;
  std::optional<uint32_t> start;
  std::vector<ElemSegment> elems;
  std::optional<uint32_t> data_count;
  std::vector<Code> codes;  // one per defined function
  std::vector<DataSegment> datas;
  std::vector<CustomSection> customs;
  // Byte offset of each known section's id byte, indexed by section id (0 when absent),
  // so errors about a definition can point at the section that holds it.
  std::array<uint32_t, 13> section_offsets{};

  // From the "name" custom section when present and well formed (indexed by function
  // index, empty strings where unnamed). Malformed name sections are ignored, as the
  // spec allows.
  std::vector<std::string> func_names;

  const FuncType& func_type(uint32_t func_index) const { return types[funcs[func_index]]; }
  const Code& code(uint32_t func_index) const { return codes[func_index - num_imported_funcs]; }
  std::span<const uint8_t> slice(uint32_t offset, uint32_t size) const {
    return std::span<const uint8_t>(bytes).subspan(offset, size);
  }
  // First custom section with this name, or nullptr.
  const CustomSection* custom(std::string_view name) const;
};

}  // namespace isola::wasm
