// Address arithmetic kept symbolic until a load or store takes it (lower.cpp, Entry::Sum),
// loads stored unchanged as one move, funnel shifts, and `c[j] += x * b[k]` as one
// instruction (code.hpp): which forms the lowering chooses, and that each computes what the
// separate wasm instructions would, traps included, in both memory modes.
// Module: tests/wasm/wat/address_fusion.wat.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <regex>
#include <string>

#include "isola/engine.hpp"
#include "test_modules.hpp"

namespace {

using isola::Value;

class AddressFusionTest : public ::testing::TestWithParam<isola::Engine::MemoryMode> {
 protected:
  AddressFusionTest() : engine_(config()), store_(engine_) {}
  static isola::Engine::Config config() {
    isola::Engine::Config c;
    c.memory_mode = GetParam();
    return c;
  }
  void SetUp() override {
    ASSERT_EQ(isola::test::instantiate(engine_, store_, "address_fusion.wasm", module_, inst_), "");
    mem_ = inst_.memory();
    ASSERT_TRUE(mem_);
  }
  auto run(const char* name, std::initializer_list<Value> args) { return inst_.get_func(name).call(store_, args); }
  uint32_t u32(const char* name, std::initializer_list<Value> args) {
    auto r = run(name, args);
    EXPECT_TRUE(r.ok()) << name << ": " << (r.ok() ? "" : r.error().to_string());
    return r.ok() && !r->empty() ? static_cast<uint32_t>((*r)[0].i32()) : 0xdeadu;
  }
  void call(const char* name, std::initializer_list<Value> args) {
    auto r = run(name, args);
    EXPECT_TRUE(r.ok()) << name << ": " << (r.ok() ? "" : r.error().to_string());
  }
  void expect_oob(const char* name, std::initializer_list<Value> args) {
    auto r = run(name, args);
    ASSERT_FALSE(r.ok()) << name << " did not trap";
    EXPECT_EQ(r.error().kind, isola::TrapKind::MemoryOutOfBounds) << r.error().to_string();
  }
  static Value I(uint32_t v) { return Value::i32(static_cast<int32_t>(v)); }
  static Value D(double v) { return Value::f64(v); }
  uint32_t at32(uint64_t a) { return mem_.load<uint32_t>(a).value_or(0xdeadu); }
  uint8_t at8(uint64_t a) { return mem_.load<uint8_t>(a).value_or(0xde); }
  double at_f64(uint64_t a) { return mem_.load<double>(a).value_or(-1.0); }
  // Whether function `func`'s code has operation `op`, plain or as an accumulator variant.
  bool has(uint32_t func, const std::string& op) {
    std::string d = module_->disassemble(func);
    return d.find(" " + op + " ") != std::string::npos || d.find(" " + op + "_A") != std::string::npos;
  }

