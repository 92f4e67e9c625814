// The interpreter: direct-threaded execution of lowered code (see code.hpp).
//
// One C++ function runs every wasm frame of a call; wasm-to-wasm calls push a Frame on
// the store's frame stack instead of recursing, so call depth is bounded by a counter,
// not by the native stack. Handlers read operands from frame slots (fp[i]), write
// results to frame slots, and jump straight to the next handler (computed goto).
// Only host calls leave the loop, through a helper that catches host traps.
//
// Limits: loop back-edges (the Loop* branches) and function entries test the store's
// stop-request word (rt::InterruptState::flags) with one relaxed load. It is zero unless
// an interrupt or deadline is pending or fuel is metered; then limit_check charges fuel or
// traps. Every execution that does not end passes those points again and again, so a stop
// request is noticed within one loop iteration or call, and fuel always runs out.
#include "wasm/interp/exec.hpp"

#include <algorithm>
#include <atomic>
#include <bit>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "wasm/interp/code.hpp"
#include "wasm/interp/numeric.hpp"

namespace isola::interp {
namespace {

namespace num = wasm::num;

inline float f32_of(uint64_t s) { return std::bit_cast<float>(static_cast<uint32_t>(s)); }
inline double f64_of(uint64_t s) { return std::bit_cast<double>(s); }
inline uint64_t bits_of(float f) { return std::bit_cast<uint32_t>(f); }
inline uint64_t bits_of(double d) { return std::bit_cast<uint64_t>(d); }

#ifdef ISOLA_OP_STATS
// Development aid (cmake -DCMAKE_CXX_FLAGS=-DISOLA_OP_STATS): counts executed operations
// and adjacent pairs, printed to stderr at exit, to choose fusions by measured frequency.
namespace op_stats {
constexpr size_t N = static_cast<size_t>(IOp::Count);
inline uint64_t singles[N];
inline uint64_t pairs[N][N];
inline size_t prev = N;
// Handler address -> operation, through the address's offset from the lowest handler.
struct Index {
  uintptr_t lo = UINTPTR_MAX;
  std::vector<uint16_t> op;
  Index() {
    const void* const* t = handler_table();
    uintptr_t hi = 0;
    for (size_t i = 0; i < N; ++i) {
      lo = std::min(lo, reinterpret_cast<uintptr_t>(t[i]));
      hi = std::max(hi, reinterpret_cast<uintptr_t>(t[i]));
    }
    op.assign(hi - lo + 1, static_cast<uint16_t>(N));
    for (size_t i = 0; i < N; ++i) op[reinterpret_cast<uintptr_t>(t[i]) - lo] = static_cast<uint16_t>(i);
  }
};
inline void count(const void* h) {
  static const Index index;
  size_t i = index.op[reinterpret_cast<uintptr_t>(h) - index.lo];
  ++singles[i];
  if (prev < N) ++pairs[prev][i];
  prev = i;
}
struct Report {
  ~Report() {
    static const char* const names[] = {
#define ISOLA_IOP_NAME(name, n) #name,
        ISOLA_IOPS(ISOLA_IOP_NAME)
#undef ISOLA_IOP_NAME
    };
    uint64_t total = 0;
    std::vector<std::pair<uint64_t, std::string>> v, p;
    for (size_t i = 0; i < N; ++i) {
      total += singles[i];
      if (singles[i]) v.emplace_back(singles[i], names[i]);
      for (size_t j = 0; j < N; ++j)
        if (pairs[i][j]) p.emplace_back(pairs[i][j], std::string(names[i]) + " " + names[j]);
    }
    std::sort(v.rbegin(), v.rend());
    std::sort(p.rbegin(), p.rend());
    std::fprintf(stderr, "op stats: %llu operations\n", static_cast<unsigned long long>(total));
    for (size_t k = 0; k < v.size() && k < 25; ++k)
      std::fprintf(stderr, "  %5.2f%%  %s\n", 100.0 * v[k].first / total, v[k].second.c_str());
    std::fprintf(stderr, "pairs:\n");
    for (size_t k = 0; k < p.size() && k < 25; ++k)
      std::fprintf(stderr, "  %5.2f%%  %s\n", 100.0 * p[k].first / total, p[k].second.c_str());
  }
} inline report;
}  // namespace op_stats
#endif

// Runs a host function; returns false (with `trap` filled) if it trapped.
__attribute__((noinline)) bool call_host(rt::StoreData& sd, rt::InstanceData* inst, rt::FuncInst* f,
                                         uint64_t* slots, Trap& trap) {
  rt::CallContext cc{&sd, inst};
  Caller caller(&cc);
  try {
    f->host->fn(caller, slots);
    return true;
  } catch (HostTrap& h) {
    trap = std::move(h.trap);
  } catch (const std::bad_alloc&) {
    trap.kind = TrapKind::Host;
    trap.message = "host function ran out of memory";
  } catch (const std::exception& e) {
    trap.kind = TrapKind::Host;
    trap.message = e.what();
  }
  return false;
}

__attribute__((noinline)) const Code* lower_now(const rt::ModuleData* md, uint32_t func_index) {
  return md->get_code(func_index);
}

inline const Code* code_of(const rt::ModuleData* md, uint32_t func_index) {
  const Code* c = md->code[func_index - md->m.num_imported_funcs].load(std::memory_order_acquire);
  return c ? c : lower_now(md, func_index);
}

// With sd == nullptr, only publishes the handler table through `table_out`.
bool run(rt::StoreData* sd, rt::InstanceData* inst, const Code* code, uint64_t* fp, Trap* trap,
         const void* const** table_out) {
  static const void* const table[] = {
#define ISOLA_IOP_LABEL(name, n) &&L_##name,
      ISOLA_IOPS(ISOLA_IOP_LABEL)
#undef ISOLA_IOP_LABEL
  };
  if (table_out) {
    *table_out = table;
    return true;
  }

  rt::ExecStack& es = sd->stack;
  const uint32_t base_depth = es.depth;
  uint32_t depth = base_depth;
  uint64_t* const saved_top = es.top;
  uint64_t* const stack_end = es.values_end;
  rt::Frame* const frames = es.frames.get();
  const uint32_t max_depth = es.max_depth;
  const rt::ModuleData* md = inst->module.get();
  const uint32_t* pc = code->words.data();
  uint8_t* mbase = nullptr;
  uint64_t msize = 0;
  TrapKind trap_kind = TrapKind::Unreachable;
  rt::FuncInst* target = nullptr;
  uint64_t* nfp = nullptr;
  const uint32_t* ret_pc = nullptr;
  std::atomic<uint32_t>* const flags = &sd->interrupt->flags;
  int64_t fuel = sd->fuel;  // in this local while running; back in the store around host calls
  uint32_t charge = 0;      // the fuel owed when jumping to limit_check

#define LOAD_MEM()                                    \
  do {                                                \
    rt::MemoryInst* m_ = inst->mem0();                \
    mbase = m_ ? m_->base : nullptr;                  \
    msize = m_ ? m_->size : 0;                        \
  } while (0)
#ifdef ISOLA_OP_STATS
#define COUNT_OP(h) op_stats::count(h)
#else
#define COUNT_OP(h) (void)0
#endif
#define DISPATCH()                                    \
  do {                                                \
    const void* h_;                                   \
    std::memcpy(&h_, pc, sizeof h_);                  \
    COUNT_OP(h_);                                     \
    goto* const_cast<void*>(h_);                      \
  } while (0)
#define NEXT(n)                                       \
  do {                                                \
    pc += kHandlerWords + (n);                        \
    DISPATCH();                                       \
  } while (0)
#define W(k) pc[kHandlerWords + (k)]
#define SL(k) fp[W(k)]
#define U32(k) static_cast<uint32_t>(SL(k))
#define S32(k) static_cast<int32_t>(SL(k))
#define U64(k) SL(k)
#define S64(k) static_cast<int64_t>(SL(k))
#define F32(k) f32_of(SL(k))
#define F64(k) f64_of(SL(k))
#define PUT32(k, v) SL(k) = static_cast<uint32_t>(v)
#define PUT64(k, v) SL(k) = static_cast<uint64_t>(v)
#define PUTF(k, v) SL(k) = bits_of(v)
#define TRAP(kind)       \
  do {                   \
    trap_kind = (kind);  \
    goto do_trap;        \
  } while (0)
#define JUMP(k)                                  \
  do {                                           \
    pc += static_cast<int32_t>(W(k));            \
    DISPATCH();                                  \
  } while (0)
  // Anything for limit_check? (a stop request, or fuel to charge)
#define LIMITS_PENDING() __builtin_expect(flags->load(std::memory_order_relaxed) != 0, 0)
  // A branch back to a loop's head, whose operand k+1 is the iteration's fuel cost.
#define LOOP_JUMP(k)                             \
  do {                                           \
    if (LIMITS_PENDING()) {                      \
      charge = W((k) + 1);                       \
      pc += static_cast<int32_t>(W(k));          \
      goto limit_check;                          \
    }                                            \
    pc += static_cast<int32_t>(W(k));            \
    DISPATCH();                                  \
  } while (0)
  // Bulk memory and table operations charge for their length after the work is done.
#define NEXT_CHARGED(n, units)                   \
  do {                                           \
    pc += kHandlerWords + (n);                   \
    if (LIMITS_PENDING()) {                      \
      charge = static_cast<uint32_t>(units);     \
      goto limit_check;                          \
    }                                            \
    DISPATCH();                                  \
  } while (0)

  LOAD_MEM();
  if (LIMITS_PENDING()) {
    charge = code->entry_cost;
    goto limit_check;
  }
  DISPATCH();

  // --- control -------------------------------------------------------------------------
L_Unreachable:
  TRAP(TrapKind::Unreachable);
L_Br:
  JUMP(0);
L_LoopBr:
  LOOP_JUMP(0);
L_BrIf:
  if (U32(0)) JUMP(1);
  NEXT(2);
L_LoopBrIf:
  if (U32(0)) LOOP_JUMP(1);
  NEXT(3);
L_BrUnless:
  if (!U32(0)) JUMP(1);
  NEXT(2);
L_LoopBrUnless:
  if (!U32(0)) LOOP_JUMP(1);
  NEXT(3);
L_BrTable: {
  uint32_t i = U32(0), n = W(1);
  if (i > n) i = n;
  JUMP(2 + i);
}
L_Return: {
  if (depth == base_depth) goto done;
  const rt::Frame& f = frames[--depth];
  pc = f.pc;
  fp = f.fp;
  code = f.code;
  if (f.inst != inst) {
    inst = f.inst;
    md = inst->module.get();
  }
  LOAD_MEM();  // the callee may have grown the memory
  DISPATCH();
}
L_Call: {
  const Code* c = code_of(md, W(0));
  uint64_t* n = fp + W(1);
  if (depth >= max_depth || n + c->frame_slots > stack_end) TRAP(TrapKind::CallStackExhausted);
  frames[depth++] = rt::Frame{pc + kHandlerWords + 2, fp, inst, code};
  for (uint32_t k = 0, e = c->num_locals; k < e; ++k) n[c->num_params + k] = 0;
  fp = n;
  code = c;
  pc = c->words.data();
  if (LIMITS_PENDING()) {
    charge = c->entry_cost;
    goto limit_check;
  }
  DISPATCH();
}
L_CallImport:
  target = inst->funcs[W(0)];
  nfp = fp + W(1);
  ret_pc = pc + kHandlerWords + 2;
  goto call_any;
L_CallIndirect: {
  rt::TableInst* t = inst->tables[W(1)];
  uint32_t i = U32(2);
  if (i >= t->elems.size()) TRAP(TrapKind::UndefinedElement);
  target = reinterpret_cast<rt::FuncInst*>(t->elems[i]);
  if (!target) TRAP(TrapKind::UninitializedElement);
  if (target->type_id != W(0)) TRAP(TrapKind::IndirectCallTypeMismatch);
  nfp = fp + W(3);
  ret_pc = pc + kHandlerWords + 4;
  goto call_any;
}
call_any:
  if (target->host) {
    es.depth = depth;
    es.top = fp + code->frame_slots;  // nested calls from the host start above this frame
    sd->fuel = fuel;                  // the host may call wasm, or refuel
    if (!call_host(*sd, inst, target, nfp, *trap)) {
      fuel = sd->fuel;
      trap->func_index = code->func_index;
      trap->offset = code->wasm_offset(pc);
      goto unwind;
    }
    fuel = sd->fuel;
    es.top = saved_top;
    LOAD_MEM();
    pc = ret_pc;
    if (LIMITS_PENDING()) {  // a stop request that came while the host function ran
      charge = 0;
      goto limit_check;
    }
    DISPATCH();
  } else {
    rt::InstanceData* ti = target->inst;
    const rt::ModuleData* tmd = ti->module.get();
    const Code* c = code_of(tmd, target->index);
    if (depth >= max_depth || nfp + c->frame_slots > stack_end) TRAP(TrapKind::CallStackExhausted);
    frames[depth++] = rt::Frame{ret_pc, fp, inst, code};
    for (uint32_t k = 0, e = c->num_locals; k < e; ++k) nfp[c->num_params + k] = 0;
    fp = nfp;
    code = c;
    pc = c->words.data();
    if (ti != inst) {
      inst = ti;
      md = tmd;
      LOAD_MEM();
    }
    if (LIMITS_PENDING()) {
      charge = c->entry_cost;
      goto limit_check;
    }
    DISPATCH();
  }

  // Each compare-and-branch also has its loop back-edge form, Loop<name>.
#define BR_CMP(name, T, op)                                       \
  L_##name:                                                       \
  if (static_cast<T>(SL(0)) op static_cast<T>(SL(1))) JUMP(2);    \
  NEXT(3);                                                        \
  L_Loop##name:                                                   \
  if (static_cast<T>(SL(0)) op static_cast<T>(SL(1))) LOOP_JUMP(2); \
  NEXT(4);
#define BR_CMP_IMM(name, T, op)                                   \
  L_##name:                                                       \
  if (static_cast<T>(SL(0)) op static_cast<T>(W(1))) JUMP(2);     \
  NEXT(3);                                                        \
  L_Loop##name:                                                   \
  if (static_cast<T>(SL(0)) op static_cast<T>(W(1))) LOOP_JUMP(2); \
  NEXT(4);
  BR_CMP(BrI32Eq, uint32_t, ==)
  BR_CMP(BrI32Ne, uint32_t, !=)
  BR_CMP(BrI32LtS, int32_t, <)
  BR_CMP(BrI32LtU, uint32_t, <)
  BR_CMP(BrI32GtS, int32_t, >)
  BR_CMP(BrI32GtU, uint32_t, >)
  BR_CMP(BrI32LeS, int32_t, <=)
  BR_CMP(BrI32LeU, uint32_t, <=)
  BR_CMP(BrI32GeS, int32_t, >=)
  BR_CMP(BrI32GeU, uint32_t, >=)
  BR_CMP_IMM(BrI32EqImm, uint32_t, ==)
  BR_CMP_IMM(BrI32NeImm, uint32_t, !=)
  BR_CMP_IMM(BrI32LtSImm, int32_t, <)
  BR_CMP_IMM(BrI32LtUImm, uint32_t, <)
  BR_CMP_IMM(BrI32GtSImm, int32_t, >)
  BR_CMP_IMM(BrI32GtUImm, uint32_t, >)
  BR_CMP_IMM(BrI32LeSImm, int32_t, <=)
  BR_CMP_IMM(BrI32LeUImm, uint32_t, <=)
  BR_CMP_IMM(BrI32GeSImm, int32_t, >=)
  BR_CMP_IMM(BrI32GeUImm, uint32_t, >=)
  BR_CMP(BrI64Eq, uint64_t, ==)
  BR_CMP(BrI64Ne, uint64_t, !=)
  BR_CMP(BrI64LtS, int64_t, <)
  BR_CMP(BrI64LtU, uint64_t, <)
  BR_CMP(BrI64GtS, int64_t, >)
  BR_CMP(BrI64GtU, uint64_t, >)
  BR_CMP(BrI64LeS, int64_t, <=)
  BR_CMP(BrI64LeU, uint64_t, <=)
  BR_CMP(BrI64GeS, int64_t, >=)
  BR_CMP(BrI64GeU, uint64_t, >=)
#define BR_CMP_IMM64(name, T, op)                                                     \
  L_##name:                                                                           \
  if (static_cast<T>(SL(0)) op static_cast<T>(static_cast<int64_t>(static_cast<int32_t>(W(1))))) JUMP(2); \
  NEXT(3);                                                                            \
  L_Loop##name:                                                                       \
  if (static_cast<T>(SL(0)) op static_cast<T>(static_cast<int64_t>(static_cast<int32_t>(W(1))))) LOOP_JUMP(2); \
  NEXT(4);
  BR_CMP_IMM64(BrI64EqImm, uint64_t, ==)
  BR_CMP_IMM64(BrI64NeImm, uint64_t, !=)
  BR_CMP_IMM64(BrI64LtSImm, int64_t, <)
  BR_CMP_IMM64(BrI64LtUImm, uint64_t, <)
  BR_CMP_IMM64(BrI64GtSImm, int64_t, >)
  BR_CMP_IMM64(BrI64GtUImm, uint64_t, >)
  BR_CMP_IMM64(BrI64LeSImm, int64_t, <=)
  BR_CMP_IMM64(BrI64LeUImm, uint64_t, <=)
  BR_CMP_IMM64(BrI64GeSImm, int64_t, >=)
  BR_CMP_IMM64(BrI64GeUImm, uint64_t, >=)
L_BrI64Eqz:
  if (U64(0) == 0) JUMP(1);
  NEXT(2);
L_LoopBrI64Eqz:
  if (U64(0) == 0) LOOP_JUMP(1);
  NEXT(3);
L_BrI64Nez:
  if (U64(0) != 0) JUMP(1);
  NEXT(2);
L_LoopBrI64Nez:
  if (U64(0) != 0) LOOP_JUMP(1);
  NEXT(3);

  // --- data movement ---------------------------------------------------------------------
L_Copy:
  SL(0) = SL(1);
  NEXT(2);
L_Copy2:
  SL(0) = SL(1);
  SL(2) = SL(3);
  NEXT(4);
L_Const32:
  SL(0) = W(1);
  NEXT(2);
L_Const64:
  SL(0) = static_cast<uint64_t>(W(1)) | (static_cast<uint64_t>(W(2)) << 32);
  NEXT(3);
L_Select:
  SL(0) = U32(3) ? SL(1) : SL(2);
  NEXT(4);
L_GlobalGet:
  SL(0) = inst->globals[W(1)]->value;
  NEXT(2);
L_GlobalSet:
  inst->globals[W(0)]->value = SL(1);
  NEXT(2);

  // --- memory ------------------------------------------------------------------------------
#define LOAD(name, T, PUT, CAST)                                        \
  L_##name: {                                                           \
    uint64_t ea = static_cast<uint64_t>(U32(1)) + W(2);                 \
    if (ea + sizeof(T) > msize) TRAP(TrapKind::MemoryOutOfBounds);      \
    T v;                                                                \
    std::memcpy(&v, mbase + ea, sizeof(T));                             \
    PUT(0, static_cast<CAST>(v));                                       \
    NEXT(3);                                                            \
  }
#define STORE(name, T)                                                  \
  L_##name: {                                                           \
    uint64_t ea = static_cast<uint64_t>(U32(0)) + W(2);                 \
    if (ea + sizeof(T) > msize) TRAP(TrapKind::MemoryOutOfBounds);      \
    T v = static_cast<T>(SL(1));                                        \
    std::memcpy(mbase + ea, &v, sizeof(T));                             \
    NEXT(3);                                                            \
  }
  LOAD(I32Load, uint32_t, PUT32, uint32_t)
  LOAD(I64Load, uint64_t, PUT64, uint64_t)
  LOAD(I32Load8S, int8_t, PUT32, int32_t)
  LOAD(I32Load8U, uint8_t, PUT32, uint32_t)
  LOAD(I32Load16S, int16_t, PUT32, int32_t)
  LOAD(I32Load16U, uint16_t, PUT32, uint32_t)
  LOAD(I64Load8S, int8_t, PUT64, int64_t)
  LOAD(I64Load8U, uint8_t, PUT64, uint64_t)
  LOAD(I64Load16S, int16_t, PUT64, int64_t)
  LOAD(I64Load16U, uint16_t, PUT64, uint64_t)
  LOAD(I64Load32S, int32_t, PUT64, int64_t)
  LOAD(I64Load32U, uint32_t, PUT64, uint64_t)
  STORE(I32Store, uint32_t)
  STORE(I64Store, uint64_t)
  STORE(I32Store8, uint8_t)
  STORE(I32Store16, uint16_t)
  STORE(I64Store8, uint8_t)
  STORE(I64Store16, uint16_t)
  STORE(I64Store32, uint32_t)
  // Loads and stores whose 32-bit address is a sum computed here (wrapping, as the
  // i32.add it replaces), plus the memarg offset.
#define LOAD_AT(name, T, PUT, CAST, ADDR)                               \
  L_##name: {                                                           \
    uint64_t ea = static_cast<uint64_t>(static_cast<uint32_t>(ADDR)) + W(3); \
    if (ea + sizeof(T) > msize) TRAP(TrapKind::MemoryOutOfBounds);      \
    T v;                                                                \
    std::memcpy(&v, mbase + ea, sizeof(T));                             \
    PUT(0, static_cast<CAST>(v));                                       \
    NEXT(4);                                                            \
  }
