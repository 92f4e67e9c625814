// The binary decoder. See decode.hpp.
//
// One pass over the bytes. Every section is read through its own Reader bounded by the
// declared section size, so a section can never read into its neighbour, and "section size
// mismatch" is simply "the section's Reader is not at its end". Function bodies are not
// parsed here: the validator walks them, and the Module keeps them as byte ranges.
//
// Untrusted input: before any vector is reserved for a count, the count is checked against
// the bytes left (every element takes at least one byte) and against DecodeLimits, so
// allocation is always proportional to the input.
#include "wasm/binary/decode.hpp"

#include <cstring>
#include <limits>
#include <string>
#include <utility>

#include "wasm/binary/opcodes.hpp"
#include "wasm/binary/reader.hpp"

namespace isola::wasm {
namespace {

constexpr uint8_t kSecCustom = 0, kSecType = 1, kSecImport = 2, kSecFunction = 3,
                  kSecTable = 4, kSecMemory = 5, kSecGlobal = 6, kSecExport = 7,
                  kSecStart = 8, kSecElement = 9, kSecCode = 10, kSecData = 11,
                  kSecDataCount = 12;

// Position of each non-custom section in the required order (data count sits between the
// element and code sections).
constexpr uint8_t kSectionRank[13] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 12, 10};

// Whether `b` starts some WebAssembly 2.0 instruction (0xFC and 0xFD are prefixes). Used
// to tell "constant expression required" (a real instruction where none is allowed)
// from "illegal opcode".
constexpr bool is_opcode(uint8_t b) {
  return b <= 0x05 || (b >= 0x0B && b <= 0x11) || (b >= 0x1A && b <= 0x1C) ||
         (b >= 0x20 && b <= 0x26) || (b >= 0x28 && b <= 0xC4) || (b >= 0xD0 && b <= 0xD2) ||
         b == 0xFC || b == 0xFD;
}

class Decoder {
 public:
  Decoder(Module& m, const DecodeLimits& limits) : m_(m), lim_(limits) {}

  void run() {
    Reader r(m_.bytes.data(), m_.bytes.size());
    header(r);

    uint8_t last_rank = 0;
    while (!r.at_end()) {
      const uint32_t sec_start = r.offset();
      const uint8_t id = r.u8();
      if (id > kSecDataCount) r.fail_at("malformed section id", sec_start);
      m_.section_offsets[id] = sec_start;
      const uint32_t size_at = r.offset();
      const uint32_t size = r.u32();
      if (size > r.remaining()) r.fail_at("length out of bounds", size_at);
      Reader s(r.pos(), size, r.offset());
      r.skip(size);

      if (id == kSecCustom) {
        custom_section(s);
        continue;
      }
      const uint8_t rank = kSectionRank[id];
      if (rank <= last_rank) r.fail_at("unexpected content after last section", sec_start);
      last_rank = rank;

      switch (id) {
        case kSecType: type_section(s); break;
        case kSecImport: import_section(s); break;
        case kSecFunction: function_section(s); break;
        case kSecTable: table_section(s); break;
        case kSecMemory: memory_section(s); break;
        case kSecGlobal: global_section(s); break;
        case kSecExport: export_section(s); break;
        case kSecStart: m_.start = s.u32(); break;
        case kSecElement: element_section(s); break;
        case kSecDataCount: data_count_section(s); break;
        case kSecCode: code_section(s); break;
        case kSecData: data_section(s); break;
        default: break;
      }
      if (!s.at_end()) s.fail("section size mismatch");
    }

    const uint32_t end = r.offset();
    if (m_.codes.size() != defined_funcs())
      throw_malformed("function and code section have inconsistent lengths", code_count_at_.value_or(end));
    if (m_.data_count && *m_.data_count != m_.datas.size())
      throw_malformed("data count and data section have inconsistent lengths", end);

    if (name_section_) name_section(*name_section_);
  }

 private:
  // ---- helpers -------------------------------------------------------------------------

