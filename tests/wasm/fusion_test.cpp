// The interpreter's fused and immediate instruction forms, at their edges
// (tests/wasm/wat/fusion.wat). Each expectation is worked out from the spec's semantics.
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstring>

#include "isola/engine.hpp"
#include "test_modules.hpp"

namespace {

using isola::Value;

class FusionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(isola::test::instantiate(engine_, store_, "fusion.wasm", module_, inst_), "");
  }
  std::vector<Value> call(const char* name, std::initializer_list<Value> args) {
    auto r = inst_.get_func(name).call(store_, args);
    EXPECT_TRUE(r.ok()) << name << ": " << (r.ok() ? "" : r.error().to_string());
    return r.ok() ? *r : std::vector<Value>{};
  }
  uint32_t u32(const char* name, std::initializer_list<Value> args) {
    auto r = call(name, args);
    return r.empty() ? 0xdeadu : static_cast<uint32_t>(r[0].i32());
  }
  uint64_t u64(const char* name, std::initializer_list<Value> args) {
    auto r = call(name, args);
    return r.empty() ? 0xdeadu : static_cast<uint64_t>(r[0].i64());
  }
  static Value I(uint32_t v) { return Value::i32(static_cast<int32_t>(v)); }
  static Value L(uint64_t v) { return Value::i64(static_cast<int64_t>(v)); }

  isola::Engine engine_;
  isola::Store store_{engine_};
  std::unique_ptr<isola::Module> module_;
  isola::Instance inst_;
};

// The tests below only mean something if the lowering really chose these forms.
TEST_F(FusionTest, LoweringChoosesTheFusedForms) {
  const std::pair<uint32_t, const char*> expected[] = {
      {0, "I32LoadAdd "},      {1, "I32Load8SAddImm "}, {2, "I64LoadAddImm "}, {3, "I32StoreAdd "},
      {4, "I32Store8AddImm "}, {5, "I64StoreImm "},     {7, "I32Store16Imm "}, {8, "I32XorShl "},
      {9, "I32OrShrU "},       {10, "I32AddShl "},      {11, "I64AddShrU "},   {12, "I64XorShl "},
      {15, "I64LtUImm "},      {17, "I32RotlImm "},     {18, "I64RotrImm "},   {19, "I64MulImm "},
      {20, "BrI32LtS "},       {21, "BrI64GtSImm "},    {22, "BrI32LtU "},     {23, "BrI64Nez "},
      {28, "F64MulLoad "},     {29, "F64SubLoad "},     {31, "I32AddLoad "},     {32, "I32LoadIdx "},
      {33, "I32XorRotl "},     {34, "I32Add3 "},        {35, "Copy2 "},      {37, "F64DivImm "},
      {38, "F32SubImm "},      {39, "I32AddImm2 "},     {40, "I32AddImm2 "},
      {41, "IncLoopBrI32LtU "}, {42, "IncLoopBr "},     {43, "AddImmThenI32Load "},
      {44, "F64MulAdd "},       {45, "F64AddMul "},     {46, "F64SubMul "},    {47, "F64MulSub "},
      {48, "F64MulMulL "},      {49, "F64MulMulR "},    {50, "I64NeImm "},     {51, "I32GeS "},
      {52, "LoopBrI64NeImm "},  {55, "F64AddLoadStore "}, {56, "I32Store8ImmAdd "}, {57, "I32StoreImmAdd "},
      {58, "I32DivUImm "},      {59, "I32RemUImm "},    {60, "I32DivSImm "},   {61, "I32RemSImm "},
      {62, "I32DivS "},         {63, "I32RemU "},       {64, "I64MulImmW "},   {64, "I64XorImmW "},
      {64, "I64AddImmW "},      {64, "I64AndImmW "},    {64, "I64OrImmW "},    {65, "SelectImmA "},
      {66, "SelectImmB "},      {67, "SelectImmA "},    {68, "SelectImmB "},   {69, "LoopBrF64LeImm "},
      {70, "F64LtImm "},        {70, "F64NeImm "},      {71, "BrF64Lt "},      {73, "BrI32NoneImm "},
      {73, "LoopBrI32NoneImm "}, {74, "BrI32AnyImm "},  {75, "I32AddShlImm "},
      {76, "F64ImmDiv "},       {76, "F64ImmSub "},
  };
  // An op named "X " may also appear as an accumulator variant, "X_A<k> " (code.hpp).
  auto has = [&](uint32_t func, std::string op) {
    std::string d = module_->disassemble(func);
    if (d.find(op) != std::string::npos) return true;
    op.back() = '_';
    return d.find(op + "A") != std::string::npos;
  };
  for (const auto& [func, op] : expected) EXPECT_TRUE(has(func, op)) << "function " << func << " lacks " << op;
  // Immediates that do not fit a sign-extended 32-bit field take the general forms.
  EXPECT_EQ(module_->disassemble(6).find("I64StoreImm"), std::string::npos);
  EXPECT_EQ(module_->disassemble(16).find("I64EqImm"), std::string::npos);
  EXPECT_EQ(module_->disassemble(36).find("Copy2"), std::string::npos);  // a label between
  // Function 40: the step before the loop head stays alone, the two in the loop merge.
  std::string f40 = module_->disassemble(40);
  EXPECT_TRUE(has(40, "I32AddImm ")) << f40;
  EXPECT_EQ(f40.find("I32AddImm2 "), f40.rfind("I32AddImm2 ")) << f40;
  for (uint32_t plain : {53u, 54u}) {
    std::string f = module_->disassemble(plain);
    EXPECT_EQ(f.find("F64MulAdd"), std::string::npos) << f;
    EXPECT_EQ(f.find("F64AddMul"), std::string::npos) << f;
  }
  // Subtraction does not commute: a loaded left operand stays a separate load.
  EXPECT_EQ(module_->disassemble(30).find("F64SubLoad"), std::string::npos);
}

