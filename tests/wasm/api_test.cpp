// The embedding API (include/isola/engine.hpp) as an embedder uses it.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "isola/engine.hpp"
#include "test_modules.hpp"

namespace {

using isola::test::read_wasm;

// Appends a custom section (id 0) with the given name and payload.
void add_custom(std::vector<uint8_t>& bytes, const std::string& name, const std::string& payload) {
  std::vector<uint8_t> body;
  body.push_back(static_cast<uint8_t>(name.size()));
  body.insert(body.end(), name.begin(), name.end());
  body.insert(body.end(), payload.begin(), payload.end());
  bytes.push_back(0);
  bytes.push_back(static_cast<uint8_t>(body.size()));  // payloads here stay under 128 bytes
  bytes.insert(bytes.end(), body.begin(), body.end());
}

isola::Linker api_linker(const isola::Engine& engine) {
  isola::Linker linker(engine);
  linker.func_typed("env", "add", [](isola::Caller&, int32_t a, int32_t b) -> int32_t { return a + b; });
  linker.func_typed("env", "sum_bytes", [](isola::Caller& c, uint32_t ptr, uint32_t len) -> int64_t {
    auto bytes = c.memory().span(ptr, len);
    if (!bytes) c.trap("sum_bytes: range out of bounds");
    int64_t s = 0;
    for (uint8_t b : *bytes) s += b;
    return s;
  });
  linker.func_typed("env", "fail", [](isola::Caller& c, int32_t code) {
    if (code < 0) c.trap("asked to fail");
    c.exit(code);
  });
  return linker;
}

class ApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    bytes_ = read_wasm("api.wasm");
    ASSERT_FALSE(bytes_.empty()) << "api.wasm missing from " << ISOLA_TEST_WASM_DIR;
    add_custom(bytes_, "isola.test", "hello");
    auto m = isola::Module::load(engine_, bytes_);
    ASSERT_TRUE(m.ok()) << m.error().message;
    module_ = std::make_unique<isola::Module>(*m);
    auto pre = api_linker(engine_).prelink(*module_);
    ASSERT_TRUE(pre.ok()) << pre.error().message;
    pre_ = std::make_unique<isola::InstancePre>(*pre);
  }
  isola::Instance instantiate(isola::Store& store) {
    auto inst = pre_->instantiate(store);
    EXPECT_TRUE(inst.ok());
    return inst.ok() ? *inst : isola::Instance();
  }

  isola::Engine engine_;
  std::vector<uint8_t> bytes_;
  std::unique_ptr<isola::Module> module_;
  std::unique_ptr<isola::InstancePre> pre_;
};

TEST_F(ApiTest, InspectsImportsExportsAndCustomSections) {
  auto imports = module_->imports();
  ASSERT_EQ(imports.size(), 3u);
  EXPECT_EQ(imports[0].module, "env");
  EXPECT_EQ(imports[0].name, "add");
  EXPECT_EQ(imports[0].func.to_string(), "(i32, i32) -> (i32)");
  EXPECT_EQ(imports[1].func.to_string(), "(i32, i32) -> (i64)");

  auto exports = module_->exports();
  std::map<std::string, isola::ExternKind> kinds;
  for (auto& e : exports) kinds[e.name] = e.kind;
  EXPECT_EQ(kinds["memory"], isola::ExternKind::Memory);
  EXPECT_EQ(kinds["counter"], isola::ExternKind::Global);
  EXPECT_EQ(kinds["table"], isola::ExternKind::Table);
  EXPECT_EQ(kinds["double"], isola::ExternKind::Func);

  auto custom = module_->custom_section("isola.test");
  ASSERT_TRUE(custom.has_value());
  EXPECT_EQ(std::string(custom->begin(), custom->end()), "hello");
  EXPECT_FALSE(module_->custom_section("absent").has_value());
  auto names = module_->custom_section_names();
  EXPECT_NE(std::find(names.begin(), names.end(), "isola.test"), names.end());
}

TEST_F(ApiTest, CallsTypedHostFunctions) {
  isola::Store store(engine_);
  auto inst = instantiate(store);
  auto r = inst.get_func("call_add").call(store, {isola::Value::i32(2), isola::Value::i32(40)});
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  ASSERT_EQ(r->size(), 1u);
  EXPECT_EQ((*r)[0].i32(), 42);
}

