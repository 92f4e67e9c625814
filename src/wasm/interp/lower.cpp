// Lowering a validated function body to register code.
//
// The wasm operand stack is simulated at compile time. Every stack height h owns a frame
// slot, S(h) = locals + h. An entry on the simulated stack is either already in its slot
// (Stack), still sitting in a local (Local: `local.get` costs nothing), a constant
// (Const: becomes an immediate operand when the consumer has such a form), or a local plus
// a constant (Sum: `p + k`, an address most of the time, which a load or store takes as its
// (base, imm) operands wherever it sits on the stack, so computing it costs nothing). Entries are
// moved into their slots ("materialised") only where control flow merges, so every path
// into a label agrees on where each value lives. A local set to a Sum may stay uncomputed
// too, when it dies before anything needs it in its slot (local aliases, liveness.hpp): the
// address a load and a store share, tee'd into a local, then costs nothing.
//
// Peephole rules, all local to the last instruction or two just emitted (last_, prev_):
//  - `local.set x` after an instruction that produced the top value rewrites that
//    instruction's destination to x (no copy);
//  - a compare followed by `br_if` / `if` becomes one compare-and-branch instruction;
//  - ops with a constant operand use immediate forms (division by multiplication);
//  - an op whose operand was just computed by a shift, a load or a multiply takes the fused
//    form that does both; a load whose value is stored unchanged becomes a move; two shifts
//    or'ed together, and `c[j] += x * b[k]`, fuse three instructions into one;
//  - once the code is complete, an instruction reading the value its predecessor just wrote
//    takes the variant that reads it from the accumulator register (forward_accumulator).
//
// Branches back to a loop's head take their Loop* forms, which carry the iteration's fuel
// cost and are where the interpreter checks for stop requests (see code.hpp).
#include "wasm/interp/lower.hpp"

#include <algorithm>
#include <cstring>
#include <initializer_list>
#include <stdexcept>

#include "wasm/binary/immediates.hpp"
#include "wasm/binary/opcodes.hpp"
#include "wasm/binary/reader.hpp"
#include "wasm/interp/liveness.hpp"
#include "wasm/interp/numeric.hpp"

namespace isola::interp {
namespace {

using wasm::Reader;
namespace op = wasm::op;

struct Entry {
  enum Kind : uint8_t { Stack, Local, Const, Sum } kind = Stack;
  uint32_t local = 0;  // Local, Sum
  uint64_t imm = 0;    // Const; Sum: the 32-bit addend
  bool reads_local() const { return kind == Local || kind == Sum; }
};

struct Ctrl {
  enum Kind : uint8_t { Block, Loop, If, Func } kind = Block;
  uint32_t base = 0;  // stack height below the block's parameters
  uint32_t nparams = 0;
  uint32_t nresults = 0;
  uint32_t loop_start = 0;  // Loop: word index of the loop head
  uint32_t loop_instr = 0;  // Loop: index of the `loop` instruction (fuel costs count from it)
  // Forward branches to this block's end: a list threaded through Scratch::patches.
  int32_t patch_head = -1;
  std::pair<uint32_t, uint32_t> else_patch{UINT32_MAX, 0};  // If: branch to else
  bool live_at_start = true;
  bool dead = false;  // the rest of this block (until else/end) is unreachable
  uint32_t header = LocalLiveness::kFunction;  // module offset of its block/loop/if opcode
};

// A local whose value is `base + imm`, computed by nobody yet (see Lowerer::alias_local).
struct Alias {
  uint32_t local, base, imm;
  uint32_t dead_at;  // the module offset where it ends, and nothing needs the local's value
};

// The last emitted instruction, when it produced the stack top and may still be
// rewritten (see the peephole rules above).
struct Last {
  bool valid = false;
  uint32_t start = 0;
  uint32_t end = 0;
  uint32_t height = 0;  // stack height of the value it defined
  uint32_t dst_word = 0;
  IOp op = IOp::Unreachable;
  uint32_t a = 0, b = 0;  // compare operands (b is an immediate for *Imm forms)
  uint32_t c = 0;         // I32AddShl: the shift amount; loads: see load()
  uint32_t d = 0;         // ops with a load (d x base imm off): the memarg offset
};

// Accumulator forwarding (code.hpp, ISOLA_ACC_VARIANTS): for each handler address, whether
// it is a producer and which variant reads each operand word from the accumulator. Built once
// per memory mode; looked up by address, since the code holds handler addresses.
class AccIndex {
 public:
  struct Info {
    int8_t produces = -1;      // the operand word whose slot it leaves in the accumulator
    bool transparent = false;  // leaves slots and the accumulator as they are
    IOp variant[4] = {IOp::Count, IOp::Count, IOp::Count, IOp::Count};  // reads word k from acc
  };
  static const AccIndex& get(bool bounds_checks) {
    static const AccIndex indexes[2] = {AccIndex(false), AccIndex(true)};
    return indexes[bounds_checks ? 1 : 0];
  }
  // The entry for handler h, or nullptr. Lowering looks up every instruction it emits, so
  // the keys sit in their own small array.
  const Info* find(const void* h) const {
    for (size_t i = hash(h);; i = (i + 1) & (kSize - 1)) {
      if (keys_[i] == h) return &infos_[i];
      if (!keys_[i]) return nullptr;
    }
  }

 private:
  static constexpr size_t kSize = 2048;  // a power of two, over twice the entries
  static size_t hash(const void* h) {
    return static_cast<size_t>((reinterpret_cast<uintptr_t>(h) * 0x9E3779B97F4A7C15ull) >> 40) & (kSize - 1);
  }
  Info& slot(const void* h) {
    size_t i = hash(h);
    while (keys_[i] && keys_[i] != h) i = (i + 1) & (kSize - 1);
    keys_[i] = h;
    return infos_[i];
  }
  explicit AccIndex(bool bounds_checks) : keys_(kSize), infos_(kSize) {
    const void* const* t = handler_table(bounds_checks);
    auto h = [t](IOp o) { return t[static_cast<size_t>(o)]; };
#define ISOLA_ACC_PRODUCER(name) slot(h(IOp::name)).produces = 0;
    ISOLA_ACC_PRODUCERS(ISOLA_ACC_PRODUCER)
#undef ISOLA_ACC_PRODUCER
#define ISOLA_ACC_PRODUCER_AT(name, k) slot(h(IOp::name)).produces = k;
    ISOLA_ACC_PRODUCERS_AT(ISOLA_ACC_PRODUCER_AT)
#undef ISOLA_ACC_PRODUCER_AT
#define ISOLA_ACC_TRANSPARENT_OP(name) slot(h(IOp::name)).transparent = true;
    ISOLA_ACC_TRANSPARENT(ISOLA_ACC_TRANSPARENT_OP)
#undef ISOLA_ACC_TRANSPARENT_OP
#define ISOLA_ACC_VARIANT(X, name, n, k) slot(h(IOp::name)).variant[k] = IOp::name##_A##k;
    ISOLA_ACC_VARIANTS(ISOLA_ACC_VARIANT, _)
#undef ISOLA_ACC_VARIANT
  }
  std::vector<const void*> keys_;
  std::vector<Info> infos_;
};

class Lowerer {
 public:
  Lowerer(const rt::ModuleData& md, uint32_t func_index)
      : md_(md), m_(md.m), fidx_(func_index), type_(m_.func_type(func_index)),
        wc_(m_.code(func_index)), handlers_(handler_table(md.bounds_checks)) {}

  std::unique_ptr<Code> run();

 private:
  // --- emission -------------------------------------------------------------------
  uint32_t pos() const { return static_cast<uint32_t>(code_->words.size()); }
  uint32_t emit(IOp o) {
    uint32_t start = pos();
    const void* h = handlers_[static_cast<size_t>(o)];
    uint32_t w[2];
    std::memcpy(w, &h, sizeof(h));
    code_->words.push_back(w[0]);
    code_->words.push_back(w[1]);
    code_->offsets.emplace_back(start, instr_offset_);
    before_ = last_.valid && last_.end == start ? last_ : Last{};
    last_.valid = false;
    return start;
  }
  void word(uint32_t w) { code_->words.push_back(w); }
  // Marks the instruction just emitted as defining the stack top through operand
  // word `dst_word` (so `local.set` may retarget it).
  void defined(uint32_t start, uint32_t dst_word, IOp o = IOp::Unreachable, uint32_t a = 0, uint32_t b = 0) {
    prev_ = before_.valid && before_.end == start ? before_ : Last{};
    last_ = Last{true, start, pos(), height() - 1, dst_word, o, a, b};
  }
  // The instruction before the last one defined the entry at height h, and the two are the
  // end of the code with no label between them (for fusing three wasm operations).
  bool prev_defines(uint32_t h) const {
    return prev_.valid && last_.valid && last_.end == pos() && prev_.end == last_.start && h < height() &&
           vs_[h].kind == Entry::Stack && prev_.height == h;
  }
  // The instruction before the last one wrote, into its own stack slot, the value the last
  // one took as operand a, and the two are adjacent: together they may become one.
  bool prev_feeds_last() const {
    return prev_.valid && prev_.end == last_.start && prev_.height == last_.height &&
           last_.a == S(prev_.height) && code_->words[prev_.dst_word] == S(prev_.height);
  }
  // The last emitted instruction produced the entry at height h (and may be dropped).
  bool last_defines(uint32_t h) const {
    return last_.valid && last_.end == pos() && h < height() && vs_[h].kind == Entry::Stack && last_.height == h;
  }
  bool last_defines_top() const {
    return last_.valid && last_.end == pos() && !vs_.empty() && vs_.back().kind == Entry::Stack &&
           last_.height == height() - 1;
  }
  // Removes the last emitted instruction (it was fused into the next). The one before it, if
  // it was recorded, becomes the last again.
  void drop_last() {
    const bool back = prev_.valid && prev_.end == last_.start;
    code_->words.resize(last_.start);
    code_->offsets.pop_back();
    last_ = back ? prev_ : Last{};
    prev_ = Last{};
  }
  // Replaces the instruction just emitted, which produced the stack top, by `f` computing
  // the new top from `operands` (the words after the destination). Returns f's start.
  uint32_t replace_top(IOp f, std::initializer_list<uint32_t> operands) {
    drop_last();
    pop();
    uint32_t d = push_stack();
    uint32_t s = emit(f);
    word(d);
    for (uint32_t w : operands) word(w);
    return s;
  }

