// Validator unit tests. Modules are built directly (as the decoder would fill them), so
// function bodies can be any bytes, valid or not; one test goes through the decoder with
// a module made by wat2wasm.
#include "wasm/valid/validate.hpp"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "wasm/binary/decode.hpp"
#include "wasm/binary/opcodes.hpp"

namespace isola::wasm {
namespace {

using namespace op;  // NOLINT: opcode names make the bodies readable
using Bytes = std::vector<uint8_t>;
using Types = std::vector<ValType>;
constexpr ValType kI32 = ValType::I32, kI64 = ValType::I64, kF32 = ValType::F32,
                  kF64 = ValType::F64, kFuncRef = ValType::FuncRef,
                  kExternRef = ValType::ExternRef;
constexpr uint8_t i32 = 0x7F, i64 = 0x7E, f32 = 0x7D, funcref = 0x70,
                  externref = 0x6F;

ConstExpr i32_const(uint32_t v) {
  ConstExpr e;
  e.op = ConstExpr::Op::I32Const;
  e.bits = v;
  return e;
}
ConstExpr i64_const(uint64_t v) {
  ConstExpr e;
  e.op = ConstExpr::Op::I64Const;
  e.bits = v;
  return e;
}
ConstExpr ref_func(uint32_t f) {
  ConstExpr e;
  e.op = ConstExpr::Op::RefFunc;
  e.index = f;
  return e;
}
ConstExpr ref_null(ValType t) {
  ConstExpr e;
  e.op = ConstExpr::Op::RefNull;
  e.ref_type = t;
  return e;
}
ConstExpr global_get(uint32_t g) {
  ConstExpr e;
  e.op = ConstExpr::Op::GlobalGet;
  e.index = g;
  return e;
}

// Fills a Module the way the decoder does. Imports must be added before definitions.
struct Builder {
  Module m;

  Builder() { m.bytes = {0x00, 0x61, 0x73, 0x6D, 0x01, 0x00, 0x00, 0x00}; }

