// The interpreter's internal code: what a wasm function is lowered to.
//
// A lowered function is a stream of 32-bit words. Each instruction starts with the
// 64-bit address of its handler (two words; the interpreter jumps straight to it:
// direct threading), followed by its operands: frame-slot indices (one 64-bit slot per
// wasm value; params first, then locals, then the operand stack), immediates, and
// branch offsets in words relative to the instruction's start.
//
// The operation list below is the single source of truth: the lowering pass emits these,
// the interpreter defines one handler per entry.
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

namespace isola::interp {

// The conditional branches, as F(X, name, operand words). Each exists in two forms: the
// plain one, and Loop<name>, taken at a loop's back-edge (see ISOLA_IOP_LOOP below).
#define ISOLA_COND_BRANCHES(F, X)                                                          \
  F(X, BrIf, 2) /* a t */ F(X, BrUnless, 2)                                                \
  /* compare-and-branch fusions: a b t / a imm t */                                        \
  F(X, BrI32Eq, 3) F(X, BrI32Ne, 3) F(X, BrI32LtS, 3) F(X, BrI32LtU, 3) F(X, BrI32GtS, 3)  \
  F(X, BrI32GtU, 3) F(X, BrI32LeS, 3) F(X, BrI32LeU, 3) F(X, BrI32GeS, 3)                  \
  F(X, BrI32GeU, 3)                                                                        \
  F(X, BrI32EqImm, 3) F(X, BrI32NeImm, 3) F(X, BrI32LtSImm, 3) F(X, BrI32LtUImm, 3)        \
  F(X, BrI32GtSImm, 3) F(X, BrI32GtUImm, 3) F(X, BrI32LeSImm, 3) F(X, BrI32LeUImm, 3)      \
  F(X, BrI32GeSImm, 3) F(X, BrI32GeUImm, 3)                                                \
  /* bit tests, a imm t: branch if a & imm is nonzero / zero (flags, alignment) */          \
  F(X, BrI32AnyImm, 3) F(X, BrI32NoneImm, 3)                                               \
  F(X, BrI64Eq, 3) F(X, BrI64Ne, 3) F(X, BrI64LtS, 3) F(X, BrI64LtU, 3) F(X, BrI64GtS, 3)  \
  F(X, BrI64GtU, 3) F(X, BrI64LeS, 3) F(X, BrI64LeU, 3) F(X, BrI64GeS, 3)                  \
  F(X, BrI64GeU, 3)                                                                        \
  F(X, BrI64Eqz, 2) F(X, BrI64Nez, 2)                                                      \
  F(X, BrI64EqImm, 3) F(X, BrI64NeImm, 3) F(X, BrI64LtSImm, 3) F(X, BrI64LtUImm, 3)        \
  F(X, BrI64GtSImm, 3) F(X, BrI64GtUImm, 3) F(X, BrI64LeSImm, 3) F(X, BrI64LeUImm, 3)      \
  F(X, BrI64GeSImm, 3) F(X, BrI64GeUImm, 3)                                                \
  /* f64 compares (br_if only: their negation is not another compare): a b t / a lo hi t */ \
  F(X, BrF64Lt, 3) F(X, BrF64Le, 3) F(X, BrF64Gt, 3) F(X, BrF64Ge, 3)                      \
  F(X, BrF64LtImm, 4) F(X, BrF64LeImm, 4) F(X, BrF64GtImm, 4) F(X, BrF64GeImm, 4)
#define ISOLA_IOP_PLAIN(X, name, n) X(name, n)
// A branch back to a loop's head has one more operand word: the fuel the iteration costs.
// Loop back-edges and function entries are where a running guest notices a stop request
// (interrupt, deadline) or runs out of fuel: every unbounded execution passes one of them
// again and again. Giving back-edges their own operations keeps the check out of forward
// branches and needs no extra dispatch at the loop head.
#define ISOLA_IOP_LOOP(X, name, n) X(Loop##name, n + 1)
// An I32AddImm right before a loop's back-edge (`i += k` at the end of the body) takes the
// IncLoop<branch> form: the same three operands, after which the handler goes straight to
// the back-edge that follows it in the code, a direct jump instead of a dispatch. The
// back-edge stays a complete instruction of its own, so jumping to it still works.
#define ISOLA_IOP_INC_LOOP(X, name, n) X(IncLoop##name, 3)
// The same for the operations that most often follow an I32AddImm in straight-line code
// (measured with ISOLA_OP_STATS over bench/): AddImmThen<name> is the add, then a direct
// jump into <name>'s handler. Not when <name> reads the sum: it then takes its accumulator
// variant (below), which measured faster (a bytecode VM's `op = code[pc++]`: 7 %).
#define ISOLA_ADD_IMM_SUCCESSORS(F, X)                                                      \
  F(X, I32AddImm) F(X, I32AddShl) F(X, I32And) F(X, I32AndImm) F(X, I32ShrUImm)            \
  F(X, I32ShlImm) F(X, I32Load) F(X, I32LoadIdx) F(X, I32LoadAddImm) F(X, I32Load8UAddImm) \
  F(X, I64LoadAddImm) F(X, I32Store) F(X, I32Add) F(X, I32GeU) F(X, I32Eqz) F(X, I32LtU)   \
  F(X, BrI32GeU) F(X, BrI32LtU) F(X, BrI32Ne) F(X, BrIf) F(X, BrUnless)
#define ISOLA_IOP_ADD_IMM_THEN(X, name) X(AddImmThen##name, 3)

// The accumulator. Most handlers leave the value they write to their destination (operand
// word 0) in a register as well; those are the producers below. When an instruction reads a
// slot that the instruction right before it just wrote, and no branch lands between the two,
// the lowering gives it the accumulator variant <name>_A<k>: the same handler with operand
// word k read from that register, so a value passes from one handler to the next without a
// store and a reload through the frame (which is what limits dependency chains: the reload
// waits on the store). The slot is written as well, so every other reader is unaffected.
// Every variant is one more label in the interpreter's computed-goto function, and
// compilers take superlinear time over those (clang with sanitizers most of all), so only
// the variants that carried at least 0.1 % of the operations in one of bench/'s programs
// are here (ISOLA_OP_STATS, ISOLA_OP_STATS_TOP=5000); HANDLER can generate any other.
// Variants, as F(X, name, operand words, k):
#define ISOLA_ACC_VARIANTS(F, X)                                                           \
  F(X, I32Load, 3, 1) F(X, I64Load, 3, 1) F(X, I32Load8S, 3, 1) F(X, I32Load8U, 3, 1)      \
  F(X, I32Load16U, 3, 1) F(X, I64Load8U, 3, 1) F(X, I32Store, 3, 0) F(X, I32Store, 3, 1)   \
  F(X, I64Store, 3, 0) F(X, I64Store, 3, 1) F(X, I32Store8, 3, 0) F(X, I32Store8, 3, 1)    \
  F(X, I32Store16, 3, 0) F(X, I32Store16, 3, 1) F(X, I64Store32, 3, 1)                     \
  F(X, I32LoadAdd, 4, 2) F(X, I32Load8UAdd, 4, 2) F(X, I32LoadAddImm, 4, 1)                \
  F(X, I32Load8UAddImm, 4, 1) F(X, I32Store8AddImm, 4, 0) F(X, I32LoadIdx, 5, 1)           \
  F(X, I32LoadIdx, 5, 2) F(X, I64LoadIdx, 5, 2) F(X, I32Load16UIdx, 5, 2)                  \
  F(X, I64StoreImm, 3, 0) F(X, I32Store8Imm, 3, 0) F(X, I32Store16Imm, 3, 0)               \
  F(X, I32AddLoad, 5, 1) F(X, I32AddLoad, 5, 2) F(X, I32LtS, 3, 2) F(X, I32LtU, 3, 1)      \
  F(X, I32LtU, 3, 2) F(X, I32GtU, 3, 1) F(X, I32GtU, 3, 2) F(X, I32Add, 3, 1)              \
  F(X, I32Add, 3, 2) F(X, I32Sub, 3, 1) F(X, I32Sub, 3, 2) F(X, I32Mul, 3, 2)              \
  F(X, I32And, 3, 1) F(X, I32And, 3, 2) F(X, I32Or, 3, 1) F(X, I32Or, 3, 2)                \
  F(X, I32Xor, 3, 2) F(X, I32Shl, 3, 1) F(X, I32Shl, 3, 2) F(X, I32ShrU, 3, 1)             \
  F(X, I32ShrU, 3, 2) F(X, I64Add, 3, 1) F(X, I64Add, 3, 2) F(X, I64Mul, 3, 2)             \
  F(X, I64Xor, 3, 2) F(X, I64ShrU, 3, 1) F(X, I32AddImm, 3, 1) F(X, I32MulImm, 3, 1)       \
  F(X, I32AndImm, 3, 1) F(X, I32OrImm, 3, 1) F(X, I32XorImm, 3, 1) F(X, I32ShlImm, 3, 1)   \
  F(X, I32ShrSImm, 3, 1) F(X, I32ShrUImm, 3, 1) F(X, I32GtSImm, 3, 1)                      \
  F(X, I32GtUImm, 3, 1) F(X, I64AddImm, 3, 1) F(X, I64AndImm, 3, 1)                        \
  F(X, I64ShrUImm, 3, 1) F(X, I64OrImm, 3, 1) F(X, I32RotlImm, 3, 1) F(X, I64Eqz, 2, 1)    \
  F(X, I32XorShl, 4, 1) F(X, I32XorShl, 4, 2) F(X, I32XorShrU, 4, 1)                       \
  F(X, I32XorShrU, 4, 2) F(X, I32OrShl, 4, 1) F(X, I32OrShl, 4, 2) F(X, I32OrShrU, 4, 1)   \
  F(X, I32OrShrU, 4, 2) F(X, I64XorShrU, 4, 1) F(X, I64OrShl, 4, 2)                        \
  F(X, I32XorRotl, 4, 1) F(X, F64Add, 3, 2) F(X, F64Sub, 3, 2) F(X, F64Mul, 3, 1)          \
  F(X, F64Mul, 3, 2) F(X, F64Div, 3, 1) F(X, F64Le, 3, 2) F(X, F64Sqrt, 2, 1)              \
  F(X, F64AddImm, 4, 1) F(X, F64MulImm, 4, 1) F(X, F64ImmDiv, 4, 1) F(X, F64AddMul, 4, 2) F(X, F64SubMul, 4, 3)  \
  F(X, BrI32Eq, 3, 1) F(X, BrI32Ne, 3, 0) F(X, BrI32Ne, 3, 1) F(X, BrI32LtS, 3, 0)         \
  F(X, BrI32LtU, 3, 0) F(X, BrI32LtU, 3, 1) F(X, BrI32GtS, 3, 1) F(X, BrI32GtU, 3, 0)      \
  F(X, BrI32GtU, 3, 1) F(X, BrI32LeS, 3, 0) F(X, BrI32LeU, 3, 1) F(X, BrI32GeS, 3, 0)      \
  F(X, BrI32GeS, 3, 1) F(X, BrI32GeU, 3, 0) F(X, BrI32GeU, 3, 1) F(X, BrI64LtS, 3, 1)      \
  F(X, BrI64LeS, 3, 1) F(X, BrI64GeS, 3, 1) F(X, LoopBrI32Ne, 4, 0)                        \
  F(X, LoopBrI32Ne, 4, 1) F(X, LoopBrI32LtU, 4, 0) F(X, LoopBrI32LtU, 4, 1)                \
  F(X, LoopBrI32GtS, 4, 1) F(X, LoopBrI32LeU, 4, 0) F(X, LoopBrI32GeS, 4, 0)               \
  F(X, LoopBrI64Ne, 4, 0) F(X, BrI32NeImm, 3, 0) F(X, BrI32LtSImm, 3, 0)                   \
  F(X, BrI32LtUImm, 3, 0) F(X, BrI32GtUImm, 3, 0) F(X, BrI32GeSImm, 3, 0)                  \
  F(X, BrI64EqImm, 3, 0) F(X, LoopBrI32GtUImm, 4, 0) F(X, LoopBrI64NeImm, 4, 0)            \
  F(X, BrI32AnyImm, 3, 0) F(X, BrI32NoneImm, 3, 0)                                          \
  F(X, BrIf, 2, 0) F(X, LoopBrIf, 3, 0) F(X, BrUnless, 2, 0) F(X, BrI64Eqz, 2, 0)          \
  F(X, BrTable, 2, 0) F(X, Copy, 2, 1) F(X, GlobalSet, 2, 1) F(X, I32WrapI64, 2, 1)        \
  F(X, I64ExtendI32S, 2, 1) F(X, I64ExtendI32U, 2, 1) F(X, Select, 4, 1)                   \
  F(X, Select, 4, 2) F(X, Select, 4, 3) F(X, I32Add3, 4, 2) F(X, I32Add3, 4, 3)            \
  F(X, I32AddShl, 4, 1) F(X, I32AddShl, 4, 2) F(X, F64AddLoadStore, 7, 0)                  \
  F(X, I32StoreAddImm, 4, 2) F(X, I64StoreAddImm, 4, 2) F(X, I32Store8AddImm, 4, 2)        \
  F(X, I32ShlOrShrU, 5, 1) F(X, I32ShrUOrShl, 5, 1) F(X, I32AddShlImm, 5, 2)               \
  F(X, BrF64LtImm, 4, 0) F(X, BrF64LeImm, 4, 0) F(X, BrF64GtImm, 4, 0) F(X, BrF64GeImm, 4, 0) \
  F(X, LoopBrF64LtImm, 5, 0) F(X, LoopBrF64LeImm, 5, 0) F(X, LoopBrF64GtImm, 5, 0)          \
  F(X, LoopBrF64GeImm, 5, 0) F(X, SelectImmA, 4, 3) F(X, I64MulImmW, 4, 1)                  \
  F(X, F64LoadSubStore, 7, 0) F(X, F64LoadSub, 5, 1) F(X, F64AddLoad, 5, 1)                 \
  F(X, Move32, 6, 0) F(X, Move32, 6, 3)
#define ISOLA_IOP_ACC(X, name, n, k) X(name##_A##k, n)

// The operations whose handler ends by writing operand word 0 through PUT32/PUT64/PUTF (which
// set the accumulator) and writes no other slot: what they wrote is in the accumulator when
// the next instruction starts. (Builds with -DISOLA_ACC_VERIFY check this on every read.)
#define ISOLA_ACC_PRODUCERS(F)                                                             \
  F(I32Load) F(I64Load) F(I32Load8S) F(I32Load8U) F(I32Load16S) F(I32Load16U)              \
  F(I64Load8S) F(I64Load8U) F(I64Load16S) F(I64Load16U) F(I64Load32S) F(I64Load32U)        \
  F(I32LoadAdd) F(I64LoadAdd) F(I32Load8UAdd) F(I32Load8SAdd) F(I32Load16UAdd)             \
  F(I32LoadAddImm) F(I64LoadAddImm) F(I32Load8UAddImm) F(I32Load8SAddImm)                  \
  F(I32Load16UAddImm) F(I32LoadIdx) F(I64LoadIdx) F(I32Load8UIdx) F(I32Load16UIdx)         \
  F(I32AddLoad) F(I64AddLoad) F(F32AddLoad) F(F32MulLoad) F(F64AddLoad) F(F64SubLoad)      \
  F(I32ShlOrShrU) F(I32ShrUOrShl) F(I32AddShlImm) F(I32DivUImm)       \
  F(F64LoadSub) F(I32RemUImm) F(I32DivSImm) F(I32RemSImm) F(I64AddImmW) F(I64MulImmW) F(I64XorImmW)     \
  F(I64AndImmW) F(I64OrImmW) F(SelectImmA) F(SelectImmB) F(F64EqImm) F(F64NeImm)           \
  F(F64LtImm) F(F64GtImm) F(F64LeImm) F(F64GeImm)                                          \
  F(F64MulLoad) F(I32Eq) F(I32Ne) F(I32LtS) F(I32LtU) F(I32GtS) F(I32GtU) F(I32LeS)        \
  F(I32LeU) F(I32GeS) F(I32GeU) F(I32Add) F(I32Sub) F(I32Mul) F(I32And) F(I32Or)           \
  F(I32Xor) F(I32Shl) F(I32ShrS) F(I32ShrU) F(I32Rotl) F(I32Rotr) F(I64Eq) F(I64Ne)        \
  F(I64LtS) F(I64LtU) F(I64GtS) F(I64GtU) F(I64LeS) F(I64LeU) F(I64GeS) F(I64GeU)          \
  F(I64Add) F(I64Sub) F(I64Mul) F(I64And) F(I64Or) F(I64Xor) F(I64Shl) F(I64ShrS)          \
  F(I64ShrU) F(I64Rotl) F(I64Rotr) F(I32AddImm) F(I32MulImm) F(I32AndImm) F(I32OrImm)      \
  F(I32XorImm) F(I32ShlImm) F(I32ShrSImm) F(I32ShrUImm) F(I32EqImm) F(I32NeImm)            \
  F(I32LtSImm) F(I32LtUImm) F(I32GtSImm) F(I32GtUImm) F(I32LeSImm) F(I32LeUImm)            \
  F(I32GeSImm) F(I32GeUImm) F(I64AddImm) F(I64AndImm) F(I64ShlImm) F(I64ShrSImm)           \
  F(I64ShrUImm) F(I64OrImm) F(I64XorImm) F(I64MulImm) F(I64RotlImm) F(I64RotrImm)          \
  F(I32RotlImm) F(I32RotrImm) F(I64EqImm) F(I64NeImm) F(I64LtSImm) F(I64LtUImm)            \
  F(I64GtSImm) F(I64GtUImm) F(I64LeSImm) F(I64LeUImm) F(I64GeSImm) F(I64GeUImm) F(I32Eqz)  \
  F(I32Clz) F(I32Ctz) F(I32Popcnt) F(I64Eqz) F(I64Clz) F(I64Ctz) F(I64Popcnt)              \
  F(I32XorShl) F(I32XorShrU) F(I32OrShl) F(I32OrShrU) F(I32AddShrU) F(I64XorShl)           \
  F(I64XorShrU) F(I64OrShl) F(I64OrShrU) F(I64AddShl) F(I64AddShrU) F(I32XorRotl)          \
  F(I32XorRotr) F(F32Add) F(F32Sub) F(F32Mul) F(F32Div) F(F32Min) F(F32Max)                \
  F(F32Copysign) F(F64Add) F(F64Sub) F(F64Mul) F(F64Div) F(F64Min) F(F64Max)               \
  F(F64Copysign) F(F32Eq) F(F32Ne) F(F32Lt) F(F32Gt) F(F32Le) F(F32Ge) F(F64Eq) F(F64Ne)   \
  F(F64Lt) F(F64Gt) F(F64Le) F(F64Ge) F(F32Abs) F(F32Neg) F(F32Ceil) F(F32Floor)           \
  F(F32Trunc) F(F32Nearest) F(F32Sqrt) F(F64Abs) F(F64Neg) F(F64Ceil) F(F64Floor)          \
  F(F64Trunc) F(F64Nearest) F(F64Sqrt) F(F32AddImm) F(F32SubImm) F(F32MulImm)              \
  F(F32DivImm) F(F64AddImm) F(F64SubImm) F(F64MulImm) F(F64DivImm) F(F64ImmSub) F(F64ImmDiv) F(F64AddMul)            \
  F(F64MulAdd) F(F64SubMul) F(F64MulSub) F(F64MulMulR) F(F64MulMulL) F(I32TruncF32S)       \
  F(I32TruncF32U) F(I32TruncF64S) F(I32TruncF64U) F(I64TruncF32S) F(I64TruncF32U)          \
  F(I64TruncF64S) F(I64TruncF64U) F(I32TruncSatF32S) F(I32TruncSatF32U)                    \
  F(I32TruncSatF64S) F(I32TruncSatF64U) F(I64TruncSatF32S) F(I64TruncSatF32U)              \
  F(I64TruncSatF64S) F(I64TruncSatF64U) F(Copy) F(Const32) F(Const64) F(Select)            \
  F(GlobalGet) F(MemorySize) F(MemoryGrow) F(TableSize) F(TableGrow) F(RefIsNull)          \
  F(I32DivS) F(I32DivU) F(I32RemS) F(I32RemU) F(I64DivS) F(I64DivU) F(I64RemS) F(I64RemU)  \
  F(I32Add3) F(I32AddShl) F(I32WrapI64) F(I64ExtendI32S) F(I64ExtendI32U)                  \
  F(F32ConvertI32S) F(F32ConvertI32U) F(F32ConvertI64S) F(F32ConvertI64U) F(F32DemoteF64)  \
  F(F64ConvertI32S) F(F64ConvertI32U) F(F64ConvertI64S) F(F64ConvertI64U)                  \
  F(F64PromoteF32) F(I32Extend8S) F(I32Extend16S) F(I64Extend8S) F(I64Extend16S)           \
  F(I64Extend32S)

// Producers whose value in the accumulator is the one they wrote last, to operand word k
// (two writes in order), as F(name, k).
#define ISOLA_ACC_PRODUCERS_AT(F) F(I32AddImm2, 3) F(Copy2, 2)

// The operations that write no slot and leave the accumulator alone when execution goes on
// to the next instruction (stores, and conditional branches when not taken): the value a
// producer left there is still good after them.
#define ISOLA_IOP_TRANSPARENT_BRANCH(F, name, n) F(name) F(Loop##name)
#define ISOLA_ACC_TRANSPARENT(F)                                                            \
  ISOLA_COND_BRANCHES(ISOLA_IOP_TRANSPARENT_BRANCH, F)                                       \
  F(I32Store) F(I64Store) F(I32Store8) F(I32Store16) F(I64Store8) F(I64Store16) F(I64Store32) \
  F(I32StoreImm) F(I64StoreImm) F(I32Store8Imm) F(I32Store16Imm) F(I32StoreAdd) F(I64StoreAdd) \
  F(I32Store8Add) F(I32StoreAddImm) F(I64StoreAddImm) F(I32Store8AddImm) F(I32StoreImmAdd)  \
  F(I32Store8ImmAdd) F(F64AddLoadStore) F(GlobalSet) F(Move8) F(Move16) F(Move32) F(Move64) \
  F(F64MulAddLoadStore) F(I32AddImmLoadStore) F(I32AddLoadStore) F(F64LoadSubStore)

// X(name, operand words). Operand layouts: d = destination slot, a/b/c = source slots,
// imm = 32-bit immediate, lo/hi = 64-bit immediate, t = branch offset, off = memarg offset,
// cost = fuel charged per loop iteration.
#define ISOLA_IOPS(X)                                                                      \
  /* control */                                                                            \
  X(Unreachable, 0) X(Br, 1) /* t */ X(LoopBr, 2) /* t cost */                             \
  ISOLA_COND_BRANCHES(ISOLA_IOP_PLAIN, X) ISOLA_COND_BRANCHES(ISOLA_IOP_LOOP, X)            \
  ISOLA_COND_BRANCHES(ISOLA_IOP_INC_LOOP, X) X(IncLoopBr, 3) /* d a imm, then the LoopBr */ \
  ISOLA_ADD_IMM_SUCCESSORS(ISOLA_IOP_ADD_IMM_THEN, X)                                        \
  X(BrTable, 2) /* a n, then n+1 offsets (variable length) */                              \
  X(Return, 0) X(Call, 2) /* fidx frame */ X(CallImport, 2) /* fidx frame */               \
  X(CallIndirect, 4) /* typeid table a frame */                                            \
  /* data movement */                                                                      \
  X(Copy, 2) /* d a */ X(Const32, 2) /* d imm */ X(Const64, 3) /* d lo hi */               \
  X(Copy2, 4) /* d a d2 a2: two copies in order */                                         \
  X(Select, 4) /* d a b cond */ X(GlobalGet, 2) /* d g */ X(GlobalSet, 2) /* g a */        \
  /* memory: loads d a off, stores a(addr) b(value) off */                                 \
  X(I32Load, 3) X(I64Load, 3) X(I32Load8S, 3) X(I32Load8U, 3) X(I32Load16S, 3)             \
  X(I32Load16U, 3) X(I64Load8S, 3) X(I64Load8U, 3) X(I64Load16S, 3) X(I64Load16U, 3)       \
  X(I64Load32S, 3) X(I64Load32U, 3)                                                        \
  X(I32Store, 3) X(I64Store, 3) X(I32Store8, 3) X(I32Store16, 3) X(I64Store8, 3)           \
  X(I64Store16, 3) X(I64Store32, 3)                                                        \
  X(MemorySize, 1) X(MemoryGrow, 2) X(MemoryFill, 3) X(MemoryCopy, 3)                      \
  X(MemoryInit, 4) /* seg a b c */ X(DataDrop, 1)                                          \
  /* tables and references */                                                              \
  X(TableGet, 3) /* d t a */ X(TableSet, 3) /* t a b */ X(TableSize, 2) /* d t */          \
  X(TableGrow, 4) /* d t init n */ X(TableFill, 4) /* t i v n */                           \
  X(TableCopy, 5) /* dt st d s n */ X(TableInit, 5) /* t seg d s n */ X(ElemDrop, 1)       \
  X(RefIsNull, 2) X(RefFunc, 2) /* d fidx */                                               \
  /* i32 */                                                                                \
  X(I32Eqz, 2) X(I32Eq, 3) X(I32Ne, 3) X(I32LtS, 3) X(I32LtU, 3) X(I32GtS, 3)              \
  X(I32GtU, 3) X(I32LeS, 3) X(I32LeU, 3) X(I32GeS, 3) X(I32GeU, 3)                         \
  X(I32Clz, 2) X(I32Ctz, 2) X(I32Popcnt, 2) X(I32Add, 3) X(I32Sub, 3) X(I32Mul, 3)         \
  X(I32DivS, 3) X(I32DivU, 3) X(I32RemS, 3) X(I32RemU, 3) X(I32And, 3) X(I32Or, 3)         \
  X(I32Xor, 3) X(I32Shl, 3) X(I32ShrS, 3) X(I32ShrU, 3) X(I32Rotl, 3) X(I32Rotr, 3)        \
  /* i32 with an immediate right operand: d a imm */                                       \
  X(I32AddImm, 3) X(I32MulImm, 3) X(I32AndImm, 3) X(I32OrImm, 3) X(I32XorImm, 3)           \
  X(I32ShlImm, 3) X(I32ShrSImm, 3) X(I32ShrUImm, 3) X(I32EqImm, 3) X(I32NeImm, 3)          \
  X(I32LtSImm, 3) X(I32LtUImm, 3) X(I32GtSImm, 3) X(I32GtUImm, 3) X(I32LeSImm, 3)          \
  X(I32LeUImm, 3) X(I32GeSImm, 3) X(I32GeUImm, 3)                                          \
  /* i64 */                                                                                \
  X(I64Eqz, 2) X(I64Eq, 3) X(I64Ne, 3) X(I64LtS, 3) X(I64LtU, 3) X(I64GtS, 3)              \
  X(I64GtU, 3) X(I64LeS, 3) X(I64LeU, 3) X(I64GeS, 3) X(I64GeU, 3)                         \
  X(I64Clz, 2) X(I64Ctz, 2) X(I64Popcnt, 2) X(I64Add, 3) X(I64Sub, 3) X(I64Mul, 3)         \
  X(I64DivS, 3) X(I64DivU, 3) X(I64RemS, 3) X(I64RemU, 3) X(I64And, 3) X(I64Or, 3)         \
  X(I64Xor, 3) X(I64Shl, 3) X(I64ShrS, 3) X(I64ShrU, 3) X(I64Rotl, 3) X(I64Rotr, 3)        \
  /* i64 with a sign-extended 32-bit immediate: d a imm */                                 \
  X(I64AddImm, 3) X(I64AndImm, 3) X(I64ShlImm, 3) X(I64ShrSImm, 3) X(I64ShrUImm, 3)        \
  X(I64OrImm, 3) X(I64XorImm, 3) X(I64MulImm, 3) X(I64RotlImm, 3) X(I64RotrImm, 3)         \
  X(I32RotlImm, 3) X(I32RotrImm, 3)                                                        \
  X(I64EqImm, 3) X(I64NeImm, 3) X(I64LtSImm, 3) X(I64LtUImm, 3) X(I64GtSImm, 3)            \
  X(I64GtUImm, 3) X(I64LeSImm, 3) X(I64LeUImm, 3) X(I64GeSImm, 3) X(I64GeUImm, 3)          \
  /* a binary op whose right operand is shifted by a constant: d a b k = a op (b sh k) */  \
  X(I32XorShl, 4) X(I32XorShrU, 4) X(I32OrShl, 4) X(I32OrShrU, 4) X(I32AddShrU, 4)         \
  X(I64XorShl, 4) X(I64XorShrU, 4) X(I64OrShl, 4) X(I64OrShrU, 4) X(I64AddShl, 4)          \
  X(I64AddShrU, 4) X(I32XorRotl, 4) X(I32XorRotr, 4)                                       \
  X(I32Add3, 4) /* d a b c: a + b + c */                                                   \
  /* f64 arithmetic with a product just computed, d x a b, operands in wasm's order: */    \
  X(F64AddMul, 4) /* x + a*b */ X(F64MulAdd, 4) /* a*b + x */                              \
  X(F64SubMul, 4) /* x - a*b */ X(F64MulSub, 4) /* a*b - x */                              \
  X(F64MulMulR, 4) /* x * (a*b) */ X(F64MulMulL, 4) /* (a*b) * x */                        \
  X(I32AddImm2, 6) /* d a imm d2 a2 imm2: two I32AddImm in order (loop counters) */       \
  /* loads from base + (index << k) + off: d base index k off */                           \
  X(I32LoadIdx, 5) X(I64LoadIdx, 5) X(I32Load8UIdx, 5) X(I32Load16UIdx, 5)                 \
  /* a binary op whose right operand is loaded here: */                                   \
  /* d a base imm off = a op mem[(base + imm) + off] */                                    \
  X(I32AddLoad, 5) X(I64AddLoad, 5) X(F32AddLoad, 5) X(F32MulLoad, 5) X(F64AddLoad, 5)     \
  X(F64SubLoad, 5) X(F64MulLoad, 5)                                                        \
  /* float arithmetic with a constant right operand: d a imm / d a lo hi */                \
  X(F32AddImm, 3) X(F32SubImm, 3) X(F32MulImm, 3) X(F32DivImm, 3)                          \
  X(F64AddImm, 4) X(F64SubImm, 4) X(F64MulImm, 4) X(F64DivImm, 4)                          \
  X(F64ImmSub, 4) X(F64ImmDiv, 4) /* the constant on the left: d a lo hi = imm op a */      \
  /* stores of a constant: a imm off (i64: imm sign-extended) */                           \
  X(I32StoreImm, 3) X(I64StoreImm, 3) X(I32Store8Imm, 3) X(I32Store16Imm, 3)               \
  /* address arithmetic fused into its user */                                             \
  X(I32AddShl, 4) /* d a b k: a + (b << k) */                                              \
  X(I32AddShlImm, 5) /* d a b k imm: a + (b << k) + imm */                                 \
  /* division by a constant: d a mlo mhi (m: numeric.hpp u32_div_magic) [divisor] / d a imm */ \
  X(I32DivUImm, 4) X(I32RemUImm, 5) X(I32DivSImm, 3) X(I32RemSImm, 3)                      \
  /* i64 arithmetic with a constant that needs all 64 bits (hash multipliers): d a lo hi */ \
  X(I64AddImmW, 4) X(I64MulImmW, 4) X(I64XorImmW, 4) X(I64AndImmW, 4) X(I64OrImmW, 4)     \
  /* select with a 32-bit constant (zero-extended, as Const32 would write it) in place of */ \
  /* the first / second value: d imm b c / d a imm c */                                   \
  X(SelectImmA, 4) X(SelectImmB, 4)                                                        \
  /* f64 compares with a constant right operand: d a lo hi */                              \
  X(F64EqImm, 4) X(F64NeImm, 4) X(F64LtImm, 4) X(F64GtImm, 4) X(F64LeImm, 4) X(F64GeImm, 4) \
  X(I32LoadAdd, 4) X(I64LoadAdd, 4) X(I32Load8UAdd, 4) X(I32Load8SAdd, 4)                  \
  X(I32Load16UAdd, 4) /* d a b off: load at (a + b) + off */                               \
  X(I32LoadAddImm, 4) X(I64LoadAddImm, 4) X(I32Load8UAddImm, 4) X(I32Load8SAddImm, 4)      \
  X(I32Load16UAddImm, 4) /* d a imm off: load at (a + imm) + off */                        \
  X(I32StoreAdd, 4) X(I64StoreAdd, 4) X(I32Store8Add, 4) /* a b v off */                   \
  X(I32StoreImmAdd, 4) X(I32Store8ImmAdd, 4) /* a b imm off: a constant stored at a + b */ \
  /* addresses below are base imm off triples, (base + imm) + off as wasm computes them */ \
  /* x a sa: mem[sa] = x + mem[a], as f64 (c[j] += ...) */                                 \
  X(F64AddLoadStore, 7)                                                                    \
  X(I32StoreAddImm, 4) X(I64StoreAddImm, 4) X(I32Store8AddImm, 4) /* a imm v off */        \
  /* a load whose value is stored unchanged, da dimm doff sa simm soff: */                 \
  /* mem[(da + dimm) + doff] = mem[(sa + simm) + soff], n bytes (load traps first) */      \
  X(Move8, 6) X(Move16, 6) X(Move32, 6) X(Move64, 6)                                       \
  /* funnels, d a k1 b k2: (a << k1) | (b >> k2), (a >> k1) | (b << k2) */                  \
  X(I32ShlOrShrU, 5) X(I32ShrUOrShl, 5)                                                    \
  X(F64MulAddLoadStore, 10) /* x b c sa: mem[sa] = x * mem[b] + mem[c], as f64 */         \
  /* i32 read-modify-write: a k sa: mem[sa] = mem[a] + k; v a sa: mem[sa] = v + mem[a] */  \
  X(I32AddImmLoadStore, 7) X(I32AddLoadStore, 7)                                           \
  X(F64LoadSub, 5) /* d x a: mem[a] - x, as f64 */                                         \
  X(F64LoadSubStore, 7) /* x a sa: mem[sa] = mem[a] - x, as f64 */                         \
  /* f32 / f64 */                                                                          \
  X(F32Eq, 3) X(F32Ne, 3) X(F32Lt, 3) X(F32Gt, 3) X(F32Le, 3) X(F32Ge, 3)                  \
  X(F64Eq, 3) X(F64Ne, 3) X(F64Lt, 3) X(F64Gt, 3) X(F64Le, 3) X(F64Ge, 3)                  \
  X(F32Abs, 2) X(F32Neg, 2) X(F32Ceil, 2) X(F32Floor, 2) X(F32Trunc, 2) X(F32Nearest, 2)   \
  X(F32Sqrt, 2) X(F32Add, 3) X(F32Sub, 3) X(F32Mul, 3) X(F32Div, 3) X(F32Min, 3)           \
  X(F32Max, 3) X(F32Copysign, 3)                                                           \
  X(F64Abs, 2) X(F64Neg, 2) X(F64Ceil, 2) X(F64Floor, 2) X(F64Trunc, 2) X(F64Nearest, 2)   \
  X(F64Sqrt, 2) X(F64Add, 3) X(F64Sub, 3) X(F64Mul, 3) X(F64Div, 3) X(F64Min, 3)           \
  X(F64Max, 3) X(F64Copysign, 3)                                                           \
  /* conversions */                                                                        \
  X(I32WrapI64, 2) X(I32TruncF32S, 2) X(I32TruncF32U, 2) X(I32TruncF64S, 2)                \
  X(I32TruncF64U, 2) X(I64ExtendI32S, 2) X(I64ExtendI32U, 2) X(I64TruncF32S, 2)            \
  X(I64TruncF32U, 2) X(I64TruncF64S, 2) X(I64TruncF64U, 2) X(F32ConvertI32S, 2)            \
  X(F32ConvertI32U, 2) X(F32ConvertI64S, 2) X(F32ConvertI64U, 2) X(F32DemoteF64, 2)        \
  X(F64ConvertI32S, 2) X(F64ConvertI32U, 2) X(F64ConvertI64S, 2) X(F64ConvertI64U, 2)      \
  X(F64PromoteF32, 2) X(I32Extend8S, 2) X(I32Extend16S, 2) X(I64Extend8S, 2)               \
  X(I64Extend16S, 2) X(I64Extend32S, 2)                                                    \
  X(I32TruncSatF32S, 2) X(I32TruncSatF32U, 2) X(I32TruncSatF64S, 2)                        \
  X(I32TruncSatF64U, 2) X(I64TruncSatF32S, 2) X(I64TruncSatF32U, 2)                        \
  X(I64TruncSatF64S, 2) X(I64TruncSatF64U, 2)                                              \
  ISOLA_ACC_VARIANTS(ISOLA_IOP_ACC, X)

enum class IOp : uint16_t {
#define ISOLA_IOP_ENUM(name, n) name,
  ISOLA_IOPS(ISOLA_IOP_ENUM)
#undef ISOLA_IOP_ENUM
      Count
};

// Words an instruction occupies: 2 for the handler plus its operands.
constexpr uint32_t kHandlerWords = 2;

struct Code {
  std::vector<uint32_t> words;
  uint32_t func_index = 0;
  uint32_t num_params = 0;
  uint32_t num_locals = 0;   // declared locals, zeroed on entry
  uint32_t num_results = 0;
  uint32_t frame_slots = 0;  // params + locals + deepest operand stack
  // Fuel charged on entry: the function's wasm instructions outside loops (at least 1).
  // Loop iterations pay at their back-edge (the Loop* branches' cost operand).
  uint32_t entry_cost = 1;
  // (word index, wasm byte offset) for every emitted instruction, in word order,
  // so a trap can say where it happened.
  std::vector<std::pair<uint32_t, uint32_t>> offsets;

