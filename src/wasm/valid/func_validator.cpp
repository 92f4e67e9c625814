// Function-body validation. See func_validator.hpp.
//
// The algorithm is the spec's: an operand stack of value types, where kUnknown stands for
// a value popped from the polymorphic stack of dead code, and a stack of control frames,
// each remembering its start and end types, the operand stack height at entry, and
// whether the rest of it is unreachable. Hot paths (numeric operators, locals, constants)
// compare the top of the stack directly and fall back to the general pop only on a miss.
#include "wasm/valid/func_validator.hpp"

#include <algorithm>
#include <array>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <utility>

#include "wasm/binary/opcodes.hpp"

// The stack helpers sit on the hottest path; GCC will not inline them into the big
// switch on its own.
#if defined(__GNUC__)
#define ISOLA_VALID_INLINE inline __attribute__((always_inline))
#else
#define ISOLA_VALID_INLINE inline
#endif

namespace isola::wasm::valid {
namespace {

constexpr ValType I32 = ValType::I32, I64 = ValType::I64, F32 = ValType::F32,
                  F64 = ValType::F64, V128 = ValType::V128, FuncRef = ValType::FuncRef,
                  ExternRef = ValType::ExternRef;

constexpr const char* kSimd = "SIMD is not supported yet";

// One-element type sequences for block types written as a single value type.
constexpr ValType kSingle[] = {I32, I64, F32, F64, V128, FuncRef, ExternRef};

const ValType* single(ValType t) {
  switch (t) {
    case I32: return &kSingle[0];
    case I64: return &kSingle[1];
    case F32: return &kSingle[2];
    case F64: return &kSingle[3];
    case V128: return &kSingle[4];
    case FuncRef: return &kSingle[5];
    default: return &kSingle[6];
  }
}

bool is_num_or_unknown(ValType t) {
  return t == I32 || t == I64 || t == F32 || t == F64 || t == kUnknown;
}
bool is_ref_or_unknown(ValType t) { return t == FuncRef || t == ExternRef || t == kUnknown; }

// Operand and result types of the plain numeric instructions (0x45..0xC4), which all take
// one or two operands of one type and give one result.
struct NumSig {
  uint8_t arity = 0;  // 0: not a numeric instruction
  ValType in = kUnknown;
  ValType out = kUnknown;
};

constexpr std::array<NumSig, 256> make_num_sigs() {
  std::array<NumSig, 256> t{};
  auto set = [&t](int lo, int hi, uint8_t arity, ValType in, ValType out) {
    for (int i = lo; i <= hi; ++i) t[static_cast<size_t>(i)] = NumSig{arity, in, out};
  };
  set(0x45, 0x45, 1, I32, I32);  // i32.eqz
  set(0x46, 0x4F, 2, I32, I32);  // i32 comparisons
  set(0x50, 0x50, 1, I64, I32);  // i64.eqz
  set(0x51, 0x5A, 2, I64, I32);  // i64 comparisons
  set(0x5B, 0x60, 2, F32, I32);  // f32 comparisons
  set(0x61, 0x66, 2, F64, I32);  // f64 comparisons
  set(0x67, 0x69, 1, I32, I32);  // i32 clz ctz popcnt
  set(0x6A, 0x78, 2, I32, I32);  // i32 binary
  set(0x79, 0x7B, 1, I64, I64);
  set(0x7C, 0x8A, 2, I64, I64);
  set(0x8B, 0x91, 1, F32, F32);
  set(0x92, 0x98, 2, F32, F32);
  set(0x99, 0x9F, 1, F64, F64);
  set(0xA0, 0xA6, 2, F64, F64);
  set(0xA7, 0xA7, 1, I64, I32);  // i32.wrap_i64
  set(0xA8, 0xA9, 1, F32, I32);
  set(0xAA, 0xAB, 1, F64, I32);
  set(0xAC, 0xAD, 1, I32, I64);  // i64.extend_i32_s/u
  set(0xAE, 0xAF, 1, F32, I64);
  set(0xB0, 0xB1, 1, F64, I64);
  set(0xB2, 0xB3, 1, I32, F32);
  set(0xB4, 0xB5, 1, I64, F32);
  set(0xB6, 0xB6, 1, F64, F32);  // f32.demote_f64
  set(0xB7, 0xB8, 1, I32, F64);
  set(0xB9, 0xBA, 1, I64, F64);
  set(0xBB, 0xBB, 1, F32, F64);  // f64.promote_f32
  set(0xBC, 0xBC, 1, F32, I32);  // reinterprets
  set(0xBD, 0xBD, 1, F64, I64);
  set(0xBE, 0xBE, 1, I32, F32);
  set(0xBF, 0xBF, 1, I64, F64);
  set(0xC0, 0xC1, 1, I32, I32);  // sign extension
  set(0xC2, 0xC4, 1, I64, I64);
  return t;
}
constexpr std::array<NumSig, 256> kNumSigs = make_num_sigs();

// Loads and stores (0x28..0x3E): value type and log2 of the natural alignment.
struct MemSig {
  ValType type;
  uint8_t natural_align;
};
constexpr MemSig kMemSigs[0x3E - 0x28 + 1] = {
    {I32, 2}, {I64, 3}, {F32, 2}, {F64, 3},                          // 28..2B loads
    {I32, 0}, {I32, 0}, {I32, 1}, {I32, 1},                          // 2C..2F
    {I64, 0}, {I64, 0}, {I64, 1}, {I64, 1}, {I64, 2}, {I64, 2},      // 30..35
    {I32, 2}, {I64, 3}, {F32, 2}, {F64, 3},                          // 36..39 stores
    {I32, 0}, {I32, 1}, {I64, 0}, {I64, 1}, {I64, 2},                // 3A..3E
};

// Saturating truncations (0xFC 0..7): operand type.
constexpr ValType kTruncSatIn[8] = {F32, F32, F64, F64, F32, F32, F64, F64};

// LEB128 with a one-byte fast path (most indices and constants are below 128); longer
// encodings go through the Reader's strict decoder.
ISOLA_VALID_INLINE uint32_t read_u32(Reader& r) {
  if (r.remaining() != 0) {
    const uint8_t b = *r.pos();
    if (b < 0x80) {
      r.skip(1);
      return b;
    }
  }
  return r.u32();
}
ISOLA_VALID_INLINE void skip_s32(Reader& r) {
  if (r.remaining() != 0 && *r.pos() < 0x80) return r.skip(1);
  r.s32();
}
ISOLA_VALID_INLINE void skip_s64(Reader& r) {
  if (r.remaining() != 0 && *r.pos() < 0x80) return r.skip(1);
  r.s64();
}

std::string hex(uint64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "0x%02" PRIx64, v);
  return buf;
}

}  // namespace