  uint32_t type(Types params, Types results) {
    FuncType ft{std::move(params), std::move(results)};
    for (uint32_t i = 0; i < m.types.size(); ++i)
      if (m.types[i] == ft) return i;
    m.types.push_back(std::move(ft));
    return static_cast<uint32_t>(m.types.size() - 1);
  }
  uint32_t import_func(Types params, Types results) {
    m.funcs.push_back(type(std::move(params), std::move(results)));
    ++m.num_imported_funcs;
    return static_cast<uint32_t>(m.funcs.size() - 1);
  }
  uint32_t import_global(ValType t, bool mut) {
    m.globals.push_back(GlobalType{t, mut});
    ++m.num_imported_globals;
    return static_cast<uint32_t>(m.globals.size() - 1);
  }
  uint32_t func(Types params, Types results, const Bytes& body,
                std::vector<LocalDecl> locals = {}) {
    m.funcs.push_back(type(std::move(params), std::move(results)));
    Code c;
    for (const LocalDecl& d : locals) c.num_locals += d.count;
    c.locals = std::move(locals);
    c.body_offset = static_cast<uint32_t>(m.bytes.size());
    m.bytes.insert(m.bytes.end(), body.begin(), body.end());
    c.body_end = static_cast<uint32_t>(m.bytes.size());
    m.codes.push_back(std::move(c));
    return static_cast<uint32_t>(m.funcs.size() - 1);
  }
  void memory(uint32_t min, std::optional<uint32_t> max = std::nullopt) {
    m.memories.push_back(MemoryType{Limits{min, max}});
  }
  uint32_t table(ValType elem, uint32_t min = 1, std::optional<uint32_t> max = std::nullopt) {
    m.tables.push_back(TableType{elem, Limits{min, max}});
    return static_cast<uint32_t>(m.tables.size() - 1);
  }
  uint32_t global(ValType t, bool mut, ConstExpr init) {
    m.globals.push_back(GlobalType{t, mut});
    m.global_inits.push_back(init);
    return static_cast<uint32_t>(m.globals.size() - 1);
  }
  void exp(std::string name, ExternKind kind, uint32_t index) {
    m.exports.push_back(Export{std::move(name), kind, index});
  }
  void passive_data() {
    DataSegment d;
    d.mode = DataSegment::Mode::Passive;
    m.datas.push_back(d);
  }
  void elem(ElemSegment::Mode mode, ValType type, std::vector<ConstExpr> init,
            uint32_t table = 0) {
    ElemSegment e;
    e.mode = mode;
    e.type = type;
    e.table = table;
    e.offset = i32_const(0);
    e.init = std::move(init);
    m.elems.push_back(std::move(e));
  }
};

::testing::AssertionResult Valid(const Module& m) {
  auto e = validate(m);
  if (!e) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "rejected: " << e->what << " at byte " << e->offset;
}

::testing::AssertionResult Fails(const Module& m, LoadError::Kind kind, std::string_view prefix) {
  auto e = validate(m);
  if (!e) return ::testing::AssertionFailure() << "accepted, expected \"" << prefix << "\"";
  if (e->kind != kind)
    return ::testing::AssertionFailure() << "wrong kind of error: " << e->what;
  if (e->what.compare(0, prefix.size(), prefix) != 0)
    return ::testing::AssertionFailure() << "message \"" << e->what << "\", expected \"" << prefix
                                         << "\"";
  return ::testing::AssertionSuccess();
}
::testing::AssertionResult Invalid(const Module& m, std::string_view prefix) {
  return Fails(m, LoadError::Kind::Invalid, prefix);
}
::testing::AssertionResult Malformed(const Module& m, std::string_view prefix) {
  return Fails(m, LoadError::Kind::Malformed, prefix);
}

// A module with one function of type params -> results and the given body.
Module fn(const Bytes& body, Types params = {}, Types results = {},
          std::vector<LocalDecl> locals = {}) {
  Builder b;
  b.func(std::move(params), std::move(results), body, std::move(locals));
  return std::move(b.m);
}

// ---- basics and numeric instructions ---------------------------------------------------

TEST(Validate, EmptyModuleAndFunction) {
  EXPECT_TRUE(Valid(Module{}));
  EXPECT_TRUE(Valid(fn({End})));
}

TEST(Validate, NumericOperators) {
  EXPECT_TRUE(Valid(fn({I32Const, 1, I32Const, 2, I32Add, End}, {}, {kI32})));
  EXPECT_TRUE(Valid(fn({I64Const, 1, I64Eqz, End}, {}, {kI32})));
  EXPECT_TRUE(Valid(fn({F32Const, 0, 0, 0, 0, F64PromoteF32, F64Sqrt, End}, {}, {kF64})));
  EXPECT_TRUE(Valid(fn({I32Const, 1, I64ExtendI32U, I64Extend32S, End}, {}, {kI64})));
  EXPECT_TRUE(Valid(fn({I32Const, 1, I32Extend8S, F32ConvertI32S, I32ReinterpretF32, End},
                       {}, {kI32})));
  EXPECT_TRUE(Invalid(fn({I32Const, 1, I64Const, 2, I32Add, End}, {}, {kI32}), "type mismatch"));
  EXPECT_TRUE(Invalid(fn({I32Const, 1, I32Add, End}, {}, {kI32}), "type mismatch"));
  EXPECT_TRUE(Invalid(fn({F64Const, 0, 0, 0, 0, 0, 0, 0, 0, I32WrapI64, End}, {}, {kI32}),
                      "type mismatch"));
  // Result count and types at the end of the function.
  EXPECT_TRUE(Invalid(fn({End}, {}, {kI32}), "type mismatch"));
  EXPECT_TRUE(Invalid(fn({I32Const, 0, End}), "type mismatch"));
  EXPECT_TRUE(Invalid(fn({I64Const, 0, End}, {}, {kI32}), "type mismatch"));
}

TEST(Validate, SaturatingTruncations) {
  EXPECT_TRUE(Valid(fn({F32Const, 0, 0, 0, 0, PrefixFC, 0, End}, {}, {kI32})));
  EXPECT_TRUE(Valid(fn({F64Const, 0, 0, 0, 0, 0, 0, 0, 0, PrefixFC, 7, End}, {}, {kI64})));
  EXPECT_TRUE(Invalid(fn({F64Const, 0, 0, 0, 0, 0, 0, 0, 0, PrefixFC, 0, End}, {}, {kI32}),
                      "type mismatch"));
  EXPECT_TRUE(Invalid(fn({F32Const, 0, 0, 0, 0, PrefixFC, 4, End}, {}, {kI32}), "type mismatch"));
}

TEST(Validate, IllegalOpcodesAndSimd) {
  EXPECT_TRUE(Malformed(fn({0x06, End}), "illegal opcode 0x06"));
  EXPECT_TRUE(Malformed(fn({0xC5, End}), "illegal opcode"));
  EXPECT_TRUE(Malformed(fn({0x27, End}), "illegal opcode"));
  EXPECT_TRUE(Malformed(fn({PrefixFC, 18, End}), "illegal opcode 0xfc 0x12"));
  auto simd = validate(fn({PrefixSIMD, 12, End}));
  ASSERT_TRUE(simd);
  EXPECT_EQ(simd->kind, LoadError::Kind::Invalid);
  EXPECT_EQ(simd->what, "SIMD is not supported yet");
  EXPECT_TRUE(Invalid(fn({End}, {ValType::V128}), "SIMD is not supported yet"));
  EXPECT_TRUE(Invalid(fn({End}, {}, {}, {{1, ValType::V128}}), "SIMD is not supported yet"));
  EXPECT_TRUE(Invalid(fn({Block, 0x7B, End, End}), "SIMD is not supported yet"));
}

TEST(Validate, BodyBoundaries) {
  EXPECT_TRUE(Malformed(fn({I32Const, 1, Drop}), "END opcode expected"));
  EXPECT_TRUE(Malformed(fn({End, Nop}), "section size mismatch"));
  EXPECT_TRUE(Malformed(fn({I32Const}), "unexpected end"));
  EXPECT_TRUE(Malformed(fn({I32Const, 0x80}), "unexpected end"));
  EXPECT_TRUE(Malformed(fn({F64Const, 0, 0, 0}), "unexpected end"));
  EXPECT_TRUE(Malformed(fn({I32Const, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00, Drop, End}),
                        "integer representation too long"));
  EXPECT_TRUE(Malformed(fn({Block, 0x40, End}), "END opcode expected"));
  // Errors say which function and where.
  Builder b;
  b.func({}, {}, {End});
  const uint32_t bad = b.func({}, {}, {Nop, I32Add, End});
  auto e = validate(b.m);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->func, bad);
  EXPECT_EQ(e->offset, b.m.codes[1].body_offset + 1);
}

// ---- control instructions ------------------------------------------------------------

TEST(Validate, Blocks) {
  EXPECT_TRUE(Valid(fn({Block, i32, I32Const, 1, End, End}, {}, {kI32})));
  EXPECT_TRUE(Valid(fn({Loop, 0x40, End, End})));
  EXPECT_TRUE(Invalid(fn({Block, i32, End, End}, {}, {kI32}), "type mismatch"));
  EXPECT_TRUE(Invalid(fn({Block, 0x40, I32Const, 1, End, End}), "type mismatch"));
  // Values outside a block are not visible inside it.
  EXPECT_TRUE(Invalid(fn({I32Const, 1, Block, 0x40, Drop, End, End}), "type mismatch"));
  EXPECT_TRUE(Malformed(fn({Block, 0x41, End, End}), "malformed"));
  EXPECT_TRUE(Invalid(fn({Block, 5, End, End}), "unknown type"));
}

TEST(Validate, MultiValueBlockTypes) {
  Builder b;
  const uint32_t t = b.type({kI32, kI32}, {kI64});
  b.func({}, {kI64},
         {I32Const, 1, I32Const, 2, Block, static_cast<uint8_t>(t), I32Add, I64ExtendI32S,
          End, End});
  EXPECT_TRUE(Valid(b.m));
  // Loop labels take the loop's parameters.
  Builder b2;
  const uint32_t t2 = b2.type({kI32}, {});
  b2.func({}, {},
          {I32Const, 1, Loop, static_cast<uint8_t>(t2), I32Const, 0, BrIf, 0, Drop, End, End});
  EXPECT_TRUE(Valid(b2.m));
  Builder b3;
  const uint32_t t3 = b3.type({kI32}, {});
  b3.func({}, {}, {I64Const, 1, Loop, static_cast<uint8_t>(t3), Drop, End, End});
  EXPECT_TRUE(Invalid(b3.m, "type mismatch"));
}

TEST(Validate, IfElse) {
  EXPECT_TRUE(Valid(fn({I32Const, 1, If, i32, I32Const, 1, Else, I32Const, 2, End, End}, {},
                       {kI32})));
  EXPECT_TRUE(Valid(fn({I32Const, 1, If, 0x40, End, End})));
  // An if without else must leave its parameters unchanged.
  EXPECT_TRUE(Invalid(fn({I32Const, 1, If, i32, I32Const, 1, End, End}, {}, {kI32}),
                      "type mismatch"));
  Builder b;
  const uint32_t t = b.type({kI32}, {kI32});
  b.func({}, {kI32}, {I32Const, 5, I32Const, 1, If, static_cast<uint8_t>(t), End, End});
  EXPECT_TRUE(Valid(b.m));
  EXPECT_TRUE(Invalid(fn({I64Const, 1, If, 0x40, End, End}), "type mismatch"));
  EXPECT_TRUE(Invalid(fn({I32Const, 1, If, i32, I32Const, 1, Else, End, End}, {}, {kI32}),
                      "type mismatch"));
  EXPECT_TRUE(Malformed(fn({Block, 0x40, Else, End, End}), "else"));
  EXPECT_TRUE(Malformed(fn({I32Const, 1, If, 0x40, Else, Else, End, End}), "else"));
}

TEST(Validate, Branches) {
  EXPECT_TRUE(Valid(fn({Block, i32, I32Const, 1, Br, 0, End, End}, {}, {kI32})));
  EXPECT_TRUE(Valid(fn({I32Const, 1, Br, 0, End}, {}, {kI32})));
  EXPECT_TRUE(Invalid(fn({Br, 1, End}), "unknown label"));
  EXPECT_TRUE(Invalid(fn({Block, i32, Br, 0, End, End}, {}, {kI32}), "type mismatch"));
  EXPECT_TRUE(Valid(fn({Block, i32, I32Const, 1, I32Const, 0, BrIf, 0, End, End}, {}, {kI32})));
  EXPECT_TRUE(Invalid(fn({Block, i32, I32Const, 1, BrIf, 0, End, End}, {}, {kI32}),
                      "type mismatch"));
  EXPECT_TRUE(Invalid(fn({I32Const, 0, BrIf, 2, End}), "unknown label"));
  EXPECT_TRUE(Valid(fn({I32Const, 1, Return, End}, {}, {kI32})));
  EXPECT_TRUE(Invalid(fn({I64Const, 1, Return, End}, {}, {kI32}), "type mismatch"));
  EXPECT_TRUE(Valid(fn({Block, 0x40, I32Const, 7, Return, End, I32Const, 0, End}, {}, {kI32})));
  // After the block, its dead end does not make the function's rest unreachable.
  EXPECT_TRUE(Invalid(fn({Block, 0x40, I32Const, 7, Return, End, End}, {}, {kI32}),
                      "type mismatch"));
}

TEST(Validate, PolymorphicStack) {
  EXPECT_TRUE(Valid(fn({Unreachable, End}, {}, {kI32, kF64})));
  EXPECT_TRUE(Valid(fn({Unreachable, I32Add, End}, {}, {kI32})));
  EXPECT_TRUE(Valid(fn({Unreachable, Drop, Drop, I64Const, 0, End}, {}, {kI64})));
  EXPECT_TRUE(Invalid(fn({Unreachable, I64Add, End}, {}, {kI32}), "type mismatch"));
  EXPECT_TRUE(Invalid(fn({Unreachable, F32Const, 0, 0, 0, 0, I32Add, End}, {}, {kI32}),
                      "type mismatch"));
  // Values pushed after the branch are still checked at the end.
  EXPECT_TRUE(Invalid(fn({Br, 0, I32Const, 0, End}), "type mismatch"));
  EXPECT_TRUE(Valid(fn({Return, I32Const, 0, Drop, End})));
  // Operands partly on the stack, partly from the polymorphic bottom.
  Builder call;
  const uint32_t callee = call.import_func({kI64, kI32}, {});
  call.func({}, {}, {Unreachable, I32Const, 0, Call, static_cast<uint8_t>(callee), End});
  EXPECT_TRUE(Valid(call.m));
  Builder bad_call;
  bad_call.import_func({kI64, kI32}, {});
  bad_call.func({}, {}, {Unreachable, I64Const, 0, Call, 0, End});
  EXPECT_TRUE(Invalid(bad_call.m, "type mismatch"));
  Builder bad_deep;
  bad_deep.import_func({kI64, kI32}, {});
  bad_deep.func({}, {}, {Unreachable, I32Const, 0, I32Const, 0, Call, 0, End});
  EXPECT_TRUE(Invalid(bad_deep.m, "type mismatch"));
  // The polymorphic stack belongs to the frame: an inner block starts fresh.
  EXPECT_TRUE(Invalid(fn({Unreachable, Block, 0x40, I32Add, Drop, End, End}), "type mismatch"));
  EXPECT_TRUE(Valid(fn({Block, i32, Unreachable, End, End}, {}, {kI32})));
}

TEST(Validate, BrTable) {
  EXPECT_TRUE(Valid(fn({Block, 0x40, Block, 0x40, I32Const, 0, BrTable, 2, 0, 1, 0, End, End,
                        End})));
  EXPECT_TRUE(Valid(fn({Block, i32, I32Const, 7, I32Const, 0, BrTable, 1, 0, 1, End, End}, {},
                       {kI32})));
  // Every target needs the default's arity.
  EXPECT_TRUE(Invalid(fn({Block, 0x40, Block, i32, I32Const, 1, I32Const, 0, BrTable, 1, 0, 1,
                          End, Drop, End, End}),
                      "type mismatch"));
  EXPECT_TRUE(Invalid(fn({Block, 0x40, I32Const, 0, BrTable, 1, 0, 5, End, End}),
                      "unknown label"));
  EXPECT_TRUE(Invalid(fn({Block, 0x40, I64Const, 0, BrTable, 0, 0, End, End}), "type mismatch"));
  // Under a polymorphic stack, targets of the same arity may have different types...
  EXPECT_TRUE(Valid(fn({Block, f32, Block, i32, Unreachable, BrTable, 1, 0, 1, End, Drop,
                        F32Const, 0, 0, 0, 0, End, Drop, End})));
  // ...but a real operand must fit every one of them.
  EXPECT_TRUE(Invalid(fn({Block, f32, Block, i32, Unreachable, I32Const, 0, I32Const, 0,
                          BrTable, 1, 0, 1, End, Drop, F32Const, 0, 0, 0, 0, End, Drop, End}),
                      "type mismatch"));
  // Arity mismatch is an error even when unreachable.
  EXPECT_TRUE(Invalid(fn({Block, 0x40, Block, i32, Unreachable, BrTable, 1, 0, 1, End, Drop,
                          End, End}),
                      "type mismatch"));
}

TEST(Validate, BrTableManyTargets) {
  Bytes body = {Block, i32, I32Const, 1, I32Const, 0, BrTable, 0x80, 0x89, 0x7A};  // 2000000
  for (int i = 0; i < 2000000; ++i) body.push_back(static_cast<uint8_t>(i & 1));
  body.insert(body.end(), {0, End, End});
  EXPECT_TRUE(Valid(fn(body, {}, {kI32})));
}

TEST(Validate, DeepNesting) {
  Bytes body;
  const int depth = 100000;
  for (int i = 0; i < depth; ++i) body.insert(body.end(), {Block, 0x40});
  body.insert(body.end(), {Br, 0x9F, 0x8D, 0x06});  // br 99999: the outermost block
  for (int i = 0; i < depth; ++i) body.push_back(End);
  body.push_back(End);
  EXPECT_TRUE(Valid(fn(body)));
}

// ---- calls -----------------------------------------------------------------------------

TEST(Validate, Calls) {
  Builder b;
  const uint32_t imp = b.import_func({kI32, kI64}, {kF32});
  b.func({}, {kF32}, {I32Const, 1, I64Const, 2, Call, static_cast<uint8_t>(imp), End});
  EXPECT_TRUE(Valid(b.m));
  EXPECT_TRUE(Invalid(fn({Call, 3, End}), "unknown function"));
  Builder b2;
  b2.import_func({kI32}, {});
  b2.func({}, {}, {I64Const, 0, Call, 0, End});
  EXPECT_TRUE(Invalid(b2.m, "type mismatch"));
}

TEST(Validate, CallIndirect) {
  Builder b;
  const uint32_t t = b.type({kI32}, {kI32});
  b.table(kFuncRef);
  b.func({}, {kI32}, {I32Const, 5, I32Const, 0, CallIndirect, static_cast<uint8_t>(t), 0, End});
  EXPECT_TRUE(Valid(b.m));
  Builder no_table;
  no_table.func({}, {}, {I32Const, 0, CallIndirect, 0, 0, End});
  EXPECT_TRUE(Invalid(no_table.m, "unknown table"));
  Builder extern_table;
  extern_table.table(kExternRef);
  extern_table.func({}, {}, {I32Const, 0, CallIndirect, 0, 0, End});
  EXPECT_TRUE(Invalid(extern_table.m, "type mismatch"));
  Builder bad_type;
  bad_type.table(kFuncRef);
  bad_type.func({}, {}, {I32Const, 0, CallIndirect, 9, 0, End});
  EXPECT_TRUE(Invalid(bad_type.m, "unknown type"));
  Builder second_table;
  second_table.table(kExternRef);
  second_table.table(kFuncRef);
  second_table.func({}, {}, {I32Const, 0, CallIndirect, 0, 1, End});
  EXPECT_TRUE(Valid(second_table.m));
}

// ---- parametric instructions --------------------------------------------------------------

TEST(Validate, Select) {
  EXPECT_TRUE(Valid(fn({I64Const, 1, I64Const, 2, I32Const, 0, Select, End}, {}, {kI64})));
  EXPECT_TRUE(Invalid(fn({I64Const, 1, I32Const, 2, I32Const, 0, Select, End}, {}, {kI64}),
                      "type mismatch"));
  EXPECT_TRUE(Invalid(fn({I64Const, 1, I64Const, 2, I64Const, 0, Select, End}, {}, {kI64}),
                      "type mismatch"));
  // Untyped select is for numeric types only.
  EXPECT_TRUE(Invalid(fn({RefNull, funcref, RefNull, funcref, I32Const, 0, Select, Drop, End}),
                      "type mismatch"));
  EXPECT_TRUE(Valid(fn({RefNull, funcref, RefNull, funcref, I32Const, 0, SelectT, 1, funcref,
                        Drop, End})));
  EXPECT_TRUE(Valid(fn({I32Const, 1, I32Const, 2, I32Const, 0, SelectT, 1, i32, End}, {},
                       {kI32})));
  EXPECT_TRUE(Invalid(fn({I32Const, 1, I32Const, 2, I32Const, 0, SelectT, 2, i32, i32, End}, {},
                         {kI32}),
                      "invalid result arity"));
  EXPECT_TRUE(Invalid(fn({I32Const, 1, I32Const, 2, I32Const, 0, SelectT, 0, End}, {}, {kI32}),
                      "invalid result arity"));
  EXPECT_TRUE(Invalid(fn({I32Const, 1, I32Const, 2, I32Const, 0, SelectT, 1, i64, End}, {},
                         {kI64}),
                      "type mismatch"));
  // With unknown operands the result takes the known one's type.
  EXPECT_TRUE(Valid(fn({Unreachable, Select, End}, {}, {kI32})));
  EXPECT_TRUE(Valid(fn({Unreachable, F64Const, 0, 0, 0, 0, 0, 0, 0, 0, I32Const, 0, Select, End},
                       {}, {kF64})));
  EXPECT_TRUE(Invalid(fn({Unreachable, F64Const, 0, 0, 0, 0, 0, 0, 0, 0, I32Const, 0, Select,
                          End},
                         {}, {kI32}),
                      "type mismatch"));
  EXPECT_TRUE(Invalid(fn({Unreachable, RefNull, externref, I32Const, 0, Select, Drop, End}),
                      "type mismatch"));
  EXPECT_TRUE(Valid(fn({I32Const, 0, Drop, End})));
  EXPECT_TRUE(Invalid(fn({Drop, End}), "type mismatch"));
}

// ---- variables ---------------------------------------------------------------------------

TEST(Validate, Locals) {
  EXPECT_TRUE(Valid(fn({LocalGet, 1, I64ExtendI32S, LocalSet, 2, LocalGet, 0, End},
                       {kI32, kI32}, {kI32}, {{1, kI64}})));
  EXPECT_TRUE(Valid(fn({F32Const, 0, 0, 0, 0, LocalTee, 0, End}, {}, {kF32}, {{1, kF32}})));
  EXPECT_TRUE(Invalid(fn({LocalGet, 1, Drop, End}, {kI32}), "unknown local"));
  EXPECT_TRUE(Invalid(fn({I32Const, 0, LocalSet, 0, End}, {kI64}), "type mismatch"));
  EXPECT_TRUE(Invalid(fn({LocalTee, 0, End}, {}, {kI32}, {{1, kI32}}), "type mismatch"));
}

TEST(Validate, ManyLocals) {
  // 50000 locals declared in a few bytes: the last ones are found by binary search.
  std::vector<LocalDecl> locals = {{10, kI32}, {49989, kF64}};
  EXPECT_TRUE(Valid(fn({LocalGet, 0xCF, 0x86, 0x03, End}, {kI64}, {kF64}, locals)));  // 49999
  EXPECT_TRUE(Valid(fn({LocalGet, 0x0A, End}, {kI64}, {kI32}, locals)));
  EXPECT_TRUE(Valid(fn({LocalGet, 0x0B, End}, {kI64}, {kF64}, locals)));
  EXPECT_TRUE(Valid(fn({LocalGet, 0x00, End}, {kI64}, {kI64}, locals)));
  EXPECT_TRUE(Invalid(fn({LocalGet, 0xD0, 0x86, 0x03, Drop, End}, {kI64}, {}, locals),
                      "unknown local"));
  EXPECT_TRUE(Invalid(fn({LocalGet, 0x9E, 0xC3, 0x01, End}, {kI64}, {kI32}, locals),
                      "type mismatch"));  // 24990: an f64
}

TEST(Validate, Globals) {
  Builder b;
  b.import_global(kI32, false);
  b.global(kI64, true, i64_const(0));
  b.func({}, {}, {GlobalGet, 0, I64ExtendI32U, GlobalSet, 1, End});
  EXPECT_TRUE(Valid(b.m));
  Builder imm;
  imm.global(kI32, false, i32_const(0));
  imm.func({}, {}, {I32Const, 1, GlobalSet, 0, End});
  EXPECT_TRUE(Invalid(imm.m, "global is immutable"));
  EXPECT_TRUE(Invalid(fn({GlobalGet, 0, Drop, End}), "unknown global"));
  EXPECT_TRUE(Invalid(fn({I32Const, 0, GlobalSet, 0, End}), "unknown global"));
  Builder ty;
  ty.global(kF32, true, i32_const(0));
  ty.func({}, {}, {End});
  EXPECT_TRUE(Invalid(ty.m, "type mismatch"));
}

// ---- tables and references -----------------------------------------------------------------

TEST(Validate, TableInstructions) {
  Builder b;
  b.table(kFuncRef);
  b.table(kExternRef);
  b.elem(ElemSegment::Mode::Passive, kFuncRef, {ref_null(kFuncRef)});
  b.elem(ElemSegment::Mode::Passive, kExternRef, {ref_null(kExternRef)});
  b.func({}, {},
         {I32Const, 0, TableGet, 1, Drop,                                   //
          I32Const, 0, RefNull, externref, TableSet, 1,                     //
          PrefixFC, 16, 0, Drop,                                            // table.size
          RefNull, funcref, I32Const, 1, PrefixFC, 15, 0, Drop,             // table.grow
          I32Const, 0, RefNull, externref, I32Const, 1, PrefixFC, 17, 1,    // table.fill
          I32Const, 0, I32Const, 0, I32Const, 0, PrefixFC, 14, 0, 0,        // table.copy
          I32Const, 0, I32Const, 0, I32Const, 0, PrefixFC, 12, 1, 1,        // table.init
          PrefixFC, 13, 1,                                                  // elem.drop
          End});
  EXPECT_TRUE(Valid(b.m));

  auto with_tables = [](const Bytes& body) {
    Builder t;
    t.table(kFuncRef);
    t.table(kExternRef);
    t.elem(ElemSegment::Mode::Passive, kFuncRef, {});
    t.func({}, {}, body);
    return std::move(t.m);
  };
  EXPECT_TRUE(Invalid(with_tables({I32Const, 0, TableGet, 2, Drop, End}), "unknown table"));
  EXPECT_TRUE(Invalid(with_tables({I32Const, 0, RefNull, funcref, TableSet, 1, End}),
                      "type mismatch"));
  EXPECT_TRUE(Invalid(with_tables({I32Const, 0, I32Const, 0, I32Const, 0, PrefixFC, 14, 0, 1,
                                   End}),
                      "type mismatch"));
  EXPECT_TRUE(Invalid(with_tables({I32Const, 0, I32Const, 0, I32Const, 0, PrefixFC, 12, 0, 1,
                                   End}),
                      "type mismatch"));
  EXPECT_TRUE(Invalid(with_tables({I32Const, 0, I32Const, 0, I32Const, 0, PrefixFC, 12, 4, 0,
                                   End}),
                      "unknown elem segment 4"));
  EXPECT_TRUE(Invalid(with_tables({PrefixFC, 13, 1, End}), "unknown elem segment"));
  EXPECT_TRUE(Invalid(with_tables({PrefixFC, 16, 5, Drop, End}), "unknown table"));
  EXPECT_TRUE(Invalid(with_tables({RefNull, externref, I32Const, 1, PrefixFC, 15, 0, Drop, End}),
                      "type mismatch"));
}

TEST(Validate, References) {
  EXPECT_TRUE(Valid(fn({RefNull, externref, RefIsNull, End}, {}, {kI32})));
  EXPECT_TRUE(Valid(fn({Unreachable, RefIsNull, End}, {}, {kI32})));
  EXPECT_TRUE(Invalid(fn({I32Const, 0, RefIsNull, End}, {}, {kI32}), "type mismatch"));
  EXPECT_TRUE(Malformed(fn({RefNull, i32, Drop, End}), "malformed reference type"));
  EXPECT_TRUE(Invalid(fn({RefFunc, 7, Drop, End}), "unknown function"));
}

TEST(Validate, DeclaredFunctionReferences) {
  // Not declared anywhere outside bodies.
  EXPECT_TRUE(Invalid(fn({RefFunc, 0, Drop, End}), "undeclared function reference"));
  // Declared by an export...
  Builder e;
  e.func({}, {}, {RefFunc, 0, Drop, End});
  e.exp("f", ExternKind::Func, 0);
  EXPECT_TRUE(Valid(e.m));
  // ...a declarative element segment...
  Builder d;
  d.func({}, {}, {RefFunc, 0, Drop, End});
  d.elem(ElemSegment::Mode::Declarative, kFuncRef, {ref_func(0)});
  EXPECT_TRUE(Valid(d.m));
  // ...or a global initializer.
  Builder g;
  g.global(kFuncRef, false, ref_func(1));
  g.func({}, {}, {End});
  g.func({}, {}, {RefFunc, 1, Drop, End});
  EXPECT_TRUE(Valid(g.m));
  // Declaring one function does not declare another.
  Builder other;
  other.func({}, {}, {RefFunc, 1, Drop, End});
  other.func({}, {}, {End});
  other.exp("f", ExternKind::Func, 0);
  EXPECT_TRUE(Invalid(other.m, "undeclared function reference"));
}

// ---- memory ------------------------------------------------------------------------------

Module with_memory(const Bytes& body, Types results = {}) {
  Builder b;
  b.memory(1);
  b.func({}, std::move(results), body);
  return std::move(b.m);
}

TEST(Validate, LoadsAndStores) {
  EXPECT_TRUE(Valid(with_memory({I32Const, 0, I64Load32U, 2, 0, End}, {kI64})));
  EXPECT_TRUE(Valid(with_memory({I32Const, 0, F64Const, 0, 0, 0, 0, 0, 0, 0, 0, F64Store, 3,
                                 0x80, 0x01, End})));
  EXPECT_TRUE(Valid(with_memory({I32Const, 0, I32Load8S, 0, 0, End}, {kI32})));
  EXPECT_TRUE(Invalid(with_memory({I32Const, 0, I64Load32U, 3, 0, End}, {kI64}),
                      "alignment must not be larger than natural"));
  EXPECT_TRUE(Invalid(with_memory({I32Const, 0, I32Const, 0, I32Store16, 2, 0, End}),
                      "alignment must not be larger than natural"));
  EXPECT_TRUE(Invalid(with_memory({I32Const, 0, I32Load, 31, 0, End}, {kI32}),
                      "alignment must not be larger than natural"));
  EXPECT_TRUE(Malformed(with_memory({I32Const, 0, I32Load, 32, 0, End}, {kI32}),
                        "malformed memop flags"));
  EXPECT_TRUE(Invalid(with_memory({I64Const, 0, I32Load, 2, 0, End}, {kI32}), "type mismatch"));
  EXPECT_TRUE(Invalid(with_memory({I32Const, 0, I32Const, 0, I64Store, 3, 0, End}),
                      "type mismatch"));
  EXPECT_TRUE(Invalid(fn({I32Const, 0, I32Load, 2, 0, End}, {}, {kI32}), "unknown memory"));
  EXPECT_TRUE(Invalid(fn({I32Const, 0, I32Const, 0, I32Store8, 0, 0, End}), "unknown memory"));
}

TEST(Validate, MemorySizeAndGrow) {
  EXPECT_TRUE(Valid(with_memory({MemorySize, 0, MemoryGrow, 0, End}, {kI32})));
  EXPECT_TRUE(Malformed(with_memory({MemorySize, 1, End}, {kI32}), "zero byte expected"));
  EXPECT_TRUE(Malformed(with_memory({I32Const, 0, MemoryGrow, 0x80, 0x00, End}, {kI32}),
                        "zero byte expected"));
  EXPECT_TRUE(Invalid(fn({MemorySize, 0, End}, {}, {kI32}), "unknown memory"));
  EXPECT_TRUE(Invalid(with_memory({I64Const, 0, MemoryGrow, 0, End}, {kI32}), "type mismatch"));
}

TEST(Validate, BulkMemory) {
  Builder b;
  b.memory(1);
  b.passive_data();
  b.m.data_count = 1;
  b.func({}, {},
         {I32Const, 0, I32Const, 0, I32Const, 0, PrefixFC, 8, 0, 0,   // memory.init 0
          PrefixFC, 9, 0,                                             // data.drop 0
          I32Const, 0, I32Const, 0, I32Const, 0, PrefixFC, 10, 0, 0,  // memory.copy
          I32Const, 0, I32Const, 0, I32Const, 0, PrefixFC, 11, 0,     // memory.fill
          End});
  EXPECT_TRUE(Valid(b.m));

  auto module = [](const Bytes& body, bool data_count, bool memory = true) {
    Builder m;
    if (memory) m.memory(1);
    m.passive_data();
    if (data_count) m.m.data_count = 1;
    m.func({}, {}, body);
    return std::move(m.m);
  };
  const Bytes init = {I32Const, 0, I32Const, 0, I32Const, 0, PrefixFC, 8, 0, 0, End};
  EXPECT_TRUE(Malformed(module(init, false), "data count section required"));
  EXPECT_TRUE(Malformed(module({PrefixFC, 9, 0, End}, false), "data count section required"));
  EXPECT_TRUE(Invalid(module({PrefixFC, 9, 1, End}, true), "unknown data segment 1"));
  EXPECT_TRUE(Invalid(module({I32Const, 0, I32Const, 0, I32Const, 0, PrefixFC, 8, 3, 0, End}, true),
                      "unknown data segment 3"));
  EXPECT_TRUE(Invalid(module(init, true, false), "unknown memory"));
  EXPECT_TRUE(Malformed(module({I32Const, 0, I32Const, 0, I32Const, 0, PrefixFC, 8, 0, 1, End},
                               true),
                        "zero byte expected"));
  EXPECT_TRUE(Malformed(module({I32Const, 0, I32Const, 0, I32Const, 0, PrefixFC, 10, 0, 1, End},
                               true),
                        "zero byte expected"));
  EXPECT_TRUE(Invalid(module({I32Const, 0, I32Const, 0, I64Const, 0, PrefixFC, 11, 0, End}, true),
                      "type mismatch"));
  EXPECT_TRUE(Invalid(module({I32Const, 0, I32Const, 0, I32Const, 0, PrefixFC, 10, 0, 0, End},
                             true, false),
                      "unknown memory"));
  // Without any data segment, an index is simply unknown.
  EXPECT_TRUE(Invalid(fn({PrefixFC, 9, 0, End}), "unknown data segment"));
}

// ---- module-level rules ----------------------------------------------------------------

TEST(Validate, Limits) {
  Builder ok;
  ok.memory(0, 65536);
  ok.table(kFuncRef, 10, 10);
  EXPECT_TRUE(Valid(ok.m));
  Builder big;
  big.memory(65537);
  EXPECT_TRUE(Invalid(big.m, "memory size must be at most 65536 pages (4GiB)"));
  Builder big_max;
  big_max.memory(0, 65537);
  EXPECT_TRUE(Invalid(big_max.m, "memory size must be at most 65536 pages (4GiB)"));
  Builder mem_order;
  mem_order.memory(2, 1);
  EXPECT_TRUE(Invalid(mem_order.m, "size minimum must not be greater than maximum"));
  Builder table_order;
  table_order.table(kFuncRef, 2, 1);
  EXPECT_TRUE(Invalid(table_order.m, "size minimum must not be greater than maximum"));
  Builder two;
  two.memory(1);
  two.memory(1);
  EXPECT_TRUE(Invalid(two.m, "multiple memories"));
  Builder tables;
  tables.table(kFuncRef);
  tables.table(kExternRef);
  EXPECT_TRUE(Valid(tables.m));
}

TEST(Validate, TypeIndices) {
  Builder b;
  b.func({}, {}, {End});
  b.m.funcs[0] = 3;
  EXPECT_TRUE(Invalid(b.m, "unknown type"));
}

TEST(Validate, Start) {
  Builder ok;
  ok.func({}, {}, {End});
  ok.m.start = 0;
  EXPECT_TRUE(Valid(ok.m));
  Builder typed;
  typed.func({kI32}, {}, {End});
  typed.m.start = 0;
  EXPECT_TRUE(Invalid(typed.m, "start function"));
  Builder result;
  result.func({}, {kI32}, {I32Const, 0, End});
  result.m.start = 0;
  EXPECT_TRUE(Invalid(result.m, "start function"));
  Builder unknown;
  unknown.m.start = 0;
  EXPECT_TRUE(Invalid(unknown.m, "unknown function"));
}

TEST(Validate, Exports) {
  Builder b;
  b.func({}, {}, {End});
  b.memory(1);
  b.table(kFuncRef);
  b.global(kI32, false, i32_const(0));
  b.exp("f", ExternKind::Func, 0);
  b.exp("m", ExternKind::Memory, 0);
  b.exp("t", ExternKind::Table, 0);
  b.exp("g", ExternKind::Global, 0);
  EXPECT_TRUE(Valid(b.m));
  b.exp("f", ExternKind::Global, 0);
  EXPECT_TRUE(Invalid(b.m, "duplicate export name"));
  for (ExternKind k : {ExternKind::Func, ExternKind::Table, ExternKind::Memory,
                       ExternKind::Global}) {
    Builder u;
    u.exp("x", k, 0);
    EXPECT_TRUE(Invalid(u.m, "unknown"));
  }
}

TEST(Validate, ConstantExpressions) {
  // global.get may name only imported immutable globals.
  Builder ok;
  ok.import_global(kI32, false);
  ok.global(kI32, false, global_get(0));
  EXPECT_TRUE(Valid(ok.m));
  Builder mut;
  mut.import_global(kI32, true);
  mut.global(kI32, false, global_get(0));
  EXPECT_TRUE(Invalid(mut.m, "constant expression required"));
  Builder defined;
  defined.global(kI32, false, i32_const(0));
  defined.global(kI32, false, global_get(0));
  EXPECT_TRUE(Invalid(defined.m, "unknown global 0"));
  Builder wrong;
  wrong.import_global(kI64, false);
  wrong.global(kI32, false, global_get(0));
  EXPECT_TRUE(Invalid(wrong.m, "type mismatch"));
  Builder null;
  null.global(kFuncRef, false, ref_null(kExternRef));
  EXPECT_TRUE(Invalid(null.m, "type mismatch"));
  Builder func;
  func.global(kFuncRef, false, ref_func(0));
  EXPECT_TRUE(Invalid(func.m, "unknown function 0"));
}

TEST(Validate, ElementSegments) {
  Builder ok;
  ok.table(kFuncRef);
  ok.func({}, {}, {End});
  ok.elem(ElemSegment::Mode::Active, kFuncRef, {ref_func(0), ref_null(kFuncRef)});
  ok.elem(ElemSegment::Mode::Passive, kExternRef, {ref_null(kExternRef)});
  EXPECT_TRUE(Valid(ok.m));

  Builder no_table;
  no_table.elem(ElemSegment::Mode::Active, kFuncRef, {});
  EXPECT_TRUE(Invalid(no_table.m, "unknown table"));
  Builder table_type;
  table_type.table(kExternRef);
  table_type.elem(ElemSegment::Mode::Active, kFuncRef, {});
  EXPECT_TRUE(Invalid(table_type.m, "type mismatch"));
  Builder offset;
  offset.table(kFuncRef);
  offset.elem(ElemSegment::Mode::Active, kFuncRef, {});
  offset.m.elems[0].offset = i64_const(0);
  EXPECT_TRUE(Invalid(offset.m, "type mismatch"));
  Builder item;
  item.elem(ElemSegment::Mode::Passive, kFuncRef, {ref_null(kExternRef)});
  EXPECT_TRUE(Invalid(item.m, "type mismatch"));
  Builder func;
  func.elem(ElemSegment::Mode::Declarative, kFuncRef, {ref_func(7)});
  EXPECT_TRUE(Invalid(func.m, "unknown function 7"));
  Builder global;
  global.import_global(kI32, true);
  global.table(kFuncRef);
  global.elem(ElemSegment::Mode::Active, kFuncRef, {});
  global.m.elems[0].offset = global_get(0);
  EXPECT_TRUE(Invalid(global.m, "constant expression required"));
}

TEST(Validate, DataSegments) {
  Builder ok;
  ok.memory(1);
  DataSegment d;
  d.offset = i32_const(0);
  ok.m.datas.push_back(d);
  EXPECT_TRUE(Valid(ok.m));
  Builder no_memory;
  no_memory.m.datas.push_back(d);
  EXPECT_TRUE(Invalid(no_memory.m, "unknown memory 0"));
  Builder offset;
  offset.memory(1);
  d.offset = i64_const(0);
  offset.m.datas.push_back(d);
  EXPECT_TRUE(Invalid(offset.m, "type mismatch"));
  Builder global;
  global.memory(1);
  global.global(kI32, false, i32_const(0));
  d.offset = global_get(0);
  global.m.datas.push_back(d);
  EXPECT_TRUE(Invalid(global.m, "unknown global 0"));
}

// Hand-built modules that break the decoder's invariants are rejected, not trusted.
TEST(Validate, InconsistentModules) {
  Builder b;
  b.func({}, {}, {End});
  b.m.codes.clear();
  EXPECT_TRUE(validate(b.m));
  Builder g;
  g.m.globals.push_back(GlobalType{kI32, false});
  EXPECT_TRUE(validate(g.m));
  Builder body;
  body.func({}, {}, {End});
  body.m.codes[0].body_end = 1000;
  EXPECT_TRUE(validate(body.m));
}

// ---- through the decoder -------------------------------------------------------------------

// wat2wasm of: an imported global, memory, table, mutable global, active element and data
// segments, a recursive factorial (if/else), call_indirect, a multi-value block with
// br_table, ref.func, memory access and a saturating truncation.
const uint8_t kSample[] = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x0a, 0x02, 0x60, 0x01, 0x7f, 0x01,
    0x7f, 0x60, 0x00, 0x01, 0x7f, 0x02, 0x0a, 0x01, 0x03, 0x65, 0x6e, 0x76, 0x01, 0x67, 0x03,
    0x7f, 0x00, 0x03, 0x04, 0x03, 0x00, 0x00, 0x01, 0x04, 0x04, 0x01, 0x70, 0x00, 0x02, 0x05,
    0x03, 0x01, 0x00, 0x01, 0x06, 0x06, 0x01, 0x7e, 0x01, 0x42, 0x00, 0x0b, 0x07, 0x0d, 0x02,
    0x03, 0x66, 0x61, 0x63, 0x00, 0x00, 0x03, 0x72, 0x75, 0x6e, 0x00, 0x02, 0x09, 0x08, 0x01,
    0x00, 0x41, 0x00, 0x0b, 0x02, 0x00, 0x01, 0x0a, 0x57, 0x03, 0x17, 0x00, 0x20, 0x00, 0x41,
    0x02, 0x48, 0x04, 0x7f, 0x41, 0x01, 0x05, 0x20, 0x00, 0x20, 0x00, 0x41, 0x01, 0x6b, 0x10,
    0x00, 0x6c, 0x0b, 0x0b, 0x04, 0x00, 0x20, 0x00, 0x0b, 0x38, 0x00, 0x23, 0x00, 0xad, 0x24,
    0x01, 0x41, 0x00, 0x41, 0x00, 0x2f, 0x01, 0x04, 0x3a, 0x00, 0x00, 0x41, 0x01, 0x40, 0x00,
    0x1a, 0x41, 0x07, 0x41, 0x05, 0x41, 0x01, 0x11, 0x00, 0x00, 0x02, 0x00, 0x41, 0x00, 0x0e,
    0x01, 0x00, 0x00, 0x0b, 0x6a, 0xd2, 0x01, 0x1a, 0x44, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0xf8, 0x3f, 0xfc, 0x02, 0x6a, 0x0b, 0x0b, 0x08, 0x01, 0x00, 0x41, 0x08, 0x0b, 0x02, 0x68,
    0x69};

TEST(Validate, DecodedModule) {
  Module m;
  ASSERT_FALSE(decode(kSample, m));
  EXPECT_TRUE(Valid(m));
  // Corrupt `i32.mul` (0x6c) in the factorial into `i64.mul`: now invalid.
  std::vector<uint8_t> bad(std::begin(kSample), std::end(kSample));
  bool patched = false;
  for (size_t i = 0; i + 1 < bad.size(); ++i) {
    if (bad[i] == 0x10 && bad[i + 1] == 0x00 && bad[i + 2] == 0x6c) {
      bad[i + 2] = 0x7e;
      patched = true;
      break;
    }
  }
  ASSERT_TRUE(patched);
  Module m2;
  ASSERT_FALSE(decode(bad, m2));
  auto e = validate(m2);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->kind, LoadError::Kind::Invalid);
  EXPECT_EQ(e->func, 0u);  // fac: the only import is a global
}

}  // namespace
}  // namespace isola::wasm
