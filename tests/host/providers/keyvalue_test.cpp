// The keyvalue provider, every op of every flavour, against SQLite and a real redis-server.
#include <atomic>
#include <set>
#include <thread>

#include "helpers.hpp"

namespace isola::host::test {
namespace {

std::vector<uint8_t> text(std::string_view s) { return {s.begin(), s.end()}; }

class KeyValue : public ::testing::TestWithParam<std::string> {
 protected:
  static void SetUpTestSuite() {
    redis_ = new RedisServer();
    redis_ok_ = redis_->start();
  }
  static void TearDownTestSuite() {
    delete redis_;
    redis_ = nullptr;
  }

  void SetUp() override {
    if (GetParam() == "redis" && find_redis_server().empty()) GTEST_SKIP() << "redis-server is not installed";
    if (GetParam() == "redis") {
      ASSERT_TRUE(redis_ok_) << "redis-server did not start";
    }
    // Redis is shared by the suite's tests: give each its own keys.
    prefix_ = std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()) + ":";
  }

  std::shared_ptr<Provider> provider(std::string_view contract, LinkValues values = {}) {
    if (GetParam() == "redis") values["URL"] = redis_->url();
    auto p = make_provider(contract, values, ProviderEnv{dir_.path, nullptr});
    EXPECT_TRUE(p.ok()) << (p.ok() ? "" : p.error().message);
    return p.ok() ? *p : nullptr;
  }

  std::string k(std::string_view name) const { return prefix_ + std::string(name); }

  // Request builders for the waSCC/WIDL shapes.
  static std::vector<uint8_t> key_req(const std::string& key) {
    mp::Writer w;
    w.map(1).str("key").str(key);
    return w.take();
  }
  static std::vector<uint8_t> kv_req(const std::string& key, std::string_view value) {
    mp::Writer w;
    w.map(2).str("key").str(key).str("value").str(value);
    return w.take();
  }
  static std::vector<uint8_t> add_req(const std::string& key, int32_t value) {
    mp::Writer w;
    w.map(2).str("key").str(key).str("value").sint(value);
    return w.take();
  }
  static std::vector<uint8_t> bare_str(const std::string& s) {
    mp::Writer w;
    w.str(s);
    return w.take();
  }

  TempDir dir_;
  std::string prefix_;
  static RedisServer* redis_;
  static bool redis_ok_;
};

RedisServer* KeyValue::redis_ = nullptr;
bool KeyValue::redis_ok_ = false;

TEST_P(KeyValue, WasccStrings) {
  auto p = provider("wascc:keyvalue");
  ASSERT_TRUE(p);
  auto g = decoded(call(*p, "Get", key_req(k("a"))));
  EXPECT_EQ(g.find("value")->as_str(), "");
  EXPECT_EQ(g.find("exists")->as_bool(), false);

  mp::Writer set;
  set.map(3).str("key").str(k("a")).str("value").str("hello").str("expires").sint(0);
  auto s = decoded(call(*p, "Set", set.take()));
  EXPECT_EQ(s.find("value")->as_str(), "hello");

  g = decoded(call(*p, "Get", key_req(k("a"))));
  EXPECT_EQ(g.find("value")->as_str(), "hello");
  EXPECT_EQ(g.find("exists")->as_bool(), true);

  auto e = decoded(call(*p, "KeyExists", key_req(k("a"))));
  EXPECT_EQ(e.find("exists")->as_bool(), true);
  EXPECT_EQ(e.find("value")->as_str(), "");

  auto d = decoded(call(*p, "Del", key_req(k("a"))));
  EXPECT_EQ(d.find("key")->as_str(), k("a"));
  EXPECT_EQ(decoded(call(*p, "KeyExists", key_req(k("a")))).find("exists")->as_bool(), false);
  // Deleting a missing key is not an error.
  EXPECT_TRUE(call(*p, "Del", key_req(k("a"))).ok);
}

TEST_P(KeyValue, WasccAddRepliesByteExact) {
  auto p = provider("wascc:keyvalue");
  ASSERT_TRUE(p);
  // ACTOR-ABI §2.4: Add(":counter", 1) on an empty store answers 81 a5 "value" 01.
  auto r = call(*p, "Add", add_req(k(":counter"), 1));
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.data, (std::vector<uint8_t>{0x81, 0xa5, 'v', 'a', 'l', 'u', 'e', 0x01}));
  // A value above 127 uses the signed int16 marker, as the AssemblyScript decoder needs.
  r = call(*p, "Add", add_req(k(":counter"), 199));
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.data, (std::vector<uint8_t>{0x81, 0xa5, 'v', 'a', 'l', 'u', 'e', 0xd1, 0x00, 0xc8}));
  r = call(*p, "Add", add_req(k(":counter"), -300));
  EXPECT_EQ(decoded(r).find("value")->as_i64(), -100);
  // The value is also readable as a string.
  EXPECT_EQ(decoded(call(*p, "Get", key_req(k(":counter")))).find("value")->as_str(), "-100");
}