TEST_F(ApiTest, HostReadsGuestMemorySafely) {
  isola::Store store(engine_);
  auto inst = instantiate(store);
  auto r = inst.get_func("sum_data").call(store, {});
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_EQ((*r)[0].i64(), 1 + 2 + 3 + 4 + 5);

  isola::Memory mem = inst.memory();
  EXPECT_EQ(mem.pages(), 1u);
  EXPECT_FALSE(mem.span(65530, 100).has_value());
  EXPECT_FALSE(mem.span(UINT64_MAX, 2).has_value());
  EXPECT_TRUE(mem.span(65536, 0).has_value());
  uint8_t buf[4];
  EXPECT_FALSE(mem.read(65534, buf, 4));
  EXPECT_TRUE(mem.store<uint32_t>(100, 0xdeadbeef));
  EXPECT_EQ(mem.load<uint32_t>(100).value(), 0xdeadbeefu);
  EXPECT_EQ(mem.grow(1).value(), 1u);
  EXPECT_EQ(mem.pages(), 2u);
  EXPECT_FALSE(mem.grow(3).has_value());  // max is 4 pages
}

TEST_F(ApiTest, TrapsAreValuesWithKindAndLocation) {
  isola::Store store(engine_);
  auto inst = instantiate(store);
  auto r = inst.get_func("div").call(store, {isola::Value::i32(1), isola::Value::i32(0)});
  ASSERT_FALSE(r.ok());
  const isola::Trap& t = r.error();
  EXPECT_EQ(t.kind, isola::TrapKind::IntegerDivideByZero);
  EXPECT_EQ(t.func_index, 8u);  // 3 imports, then double, call_add, sum_data, call_fail, bump, div
  ASSERT_LT(t.offset, bytes_.size());
  EXPECT_EQ(bytes_[t.offset], 0x6D);  // the i32.div_s opcode
  EXPECT_NE(t.to_string().find("integer divide by zero in function 8 at byte 0x"), std::string::npos);

  r = inst.get_func("div").call(store, {isola::Value::i32(INT32_MIN), isola::Value::i32(-1)});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, isola::TrapKind::IntegerOverflow);

  r = inst.get_func("load").call(store, {isola::Value::i32(65534)});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, isola::TrapKind::MemoryOutOfBounds);

  // The store stays usable after a trap.
  r = inst.get_func("double").call(store, {isola::Value::i32(21)});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ((*r)[0].i32(), 42);
}

TEST_F(ApiTest, UnboundedRecursionTrapsInsteadOfCrashing) {
  isola::Store store(engine_);
  auto inst = instantiate(store);
  auto r = inst.get_func("recurse").call(store, {isola::Value::i32(1)});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, isola::TrapKind::CallStackExhausted);
  r = inst.get_func("double").call(store, {isola::Value::i32(4)});
  ASSERT_TRUE(r.ok());
}

TEST_F(ApiTest, HostTrapsAndExitsUnwindTheGuest) {
  isola::Store store(engine_);
  auto inst = instantiate(store);
  auto r = inst.get_func("call_fail").call(store, {isola::Value::i32(-1)});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, isola::TrapKind::Host);
  EXPECT_EQ(r.error().message, "asked to fail");
  r = inst.get_func("call_fail").call(store, {isola::Value::i32(3)});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, isola::TrapKind::Exit);
  EXPECT_EQ(r.error().exit_code, 3);
}

TEST_F(ApiTest, GlobalsTablesAndMultiValue) {
  isola::Store store(engine_);
  auto inst = instantiate(store);
  auto r = inst.get_func("bump").call(store, {});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ((*r)[0].i32(), 8);
  isola::Global g = inst.get_global("counter");
  EXPECT_EQ(g.get().i32(), 8);
  EXPECT_TRUE(g.set(isola::Value::i32(100)));
  EXPECT_FALSE(g.set(isola::Value::i64(1)));  // wrong type
  EXPECT_EQ(inst.get_func("bump").call(store, {})->at(0).i32(), 101);

  isola::Table t = inst.get_table("table");
  ASSERT_EQ(t.size(), 2u);
  isola::Value ref = t.get(0).value();
  ASSERT_FALSE(ref.is_null());
  auto via_table = ref.funcref().call(store, {isola::Value::i32(5)});
  ASSERT_TRUE(via_table.ok());
  EXPECT_EQ((*via_table)[0].i32(), 10);
  EXPECT_TRUE(t.get(1)->is_null());
  EXPECT_FALSE(t.get(2).has_value());

  auto pair = inst.get_func("pair").call(store, {isola::Value::i64(5), isola::Value::f64(2.5)});
  ASSERT_TRUE(pair.ok());
  ASSERT_EQ(pair->size(), 2u);
  EXPECT_EQ((*pair)[0].f64(), 2.5);
  EXPECT_EQ((*pair)[1].i64(), 5);
}