  // --- the simulated stack ----------------------------------------------------------
  uint32_t height() const { return static_cast<uint32_t>(vs_.size()); }
  uint32_t S(uint32_t h) const { return nlocals_ + h; }
  void note_height() {
    if (height() > max_height_) max_height_ = height();
  }
  uint32_t push_stack() {
    vs_.push_back(Entry{});
    note_height();
    return S(height() - 1);
  }
  void push_local(uint32_t l) {
    vs_.push_back(Entry{Entry::Local, l, 0});
    ++local_refs_[l];
    note_height();
  }
  void push_const(uint64_t v) {
    vs_.push_back(Entry{Entry::Const, 0, v});
    note_height();
  }
  void push_sum(uint32_t l, uint32_t k) {
    vs_.push_back(Entry{Entry::Sum, l, k});
    ++local_refs_[l];
    note_height();
  }
  Entry pop() {
    Entry e = vs_.back();
    vs_.pop_back();
    if (e.reads_local()) --local_refs_[e.local];
    return e;
  }
  uint32_t emit_add_imm(uint32_t dst, uint32_t a, uint32_t k) {
    uint32_t s = emit(IOp::I32AddImm);
    word(dst);
    word(a);
    word(k);
    return s;
  }
  void emit_const(uint32_t dst, uint64_t v) {
    if (v >> 32 == 0) {
      emit(IOp::Const32);
      word(dst);
      word(static_cast<uint32_t>(v));
    } else {
      emit(IOp::Const64);
      word(dst);
      word(static_cast<uint32_t>(v));
      word(static_cast<uint32_t>(v >> 32));
    }
  }
  void emit_copy(uint32_t dst, uint32_t src) {
    if (dst == src) return;
    // Two copies in a row run as one instruction, unless a label lies between them.
    if (last_copy_ != UINT32_MAX && last_copy_ + kHandlerWords + 2 == pos() && last_label_ != pos()) {
      const void* h = handlers_[static_cast<size_t>(IOp::Copy2)];
      std::memcpy(&code_->words[last_copy_], &h, sizeof(h));
      word(dst);
      word(src);
      last_copy_ = UINT32_MAX;
      last_.valid = false;
      return;
    }
    last_copy_ = emit(IOp::Copy);
    word(dst);
    word(src);
  }
  // `x = x + k` just retargeted to its local right after another I32AddImm: one
  // I32AddImm2 does both (loops step several counters and pointers at their end). Only
  // once the second add's result is in a local, so that no consumer wants to fuse with
  // it any more; never across a label.
  void merge_add_imm_pair() {
    const auto& offs = code_->offsets;
    if (offs.size() < 2) return;
    const uint32_t first = offs[offs.size() - 2].first;
    if (first + kHandlerWords + 3 != last_.start || last_.end != pos()) return;
    // Labels are bound in increasing positions; one after `first` (between the two adds,
    // or after them) would be shifted by the merge.
    if (last_label_ != UINT32_MAX && last_label_ > first) return;
    const void* h;
    std::memcpy(&h, &code_->words[first], sizeof h);
    if (h != handlers_[static_cast<size_t>(IOp::I32AddImm)]) return;
    const void* fused = handlers_[static_cast<size_t>(IOp::I32AddImm2)];
    std::memcpy(&code_->words[first], &fused, sizeof fused);
    auto second = code_->words.begin() + last_.start;
    code_->words.erase(second, second + kHandlerWords);
    code_->offsets.pop_back();
    last_.valid = false;
    if (last_copy_ != UINT32_MAX && last_copy_ >= first) last_copy_ = UINT32_MAX;
  }
  // Moves entry i into its own slot.
  void materialize(uint32_t i) {
    Entry& e = vs_[i];
    if (e.kind == Entry::Stack) return;
    if (e.kind == Entry::Local) {
      --local_refs_[e.local];
      emit_copy(S(i), e.local);
    } else if (e.kind == Entry::Sum) {
      --local_refs_[e.local];
      emit_add_imm(S(i), e.local, static_cast<uint32_t>(e.imm));
    } else {
      emit_const(S(i), e.imm);
    }
    e = Entry{};
  }
  // The slot holding entry i (constants are materialised).
  uint32_t slot(uint32_t i) {
    Entry& e = vs_[i];
    if (e.kind == Entry::Local) return e.local;
    if (e.kind != Entry::Stack) materialize(i);
    return S(i);
  }
  uint32_t top_slot(uint32_t depth_from_top) { return slot(height() - 1 - depth_from_top); }
  // Entry i as an address operand pair (base slot, imm): a Sum as it is, anything else in a
  // slot with imm 0.
  std::pair<uint32_t, uint32_t> base_and_imm(uint32_t i) {
    const Entry e = vs_[i];
    if (e.kind == Entry::Sum) return {e.local, static_cast<uint32_t>(e.imm)};
    return {slot(i), 0u};
  }
  // Before `local` is written, entries still reading it must take their own copy.
  void flush_local(uint32_t local) {
    if (local_refs_[local] == 0) return;
    for (uint32_t i = 0; i < height(); ++i)
      if (vs_[i].reads_local() && vs_[i].local == local) materialize(i);
  }
  void flush_all_locals() {
    for (uint32_t i = 0; i < height(); ++i)
      if (vs_[i].reads_local()) materialize(i);
  }
  // Moves entries [from, height) to their slots.
  void materialize_range(uint32_t from) {
    for (uint32_t i = from; i < height(); ++i) materialize(i);
  }
  // After a label: the values above `base` are exactly `h - base` slot entries.
  void reset_stack(uint32_t base, uint32_t h) {
    while (height() > base) pop();
    while (height() < h) push_stack();
  }

  // --- control ----------------------------------------------------------------------
  Ctrl& ctrl(uint32_t depth) { return ctrls_[ctrls_.size() - 1 - depth]; }
  bool dead() const { return ctrls_.back().dead; }
  uint32_t arity(const Ctrl& c) const { return c.kind == Ctrl::Loop ? c.nparams : c.nresults; }
  void block_type(Reader& r, uint32_t& np, uint32_t& nr) {
    int64_t bt = r.s33();
    if (bt == -64) { np = 0; nr = 0; }
    else if (bt < 0) { np = 0; nr = 1; }
    else {
      const FuncType& ft = m_.types[static_cast<uint32_t>(bt)];
      np = static_cast<uint32_t>(ft.params.size());
      nr = static_cast<uint32_t>(ft.results.size());
    }
  }
  // Points the branch instruction `o` just emitted at `start` (its offset operand is the
  // last word written) to the label of control frame `c`. A branch to a loop is a
  // back-edge: it becomes o's Loop form, which checks for stop requests and charges fuel,
  // with the iteration's cost as an extra operand: the wasm instructions from the loop's
  // head to this branch. That is a static upper bound of what one pass can execute, so
  // fuel stays proportional to work whatever path the iteration took.
  void branch_to(Ctrl& c, uint32_t start, IOp o) {
    uint32_t w = pos() - 1;
    if (c.kind == Ctrl::Loop) {
      const void* h = handlers_[static_cast<size_t>(loop_form(o))];
      std::memcpy(&code_->words[start], &h, sizeof(h));
      code_->words[w] = static_cast<uint32_t>(static_cast<int32_t>(c.loop_start) - static_cast<int32_t>(start));
      word(cur_ - c.loop_instr);
      step_into_back_edge(start, loop_form(o));
    } else {
      add_patch(c, start, w);
    }
  }
  // An I32AddImm right before the back-edge at `start` becomes its IncLoop form (code.hpp).
  // Both stay complete instructions, so labels on either are unaffected.
  void step_into_back_edge(uint32_t start, IOp back_edge) {
    const auto& offs = code_->offsets;
    IOp fused = inc_loop_form(back_edge);
    if (fused == IOp::Count || offs.size() < 2 || offs.back().first != start) return;
    const uint32_t prev = offs[offs.size() - 2].first;
    if (prev + kHandlerWords + 3 != start) return;
    const void* h;
    std::memcpy(&h, &code_->words[prev], sizeof h);
    if (h != handlers_[static_cast<size_t>(IOp::I32AddImm)]) return;
    h = handlers_[static_cast<size_t>(fused)];
    std::memcpy(&code_->words[prev], &h, sizeof h);
  }
  // Once the code is complete: every I32AddImm directly followed by one of its frequent
  // successors (code.hpp, ISOLA_ADD_IMM_SUCCESSORS) takes the AddImmThen form.
  void step_into_successors() {
    struct Pair {
      const void* next;
      const void* fused;
    };
    static constexpr IOp kSuccessors[] = {
#define ISOLA_SUCCESSOR(X, name) IOp::name,
        ISOLA_ADD_IMM_SUCCESSORS(ISOLA_SUCCESSOR, _)
#undef ISOLA_SUCCESSOR
    };
    static constexpr IOp kFused[] = {
#define ISOLA_FUSED(X, name) IOp::AddImmThen##name,
        ISOLA_ADD_IMM_SUCCESSORS(ISOLA_FUSED, _)
#undef ISOLA_FUSED
    };
    Pair pairs[std::size(kSuccessors)];
    for (size_t i = 0; i < std::size(kSuccessors); ++i)
      pairs[i] = {handlers_[static_cast<size_t>(kSuccessors[i])], handlers_[static_cast<size_t>(kFused[i])]};
    const void* add = handlers_[static_cast<size_t>(IOp::I32AddImm)];
    const auto& offs = code_->offsets;
    for (size_t i = 0; i + 1 < offs.size(); ++i) {
      const uint32_t at = offs[i].first, next = offs[i + 1].first;
      if (next != at + kHandlerWords + 3) continue;
      const void* h;
      std::memcpy(&h, &code_->words[at], sizeof h);
      if (h != add) continue;
      std::memcpy(&h, &code_->words[next], sizeof h);
      for (const Pair& p : pairs)
        if (p.next == h) {
          std::memcpy(&code_->words[at], &p.fused, sizeof p.fused);
          break;
        }
    }
  }
  // Marks the current position as a branch target (or a block's start, conservatively).
  void label_here() {
    last_.valid = false;  // nothing before a label may be rewritten
    last_label_ = pos();
    if (sc_.labels.empty() || sc_.labels.back() != pos()) sc_.labels.push_back(pos());
  }
  // Once the code is complete: an instruction that reads the slot a producer just wrote
  // takes the accumulator variant for that operand (code.hpp), when only transparent
  // instructions (stores, untaken branches) lie between the two and no branch can land on
  // it or on them, in which case the producer may not have run last. Runs before
  // step_into_successors, which then leaves such pairs alone; the AddImmThen and IncLoop
  // forms jump into their successor's plain handler and are not producers.
  void forward_accumulator() {
    const AccIndex& index = AccIndex::get(md_.bounds_checks);
    const auto& offs = code_->offsets;
    const std::vector<uint32_t>& labels = sc_.labels;
    size_t next_label = 0;
    constexpr uint32_t kNone = UINT32_MAX;
    uint32_t in_acc = kNone;  // the slot whose value the accumulator holds here, if known
    for (size_t i = 0; i < offs.size(); ++i) {
      const uint32_t at = offs[i].first;
      const void* h;
      std::memcpy(&h, &code_->words[at], sizeof h);
      const AccIndex::Info* cur = index.find(h);
      while (next_label < labels.size() && labels[next_label] < at) ++next_label;
      if (next_label < labels.size() && labels[next_label] == at) in_acc = kNone;
      if (!cur) {
        in_acc = kNone;
        continue;
      }
      if (in_acc != kNone) {
        for (uint32_t k = 0; k < 4; ++k) {
          if (cur->variant[k] != IOp::Count && code_->words[at + kHandlerWords + k] == in_acc) {
            h = handlers_[static_cast<size_t>(cur->variant[k])];
            std::memcpy(&code_->words[at], &h, sizeof h);
            break;
          }
        }
      }
      if (cur->produces >= 0) in_acc = code_->words[at + kHandlerWords + cur->produces];
      else if (!cur->transparent) in_acc = kNone;
    }
  }
  void bind(const std::pair<uint32_t, uint32_t>& p) {
    label_here();
    code_->words[p.second] = static_cast<uint32_t>(static_cast<int32_t>(pos()) - static_cast<int32_t>(p.first));
  }
  // Copies the top `n` values into the slots at heights [base, base+n).
  void move_top_to(uint32_t base, uint32_t n) {
    uint32_t from = height() - n;
    for (uint32_t j = 0; j < n; ++j) {
      const Entry& e = vs_[from + j];
      uint32_t dst = S(base + j);
      if (e.kind == Entry::Const) emit_const(dst, e.imm);
      else if (e.kind == Entry::Sum) emit_add_imm(dst, e.local, static_cast<uint32_t>(e.imm));
      else emit_copy(dst, e.kind == Entry::Local ? e.local : S(from + j));
    }
  }
  // br to relative depth `depth` (values already on the stack).
  void emit_br(uint32_t depth) {
    Ctrl& c = ctrl(depth);
    if (c.kind == Ctrl::Func) {  // a branch to the function's label is a return
      op_return();
      return;
    }
    move_top_to(c.base, arity(c));
    uint32_t s = emit(IOp::Br);
    word(0);
    branch_to(c, s, IOp::Br);
  }
  // Conditional branch on the popped condition: to `c` when the condition is `when`.
  // Fuses a compare emitted just before. Returns (instruction start) with the offset as
  // the last word, for the caller to point; `*op` says which operation it emitted.
  uint32_t emit_cond_branch(bool when, IOp* op = nullptr);
  void op_return();

