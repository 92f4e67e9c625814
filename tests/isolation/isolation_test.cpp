// Fault isolation: one host process runs many guest instances on several threads, some of
// them hostile (wat/hostile.wat: traps, endless loops, unbounded recursion, unbounded
// memory growth, out-of-range pointers handed to WASI and to host functions). Whatever they
// do must stay inside their own store: the host keeps serving, and the well-behaved
// tenants (wat/tenant.wat) running at the same time on other threads get exactly the
// results and the output they would get alone.
//
// No timing is asserted: endless loops are stopped by fuel, deadlines and interrupts, and
// only their trap kinds are checked. The tests run in the sanitizer lane too
// (scripts/test.sh), where a leak or a stray write anywhere fails them.
#include <gtest/gtest.h>
#include <pthread.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <fstream>
#include <iterator>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "isola/engine.hpp"
#include "isola/wasi.hpp"

namespace {

using isola::TrapKind;
using isola::Value;
using namespace std::chrono_literals;

constexpr uint32_t kMaxPages = 65536;  // the engine's limit for a memory without a maximum

std::vector<uint8_t> read_wasm(const std::string& name) {
  std::ifstream in(std::string(ISOLA_ISOLATION_WASM_DIR) + "/" + name + ".wasm", std::ios::binary);
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// What tenant.wat's checksum(seed, n) must return: FNV-1a over its LCG stream.
uint64_t expected_checksum(uint32_t seed, uint32_t n) {
  uint32_t x = seed;
  uint64_t h = 0xcbf29ce484222325ull;
  for (uint32_t i = 0; i < n; ++i) {
    x = x * 1103515245u + 12345u;
    h = (h ^ static_cast<uint8_t>(x >> 16)) * 0x100000001b3ull;
  }
  return h;
}

// The shared, immutable part of the host: one engine, the modules, linked once.
class Host {
 public:
  Host() {
    isola::Linker linker(engine);
    isola::wasi::add_to_linker(linker);
    // Reads guest bytes the way a careful host function does: through the checked span,
    // which refuses any range that is not entirely inside the memory.
    linker.func_typed("env", "peek", [](isola::Caller& c, uint32_t ptr, uint32_t len) -> int32_t {
      isola::Memory m = c.memory();
      if (!m) return -1;
      auto bytes = m.span(ptr, len);
      if (!bytes) return -1;
      uint32_t sum = 0;
      for (uint8_t b : *bytes) sum += b;
      return static_cast<int32_t>(sum & 0x7fffffff);
    });
    for (auto [name, slot] : {std::pair{"tenant", &tenant}, std::pair{"hostile", &hostile},
                              std::pair{"bad_data", &bad_data}, std::pair{"huge_memory", &huge_memory}}) {
      auto bytes = read_wasm(name);
      if (bytes.empty()) {
        error = std::string(name) + ".wasm missing from " + ISOLA_ISOLATION_WASM_DIR;
        return;
      }
      auto m = isola::Module::load(engine, bytes);
      if (!m) {
        error = std::string(name) + ".wasm: " + m.error().message;
        return;
      }
      auto pre = linker.prelink(*m);
      if (!pre) {
        error = std::string(name) + ".wasm: " + pre.error().message;
        return;
      }
      slot->emplace(*pre);
    }
  }

  isola::Engine engine;
  std::optional<isola::InstancePre> tenant, hostile, bad_data, huge_memory;
  std::string error;  // set when a module did not load or link
};

const Host& host() {
  static const Host h;
  return h;
}

// One request: a fresh store, its own WASI context (stdout captured), one instance.
class Request {
 public:
  explicit Request(const isola::InstancePre& pre) : store_(host().engine) {
    isola::wasi::Config cfg;
    cfg.args = {"guest"};
    cfg.stdin_ = isola::wasi::Stdio::from_string("some input\n");
    cfg.stdout_ = isola::wasi::Stdio::to([this](std::string_view s) { out_.append(s); });
    cfg.stderr_ = isola::wasi::Stdio::null();
    auto ctx = isola::wasi::Context::create(std::move(cfg));
    if (!ctx) {
      error_ = ctx.error().message;
      return;
    }
    ctx_ = std::move(*ctx);
    ctx_->attach(store_);
    auto inst = pre.instantiate(store_);
    if (!inst) {
      error_ = inst.error().trap ? inst.error().trap->to_string() : inst.error().message;
      return;
    }
    inst_ = *inst;
  }

  bool ok() const { return static_cast<bool>(inst_); }
  const std::string& error() const { return error_; }
  isola::Store& store() { return store_; }
  isola::Instance& instance() { return inst_; }
  const std::string& out() const { return out_; }

  isola::Expected<std::vector<Value>, isola::Trap> call(const char* name, std::initializer_list<Value> args) {
    isola::Func f = inst_.get_func(name);
    if (!f) {
      isola::Trap t;
      t.kind = TrapKind::Host;
      t.message = std::string("no export ") + name;
      return t;
    }
    return f.call(store_, args);
  }

 private:
  // Destroyed in reverse order: the store first, then the context it used, then the
  // output the context's sink wrote to.
  std::string out_;
  std::unique_ptr<isola::wasi::Context> ctx_;
  isola::Store store_;
  isola::Instance inst_;
  std::string error_;
};

// The check a well-behaved tenant's request makes; returns what went wrong, or "".
std::string serve_tenant(uint32_t who, uint32_t n) {
  Request r(*host().tenant);
  if (!r.ok()) return "tenant instantiation failed: " + r.error();
  const uint32_t seed = who * 2654435761u + n;
  const uint32_t len = 1000 + (who * 7919 + n * 104729) % 60000;
  auto sum = r.call("checksum", {Value::i32(static_cast<int32_t>(seed)), Value::i32(static_cast<int32_t>(len))});
  if (!sum) return "checksum trapped: " + sum.error().to_string();
  if (static_cast<uint64_t>((*sum)[0].i64()) != expected_checksum(seed, len)) return "checksum is wrong";
  const std::string line = "tenant " + std::to_string(who) + " request " + std::to_string(n) + "\n";
  // Beyond checksum's bytes (1024 + at most 61000), so the line survives the fill.
  constexpr uint32_t kLineAt = 100000;
  if (!r.instance().memory().write(kLineAt, line.data(), line.size())) return "cannot write the line";
  auto e = r.call("echo", {Value::i32(kLineAt), Value::i32(static_cast<int32_t>(line.size()))});
  if (!e) return "echo trapped: " + e.error().to_string();
  if ((*e)[0].i32() != 0) return "echo returned errno " + std::to_string((*e)[0].i32());
  if (r.out() != line) return "stdout was '" + r.out() + "', expected '" + line + "'";
  return "";
}

// Interrupts every guest whose handle is posted, from its own thread, until stopped.
class Watchdog {
 public:
  Watchdog() : thread_([this] { run(); }) {}
  ~Watchdog() {
    stop_ = true;
    thread_.join();
  }
  void post(isola::InterruptHandle h) {
    std::lock_guard<std::mutex> lock(mu_);
    handles_.push_back(h);
  }
  int interrupts() const { return interrupts_; }

 private:
  void run() {
    while (!stop_) {
      std::vector<isola::InterruptHandle> now;
      {
        std::lock_guard<std::mutex> lock(mu_);
        now.swap(handles_);
      }
      for (auto& h : now) {
        h.interrupt();
        ++interrupts_;
      }
      std::this_thread::sleep_for(1ms);
    }
  }
  std::mutex mu_;
  std::vector<isola::InterruptHandle> handles_;
  std::atomic<bool> stop_{false};
  std::atomic<int> interrupts_{0};
  std::thread thread_;
};

// The hostile behaviours, one per index; each runs in a fresh request and checks that it
// ends the way it must. Returns what went wrong, or "".
constexpr int kBehaviours = 14;
std::string misbehave(int which, Watchdog& watchdog) {
  Request r(*host().hostile);
  if (!r.ok()) return "hostile instantiation failed: " + r.error();
  auto expect_trap = [&](const char* name, TrapKind kind,
                         std::initializer_list<Value> args = {}) -> std::string {
    auto res = r.call(name, args);
    if (res) return std::string(name) + " returned instead of trapping";
    if (res.error().kind != kind)
      return std::string(name) + ": trap '" + res.error().to_string() + "', expected '" + isola::to_string(kind) + "'";
    return "";
  };
  auto expect_i32 = [&](const char* name, int32_t want) -> std::string {
    auto res = r.call(name, {});
    if (!res) return std::string(name) + " trapped: " + res.error().to_string();
    if ((*res)[0].i32() != want)
      return std::string(name) + " returned " + std::to_string((*res)[0].i32()) + ", expected " + std::to_string(want);
    return "";
  };
  switch (which) {
    case 0: return expect_trap("unreachable", TrapKind::Unreachable);
    case 1: return expect_trap("div_by_zero", TrapKind::IntegerDivideByZero);
    case 2: return expect_trap("load_out_of_bounds", TrapKind::MemoryOutOfBounds);
    case 3: return expect_trap("store_out_of_bounds", TrapKind::MemoryOutOfBounds);
    case 4: {
      r.store().set_fuel(2'000'000);
      return expect_trap("spin", TrapKind::OutOfFuel);
    }
    case 5: {
      r.store().set_timeout(5ms);
      std::string e = expect_trap("spin", TrapKind::DeadlineExceeded);
      r.store().clear_deadline();
      return e;
    }
    case 6: {
      // Posted before the call: an interrupt that lands before the guest starts makes the
      // call trap at once, which is just as right.
      watchdog.post(r.store().interrupt_handle());
      return expect_trap("spin_calling", TrapKind::Interrupted);
    }
    case 7: return expect_trap("recurse", TrapKind::CallStackExhausted, {Value::i32(0)});
    case 8: return expect_i32("grow_until_refused", static_cast<int32_t>(kMaxPages));
    case 9: return expect_i32("grow_huge", -1);
    case 10: {
      auto res = r.call("scribble", {});
      return res ? "" : "scribble trapped: " + res.error().to_string();
    }
    case 11: return expect_i32("wasi_bad_pointers", 0);
    case 12: return expect_i32("peek_bad_ranges", 3);
    case 13: {
      // A trap leaves the store usable: after each kind, the same instance answers again.
      for (auto [name, kind] : {std::pair{"unreachable", TrapKind::Unreachable},
                                std::pair{"load_out_of_bounds", TrapKind::MemoryOutOfBounds}}) {
        if (auto e = expect_trap(name, kind); !e.empty()) return e;
        if (auto e = expect_i32("grow_huge", -1); !e.empty()) return "after " + std::string(name) + ": " + e;
      }
      r.store().set_fuel(100'000);
      if (auto e = expect_trap("spin", TrapKind::OutOfFuel); !e.empty()) return e;
      r.store().disable_fuel();
      if (auto e = expect_trap("recurse", TrapKind::CallStackExhausted, {Value::i32(0)}); !e.empty()) return e;
      return expect_i32("peek_bad_ranges", 3);
    }
  }
  return "no behaviour " + std::to_string(which);
}

class IsolationTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_EQ(host().error, "") << "the test modules did not load"; }
};

TEST_F(IsolationTest, TenantAloneGetsItsResultsAndOutput) {
  for (uint32_t n = 0; n < 4; ++n) EXPECT_EQ(serve_tenant(1, n), "");
}

TEST_F(IsolationTest, EachMisbehaviourEndsInItsOwnStore) {
  Watchdog watchdog;
  for (int b = 0; b < kBehaviours; ++b) EXPECT_EQ(misbehave(b, watchdog), "") << "behaviour " << b;
}

TEST_F(IsolationTest, InstantiationFailuresAreValues) {
  Request bad(*host().bad_data);
  EXPECT_FALSE(bad.ok());
  EXPECT_NE(bad.error().find("out of bounds memory access"), std::string::npos) << bad.error();

  // The largest memory the spec allows, 4 GiB, byte 0xffffffff included.
  Request huge(*host().huge_memory);
  ASSERT_TRUE(huge.ok()) << huge.error();
  auto r = huge.call("last_byte", {});
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_EQ((*r)[0].i32(), 7);
  EXPECT_EQ(huge.instance().memory().pages(), kMaxPages);
  EXPECT_EQ(serve_tenant(2, 0), "");  // and the host goes on
}

// Hostile guests on three threads, well-behaved tenants on three others, all at once; the
// tenants' results and output must be exactly right throughout, and the host must still
// serve afterwards.
TEST_F(IsolationTest, HostileNeighboursDoNotDisturbTenantsOnOtherThreads) {
  constexpr int kHostileThreads = 3, kRounds = 5, kTenantThreads = 3, kMinTenantRequests = 20;
  Watchdog watchdog;
  std::atomic<int> hostile_running{kHostileThreads};
  std::mutex mu;
  std::vector<std::string> failures;
  auto fail = [&](std::string what) {
    std::lock_guard<std::mutex> lock(mu);
    failures.push_back(std::move(what));
  };
  std::atomic<int> tenant_requests{0}, hostile_requests{0};

  std::vector<std::thread> threads;
  for (int t = 0; t < kHostileThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int round = 0; round < kRounds; ++round) {
        for (int i = 0; i < kBehaviours; ++i) {
          int b = (i + t * 5) % kBehaviours;  // the threads misbehave differently at any moment
          if (auto e = misbehave(b, watchdog); !e.empty()) fail("hostile thread " + std::to_string(t) + ": " + e);
          hostile_requests.fetch_add(1);
        }
      }
      hostile_running.fetch_sub(1);
    });
  }
  for (int t = 0; t < kTenantThreads; ++t) {
    threads.emplace_back([&, t] {
      // Serve until every hostile thread is done, and at least kMinTenantRequests; a generous
      // cap keeps a hang in a hostile thread from hanging the test.
      const auto give_up = std::chrono::steady_clock::now() + 240s;
      for (uint32_t n = 0;; ++n) {
        if (n >= kMinTenantRequests && hostile_running.load() == 0) break;
        if (std::chrono::steady_clock::now() > give_up) {
          fail("tenant thread " + std::to_string(t) + ": gave up waiting for the hostile threads");
          break;
        }
        if (auto e = serve_tenant(100 + t, n); !e.empty())
          fail("tenant thread " + std::to_string(t) + " request " + std::to_string(n) + ": " + e);
        tenant_requests.fetch_add(1);
      }
    });
  }
  for (auto& th : threads) th.join();

  for (const auto& f : failures) ADD_FAILURE() << f;
  EXPECT_EQ(hostile_requests.load(), kHostileThreads * kRounds * kBehaviours);
  EXPECT_GE(tenant_requests.load(), kTenantThreads * kMinTenantRequests);
  EXPECT_GE(watchdog.interrupts(), kHostileThreads * kRounds);
  EXPECT_EQ(serve_tenant(999, 0), "");  // the host still serves
  std::printf("isolation: %d tenant requests served beside %d hostile ones\n", tenant_requests.load(),
              hostile_requests.load());
}