TEST_F(ApiTest, ChecksArgumentsOfCallsFromTheHost) {
  isola::Store store(engine_);
  auto inst = instantiate(store);
  auto r = inst.get_func("double").call(store, {isola::Value::i64(1)});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("expected i32"), std::string::npos);
  r = inst.get_func("double").call(store, {});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("wrong number of arguments"), std::string::npos);
}

TEST_F(ApiTest, InstantiatesFromSeveralThreads) {
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 200; ++i) {
        isola::Store store(engine_);
        auto inst = pre_->instantiate(store);
        if (!inst.ok()) { ++failures; continue; }
        auto r = inst->get_func("bump").call(store, {});  // each instance has its own global
        if (!r.ok() || (*r)[0].i32() != 8) ++failures;
        auto s = inst->get_func("sum_data").call(store, {});
        if (!s.ok() || (*s)[0].i64() != 15) ++failures;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
}

TEST_F(ApiTest, LowersLazilyOrAllAtOnce) {
  // Nothing has been called on this module yet, so everything is still to lower.
  uint64_t lowered = module_->lower_all();
  EXPECT_GT(lowered, 0u);
  EXPECT_EQ(module_->lower_all(), 0u);
  EXPECT_NE(module_->disassemble(3).find("I32"), std::string::npos);
}

TEST(ApiLinkTest, ReportsUnknownAndIncompatibleImports) {
  isola::Engine engine;
  auto bytes = read_wasm("api.wasm");
  auto m = isola::Module::load(engine, bytes);
  ASSERT_TRUE(m.ok());
  isola::Linker empty(engine);
  auto pre = empty.prelink(*m);
  ASSERT_FALSE(pre.ok());
  EXPECT_EQ(pre.error().message, "unknown import: env.add");

  isola::Linker wrong(engine);
  wrong.func_typed("env", "add", [](isola::Caller&, int64_t a) -> int64_t { return a; });
  pre = wrong.prelink(*m);
  ASSERT_FALSE(pre.ok());
  EXPECT_NE(pre.error().message.find("incompatible import type for env.add"), std::string::npos);
}

TEST(ApiLimitTest, RefusesTablesPastTheEngineLimit) {
  isola::Engine engine;
  auto m = isola::Module::load(engine, read_wasm("bigtable.wasm"));
  ASSERT_TRUE(m.ok()) << m.error().message;  // valid wasm: the limit is the engine's
  auto pre = isola::Linker(engine).prelink(*m);
  ASSERT_TRUE(pre.ok());
  isola::Store store(engine);
  auto inst = pre->instantiate(store);
  ASSERT_FALSE(inst.ok());
  EXPECT_FALSE(inst.error().trap.has_value());
  EXPECT_NE(inst.error().message.find("past the limit of 16777216"), std::string::npos) << inst.error().message;
}

TEST(ApiLoadTest, RejectsBadModulesWithOffsets) {
  isola::Engine engine;
  std::vector<uint8_t> bad = {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x05, 0x01, 0x60};
  auto m = isola::Module::load(engine, bad);
  ASSERT_FALSE(m.ok());
  EXPECT_NE(m.error().message.find("malformed"), std::string::npos) << m.error().message;
  EXPECT_NE(m.error().message.find("byte 0x"), std::string::npos) << m.error().message;

  // A module claiming a billion functions in a few bytes fails fast.
  std::vector<uint8_t> huge = {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x03, 0x05, 0x80, 0x94, 0xeb, 0xdc, 0x03};
  m = isola::Module::load(engine, huge);
  ASSERT_FALSE(m.ok());

  auto missing = isola::Module::load_file(engine, "/nonexistent/x.wasm");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message.find("cannot open"), std::string::npos);
}

}  // namespace
