// Linear memories in both memory modes (Engine::MemoryMode): guard pages, where a fault
// becomes the out-of-bounds trap, and explicit bounds checks. Both must behave the same
// at the edges, report the same trap locations, honour the store's limits, and hand out
// pooled memories that hold nothing of their previous owner.
#include <gtest/gtest.h>
#include <signal.h>

#include <string>
#include <thread>
#include <vector>

#include "isola/engine.hpp"
#include "test_modules.hpp"

#if defined(__SANITIZE_ADDRESS__)
#define ISOLA_UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define ISOLA_UNDER_ASAN 1
#endif
#endif
#ifndef ISOLA_UNDER_ASAN
#define ISOLA_UNDER_ASAN 0
#endif

namespace {

using isola::Engine;
using isola::TrapKind;
using isola::Value;

std::vector<uint8_t> memory_wasm() { return isola::test::read_wasm("memory.wasm"); }

Engine::Config config_for(Engine::MemoryMode mode) {
  Engine::Config c;
  c.memory_mode = mode;
  return c;
}

// One engine and pre-linked module per memory mode; a fresh store per instance.
class MemoryTest : public ::testing::TestWithParam<Engine::MemoryMode> {
 protected:
  MemoryTest() : engine_(config_for(GetParam())) {}

  void SetUp() override {
    auto bytes = memory_wasm();
    ASSERT_FALSE(bytes.empty()) << "memory.wasm missing from " << ISOLA_TEST_WASM_DIR;
    auto m = isola::Module::load(engine_, bytes);
    ASSERT_TRUE(m.ok()) << m.error().message;
    isola::Linker linker(engine_);
    // A host function that (wrongly) reads guest memory past its end through the raw
    // pointer: a host bug, which must crash the process, not become a guest trap.
    linker.func_typed("env", "peek_past_end", [](isola::Caller& c) {
      isola::Memory mem = c.memory();
      volatile uint8_t* p = mem.data() + mem.size() + 65536;
      (void)*p;
    });
    auto pre = linker.prelink(*m);
    ASSERT_TRUE(pre.ok()) << pre.error().message;
    pre_.emplace(std::move(*pre));
  }

  isola::Instance instantiate(isola::Store& store) {
    auto inst = pre_->instantiate(store);
    EXPECT_TRUE(inst.ok()) << (inst.ok() ? "" : inst.error().message);
    return inst.ok() ? *inst : isola::Instance();
  }

  static isola::Expected<std::vector<Value>, isola::Trap> call(isola::Store& s, isola::Instance& i, const char* name,
                                                               std::initializer_list<Value> args) {
    return i.get_func(name).call(s, args);
  }

  Engine engine_;
  std::optional<isola::InstancePre> pre_;
};

TEST_P(MemoryTest, AccessesAtTheEdge) {
  isola::Store store(engine_);
  auto inst = instantiate(store);
  ASSERT_TRUE(inst);
  ASSERT_TRUE(call(store, inst, "store", {Value::i32(65532), Value::i32(0x01020304)}).ok());
  auto r = call(store, inst, "load", {Value::i32(65532)});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ((*r)[0].i32(), 0x01020304);
  // A 4-byte access that starts inside and ends outside, one wholly outside, 8 bytes
  // straddling the end: all trap, in both modes.
  for (int32_t addr : {65533, 65535, 65536, 70000, -1}) {
    auto t = call(store, inst, "load", {Value::i32(addr)});
    ASSERT_FALSE(t.ok()) << addr;
    EXPECT_EQ(t.error().kind, TrapKind::MemoryOutOfBounds) << addr;
  }
  auto t = call(store, inst, "load64", {Value::i32(65530)});
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.error().kind, TrapKind::MemoryOutOfBounds);
  // A trap leaves the instance usable.
  r = call(store, inst, "load8", {Value::i32(16)});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ((*r)[0].i32(), 'h');
}