  static void header(Reader& r) {
    static constexpr uint8_t kMagic[4] = {0x00, 0x61, 0x73, 0x6D};
    static constexpr uint8_t kVersion[4] = {0x01, 0x00, 0x00, 0x00};
    const uint8_t* magic = r.bytes(4);
    if (std::memcmp(magic, kMagic, 4) != 0) r.fail_at("magic header not detected", 0);
    const uint8_t* version = r.bytes(4);
    if (std::memcmp(version, kVersion, 4) != 0) r.fail_at("unknown binary version", 4);
  }

  // Reads a vector length, rejecting counts that cannot fit in the bytes left (every
  // element takes at least one byte) or that exceed an implementation limit. Callers may
  // then reserve `n` elements: allocation stays proportional to the input.
  static uint32_t count(Reader& r, uint64_t limit, const char* what) {
    const uint32_t at = r.offset();
    const uint32_t n = r.u32();
    if (n > r.remaining()) r.fail_at("length out of bounds", at);
    if (n > limit) r.fail_at(std::string("too many ") + what, at);
    return n;
  }

  static ValType val_type(Reader& r) {
    const uint8_t b = r.u8();
    switch (b) {
      case 0x7F: case 0x7E: case 0x7D: case 0x7C: case 0x7B: case 0x70: case 0x6F:
        return static_cast<ValType>(b);
      default:
        r.fail_at("malformed value type", r.offset() - 1);
    }
  }

  static ValType ref_type(Reader& r) {
    const uint8_t b = r.u8();
    if (b != 0x70 && b != 0x6F) r.fail_at("malformed reference type", r.offset() - 1);
    return static_cast<ValType>(b);
  }

  // Limits flags are a one-bit LEB128 number: 0 (no maximum) or 1 (maximum follows).
  static Limits limits(Reader& r) {
    const uint8_t flags = r.u8();
    if (flags & 0x80) r.fail_at("integer representation too long", r.offset() - 1);
    if (flags > 1) r.fail_at("integer too large", r.offset() - 1);
    Limits l;
    l.min = r.u32();
    if (flags == 1) l.max = r.u32();
    return l;
  }

  static TableType table_type(Reader& r) {
    TableType t;
    t.elem = ref_type(r);
    t.limits = limits(r);
    return t;
  }

  static GlobalType global_type(Reader& r) {
    GlobalType g;
    g.type = val_type(r);
    const uint8_t mut = r.u8();
    if (mut > 1) r.fail_at("malformed mutability", r.offset() - 1);
    g.mut = mut == 1;
    return g;
  }

  // A constant expression: one constant instruction, then `end`.
  static ConstExpr const_expr(Reader& r) {
    ConstExpr e;
    e.offset = r.offset();
    const uint8_t op = r.u8();
    switch (op) {
      case op::I32Const: e.op = ConstExpr::Op::I32Const; e.bits = static_cast<uint32_t>(r.s32()); break;
      case op::I64Const: e.op = ConstExpr::Op::I64Const; e.bits = static_cast<uint64_t>(r.s64()); break;
      case op::F32Const: e.op = ConstExpr::Op::F32Const; e.bits = r.f32_bits(); break;
      case op::F64Const: e.op = ConstExpr::Op::F64Const; e.bits = r.f64_bits(); break;
      case op::RefNull: e.op = ConstExpr::Op::RefNull; e.ref_type = ref_type(r); break;
      case op::RefFunc: e.op = ConstExpr::Op::RefFunc; e.index = r.u32(); break;
      case op::GlobalGet: e.op = ConstExpr::Op::GlobalGet; e.index = r.u32(); break;
      case op::End: throw_invalid("type mismatch: empty constant expression", e.offset);
      default: non_constant(r, op, e.offset);
    }
    const uint32_t end_at = r.offset();
    const uint8_t end = r.u8();
    if (end == op::End) return e;
    switch (end) {
      case op::I32Const: case op::I64Const: case op::F32Const: case op::F64Const:
      case op::RefNull: case op::RefFunc: case op::GlobalGet:
        throw_invalid("type mismatch: constant expression leaves more than one value", end_at);
      default:
        non_constant(r, end, end_at);
    }
  }