const char* type_name(ValType t) {
  switch (t) {
    case I32: return "i32";
    case I64: return "i64";
    case F32: return "f32";
    case F64: return "f64";
    case V128: return "v128";
    case FuncRef: return "funcref";
    case ExternRef: return "externref";
    default: return "unknown";
  }
}

FuncValidator::FuncValidator(const Module& m, const std::vector<uint8_t>& declared_refs)
    : m_(m), refs_(declared_refs) {
  grow(1024);
  ctrls_.reserve(64);
  scratch_.reserve(64);
  flat_.reserve(256);
}

// ---- errors ---------------------------------------------------------------------------

void FuncValidator::invalid(std::string what) const { throw_invalid(std::move(what), instr_, func_); }
void FuncValidator::malformed(std::string what) const {
  throw_malformed(std::move(what), instr_, func_);
}
void FuncValidator::mismatch(ValType expected, ValType found) const {
  invalid(std::string("type mismatch: expected ") + type_name(expected) + ", found " +
          type_name(found));
}
void FuncValidator::underflow(ValType expected) const {
  if (expected == kUnknown) invalid("type mismatch: expected a value, found an empty stack");
  invalid(std::string("type mismatch: expected ") + type_name(expected) +
          ", found an empty stack");
}

// ---- operand and control stacks ---------------------------------------------------------
//
// The operand stack is a raw array over `store_` so pushes and pops inline to a compare
// and a store; the current frame's height and unreachable flag are cached in members.