TEST_P(MemoryTest, HugeOffsetsTrap) {
  isola::Store store(engine_);
  auto inst = instantiate(store);
  ASSERT_TRUE(inst);
  // index + offset beyond 4 GiB: inside the guard reservation's far end, never past it.
  for (int32_t addr : {0, 0x10, -1}) {
    auto t = call(store, inst, "load_far", {Value::i32(addr)});
    ASSERT_FALSE(t.ok());
    EXPECT_EQ(t.error().kind, TrapKind::MemoryOutOfBounds);
    t = call(store, inst, "store_far", {Value::i32(addr)});
    ASSERT_FALSE(t.ok());
    EXPECT_EQ(t.error().kind, TrapKind::MemoryOutOfBounds);
  }
}

TEST_P(MemoryTest, TrapNamesTheFunctionAndOffset) {
  isola::Store store(engine_);
  auto inst = instantiate(store);
  ASSERT_TRUE(inst);
  auto t = call(store, inst, "nested", {Value::i32(65535)});
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.error().kind, TrapKind::MemoryOutOfBounds);
  // $inner is function 10 (1 import + 9 before it).
  EXPECT_EQ(t.error().func_index, 10u) << t.error().to_string();
  EXPECT_GT(t.error().offset, 0u);

  // The other mode reports the very same place.
  Engine other(config_for(GetParam() == Engine::MemoryMode::GuardPages ? Engine::MemoryMode::BoundsChecks
                                                                       : Engine::MemoryMode::GuardPages));
  auto m = isola::Module::load(other, memory_wasm());
  ASSERT_TRUE(m.ok());
  isola::Linker linker(other);
  linker.func_typed("env", "peek_past_end", [](isola::Caller&) {});
  auto pre = linker.prelink(*m);
  ASSERT_TRUE(pre.ok());
  isola::Store s2(other);
  auto i2 = pre->instantiate(s2);
  ASSERT_TRUE(i2.ok());
  auto t2 = i2->get_func("nested").call(s2, {Value::i32(65535)});
  ASSERT_FALSE(t2.ok());
  EXPECT_EQ(t2.error().func_index, t.error().func_index);
  EXPECT_EQ(t2.error().offset, t.error().offset);
}

TEST_P(MemoryTest, GrowthMakesPagesAccessible) {
  isola::Store store(engine_);
  auto inst = instantiate(store);
  ASSERT_TRUE(inst);
  EXPECT_FALSE(call(store, inst, "load", {Value::i32(65536)}).ok());
  auto g = call(store, inst, "grow", {Value::i32(3)});
  ASSERT_TRUE(g.ok());
  EXPECT_EQ((*g)[0].i32(), 1);
  ASSERT_TRUE(call(store, inst, "store", {Value::i32(4 * 65536 - 4), Value::i32(42)}).ok());
  auto r = call(store, inst, "load", {Value::i32(4 * 65536 - 4)});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ((*r)[0].i32(), 42);
  EXPECT_FALSE(call(store, inst, "load", {Value::i32(4 * 65536)}).ok());
  EXPECT_EQ(store.memory_bytes(), 4u * 65536);
}

TEST_P(MemoryTest, CallersSeeWhatTheirCalleeGrew) {
  isola::Store store(engine_);
  auto inst = instantiate(store);
  ASSERT_TRUE(inst);
  for (int32_t pages = 1; pages <= 17; pages += 8) {  // 1 -> 9 -> 17 pages, then 25
    auto r = call(store, inst, "grow_in_callee", {Value::i32(pages)});
    ASSERT_TRUE(r.ok()) << pages << ": " << r.error().to_string();
    EXPECT_EQ((*r)[0].i32(), 0x5eed + 'h');  // the new last word and "hello" at 16
  }
  EXPECT_EQ(store.memory_bytes(), 25u * 65536);
}