  // `op` (already read) cannot appear in a constant expression: say whether it is a real
  // instruction or not an instruction at all.
  [[noreturn]] static void non_constant(Reader& r, uint8_t op, uint32_t at) {
    if (!is_opcode(op)) r.fail_at("illegal opcode", at);
    if (op == op::PrefixFC) {
      if (r.u32() > op::ext::TableFill) r.fail_at("illegal opcode", at);
    } else if (op == op::PrefixSIMD) {
      // v128.const (0xFD 12) is constant, but SIMD is not supported yet and ConstExpr
      // cannot hold a v128.
      if (r.u32() == 12) throw_invalid("SIMD is not supported yet (v128.const)", at, r.func());
    }
    throw_invalid("constant expression required", at, r.func());
  }

  size_t defined_funcs() const { return m_.funcs.size() - m_.num_imported_funcs; }

  // ---- sections ------------------------------------------------------------------------

  void custom_section(Reader& s) {
    CustomSection c;
    c.name = s.name();
    c.data_offset = s.offset();
    c.data_size = static_cast<uint32_t>(s.remaining());
    s.skip(s.remaining());
    if (c.name == "name" && !name_section_) name_section_ = std::make_pair(c.data_offset, c.data_size);
    m_.customs.push_back(std::move(c));
  }

  void type_section(Reader& s) {
    const uint32_t n = count(s, lim_.max_types, "types");
    m_.types.reserve(n);
    for (uint32_t i = 0; i < n; ++i) {
      const uint32_t at = s.offset();
      if (s.u8() != 0x60) s.fail_at("malformed function type", at);
      FuncType ft;
      const uint32_t np = count(s, lim_.max_params, "parameters");
      ft.params.reserve(np);
      for (uint32_t k = 0; k < np; ++k) ft.params.push_back(val_type(s));
      const uint32_t nr = count(s, lim_.max_results, "results");
      ft.results.reserve(nr);
      for (uint32_t k = 0; k < nr; ++k) ft.results.push_back(val_type(s));
      m_.types.push_back(std::move(ft));
    }
  }

  void import_section(Reader& s) {
    const uint32_t n = count(s, lim_.max_imports, "imports");
    m_.imports.reserve(n);
    for (uint32_t i = 0; i < n; ++i) {
      Import im;
      im.module = s.name();
      im.name = s.name();
      const uint32_t kind_at = s.offset();
      const uint8_t kind = s.u8();
      switch (kind) {
        case 0:
          im.kind = ExternKind::Func;
          im.func_type = s.u32();
          if (m_.funcs.size() >= lim_.max_functions) s.fail_at("too many functions", kind_at);
          m_.funcs.push_back(im.func_type);
          ++m_.num_imported_funcs;
          break;
        case 1:
          im.kind = ExternKind::Table;
          im.table = table_type(s);
          if (m_.tables.size() >= lim_.max_tables) s.fail_at("too many tables", kind_at);
          m_.tables.push_back(im.table);
          ++m_.num_imported_tables;
          break;
        case 2:
          im.kind = ExternKind::Memory;
          im.memory.limits = limits(s);
          m_.memories.push_back(im.memory);
          ++m_.num_imported_memories;
          break;
        case 3:
          im.kind = ExternKind::Global;
          im.global = global_type(s);
          if (m_.globals.size() >= lim_.max_globals) s.fail_at("too many globals", kind_at);
          m_.globals.push_back(im.global);
          ++m_.num_imported_globals;
          break;
        default:
          s.fail_at("malformed import kind", kind_at);
      }
      m_.imports.push_back(std::move(im));
    }
  }

  void function_section(Reader& s) {
    const uint32_t n = count(s, lim_.max_functions - m_.funcs.size(), "functions");
    m_.funcs.reserve(m_.funcs.size() + n);
    for (uint32_t i = 0; i < n; ++i) m_.funcs.push_back(s.u32());
  }

  void table_section(Reader& s) {
    const uint32_t n = count(s, lim_.max_tables - m_.tables.size(), "tables");
    m_.tables.reserve(m_.tables.size() + n);
    for (uint32_t i = 0; i < n; ++i) m_.tables.push_back(table_type(s));
  }