  // --- instruction families -----------------------------------------------------------
  // The integer compare that is true exactly when `o` is false (integers have no NaN), for
  // compares whose operands are d a b or d a imm; Count for anything else.
  static IOp inverse_compare(IOp o) {
    static constexpr std::pair<IOp, IOp> kPairs[] = {
        {IOp::I32Eq, IOp::I32Ne},       {IOp::I32LtS, IOp::I32GeS},     {IOp::I32LtU, IOp::I32GeU},
        {IOp::I32GtS, IOp::I32LeS},     {IOp::I32GtU, IOp::I32LeU},     {IOp::I64Eq, IOp::I64Ne},
        {IOp::I64LtS, IOp::I64GeS},     {IOp::I64LtU, IOp::I64GeU},     {IOp::I64GtS, IOp::I64LeS},
        {IOp::I64GtU, IOp::I64LeU},     {IOp::I32EqImm, IOp::I32NeImm}, {IOp::I32LtSImm, IOp::I32GeSImm},
        {IOp::I32LtUImm, IOp::I32GeUImm}, {IOp::I32GtSImm, IOp::I32LeSImm}, {IOp::I32GtUImm, IOp::I32LeUImm},
        {IOp::I64EqImm, IOp::I64NeImm}, {IOp::I64LtSImm, IOp::I64GeSImm}, {IOp::I64LtUImm, IOp::I64GeUImm},
        {IOp::I64GtSImm, IOp::I64LeSImm}, {IOp::I64GtUImm, IOp::I64LeUImm}};
    for (auto [x, y] : kPairs) {
      if (o == x) return y;
      if (o == y) return x;
    }
    return IOp::Count;
  }
  void unop(IOp o) {
    // i32.eqz of a compare just computed is the inverse compare; of an eqz, a compare with
    // zero (`x != 0`). Either may then fuse with a branch that follows.
    if (o == IOp::I32Eqz && last_defines_top()) {
      IOp f = last_.op == IOp::I32Eqz   ? IOp::I32NeImm
              : last_.op == IOp::I64Eqz ? IOp::I64NeImm
                                        : inverse_compare(last_.op);
      if (f != IOp::Count) {
        Last l = last_;  // eqz records b = 0: the immediate of the `!= 0` forms
        uint32_t s = replace_top(f, {l.a, l.b});
        defined(s, s + 2, f, l.a, l.b);
        return;
      }
    }
    uint32_t a = top_slot(0);
    pop();
    uint32_t d = push_stack();
    uint32_t s = emit(o);
    word(d);
    word(a);
    defined(s, s + 2, o, a);  // eqz + branch fuse through this record
  }
  void binop(IOp o, IOp imm_form = IOp::Count, bool commutative = false) {
    Entry& rb = vs_[height() - 1];
    Entry& ra = vs_[height() - 2];
    if (imm_form != IOp::Count) {
      bool b_small = rb.kind == Entry::Const;
      bool a_small = commutative && ra.kind == Entry::Const;
      if (b_small || a_small) {
        uint32_t imm = static_cast<uint32_t>(b_small ? rb.imm : ra.imm);
        uint64_t full = b_small ? rb.imm : ra.imm;
        // 64-bit immediate forms take a sign-extended 32-bit immediate.
        bool fits = !is_i64_imm(imm_form) ||
                    static_cast<uint64_t>(static_cast<int64_t>(static_cast<int32_t>(imm))) == full;
        if (fits) {
          // local + k (or (local + k1) + k2) stays symbolic: see Entry::Sum.
          const Entry x = b_small ? ra : rb;
          if (imm_form == IOp::I32AddImm && x.reads_local()) {
            uint32_t k = imm + (x.kind == Entry::Sum ? static_cast<uint32_t>(x.imm) : 0u);
            pop();
            pop();
            push_sum(x.local, k);
            return;
          }
          // (a + (b << k)) + imm with the shifted add just computed: one I32AddShlImm.
          if (imm_form == IOp::I32AddImm && b_small && last_defines(height() - 2) && last_.op == IOp::I32AddShl) {
            const Last l = last_;
            pop();
            uint32_t s = replace_top(IOp::I32AddShlImm, {l.a, l.b, l.c, imm});
            defined(s, s + 2, IOp::I32AddShlImm);
            return;
          }
          uint32_t a = b_small ? top_slot(1) : top_slot(0);
          pop();
          pop();
          uint32_t d = push_stack();
          uint32_t s = emit(imm_form);
          word(d);
          word(a);
          word(imm);
          defined(s, s + 2, imm_form, a, imm);
          return;
        }
        // A constant that needs all 64 bits (hash multipliers): the wide form, if any.
        IOp wide = imm_form == IOp::I64AddImm   ? IOp::I64AddImmW
                   : imm_form == IOp::I64MulImm ? IOp::I64MulImmW
                   : imm_form == IOp::I64XorImm ? IOp::I64XorImmW
                   : imm_form == IOp::I64AndImm ? IOp::I64AndImmW
                   : imm_form == IOp::I64OrImm  ? IOp::I64OrImmW
                                                : IOp::Count;
        if (wide != IOp::Count) {
          uint32_t a = b_small ? top_slot(1) : top_slot(0);
          pop();
          pop();
          uint32_t d = push_stack();
          uint32_t s = emit(wide);
          word(d);
          word(a);
          word(static_cast<uint32_t>(full));
          word(static_cast<uint32_t>(full >> 32));
          defined(s, s + 2, wide);
          return;
        }
      }
    }
    if (try_funnel(o) || try_shifted(o) || try_op_load(o) || try_add3(o) || try_f64_product(o) ||
        try_loaded_left(o))
      return;
    uint32_t b = top_slot(0);
    uint32_t a = top_slot(1);
    pop();
    pop();
    uint32_t d = push_stack();
    uint32_t s = emit(o);
    word(d);
    word(a);
    word(b);
    defined(s, s + 2, o, a, b);
  }
  // i32 division and remainder by a constant that cannot trap (not 0, and not -1 for the
  // signed ones, whose INT_MIN / -1 overflows) and is not 1: the forms without checks, the
  // unsigned ones by multiplication (numeric.hpp, u32_div_by). Hashing (x % size) and
  // printing digits (x / 10) divide by constants all the time.
  bool div_by_const(uint8_t opcode) {
    if (vs_.back().kind != Entry::Const) return false;
    const uint32_t d = static_cast<uint32_t>(vs_.back().imm);
    const bool is_signed = opcode == op::I32DivS || opcode == op::I32RemS;
    if (d == 0 || d == 1 || (is_signed && d == UINT32_MAX)) return false;
    pop();
    uint32_t a = top_slot(0);
    pop();
    uint32_t dst = push_stack();
    IOp f = opcode == op::I32DivU ? IOp::I32DivUImm : opcode == op::I32RemU ? IOp::I32RemUImm
          : opcode == op::I32DivS ? IOp::I32DivSImm : IOp::I32RemSImm;
    uint32_t s = emit(f);
    word(dst);
    word(a);
    if (is_signed) {
      word(d);
    } else {
      const uint64_t m = wasm::num::u32_div_magic(d);
      word(static_cast<uint32_t>(m));
      word(static_cast<uint32_t>(m >> 32));
      if (f == IOp::I32RemUImm) word(d);
    }
    defined(s, s + 2, f);
    return true;
  }
  // Float arithmetic whose right operand is a constant takes it as an immediate (operand
  // order is kept, so NaN propagation is exactly that of the general form). Recorded as
  // (a, lo) and c = hi, so that a br_if on an f64 compare with a constant (x <= 4.0) fuses
  // (emit_cond_branch).
  void float_binop(IOp o, IOp imm_form, bool is64) {
    // The constant's operand position: right (x op c), or left of a subtraction or division
    // (1.0 / x, dt / d), which have forms of their own.
    const bool right = vs_.back().kind == Entry::Const;
    const IOp left_form = !is64 ? IOp::Count : o == IOp::F64Sub ? IOp::F64ImmSub
                                 : o == IOp::F64Div ? IOp::F64ImmDiv : IOp::Count;
    const IOp form = right ? imm_form : vs_[height() - 2].kind == Entry::Const ? left_form : IOp::Count;
    if (form == IOp::Count) {
      binop(o);
      return;
    }
    const uint64_t imm = vs_[height() - (right ? 1 : 2)].imm;
    const uint32_t a = top_slot(right ? 1 : 0);
    pop();
    pop();
    const uint32_t d = push_stack();
    const uint32_t s = emit(form);
    word(d);
    word(a);
    word(static_cast<uint32_t>(imm));
    if (is64) word(static_cast<uint32_t>(imm >> 32));
    defined(s, s + 2, form, a, static_cast<uint32_t>(imm));
    last_.c = static_cast<uint32_t>(imm >> 32);
  }
  static bool is_i64_imm(IOp o) {
    switch (o) {
      case IOp::I64AddImm: case IOp::I64AndImm: case IOp::I64ShlImm: case IOp::I64ShrSImm:
      case IOp::I64ShrUImm: case IOp::I64OrImm: case IOp::I64XorImm: case IOp::I64MulImm:
      case IOp::I64RotlImm: case IOp::I64RotrImm: case IOp::I64EqImm: case IOp::I64NeImm:
      case IOp::I64LtSImm: case IOp::I64LtUImm: case IOp::I64GtSImm: case IOp::I64GtUImm:
      case IOp::I64LeSImm: case IOp::I64LeUImm: case IOp::I64GeSImm: case IOp::I64GeUImm:
        return true;
      default:
        return false;
    }
  }
  // The fused form of `o` whose right operand is shifted by a constant, or Count.
  static IOp shifted_form(IOp o, IOp shift) {
    if (o == IOp::I32Xor && shift == IOp::I32RotlImm) return IOp::I32XorRotl;
    if (o == IOp::I32Xor && shift == IOp::I32RotrImm) return IOp::I32XorRotr;
    bool shl = shift == IOp::I32ShlImm || shift == IOp::I64ShlImm;
    bool i64 = shift == IOp::I64ShlImm || shift == IOp::I64ShrUImm;
    if (!shl && shift != IOp::I32ShrUImm && shift != IOp::I64ShrUImm) return IOp::Count;
    switch (o) {
      case IOp::I32Add: return i64 ? IOp::Count : shl ? IOp::I32AddShl : IOp::I32AddShrU;
      case IOp::I32Xor: return i64 ? IOp::Count : shl ? IOp::I32XorShl : IOp::I32XorShrU;
      case IOp::I32Or: return i64 ? IOp::Count : shl ? IOp::I32OrShl : IOp::I32OrShrU;
      case IOp::I64Add: return !i64 ? IOp::Count : shl ? IOp::I64AddShl : IOp::I64AddShrU;
      case IOp::I64Xor: return !i64 ? IOp::Count : shl ? IOp::I64XorShl : IOp::I64XorShrU;
      case IOp::I64Or: return !i64 ? IOp::Count : shl ? IOp::I64OrShl : IOp::I64OrShrU;
      default: return IOp::Count;
    }
  }
  // The fused form chosen for a binary op and the instruction that produced one of its
  // operands: the two trailing operand words, after the destination and the other operand.
  struct Fused {
    IOp op = IOp::Count;
    uint32_t w2 = 0, w3 = 0;
    bool has_w4 = false;
    uint32_t w4 = 0;
  };
  // If the last instruction produced an operand of this binary op (the right one, or either
  // when `commutative`) and `pick` has a fused form for it, emits that form in place of both:
  // d, the other operand, w2, w3.
  template <class Pick>
  bool fuse_with_last(bool commutative, Pick pick) {
    uint32_t h = height();
    for (uint32_t which = 0; which < (commutative ? 2u : 1u); ++which) {
      uint32_t made_h = which == 0 ? h - 1 : h - 2;
      uint32_t other_h = which == 0 ? h - 2 : h - 1;
      if (!last_defines(made_h)) continue;
      Fused f = pick(last_, which);
      if (f.op == IOp::Count) continue;
      if (vs_[other_h].kind == Entry::Const) continue;  // would emit before the fused op
      drop_last();
      uint32_t other = slot(other_h);
      pop();
      pop();
      uint32_t d = push_stack();
      uint32_t s = emit(f.op);
      word(d);
      word(other);
      word(f.w2);
      word(f.w3);
      if (f.has_w4) word(f.w4);
      defined(s, s + 2, f.op, other, f.w2);
      last_.c = f.w3;
      last_.d = f.w4;
      return true;
    }
    return false;
  }
  // (a << k1) | (b >> k2), or with the shifts the other way round, both shifts computed just
  // now in that order: one instruction (bit packing, unaligned word copies, funnel shifts).
  bool try_funnel(IOp o) {
    uint32_t h = height();
    if (o != IOp::I32Or || !last_defines(h - 1) || !prev_defines(h - 2)) return false;
    IOp f = prev_.op == IOp::I32ShlImm && last_.op == IOp::I32ShrUImm   ? IOp::I32ShlOrShrU
            : prev_.op == IOp::I32ShrUImm && last_.op == IOp::I32ShlImm ? IOp::I32ShrUOrShl
                                                                       : IOp::Count;
    if (f == IOp::Count) return false;
    const Last first = prev_, second = last_;
    drop_last();
    drop_last();
    pop();
    pop();
    uint32_t d = push_stack();
    uint32_t s = emit(f);
    word(d);
    word(first.a);
    word(first.b & 31);
    word(second.a);
    word(second.b & 31);
    defined(s, s + 2, f);
    return true;
  }
  // Add, xor and or of a value and a constant shift or rotate just computed:
  // a op (b sh k) in one instruction (array indexing, hashing, bit packing).
  bool try_shifted(IOp o) {
    // (p + imm) + (b << k), the address of a field of an array element: p + imm is a Sum,
    // which this takes as it is (I32AddShlImm), so it is never computed alone.
    for (uint32_t which = 0; o == IOp::I32Add && which < 2; ++which) {
      const uint32_t h = height(), made_h = which == 0 ? h - 1 : h - 2, other_h = which == 0 ? h - 2 : h - 1;
      if (!last_defines(made_h) || last_.op != IOp::I32ShlImm || vs_[other_h].kind != Entry::Sum) continue;
      const Last shl = last_;
      const Entry sum = vs_[other_h];
      drop_last();
      pop();
      pop();
      uint32_t d = push_stack();
      uint32_t s = emit(IOp::I32AddShlImm);
      word(d);
      word(sum.local);
      word(shl.a);
      word(shl.b & 31);
      word(static_cast<uint32_t>(sum.imm));
      defined(s, s + 2, IOp::I32AddShlImm);
      return true;
    }
    return fuse_with_last(true, [o](const Last& l, uint32_t) {
      IOp f = shifted_form(o, l.op);
      bool i64 = f >= IOp::I64XorShl && f <= IOp::I64AddShrU;
      return Fused{f, l.a, l.b & (i64 ? 63u : 31u)};
    });
  }
  // A binary op whose operand is the value a plain load just produced: the op reads memory
  // itself (x + a[i], x * b[j]). Loads of the same width share an IOp (f64.load lowers to
  // I64Load), so the op's own type decides the arithmetic. Subtraction only takes a loaded
  // right operand.
  bool try_op_load(IOp o) {
    IOp f, want;
    switch (o) {
      case IOp::I32Add: f = IOp::I32AddLoad; want = IOp::I32Load; break;
      case IOp::I64Add: f = IOp::I64AddLoad; want = IOp::I64Load; break;
      case IOp::F32Add: f = IOp::F32AddLoad; want = IOp::I32Load; break;
      case IOp::F32Mul: f = IOp::F32MulLoad; want = IOp::I32Load; break;
      case IOp::F64Add: f = IOp::F64AddLoad; want = IOp::I64Load; break;
      case IOp::F64Mul: f = IOp::F64MulLoad; want = IOp::I64Load; break;
      case IOp::F64Sub: f = IOp::F64SubLoad; want = IOp::I64Load; break;
      default: return false;
    }
    const IOp at = addr_fused(want, true);
    return fuse_with_last(o != IOp::F64Sub, [f, want, at](const Last& l, uint32_t) {
      if (l.op == want) return Fused{f, l.a, 0, true, l.b};  // address slot, offset
      if (l.op == at) return Fused{f, l.a, l.b, true, l.c};  // base, imm, offset
      return Fused{};
    });
  }
  // `mem[a] op x` with x computed by one f64 instruction after the load (nbody's
  // v -= d * m): the load moves after that instruction, which neither reads memory nor
  // traps, and the op reads memory itself. F64AddLoad and F64MulLoad compute x op mem, the
  // order wasm's result does not depend on but for which NaN's payload comes out; F64LoadSub
  // keeps the order.
  bool try_loaded_left(IOp o) {
    if (o != IOp::F64Add && o != IOp::F64Sub && o != IOp::F64Mul) return false;
    const uint32_t h = height();
    if (!last_defines(h - 1) || !prev_defines(h - 2)) return false;
    if (prev_.op != IOp::I64Load && prev_.op != IOp::I64LoadAddImm) return false;
    switch (last_.op) {
      case IOp::F64Add: case IOp::F64Sub: case IOp::F64Mul: case IOp::F64Div: case IOp::F64MulMulL:
      case IOp::F64MulMulR: case IOp::F64AddMul: case IOp::F64MulAdd: case IOp::F64SubMul:
      case IOp::F64MulSub: case IOp::F64Sqrt: case IOp::F64Neg: case IOp::F64Abs:
        break;
      default:
        return false;
    }
    const Last ld = prev_;
    const bool at = ld.op == IOp::I64LoadAddImm;  // base imm off, else addr off
    drop_prev();
    const uint32_t x = S(h - 1);
    pop();
    pop();
    uint32_t d = push_stack();
    IOp f = o == IOp::F64Add ? IOp::F64AddLoad : o == IOp::F64Sub ? IOp::F64LoadSub : IOp::F64MulLoad;
    uint32_t s = emit(f);
    word(d);
    word(x);
    word(ld.a);
    word(at ? ld.b : 0);
    word(at ? ld.c : ld.b);
    defined(s, s + 2, f, x, ld.a);
    last_.c = at ? ld.b : 0;
    last_.d = at ? ld.c : ld.b;
    return true;
  }
  // Removes the instruction before the last one (prev_, right before it): the last one's
  // words move down into its place.
  void drop_prev() {
    const uint32_t n = prev_.end - prev_.start, from = prev_.start;
    std::vector<uint32_t>& w = code_->words;
    std::copy(w.begin() + last_.start, w.end(), w.begin() + prev_.start);
    w.resize(w.size() - n);
    auto& offs = code_->offsets;
    offs[offs.size() - 2].second = offs.back().second;
    offs.pop_back();
    last_.start -= n;
    last_.end -= n;
    last_.dst_word -= n;
    prev_ = Last{};
    if (last_copy_ != UINT32_MAX && last_copy_ >= from) last_copy_ = UINT32_MAX;
  }
  // i32.add of a value and a sum just computed: a + b + c in one instruction.
  bool try_add3(IOp o) {
    if (o != IOp::I32Add) return false;
    return fuse_with_last(true, [](const Last& l, uint32_t) {
      return l.op == IOp::I32Add ? Fused{IOp::I32Add3, l.a, l.b} : Fused{};
    });
  }
  // f64 add, sub or mul of a product just computed (x*y + c, the bulk of nbody's and
  // mandelbrot's arithmetic): one instruction, with the operands in their wasm order, so
  // rounding and NaN propagation are exactly those of the two operations.
  bool try_f64_product(IOp o) {
    if (o != IOp::F64Add && o != IOp::F64Sub && o != IOp::F64Mul) return false;
    return fuse_with_last(true, [o](const Last& l, uint32_t which) {
      if (l.op != IOp::F64Mul) return Fused{};
      bool right = which == 0;  // the product is the right operand
      IOp f = o == IOp::F64Add   ? (right ? IOp::F64AddMul : IOp::F64MulAdd)
              : o == IOp::F64Sub ? (right ? IOp::F64SubMul : IOp::F64MulSub)
                                 : (right ? IOp::F64MulMulR : IOp::F64MulMulL);
      return Fused{f, l.a, l.b};
    });
  }
  // The fused form of a load or store whose address is (a + b) or (a + imm).
  static IOp addr_fused(IOp o, bool imm) {
    switch (o) {
      case IOp::I32Load: return imm ? IOp::I32LoadAddImm : IOp::I32LoadAdd;
      case IOp::I64Load: return imm ? IOp::I64LoadAddImm : IOp::I64LoadAdd;
      case IOp::I32Load8U: return imm ? IOp::I32Load8UAddImm : IOp::I32Load8UAdd;
      case IOp::I32Load8S: return imm ? IOp::I32Load8SAddImm : IOp::I32Load8SAdd;
      case IOp::I32Load16U: return imm ? IOp::I32Load16UAddImm : IOp::I32Load16UAdd;
      case IOp::I32Store: return imm ? IOp::I32StoreAddImm : IOp::I32StoreAdd;
      case IOp::I64Store: return imm ? IOp::I64StoreAddImm : IOp::I64StoreAdd;
      case IOp::I32Store8: return imm ? IOp::I32Store8AddImm : IOp::I32Store8Add;
      default: return IOp::Count;
    }
  }
  void load(IOp o, Reader& r) {
    r.u32();  // alignment: a hint only
    uint32_t off = r.u32();
    if (vs_.back().kind == Entry::Sum && addr_fused(o, true) != IOp::Count) {
      IOp f = addr_fused(o, true);
      Entry e = pop();
      uint32_t d = push_stack();
      uint32_t s = emit(f);
      word(d);
      word(e.local);
      word(static_cast<uint32_t>(e.imm));
      word(off);
      defined(s, s + 2, f, e.local, static_cast<uint32_t>(e.imm));
      last_.c = off;
      return;
    }
    if (last_defines(height() - 1) && last_.op == IOp::I32AddShl) {
      IOp f = o == IOp::I32Load ? IOp::I32LoadIdx : o == IOp::I64Load ? IOp::I64LoadIdx
            : o == IOp::I32Load8U ? IOp::I32Load8UIdx : o == IOp::I32Load16U ? IOp::I32Load16UIdx : IOp::Count;
      if (f != IOp::Count) {
        Last l = last_;
        uint32_t s = replace_top(f, {l.a, l.b, l.c, off});
        defined(s, s + 2);
        return;
      }
    }
    if (last_defines(height() - 1) && (last_.op == IOp::I32Add || last_.op == IOp::I32AddImm)) {
      IOp f = addr_fused(o, last_.op == IOp::I32AddImm);
      if (f != IOp::Count) {
        Last l = last_;
        uint32_t s = replace_top(f, {l.a, l.b, off});
        if (l.op == IOp::I32AddImm) {
          defined(s, s + 2, f, l.a, l.b);
          last_.c = off;
        } else {
          defined(s, s + 2);
        }
        return;
      }
    }
    uint32_t a = top_slot(0);
    pop();
    uint32_t d = push_stack();
    uint32_t s = emit(o);
    word(d);
    word(a);
    word(off);
    defined(s, s + 2, o, a, off);
  }
  // The source of a load just emitted as (base slot, imm, off), with the IOp of the move
  // that stores its value unchanged when the store is `o`; Count if there is none.
  IOp move_source(IOp o, uint32_t& base, uint32_t& imm, uint32_t& off) const {
    if (!last_defines(height() - 1)) return IOp::Count;
    IOp m;
    bool at;  // an AddImm form: a imm off
    switch (last_.op) {
      case IOp::I32Load: m = IOp::Move32; at = false; break;
      case IOp::I64Load: m = IOp::Move64; at = false; break;
      case IOp::I32Load8U: case IOp::I32Load8S: m = IOp::Move8; at = false; break;
      case IOp::I32Load16U: case IOp::I32Load16S: m = IOp::Move16; at = false; break;
      case IOp::I32LoadAddImm: m = IOp::Move32; at = true; break;
      case IOp::I64LoadAddImm: m = IOp::Move64; at = true; break;
      case IOp::I32Load8UAddImm: case IOp::I32Load8SAddImm: m = IOp::Move8; at = true; break;
      case IOp::I32Load16UAddImm: m = IOp::Move16; at = true; break;
      default: return IOp::Count;
    }
    IOp want = m == IOp::Move32 ? IOp::I32Store : m == IOp::Move64 ? IOp::I64Store
             : m == IOp::Move8 ? IOp::I32Store8 : IOp::I32Store16;
    if (o != want) return IOp::Count;
    base = last_.a;
    imm = at ? last_.b : 0;
    off = at ? last_.c : last_.b;
    return m;
  }
  // The store forms of the ops that read memory themselves, for store `o`: c[j] = x + b[k]
  // (F64AddLoad), v[i] = v[i] - x (F64LoadSub, try_loaded_left), x[i] += v (I32AddLoad).
  static IOp load_op_store(IOp o, IOp op) {
    if (o == IOp::I64Store && op == IOp::F64AddLoad) return IOp::F64AddLoadStore;
    if (o == IOp::I64Store && op == IOp::F64LoadSub) return IOp::F64LoadSubStore;
    if (o == IOp::I32Store && op == IOp::I32AddLoad) return IOp::I32AddLoadStore;
    return IOp::Count;
  }
  void store(IOp o, Reader& r) {
    r.u32();
    uint32_t off = r.u32();
    // A value loaded just now and stored unchanged: one move, memory to memory (struct and
    // array copies, memcpy's loops). The loaded value's slot is dead once stored.
    uint32_t sb, si, so;
    if (IOp m = move_source(o, sb, si, so); m != IOp::Count) {
      drop_last();
      const auto [db, di] = base_and_imm(height() - 2);
      pop();
      pop();
      emit(m);
      word(db);
      word(di);
      word(off);
      word(sb);
      word(si);
      word(so);
      return;
    }
    // i32 read-modify-write, `x[i] += k` (counters, reference counts, histograms): the
    // load, the add of a constant and the store were the last three instructions; one
    // instruction does all, whatever the store's address is.
    if (o == IOp::I32Store && last_defines(height() - 1) && last_.op == IOp::I32AddImm && prev_feeds_last() &&
        (prev_.op == IOp::I32Load || prev_.op == IOp::I32LoadAddImm)) {
      const Last add = last_, ld = prev_;
      const bool at = ld.op == IOp::I32LoadAddImm;
      drop_last();
      drop_last();
      const auto [sb, si] = base_and_imm(height() - 2);
      pop();
      pop();
      emit(IOp::I32AddImmLoadStore);
      word(ld.a);              // the load's base slot,
      word(at ? ld.b : 0);     // immediate
      word(at ? ld.c : ld.b);  // and offset
      word(add.b);             // k
      word(sb);
      word(si);
      word(off);
      return;
    }
    // The address was computed last and the value needs no instruction of its own.
    if (vs_.back().kind != Entry::Const && last_defines(height() - 2) &&
        (last_.op == IOp::I32Add || last_.op == IOp::I32AddImm)) {
      IOp f = addr_fused(o, last_.op == IOp::I32AddImm);
      if (f != IOp::Count) {
        Last l = last_;
        drop_last();
        uint32_t v = top_slot(0);
        pop();
        pop();
        emit(f);
        word(l.a);
        word(l.b);
        word(v);
        word(off);
        return;
      }
    }
    // f64 `c[j] += x * b[k]` (matrix products, axpy): the product, the load of c[j] and
    // the sum were the last three instructions; all of it and the store in one.
    if (o == IOp::I64Store && last_defines(height() - 1) && last_.op == IOp::F64AddLoad && prev_feeds_last() &&
        prev_.op == IOp::F64MulLoad) {
      const Last add = last_, mul = prev_;
      drop_last();
      drop_last();
      const auto [sb, si] = base_and_imm(height() - 2);
      pop();
      pop();
      emit(IOp::F64MulAddLoadStore);
      for (uint32_t w : {mul.a, mul.b, mul.c, mul.d, add.b, add.c, add.d, sb, si, off}) word(w);
      return;
    }
    // An op that read memory itself, computed last, and the store of its result: one
    // instruction, x a sa with both addresses as base imm off (load_op_store).
    if (IOp f = load_op_store(o, last_.op);
        f != IOp::Count && last_defines(height() - 1) && vs_[height() - 2].kind != Entry::Const) {
      Last l = last_;
      drop_last();
      const auto [sb, si] = base_and_imm(height() - 2);
      pop();
      pop();
      emit(f);
      for (uint32_t w : {l.a, l.b, l.c, l.d, sb, si, off}) word(w);  // x, the load's address, the store's
      return;
    }
    // The address is a local plus a constant (Entry::Sum).
    if (vs_[height() - 2].kind == Entry::Sum && addr_fused(o, true) != IOp::Count) {
      uint32_t v = top_slot(0);
      Entry a = vs_[height() - 2];
      pop();
      pop();
      emit(addr_fused(o, true));
      word(a.local);
      word(static_cast<uint32_t>(a.imm));
      word(v);
      word(off);
      return;
    }
    // A constant stored at an address a + b computed last (sieve[j] = 1).
    if (vs_.back().kind == Entry::Const && last_defines(height() - 2) && last_.op == IOp::I32Add &&
        (o == IOp::I32Store || o == IOp::I32Store8)) {
      uint32_t imm = static_cast<uint32_t>(vs_.back().imm);
      Last l = last_;
      drop_last();
      pop();
      pop();
      emit(o == IOp::I32Store ? IOp::I32StoreImmAdd : IOp::I32Store8ImmAdd);
      word(l.a);
      word(l.b);
      word(imm);
      word(off);
      return;
    }
    if (vs_.back().kind == Entry::Const) {
      uint64_t imm = vs_.back().imm;
      IOp f = o == IOp::I32Store ? IOp::I32StoreImm : o == IOp::I32Store8 ? IOp::I32Store8Imm
            : o == IOp::I32Store16 ? IOp::I32Store16Imm : o == IOp::I64Store ? IOp::I64StoreImm : IOp::Count;
      bool fits = o != IOp::I64Store ||
                  static_cast<uint64_t>(static_cast<int64_t>(static_cast<int32_t>(imm))) == imm;
      if (f != IOp::Count && fits) {
        uint32_t a = top_slot(1);
        pop();
        pop();
        emit(f);
        word(a);
        word(static_cast<uint32_t>(imm));
        word(off);
        return;
      }
    }
    uint32_t v = top_slot(0);
    uint32_t a = top_slot(1);
    pop();
    pop();
    emit(o);
    word(a);
    word(v);
    word(off);
  }
  // --- local aliases ------------------------------------------------------------------
  // `local.set x` of a Sum (x = y + k) need not compute x when no instruction will need x
  // in its slot: until y or x is written or the straight-line code ends, `local.get x`
  // pushes the Sum instead (an address operand most of the time), and where that happens,
  // x must be dead: written again before any read, on every path (LocalLiveness). A
  // tee'd address used by a load and then a store to the same place is the common case.
  static bool ends_straight_line(uint8_t o) {
    switch (o) {
      case op::Block: case op::Loop: case op::If: case op::Else: case op::End: case op::Br:
      case op::BrIf: case op::BrTable: case op::Return: case op::Unreachable:
        return true;
      default:
        return false;
    }
  }
  const Alias* alias_of(uint32_t l) const {
    for (const Alias& a : sc_.aliases)
      if (a.local == l) return &a;
    return nullptr;
  }
  // Whether x = e (a Sum of another local) may be left uncomputed: reads ahead from `r`,
  // just after the `local.set`, to where the alias would end, then asks whether x is dead
  // there. Records the alias if so.
  bool alias_local(uint32_t x, const Entry& e, Reader r) {
    constexpr int kLookahead = 64;  // instructions
    uint32_t end = UINT32_MAX;
    bool written = false, read = false;
    for (int n = 0; n < kLookahead && end == UINT32_MAX && !r.at_end(); ++n) {
      const uint32_t here = r.offset();
      const uint8_t o = r.u8();
      if (ends_straight_line(o)) {
        end = here;
      } else if (o == op::LocalGet) {
        read |= r.u32() == x;
      } else if (o == op::LocalSet || o == op::LocalTee) {
        uint32_t l = r.u32();
        if (l == x || l == e.local) {
          end = here;
          written = l == x;
        }
      } else {
        wasm::skip_immediates(r, o);
      }
    }
    // Without a read before the end, the alias would save only a set that LLVM-made code
    // rarely has; outside loops, one instruction run once: neither is worth a search.
    if (end == UINT32_MAX || (!read && !written)) return false;
    if (!written) {
      if (loop_nest_ == 0) return false;
      if (!liveness_ready_) {
        sc_.liveness.reset(m_.bytes.data() + wc_.body_offset, wc_.body_end - wc_.body_offset, wc_.body_offset);
        liveness_ready_ = true;
      }
      if (sc_.liveness.may_read(x, end, ctrls_.back().header)) return false;
    }
    sc_.aliases.push_back(Alias{x, e.local, static_cast<uint32_t>(e.imm), end});
    return true;
  }
  // Before an instruction that ends the aliases of `written` (or all of them, for
  // UINT32_MAX): each ends where its lookahead said, with nothing to compute.
  void end_aliases(uint32_t written) {
    auto& as = sc_.aliases;
    for (size_t i = 0; i < as.size();) {
      const Alias a = as[i];
      if (written != UINT32_MAX && a.local != written && a.base != written) {
        ++i;
        continue;
      }
      if (a.dead_at != instr_offset_ && a.local != written) {
        // Not where the lookahead stopped (it cannot be, but the value must never be
        // lost): compute it after all.
        emit_add_imm(a.local, a.base, a.imm);
        last_.valid = false;
      }
      as[i] = as.back();
      as.pop_back();
    }
  }
  void call(uint32_t func_index, Reader&);
  void call_indirect(uint32_t type_index, uint32_t table);
  bool instruction(Reader& r, uint8_t opcode);
  void ext_instruction(Reader& r);
  void skip_dead(Reader& r, uint8_t opcode);