  uint32_t wasm_offset(const uint32_t* pc) const;
};

// The IncLoop form for a back-edge (IncLoopBr for LoopBr, ...), or Count.
constexpr IOp inc_loop_form(IOp o) {
  switch (o) {
    case IOp::LoopBr: return IOp::IncLoopBr;
#define ISOLA_IOP_INC_CASE(X, name, n) case IOp::Loop##name: return IOp::IncLoop##name;
    ISOLA_COND_BRANCHES(ISOLA_IOP_INC_CASE, _)
#undef ISOLA_IOP_INC_CASE
    default: return IOp::Count;
  }
}

// The back-edge form of a branch (LoopBr for Br, LoopBrIf for BrIf, ...), or Count.
constexpr IOp loop_form(IOp o) {
  switch (o) {
    case IOp::Br: return IOp::LoopBr;
#define ISOLA_IOP_LOOP_CASE(X, name, n) case IOp::name: return IOp::Loop##name;
    ISOLA_COND_BRANCHES(ISOLA_IOP_LOOP_CASE, _)
#undef ISOLA_IOP_LOOP_CASE
    default: return IOp::Count;
  }
}

// The handler address of each IOp in the interpreter for one memory mode: with bounds
// checks on every load and store, or without (guard pages catch what is out of bounds).
const void* const* handler_table(bool bounds_checks);

}  // namespace isola::interp