TEST_P(KeyValue, AddOnTextFails) {
  auto p = provider("wascc:keyvalue");
  mp::Writer set;
  set.map(3).str("key").str(k("t")).str("value").str("abc").str("expires").sint(0);
  ASSERT_TRUE(call(*p, "Set", set.take()).ok);
  auto r = call(*p, "Add", add_req(k("t"), 1));
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.error.find("integer"), std::string::npos) << r.error;
}

TEST_P(KeyValue, AddOverflowOfI32Fails) {
  auto p = provider("wascc:keyvalue");
  ASSERT_TRUE(call(*p, "Add", add_req(k("big"), INT32_MAX)).ok);
  auto r = call(*p, "Add", add_req(k("big"), 1));
  EXPECT_FALSE(r.ok);
}

TEST_P(KeyValue, WasccLists) {
  auto p = provider("wascc:keyvalue");
  for (auto v : {"a", "b", "c", "b"}) {
    auto r = decoded(call(*p, "Push", kv_req(k("l"), v)));
    EXPECT_TRUE(r.find("newCount")) << "ListResponse uses newCount";
  }
  auto range = [&](int32_t start, int32_t stop) {
    mp::Writer w;
    w.map(3).str("key").str(k("l")).str("start").sint(start).str("stop").sint(stop);
    return strings_of(decoded(call(*p, "Range", w.take())).find("values"));
  };
  // Push prepends (LPUSH), as waSCC's Redis provider did.
  EXPECT_EQ(range(0, -1), (std::vector<std::string>{"b", "c", "b", "a"}));
  EXPECT_EQ(range(1, 2), (std::vector<std::string>{"c", "b"}));
  EXPECT_EQ(range(-2, -1), (std::vector<std::string>{"b", "a"}));
  EXPECT_EQ(range(5, 10), (std::vector<std::string>{}));
  EXPECT_EQ(range(2, 100), (std::vector<std::string>{"b", "a"}));

  auto del = decoded(call(*p, "ListItemDelete", kv_req(k("l"), "b")));
  EXPECT_EQ(del.find("newCount")->as_i64(), 2);  // removed both
  EXPECT_EQ(range(0, -1), (std::vector<std::string>{"c", "a"}));

  EXPECT_EQ(decoded(call(*p, "KeyExists", key_req(k("l")))).find("exists")->as_bool(), true);
  auto clear = decoded(call(*p, "Clear", key_req(k("l"))));
  EXPECT_EQ(clear.find("key")->as_str(), k("l"));
  EXPECT_EQ(range(0, -1), (std::vector<std::string>{}));
}

TEST_P(KeyValue, WasccSets) {
  auto p = provider("wascc:keyvalue");
  EXPECT_EQ(decoded(call(*p, "SetAdd", kv_req(k("s1"), "x"))).find("newCount")->as_i64(), 1);
  EXPECT_EQ(decoded(call(*p, "SetAdd", kv_req(k("s1"), "x"))).find("newCount")->as_i64(), 0);
  ASSERT_TRUE(call(*p, "SetAdd", kv_req(k("s1"), "y")).ok);
  ASSERT_TRUE(call(*p, "SetAdd", kv_req(k("s2"), "y")).ok);
  ASSERT_TRUE(call(*p, "SetAdd", kv_req(k("s2"), "z")).ok);
  EXPECT_EQ(strings_of(decoded(call(*p, "SetQuery", key_req(k("s1")))).find("values")),
            (std::vector<std::string>{"x", "y"}));
  mp::Writer u;
  u.map(1).str("keys").array(2).str(k("s1")).str(k("s2"));
  auto keys = u.take();
  EXPECT_EQ(strings_of(decoded(call(*p, "SetUnion", keys)).find("values")),
            (std::vector<std::string>{"x", "y", "z"}));
  EXPECT_EQ(strings_of(decoded(call(*p, "SetIntersection", keys)).find("values")), (std::vector<std::string>{"y"}));
  EXPECT_EQ(decoded(call(*p, "SetRemove", kv_req(k("s1"), "x"))).find("newCount")->as_i64(), 1);
  EXPECT_EQ(decoded(call(*p, "SetRemove", kv_req(k("s1"), "x"))).find("newCount")->as_i64(), 0);
  EXPECT_EQ(strings_of(decoded(call(*p, "SetQuery", key_req(k("s1")))).find("values")),
            (std::vector<std::string>{"y"}));
  ASSERT_TRUE(call(*p, "Del", key_req(k("s2"))).ok);
  EXPECT_EQ(strings_of(decoded(call(*p, "SetQuery", key_req(k("s2")))).find("values")),
            (std::vector<std::string>{}));
}

