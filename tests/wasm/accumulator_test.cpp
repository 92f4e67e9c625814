// Accumulator forwarding in the interpreter (src/wasm/interp/code.hpp, ISOLA_ACC_VARIANTS):
// which instructions take a variant reading their operand from the register the previous
// instruction left it in, and that results stay right where a branch lands in between.
// Modules: tests/wasm/wat/accumulator.wat.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <string>

#include "isola/engine.hpp"
#include "test_modules.hpp"

namespace {

using isola::Value;

class AccumulatorTest : public ::testing::TestWithParam<isola::Engine::MemoryMode> {
 protected:
  AccumulatorTest() : engine_(config()), store_(engine_) {}
  static isola::Engine::Config config() {
    isola::Engine::Config c;
    c.memory_mode = GetParam();
    return c;
  }
  void SetUp() override {
    ASSERT_EQ(isola::test::instantiate(engine_, store_, "accumulator.wasm", module_, inst_), "");
  }
  uint32_t u32(const char* name, std::initializer_list<Value> args) {
    auto r = inst_.get_func(name).call(store_, args);
    EXPECT_TRUE(r.ok()) << name << ": " << (r.ok() ? "" : r.error().to_string());
    return r.ok() && !r->empty() ? static_cast<uint32_t>((*r)[0].i32()) : 0xdeadu;
  }
  static Value I(uint32_t v) { return Value::i32(static_cast<int32_t>(v)); }
  // Whether function `func`'s lowered code has an instruction named exactly `op`.
  bool has(uint32_t func, const std::string& op) {
    std::string d = module_->disassemble(func);
    return d.find(" " + op + " ") != std::string::npos;
  }

  // The name of the instruction at word `pos` of function `func`'s lowered code.
  std::string op_at(uint32_t func, uint32_t pos) {
    char key_buf[24];
    std::snprintf(key_buf, sizeof key_buf, " %u: ", pos);
    std::string d = module_->disassemble(func), key = key_buf;
    size_t at = d.find(key);
    if (at == std::string::npos) return "";
    at += key.size();
    return d.substr(at, d.find(' ', at) - at);
  }

  isola::Engine engine_;
  isola::Store store_;
  std::unique_ptr<isola::Module> module_;
  isola::Instance inst_;
};

TEST_P(AccumulatorTest, ReadsOfTheValueJustWrittenTakeTheVariants) {
  EXPECT_TRUE(has(0, "I32Add_A1")) << module_->disassemble(0);      // the left operand
  EXPECT_TRUE(has(1, "I32Sub_A2")) << module_->disassemble(1);      // the right operand
  EXPECT_TRUE(has(2, "I32Load8U_A1")) << module_->disassemble(2);   // an address
  EXPECT_TRUE(has(3, "I32Store_A1")) << module_->disassemble(3);    // a stored value
  EXPECT_TRUE(has(6, "F64Div_A1")) << module_->disassemble(6);      // through a local
  EXPECT_TRUE(has(7, "BrI32LtU_A0")) << module_->disassemble(7);    // a compare-and-branch
  EXPECT_TRUE(has(8, "BrTable_A0")) << module_->disassemble(8);     // a dispatch
  EXPECT_TRUE(has(9, "I32Mul_A1") || has(9, "I32Mul_A2")) << module_->disassemble(9);  // x * x
  EXPECT_TRUE(has(12, "I32AddLoad_A1")) << module_->disassemble(12); // past a store
  EXPECT_TRUE(has(13, "I32AddImm2") && has(13, "I32AddLoad_A2")) << module_->disassemble(13);
}

TEST_P(AccumulatorTest, NoVariantWhereABranchLandsOrACallReturns) {
  // Function 4: the add after the block's end; function 5: the loop's first instruction;
  // function 11: the add after a call.
  EXPECT_TRUE(has(4, "I32AddImm")) << module_->disassemble(4);
  EXPECT_FALSE(has(4, "I32AddImm_A1")) << module_->disassemble(4);
  EXPECT_EQ(op_at(5, 8), "I32Add") << module_->disassemble(5);  // the loop's head
  // After the loop, its untaken back-edge left the accumulator alone.
  EXPECT_EQ(op_at(5, 28), "I32Add_A2") << module_->disassemble(5);
  EXPECT_TRUE(has(11, "I32AddImm")) << module_->disassemble(11);
}

TEST_P(AccumulatorTest, ResultsAreThoseOfTheSlots) {
  EXPECT_EQ(u32("mul_add", {I(6), I(7), I(8)}), 50u);
  EXPECT_EQ(u32("sub_of_product", {I(6), I(7), I(8)}), static_cast<uint32_t>(8 - 42));
  EXPECT_EQ(u32("load_chain", {I(16)}), 0u);  // mem[16] = 1, mem[1] = 0
  EXPECT_EQ(u32("load_chain", {I(17)}), 0u);
  EXPECT_EQ(u32("store_sum", {I(64), I(0x11110000u), I(0x2222u)}), 0x11112222u);
  // Taken: the local keeps 100, while the value last written was the condition (1 + 5).
  EXPECT_EQ(u32("label_between", {I(1), I(4)}), 101u);
  EXPECT_EQ(u32("label_between", {I(0xFFFFFFFBu), I(4)}), 13u);  // -5 + 5: not taken
  // 7 + 6 + ... + 1, and local 3 ends at 0; each back-edge arrives with local 3 last written.
  EXPECT_EQ(u32("loop_head", {I(7)}), 28u);
  EXPECT_EQ(u32("loop_head", {I(1)}), 1u);
  auto r = inst_.get_func("f64_chain").call(store_, {Value::f64(16.0), Value::f64(8.0), Value::f64(0.0)});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ((*r)[0].f64(), 0.5);
  EXPECT_EQ(u32("branch_on_load", {I(16), I(2)}), 0u);  // mem[16] = 1 < 2: taken
  EXPECT_EQ(u32("branch_on_load", {I(16), I(1)}), 1u);
  EXPECT_EQ(u32("table_on_load", {I(0)}), 10u);  // mem[0] = 0
  EXPECT_EQ(u32("table_on_load", {I(16)}), 20u);
  EXPECT_EQ(u32("table_on_load", {I(17)}), 30u);
  EXPECT_EQ(u32("table_on_load", {I(23)}), 30u);  // 8: past the table, the default
  EXPECT_EQ(u32("square_of_sum", {I(3), I(4)}), 49u);
  EXPECT_EQ(u32("call_between", {I(5)}), 0x106u);
  EXPECT_EQ(u32("across_store", {I(6), I(7)}), 48u);
  EXPECT_EQ(u32("two_steps_then_load", {I(9), I(12)}), 10u + 0x04030201u);  // the bytes at 16
}

INSTANTIATE_TEST_SUITE_P(MemoryModes, AccumulatorTest,
                         ::testing::Values(isola::Engine::MemoryMode::GuardPages, isola::Engine::MemoryMode::BoundsChecks),
                         [](const auto& info) {
                           return info.param == isola::Engine::MemoryMode::GuardPages ? "GuardPages" : "BoundsChecks";
                         });

}  // namespace