  void memory_section(Reader& s) {
    const uint32_t n = count(s, std::numeric_limits<uint32_t>::max(), "memories");
    m_.memories.reserve(m_.memories.size() + n);
    for (uint32_t i = 0; i < n; ++i) m_.memories.push_back(MemoryType{limits(s)});
  }

  void global_section(Reader& s) {
    const uint32_t n = count(s, lim_.max_globals - m_.globals.size(), "globals");
    m_.globals.reserve(m_.globals.size() + n);
    m_.global_inits.reserve(n);
    for (uint32_t i = 0; i < n; ++i) {
      m_.globals.push_back(global_type(s));
      m_.global_inits.push_back(const_expr(s));
    }
  }

  void export_section(Reader& s) {
    const uint32_t n = count(s, lim_.max_exports, "exports");
    m_.exports.reserve(n);
    for (uint32_t i = 0; i < n; ++i) {
      Export ex;
      ex.name = s.name();
      const uint32_t kind_at = s.offset();
      const uint8_t kind = s.u8();
      if (kind > 3) s.fail_at("malformed export kind", kind_at);
      ex.kind = static_cast<ExternKind>(kind);
      ex.index = s.u32();
      m_.exports.push_back(std::move(ex));
    }
  }

  void element_section(Reader& s) {
    const uint32_t n = count(s, lim_.max_segments, "element segments");
    m_.elems.reserve(n);
    for (uint32_t i = 0; i < n; ++i) {
      ElemSegment seg;
      seg.section_offset = s.offset();
      const uint32_t flags = s.u32();
      if (flags > 7) s.fail_at("malformed elements segment kind", seg.section_offset);
      // Bit 0: passive or declarative; bit 1: explicit table index (active) or declarative
      // (otherwise); bit 2: expressions instead of function indices.
      const bool has_exprs = flags & 4;
      if (flags & 1) {
        seg.mode = (flags & 2) ? ElemSegment::Mode::Declarative : ElemSegment::Mode::Passive;
      } else {
        seg.mode = ElemSegment::Mode::Active;
        if (flags & 2) seg.table = s.u32();
        seg.offset = const_expr(s);
      }
      // Encodings 0 and 4 imply funcref; the others name the element type.
      if (flags & 3) {
        if (has_exprs) {
          seg.type = ref_type(s);
        } else {
          const uint32_t at = s.offset();
          if (s.u8() != 0x00) s.fail_at("malformed element kind", at);
          seg.type = ValType::FuncRef;
        }
      }
      if (has_exprs) {
        const uint32_t ne = count(s, lim_.max_segment_elems, "segment elements");
        seg.init.reserve(ne);
        for (uint32_t k = 0; k < ne; ++k) seg.init.push_back(const_expr(s));
      } else {
        const uint32_t ne = count(s, lim_.max_segment_elems, "segment elements");
        seg.init.resize(ne);
        for (ConstExpr& e : seg.init) {
          e.op = ConstExpr::Op::RefFunc;
          e.offset = s.offset();
          e.index = s.u32();
        }
      }
      m_.elems.push_back(std::move(seg));
    }
  }

  void data_count_section(Reader& s) {
    const uint32_t at = s.offset();
    const uint32_t n = s.u32();
    if (n > lim_.max_segments) s.fail_at("too many data segments", at);
    m_.data_count = n;
  }