TEST_F(FusionTest, FusedAddressesWrapAt32BitsBeforeTheOffset) {
  EXPECT_EQ(u32("load_add", {I(0xFFFFFFF0u), I(0x20)}), 0x88776655u);  // (p+q) = 0x10, +4
  EXPECT_EQ(u32("load_add", {I(10), I(0xFFFFFFFFu)}), 0x11000000u);    // 9 + 4 = 13
  EXPECT_EQ(u32("load8s_add_imm", {I(28)}), 0xFFFFFF99u);               // sign-extended 0x99
  EXPECT_EQ(u64("load64_add_imm", {I(11)}), 0x8877665544332211ull);
  EXPECT_EQ(u64("load64_add_imm", {I(0xFFFFFFFEu)}), 0u);               // wraps to 1, +2 = 3
  auto trap = inst_.get_func("load8s_add_imm").call(store_, {I(2)});    // 2 - 4 wraps: out of bounds
  ASSERT_FALSE(trap.ok());
  EXPECT_EQ(trap.error().kind, isola::TrapKind::MemoryOutOfBounds);
  EXPECT_EQ(u32("store_add", {I(0xFFFFFFF0u), I(0x20), I(0xCAFEBABEu)}), 0xCAFEBABEu);
  EXPECT_EQ(u32("store8_add_imm", {I(200), I(0x1FF)}), 0xFFu);
}