#define STORE_AT(name, T, ADDR)                                         \
  L_##name: {                                                           \
    uint64_t ea = static_cast<uint64_t>(static_cast<uint32_t>(ADDR)) + W(3); \
    if (ea + sizeof(T) > msize) TRAP(TrapKind::MemoryOutOfBounds);      \
    T v = static_cast<T>(SL(2));                                        \
    std::memcpy(mbase + ea, &v, sizeof(T));                             \
    NEXT(4);                                                            \
  }
#define LOAD_IDX(name, T, PUT, CAST)                                     \
  L_##name: {                                                           \
    uint64_t ea = static_cast<uint64_t>(static_cast<uint32_t>(U32(1) + (U32(2) << W(3)))) + W(4); \
    if (ea + sizeof(T) > msize) TRAP(TrapKind::MemoryOutOfBounds);      \
    T v;                                                                \
    std::memcpy(&v, mbase + ea, sizeof(T));                             \
    PUT(0, static_cast<CAST>(v));                                       \
    NEXT(5);                                                            \
  }
  LOAD_IDX(I32LoadIdx, uint32_t, PUT32, uint32_t)
  LOAD_IDX(I64LoadIdx, uint64_t, PUT64, uint64_t)
  LOAD_IDX(I32Load8UIdx, uint8_t, PUT32, uint32_t)
  LOAD_IDX(I32Load16UIdx, uint16_t, PUT32, uint32_t)
  LOAD_AT(I32LoadAdd, uint32_t, PUT32, uint32_t, U32(1) + U32(2))
  LOAD_AT(I64LoadAdd, uint64_t, PUT64, uint64_t, U32(1) + U32(2))
  LOAD_AT(I32Load8UAdd, uint8_t, PUT32, uint32_t, U32(1) + U32(2))
  LOAD_AT(I32Load8SAdd, int8_t, PUT32, int32_t, U32(1) + U32(2))
  LOAD_AT(I32Load16UAdd, uint16_t, PUT32, uint32_t, U32(1) + U32(2))
  LOAD_AT(I32LoadAddImm, uint32_t, PUT32, uint32_t, U32(1) + W(2))
  LOAD_AT(I64LoadAddImm, uint64_t, PUT64, uint64_t, U32(1) + W(2))
  LOAD_AT(I32Load8UAddImm, uint8_t, PUT32, uint32_t, U32(1) + W(2))
  LOAD_AT(I32Load8SAddImm, int8_t, PUT32, int32_t, U32(1) + W(2))
  LOAD_AT(I32Load16UAddImm, uint16_t, PUT32, uint32_t, U32(1) + W(2))
  STORE_AT(I32StoreAdd, uint32_t, U32(0) + U32(1))
  STORE_AT(I64StoreAdd, uint64_t, U32(0) + U32(1))
  STORE_AT(I32Store8Add, uint8_t, U32(0) + U32(1))
  STORE_AT(I32StoreAddImm, uint32_t, U32(0) + W(1))
  STORE_AT(I64StoreAddImm, uint64_t, U32(0) + W(1))
  STORE_AT(I32Store8AddImm, uint8_t, U32(0) + W(1))