  isola::Engine engine_;
  isola::Store store_;
  std::unique_ptr<isola::Module> module_;
  isola::Instance inst_;
  isola::Memory mem_;
};

// Whether function `func` computes `local = base + k` with an I32AddImm of its own.
#define COMPUTES(func, local, base, k)                                                             \
  std::regex_search(module_->disassemble(func),                                                   \
                    std::regex("I32AddImm(_A[0-9])? +" #local " " #base " " #k " "))

// The tests below only mean something if the lowering really chose these forms.
TEST_P(AddressFusionTest, LoweringChoosesTheForms) {
  EXPECT_TRUE(has(0, "I32StoreAddImm"));
  EXPECT_FALSE(has(0, "I32AddImm")) << module_->disassemble(0);  // p + 4 was never computed alone
  EXPECT_TRUE(has(1, "I32AddImm"));  // it had to be, before p changed
  EXPECT_TRUE(has(2, "I32Load8UAddImm"));
  EXPECT_FALSE(has(2, "I32AddImm")) << module_->disassemble(2);
  EXPECT_TRUE(has(3, "I32AddImm2"));
  EXPECT_TRUE(has(8, "Move32"));
  EXPECT_TRUE(has(9, "Move8"));
  EXPECT_TRUE(has(10, "Move16"));
  EXPECT_TRUE(has(11, "Move64"));
  EXPECT_TRUE(has(12, "Move64"));
  EXPECT_TRUE(has(13, "I32ShlOrShrU"));
  EXPECT_TRUE(has(14, "I32ShrUOrShl"));
  for (uint32_t f : {15u, 16u}) EXPECT_TRUE(has(f, "F64MulAddLoadStore")) << module_->disassemble(f);
  EXPECT_TRUE(has(17, "I32AddShlImm"));
  for (uint32_t f : {18u, 20u, 21u}) EXPECT_TRUE(has(f, "I32AddImmLoadStore")) << module_->disassemble(f);
  EXPECT_TRUE(has(19, "I32AddLoadStore")) << module_->disassemble(19);
  EXPECT_TRUE(has(23, "F64LoadSubStore")) << module_->disassemble(23);
  EXPECT_TRUE(has(24, "F64AddLoadStore")) << module_->disassemble(24);
  EXPECT_TRUE(has(25, "F64LoadSub")) << module_->disassemble(25);
  EXPECT_FALSE(has(17, "I32AddImm")) << module_->disassemble(17);
}

TEST_P(AddressFusionTest, SumAddressesWrapAndTrapLikeTheAdd) {
  call("sum_store", {I(100), I(5)});
  EXPECT_EQ(at32(106), 15u);
  call("sum_store", {I(0xFFFFFFFCu), I(7)});  // p + 4 wraps to 0; + 2
  EXPECT_EQ(at32(2), 21u);
  call("sum_store", {I(65536 - 10), I(3)});  // the last 4 bytes
  EXPECT_EQ(at32(65532), 9u);
  expect_oob("sum_store", {I(65536 - 9), I(3)});
  expect_oob("sum_store", {I(0xFFFFFFF0u), I(3)});  // no wrap: (p + 4) + 2 is far out
}

TEST_P(AddressFusionTest, SumTakesTheLocalAsItWasWhenAdded) {
  EXPECT_EQ(u32("sum_old_local", {I(40)}), 200u);
  EXPECT_EQ(at32(48), 200u);
  EXPECT_EQ(at32(208), 0u);
}

TEST_P(AddressFusionTest, SumsFoldAndWrap) {
  // bytes at 16.. are 01 02 03 04 ...: (p + 2) and p
  EXPECT_EQ(u32("sum_fold", {I(16)}), 3u * 256 + 1);
  EXPECT_EQ(u32("sum_fold", {I(20)}), 7u * 256 + 5);
  EXPECT_EQ(u32("sum_set", {I(10)}), 28u);
  EXPECT_EQ(u32("sum_set", {I(0xFFFFFFFFu)}), 6u);  // (p + 1) + (p + 7) mod 2^32
}

TEST_P(AddressFusionTest, SumsCrossBranchesAndReturns) {
  EXPECT_EQ(u32("sum_br", {I(4), I(1)}), 700u + 9);
  EXPECT_EQ(u32("sum_br", {I(4), I(0)}), 700u + 9);
  EXPECT_EQ(u32("sum_br", {I(10), I(1)}), 1300u + 15);
  EXPECT_EQ(u32("sum_return", {I(1)}), 0xFFFFFFFFu);
  auto r = run("sum_return2", {I(41)});
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->size(), 2u);
  EXPECT_EQ((*r)[0].i32(), 42);
  EXPECT_EQ((*r)[1].i32(), 43);
  EXPECT_EQ(u32("sum_if", {I(5), I(0)}), 20u);
  EXPECT_EQ(u32("sum_if", {I(5), I(1)}), 1015u);
}

TEST_P(AddressFusionTest, MovesCopyExactlyTheLoadedBytes) {
  call("move32", {I(17), I(16)});  // overlapping: the load happens before the store
  const uint8_t want[] = {1, 1, 2, 3, 4, 6, 7, 8};
  for (uint32_t i = 0; i < 8; ++i) EXPECT_EQ(at8(16 + i), want[i]) << i;
  call("move8s", {I(100), I(17)});  // byte at 17 + 4 + 3 = 24 (0x80) to 100 + 2 + 1
  EXPECT_EQ(at8(103), 0x80);
  EXPECT_EQ(at8(102), 0);
  EXPECT_EQ(at8(104), 0);
  call("move16", {I(200), I(23)});  // bytes 25, 26: fe 0b
  EXPECT_EQ(at32(200), 0x0bfeu);
  call("move64", {I(300), I(8)});  // 8 bytes at 24 to 316
  EXPECT_EQ(mem_.load<uint64_t>(316).value_or(0), 0x100f0e0d0c0bfe80ull);
  // A signalling NaN's bits pass through f64 load and store unchanged.
  const uint64_t snan = 0x7ff4000000000001ull;
  ASSERT_TRUE(mem_.store<uint64_t>(400, snan));
  call("move_f64", {I(408), I(400)});
  EXPECT_EQ(mem_.load<uint64_t>(408).value_or(0), snan);
}

TEST_P(AddressFusionTest, MovesTrapOnEitherSideAndStoreNothingWhenTheLoadTraps) {
  ASSERT_TRUE(mem_.store<uint32_t>(500, 0x11223344u));
  expect_oob("move32", {I(500), I(65533)});
  EXPECT_EQ(at32(500), 0x11223344u);
  expect_oob("move32", {I(65533), I(500)});
  expect_oob("move64", {I(65536 - 16), I(0)});  // (d + 8) + 8 + 8 bytes is one past
  call("move64", {I(65536 - 24), I(0)});
  expect_oob("move8s", {I(0), I(65536 - 7)});  // (s + 4) + 3 is one past the end
  ASSERT_TRUE(mem_.store<uint8_t>(3, 0x5a));
  call("move8s", {I(10), I(0xFFFFFFFCu)});  // (s + 4) wraps to 0, + 3: byte 3 to 13
  EXPECT_EQ(at8(13), 0x5a);
}

TEST_P(AddressFusionTest, ScaledIndexPlusSum) {
  ASSERT_TRUE(mem_.store<uint32_t>(108 + 12, 1000));
  EXPECT_EQ(u32("field_at", {I(100), I(3)}), 2000u);
  ASSERT_TRUE(mem_.store<uint32_t>(0 + 20, 7));  // p + 8 wraps to 0
  EXPECT_EQ(u32("field_at", {I(0xFFFFFFF8u), I(5)}), 14u);
  expect_oob("field_at", {I(65536 - 8), I(0)});
}

TEST_P(AddressFusionTest, ReadModifyWrite) {
  ASSERT_TRUE(mem_.store<uint32_t>(104, 0xFFFFFFFFu));
  call("inc_mem", {I(100)});
  EXPECT_EQ(at32(104), 0u);  // wraps
  call("inc_mem", {I(100)});
  EXPECT_EQ(at32(104), 1u);
  EXPECT_EQ(at32(100), 0u);
  call("add_mem", {I(200), I(40)});
  call("add_mem", {I(200), I(2)});
  EXPECT_EQ(at32(200), 42u);
  call("dec_mem_at", {I(300)});
  EXPECT_EQ(at32(308), 0xFFFFFFFFu);
  call("dec_mem_at", {I(0xFFFFFFF8u)});  // p + 8 wraps to 0
  EXPECT_EQ(at32(0), 0xFFFFFFFFu);
  ASSERT_TRUE(mem_.store<uint32_t>(400, 37));
  call("copy_plus_5", {I(400), I(500)});
  EXPECT_EQ(at32(500), 42u);
  EXPECT_EQ(at32(400), 37u);
  // The load traps first: nothing is written.
  ASSERT_TRUE(mem_.store<uint32_t>(600, 9));
  expect_oob("copy_plus_5", {I(65533), I(600)});
  EXPECT_EQ(at32(600), 9u);
  expect_oob("copy_plus_5", {I(600), I(65533)});
  expect_oob("inc_mem", {I(65530)});
  expect_oob("add_mem", {I(65534), I(1)});
}

TEST_P(AddressFusionTest, LoadsMovedPastOneArithmeticInstruction) {
  ASSERT_TRUE(mem_.store<double>(800, 10.0));
  call("sub_from_mem", {I(800), D(1.5), D(3.0)});
  EXPECT_EQ(at_f64(800), 9.5);
  call("add_to_mem", {I(800), D(1.0), D(4.0)});
  EXPECT_EQ(at_f64(800), 9.75);
  auto r = run("mem_minus_sqrt", {I(800), D(16.0)});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ((*r)[0].f64(), 5.75);
  // Subtraction keeps its order: mem - x, not x - mem.
  ASSERT_TRUE(mem_.store<double>(808, 1.0));
  call("sub_from_mem", {I(808), D(4.0), D(1.0)});
  EXPECT_EQ(at_f64(808), -3.0);
  // The load still traps, and before the store.
  expect_oob("sub_from_mem", {I(65530), D(1.0), D(1.0)});
  expect_oob("mem_minus_sqrt", {I(65530), D(1.0)});
  // A call between the load and the op is not crossed: the old value is used.
  ASSERT_TRUE(mem_.store<double>(900, 8.0));
  r = run("load_then_call", {I(900)});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ((*r)[0].f64(), 7.0);
  EXPECT_EQ(at_f64(900), 100.0);
}

TEST_P(AddressFusionTest, FunnelShifts) {
  EXPECT_EQ(u32("funnel_l", {I(0x11223344u), I(0xAABBCCDDu)}), 0x223344AAu);
  EXPECT_EQ(u32("funnel_r", {I(0x11223344u), I(0xAABBCCDDu)}), 0xDD112233u);
  EXPECT_EQ(u32("funnel_l", {I(0xFFFFFFFFu), I(0)}), 0xFFFFFF00u);
}

TEST_P(AddressFusionTest, AxpyRoundsTwiceAndKeepsTrapOrder) {
  // x * b is rounded before c is added (no fused multiply-add): (1 + 2^-30)^2 - 1 = 2^-29
  // exactly once the 2^-60 term is rounded away.
  const double x = 1.0 + std::ldexp(1.0, -30);
  ASSERT_TRUE(mem_.store<double>(1000, -1.0));
  ASSERT_TRUE(mem_.store<double>(2000, x));
  call("axpy", {I(1000), D(x), I(2000)});
  EXPECT_EQ(at_f64(1000), std::ldexp(1.0, -29));
  ASSERT_TRUE(mem_.store<double>(1000, -1.0));
  call("axpy_rev", {I(1000), D(x), I(2000)});
  EXPECT_EQ(at_f64(1000), std::ldexp(1.0, -29));
  // b at (1976 + 16) + 8 = 2000, c at 1100 + 8
  ASSERT_TRUE(mem_.store<double>(1108, 0.5));
  call("axpy_at", {I(1100), D(3.0), I(1976)});
  EXPECT_EQ(at_f64(1108), 0.5 + 3.0 * x);
  // b out of bounds: the trap comes before c is read or written.
  ASSERT_TRUE(mem_.store<double>(1000, 7.0));
  expect_oob("axpy", {I(1000), D(1.0), I(65532)});
  EXPECT_EQ(at_f64(1000), 7.0);
  expect_oob("axpy", {I(65532), D(1.0), I(2000)});
  expect_oob("axpy_at", {I(65536 - 12), D(1.0), I(0)});
}

INSTANTIATE_TEST_SUITE_P(MemoryModes, AddressFusionTest,
                         ::testing::Values(isola::Engine::MemoryMode::GuardPages,
                                           isola::Engine::MemoryMode::BoundsChecks),
                         [](const auto& info) {
                           return info.param == isola::Engine::MemoryMode::GuardPages ? "guard_pages"
                                                                                      : "bounds_checks";
                         });

}  // namespace

TEST_P(AddressFusionTest, DeadAddressLocalsAreNeverComputed) {
  EXPECT_TRUE(has(28, "F64AddLoadStore")) << module_->disassemble(28);
  EXPECT_FALSE(COMPUTES(28, 2, 0, 16)) << module_->disassemble(28);
  EXPECT_TRUE(COMPUTES(29, 2, 0, 4)) << module_->disassemble(29);
  EXPECT_TRUE(COMPUTES(30, 1, 0, 10)) << module_->disassemble(30);
  EXPECT_FALSE(COMPUTES(31, 2, 0, 4)) << module_->disassemble(31);
  EXPECT_TRUE(has(32, "F64AddLoadStore")) << module_->disassemble(32);
  EXPECT_FALSE(COMPUTES(32, 3, 0, 8)) << module_->disassemble(32);
  EXPECT_TRUE(COMPUTES(33, 3, 0, 8)) << module_->disassemble(33);

  ASSERT_TRUE(mem_.store<double>(816, 2.5));
  call("alias_rmw", {I(800), D(0.25)});
  EXPECT_EQ(at_f64(816), 2.75);
  ASSERT_TRUE(mem_.store<double>(0, 1.0));
  call("alias_rmw", {I(0xFFFFFFF0u), D(1.0)});  // p + 16 wraps to 0
  EXPECT_EQ(at_f64(0), 2.0);
  expect_oob("alias_rmw", {I(65536 - 16 - 7), D(1.0)});

  EXPECT_EQ(u32("alias_after_branch", {I(900), I(7)}), 904u);
  EXPECT_EQ(at32(904), 7u);
  EXPECT_EQ(u32("alias_after_branch", {I(900), I(0)}), 0u);
  EXPECT_EQ(u32("alias_base_written", {I(5)}), 1015u);
  EXPECT_EQ(u32("alias_dead_at_base_write", {I(1000), I(9)}), 9u + 3 * 1004u);

  for (uint32_t i = 0; i < 5; ++i) ASSERT_TRUE(mem_.store<double>(2000 + 8 * i, i * 10.0));
  call("add_each", {I(1992), I(4), D(0.5)});  // 2000 .. 2024
  for (uint32_t i = 0; i < 4; ++i) EXPECT_EQ(at_f64(2000 + 8 * i), i * 10.0 + 0.5) << i;
  EXPECT_EQ(at_f64(2032), 40.0);  // one past: untouched
  EXPECT_EQ(u32("add_each_last", {I(1992), I(3), D(1.0)}), 2016u);
  EXPECT_EQ(at_f64(2016), 21.5);
}