TEST_F(FusionTest, DivisionByConstants) {
  for (uint32_t x : {0u, 1u, 6u, 7u, 8u, 100u, 0x7fffffffu, 0x80000000u, 0xfffffff9u, 0xffffffffu}) {
    EXPECT_EQ(u32("div_u_7", {I(x)}), x / 7u) << x;
    EXPECT_EQ(u32("rem_u_big", {I(x)}), x % 0xfffffffbu) << x;
    const int32_t s = static_cast<int32_t>(x);
    EXPECT_EQ(static_cast<int32_t>(u32("div_s_m3", {I(x)})), s / -3) << s;
    EXPECT_EQ(static_cast<int32_t>(u32("rem_s_10", {I(x)})), s % 10) << s;  // sign of the dividend
  }
  EXPECT_EQ(u32("div_s_m1", {I(5)}), static_cast<uint32_t>(-5));
  auto overflow = inst_.get_func("div_s_m1").call(store_, {I(0x80000000u)});
  ASSERT_FALSE(overflow.ok());
  EXPECT_EQ(overflow.error().kind, isola::TrapKind::IntegerOverflow);
  auto by_zero = inst_.get_func("rem_u_0").call(store_, {I(5)});
  ASSERT_FALSE(by_zero.ok());
  EXPECT_EQ(by_zero.error().kind, isola::TrapKind::IntegerDivideByZero);
}

TEST_F(FusionTest, WideImmediatesSelectsAndFloatCompares) {
  for (uint64_t x : {0ull, 1ull, 0xffffffffffffffffull, 0x8000000000000000ull, 0x123456789ull}) {
    uint64_t want = ((((x * 0x9e3779b97f4a7c15ull) ^ 0x0123456789abcdefull) + 0x7fffffff00000001ull) &
                     0x0ffffffff0f0f0f0ull) | 0x1000000000000000ull;
    EXPECT_EQ(u64("wide_ops", {L(x)}), want) << x;
  }
  EXPECT_EQ(u32("select_imm_a", {I(5), I(1)}), 0u);
  EXPECT_EQ(u32("select_imm_a", {I(5), I(0)}), 5u);
  EXPECT_EQ(u32("select_imm_b", {I(5), I(2)}), 5u);
  EXPECT_EQ(u32("select_imm_b", {I(5), I(0)}), 7u);
  EXPECT_EQ(u64("select_imm_i64", {L(3), I(1)}), 0xffffffffull);  // zero-extended, not -1
  EXPECT_EQ(u64("select_imm_i64", {L(3), I(0)}), 3u);
  auto f32 = [&](float x, uint32_t c) {
    auto r = call("select_imm_f32", {Value::f32(x), I(c)});
    return r.empty() ? 0u : std::bit_cast<uint32_t>(r[0].f32());
  };
  EXPECT_EQ(f32(2.5f, 1), std::bit_cast<uint32_t>(2.5f));
  EXPECT_EQ(f32(2.5f, 0), std::bit_cast<uint32_t>(-1.5f));
  EXPECT_EQ(u32("count_to_4", {Value::f64(0.0)}), 5u);  // x = 1, 2, 3, 4 <= 4 loop; 5 is not
  EXPECT_EQ(u32("count_to_4", {Value::f64(3.5)}), 1u);
  EXPECT_EQ(u32("count_to_4", {Value::f64(std::nan(""))}), 1u);  // NaN <= 4 is false
  // bits: lt le gt ge eq ne, against 0.0
  EXPECT_EQ(u32("f64_cmp_zero", {Value::f64(-1.0)}), 0b100011u);
  EXPECT_EQ(u32("f64_cmp_zero", {Value::f64(-0.0)}), 0b011010u);
  EXPECT_EQ(u32("f64_cmp_zero", {Value::f64(2.0)}), 0b101100u);
  EXPECT_EQ(u32("f64_cmp_zero", {Value::f64(std::nan(""))}), 0b100000u);
  EXPECT_EQ(u32("br_f64_lt", {Value::f64(1.0), Value::f64(2.0)}), 1u);
  EXPECT_EQ(u32("br_f64_lt", {Value::f64(2.0), Value::f64(2.0)}), 0u);
  EXPECT_EQ(u32("br_f64_lt", {Value::f64(std::nan("")), Value::f64(2.0)}), 0u);
  EXPECT_EQ(u32("if_f64_ge", {Value::f64(2.0), Value::f64(2.0)}), 1u);
  EXPECT_EQ(u32("if_f64_ge", {Value::f64(1.0), Value::f64(2.0)}), 0u);
  EXPECT_EQ(u32("if_f64_ge", {Value::f64(2.0), Value::f64(std::nan(""))}), 0u);  // not "!(a < b)"
}