void FuncValidator::grow(size_t need) {
  size_t cap = std::max<size_t>(store_.size() * 2, need);
  store_.resize(cap);
  vals_ = store_.data();
  cap_ = cap;
}

ISOLA_VALID_INLINE void FuncValidator::push(ValType t) {
  if (nvals_ == cap_) grow(nvals_ + 1);
  vals_[nvals_++] = t;
}

ISOLA_VALID_INLINE void FuncValidator::push_vals(const ValType* ts, uint32_t n) {
  if (n == 0) return;
  if (cap_ - nvals_ < n) grow(nvals_ + n);
  if (n == 1) vals_[nvals_] = ts[0];
  else std::memcpy(vals_ + nvals_, ts, n);
  nvals_ += n;
}

ISOLA_VALID_INLINE ValType FuncValidator::pop_any() {
  if (nvals_ == height_) {
    if (unreachable_) return kUnknown;
    underflow(kUnknown);
  }
  return vals_[--nvals_];
}

ISOLA_VALID_INLINE void FuncValidator::pop(ValType expect) {
  if (nvals_ == height_) {
    if (unreachable_) return;
    underflow(expect);
  }
  const ValType t = vals_[nvals_ - 1];
  if (t != expect && t != kUnknown) mismatch(expect, t);
  --nvals_;
}

// Checks the values really on the stack (at most n) and treats the rest as popped from
// the polymorphic bottom, so `unreachable` followed by a call with many parameters costs
// nothing per parameter.
void FuncValidator::pop_vals_slow(const ValType* ts, uint32_t n) {
  const uint32_t k = std::min(nvals_ - height_, n);
  for (uint32_t i = 0; i < k; ++i) {
    const ValType t = vals_[nvals_ - 1 - i];
    const ValType e = ts[n - 1 - i];
    if (t != e && t != kUnknown) mismatch(e, t);
  }
  if (k < n && !unreachable_) underflow(ts[n - 1 - k]);
  nvals_ -= k;
}

ISOLA_VALID_INLINE void FuncValidator::pop_vals(const ValType* ts, uint32_t n) {
  if (n == 0) return;
  // Fast path: the top n values are exactly the expected ones.
  if (nvals_ - height_ >= n) {
    const ValType* top = vals_ + nvals_ - n;
    if (n == 1 ? top[0] == ts[0] : std::memcmp(top, ts, n) == 0) {
      nvals_ -= n;
      return;
    }
  }
  pop_vals_slow(ts, n);
}

ISOLA_VALID_INLINE void FuncValidator::push_ctrl(uint8_t kind, const ValType* params, uint32_t np,
                                                 const ValType* results, uint32_t nr) {
  ctrls_.push_back(Frame{params, results, np, nr, nvals_, 0, kind, false});
  height_ = nvals_;
  unreachable_ = false;
  push_vals(params, np);
}

ISOLA_VALID_INLINE FuncValidator::Frame FuncValidator::pop_ctrl() {
  const Frame& f = ctrls_.back();
  pop_vals(f.results, f.nresults);
  if (nvals_ != height_) {
    invalid("type mismatch: " + std::to_string(nvals_ - height_) +
            " value(s) left on the stack at the end of the block");
  }
  Frame out = f;
  ctrls_.pop_back();
  if (!ctrls_.empty()) {
    height_ = ctrls_.back().height;
    unreachable_ = ctrls_.back().unreachable;
  }
  return out;
}