#define STORE_IMM(name, T)                                              \
  L_##name: {                                                           \
    uint64_t ea = static_cast<uint64_t>(U32(0)) + W(2);                 \
    if (ea + sizeof(T) > msize) TRAP(TrapKind::MemoryOutOfBounds);      \
    T v = static_cast<T>(static_cast<int64_t>(static_cast<int32_t>(W(1)))); \
    std::memcpy(mbase + ea, &v, sizeof(T));                             \
    NEXT(3);                                                            \
  }
  STORE_IMM(I32StoreImm, uint32_t)
  STORE_IMM(I64StoreImm, uint64_t)
  STORE_IMM(I32Store8Imm, uint8_t)
  STORE_IMM(I32Store16Imm, uint16_t)
#define OP_LOAD(name, T, V, PUT, expr)                                  \
  L_##name: {                                                           \
    uint64_t ea = static_cast<uint64_t>(U32(2)) + W(3);                 \
    if (ea + sizeof(T) > msize) TRAP(TrapKind::MemoryOutOfBounds);      \
    T b;                                                                \
    std::memcpy(&b, mbase + ea, sizeof(T));                             \
    auto a = V(1);                                                      \
    PUT(0, (expr));                                                     \
    NEXT(4);                                                            \
  }
  OP_LOAD(I32AddLoad, uint32_t, U32, PUT32, a + b)
  OP_LOAD(I64AddLoad, uint64_t, U64, PUT64, a + b)
  OP_LOAD(F32AddLoad, float, F32, PUTF, a + b)
  OP_LOAD(F32MulLoad, float, F32, PUTF, a * b)
  OP_LOAD(F64AddLoad, double, F64, PUTF, a + b)
  OP_LOAD(F64SubLoad, double, F64, PUTF, a - b)
  OP_LOAD(F64MulLoad, double, F64, PUTF, a * b)