TEST_P(KeyValue, WidlUsesSnakeCaseNewCountForSets) {
  auto p = provider("wasmcloud:keyvalue");
  auto s = decoded(call(*p, "SetAdd", kv_req(k("s"), "x")));
  EXPECT_EQ(s.find("new_count")->as_i64(), 1);
  EXPECT_EQ(s.find("newCount"), nullptr);
  auto r = decoded(call(*p, "SetRemove", kv_req(k("s"), "x")));
  EXPECT_EQ(r.find("new_count")->as_i64(), 1);
  auto l = decoded(call(*p, "Push", kv_req(k("l"), "x")));
  EXPECT_EQ(l.find("newCount")->as_i64(), 1);
  EXPECT_EQ(decoded(call(*p, "Add", add_req(k("n"), 5))).find("value")->as_i64(), 5);
  EXPECT_EQ(decoded(call(*p, "Get", key_req(k("n")))).find("value")->as_str(), "5");
}

TEST_P(KeyValue, StructsAsArraysInFieldOrder) {
  auto p = provider("wascc:keyvalue");
  mp::Writer add;
  add.array(2).str(k("arr")).sint(7);
  EXPECT_EQ(decoded(call(*p, "Add", add.take())).find("value")->as_i64(), 7);
  mp::Writer set;
  set.array(3).str(k("s")).str("v").uint(0);
  ASSERT_TRUE(call(*p, "Set", set.take()).ok);
  mp::Writer get;
  get.array(1).str(k("s"));
  EXPECT_EQ(decoded(call(*p, "Get", get.take())).find("value")->as_str(), "v");
}

