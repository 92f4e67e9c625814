// Instantiation from the prelinked images of globals and tables (init_image.hpp): each
// instance gets its own copies, its own function references, and the spec's behaviour
// where segments cannot come from an image (an imported table, a trap half-way).
#include <gtest/gtest.h>


#include "isola/engine.hpp"
#include "test_modules.hpp"

namespace {

using isola::Value;

using isola::test::read_wasm;

int32_t call_i32(isola::Store& s, const isola::Instance& inst, const char* name, std::initializer_list<Value> args = {}) {
  auto r = inst.get_func(name).call(s, args);
  EXPECT_TRUE(r.ok()) << name << ": " << (r.ok() ? "" : r.error().to_string());
  return r.ok() && !r->empty() ? (*r)[0].i32() : -1;
}

class InitImageTest : public ::testing::Test {
 protected:
  isola::Engine engine_;
  isola::Store store_{engine_};

  isola::InstancePre prelink(const char* file, isola::Linker& linker) {
    auto m = isola::Module::load(engine_, read_wasm(file));
    EXPECT_TRUE(m.ok()) << (m.ok() ? "" : m.error().message);
    auto pre = linker.prelink(*m);
    EXPECT_TRUE(pre.ok()) << (pre.ok() ? "" : pre.error().message);
    return *pre;
  }
};

TEST_F(InitImageTest, EachInstanceGetsItsOwnGlobalsTablesAndReferences) {
  isola::Linker linker(engine_);
  linker.func_typed("env", "host_id", [](isola::Caller&) -> int32_t { return 99; });
  linker.define("env", "base", store_.create_global({isola::ValType::I32, false}, Value::i32(3)));
  isola::InstancePre pre = prelink("init_image.wasm", linker);

  auto a = pre.instantiate(store_);
  auto b = pre.instantiate(store_);
  ASSERT_TRUE(a.ok() && b.ok());
  call_i32(store_, *a, "set_id", {Value::i32(1)});
  call_i32(store_, *b, "set_id", {Value::i32(2)});

  // Active segments, one at an offset read from an imported global.
  EXPECT_EQ(call_i32(store_, *a, "call_slot", {Value::i32(1)}), 1);
  EXPECT_EQ(call_i32(store_, *b, "call_slot", {Value::i32(1)}), 2);
  EXPECT_EQ(call_i32(store_, *a, "call_slot", {Value::i32(2)}), 99);  // a host import in the table
  EXPECT_EQ(call_i32(store_, *a, "call_slot", {Value::i32(3)}), 1);
  EXPECT_EQ(call_i32(store_, *b, "call_slot", {Value::i32(3)}), 2);
  auto empty = a->get_func("call_slot").call(store_, {Value::i32(0)});
  ASSERT_FALSE(empty.ok());
  EXPECT_EQ(empty.error().kind, isola::TrapKind::UninitializedElement);

  // Globals holding references, and a passive segment.
  EXPECT_EQ(call_i32(store_, *a, "call_global"), 1);
  EXPECT_EQ(call_i32(store_, *b, "call_global"), 2);
  EXPECT_EQ(call_i32(store_, *a, "call_host_global"), 99);
  EXPECT_EQ(call_i32(store_, *b, "call_passive"), 2);
  EXPECT_EQ(call_i32(store_, *a, "call_passive"), 1);

  // Plain values, and tables that are copies, not shared.
  auto g = a->get_func("globals").call(store_, {});
  ASSERT_TRUE(g.ok());
  EXPECT_EQ((*g)[0].i64(), 7);
  EXPECT_EQ((*g)[1].f64(), 3.25);
  EXPECT_EQ((*g)[2].i32(), 3);
  isola::Table ta = a->get_table("t"), tb = b->get_table("t");
  ASSERT_TRUE(ta.set(1, Value::null(isola::ValType::FuncRef)));
  EXPECT_TRUE(ta.get(1)->is_null());
  EXPECT_FALSE(tb.get(1)->is_null());
  EXPECT_EQ(call_i32(store_, *b, "call_slot", {Value::i32(1)}), 2);

  // A third instance starts from the image, not from what the others changed.
  auto c = pre.instantiate(store_);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(call_i32(store_, *c, "call_slot", {Value::i32(1)}), 0);
  EXPECT_FALSE(c->get_table("t").get(1)->is_null());
}

TEST_F(InitImageTest, SegmentsIntoAnImportedTableApplyInOrderAndKeepWritesBeforeATrap) {
  isola::Table table = store_.create_table({isola::ValType::FuncRef, {2, std::nullopt}}, Value::null(isola::ValType::FuncRef));
  isola::Linker linker(engine_);
  linker.define("env", "table", table);
  isola::InstancePre pre = prelink("init_image_import.wasm", linker);

  auto r = pre.instantiate(store_);
  ASSERT_FALSE(r.ok());
  ASSERT_TRUE(r.error().trap);
  EXPECT_EQ(r.error().trap->kind, isola::TrapKind::TableOutOfBounds);
  EXPECT_NE(r.error().message.find("element segment 1"), std::string::npos) << r.error().message;
  // The first segment was written and its function stays callable; the second wrote nothing.
  ASSERT_FALSE(table.get(0)->is_null());
  EXPECT_TRUE(table.get(1)->is_null());
  auto one = table.get(0)->funcref().call(store_, {});
  ASSERT_TRUE(one.ok());
  EXPECT_EQ((*one)[0].i32(), 1);
}

}  // namespace