L_MemorySize:
  PUT32(0, msize >> 16);
  NEXT(1);
L_MemoryGrow: {
  int64_t r = inst->mem0()->grow(U32(1));
  PUT32(0, static_cast<uint32_t>(r));
  LOAD_MEM();
  NEXT(2);
}
L_MemoryFill: {
  uint64_t d = U32(0), n = U32(2);
  if (d + n > msize) TRAP(TrapKind::MemoryOutOfBounds);
  std::memset(mbase + d, static_cast<uint8_t>(SL(1)), n);
  NEXT_CHARGED(3, n >> 6);
}
L_MemoryCopy: {
  uint64_t d = U32(0), s = U32(1), n = U32(2);
  if (d + n > msize || s + n > msize) TRAP(TrapKind::MemoryOutOfBounds);
  std::memmove(mbase + d, mbase + s, n);
  NEXT_CHARGED(3, n >> 6);
}
L_MemoryInit: {
  uint32_t seg = W(0);
  uint64_t d = U32(1), s = U32(2), n = U32(3);
  const wasm::DataSegment& ds = md->m.datas[seg];
  uint64_t len = inst->data_dropped[seg] ? 0 : ds.data_size;
  if (s + n > len || d + n > msize) TRAP(TrapKind::MemoryOutOfBounds);
  if (n) std::memcpy(mbase + d, md->m.bytes.data() + ds.data_offset + s, n);
  NEXT_CHARGED(4, n >> 6);
}
L_DataDrop:
  inst->data_dropped[W(0)] = 1;
  NEXT(1);

  // --- tables and references ---------------------------------------------------------------
