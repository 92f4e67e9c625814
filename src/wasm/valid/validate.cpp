// The validator's entry point and its module-level checks (WebAssembly 2.0, section
// "Validation > Modules"). Function bodies are checked by FuncValidator.
//
// Order follows the spec's module rule: types, the index spaces (function types, table
// and memory limits, globals), element and data segments, start, exports, then the
// bodies, which need C.refs: the functions named by ref.func outside bodies (global
// initializers, element segments) or exported.
#include "wasm/valid/validate.hpp"

#include <algorithm>
#include <new>
#include <string>
#include <string_view>
#include <vector>

#include "wasm/valid/func_validator.hpp"

namespace isola::wasm {
namespace {

using valid::type_name;

constexpr const char* kSimd = "SIMD is not supported yet";
constexpr uint32_t kMaxPages = 65536;

class ModuleValidator {
 public:
  explicit ModuleValidator(const Module& m) : m_(m), refs_(m.funcs.size(), 0) {}

  void run() {
    check_shape();
    for (const FuncType& ft : m_.types) {
      for (ValType t : ft.params) no_simd(t, sec(kType));
      for (ValType t : ft.results) no_simd(t, sec(kType));
    }
    for (size_t i = 0; i < m_.funcs.size(); ++i) {
      if (m_.funcs[i] >= m_.types.size())
        throw_invalid("unknown type " + std::to_string(m_.funcs[i]),
                      sec(i < m_.num_imported_funcs ? kImport : kFunction));
    }
    for (size_t i = 0; i < m_.tables.size(); ++i) {
      const TableType& t = m_.tables[i];
      uint32_t at = sec(i < m_.num_imported_tables ? kImport : kTable);
      if (t.elem != ValType::FuncRef && t.elem != ValType::ExternRef)
        throw_malformed("malformed reference type", at);
      if (t.limits.max && t.limits.min > *t.limits.max)
        throw_invalid("size minimum must not be greater than maximum", at);
    }
    for (size_t i = 0; i < m_.memories.size(); ++i) {
      const Limits& l = m_.memories[i].limits;
      uint32_t at = sec(i < m_.num_imported_memories ? kImport : kMemory);
      if (l.min > kMaxPages || (l.max && *l.max > kMaxPages))
        throw_invalid("memory size must be at most 65536 pages (4GiB)", at);
      if (l.max && l.min > *l.max)
        throw_invalid("size minimum must not be greater than maximum", at);
    }
    if (m_.memories.size() > 1) throw_invalid("multiple memories", sec(m_.num_imported_memories > 1 ? kImport : kMemory));

    for (size_t i = 0; i < m_.globals.size(); ++i)
      no_simd(m_.globals[i].type, sec(i < m_.num_imported_globals ? kImport : kGlobal));
    for (size_t i = 0; i < m_.global_inits.size(); ++i) {
      const ConstExpr& e = m_.global_inits[i];
      expect(const_expr(e), m_.globals[m_.num_imported_globals + i].type, e.offset);
    }

    for (const ElemSegment& seg : m_.elems) elem_segment(seg);
    for (const DataSegment& seg : m_.datas) data_segment(seg);

    if (m_.start) {
      const uint32_t f = *m_.start;
      if (f >= m_.funcs.size()) throw_invalid("unknown function " + std::to_string(f), sec(kStart));
      const FuncType& ft = m_.func_type(f);
      if (!ft.params.empty() || !ft.results.empty())
        throw_invalid("start function must have type [] -> []", sec(kStart));
    }

    exports();

    valid::FuncValidator fv(m_, refs_);
    for (uint32_t i = m_.num_imported_funcs; i < m_.funcs.size(); ++i) fv.validate(i);
  }

 private:
  // The decoder guarantees these; a Module built by hand might not, and the validator
  // must never index out of bounds.
  void check_shape() {
    if (m_.num_imported_funcs > m_.funcs.size() ||
        m_.codes.size() != m_.funcs.size() - m_.num_imported_funcs)
      throw_malformed("function and code section have inconsistent lengths", sec(kCode));
    if (m_.num_imported_globals > m_.globals.size() ||
        m_.global_inits.size() != m_.globals.size() - m_.num_imported_globals)
      throw_malformed("global section and initializers have inconsistent lengths", 0);
    if (m_.data_count && *m_.data_count != m_.datas.size())
      throw_malformed("data count and data section have inconsistent lengths", sec(kDataCount));
  }