TEST_P(KeyValue, WasmbusAllOps) {
  auto p = provider("wasmcloud:keyvalue");
  mp::Writer set;
  set.map(3).str("key").str(k("a")).str("value").str("1").str("expires").uint(0);
  auto r = call(*p, "KeyValue.Set", set.take());
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_TRUE(r.data.empty());

  auto g = decoded(call(*p, "KeyValue.Get", bare_str(k("a"))));
  EXPECT_EQ(g.find("value")->as_str(), "1");
  EXPECT_EQ(g.find("exists")->as_bool(), true);

  mp::Writer inc;
  inc.map(2).str("key").str(k("a")).str("value").sint(200);
  r = call(*p, "KeyValue.Increment", inc.take());
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.data, (std::vector<uint8_t>{0xd1, 0x00, 0xc9}));  // bare i32 201

  EXPECT_EQ(decoded(call(*p, "KeyValue.Contains", bare_str(k("a")))).as_bool(), true);
  EXPECT_EQ(decoded(call(*p, "KeyValue.Del", bare_str(k("a")))).as_bool(), true);
  EXPECT_EQ(decoded(call(*p, "KeyValue.Del", bare_str(k("a")))).as_bool(), false);
  EXPECT_EQ(decoded(call(*p, "KeyValue.Contains", bare_str(k("a")))).as_bool(), false);

  auto list_req = [&](std::string_view v) {
    mp::Writer w;
    w.map(2).str("listName").str(k("l")).str("value").str(v);
    return w.take();
  };
  EXPECT_EQ(decoded(call(*p, "KeyValue.ListAdd", list_req("a"))).as_u64(), 1u);
  EXPECT_EQ(decoded(call(*p, "KeyValue.ListAdd", list_req("b"))).as_u64(), 2u);
  EXPECT_EQ(decoded(call(*p, "KeyValue.ListAdd", list_req("c"))).as_u64(), 3u);
  mp::Writer range;
  range.map(3).str("listName").str(k("l")).str("start").sint(0).str("stop").sint(-1);
  auto rv = decoded(call(*p, "KeyValue.ListRange", range.take()));
  EXPECT_EQ(strings_of(&rv), (std::vector<std::string>{"a", "b", "c"}));  // ListAdd appends
  EXPECT_EQ(decoded(call(*p, "KeyValue.ListDel", list_req("b"))).as_bool(), true);
  EXPECT_EQ(decoded(call(*p, "KeyValue.ListDel", list_req("b"))).as_bool(), false);
  EXPECT_EQ(decoded(call(*p, "KeyValue.ListClear", bare_str(k("l")))).as_bool(), true);
  EXPECT_EQ(decoded(call(*p, "KeyValue.ListClear", bare_str(k("l")))).as_bool(), false);

  auto set_req = [&](std::string_view name, std::string_view v) {
    mp::Writer w;
    w.map(2).str("setName").str(k(name)).str("value").str(v);
    return w.take();
  };
  EXPECT_EQ(decoded(call(*p, "KeyValue.SetAdd", set_req("s1", "x"))).as_u64(), 1u);
  EXPECT_EQ(decoded(call(*p, "KeyValue.SetAdd", set_req("s1", "x"))).as_u64(), 0u);
  EXPECT_EQ(decoded(call(*p, "KeyValue.SetAdd", set_req("s1", "y"))).as_u64(), 1u);
  EXPECT_EQ(decoded(call(*p, "KeyValue.SetAdd", set_req("s2", "y"))).as_u64(), 1u);
  auto q = decoded(call(*p, "KeyValue.SetQuery", bare_str(k("s1"))));
  EXPECT_EQ(strings_of(&q), (std::vector<std::string>{"x", "y"}));
  mp::Writer keys;
  keys.array(2).str(k("s1")).str(k("s2"));
  auto ks = keys.take();
  auto un = decoded(call(*p, "KeyValue.SetUnion", ks));
  EXPECT_EQ(strings_of(&un), (std::vector<std::string>{"x", "y"}));
  auto in = decoded(call(*p, "KeyValue.SetIntersection", ks));
  EXPECT_EQ(strings_of(&in), (std::vector<std::string>{"y"}));
  EXPECT_EQ(decoded(call(*p, "KeyValue.SetDel", set_req("s1", "x"))).as_u64(), 1u);
  EXPECT_EQ(decoded(call(*p, "KeyValue.SetClear", bare_str(k("s1")))).as_bool(), true);
  EXPECT_EQ(decoded(call(*p, "KeyValue.SetClear", bare_str(k("s1")))).as_bool(), false);
}

TEST_P(KeyValue, ExpiryIsHonoured) {
  auto p = provider("wasmcloud:keyvalue");
  mp::Writer set;
  set.map(3).str("key").str(k("e")).str("value").str("soon gone").str("expires").uint(1);
  ASSERT_TRUE(call(*p, "KeyValue.Set", set.take()).ok);
  mp::Writer keep;
  keep.map(3).str("key").str(k("keep")).str("value").str("stays").str("expires").uint(0);
  ASSERT_TRUE(call(*p, "KeyValue.Set", keep.take()).ok);
  // Expiry has a one-second resolution: after 2.1 s the value is certainly gone.
  std::this_thread::sleep_for(std::chrono::milliseconds(2100));
  EXPECT_EQ(decoded(call(*p, "KeyValue.Get", bare_str(k("e")))).find("exists")->as_bool(), false);
  EXPECT_EQ(decoded(call(*p, "KeyValue.Contains", bare_str(k("e")))).as_bool(), false);
  EXPECT_EQ(decoded(call(*p, "KeyValue.Get", bare_str(k("keep")))).find("value")->as_str(), "stays");
  // An expired counter starts again from zero.
  mp::Writer inc;
  inc.map(2).str("key").str(k("e")).str("value").sint(3);
  EXPECT_EQ(decoded(call(*p, "KeyValue.Increment", inc.take())).as_i64(), 3);
}