L_TableGet: {
  rt::TableInst* t = inst->tables[W(1)];
  uint32_t i = U32(2);
  if (i >= t->elems.size()) TRAP(TrapKind::TableOutOfBounds);
  SL(0) = t->elems[i];
  NEXT(3);
}
L_TableSet: {
  rt::TableInst* t = inst->tables[W(0)];
  uint32_t i = U32(1);
  if (i >= t->elems.size()) TRAP(TrapKind::TableOutOfBounds);
  t->elems[i] = SL(2);
  NEXT(3);
}
L_TableSize:
  PUT32(0, inst->tables[W(1)]->elems.size());
  NEXT(2);
L_TableGrow: {
  int64_t r = inst->tables[W(1)]->grow(U32(3), SL(2));
  PUT32(0, static_cast<uint32_t>(r));
  NEXT(4);
}
L_TableFill: {
  rt::TableInst* t = inst->tables[W(0)];
  uint64_t i = U32(1), n = U32(3);
  if (i + n > t->elems.size()) TRAP(TrapKind::TableOutOfBounds);
  uint64_t v = SL(2);
  for (uint64_t k = 0; k < n; ++k) t->elems[i + k] = v;
  NEXT_CHARGED(4, n >> 3);
}
L_TableCopy: {
  rt::TableInst* dt = inst->tables[W(0)];
  rt::TableInst* st = inst->tables[W(1)];
  uint64_t d = U32(2), s = U32(3), n = U32(4);
  if (s + n > st->elems.size() || d + n > dt->elems.size()) TRAP(TrapKind::TableOutOfBounds);
  if (n) std::memmove(dt->elems.data() + d, st->elems.data() + s, n * sizeof(uint64_t));
  NEXT_CHARGED(5, n >> 3);
}
L_TableInit: {
  rt::TableInst* t = inst->tables[W(0)];
  const std::vector<uint64_t>& seg = inst->elems[W(1)];
  uint64_t d = U32(2), s = U32(3), n = U32(4);
  if (s + n > seg.size() || d + n > t->elems.size()) TRAP(TrapKind::TableOutOfBounds);
  if (n) std::memcpy(t->elems.data() + d, seg.data() + s, n * sizeof(uint64_t));
  NEXT_CHARGED(5, n >> 3);
}
L_ElemDrop:
  std::vector<uint64_t>().swap(inst->elems[W(0)]);
  NEXT(1);
L_RefIsNull:
  PUT32(0, SL(1) == 0);
  NEXT(2);
L_RefFunc:
  SL(0) = reinterpret_cast<uintptr_t>(inst->funcs[W(1)]);
  NEXT(2);

  // --- integer arithmetic --------------------------------------------------------------------
#define BIN(name, T, PUT, expr)        \
  L_##name: {                          \
    T a = static_cast<T>(SL(1));       \
    T b = static_cast<T>(SL(2));       \
    PUT(0, (expr));                    \
    NEXT(3);                           \
  }
#define BIN_IMM(name, T, PUT, expr)    \
  L_##name: {                          \
    T a = static_cast<T>(SL(1));       \
    T b = static_cast<T>(static_cast<int32_t>(W(2))); \
    PUT(0, (expr));                    \
    NEXT(3);                           \
  }
#define UN(name, T, PUT, expr)         \
  L_##name: {                          \
    T a = static_cast<T>(SL(1));       \
    PUT(0, (expr));                    \
    NEXT(2);                           \
  }
  UN(I32Eqz, uint32_t, PUT32, a == 0)
  BIN(I32Eq, uint32_t, PUT32, a == b)
  BIN(I32Ne, uint32_t, PUT32, a != b)
  BIN(I32LtS, int32_t, PUT32, a < b)
  BIN(I32LtU, uint32_t, PUT32, a < b)
  BIN(I32GtS, int32_t, PUT32, a > b)
  BIN(I32GtU, uint32_t, PUT32, a > b)
  BIN(I32LeS, int32_t, PUT32, a <= b)
  BIN(I32LeU, uint32_t, PUT32, a <= b)
  BIN(I32GeS, int32_t, PUT32, a >= b)
  BIN(I32GeU, uint32_t, PUT32, a >= b)
  UN(I32Clz, uint32_t, PUT32, num::i32_clz(a))
  UN(I32Ctz, uint32_t, PUT32, num::i32_ctz(a))
  UN(I32Popcnt, uint32_t, PUT32, num::i32_popcnt(a))
  BIN(I32Add, uint32_t, PUT32, a + b)
  BIN(I32Sub, uint32_t, PUT32, a - b)
  BIN(I32Mul, uint32_t, PUT32, a * b)