TEST_F(FusionTest, ArithmeticWithALoadedOperand) {
  auto f64 = [&](const char* name, uint32_t p, double x) {
    auto r = call(name, {I(p), Value::f64(x)});
    return r.empty() ? -1.0 : r[0].f64();
  };
  EXPECT_EQ(f64("f64_mul_load", 32, 4.0), 10.0);      // 4 * 2.5
  EXPECT_EQ(f64("f64_sub_load", 32, 4.0), 3.5);       // 4 - 0.5
  EXPECT_EQ(f64("f64_sub_load_left", 32, 4.0), -1.5); // 2.5 - 4
  EXPECT_EQ(u32("i32_add_load", {I(16), I(1)}), 0x44332212u);
  auto trap = inst_.get_func("f64_mul_load").call(store_, {I(65535), Value::f64(1.0)});
  ASSERT_FALSE(trap.ok());
  EXPECT_EQ(trap.error().kind, isola::TrapKind::MemoryOutOfBounds);
}

TEST_F(FusionTest, IndexedLoadsRotatesSumsAndCopies) {
  EXPECT_EQ(u32("load_idx", {I(0xFFFFFFF0u), I(8)}), 0x88776655u);  // (base + 32) wraps to 0x10, +4
  EXPECT_EQ(u32("xor_rotl", {I(1), I(0x80000001u)}), 1u ^ 0x180u);
  EXPECT_EQ(u32("add3", {I(0xFFFFFFFFu), I(2), I(3)}), 4u);
  auto sw = call("swap", {I(7), I(9)});
  ASSERT_EQ(sw.size(), 2u);
  EXPECT_EQ(sw[0].i32(), 9);
  EXPECT_EQ(sw[1].i32(), 7);
  EXPECT_EQ(u32("copy_label", {I(5)}), 1u);
  EXPECT_EQ(u32("add_imm_pair", {I(1), I(99)}), (6u << 16) ^ 3u);
  EXPECT_EQ(u32("add_imm_pair", {I(0xFFFFFFFFu), I(0)}), (4u << 16) ^ 1u);  // wraps
  EXPECT_EQ(u32("add_imm_label", {I(3)}), 7u);
  EXPECT_EQ(u32("inc_loop_label", {I(10)}), 50u);  // 100 if the odd i's jump ran the add
  EXPECT_EQ(u32("inc_loop_label", {I(1)}), 0u);
  EXPECT_EQ(u32("inc_loop_br", {I(10)}), 22u);     // 10 + 7 + 4 + 1
  EXPECT_EQ(u32("inc_loop_br", {I(0)}), 0u);
  EXPECT_EQ(u32("add_then_load", {I(12)}), 0x44332211u);  // the bytes at 16
  auto trap = inst_.get_func("add_then_load").call(store_, {I(65533)});
  ASSERT_FALSE(trap.ok());
  EXPECT_EQ(trap.error().kind, isola::TrapKind::MemoryOutOfBounds);
}

TEST_F(FusionTest, FloatImmediates) {
  auto r = call("f64_div_imm", {Value::f64(10.0)});
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].f64(), 2.5);
  r = call("f32_sub_imm", {Value::f32(1.0f)});
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].f32(), 0.75f);
  // A NaN operand stays a NaN with its payload's quiet form, as in the general form.
  r = call("f64_div_imm", {Value::f64_bits(0x7FF0000000001234ull)});
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].bits() & 0x7FF8000000000000ull, 0x7FF8000000000000ull);
}