ISOLA_VALID_INLINE void FuncValidator::set_unreachable() {
  nvals_ = height_;
  unreachable_ = true;
  ctrls_.back().unreachable = true;
}

// ---- immediates -------------------------------------------------------------------------

ValType FuncValidator::read_value_type(Reader& r) {
  const uint8_t b = r.u8();
  switch (b) {
    case 0x7F: case 0x7E: case 0x7D: case 0x7C: case 0x70: case 0x6F:
      return static_cast<ValType>(b);
    case 0x7B: invalid(kSimd);
    default: malformed("malformed value type " + hex(b));
  }
}

void FuncValidator::read_block_type(Reader& r, BlockSig& sig) {
  const uint8_t b = r.peek_u8();
  if (b == op::kBlockTypeEmpty) {
    r.u8();
    sig = BlockSig{nullptr, nullptr, 0, 0};
    return;
  }
  if (b >= 0x40 && b < 0x80) {  // a one-byte negative s33: a value type or nothing valid
    ValType t = read_value_type(r);
    sig = BlockSig{nullptr, single(t), 0, 1};
    return;
  }
  const int64_t x = r.s33();
  if (x < 0) malformed("malformed block type");
  if (static_cast<uint64_t>(x) >= m_.types.size()) invalid("unknown type " + std::to_string(x));
  const FuncType& ft = m_.types[static_cast<size_t>(x)];
  sig = BlockSig{ft.params.data(), ft.results.data(), static_cast<uint32_t>(ft.params.size()),
                 static_cast<uint32_t>(ft.results.size())};
}

ISOLA_VALID_INLINE void FuncValidator::need_memory() {
  if (m_.memories.empty()) invalid("unknown memory 0");
}

ISOLA_VALID_INLINE void FuncValidator::read_memarg(Reader& r, uint32_t natural_align) {
  const uint32_t align = read_u32(r);
  if (align >= 32) malformed("malformed memop flags");
  read_u32(r);  // offset
  need_memory();
  if (align > natural_align) invalid("alignment must not be larger than natural");
}

ISOLA_VALID_INLINE void FuncValidator::zero_byte(Reader& r) {
  if (r.u8() != 0) malformed("zero byte expected");
}

void FuncValidator::check_data_index(uint32_t index) {
  if (!m_.data_count) {
    // Without data segments no index is valid, and saying so is more useful (and what
    // the spec tests expect of such modules) than asking for a data count section.
    if (m_.datas.empty()) invalid("unknown data segment " + std::to_string(index));
    malformed("data count section required");
  }
  if (index >= *m_.data_count) invalid("unknown data segment " + std::to_string(index));
}

ISOLA_VALID_INLINE uint32_t FuncValidator::label_depth(Reader& r) {
  const uint32_t n = read_u32(r);
  if (n >= ctrls_.size()) invalid("unknown label " + std::to_string(n));
  return n;
}

ISOLA_VALID_INLINE void FuncValidator::check_table(uint32_t index) {
  if (index >= m_.tables.size()) invalid("unknown table " + std::to_string(index));
}