L_I32DivS: {
  int32_t a = S32(1), b = S32(2);
  if (b == 0) TRAP(TrapKind::IntegerDivideByZero);
  if (a == INT32_MIN && b == -1) TRAP(TrapKind::IntegerOverflow);
  PUT32(0, a / b);
  NEXT(3);
}
L_I32DivU: {
  uint32_t a = U32(1), b = U32(2);
  if (b == 0) TRAP(TrapKind::IntegerDivideByZero);
  PUT32(0, a / b);
  NEXT(3);
}
L_I32RemS: {
  int32_t a = S32(1), b = S32(2);
  if (b == 0) TRAP(TrapKind::IntegerDivideByZero);
  PUT32(0, b == -1 ? 0 : a % b);
  NEXT(3);
}
L_I32RemU: {
  uint32_t a = U32(1), b = U32(2);
  if (b == 0) TRAP(TrapKind::IntegerDivideByZero);
  PUT32(0, a % b);
  NEXT(3);
}
  BIN(I32And, uint32_t, PUT32, a & b)
  BIN(I32Or, uint32_t, PUT32, a | b)
  BIN(I32Xor, uint32_t, PUT32, a ^ b)
  BIN(I32Shl, uint32_t, PUT32, a << (b & 31))
  BIN(I32ShrS, int32_t, PUT32, a >> (b & 31))
  BIN(I32ShrU, uint32_t, PUT32, a >> (b & 31))
  BIN(I32Rotl, uint32_t, PUT32, num::i32_rotl(a, b))
  BIN(I32Rotr, uint32_t, PUT32, num::i32_rotr(a, b))
  BIN_IMM(I32AddImm, uint32_t, PUT32, a + b)
  BIN_IMM(I32MulImm, uint32_t, PUT32, a * b)
  BIN_IMM(I32AndImm, uint32_t, PUT32, a & b)
  BIN_IMM(I32OrImm, uint32_t, PUT32, a | b)
  BIN_IMM(I32XorImm, uint32_t, PUT32, a ^ b)
  BIN_IMM(I32ShlImm, uint32_t, PUT32, a << (b & 31))
  BIN_IMM(I32ShrSImm, int32_t, PUT32, a >> (b & 31))
  BIN_IMM(I32ShrUImm, uint32_t, PUT32, a >> (b & 31))
  BIN_IMM(I32EqImm, uint32_t, PUT32, a == b)
  BIN_IMM(I32NeImm, uint32_t, PUT32, a != b)
  BIN_IMM(I32LtSImm, int32_t, PUT32, a < b)
  BIN_IMM(I32LtUImm, uint32_t, PUT32, a < b)
  BIN_IMM(I32GtSImm, int32_t, PUT32, a > b)
  BIN_IMM(I32GtUImm, uint32_t, PUT32, a > b)
  BIN_IMM(I32LeSImm, int32_t, PUT32, a <= b)
  BIN_IMM(I32LeUImm, uint32_t, PUT32, a <= b)
  BIN_IMM(I32GeSImm, int32_t, PUT32, a >= b)
  BIN_IMM(I32GeUImm, uint32_t, PUT32, a >= b)

  UN(I64Eqz, uint64_t, PUT32, a == 0)
  BIN(I64Eq, uint64_t, PUT32, a == b)
  BIN(I64Ne, uint64_t, PUT32, a != b)
  BIN(I64LtS, int64_t, PUT32, a < b)
  BIN(I64LtU, uint64_t, PUT32, a < b)
  BIN(I64GtS, int64_t, PUT32, a > b)
  BIN(I64GtU, uint64_t, PUT32, a > b)
  BIN(I64LeS, int64_t, PUT32, a <= b)
  BIN(I64LeU, uint64_t, PUT32, a <= b)
  BIN(I64GeS, int64_t, PUT32, a >= b)
  BIN(I64GeU, uint64_t, PUT32, a >= b)
  UN(I64Clz, uint64_t, PUT64, num::i64_clz(a))
  UN(I64Ctz, uint64_t, PUT64, num::i64_ctz(a))
  UN(I64Popcnt, uint64_t, PUT64, num::i64_popcnt(a))
  BIN(I64Add, uint64_t, PUT64, a + b)
  BIN(I64Sub, uint64_t, PUT64, a - b)
  BIN(I64Mul, uint64_t, PUT64, a * b)
L_I64DivS: {
  int64_t a = S64(1), b = S64(2);
  if (b == 0) TRAP(TrapKind::IntegerDivideByZero);
  if (a == INT64_MIN && b == -1) TRAP(TrapKind::IntegerOverflow);
  PUT64(0, a / b);
  NEXT(3);
}
L_I64DivU: {
  uint64_t a = U64(1), b = U64(2);
  if (b == 0) TRAP(TrapKind::IntegerDivideByZero);
  PUT64(0, a / b);
  NEXT(3);
}
L_I64RemS: {
  int64_t a = S64(1), b = S64(2);
  if (b == 0) TRAP(TrapKind::IntegerDivideByZero);
  PUT64(0, b == -1 ? 0 : a % b);
  NEXT(3);
}
L_I64RemU: {
  uint64_t a = U64(1), b = U64(2);
  if (b == 0) TRAP(TrapKind::IntegerDivideByZero);
  PUT64(0, a % b);
  NEXT(3);
}
  BIN(I64And, uint64_t, PUT64, a & b)
  BIN(I64Or, uint64_t, PUT64, a | b)
  BIN(I64Xor, uint64_t, PUT64, a ^ b)
  BIN(I64Shl, uint64_t, PUT64, a << (b & 63))
  BIN(I64ShrS, int64_t, PUT64, a >> (b & 63))
  BIN(I64ShrU, uint64_t, PUT64, a >> (b & 63))
  BIN(I64Rotl, uint64_t, PUT64, num::i64_rotl(a, b))
  BIN(I64Rotr, uint64_t, PUT64, num::i64_rotr(a, b))
  BIN_IMM(I64AddImm, uint64_t, PUT64, a + b)
  BIN_IMM(I64AndImm, uint64_t, PUT64, a & b)
  BIN_IMM(I64ShlImm, uint64_t, PUT64, a << (b & 63))
  BIN_IMM(I64ShrSImm, int64_t, PUT64, a >> (b & 63))
  BIN_IMM(I64ShrUImm, uint64_t, PUT64, a >> (b & 63))
  BIN_IMM(I64OrImm, uint64_t, PUT64, a | b)
  BIN_IMM(I64XorImm, uint64_t, PUT64, a ^ b)
  BIN_IMM(I64MulImm, uint64_t, PUT64, a * b)
  BIN_IMM(I64RotlImm, uint64_t, PUT64, num::i64_rotl(a, b))
  BIN_IMM(I64RotrImm, uint64_t, PUT64, num::i64_rotr(a, b))
  BIN_IMM(I32RotlImm, uint32_t, PUT32, num::i32_rotl(a, b))
  BIN_IMM(I32RotrImm, uint32_t, PUT32, num::i32_rotr(a, b))
  // i64 immediates are sign-extended from 32 bits (BIN_IMM casts through int32_t).
  BIN_IMM(I64EqImm, uint64_t, PUT32, a == b)
  BIN_IMM(I64NeImm, uint64_t, PUT32, a != b)
  BIN_IMM(I64LtSImm, int64_t, PUT32, a < b)
  BIN_IMM(I64LtUImm, uint64_t, PUT32, a < b)
  BIN_IMM(I64GtSImm, int64_t, PUT32, a > b)
  BIN_IMM(I64GtUImm, uint64_t, PUT32, a > b)
  BIN_IMM(I64LeSImm, int64_t, PUT32, a <= b)
  BIN_IMM(I64LeUImm, uint64_t, PUT32, a <= b)
  BIN_IMM(I64GeSImm, int64_t, PUT32, a >= b)
  BIN_IMM(I64GeUImm, uint64_t, PUT32, a >= b)