  const rt::ModuleData& md_;
  const wasm::Module& m_;
  uint32_t fidx_;
  const FuncType& type_;
  const wasm::Code& wc_;
  const void* const* handlers_;
  std::unique_ptr<Code> code_;
  uint32_t nlocals_ = 0;  // params + declared locals
  uint32_t max_height_ = 0;
  uint32_t instr_offset_ = 0;
  // Static instruction counts for fuel (see branch_to and Code::entry_cost).
  uint32_t ninstr_ = 0;    // wasm instructions read so far
  uint32_t cur_ = 0;       // index of the one being lowered
  uint32_t loop_nest_ = 0; // loops open around it
  uint32_t in_loops_ = 0;  // instructions inside loops (`loop` to `end`), outermost loops only
  bool liveness_ready_ = false;  // sc_.liveness is set up for this body
  // Working storage, reused across the functions a thread lowers.
  struct Patch {
    uint32_t start, word;
    int32_t next;
  };
  struct Scratch {
    std::vector<Entry> vs;
    std::vector<uint32_t> local_refs;
    std::vector<Ctrl> ctrls;
    std::vector<Patch> patches;
    std::vector<uint32_t> depths;
    std::vector<std::pair<uint32_t, uint32_t>> pads;
    std::vector<uint32_t> labels;  // branch targets, ascending (label_here)
    std::vector<Alias> aliases;
    LocalLiveness liveness;
  };
  // One Lowerer at a time per thread: lowering runs no guest code, so it never nests.
  static Scratch& scratch() {
    thread_local Scratch s;
    s.vs.clear();
    s.local_refs.clear();
    s.ctrls.clear();
    s.patches.clear();
    s.labels.clear();
    s.aliases.clear();
    return s;
  }
  void add_patch(Ctrl& c, uint32_t start, uint32_t w) {
    sc_.patches.push_back(Patch{start, w, c.patch_head});
    c.patch_head = static_cast<int32_t>(sc_.patches.size() - 1);
  }
  void bind_all(Ctrl& c) {
    for (int32_t i = c.patch_head; i >= 0; i = sc_.patches[i].next) bind({sc_.patches[i].start, sc_.patches[i].word});
    c.patch_head = -1;
  }
  Scratch& sc_ = scratch();
  std::vector<Entry>& vs_ = sc_.vs;
  std::vector<uint32_t>& local_refs_ = sc_.local_refs;
  std::vector<Ctrl>& ctrls_ = sc_.ctrls;
  Last last_;
  Last prev_;    // the instruction defined before last_, while the two are adjacent
  Last before_;  // last_ as it was when the newest instruction was emitted
  uint32_t last_copy_ = UINT32_MAX;   // start of the most recent Copy, for Copy2
  uint32_t last_label_ = UINT32_MAX;  // position of the most recent branch target
};

uint32_t Lowerer::emit_cond_branch(bool when, IOp* op) {
  // Fuse with a compare that produced the condition.
  if (last_defines_top() && last_.op != IOp::Unreachable) {
    IOp cmp = last_.op;
    IOp fused = IOp::Count;
    bool inv = !when;
    // Integer compares invert exactly (no NaN), so `if` can branch on the inverse.
    auto pick = [&](IOp c, IOp br, IOp br_inv) { if (cmp == c) fused = inv ? br_inv : br; };
    pick(IOp::I32Eq, IOp::BrI32Eq, IOp::BrI32Ne);
    pick(IOp::I32Ne, IOp::BrI32Ne, IOp::BrI32Eq);
    pick(IOp::I32LtS, IOp::BrI32LtS, IOp::BrI32GeS);
    pick(IOp::I32LtU, IOp::BrI32LtU, IOp::BrI32GeU);
    pick(IOp::I32GtS, IOp::BrI32GtS, IOp::BrI32LeS);
    pick(IOp::I32GtU, IOp::BrI32GtU, IOp::BrI32LeU);
    pick(IOp::I32LeS, IOp::BrI32LeS, IOp::BrI32GtS);
    pick(IOp::I32LeU, IOp::BrI32LeU, IOp::BrI32GtU);
    pick(IOp::I32GeS, IOp::BrI32GeS, IOp::BrI32LtS);
    pick(IOp::I32GeU, IOp::BrI32GeU, IOp::BrI32LtU);
    pick(IOp::I32EqImm, IOp::BrI32EqImm, IOp::BrI32NeImm);
    pick(IOp::I32NeImm, IOp::BrI32NeImm, IOp::BrI32EqImm);
    pick(IOp::I32LtSImm, IOp::BrI32LtSImm, IOp::BrI32GeSImm);
    pick(IOp::I32LtUImm, IOp::BrI32LtUImm, IOp::BrI32GeUImm);
    pick(IOp::I32GtSImm, IOp::BrI32GtSImm, IOp::BrI32LeSImm);
    pick(IOp::I32GtUImm, IOp::BrI32GtUImm, IOp::BrI32LeUImm);
    pick(IOp::I32LeSImm, IOp::BrI32LeSImm, IOp::BrI32GtSImm);
    pick(IOp::I32LeUImm, IOp::BrI32LeUImm, IOp::BrI32GtUImm);
    pick(IOp::I32GeSImm, IOp::BrI32GeSImm, IOp::BrI32LtSImm);
    pick(IOp::I32GeUImm, IOp::BrI32GeUImm, IOp::BrI32LtUImm);
    pick(IOp::I32AndImm, IOp::BrI32AnyImm, IOp::BrI32NoneImm);  // br_if (x & m): a bit test
    pick(IOp::I64Eq, IOp::BrI64Eq, IOp::BrI64Ne);
    pick(IOp::I64Ne, IOp::BrI64Ne, IOp::BrI64Eq);
    pick(IOp::I64LtS, IOp::BrI64LtS, IOp::BrI64GeS);
    pick(IOp::I64LtU, IOp::BrI64LtU, IOp::BrI64GeU);
    pick(IOp::I64GtS, IOp::BrI64GtS, IOp::BrI64LeS);
    pick(IOp::I64GtU, IOp::BrI64GtU, IOp::BrI64LeU);
    pick(IOp::I64LeS, IOp::BrI64LeS, IOp::BrI64GtS);
    pick(IOp::I64LeU, IOp::BrI64LeU, IOp::BrI64GtU);
    pick(IOp::I64GeS, IOp::BrI64GeS, IOp::BrI64LtS);
    pick(IOp::I64GeU, IOp::BrI64GeU, IOp::BrI64LtU);
    pick(IOp::I64EqImm, IOp::BrI64EqImm, IOp::BrI64NeImm);
    pick(IOp::I64NeImm, IOp::BrI64NeImm, IOp::BrI64EqImm);
    pick(IOp::I64LtSImm, IOp::BrI64LtSImm, IOp::BrI64GeSImm);
    pick(IOp::I64LtUImm, IOp::BrI64LtUImm, IOp::BrI64GeUImm);
    pick(IOp::I64GtSImm, IOp::BrI64GtSImm, IOp::BrI64LeSImm);
    pick(IOp::I64GtUImm, IOp::BrI64GtUImm, IOp::BrI64LeUImm);
    pick(IOp::I64LeSImm, IOp::BrI64LeSImm, IOp::BrI64GtSImm);
    pick(IOp::I64LeUImm, IOp::BrI64LeUImm, IOp::BrI64GtUImm);
    pick(IOp::I64GeSImm, IOp::BrI64GeSImm, IOp::BrI64LtSImm);
    pick(IOp::I64GeUImm, IOp::BrI64GeUImm, IOp::BrI64LtUImm);
    if (fused != IOp::Count) {
      Last l = last_;
      drop_last();
      pop();
      if (op) *op = fused;
      uint32_t s = emit(fused);
      word(l.a);
      word(l.b);
      word(0);
      return s;
    }
    // f64 compares branch on their own result only: !(a < b) is not a >= b when one is NaN.
    if (when) {
      IOp f = cmp == IOp::F64Lt ? IOp::BrF64Lt : cmp == IOp::F64Le ? IOp::BrF64Le
            : cmp == IOp::F64Gt ? IOp::BrF64Gt : cmp == IOp::F64Ge ? IOp::BrF64Ge
            : cmp == IOp::F64LtImm ? IOp::BrF64LtImm : cmp == IOp::F64LeImm ? IOp::BrF64LeImm
            : cmp == IOp::F64GtImm ? IOp::BrF64GtImm : cmp == IOp::F64GeImm ? IOp::BrF64GeImm : IOp::Count;
      if (f != IOp::Count) {
        const bool imm = f == IOp::BrF64LtImm || f == IOp::BrF64LeImm || f == IOp::BrF64GtImm || f == IOp::BrF64GeImm;
        Last l = last_;
        drop_last();
        pop();
        if (op) *op = f;
        uint32_t s = emit(f);
        word(l.a);
        word(l.b);
        if (imm) word(l.c);
        word(0);
        return s;
      }
    }
    if (cmp == IOp::I32Eqz || cmp == IOp::I64Eqz) {
      Last l = last_;
      drop_last();
      // Of a bit test just computed, in the slot eqz read: the test, branching the other way.
      if (cmp == IOp::I32Eqz && l.a == S(height() - 1) && last_defines_top() && last_.op == IOp::I32AndImm)
        return emit_cond_branch(!when, op);
      pop();
      IOp f = cmp == IOp::I32Eqz ? (when ? IOp::BrUnless : IOp::BrIf) : (when ? IOp::BrI64Eqz : IOp::BrI64Nez);
      if (op) *op = f;
      uint32_t s = emit(f);
      word(l.a);
      word(0);
      return s;
    }
  }
  uint32_t c = top_slot(0);
  pop();
  if (op) *op = when ? IOp::BrIf : IOp::BrUnless;
  uint32_t s = emit(when ? IOp::BrIf : IOp::BrUnless);
  word(c);
  word(0);
  return s;
}

void Lowerer::op_return() {
  uint32_t n = static_cast<uint32_t>(type_.results.size());
  if (n == 1) {
    // A single move cannot clobber its own source. Retarget the producer when possible.
    if (last_defines_top()) {
      code_->words[last_.dst_word] = 0;
    } else {
      const Entry& e = vs_.back();
      if (e.kind == Entry::Const) emit_const(0, e.imm);
      else if (e.kind == Entry::Sum) emit_add_imm(0, e.local, static_cast<uint32_t>(e.imm));
      else emit_copy(0, e.kind == Entry::Local ? e.local : S(height() - 1));
    }
  } else if (n > 1) {
    // Results may come from locals they would overwrite: gather them in their stack
    // slots first, then move down in increasing order (sources are never below targets).
    // This may be one path of several (a br_if or br_table pad), so the simulated
    // stack is left as it is.
    uint32_t from = height() - n;
    for (uint32_t j = 0; j < n; ++j) {
      const Entry& e = vs_[from + j];
      if (e.kind == Entry::Const) emit_const(S(from + j), e.imm);
      else if (e.kind == Entry::Local) emit_copy(S(from + j), e.local);
      else if (e.kind == Entry::Sum) emit_add_imm(S(from + j), e.local, static_cast<uint32_t>(e.imm));
    }
    for (uint32_t j = 0; j < n; ++j) emit_copy(j, S(from + j));
  }
  emit(IOp::Return);
}

void Lowerer::call(uint32_t f, Reader&) {
  const FuncType& ft = m_.func_type(f);
  uint32_t np = static_cast<uint32_t>(ft.params.size());
  uint32_t nr = static_cast<uint32_t>(ft.results.size());
  uint32_t base = height() - np;
  materialize_range(base);
  emit(f < m_.num_imported_funcs ? IOp::CallImport : IOp::Call);
  word(f);
  word(S(base));
  for (uint32_t i = 0; i < np; ++i) pop();
  for (uint32_t i = 0; i < nr; ++i) push_stack();
}

void Lowerer::call_indirect(uint32_t type_index, uint32_t table) {
  const FuncType& ft = m_.types[type_index];
  uint32_t np = static_cast<uint32_t>(ft.params.size());
  uint32_t nr = static_cast<uint32_t>(ft.results.size());
  uint32_t idx = top_slot(0);
  // The index may live in a slot the callee frame covers; the handler reads it first.
  pop();
  uint32_t base = height() - np;
  materialize_range(base);
  emit(IOp::CallIndirect);
  word(md_.type_ids[type_index]);
  word(table);
  word(idx);
  word(S(base));
  for (uint32_t i = 0; i < np; ++i) pop();
  for (uint32_t i = 0; i < nr; ++i) push_stack();
}

std::unique_ptr<Code> Lowerer::run() {
  code_ = std::make_unique<Code>();
  code_->func_index = fidx_;
  code_->num_params = static_cast<uint32_t>(type_.params.size());
  code_->num_locals = wc_.num_locals;
  code_->num_results = static_cast<uint32_t>(type_.results.size());
  nlocals_ = code_->num_params + code_->num_locals;
  local_refs_.assign(nlocals_, 0);
  size_t body = wc_.body_end - wc_.body_offset;
  code_->words.reserve(body * 2 + 16);
  code_->offsets.reserve(body / 2 + 4);

  Ctrl f;
  f.kind = Ctrl::Func;
  f.nresults = code_->num_results;
  ctrls_.push_back(std::move(f));

  Reader r(m_.bytes.data() + wc_.body_offset, body, wc_.body_offset, fidx_);
  while (!ctrls_.empty()) {
    instr_offset_ = r.offset();
    cur_ = ninstr_++;
    uint8_t opcode = r.u8();
    if (dead()) skip_dead(r, opcode);
    else if (!instruction(r, opcode)) break;
  }
  code_->frame_slots = nlocals_ + max_height_ + 1;
  code_->entry_cost = std::max<uint32_t>(1, ninstr_ - in_loops_);
  forward_accumulator();
  step_into_successors();
  return std::move(code_);
}

// In unreachable code only the block structure matters: read immediates, emit nothing.
void Lowerer::skip_dead(Reader& r, uint8_t o) {
  switch (o) {
    case op::Block: case op::Loop: case op::If: {
      uint32_t np, nr;
      block_type(r, np, nr);
      Ctrl c;
      c.kind = o == op::Loop ? Ctrl::Loop : o == op::If ? Ctrl::If : Ctrl::Block;
      c.live_at_start = false;
      c.dead = true;
      c.loop_instr = cur_;
      c.header = instr_offset_;
      if (o == op::Loop) ++loop_nest_;
      ctrls_.push_back(std::move(c));
      return;
    }
    case op::Else: case op::End:
      instruction(r, o);
      return;
    default:
      wasm::skip_immediates(r, o);
  }
}

// Returns false after the function's final `end`.
bool Lowerer::instruction(Reader& r, uint8_t o) {
  if (!sc_.aliases.empty() && ends_straight_line(o)) end_aliases(UINT32_MAX);
  switch (o) {
    case op::Unreachable:
      emit(IOp::Unreachable);
      ctrls_.back().dead = true;
      return true;
    case op::Nop: return true;
    case op::Block: case op::Loop: {
      uint32_t np, nr;
      block_type(r, np, nr);
      flush_all_locals();
      materialize_range(height() - np);
      Ctrl c;
      c.kind = o == op::Loop ? Ctrl::Loop : Ctrl::Block;
      c.base = height() - np;
      c.nparams = np;
      c.nresults = nr;
      c.loop_start = pos();
      c.loop_instr = cur_;
      c.header = instr_offset_;
      if (o == op::Loop) ++loop_nest_;
      label_here();
      last_.valid = false;  // a label: nothing before it may be rewritten
      ctrls_.push_back(std::move(c));
      return true;
    }
    case op::If: {
      uint32_t np, nr;
      block_type(r, np, nr);
      // Locals under the condition are flushed and the parameters put in their slots
      // first; when that emits nothing, the compare producing the condition is still
      // the last instruction and fuses with the branch.
      uint32_t below = height() - 1;
      for (uint32_t i = 0; i < below; ++i)
        if (vs_[i].reads_local()) materialize(i);
      for (uint32_t i = below - np; i < below; ++i) materialize(i);
      uint32_t s = emit_cond_branch(false);
      Ctrl c;
      c.kind = Ctrl::If;
      c.header = instr_offset_;
      c.base = height() - np;
      c.nparams = np;
      c.nresults = nr;
      c.else_patch = {s, pos() - 1};
      ctrls_.push_back(std::move(c));
      return true;
    }
    case op::Else: {
      Ctrl& c = ctrls_.back();
      if (!c.dead) {
        materialize_range(c.base);
        uint32_t s = emit(IOp::Br);
        word(0);
        add_patch(c, s, pos() - 1);
      }
      if (c.else_patch.first != UINT32_MAX) bind(c.else_patch);
      c.else_patch = {UINT32_MAX, 0};
      last_.valid = false;
      c.dead = !c.live_at_start;
      if (c.live_at_start) reset_stack(c.base, c.base + c.nparams);
      return true;
    }
    case op::End: {
      Ctrl& c = ctrls_.back();
      if (c.kind == Ctrl::Loop && --loop_nest_ == 0) in_loops_ += cur_ - c.loop_instr + 1;
      if (c.kind == Ctrl::Func) {
        if (c.patch_head >= 0) {  // conditional branches to the function's label
          if (!c.dead) materialize_range(0);
          bind_all(c);
          last_.valid = false;
          reset_stack(0, c.nresults);
          op_return();
        } else if (!c.dead) {
          op_return();
        }
        ctrls_.pop_back();
        return false;
      }
      if (!c.dead) materialize_range(c.base);
      bind_all(c);
      if (c.else_patch.first != UINT32_MAX) bind(c.else_patch);
      last_.valid = false;
      bool live = c.live_at_start;
      uint32_t base = c.base, h = c.base + c.nresults;
      ctrls_.pop_back();
      if (live) reset_stack(base, h);
      return true;
    }
    case op::Br: {
      emit_br(r.u32());
      ctrls_.back().dead = true;
      return true;
    }
    case op::BrIf: {
      uint32_t depth = r.u32();
      Ctrl& c = ctrl(depth);
      uint32_t n = arity(c);
      if (n == 0) {
        IOp o = IOp::Count;
        uint32_t s = emit_cond_branch(true, &o);
        branch_to(c, s, o);
      } else {
        // Values must reach the target's slots only when the branch is taken.
        uint32_t s = emit_cond_branch(false);
        std::pair<uint32_t, uint32_t> skip{s, pos() - 1};
        emit_br(depth);
        bind(skip);
        last_.valid = false;
      }
      return true;
    }
    case op::BrTable: {
      uint32_t n = r.u32();
      std::vector<uint32_t>& depths = sc_.depths;
      depths.resize(n + 1);
      for (uint32_t i = 0; i <= n; ++i) depths[i] = r.u32();
      uint32_t idx = top_slot(0);
      pop();
      uint32_t ar = arity(ctrl(depths[n]));
      uint32_t s = emit(IOp::BrTable);
      word(idx);
      word(n);
      uint32_t first = pos();
      for (uint32_t i = 0; i <= n; ++i) word(0);
      if (ar == 0) {
        // Forward targets are patched when their block ends. A loop target goes through a
        // pad, one per loop, whose LoopBr makes it a checked back-edge like any other.
        std::vector<std::pair<uint32_t, uint32_t>>& pads = sc_.pads;  // (depth, pad offset)
        pads.clear();
        for (uint32_t i = 0; i <= n; ++i) {
          Ctrl& c = ctrl(depths[i]);
          if (c.kind != Ctrl::Loop) {
            add_patch(c, s, first + i);
            continue;
          }
          uint32_t pad = UINT32_MAX;
          for (const auto& [d, p] : pads)
            if (d == depths[i]) pad = p;
          if (pad == UINT32_MAX) {
            pad = pos() - s;
            pads.emplace_back(depths[i], pad);
            emit_br(depths[i]);
          }
          code_->words[first + i] = pad;
        }
      } else {
        // Each target gets a landing pad that moves the values, then branches.
        for (uint32_t i = 0; i <= n; ++i) {
          code_->words[first + i] = pos() - s;
          emit_br(depths[i]);
        }
      }
      ctrls_.back().dead = true;
      return true;
    }
    case op::Return:
      op_return();
      ctrls_.back().dead = true;
      return true;
    case op::Call: call(r.u32(), r); return true;
    case op::CallIndirect: {
      uint32_t ti = r.u32();
      uint32_t table = r.u32();
      call_indirect(ti, table);
      return true;
    }
    case op::Drop: pop(); return true;
    case op::Select: case op::SelectT: {
      if (o == op::SelectT) { uint32_t n = r.u32(); for (uint32_t i = 0; i < n; ++i) r.u8(); }
      // A 32-bit constant as either value (c ? 0 : x) is an immediate of SelectImmA/B.
      for (uint32_t which = 0; which < 2; ++which) {
        const Entry& k = vs_[height() - 3 + which];
        if (k.kind != Entry::Const || k.imm >> 32 != 0) continue;
        const uint32_t imm = static_cast<uint32_t>(k.imm);
        uint32_t c = top_slot(0);
        uint32_t x = top_slot(which == 0 ? 1 : 2);
        pop(); pop(); pop();
        uint32_t d = push_stack();
        uint32_t s = emit(which == 0 ? IOp::SelectImmA : IOp::SelectImmB);
        word(d);
        word(which == 0 ? imm : x);
        word(which == 0 ? x : imm);
        word(c);
        defined(s, s + 2);
        return true;
      }
      uint32_t c = top_slot(0);
      uint32_t b = top_slot(1);
      uint32_t a = top_slot(2);
      pop(); pop(); pop();
      uint32_t d = push_stack();
      uint32_t s = emit(IOp::Select);
      word(d); word(a); word(b); word(c);
      defined(s, s + 2);
      return true;
    }
    case op::LocalGet: {
      uint32_t l = r.u32();
      if (const Alias* a = alias_of(l)) push_sum(a->base, a->imm);
      else push_local(l);
      return true;
    }
    case op::LocalSet: case op::LocalTee: {
      uint32_t l = r.u32();
      if (!sc_.aliases.empty()) end_aliases(l);
      Entry e = vs_.back();
      if (e.kind == Entry::Local && e.local == l) {  // x = x
        if (o == op::LocalSet) pop();
        return true;
      }
      if (e.kind == Entry::Sum && e.local != l && alias_local(l, e, r)) {  // x = y + k, nobody needs x
        pop();
        flush_local(l);
        if (o == op::LocalTee) push_sum(e.local, static_cast<uint32_t>(e.imm));
        return true;
      }
      if (e.kind == Entry::Sum) {  // x = y + k: one I32AddImm into the local
        pop();
        flush_local(l);  // other entries reading x take the value before the write
        uint32_t s = emit_add_imm(l, e.local, static_cast<uint32_t>(e.imm));
        last_ = Last{true, s, pos(), height(), s + 2, IOp::I32AddImm, e.local, static_cast<uint32_t>(e.imm)};
        merge_add_imm_pair();
        last_.valid = false;
        if (o == op::LocalTee) push_local(l);
        return true;
      }
      if (e.kind == Entry::Stack && last_defines_top() && local_refs_[l] == 0) {
        code_->words[last_.dst_word] = l;  // the producer writes the local directly
        if (last_.op == IOp::I32AddImm) merge_add_imm_pair();
      } else {
        flush_local(l);
        e = vs_.back();
        if (e.kind == Entry::Const) emit_const(l, e.imm);
        else emit_copy(l, e.kind == Entry::Local ? e.local : S(height() - 1));
      }
      last_.valid = false;
      Entry top = pop();
      if (o == op::LocalTee) {
        if (top.kind == Entry::Const) push_const(top.imm);
        else push_local(l);
      }
      return true;
    }
    case op::GlobalGet: {
      uint32_t g = r.u32();
      uint32_t d = push_stack();
      uint32_t s = emit(IOp::GlobalGet);
      word(d);
      word(g);
      defined(s, s + 2);
      return true;
    }
    case op::GlobalSet: {
      uint32_t g = r.u32();
      uint32_t a = top_slot(0);
      pop();
      emit(IOp::GlobalSet);
      word(g);
      word(a);
      return true;
    }
    case op::TableGet: {
      uint32_t t = r.u32();
      uint32_t a = top_slot(0);
      pop();
      uint32_t d = push_stack();
      uint32_t s = emit(IOp::TableGet);
      word(d); word(t); word(a);
      defined(s, s + 2);
      return true;
    }
    case op::TableSet: {
      uint32_t t = r.u32();
      uint32_t b = top_slot(0);
      uint32_t a = top_slot(1);
      pop(); pop();
      emit(IOp::TableSet);
      word(t); word(a); word(b);
      return true;
    }
    case op::I32Load: load(IOp::I32Load, r); return true;
    case op::I64Load: load(IOp::I64Load, r); return true;
    case op::F32Load: load(IOp::I32Load, r); return true;
    case op::F64Load: load(IOp::I64Load, r); return true;
    case op::I32Load8S: load(IOp::I32Load8S, r); return true;
    case op::I32Load8U: load(IOp::I32Load8U, r); return true;
    case op::I32Load16S: load(IOp::I32Load16S, r); return true;
    case op::I32Load16U: load(IOp::I32Load16U, r); return true;
    case op::I64Load8S: load(IOp::I64Load8S, r); return true;
    case op::I64Load8U: load(IOp::I64Load8U, r); return true;
    case op::I64Load16S: load(IOp::I64Load16S, r); return true;
    case op::I64Load16U: load(IOp::I64Load16U, r); return true;
    case op::I64Load32S: load(IOp::I64Load32S, r); return true;
    case op::I64Load32U: load(IOp::I64Load32U, r); return true;
    case op::I32Store: store(IOp::I32Store, r); return true;
    case op::I64Store: store(IOp::I64Store, r); return true;
    case op::F32Store: store(IOp::I32Store, r); return true;
    case op::F64Store: store(IOp::I64Store, r); return true;
    case op::I32Store8: store(IOp::I32Store8, r); return true;
    case op::I32Store16: store(IOp::I32Store16, r); return true;
    case op::I64Store8: store(IOp::I64Store8, r); return true;
    case op::I64Store16: store(IOp::I64Store16, r); return true;
    case op::I64Store32: store(IOp::I64Store32, r); return true;
    case op::MemorySize: {
      r.u8();
      uint32_t d = push_stack();
      uint32_t s = emit(IOp::MemorySize);
      word(d);
      defined(s, s + 2);
      return true;
    }
    case op::MemoryGrow: {
      r.u8();
      unop(IOp::MemoryGrow);
      return true;
    }
    case op::I32Const: push_const(static_cast<uint32_t>(r.s32())); return true;
    case op::I64Const: push_const(static_cast<uint64_t>(r.s64())); return true;
    case op::F32Const: push_const(r.f32_bits()); return true;
    case op::F64Const: push_const(r.f64_bits()); return true;

    case op::I32Eqz: unop(IOp::I32Eqz); return true;
    case op::I32Eq: binop(IOp::I32Eq, IOp::I32EqImm, true); return true;
    case op::I32Ne: binop(IOp::I32Ne, IOp::I32NeImm, true); return true;
    case op::I32LtS: binop(IOp::I32LtS, IOp::I32LtSImm); return true;
    case op::I32LtU: binop(IOp::I32LtU, IOp::I32LtUImm); return true;
    case op::I32GtS: binop(IOp::I32GtS, IOp::I32GtSImm); return true;
    case op::I32GtU: binop(IOp::I32GtU, IOp::I32GtUImm); return true;
    case op::I32LeS: binop(IOp::I32LeS, IOp::I32LeSImm); return true;
    case op::I32LeU: binop(IOp::I32LeU, IOp::I32LeUImm); return true;
    case op::I32GeS: binop(IOp::I32GeS, IOp::I32GeSImm); return true;
    case op::I32GeU: binop(IOp::I32GeU, IOp::I32GeUImm); return true;
    case op::I64Eqz: unop(IOp::I64Eqz); return true;
    case op::I64Eq: binop(IOp::I64Eq, IOp::I64EqImm, true); return true;
    case op::I64Ne: binop(IOp::I64Ne, IOp::I64NeImm, true); return true;
    case op::I64LtS: binop(IOp::I64LtS, IOp::I64LtSImm); return true;
    case op::I64LtU: binop(IOp::I64LtU, IOp::I64LtUImm); return true;
    case op::I64GtS: binop(IOp::I64GtS, IOp::I64GtSImm); return true;
    case op::I64GtU: binop(IOp::I64GtU, IOp::I64GtUImm); return true;
    case op::I64LeS: binop(IOp::I64LeS, IOp::I64LeSImm); return true;
    case op::I64LeU: binop(IOp::I64LeU, IOp::I64LeUImm); return true;
    case op::I64GeS: binop(IOp::I64GeS, IOp::I64GeSImm); return true;
    case op::I64GeU: binop(IOp::I64GeU, IOp::I64GeUImm); return true;
    case op::F32Eq: binop(IOp::F32Eq); return true;
    case op::F32Ne: binop(IOp::F32Ne); return true;
    case op::F32Lt: binop(IOp::F32Lt); return true;
    case op::F32Gt: binop(IOp::F32Gt); return true;
    case op::F32Le: binop(IOp::F32Le); return true;
    case op::F32Ge: binop(IOp::F32Ge); return true;
    case op::F64Eq: float_binop(IOp::F64Eq, IOp::F64EqImm, true); return true;
    case op::F64Ne: float_binop(IOp::F64Ne, IOp::F64NeImm, true); return true;
    case op::F64Lt: float_binop(IOp::F64Lt, IOp::F64LtImm, true); return true;
    case op::F64Gt: float_binop(IOp::F64Gt, IOp::F64GtImm, true); return true;
    case op::F64Le: float_binop(IOp::F64Le, IOp::F64LeImm, true); return true;
    case op::F64Ge: float_binop(IOp::F64Ge, IOp::F64GeImm, true); return true;

    case op::I32Clz: unop(IOp::I32Clz); return true;
    case op::I32Ctz: unop(IOp::I32Ctz); return true;
    case op::I32Popcnt: unop(IOp::I32Popcnt); return true;
    case op::I32Add: binop(IOp::I32Add, IOp::I32AddImm, true); return true;
    case op::I32Sub:
      if (vs_.back().kind == Entry::Const) {  // x - c == x + (-c)
        vs_.back().imm = static_cast<uint32_t>(0u - static_cast<uint32_t>(vs_.back().imm));
        binop(IOp::I32Add, IOp::I32AddImm, true);
      } else {
        binop(IOp::I32Sub);
      }
      return true;
    case op::I32Mul: binop(IOp::I32Mul, IOp::I32MulImm, true); return true;
    case op::I32DivS: if (!div_by_const(o)) binop(IOp::I32DivS); return true;
    case op::I32DivU: if (!div_by_const(o)) binop(IOp::I32DivU); return true;
    case op::I32RemS: if (!div_by_const(o)) binop(IOp::I32RemS); return true;
    case op::I32RemU: if (!div_by_const(o)) binop(IOp::I32RemU); return true;
    case op::I32And: binop(IOp::I32And, IOp::I32AndImm, true); return true;
    case op::I32Or: binop(IOp::I32Or, IOp::I32OrImm, true); return true;
    case op::I32Xor: binop(IOp::I32Xor, IOp::I32XorImm, true); return true;
    case op::I32Shl: binop(IOp::I32Shl, IOp::I32ShlImm); return true;
    case op::I32ShrS: binop(IOp::I32ShrS, IOp::I32ShrSImm); return true;
    case op::I32ShrU: binop(IOp::I32ShrU, IOp::I32ShrUImm); return true;
    case op::I32Rotl: binop(IOp::I32Rotl, IOp::I32RotlImm); return true;
    case op::I32Rotr: binop(IOp::I32Rotr, IOp::I32RotrImm); return true;
    case op::I64Clz: unop(IOp::I64Clz); return true;
    case op::I64Ctz: unop(IOp::I64Ctz); return true;
    case op::I64Popcnt: unop(IOp::I64Popcnt); return true;
    case op::I64Add: binop(IOp::I64Add, IOp::I64AddImm, true); return true;
    case op::I64Sub:
      if (vs_.back().kind == Entry::Const) {  // x - c == x + (-c)
        vs_.back().imm = 0 - vs_.back().imm;
        binop(IOp::I64Add, IOp::I64AddImm, true);
      } else {
        binop(IOp::I64Sub);
      }
      return true;
    case op::I64Mul: binop(IOp::I64Mul, IOp::I64MulImm, true); return true;
    case op::I64DivS: binop(IOp::I64DivS); return true;
    case op::I64DivU: binop(IOp::I64DivU); return true;
    case op::I64RemS: binop(IOp::I64RemS); return true;
    case op::I64RemU: binop(IOp::I64RemU); return true;
    case op::I64And: binop(IOp::I64And, IOp::I64AndImm, true); return true;
    case op::I64Or: binop(IOp::I64Or, IOp::I64OrImm, true); return true;
    case op::I64Xor: binop(IOp::I64Xor, IOp::I64XorImm, true); return true;
    case op::I64Shl: binop(IOp::I64Shl, IOp::I64ShlImm); return true;
    case op::I64ShrS: binop(IOp::I64ShrS, IOp::I64ShrSImm); return true;
    case op::I64ShrU: binop(IOp::I64ShrU, IOp::I64ShrUImm); return true;
    case op::I64Rotl: binop(IOp::I64Rotl, IOp::I64RotlImm); return true;
    case op::I64Rotr: binop(IOp::I64Rotr, IOp::I64RotrImm); return true;

    case op::F32Abs: unop(IOp::F32Abs); return true;
    case op::F32Neg: unop(IOp::F32Neg); return true;
    case op::F32Ceil: unop(IOp::F32Ceil); return true;
    case op::F32Floor: unop(IOp::F32Floor); return true;
    case op::F32Trunc: unop(IOp::F32Trunc); return true;
    case op::F32Nearest: unop(IOp::F32Nearest); return true;
    case op::F32Sqrt: unop(IOp::F32Sqrt); return true;
    case op::F32Add: float_binop(IOp::F32Add, IOp::F32AddImm, false); return true;
    case op::F32Sub: float_binop(IOp::F32Sub, IOp::F32SubImm, false); return true;
    case op::F32Mul: float_binop(IOp::F32Mul, IOp::F32MulImm, false); return true;
    case op::F32Div: float_binop(IOp::F32Div, IOp::F32DivImm, false); return true;
    case op::F32Min: binop(IOp::F32Min); return true;
    case op::F32Max: binop(IOp::F32Max); return true;
    case op::F32Copysign: binop(IOp::F32Copysign); return true;
    case op::F64Abs: unop(IOp::F64Abs); return true;
    case op::F64Neg: unop(IOp::F64Neg); return true;
    case op::F64Ceil: unop(IOp::F64Ceil); return true;
    case op::F64Floor: unop(IOp::F64Floor); return true;
    case op::F64Trunc: unop(IOp::F64Trunc); return true;
    case op::F64Nearest: unop(IOp::F64Nearest); return true;
    case op::F64Sqrt: unop(IOp::F64Sqrt); return true;
    case op::F64Add: float_binop(IOp::F64Add, IOp::F64AddImm, true); return true;
    case op::F64Sub: float_binop(IOp::F64Sub, IOp::F64SubImm, true); return true;
    case op::F64Mul: float_binop(IOp::F64Mul, IOp::F64MulImm, true); return true;
    case op::F64Div: float_binop(IOp::F64Div, IOp::F64DivImm, true); return true;
    case op::F64Min: binop(IOp::F64Min); return true;
    case op::F64Max: binop(IOp::F64Max); return true;
    case op::F64Copysign: binop(IOp::F64Copysign); return true;

    case op::I32WrapI64: unop(IOp::I32WrapI64); return true;
    case op::I32TruncF32S: unop(IOp::I32TruncF32S); return true;
    case op::I32TruncF32U: unop(IOp::I32TruncF32U); return true;
    case op::I32TruncF64S: unop(IOp::I32TruncF64S); return true;
    case op::I32TruncF64U: unop(IOp::I32TruncF64U); return true;
    case op::I64ExtendI32S: unop(IOp::I64ExtendI32S); return true;
    case op::I64ExtendI32U: unop(IOp::I64ExtendI32U); return true;
    case op::I64TruncF32S: unop(IOp::I64TruncF32S); return true;
    case op::I64TruncF32U: unop(IOp::I64TruncF32U); return true;
    case op::I64TruncF64S: unop(IOp::I64TruncF64S); return true;
    case op::I64TruncF64U: unop(IOp::I64TruncF64U); return true;
    case op::F32ConvertI32S: unop(IOp::F32ConvertI32S); return true;
    case op::F32ConvertI32U: unop(IOp::F32ConvertI32U); return true;
    case op::F32ConvertI64S: unop(IOp::F32ConvertI64S); return true;
    case op::F32ConvertI64U: unop(IOp::F32ConvertI64U); return true;
    case op::F32DemoteF64: unop(IOp::F32DemoteF64); return true;
    case op::F64ConvertI32S: unop(IOp::F64ConvertI32S); return true;
    case op::F64ConvertI32U: unop(IOp::F64ConvertI32U); return true;
    case op::F64ConvertI64S: unop(IOp::F64ConvertI64S); return true;
    case op::F64ConvertI64U: unop(IOp::F64ConvertI64U); return true;
    case op::F64PromoteF32: unop(IOp::F64PromoteF32); return true;
    // Reinterpretations change no bits: slots are untyped.
    case op::I32ReinterpretF32: case op::I64ReinterpretF64:
    case op::F32ReinterpretI32: case op::F64ReinterpretI64:
      return true;
    case op::I32Extend8S: unop(IOp::I32Extend8S); return true;
    case op::I32Extend16S: unop(IOp::I32Extend16S); return true;
    case op::I64Extend8S: unop(IOp::I64Extend8S); return true;
    case op::I64Extend16S: unop(IOp::I64Extend16S); return true;
    case op::I64Extend32S: unop(IOp::I64Extend32S); return true;

    case op::RefNull: r.u8(); push_const(0); return true;
    case op::RefIsNull: unop(IOp::RefIsNull); return true;
    case op::RefFunc: {
      uint32_t f = r.u32();
      uint32_t d = push_stack();
      uint32_t s = emit(IOp::RefFunc);
      word(d);
      word(f);
      defined(s, s + 2);
      return true;
    }
    case op::PrefixFC: ext_instruction(r); return true;
    default:
      throw std::logic_error("lowering met an opcode the validator should have rejected");
  }
}

void Lowerer::ext_instruction(Reader& r) {
  uint32_t sub = r.u32();
  switch (sub) {
    case op::ext::I32TruncSatF32S: unop(IOp::I32TruncSatF32S); return;
    case op::ext::I32TruncSatF32U: unop(IOp::I32TruncSatF32U); return;
    case op::ext::I32TruncSatF64S: unop(IOp::I32TruncSatF64S); return;
    case op::ext::I32TruncSatF64U: unop(IOp::I32TruncSatF64U); return;
    case op::ext::I64TruncSatF32S: unop(IOp::I64TruncSatF32S); return;
    case op::ext::I64TruncSatF32U: unop(IOp::I64TruncSatF32U); return;
    case op::ext::I64TruncSatF64S: unop(IOp::I64TruncSatF64S); return;
    case op::ext::I64TruncSatF64U: unop(IOp::I64TruncSatF64U); return;
    case op::ext::MemoryInit: {
      uint32_t seg = r.u32();
      r.u8();
      uint32_t c = top_slot(0), b = top_slot(1), a = top_slot(2);
      pop(); pop(); pop();
      emit(IOp::MemoryInit);
      word(seg); word(a); word(b); word(c);
      return;
    }
    case op::ext::DataDrop: emit(IOp::DataDrop); word(r.u32()); return;
    case op::ext::MemoryCopy: case op::ext::MemoryFill: {
      r.u8();
      if (sub == op::ext::MemoryCopy) r.u8();
      uint32_t c = top_slot(0), b = top_slot(1), a = top_slot(2);
      pop(); pop(); pop();
      emit(sub == op::ext::MemoryCopy ? IOp::MemoryCopy : IOp::MemoryFill);
      word(a); word(b); word(c);
      return;
    }
    case op::ext::TableInit: {
      uint32_t seg = r.u32();
      uint32_t t = r.u32();
      uint32_t c = top_slot(0), b = top_slot(1), a = top_slot(2);
      pop(); pop(); pop();
      emit(IOp::TableInit);
      word(t); word(seg); word(a); word(b); word(c);
      return;
    }
    case op::ext::ElemDrop: emit(IOp::ElemDrop); word(r.u32()); return;
    case op::ext::TableCopy: {
      uint32_t dt = r.u32();
      uint32_t st = r.u32();
      uint32_t c = top_slot(0), b = top_slot(1), a = top_slot(2);
      pop(); pop(); pop();
      emit(IOp::TableCopy);
      word(dt); word(st); word(a); word(b); word(c);
      return;
    }
    case op::ext::TableGrow: {
      uint32_t t = r.u32();
      uint32_t n = top_slot(0), init = top_slot(1);
      pop(); pop();
      uint32_t d = push_stack();
      emit(IOp::TableGrow);
      word(d); word(t); word(init); word(n);
      return;
    }
    case op::ext::TableSize: {
      uint32_t t = r.u32();
      uint32_t d = push_stack();
      emit(IOp::TableSize);
      word(d); word(t);
      return;
    }
    case op::ext::TableFill: {
      uint32_t t = r.u32();
      uint32_t n = top_slot(0), v = top_slot(1), i = top_slot(2);
      pop(); pop(); pop();
      emit(IOp::TableFill);
      word(t); word(i); word(v); word(n);
      return;
    }
    default:
      throw std::logic_error("lowering met a 0xFC opcode the validator should have rejected");
  }
}

}  // namespace

std::unique_ptr<Code> lower(const rt::ModuleData& md, uint32_t func_index) {
  return Lowerer(md, func_index).run();
}

uint32_t Code::wasm_offset(const uint32_t* pc) const {
  uint32_t w = static_cast<uint32_t>(pc - words.data());
  // Last entry whose start is <= w.
  size_t lo = 0, hi = offsets.size();
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    if (offsets[mid].first <= w) lo = mid + 1;
    else hi = mid;
  }
  return lo == 0 ? 0 : offsets[lo - 1].second;
}

}  // namespace isola::interp