// br_table: every target must have the default's arity, and the operands must match each
// target's label types. Under a polymorphic stack different targets may see different
// types, so each check pops (yielding kUnknown below the frame) and pushes back what it
// popped, as the spec's algorithm does. A label already checked by this br_table is
// skipped, so a table of a million entries costs a million lookups, not a million checks.
void FuncValidator::br_table(Reader& r) {
  pop(I32);
  const uint32_t count = read_u32(r);
  if (++br_tables_ == 0) {  // wrapped: forget every mark so none is mistaken for this one
    for (Frame& f : ctrls_) f.br_table_mark = 0;
    br_tables_ = 1;
  }
  const uint32_t mark = br_tables_;
  const size_t depth = ctrls_.size();
  // `count` comes from the input, but every target takes at least one byte, so the loop
  // below ends (with "unexpected end") within the body.
  auto check_label = [&](uint32_t n) {
    Frame& target = ctrls_[depth - 1 - n];
    if (target.br_table_mark == mark) return;
    target.br_table_mark = mark;
    const ValType* ts = target.label();
    const uint32_t k = target.nlabel();
    if (k == 0) return;
    scratch_.resize(k);
    for (uint32_t i = k; i-- > 0;) {
      if (nvals_ == height_) {
        if (!unreachable_) underflow(ts[i]);
        scratch_[i] = kUnknown;
        continue;
      }
      const ValType t = vals_[nvals_ - 1];
      if (t != ts[i] && t != kUnknown) mismatch(ts[i], t);
      --nvals_;
      scratch_[i] = t;
    }
    // Push back what was popped (kUnknown for values taken from the polymorphic bottom),
    // so the next label is checked against the same operands.
    push_vals(scratch_.data(), k);
  };

  // Labels are validated as they are read; the default's arity is only known at the end,
  // so arities are compared against the first target and then against the default.
  uint32_t arity = UINT32_MAX;
  for (uint32_t i = 0; i < count; ++i) {
    const uint32_t n = label_depth(r);
    const uint32_t a = ctrls_[depth - 1 - n].nlabel();
    if (arity == UINT32_MAX) arity = a;
    else if (a != arity) invalid("type mismatch: br_table targets have different arities");
    check_label(n);
  }
  const uint32_t d = label_depth(r);
  const uint32_t a = ctrls_[depth - 1 - d].nlabel();
  if (arity != UINT32_MAX && a != arity)
    invalid("type mismatch: br_table targets have different arities");
  check_label(d);
  set_unreachable();
}

// ---- locals -----------------------------------------------------------------------------

void FuncValidator::setup_locals(const FuncType& ft, const Code& code) {
  params_ = ft.params.data();
  nparams_ = static_cast<uint32_t>(ft.params.size());
  decl_ends_.clear();
  decl_types_.clear();
  uint64_t total = 0;
  for (const LocalDecl& d : code.locals) {
    if (d.count == 0) continue;
    if (d.type == V128) throw_invalid(kSimd, code.body_offset, func_);
    total += d.count;
    if (total > UINT32_MAX) throw_malformed("too many locals", code.body_offset, func_);
    decl_ends_.push_back(static_cast<uint32_t>(total));
    decl_types_.push_back(d.type);
  }
  nlocals_total_ = nparams_ + total;

  // Expand as many locals as the body could possibly name cheaply: work stays
  // proportional to the body's size.
  const uint64_t body_len = code.body_end - code.body_offset;
  const uint64_t flat_n = std::min<uint64_t>(nlocals_total_, 64 + body_len);
  flat_.clear();
  flat_.insert(flat_.end(), params_, params_ + std::min<uint64_t>(nparams_, flat_n));
  for (size_t i = 0; i < decl_ends_.size() && flat_.size() < flat_n; ++i) {
    const uint64_t upto = std::min<uint64_t>(flat_n, nparams_ + uint64_t{decl_ends_[i]});
    flat_.resize(upto, decl_types_[i]);
  }
}

ISOLA_VALID_INLINE ValType FuncValidator::local_type(uint32_t index) {
  if (index < flat_.size()) return flat_[index];
  return local_type_slow(index);
}

ValType FuncValidator::local_type_slow(uint32_t index) {
  if (index >= nlocals_total_) invalid("unknown local " + std::to_string(index));
  if (index < nparams_) return params_[index];
  const uint32_t j = index - nparams_;
  auto it = std::upper_bound(decl_ends_.begin(), decl_ends_.end(), j);
  return decl_types_[static_cast<size_t>(it - decl_ends_.begin())];
}

// ---- the body ---------------------------------------------------------------------------