#define SHIFTED(name, T, PUT, expr)    \
  L_##name: {                          \
    T a = static_cast<T>(SL(1));       \
    T b = static_cast<T>(SL(2));       \
    uint32_t k = W(3);                 \
    PUT(0, (expr));                    \
    NEXT(4);                           \
  }
  SHIFTED(I32XorShl, uint32_t, PUT32, a ^ (b << k))
  SHIFTED(I32XorShrU, uint32_t, PUT32, a ^ (b >> k))
  SHIFTED(I32OrShl, uint32_t, PUT32, a | (b << k))
  SHIFTED(I32OrShrU, uint32_t, PUT32, a | (b >> k))
  SHIFTED(I32AddShrU, uint32_t, PUT32, a + (b >> k))
  SHIFTED(I64XorShl, uint64_t, PUT64, a ^ (b << k))
  SHIFTED(I64XorShrU, uint64_t, PUT64, a ^ (b >> k))
  SHIFTED(I64OrShl, uint64_t, PUT64, a | (b << k))
  SHIFTED(I64OrShrU, uint64_t, PUT64, a | (b >> k))
  SHIFTED(I64AddShl, uint64_t, PUT64, a + (b << k))
  SHIFTED(I64AddShrU, uint64_t, PUT64, a + (b >> k))
  SHIFTED(I32XorRotl, uint32_t, PUT32, a ^ num::i32_rotl(b, k))
  SHIFTED(I32XorRotr, uint32_t, PUT32, a ^ num::i32_rotr(b, k))
L_I32Add3:
  PUT32(0, U32(1) + U32(2) + U32(3));
  NEXT(4);
L_I32AddShl:
  PUT32(0, U32(1) + (U32(2) << W(3)));
  NEXT(4);

  // --- floating point --------------------------------------------------------------------------
#define FBIN(name, T, expr)            \
  L_##name: {                          \
    T a = sizeof(T) == 4 ? f32_of(SL(1)) : f64_of(SL(1)); \
    T b = sizeof(T) == 4 ? f32_of(SL(2)) : f64_of(SL(2)); \
    PUTF(0, static_cast<T>(expr));     \
    NEXT(3);                           \
  }
#define FCMP(name, T, op)              \
  L_##name: {                          \
    T a = sizeof(T) == 4 ? f32_of(SL(1)) : f64_of(SL(1)); \
    T b = sizeof(T) == 4 ? f32_of(SL(2)) : f64_of(SL(2)); \
    PUT32(0, a op b);                  \
    NEXT(3);                           \
  }
#define FUN(name, T, expr)             \
  L_##name: {                          \
    T a = sizeof(T) == 4 ? f32_of(SL(1)) : f64_of(SL(1)); \
    PUTF(0, static_cast<T>(expr));     \
    NEXT(2);                           \
  }
#define FBIN_IMM32(name, expr)                                          \
  L_##name: {                                                           \
    float a = f32_of(SL(1));                                            \
    float b = f32_of(W(2));                                             \
    PUTF(0, static_cast<float>(expr));                                  \
    NEXT(3);                                                            \
  }
#define FBIN_IMM64(name, expr)                                          \
  L_##name: {                                                           \
    double a = f64_of(SL(1));                                           \
    double b = f64_of(static_cast<uint64_t>(W(2)) | (static_cast<uint64_t>(W(3)) << 32)); \
    PUTF(0, static_cast<double>(expr));                                 \
    NEXT(4);                                                            \
  }
  FBIN_IMM32(F32AddImm, a + b)
  FBIN_IMM32(F32SubImm, a - b)
  FBIN_IMM32(F32MulImm, a * b)
  FBIN_IMM32(F32DivImm, a / b)
  FBIN_IMM64(F64AddImm, a + b)
  FBIN_IMM64(F64SubImm, a - b)
  FBIN_IMM64(F64MulImm, a * b)
  FBIN_IMM64(F64DivImm, a / b)
  FCMP(F32Eq, float, ==)
  FCMP(F32Ne, float, !=)
  FCMP(F32Lt, float, <)
  FCMP(F32Gt, float, >)
  FCMP(F32Le, float, <=)
  FCMP(F32Ge, float, >=)
  FCMP(F64Eq, double, ==)
  FCMP(F64Ne, double, !=)
  FCMP(F64Lt, double, <)
  FCMP(F64Gt, double, >)
  FCMP(F64Le, double, <=)
  FCMP(F64Ge, double, >=)
  FUN(F32Abs, float, num::f32_abs(a))
  FUN(F32Neg, float, num::f32_neg(a))
  FUN(F32Ceil, float, num::f32_ceil(a))
  FUN(F32Floor, float, num::f32_floor(a))
  FUN(F32Trunc, float, num::f32_trunc(a))
  FUN(F32Nearest, float, num::f32_nearest(a))
  FUN(F32Sqrt, float, num::f32_sqrt(a))
  FBIN(F32Add, float, a + b)
  FBIN(F32Sub, float, a - b)
  FBIN(F32Mul, float, a * b)
  FBIN(F32Div, float, a / b)
  FBIN(F32Min, float, num::f32_min(a, b))
  FBIN(F32Max, float, num::f32_max(a, b))
  FBIN(F32Copysign, float, num::f32_copysign(a, b))
  FUN(F64Abs, double, num::f64_abs(a))
  FUN(F64Neg, double, num::f64_neg(a))
  FUN(F64Ceil, double, num::f64_ceil(a))
  FUN(F64Floor, double, num::f64_floor(a))
  FUN(F64Trunc, double, num::f64_trunc(a))
  FUN(F64Nearest, double, num::f64_nearest(a))
  FUN(F64Sqrt, double, num::f64_sqrt(a))
  FBIN(F64Add, double, a + b)
  FBIN(F64Sub, double, a - b)
  FBIN(F64Mul, double, a * b)
  FBIN(F64Div, double, a / b)
  FBIN(F64Min, double, num::f64_min(a, b))
  FBIN(F64Max, double, num::f64_max(a, b))
  FBIN(F64Copysign, double, num::f64_copysign(a, b))

  // --- conversions -------------------------------------------------------------------------------
L_I32WrapI64:
  PUT32(0, SL(1));
  NEXT(2);
#define TRUNC(name, I, F, PUT)                                              \
  L_##name: {                                                               \
    I out;                                                                  \
    num::Trunc r = num::trunc_checked<I, F>(sizeof(F) == 4 ? static_cast<F>(f32_of(SL(1))) \
                                                          : static_cast<F>(f64_of(SL(1))), out); \
    if (r == num::Trunc::NaN) TRAP(TrapKind::InvalidConversion);           \
    if (r == num::Trunc::Overflow) TRAP(TrapKind::IntegerOverflow);        \
    PUT(0, out);                                                            \
    NEXT(2);                                                                \
  }
