// Limits on guest CPU time and native stack (tests/wasm/wat/limits.wat): fuel, interruption
// from another thread, deadlines, and the native stack guard on host -> wasm re-entry.
//
// Timing is never asserted tightly: deadlines must stop a guest within a generous 200 ms
// here (the design target is 10 ms), and the measured latencies are printed instead.
#include <gtest/gtest.h>
#include <pthread.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <functional>
#include <span>
#include <thread>
#include <vector>

#include "isola/engine.hpp"
#include "test_modules.hpp"

namespace {

using isola::TrapKind;
using isola::Value;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

double ms(Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

// What the host functions saw, for the tests to check.
struct HostLog {
  std::atomic<int> reentries{0};
  std::atomic<int> inner_trap{-1};  // kind of the first (innermost) trap a callback returned
  void record(const isola::Trap& t) {
    int none = -1;
    inner_trap.compare_exchange_strong(none, static_cast<int>(t.kind));
  }
};

class LimitsTest : public ::testing::Test {
 protected:
  void SetUp() override { load(engine_); }

  void load(const isola::Engine& engine) {
    std::vector<uint8_t> bytes = isola::test::read_wasm("limits.wasm");
    ASSERT_FALSE(bytes.empty()) << "limits.wasm missing from " << ISOLA_TEST_WASM_DIR;
    auto m = isola::Module::load(engine, bytes);
    ASSERT_TRUE(m.ok()) << m.error().message;
    isola::Linker linker(engine);
    HostLog* log = &log_;
    // Calls the guest back with n - 1, without end: only a limit stops the recursion.
    linker.func_typed("env", "reenter", [log](isola::Caller& c, int32_t n) -> int32_t {
      log->reentries.fetch_add(1, std::memory_order_relaxed);
      auto r = c.instance().get_func("reenter").call(c.store(), {Value::i32(n - 1)});
      if (!r) {
        log->record(r.error());
        c.trap("re-entry trapped");
      }
      return (*r)[0].i32();
    });
    linker.func_typed("env", "count", [log](isola::Caller& c, int32_t n) -> int32_t {
      auto r = c.instance().get_func("count").call(c.store(), {Value::i32(n)});
      if (!r) {
        log->record(r.error());
        c.trap("count trapped");
      }
      return (*r)[0].i32();
    });
    auto pre = linker.prelink(*m);
    ASSERT_TRUE(pre.ok()) << pre.error().message;
    pre_ = std::make_unique<isola::InstancePre>(*pre);
  }

  isola::Instance instantiate(isola::Store& store) {
    auto inst = pre_->instantiate(store);
    EXPECT_TRUE(inst.ok());
    return inst.ok() ? *inst : isola::Instance();
  }

  // count(n) = 0 + 1 + ... + n-1, or -1 on a trap.
  static int32_t count(isola::Store& store, isola::Instance inst, int32_t n) {
    auto r = inst.get_func("count").call(store, {Value::i32(n)});
    return r.ok() ? (*r)[0].i32() : -1;
  }

  // Fuel consumed by one call (the store is refuelled with `budget` first).
  static uint64_t fuel_of(isola::Store& store, isola::Func f, std::initializer_list<Value> args,
                          uint64_t budget = 1'000'000'000) {
    store.set_fuel(budget);
    auto r = f.call(store, args);
    EXPECT_TRUE(r.ok()) << r.error().to_string();
    return budget - store.fuel_remaining().value_or(0);
  }

  isola::Engine engine_;
  HostLog log_;
  std::unique_ptr<isola::InstancePre> pre_;
};

// Guests that never return, each in a different shape: a bare loop, a loop that only calls,
// nested loops at the end of a call chain, back-edges through br_table and through a fused
// compare-and-branch, and exponential recursion without any loop.
struct EndlessCase {
  const char* name;
  std::vector<Value> args;
};
const EndlessCase kEndless[] = {{"spin", {}},
                                {"spin_call", {}},
                                {"spin_deep", {}},
                                {"spin_table", {Value::i32(1)}},
                                {"spin_cmp", {Value::i32(-1)}},
                                {"tree", {Value::i32(60)}}};

// --- fuel ------------------------------------------------------------------------------

TEST_F(LimitsTest, StoresAreUnmeteredByDefault) {
  isola::Store store(engine_);
  EXPECT_FALSE(store.fuel_remaining().has_value());
  isola::Instance inst = instantiate(store);
  EXPECT_EQ(count(store, inst, 1000), 499500);
  EXPECT_FALSE(store.fuel_remaining().has_value());
}

TEST_F(LimitsTest, FuelCountsInstructionsAtEntriesAndBackEdges) {
  isola::Store store(engine_);
  isola::Instance inst = instantiate(store);
  // Straight-line code pays its instruction count on entry: const, const, add, end.
  EXPECT_EQ(fuel_of(store, inst.get_func("straight"), {}), 4u);
  // count: 4 instructions outside the loop (block, local.get and the two ends), then 13 per
  // iteration, from `loop` to `br $l`. The last pass leaves by a forward branch: free.
  isola::Func f = inst.get_func("count");
  EXPECT_EQ(fuel_of(store, f, {Value::i32(0)}), 4u);
  EXPECT_EQ(fuel_of(store, f, {Value::i32(1)}), 4u + 13u);
  EXPECT_EQ(fuel_of(store, f, {Value::i32(1000)}), 4u + 13u * 1000u);
  // memory.fill pays 1 per 64 bytes on top of its function's 5 instructions.
  EXPECT_EQ(fuel_of(store, inst.get_func("fill"), {Value::i32(65536)}), 5u + 1024u);
}

TEST_F(LimitsTest, FuelIsDeterministic) {
  isola::Store store(engine_);
  isola::Instance inst = instantiate(store);
  isola::Func tree = inst.get_func("tree");
  uint64_t a = fuel_of(store, tree, {Value::i32(12)});
  uint64_t b = fuel_of(store, tree, {Value::i32(12)});
  EXPECT_EQ(a, b);
  EXPECT_GT(a, 4096u);  // 2^13 - 1 calls, each paying at least 1
  // The same in a fresh store, with the function already lowered or not.
  isola::Store other(engine_);
  isola::Instance inst2 = instantiate(other);
  EXPECT_EQ(fuel_of(other, inst2.get_func("tree"), {Value::i32(12)}), a);
}

TEST_F(LimitsTest, OutOfFuelStopsEndlessLoopsAndTheStoreCanBeRefuelled) {
  isola::Store store(engine_);
  isola::Instance inst = instantiate(store);
  for (const EndlessCase& c : kEndless) {
    store.set_fuel(100'000);
    auto r = inst.get_func(c.name).call(store, c.args);
    ASSERT_FALSE(r.ok()) << c.name;
    EXPECT_EQ(r.error().kind, TrapKind::OutOfFuel) << c.name;
    EXPECT_EQ(store.fuel_remaining(), 0u) << c.name;
  }
  store.set_fuel(1000);
  auto r = inst.get_func("spin").call(store, {});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, TrapKind::OutOfFuel);
  EXPECT_EQ(std::string(isola::to_string(TrapKind::OutOfFuel)), "out of fuel");
  // The trap says where: the head of the loop that could not pay for another iteration.
  EXPECT_EQ(r.error().to_string().rfind("out of fuel in function ", 0), 0u) << r.error().to_string();

  // Refuelled, the same instance runs again; an exact budget is enough, one unit less not.
  store.add_fuel(4 + 13 * 10);
  EXPECT_EQ(count(store, inst, 10), 45);
  EXPECT_EQ(store.fuel_remaining(), 0u);
  store.set_fuel(4 + 13 * 10 - 1);
  EXPECT_EQ(count(store, inst, 10), -1);
  store.add_fuel(1'000'000);
  EXPECT_EQ(count(store, inst, 10), 45);
  store.disable_fuel();
  EXPECT_FALSE(store.fuel_remaining().has_value());
  EXPECT_EQ(count(store, inst, 100'000), static_cast<int32_t>(4999950000ull & 0xffffffffu));
}

TEST_F(LimitsTest, NestedHostToGuestCallsDrawOnTheSameFuel) {
  isola::Store store(engine_);
  isola::Instance inst = instantiate(store);
  isola::Func via = inst.get_func("count_via_host");
  // count_via_host's own 3 instructions, then count(100) through the host.
  EXPECT_EQ(fuel_of(store, via, {Value::i32(100)}), 3u + 4u + 13u * 100u);
  EXPECT_EQ(fuel_of(store, via, {Value::i32(100)}), 3u + 4u + 13u * 100u);

  // Running out inside the nested call: the inner call traps, the host passes it on.
  store.set_fuel(3 + 4 + 13 * 50);
  auto r = via.call(store, {Value::i32(100)});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, TrapKind::Host);
  EXPECT_EQ(log_.inner_trap.load(), static_cast<int>(TrapKind::OutOfFuel));
  EXPECT_EQ(store.fuel_remaining(), 0u);
  store.add_fuel(10'000);
  auto ok = via.call(store, {Value::i32(100)});
  ASSERT_TRUE(ok.ok()) << ok.error().to_string();
  EXPECT_EQ((*ok)[0].i32(), 4950);
  EXPECT_EQ(store.fuel_remaining(), 10'000u - (3u + 4u + 13u * 100u));
}

// --- interruption ----------------------------------------------------------------------

// Calls `f` while another thread interrupts the store after `delay`.
isola::Trap interrupt_after(isola::Store& store, isola::Func f, std::span<const Value> args,
                            milliseconds delay) {
  isola::InterruptHandle h = store.interrupt_handle();
  std::thread t([h, delay] {
    std::this_thread::sleep_for(delay);
    h.interrupt();
  });
  auto r = f.call(store, args);
  t.join();
  EXPECT_FALSE(r.ok());
  return r.ok() ? isola::Trap{} : r.error();
}

TEST_F(LimitsTest, InterruptFromAnotherThreadStopsEndlessLoops) {
  isola::Store store(engine_);
  isola::Instance inst = instantiate(store);
  for (const EndlessCase& c : kEndless) {
    isola::Trap t = interrupt_after(store, inst.get_func(c.name), c.args, milliseconds(10));
    EXPECT_EQ(t.kind, TrapKind::Interrupted) << c.name;
    EXPECT_EQ(t.to_string().rfind("interrupted in function ", 0), 0u) << t.to_string();
    // The instance is usable afterwards, with its stack state reset.
    EXPECT_EQ(count(store, inst, 100), 4950) << c.name;
  }
}

TEST_F(LimitsTest, InterruptWhileMeteringAndBeforeACall) {
  isola::Store store(engine_);
  isola::Instance inst = instantiate(store);
  store.set_fuel(UINT64_MAX);
  isola::Trap t = interrupt_after(store, inst.get_func("spin"), {}, milliseconds(5));
  EXPECT_EQ(t.kind, TrapKind::Interrupted);
  ASSERT_TRUE(store.fuel_remaining().has_value());
  EXPECT_LT(*store.fuel_remaining(), static_cast<uint64_t>(INT64_MAX));

  // A request made while no guest runs stops the next call at once, and only that one.
  isola::InterruptHandle h = store.interrupt_handle();
  h.interrupt();
  EXPECT_TRUE(h.pending());
  auto r = inst.get_func("straight").call(store, {});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, TrapKind::Interrupted);
  EXPECT_FALSE(h.pending());
  EXPECT_EQ(count(store, inst, 10), 45);
}

TEST_F(LimitsTest, InterruptHandlesOutliveTheirStore) {
  isola::InterruptHandle h;
  EXPECT_FALSE(h);
  h.interrupt();  // a null handle does nothing
  {
    isola::Store store(engine_);
    h = store.interrupt_handle();
    EXPECT_TRUE(h);
  }
  h.interrupt();
  EXPECT_TRUE(h.pending());
}

// --- deadlines -------------------------------------------------------------------------

// Runs `f` with a deadline `after` from now; returns how late the guest stopped.
Clock::duration stop_lateness(isola::Store& store, isola::Func f, std::span<const Value> args,
                              milliseconds after) {
  Clock::time_point deadline = Clock::now() + after;
  store.set_deadline(deadline);
  auto r = f.call(store, args);
  Clock::duration late = Clock::now() - deadline;
  EXPECT_FALSE(r.ok());
  if (!r.ok()) {
    EXPECT_EQ(r.error().kind, TrapKind::DeadlineExceeded) << r.error().to_string();
  }
  return late;
}

TEST_F(LimitsTest, DeadlineStopsEndlessLoopsPromptly) {
  isola::Store store(engine_);
  isola::Instance inst = instantiate(store);
  for (const EndlessCase& c : kEndless) {
    std::vector<double> lateness;
    for (int i = 0; i < 5; ++i) {
      Clock::duration late = stop_lateness(store, inst.get_func(c.name), c.args, milliseconds(10));
      EXPECT_LT(late, milliseconds(200)) << c.name;
      lateness.push_back(ms(late));
    }
    std::sort(lateness.begin(), lateness.end());
    std::printf("[ latency  ] %-10s stopped after its deadline by %.3f ms median, %.3f ms max\n", c.name,
                lateness[lateness.size() / 2], lateness.back());
    EXPECT_EQ(count(store, inst, 100), 4950) << c.name;
  }
  EXPECT_EQ(std::string(isola::to_string(TrapKind::DeadlineExceeded)), "deadline exceeded");
}

TEST_F(LimitsTest, DeadlinesArePerStoreAndServedByOneTimer) {
  // Four stores on four threads with different deadlines; each stops at its own.
  std::vector<std::thread> threads;
  std::atomic<int> stopped{0};
  std::vector<double> lateness(4);
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&, i] {
      isola::Store store(engine_);
      auto inst = pre_->instantiate(store);
      ASSERT_TRUE(inst.ok());
      Clock::duration late = stop_lateness(store, inst->get_func("spin"), {}, milliseconds(10 + 15 * i));
      EXPECT_LT(late, milliseconds(200));
      lateness[i] = ms(late);
      stopped.fetch_add(1);
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(stopped.load(), 4);
  std::printf("[ latency  ] 4 threads: %.3f %.3f %.3f %.3f ms late\n", lateness[0], lateness[1], lateness[2],
              lateness[3]);
}

TEST_F(LimitsTest, ClearedAndPassedDeadlines) {
  isola::Store store(engine_);
  isola::Instance inst = instantiate(store);
  // A cleared deadline never fires.
  store.set_timeout(milliseconds(5));
  store.clear_deadline();
  std::this_thread::sleep_for(milliseconds(30));
  EXPECT_EQ(count(store, inst, 10), 45);
  // A deadline that passed while no guest ran stops the next call at its start...
  store.set_timeout(milliseconds(1));
  std::this_thread::sleep_for(milliseconds(30));
  EXPECT_TRUE(store.interrupt_handle().pending());  // host code can see it
  auto r = inst.get_func("straight").call(store, {});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, TrapKind::DeadlineExceeded);
  // ...and is used up by it.
  EXPECT_EQ(count(store, inst, 10), 45);
  // A deadline already in the past counts as passed.
  store.set_deadline(Clock::now() - milliseconds(1));
  EXPECT_EQ(count(store, inst, 10), -1);
  // Replacing a passed deadline drops it.
  store.set_deadline(Clock::now() - milliseconds(1));
  store.set_timeout(std::chrono::hours(1));
  EXPECT_EQ(count(store, inst, 10), 45);
  store.set_timeout(Clock::duration::max());  // "never" does not overflow
  EXPECT_EQ(count(store, inst, 10), 45);
}

// --- native stack ----------------------------------------------------------------------

// Runs `fn` on a new thread with a native stack of `bytes`.
void run_with_stack(size_t bytes, std::function<void()> fn) {
  pthread_attr_t attr;
  ASSERT_EQ(pthread_attr_init(&attr), 0);
  ASSERT_EQ(pthread_attr_setstacksize(&attr, bytes), 0);
  pthread_t t;
  auto trampoline = [](void* p) -> void* {
    (*static_cast<std::function<void()>*>(p))();
    return nullptr;
  };
  ASSERT_EQ(pthread_create(&t, &attr, trampoline, &fn), 0);
  pthread_join(t, nullptr);
  pthread_attr_destroy(&attr);
}

TEST_F(LimitsTest, UnboundedHostReentryTrapsOnASmallStack) {
  for (size_t stack : {size_t{1} << 20, size_t{8} << 20}) {
    log_.reentries = 0;
    log_.inner_trap = -1;
    run_with_stack(stack, [&] {
      isola::Store store(engine_);
      isola::Instance inst = instantiate(store);
      auto r = inst.get_func("reenter").call(store, {Value::i32(0)});
      ASSERT_FALSE(r.ok());
      // The innermost entry was refused; each level above passed the failure on.
      EXPECT_EQ(log_.inner_trap.load(), static_cast<int>(TrapKind::CallStackExhausted));
      // The native stack ran low long before the wasm call depth limit.
      EXPECT_LT(log_.reentries.load(), static_cast<int>(engine_.config().max_call_depth));
      std::printf("[ stack    ] %zu KiB stack: %d host re-entries before the guard trapped\n", stack >> 10,
                  log_.reentries.load());
      // The store is intact afterwards.
      EXPECT_EQ(count(store, inst, 100), 4950);
    });
  }
}

}  // namespace