TEST_P(KeyValue, ConcurrentIncrementsAreExact) {
  constexpr int kThreads = 8, kEach = 100;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&, t] {
      // Each thread has its own provider (a link each), all on the same store.
      auto p = provider(t % 2 ? "wascc:keyvalue" : "wasmcloud:keyvalue");
      for (int i = 0; i < kEach; ++i)
        if (!call(*p, "Add", add_req(k("c"), 1)).ok) ++failures;
    });
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  auto p = provider("wascc:keyvalue");
  EXPECT_EQ(decoded(call(*p, "Get", key_req(k("c")))).find("value")->as_str(), std::to_string(kThreads * kEach));
}

// Writers that fail beside writers that succeed, at once: with SQLite they are committed in
// shared groups, where a failing write must be rolled back alone and fail alone.
TEST_P(KeyValue, FailingWritesAmongConcurrentOnesFailAlone) {
  constexpr int kThreads = 8, kEach = 60;
  {
    auto p = provider("wascc:keyvalue");
    mp::Writer set;
    set.map(3).str("key").str(k("text")).str("value").str("abc").str("expires").sint(0);
    ASSERT_TRUE(call(*p, "Set", set.take()).ok);
  }
  std::atomic<int> unexpected{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&, t] {
      auto p = provider("wascc:keyvalue");
      for (int i = 0; i < kEach; ++i) {
        if (!call(*p, "Add", add_req(k("n"), 1)).ok) ++unexpected;
        if (call(*p, "Add", add_req(k("text"), 1)).ok) ++unexpected;  // not an integer: fails
        mp::Writer set;
        std::string key = k("own:" + std::to_string(t) + ":" + std::to_string(i));
        set.map(3).str("key").str(key).str("value").str(std::to_string(i)).str("expires").sint(0);
        if (!call(*p, "Set", set.take()).ok) ++unexpected;
      }
    });
  for (auto& th : threads) th.join();
  EXPECT_EQ(unexpected.load(), 0);
  auto p = provider("wascc:keyvalue");
  EXPECT_EQ(decoded(call(*p, "Get", key_req(k("n")))).find("value")->as_str(), std::to_string(kThreads * kEach));
  EXPECT_EQ(decoded(call(*p, "Get", key_req(k("text")))).find("value")->as_str(), "abc");
  for (int t = 0; t < kThreads; ++t)
    EXPECT_EQ(decoded(call(*p, "Get", key_req(k("own:" + std::to_string(t) + ":" + std::to_string(kEach - 1)))))
                  .find("value")
                  ->as_str(),
              std::to_string(kEach - 1));
}

TEST_P(KeyValue, MalformedPayloadsFailWithoutCrashing) {
  auto wascc = provider("wascc:keyvalue");
  auto widl = provider("wasmcloud:keyvalue");
  std::vector<std::vector<uint8_t>> bad = {
      {},
      {0xc1},
      {0x81, 0xa3, 'k', 'e', 'y'},          // truncated map
      {0xdf, 0xff, 0xff, 0xff, 0xff},       // map32 claiming 4 billion pairs
      {0x81, 0xa3, 'k', 'e', 'y', 0x05},    // key is not a string
      {0x80},                               // missing fields
      {0xa3, 'a', 'b', 'c'},                // a string where a struct is expected
      {0x92, 0xc0, 0xc0},                   // array form with wrong types
      text("\x82\xa3key\xa1k\xa5value\xcf\xff\xff\xff\xff\xff\xff\xff\xff"),  // value out of range
  };
  for (std::string_view op : {"Get", "Set", "Add", "Del", "Clear", "Range", "Push", "ListItemDelete", "SetAdd",
                              "SetRemove", "SetUnion", "SetIntersection", "SetQuery", "KeyExists", "Nonsense",
                              "KeyValue.Get", "KeyValue.Set", "KeyValue.Increment", "KeyValue.Del",
                              "KeyValue.Contains", "KeyValue.ListAdd", "KeyValue.ListDel", "KeyValue.ListRange",
                              "KeyValue.ListClear", "KeyValue.SetAdd", "KeyValue.SetDel", "KeyValue.SetQuery",
                              "KeyValue.SetUnion", "KeyValue.SetIntersection", "KeyValue.SetClear", "KeyValue.X"}) {
    for (const auto& b : bad) {
      auto r1 = call(*wascc, op, b);
      auto r2 = call(*widl, op, b);
      EXPECT_TRUE(r1.ok || !r1.error.empty()) << op;
      EXPECT_TRUE(r2.ok || !r2.error.empty()) << op;
    }
  }
  auto r = call(*wascc, "Get", {0x80});
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.error.find("missing field `key`"), std::string::npos) << r.error;
}