// Hosts often serve from thread pools whose threads have small stacks. Wasm-to-wasm calls
// do not use the native stack, so every misbehaviour must end the same way on a thread with
// a 256 KiB stack as on the main thread.
TEST_F(IsolationTest, MisbehaviourOnASmallStackThread) {
  struct Job {
    std::vector<std::string> failures;
  } job;
  pthread_attr_t attr;
  ASSERT_EQ(pthread_attr_init(&attr), 0);
  ASSERT_EQ(pthread_attr_setstacksize(&attr, 256 * 1024), 0);
  pthread_t th;
  auto body = [](void* p) -> void* {
    auto* j = static_cast<Job*>(p);
    Watchdog watchdog;
    for (int b = 0; b < kBehaviours; ++b)
      if (auto e = misbehave(b, watchdog); !e.empty()) j->failures.push_back("behaviour " + std::to_string(b) + ": " + e);
    if (auto e = serve_tenant(300, 0); !e.empty()) j->failures.push_back("tenant: " + e);
    return nullptr;
  };
  ASSERT_EQ(pthread_create(&th, &attr, body, &job), 0);
  pthread_join(th, nullptr);
  pthread_attr_destroy(&attr);
  for (const auto& f : job.failures) ADD_FAILURE() << f;
}

// Many short-lived instances on several threads, each ending in a trap or a stop: nothing
// may accumulate (the sanitizer lane's leak check sees what would), and every thread's
// last request is still served correctly.
TEST_F(IsolationTest, ManyShortLivedTrappingInstances) {
  constexpr int kThreads = 4, kPerThread = 150;
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        Request r(*host().hostile);
        if (!r.ok()) {
          wrong.fetch_add(1);
          continue;
        }
        const char* name = (i % 3 == 0) ? "unreachable" : (i % 3 == 1) ? "load_out_of_bounds" : "spin";
        if (i % 3 == 2) r.store().set_fuel(10'000);
        if (r.call(name, {}).ok()) wrong.fetch_add(1);
      }
      if (!serve_tenant(200 + t, 0).empty()) wrong.fetch_add(1);
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(wrong.load(), 0);
}

}  // namespace