TEST_P(MemoryTest, StoreLimitsBoundMemory) {
  isola::Store store(engine_);
  isola::StoreLimits lim;
  lim.max_memory_bytes = 4 * 65536;
  lim.max_total_memory_bytes = 6 * 65536;
  store.set_limits(lim);
  auto a = instantiate(store);
  ASSERT_TRUE(a);
  EXPECT_EQ(store.memory_limit_refusals(), 0u);
  auto g = call(store, a, "grow", {Value::i32(65536)});  // past the memory type's maximum: not a limit
  ASSERT_TRUE(g.ok());
  EXPECT_EQ((*g)[0].i32(), -1);
  EXPECT_EQ(store.memory_limit_refusals(), 0u);
  g = call(store, a, "grow", {Value::i32(4)});  // to 5 pages: past the per-memory limit
  ASSERT_TRUE(g.ok());
  EXPECT_EQ((*g)[0].i32(), -1);
  EXPECT_EQ(store.memory_limit_refusals(), 1u);
  g = call(store, a, "grow", {Value::i32(3)});  // to exactly 4
  ASSERT_TRUE(g.ok());
  EXPECT_EQ((*g)[0].i32(), 1);
  EXPECT_EQ(store.memory_limit_refusals(), 1u);
  // A second instance in the same store: 4 + 1 pages, then 2 more would pass the total.
  auto b = instantiate(store);
  ASSERT_TRUE(b);
  g = call(store, b, "grow", {Value::i32(2)});
  ASSERT_TRUE(g.ok());
  EXPECT_EQ((*g)[0].i32(), -1);
  EXPECT_EQ(store.memory_limit_refusals(), 2u);
  g = call(store, b, "grow", {Value::i32(1)});
  ASSERT_TRUE(g.ok());
  EXPECT_EQ((*g)[0].i32(), 1);
  EXPECT_EQ(store.memory_bytes(), 6u * 65536);
  // A third instance's first page does not fit at all: instantiation says why.
  auto c = pre_->instantiate(store);
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.error().message.find("for all its memories"), std::string::npos) << c.error().message;
  // Host-created memories obey the same limits.
  EXPECT_FALSE(store.create_memory(isola::MemoryType{isola::Limits{1, std::nullopt}}));
  EXPECT_EQ(store.memory_limit_refusals(), 4u);
}

TEST_P(MemoryTest, InstantiationPastTheMemoryLimitFails) {
  isola::Store store(engine_);
  isola::StoreLimits lim;
  lim.max_memory_bytes = 0;
  store.set_limits(lim);
  auto inst = pre_->instantiate(store);
  ASSERT_FALSE(inst.ok());
  EXPECT_NE(inst.error().message.find("memory 0: memory needs 1 pages"), std::string::npos) << inst.error().message;
}

TEST_P(MemoryTest, StoreLimitsBoundTablesAndInstances) {
  isola::Store store(engine_);
  isola::StoreLimits lim;
  lim.max_table_elements = 10;
  lim.max_instances = 2;
  store.set_limits(lim);
  auto a = instantiate(store);
  ASSERT_TRUE(a);
  auto g = call(store, a, "table_grow", {Value::i32(10)});  // 1 + 10 > 10
  ASSERT_TRUE(g.ok());
  EXPECT_EQ((*g)[0].i32(), -1);
  g = call(store, a, "table_grow", {Value::i32(9)});
  ASSERT_TRUE(g.ok());
  EXPECT_EQ((*g)[0].i32(), 1);
  ASSERT_TRUE(instantiate(store));
  auto c = pre_->instantiate(store);
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.error().message.find("limit of 2 instances"), std::string::npos) << c.error().message;
}

TEST_P(MemoryTest, PooledMemoriesStartClean) {
  // Dirty a memory, grow it, and give it back to the pool with its store.
  {
    isola::Store store(engine_);
    auto inst = instantiate(store);
    ASSERT_TRUE(inst);
    ASSERT_TRUE(call(store, inst, "grow", {Value::i32(7)}).ok());
    for (int32_t a : {0, 16, 1000, 65536 * 5})
      ASSERT_TRUE(call(store, inst, "store", {Value::i32(a), Value::i32(-1)}).ok());
  }
  // Many later instances (which reuse the slot) see only their data segment and zeros,
  // and only their own single page.
  for (int round = 0; round < 20; ++round) {
    isola::Store store(engine_);
    auto inst = instantiate(store);
    ASSERT_TRUE(inst);
    auto r = call(store, inst, "load", {Value::i32(1000)});
    ASSERT_TRUE(r.ok());
    EXPECT_EQ((*r)[0].i32(), 0);
    r = call(store, inst, "load", {Value::i32(0)});
    ASSERT_TRUE(r.ok());
    EXPECT_EQ((*r)[0].i32(), 0);
    r = call(store, inst, "load8", {Value::i32(16)});
    ASSERT_TRUE(r.ok());
    EXPECT_EQ((*r)[0].i32(), 'h');
    auto size = call(store, inst, "size", {});
    ASSERT_TRUE(size.ok());
    EXPECT_EQ((*size)[0].i32(), 1);
    auto t = call(store, inst, "load", {Value::i32(65536 * 5)});
    ASSERT_FALSE(t.ok());
    EXPECT_EQ(t.error().kind, TrapKind::MemoryOutOfBounds);
    // Dirty it again for the next round.
    ASSERT_TRUE(call(store, inst, "store", {Value::i32(1000), Value::i32(round + 1)}).ok());
    ASSERT_TRUE(call(store, inst, "grow", {Value::i32(round % 3)}).ok());
  }
}