TEST_F(FusionTest, ConstantStores) {
  EXPECT_EQ(u64("store_imm64", {I(400)}), 0xFFFFFFFFFFFFFFFEull);  // sign-extended immediate
  EXPECT_EQ(u64("store_big64", {I(400)}), 0x100000002ull);         // too wide for an immediate
  EXPECT_EQ(u32("store16_imm", {I(500)}), 0x2345u);                // truncated to 16 bits
}

TEST_F(FusionTest, ShiftedOperands) {
  EXPECT_EQ(u32("xor_shl32", {I(1), I(3)}), 1u ^ (3u << 3));  // shift count 35 mod 32
  EXPECT_EQ(u32("or_shru32", {I(1), I(0xF0)}), 0xFu);
  EXPECT_EQ(u32("add_shl32", {I(0xFFFFFFFFu), I(1)}), 3u);
  EXPECT_EQ(u64("add_shru64", {L(1), L(0x100)}), 0x81u);       // shift count 65 mod 64
  EXPECT_EQ(u64("xor_shl64", {L(1), L(3)}), 1ull ^ (3ull << 40));
}

TEST_F(FusionTest, Immediates) {
  EXPECT_EQ(u32("sub_min", {I(5)}), 0x80000005u);
  EXPECT_EQ(u64("sub64_min", {L(5)}), 0x8000000000000005ull);
  EXPECT_EQ(u32("lt_u64_minus1", {L(5)}), 1u);
  EXPECT_EQ(u32("lt_u64_minus1", {L(~0ull)}), 0u);
  EXPECT_EQ(u32("eq64_2p31", {L(0x80000000ull)}), 1u);
  EXPECT_EQ(u32("eq64_2p31", {L(0xFFFFFFFF80000000ull)}), 0u);
  EXPECT_EQ(u32("rotl_imm", {I(0x80000001u)}), 0x18u);  // rotate count 36 mod 32
  EXPECT_EQ(u64("rotr64_imm", {L(0x0102030405060708ull)}), 0x0801020304050607ull);
  EXPECT_EQ(u64("mul64_imm", {L(5)}), static_cast<uint64_t>(-15));
}

TEST_F(FusionTest, BitTestsBranchOnAnySetBit) {
  // Reference: for each i in 0..n-1, +1 if odd, +2 if bit 2 or 3 is set.
  for (uint32_t n : {0u, 1u, 2u, 5u, 16u, 37u}) {
    uint32_t want = 0;
    for (uint32_t i = 0; i < n; ++i) want += (i & 1) + ((i & 12) ? 2 : 0);
    EXPECT_EQ(u32("bit_tests", {I(n)}), want) << n;
  }
  EXPECT_EQ(u32("bit_set", {I(0x80000000u), I(5)}), 0xFFFFFFFFu);
  EXPECT_EQ(u32("bit_set", {I(0x7FFFFFFFu), I(5)}), 5u);
}

TEST_F(FusionTest, ConstantsOnTheLeftOfF64SubAndDiv) {
  auto f = [&](double x) {
    auto r = inst_.get_func("ten_minus_inverse").call(store_, {Value::f64(x)});
    EXPECT_TRUE(r.ok());
    return r.ok() ? (*r)[0].f64() : 0.0;
  };
  // Compared with the same operations in C++, operand order included.
  for (double x : {4.0, 3.0, -7.0, 1e-300, 0.1}) {
    volatile double one = 1.0, ten = 10.0;
    EXPECT_EQ(f(x), ten - one / x) << x;
  }
  EXPECT_EQ(f(0.0), -INFINITY);
  EXPECT_EQ(f(-0.0), INFINITY);
  EXPECT_EQ(f(INFINITY), 10.0);
  EXPECT_TRUE(std::isnan(f(std::nan(""))));
}