  void code_section(Reader& s) {
    // A count different from the function section's is reported after the last section
    // (as the reference interpreter does, so section order errors come first).
    code_count_at_ = s.offset();
    const uint32_t n = count(s, lim_.max_functions, "functions");
    m_.codes.resize(n);
    for (uint32_t i = 0; i < n; ++i) {
      const uint32_t func = m_.num_imported_funcs + i;
      s.set_func(func);
      const uint32_t size = s.u32();
      if (size > s.remaining()) s.fail("unexpected end of section or function");
      const uint32_t entry_at = s.offset();
      Reader e(s.pos(), size, entry_at, func);
      s.skip(size);

      Code& code = m_.codes[i];
      const uint32_t nd = count(e, std::numeric_limits<uint32_t>::max(), "local declarations");
      code.locals.reserve(nd);
      uint64_t total = 0;
      for (uint32_t k = 0; k < nd; ++k) {
        const uint32_t at = e.offset();
        LocalDecl d;
        d.count = e.u32();
        d.type = val_type(e);
        total += d.count;
        if (total > lim_.max_locals) e.fail_at("too many locals", at);
        code.locals.push_back(d);
      }
      code.num_locals = static_cast<uint32_t>(total);
      if (e.at_end()) e.fail("unexpected end of section or function");
      code.body_offset = e.offset();
      code.body_end = entry_at + size;
    }
    s.set_func(std::nullopt);
  }

  void data_section(Reader& s) {
    const uint32_t count_at = s.offset();
    const uint32_t n = count(s, lim_.max_segments, "data segments");
    if (m_.data_count && *m_.data_count != n)
      s.fail_at("data count and data section have inconsistent lengths", count_at);
    m_.datas.reserve(n);
    for (uint32_t i = 0; i < n; ++i) {
      DataSegment seg;
      seg.section_offset = s.offset();
      const uint32_t flags = s.u32();
      switch (flags) {
        case 0: seg.mode = DataSegment::Mode::Active; seg.offset = const_expr(s); break;
        case 1: seg.mode = DataSegment::Mode::Passive; break;
        case 2:
          seg.mode = DataSegment::Mode::Active;
          seg.memory = s.u32();
          seg.offset = const_expr(s);
          break;
        default: s.fail_at("malformed data segment kind", seg.section_offset);
      }
      const uint32_t size = s.u32();
      if (size > s.remaining()) s.fail("unexpected end of section or function");
      seg.data_offset = s.offset();
      seg.data_size = size;
      s.skip(size);
      m_.datas.push_back(seg);
    }
  }

  // The "name" custom section, best effort: function names only, and only when the
  // whole section is well formed.
  void name_section(std::pair<uint32_t, uint32_t> range) {
    try {
      Reader r(m_.bytes.data() + range.first, range.second, range.first);
      std::vector<std::string> names;
      bool seen = false;
      while (!r.at_end()) {
        const uint8_t id = r.u8();
        const uint32_t size = r.u32();
        if (size > r.remaining()) return;
        Reader sub(r.pos(), size, r.offset());
        r.skip(size);
        if (id != 1) continue;
        if (seen) return;  // a second function-names subsection
        seen = true;
        const uint32_t n = sub.u32();
        if (n > sub.remaining() / 2) return;
        names.resize(m_.funcs.size());
        for (uint32_t i = 0; i < n; ++i) {
          const uint32_t idx = sub.u32();
          std::string name = sub.name();
          if (idx >= names.size()) return;
          names[idx] = std::move(name);
        }
        if (!sub.at_end()) return;
      }
      m_.func_names = std::move(names);
    } catch (const LoadException&) {
      // Malformed name sections are ignored.
    }
  }

  Module& m_;
  const DecodeLimits& lim_;
  std::optional<std::pair<uint32_t, uint32_t>> name_section_;
  std::optional<uint32_t> code_count_at_;  // where the code section's count is, if present
};

}  // namespace

std::optional<LoadError> decode(std::span<const uint8_t> bytes, Module& out,
                                const DecodeLimits& limits) {
  out = Module{};
  if (bytes.size() > std::numeric_limits<uint32_t>::max()) {
    return LoadError{LoadError::Kind::Malformed, "module too large (4 GiB or more)", 0, std::nullopt};
  }
  out.bytes.assign(bytes.begin(), bytes.end());
  try {
    Decoder(out, limits).run();
  } catch (const LoadException& e) {
    return e.error;
  } catch (const std::bad_alloc&) {
    return LoadError{LoadError::Kind::Malformed, "out of memory while decoding", 0, std::nullopt};
  }
  return std::nullopt;
}

}  // namespace isola::wasm