TEST_P(MemoryTest, ConcurrentTrapsStayInTheirStores) {
  // Two threads, each with its own store, trapping on out-of-bounds accesses as fast as
  // they can while the other does the same: every trap is reported to its own caller.
  auto work = [this](int seed, int* traps, int* oks) {
    for (int i = 0; i < 2000; ++i) {
      isola::Store store(engine_);
      auto inst = pre_->instantiate(store);
      if (!inst) return;
      auto t = inst->get_func("load").call(store, {Value::i32(65536 + seed + i)});
      if (!t.ok() && t.error().kind == TrapKind::MemoryOutOfBounds) ++*traps;
      auto r = inst->get_func("load8").call(store, {Value::i32(17)});
      if (r.ok() && (*r)[0].i32() == 'e') ++*oks;
    }
  };
  int traps[2] = {0, 0}, oks[2] = {0, 0};
  std::thread t1(work, 1, &traps[0], &oks[0]);
  std::thread t2(work, 2, &traps[1], &oks[1]);
  t1.join();
  t2.join();
  EXPECT_EQ(traps[0], 2000);
  EXPECT_EQ(traps[1], 2000);
  EXPECT_EQ(oks[0], 2000);
  EXPECT_EQ(oks[1], 2000);
}

TEST_P(MemoryTest, ModulesStayWithTheirEnginesMode) {
  Engine other(config_for(GetParam() == Engine::MemoryMode::GuardPages ? Engine::MemoryMode::BoundsChecks
                                                                       : Engine::MemoryMode::GuardPages));
  isola::Store store(other);
  auto inst = pre_->instantiate(store);
  ASSERT_FALSE(inst.ok());
  EXPECT_NE(inst.error().message.find("memory mode"), std::string::npos) << inst.error().message;
}

INSTANTIATE_TEST_SUITE_P(Modes, MemoryTest,
                         ::testing::Values(Engine::MemoryMode::GuardPages, Engine::MemoryMode::BoundsChecks),
                         [](const auto& info) {
                           return info.param == Engine::MemoryMode::GuardPages ? "GuardPages" : "BoundsChecks";
                         });

// A fault in host code, even at an address inside a guest memory's reservation, is the
// host's bug: the handler passes it on and the process dies of SIGSEGV, loudly.
TEST(GuardPagesDeathTest, HostFaultsAreNotGuestTraps) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(
      {
        Engine engine;
        auto m = isola::Module::load(engine, memory_wasm());
        if (!m) std::exit(3);
        isola::Linker linker(engine);
        linker.func_typed("env", "peek_past_end", [](isola::Caller& c) {
          isola::Memory mem = c.memory();
          volatile uint8_t* p = mem.data() + mem.size() + 65536;
          (void)*p;
        });
        auto pre = linker.prelink(*m);
        if (!pre) std::exit(3);
        isola::Store store(engine);
        auto inst = pre->instantiate(store);
        if (!inst) std::exit(3);
        (void)inst->get_func("host_peek").call(store, {});
        std::exit(0);  // not reached
      },
#if ISOLA_UNDER_ASAN
      // Our handler chained the fault to AddressSanitizer's, which reports it and exits 1.
      ::testing::ExitedWithCode(1), "AddressSanitizer: SEGV");
#else
      ::testing::KilledBySignal(SIGSEGV), "");
#endif
}

}  // namespace