  // Section ids, for pointing errors at the section that holds a definition.
  enum : uint8_t { kType = 1, kImport = 2, kFunction = 3, kTable = 4, kMemory = 5, kGlobal = 6,
                   kExport = 7, kStart = 8, kCode = 10, kDataCount = 12 };
  uint32_t sec(uint8_t id) const { return m_.section_offsets[id]; }

  static void no_simd(ValType t, uint32_t offset) {
    if (t == ValType::V128) throw_invalid(kSimd, offset);
  }

  static void expect(ValType actual, ValType expected, uint32_t offset) {
    if (actual != expected) {
      throw_invalid(std::string("type mismatch: expected ") + type_name(expected) +
                        ", found " + type_name(actual),
                    offset);
    }
  }

  // The type of a constant expression. In WebAssembly 2.0 global.get may only name an
  // imported, immutable global, in every constant expression (global.wast, data.wast and
  // elem.wast check exactly that).
  ValType const_expr(const ConstExpr& e) {
    switch (e.op) {
      case ConstExpr::Op::I32Const: return ValType::I32;
      case ConstExpr::Op::I64Const: return ValType::I64;
      case ConstExpr::Op::F32Const: return ValType::F32;
      case ConstExpr::Op::F64Const: return ValType::F64;
      case ConstExpr::Op::RefNull:
        if (e.ref_type != ValType::FuncRef && e.ref_type != ValType::ExternRef)
          throw_malformed("malformed reference type", e.offset);
        return e.ref_type;
      case ConstExpr::Op::RefFunc:
        if (e.index >= m_.funcs.size())
          throw_invalid("unknown function " + std::to_string(e.index), e.offset);
        refs_[e.index] = 1;
        return ValType::FuncRef;
      case ConstExpr::Op::GlobalGet:
        if (e.index >= m_.num_imported_globals)
          throw_invalid("unknown global " + std::to_string(e.index), e.offset);
        if (m_.globals[e.index].mut)
          throw_invalid("constant expression required: global.get of a mutable global",
                        e.offset);
        return m_.globals[e.index].type;
    }
    throw_malformed("constant expression required", e.offset);
  }

  void elem_segment(const ElemSegment& seg) {
    if (seg.type != ValType::FuncRef && seg.type != ValType::ExternRef)
      throw_malformed("malformed reference type", seg.section_offset);
    if (seg.mode == ElemSegment::Mode::Active) {
      if (seg.table >= m_.tables.size())
        throw_invalid("unknown table " + std::to_string(seg.table), seg.section_offset);
      expect(const_expr(seg.offset), ValType::I32, seg.offset.offset);
      expect(seg.type, m_.tables[seg.table].elem, seg.section_offset);
    }
    for (const ConstExpr& e : seg.init) expect(const_expr(e), seg.type, e.offset);
  }

  void data_segment(const DataSegment& seg) {
    if (seg.mode != DataSegment::Mode::Active) return;
    if (seg.memory >= m_.memories.size())
      throw_invalid("unknown memory " + std::to_string(seg.memory), seg.section_offset);
    expect(const_expr(seg.offset), ValType::I32, seg.offset.offset);
  }

  void exports() {
    std::vector<std::string_view> names;
    names.reserve(m_.exports.size());
    for (const Export& e : m_.exports) {
      size_t limit = 0;
      const char* what = "";
      switch (e.kind) {
        case ExternKind::Func: limit = m_.funcs.size(); what = "function"; break;
        case ExternKind::Table: limit = m_.tables.size(); what = "table"; break;
        case ExternKind::Memory: limit = m_.memories.size(); what = "memory"; break;
        case ExternKind::Global: limit = m_.globals.size(); what = "global"; break;
      }
      if (e.index >= limit)
        throw_invalid(std::string("unknown ") + what + " " + std::to_string(e.index), sec(kExport));
      if (e.kind == ExternKind::Func) refs_[e.index] = 1;
      names.push_back(e.name);
    }
    std::sort(names.begin(), names.end());
    auto dup = std::adjacent_find(names.begin(), names.end());
    if (dup != names.end())
      throw_invalid("duplicate export name \"" + std::string(*dup) + "\"", sec(kExport));
  }

  const Module& m_;
  std::vector<uint8_t> refs_;  // C.refs, indexed by function
};

}  // namespace

std::optional<LoadError> validate(const Module& m) {
  try {
    ModuleValidator(m).run();
  } catch (const LoadException& e) {
    return e.error;
  } catch (const std::bad_alloc&) {
    return LoadError{LoadError::Kind::Invalid, "out of memory while validating", 0, std::nullopt};
  }
  return std::nullopt;
}

}  // namespace isola::wasm