void FuncValidator::validate(uint32_t func_index) {
  func_ = func_index;
  const FuncType& ft = m_.func_type(func_index);
  const Code& code = m_.code(func_index);
  instr_ = code.body_offset;
  if (code.body_offset > code.body_end || code.body_end > m_.bytes.size())
    malformed("unexpected end: function body out of bounds");
  Reader r(m_.bytes.data() + code.body_offset, code.body_end - code.body_offset,
           code.body_offset, func_index);
  setup_locals(ft, code);
  nvals_ = 0;
  ctrls_.clear();
  push_ctrl(op::Block, nullptr, 0, ft.results.data(), static_cast<uint32_t>(ft.results.size()));

  const size_t num_funcs = m_.funcs.size();
  const size_t num_globals = m_.globals.size();

  for (;;) {
    instr_ = r.offset();
    if (r.at_end()) malformed("END opcode expected");
    const uint8_t opc = r.u8();
    switch (opc) {
      case op::Unreachable:
        set_unreachable();
        break;
      case op::Nop:
        break;

      case op::Block:
      case op::Loop: {
        BlockSig s;
        read_block_type(r, s);
        pop_vals(s.params, s.nparams);
        push_ctrl(opc, s.params, s.nparams, s.results, s.nresults);
        break;
      }
      case op::If: {
        BlockSig s;
        read_block_type(r, s);
        pop(I32);
        pop_vals(s.params, s.nparams);
        push_ctrl(op::If, s.params, s.nparams, s.results, s.nresults);
        break;
      }
      case op::Else: {
        if (ctrls_.back().kind != op::If) malformed("else without matching if");
        Frame f = pop_ctrl();
        push_ctrl(op::Else, f.params, f.nparams, f.results, f.nresults);
        break;
      }
      case op::End: {
        Frame f = pop_ctrl();
        if (f.kind == op::If &&
            (f.nparams != f.nresults ||
             (f.nparams != 0 && std::memcmp(f.params, f.results, f.nparams) != 0))) {
          invalid("type mismatch: if without else must leave its parameters unchanged");
        }
        if (ctrls_.empty()) {
          if (!r.at_end()) malformed("section size mismatch: code after the function's final end");
          return;
        }
        push_vals(f.results, f.nresults);
        break;
      }

      case op::Br: {
        const uint32_t n = label_depth(r);
        const Frame& t = ctrls_[ctrls_.size() - 1 - n];
        pop_vals(t.label(), t.nlabel());
        set_unreachable();
        break;
      }
      case op::BrIf: {
        const uint32_t n = label_depth(r);
        pop(I32);
        const Frame& t = ctrls_[ctrls_.size() - 1 - n];
        const ValType* ts = t.label();
        const uint32_t k = t.nlabel();
        pop_vals(ts, k);
        push_vals(ts, k);
        break;
      }
      case op::BrTable:
        br_table(r);
        break;
      case op::Return: {
        const Frame& f = ctrls_.front();
        pop_vals(f.results, f.nresults);
        set_unreachable();
        break;
      }

      case op::Call: {
        const uint32_t f = read_u32(r);
        if (f >= num_funcs) invalid("unknown function " + std::to_string(f));
        const FuncType& t = m_.func_type(f);
        pop_vals(t.params.data(), static_cast<uint32_t>(t.params.size()));
        push_vals(t.results.data(), static_cast<uint32_t>(t.results.size()));
        break;
      }
      case op::CallIndirect: {
        const uint32_t ti = read_u32(r);
        const uint32_t tab = read_u32(r);
        check_table(tab);
        if (m_.tables[tab].elem != FuncRef)
          invalid("type mismatch: call_indirect needs a funcref table");
        if (ti >= m_.types.size()) invalid("unknown type " + std::to_string(ti));
        const FuncType& t = m_.types[ti];
        pop(I32);
        pop_vals(t.params.data(), static_cast<uint32_t>(t.params.size()));
        push_vals(t.results.data(), static_cast<uint32_t>(t.results.size()));
        break;
      }

      case op::Drop:
        pop_any();
        break;
      case op::Select: {
        pop(I32);
        const ValType t1 = pop_any();
        const ValType t2 = pop_any();
        if (!is_num_or_unknown(t1) || !is_num_or_unknown(t2))
          invalid("type mismatch: select without a type needs numeric operands");
        if (t1 != t2 && t1 != kUnknown && t2 != kUnknown) mismatch(t1, t2);
        push(t1 == kUnknown ? t2 : t1);
        break;
      }
      case op::SelectT: {
        const uint32_t n = read_u32(r);
        if (n != 1) invalid("invalid result arity");
        const ValType t = read_value_type(r);
        pop(I32);
        pop(t);
        pop(t);
        push(t);
        break;
      }

      case op::LocalGet: {
        const uint32_t i = read_u32(r);
        push(local_type(i));
        break;
      }
      case op::LocalSet: {
        const uint32_t i = read_u32(r);
        pop(local_type(i));
        break;
      }
      case op::LocalTee: {
        const uint32_t i = read_u32(r);
        const ValType t = local_type(i);
        pop(t);
        push(t);
        break;
      }
      case op::GlobalGet: {
        const uint32_t g = read_u32(r);
        if (g >= num_globals) invalid("unknown global " + std::to_string(g));
        push(m_.globals[g].type);
        break;
      }
      case op::GlobalSet: {
        const uint32_t g = read_u32(r);
        if (g >= num_globals) invalid("unknown global " + std::to_string(g));
        if (!m_.globals[g].mut) invalid("global is immutable");
        pop(m_.globals[g].type);
        break;
      }
      case op::TableGet: {
        const uint32_t t = read_u32(r);
        check_table(t);
        pop(I32);
        push(m_.tables[t].elem);
        break;
      }
      case op::TableSet: {
        const uint32_t t = read_u32(r);
        check_table(t);
        pop(m_.tables[t].elem);
        pop(I32);
        break;
      }

      case op::I32Load: case op::I64Load: case op::F32Load: case op::F64Load:
      case op::I32Load8S: case op::I32Load8U: case op::I32Load16S: case op::I32Load16U:
      case op::I64Load8S: case op::I64Load8U: case op::I64Load16S: case op::I64Load16U:
      case op::I64Load32S: case op::I64Load32U: {
        const MemSig s = kMemSigs[opc - op::I32Load];
        read_memarg(r, s.natural_align);
        pop(I32);
        push(s.type);
        break;
      }
      case op::I32Store: case op::I64Store: case op::F32Store: case op::F64Store:
      case op::I32Store8: case op::I32Store16: case op::I64Store8: case op::I64Store16:
      case op::I64Store32: {
        const MemSig s = kMemSigs[opc - op::I32Load];
        read_memarg(r, s.natural_align);
        pop(s.type);
        pop(I32);
        break;
      }
      case op::MemorySize:
        zero_byte(r);
        need_memory();
        push(I32);
        break;
      case op::MemoryGrow:
        zero_byte(r);
        need_memory();
        pop(I32);
        push(I32);
        break;

      case op::I32Const:
        skip_s32(r);
        push(I32);
        break;
      case op::I64Const:
        skip_s64(r);
        push(I64);
        break;
      case op::F32Const:
        r.skip(4);
        push(F32);
        break;
      case op::F64Const:
        r.skip(8);
        push(F64);
        break;

      case op::RefNull: {
        const uint8_t b = r.u8();
        if (b != 0x70 && b != 0x6F) malformed("malformed reference type " + hex(b));
        push(static_cast<ValType>(b));
        break;
      }
      case op::RefIsNull: {
        const ValType t = pop_any();
        if (!is_ref_or_unknown(t))
          invalid(std::string("type mismatch: ref.is_null needs a reference, found ") +
                  type_name(t));
        push(I32);
        break;
      }
      case op::RefFunc: {
        const uint32_t f = read_u32(r);
        if (f >= num_funcs) invalid("unknown function " + std::to_string(f));
        if (!refs_[f]) invalid("undeclared function reference " + std::to_string(f));
        push(FuncRef);
        break;
      }

      case op::PrefixFC: {
        const uint32_t sub = read_u32(r);
        switch (sub) {
          case op::ext::I32TruncSatF32S: case op::ext::I32TruncSatF32U:
          case op::ext::I32TruncSatF64S: case op::ext::I32TruncSatF64U:
            pop(kTruncSatIn[sub]);
            push(I32);
            break;
          case op::ext::I64TruncSatF32S: case op::ext::I64TruncSatF32U:
          case op::ext::I64TruncSatF64S: case op::ext::I64TruncSatF64U:
            pop(kTruncSatIn[sub]);
            push(I64);
            break;
          case op::ext::MemoryInit: {
            const uint32_t d = read_u32(r);
            zero_byte(r);
            need_memory();
            check_data_index(d);
            pop(I32);
            pop(I32);
            pop(I32);
            break;
          }
          case op::ext::DataDrop: {
            const uint32_t d = read_u32(r);
            check_data_index(d);
            break;
          }
          case op::ext::MemoryCopy:
            zero_byte(r);
            zero_byte(r);
            need_memory();
            pop(I32);
            pop(I32);
            pop(I32);
            break;
          case op::ext::MemoryFill:
            zero_byte(r);
            need_memory();
            pop(I32);
            pop(I32);
            pop(I32);
            break;
          case op::ext::TableInit: {
            const uint32_t e = read_u32(r);
            const uint32_t t = read_u32(r);
            check_table(t);
            if (e >= m_.elems.size()) invalid("unknown elem segment " + std::to_string(e));
            if (m_.elems[e].type != m_.tables[t].elem)
              mismatch(m_.tables[t].elem, m_.elems[e].type);
            pop(I32);
            pop(I32);
            pop(I32);
            break;
          }
          case op::ext::ElemDrop: {
            const uint32_t e = read_u32(r);
            if (e >= m_.elems.size()) invalid("unknown elem segment " + std::to_string(e));
            break;
          }
          case op::ext::TableCopy: {
            const uint32_t dst = read_u32(r);
            const uint32_t src = read_u32(r);
            check_table(dst);
            check_table(src);
            if (m_.tables[dst].elem != m_.tables[src].elem)
              mismatch(m_.tables[dst].elem, m_.tables[src].elem);
            pop(I32);
            pop(I32);
            pop(I32);
            break;
          }
          case op::ext::TableGrow: {
            const uint32_t t = read_u32(r);
            check_table(t);
            pop(I32);
            pop(m_.tables[t].elem);
            push(I32);
            break;
          }
          case op::ext::TableSize: {
            const uint32_t t = read_u32(r);
            check_table(t);
            push(I32);
            break;
          }
          case op::ext::TableFill: {
            const uint32_t t = read_u32(r);
            check_table(t);
            pop(I32);
            pop(m_.tables[t].elem);
            pop(I32);
            break;
          }
          default:
            malformed("illegal opcode 0xfc " + hex(sub));
        }
        break;
      }
      case op::PrefixSIMD:
        invalid(kSimd);

      default: {
        const NumSig s = kNumSigs[opc];
        if (s.arity == 0) malformed("illegal opcode " + hex(opc));
        const uint32_t n = nvals_;
        if (s.arity == 1) {
          if (n > height_ && vals_[n - 1] == s.in) {
            vals_[n - 1] = s.out;
          } else {
            pop(s.in);
            push(s.out);
          }
        } else {
          if (n > height_ + 1 && vals_[n - 1] == s.in && vals_[n - 2] == s.in) {
            vals_[n - 2] = s.out;
            nvals_ = n - 1;
          } else {
            pop(s.in);
            pop(s.in);
            push(s.out);
          }
        }
        break;
      }
    }
  }
}

}  // namespace isola::wasm::valid