TEST_F(FusionTest, ShiftedAddThenConstant) {
  EXPECT_EQ(u32("add_shl_then_imm", {I(1000), I(7)}), 1000u + 56 + 100);
  EXPECT_EQ(u32("add_shl_then_imm", {I(0xFFFFFFF0u), I(0x20000001u)}), 0xFFFFFFF0u + 8 + 100);  // wraps
}

TEST_F(FusionTest, CompareAndBranch) {
  EXPECT_EQ(u32("count_lt_s", {I(5)}), 5u);
  EXPECT_EQ(u32("count_lt_s", {I(static_cast<uint32_t>(-3))}), 1u);
  EXPECT_EQ(u64("count_down64", {L(0)}), 3u);
  EXPECT_EQ(u32("if_ge_u", {I(0xFFFFFFFFu), I(1)}), 1u);
  EXPECT_EQ(u32("if_ge_u", {I(1), I(2)}), 0u);
  EXPECT_EQ(u32("if_eqz64", {L(0)}), 7u);
  EXPECT_EQ(u32("if_eqz64", {L(1ull << 40)}), 9u);
}

TEST_F(FusionTest, LocalWritesKeepPendingReads) {
  EXPECT_EQ(u32("swap_sum", {I(5), I(3)}), static_cast<uint32_t>(-3));
  auto tee = call("tee_keep", {I(4)});
  ASSERT_EQ(tee.size(), 2u);
  EXPECT_EQ(tee[0].i32(), 4);
  EXPECT_EQ(tee[1].i32(), 12);
  auto swap = call("ret_swap", {I(1), I(2)});
  ASSERT_EQ(swap.size(), 2u);
  EXPECT_EQ(swap[0].i32(), 2);
  EXPECT_EQ(swap[1].i32(), 1);
  for (uint32_t i : {0u, 1u, 2u, 7u}) {
    auto r = call("br_table_vals", {I(i)});
    ASSERT_EQ(r.size(), 2u) << i;
    EXPECT_EQ(r[0].i32(), 10) << i;
    EXPECT_EQ(r[1].i64(), 20) << i;
  }
}

// Each fused product is rounded before the add, sub or mul (no FMA): with a = 1 + 2^-30 and
// b = 1 - 2^-30 the exact product 1 - 2^-60 rounds to 1, so a*b - 1 is 0, where an FMA
// would give -2^-60.
TEST_F(FusionTest, ProductsAreRoundedAndKeepOperandOrder) {
  auto f64 = [&](const char* name, double a, double b, double c) {
    auto r = call(name, {Value::f64(a), Value::f64(b), Value::f64(c)});
    return r.empty() ? -1.0 : r[0].f64();
  };
  const double a = 1 + std::ldexp(1.0, -30), b = 1 - std::ldexp(1.0, -30);
  for (const char* name : {"f64_mul_add", "f64_add_mul"}) {
    EXPECT_EQ(f64(name, a, b, -1.0), 0.0) << name;
    EXPECT_EQ(f64(name, 3.0, 4.0, 0.5), 12.5) << name;
  }
  EXPECT_EQ(f64("f64_sub_mul", a, b, 1.0), 0.0);
  EXPECT_EQ(f64("f64_sub_mul", 3.0, 4.0, 0.5), -11.5);
  EXPECT_EQ(f64("f64_mul_sub", a, b, 1.0), 0.0);
  EXPECT_EQ(f64("f64_mul_sub", 3.0, 4.0, 0.5), 11.5);
  EXPECT_TRUE(std::isnan(f64("f64_mul_mul_l", 1e300, 1e300, 0.0)));  // (1e300*1e300) = inf, * 0
  EXPECT_TRUE(std::isnan(f64("f64_mul_mul_r", 1e300, 1e300, 0.0)));
  EXPECT_EQ(f64("f64_mul_mul_l", 1e300, 1e-300, 1e300), 1e300);      // not 1e300 * (1e-300 * 1e300)
  EXPECT_EQ(f64("f64_mul_mul_r", 2.0, 3.0, 5.0), 30.0);
  // Two NaNs with different payloads: the spec lets the result carry either one (which one
  // the C++ compiler's operand order picks, for fused and separate forms alike).
  const uint64_t p1 = 0x7ff8000000000001ull, p2 = 0x7ff8000000000002ull;
  const double n1 = std::bit_cast<double>(p1), n2 = std::bit_cast<double>(p2);
  for (const char* name : {"f64_mul_add", "f64_add_mul", "f64_sub_mul", "f64_mul_sub", "f64_mul_mul_l",
                           "f64_mul_mul_r", "f64_mul_add_plain", "f64_add_mul_plain"}) {
    uint64_t bits = std::bit_cast<uint64_t>(f64(name, n1, 1.0, n2));
    EXPECT_TRUE(bits == p1 || bits == p2) << name << ": " << std::hex << bits;
  }
}