#define TRUNC_SAT(name, I, F, PUT)                                          \
  L_##name: {                                                               \
    F x = sizeof(F) == 4 ? static_cast<F>(f32_of(SL(1))) : static_cast<F>(f64_of(SL(1))); \
    PUT(0, (num::trunc_sat<I, F>(x)));                                        \
    NEXT(2);                                                                \
  }
  TRUNC(I32TruncF32S, int32_t, float, PUT32)
  TRUNC(I32TruncF32U, uint32_t, float, PUT32)
  TRUNC(I32TruncF64S, int32_t, double, PUT32)
  TRUNC(I32TruncF64U, uint32_t, double, PUT32)
  TRUNC(I64TruncF32S, int64_t, float, PUT64)
  TRUNC(I64TruncF32U, uint64_t, float, PUT64)
  TRUNC(I64TruncF64S, int64_t, double, PUT64)
  TRUNC(I64TruncF64U, uint64_t, double, PUT64)
  TRUNC_SAT(I32TruncSatF32S, int32_t, float, PUT32)
  TRUNC_SAT(I32TruncSatF32U, uint32_t, float, PUT32)
  TRUNC_SAT(I32TruncSatF64S, int32_t, double, PUT32)
  TRUNC_SAT(I32TruncSatF64U, uint32_t, double, PUT32)
  TRUNC_SAT(I64TruncSatF32S, int64_t, float, PUT64)
  TRUNC_SAT(I64TruncSatF32U, uint64_t, float, PUT64)
  TRUNC_SAT(I64TruncSatF64S, int64_t, double, PUT64)
  TRUNC_SAT(I64TruncSatF64U, uint64_t, double, PUT64)
L_I64ExtendI32S:
  PUT64(0, static_cast<int64_t>(S32(1)));
  NEXT(2);
L_I64ExtendI32U:
  PUT64(0, U32(1));
  NEXT(2);
L_F32ConvertI32S:
  PUTF(0, num::f32_convert_i32_s(S32(1)));
  NEXT(2);
L_F32ConvertI32U:
  PUTF(0, num::f32_convert_i32_u(U32(1)));
  NEXT(2);
L_F32ConvertI64S:
  PUTF(0, num::f32_convert_i64_s(S64(1)));
  NEXT(2);
L_F32ConvertI64U:
  PUTF(0, num::f32_convert_i64_u(U64(1)));
  NEXT(2);
L_F32DemoteF64:
  PUTF(0, num::f32_demote(F64(1)));
  NEXT(2);
L_F64ConvertI32S:
  PUTF(0, num::f64_convert_i32_s(S32(1)));
  NEXT(2);
L_F64ConvertI32U:
  PUTF(0, num::f64_convert_i32_u(U32(1)));
  NEXT(2);
L_F64ConvertI64S:
  PUTF(0, num::f64_convert_i64_s(S64(1)));
  NEXT(2);
L_F64ConvertI64U:
  PUTF(0, num::f64_convert_i64_u(U64(1)));
  NEXT(2);
L_F64PromoteF32:
  PUTF(0, num::f64_promote(F32(1)));
  NEXT(2);
L_I32Extend8S:
  PUT32(0, static_cast<int32_t>(static_cast<int8_t>(SL(1))));
  NEXT(2);
L_I32Extend16S:
  PUT32(0, static_cast<int32_t>(static_cast<int16_t>(SL(1))));
  NEXT(2);
L_I64Extend8S:
  PUT64(0, static_cast<int64_t>(static_cast<int8_t>(SL(1))));
  NEXT(2);
L_I64Extend16S:
  PUT64(0, static_cast<int64_t>(static_cast<int16_t>(SL(1))));
  NEXT(2);
L_I64Extend32S:
  PUT64(0, static_cast<int64_t>(static_cast<int32_t>(SL(1))));
  NEXT(2);

  // --- limits ------------------------------------------------------------------------------
  // A back-edge, function entry, host call or bulk operation found a flag set. pc is where
  // execution goes on (the loop head, the callee's first instruction), so a trap here points
  // there; `charge` is the fuel due.
limit_check: {
  uint32_t f = flags->load(std::memory_order_relaxed);
  if (f & rt::kStopRequests) {
    // One trap answers every stop request pending now; the store is usable again after it.
    flags->fetch_and(~rt::kStopRequests, std::memory_order_relaxed);
    TRAP(f & rt::kInterruptRequested ? TrapKind::Interrupted : TrapKind::DeadlineExceeded);
  }
  if (f & rt::kFuelMetered) {
    if (fuel < static_cast<int64_t>(charge)) {
      fuel = 0;
      TRAP(TrapKind::OutOfFuel);
    }
    fuel -= charge;
  }
  DISPATCH();
}

do_trap:
  trap->kind = trap_kind;
  trap->message.clear();
  trap->func_index = code->func_index;
  trap->offset = code->wasm_offset(pc);
unwind:
  if (trap->func_index < md->m.func_names.size()) trap->func_name = md->m.func_names[trap->func_index];
  es.depth = base_depth;
  es.top = saved_top;
  sd->fuel = fuel;
  return false;
done:
  es.depth = base_depth;
  es.top = saved_top;
  sd->fuel = fuel;
  return true;
}

}  // namespace

const void* const* handler_table() {
  static const void* const* table = [] {
    const void* const* t = nullptr;
    run(nullptr, nullptr, nullptr, nullptr, nullptr, &t);
    return t;
  }();
  return table;
}

bool invoke(rt::StoreData& sd, rt::FuncInst* f, uint64_t* slots, Trap& trap) {
  // Host -> wasm -> host -> wasm ... recurses on the native stack (call_host, Func::call,
  // run): stop before it overflows. Wasm-to-wasm calls are bounded by max_call_depth.
  if (rt::native_stack_low(sd.engine->config().native_stack_margin)) {
    trap.kind = TrapKind::CallStackExhausted;
    if (f->inst) trap.func_index = f->index;
    return false;
  }
  rt::ExecStack& es = sd.exec();
  if (f->host) {
    uint64_t* saved = es.top;
    es.top = slots + std::max(f->type->params.size(), f->type->results.size());
    bool ok = call_host(sd, nullptr, f, slots, trap);
    es.top = saved;
    return ok;
  }
  rt::InstanceData* inst = f->inst;
  const Code* c = code_of(inst->module.get(), f->index);
  if (es.depth >= es.max_depth || slots + c->frame_slots > es.values_end) {
    trap.kind = TrapKind::CallStackExhausted;
    trap.func_index = f->index;
    return false;
  }
  std::memset(slots + c->num_params, 0, sizeof(uint64_t) * c->num_locals);
  uint64_t* saved = es.top;
  es.top = slots + c->frame_slots;
  bool ok = run(&sd, inst, c, slots, &trap, nullptr);
  es.top = saved;
  return ok;
}

}  // namespace isola::interp