INSTANTIATE_TEST_SUITE_P(Backends, KeyValue, ::testing::Values("sqlite", "redis"),
                         [](const auto& info) { return info.param; });

// --- SQLite only

TEST(KeyValueSqlite, PersistsAcrossReopen) {
  TempDir dir;
  ProviderEnv env{dir.path, nullptr};
  {
    auto p = make_provider("wascc:keyvalue", {{"store", "app1"}}, env);
    ASSERT_TRUE(p.ok()) << p.error().message;
    mp::Writer w;
    w.map(2).str("key").str("n").str("value").sint(41);
    ASSERT_TRUE(call(**p, "Add", w.take()).ok);
  }  // the last provider is gone: the database is closed
  EXPECT_TRUE(std::filesystem::exists(dir.path / "kv" / "app1.sqlite3"));
  auto p = make_provider("wascc:keyvalue", {{"store", "app1"}}, env);
  ASSERT_TRUE(p.ok());
  mp::Writer w;
  w.map(2).str("key").str("n").str("value").sint(1);
  EXPECT_EQ(decoded(call(**p, "Add", w.take())).find("value")->as_i64(), 42);
}

TEST(KeyValueSqlite, StoresAreSeparateAndLinksShareThem) {
  TempDir dir;
  ProviderEnv env{dir.path, nullptr};
  auto a1 = *make_provider("wascc:keyvalue", {{"store", "a"}}, env);
  auto a2 = *make_provider("wasmcloud:keyvalue", {{"store", "a"}}, env);
  auto b = *make_provider("wascc:keyvalue", {{"store", "b"}}, env);
  mp::Writer w;
  w.map(2).str("key").str("x").str("value").sint(5);
  auto req = w.take();
  EXPECT_EQ(decoded(call(*a1, "Add", req)).find("value")->as_i64(), 5);
  EXPECT_EQ(decoded(call(*a2, "Add", req)).find("value")->as_i64(), 10);
  EXPECT_EQ(decoded(call(*b, "Add", req)).find("value")->as_i64(), 5);
}

TEST(KeyValueSqlite, BadStoreNamesAreRefused) {
  TempDir dir;
  ProviderEnv env{dir.path, nullptr};
  for (auto bad : {"../evil", "a/b", "", ".hidden", "x y"}) {
    auto p = make_provider("wascc:keyvalue", {{"store", bad}}, env);
    ASSERT_FALSE(p.ok()) << bad;
    EXPECT_NE(p.error().message.find("store"), std::string::npos);
  }
  auto p = make_provider("wascc:keyvalue", {{"URL", "http://x"}}, env);
  EXPECT_FALSE(p.ok());
}

// --- Redis only

TEST(KeyValueRedis, FailuresAreErrorsAndReconnectWorks) {
  if (find_redis_server().empty()) GTEST_SKIP() << "redis-server is not installed";
  TempDir dir;
  auto server = std::make_unique<RedisServer>();
  ASSERT_TRUE(server->start());
  uint16_t port = server->port();
  std::string url = server->url();
  auto p = *make_provider("wascc:keyvalue", {{"URL", url}}, ProviderEnv{dir.path, nullptr});
  mp::Writer w;
  w.map(2).str("key").str("r").str("value").sint(1);
  auto req = w.take();
  EXPECT_EQ(decoded(call(*p, "Add", req)).find("value")->as_i64(), 1);
  server->stop();
  auto r = call(*p, "Add", req);
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.error.find("redis"), std::string::npos) << r.error;
  (void)port;
  // A new server: the provider reconnects (the data is gone, the server keeps none).
  auto again = std::make_unique<RedisServer>();
  ASSERT_TRUE(again->start());
  auto p2 = *make_provider("wascc:keyvalue", {{"URL", again->url()}}, ProviderEnv{dir.path, nullptr});
  EXPECT_EQ(decoded(call(*p2, "Add", req)).find("value")->as_i64(), 1);
}

TEST(KeyValueRedis, BadUrlsAreRefused) {
  TempDir dir;
  for (auto bad : {"redis://", "redis://host:notaport", "redis://host:99999", "redis://h:1/x"}) {
    auto p = make_provider("wascc:keyvalue", {{"URL", bad}}, ProviderEnv{dir.path, nullptr});
    EXPECT_FALSE(p.ok()) << bad;
  }
}

}  // namespace
}  // namespace isola::host::test