TEST_F(FusionTest, EqzOfCompares) {
  EXPECT_EQ(u32("eqz_eqz64", {L(0)}), 0u);
  EXPECT_EQ(u32("eqz_eqz64", {L(1ull << 40)}), 1u);
  EXPECT_EQ(u32("eqz_lt_s", {I(1), I(2)}), 0u);
  EXPECT_EQ(u32("eqz_lt_s", {I(2), I(2)}), 1u);
  EXPECT_EQ(u32("eqz_lt_s", {I(0x80000000u), I(1)}), 0u);  // signed: INT32_MIN < 1
  EXPECT_EQ(u32("shifts_to_zero", {L(0)}), 1u);
  EXPECT_EQ(u32("shifts_to_zero", {L(5)}), 3u);
  EXPECT_EQ(u32("shifts_to_zero", {L(1ull << 63)}), 64u);
}

TEST_F(FusionTest, LoadAddStoreAndConstantStoresAtASum) {
  auto f64 = [&](uint32_t from, uint32_t to, double x) {
    auto r = call("f64_add_load_store", {I(from), I(to), Value::f64(x)});
    return r.empty() ? -1.0 : r[0].f64();
  };
  uint8_t* mem = inst_.get_memory("memory").data();
  const double stored = 2.25;
  std::memcpy(mem + 400, &stored, sizeof stored);
  EXPECT_EQ(f64(400, 600, 1.5), 3.75);  // mem[608] = 1.5 + mem[400]
  EXPECT_EQ(f64(400, 392, 1.0), 3.25);  // the store lands on the loaded value's bytes (400)
  // The load traps before the store happens; a bad store address traps after the load.
  std::memcpy(mem + 700, &stored, sizeof stored);
  auto trap = inst_.get_func("f64_add_load_store").call(store_, {I(65535), I(700), Value::f64(1.0)});
  ASSERT_FALSE(trap.ok());
  EXPECT_EQ(trap.error().kind, isola::TrapKind::MemoryOutOfBounds);
  double untouched;
  std::memcpy(&untouched, mem + 708, sizeof untouched);
  EXPECT_EQ(untouched, 0.0);
  trap = inst_.get_func("f64_add_load_store").call(store_, {I(400), I(65530), Value::f64(1.0)});
  ASSERT_FALSE(trap.ok());
  EXPECT_EQ(trap.error().kind, isola::TrapKind::MemoryOutOfBounds);

  EXPECT_EQ(u32("store8_imm_add", {I(0xFFFFFFF0u), I(0x110)}) & 0xFFu, 0xABu);  // (a+b) wraps to 0x100, +1
  EXPECT_EQ(mem[0x101], 0xAB);
  EXPECT_EQ(u32("store_imm_add", {I(500), I(4)}), 0xDEADBEEFu);
  trap = inst_.get_func("store_imm_add").call(store_, {I(65534), I(0)});
  ASSERT_FALSE(trap.ok());
  EXPECT_EQ(trap.error().kind, isola::TrapKind::MemoryOutOfBounds);
}

}  // namespace
