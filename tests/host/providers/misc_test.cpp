// Logging, extras and numbergen providers, and the factory.
#include <mutex>
#include <regex>
#include <set>

#include "helpers.hpp"

namespace isola::host::test {
namespace {

class CaptureLog final : public LogSink {
 public:
  void write(LogLevel level, const nlohmann::json& record) override {
    std::lock_guard lock(mu);
    records.emplace_back(level, record);
  }
  bool enabled(LogLevel level) const override { return level <= LogLevel::Debug; }
  std::mutex mu;
  std::vector<std::pair<LogLevel, nlohmann::json>> records;
};

TEST(Logging, ThreeFlavours) {
  CaptureLog log;
  ProviderEnv env{{}, &log};
  auto wascc = *make_provider("wascc:logging", {}, env);
  auto widl = *make_provider("wasmcloud:logging", {}, env);
  auto builtin = *make_provider("wasmcloud:builtin:logging", {}, env);

  mp::Writer a;  // verified logger.wasm shape: 82 a5 "level" 03 a4 "body" ...
  a.map(2).str("level").uint(3).str("body").str("from wascc");
  auto r = call(*wascc, "WriteLog", a.take(), "logger");
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_TRUE(r.data.empty());

  mp::Writer b;
  b.map(3).str("target").str("mytarget").str("level").str("warn").str("text").str("from widl");
  ASSERT_TRUE(call(*widl, "WriteLog", b.take(), "c2").ok);

  mp::Writer c;
  c.map(2).str("level").str("error").str("text").str("from wasmbus");
  ASSERT_TRUE(call(*builtin, "Logging.WriteLog", c.take(), "c3").ok);

  mp::Writer off;  // level 0 = off: accepted, not logged
  off.map(2).str("level").uint(0).str("body").str("silent");
  ASSERT_TRUE(call(*wascc, "WriteLog", off.take()).ok);
  mp::Writer trace;  // trace is below the sink's threshold
  trace.map(2).str("level").uint(5).str("body").str("too verbose");
  ASSERT_TRUE(call(*wascc, "WriteLog", trace.take()).ok);
  mp::Writer odd;  // unknown names are debug, as in the OTP host
  odd.map(2).str("level").str("chatty").str("text").str("odd level");
  ASSERT_TRUE(call(*builtin, "Logging.WriteLog", odd.take(), "c3").ok);

  ASSERT_EQ(log.records.size(), 4u);
  EXPECT_EQ(log.records[0].first, LogLevel::Info);
  EXPECT_EQ(log.records[0].second["component"], "logger");
  EXPECT_EQ(log.records[0].second["msg"], "from wascc");
  EXPECT_EQ(log.records[0].second["target"], "logger");
  EXPECT_EQ(log.records[1].first, LogLevel::Warn);
  EXPECT_EQ(log.records[1].second["target"], "mytarget");
  EXPECT_EQ(log.records[1].second["msg"], "from widl");
  EXPECT_EQ(log.records[2].first, LogLevel::Error);
  EXPECT_EQ(log.records[2].second["component"], "c3");
  EXPECT_EQ(log.records[3].first, LogLevel::Debug);
}

TEST(Logging, MalformedFails) {
  CaptureLog log;
  auto p = *make_provider("wascc:logging", {}, ProviderEnv{{}, &log});
  EXPECT_FALSE(call(*p, "WriteLog", {}).ok);
  EXPECT_FALSE(call(*p, "WriteLog", {0x80}).ok);
  EXPECT_FALSE(call(*p, "WriteLog", {0xa1, 'x'}).ok);
  mp::Writer w;
  w.map(2).str("level").nil().str("body").str("x");
  EXPECT_FALSE(call(*p, "WriteLog", w.take()).ok);
  EXPECT_FALSE(call(*p, "Other", {0x80}).ok);
  EXPECT_TRUE(log.records.empty());
}

const std::regex kUuid("^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$");

std::vector<uint8_t> generator(bool guid, bool seq, bool random, uint32_t min, uint32_t max) {
  mp::Writer w;
  w.map(5).str("guid").boolean(guid).str("sequence").boolean(seq).str("random").boolean(random);
  w.str("min").uint(min).str("max").uint(max);
  return w.take();
}

TEST(Extras, Wascc) {
  auto p = *make_provider("wascc:extras", {}, ProviderEnv{});
  auto g = decoded(call(*p, "RequestGuid", generator(true, false, false, 0, 0)));
  ASSERT_TRUE(g.find("guid")->as_str());
  EXPECT_TRUE(std::regex_match(std::string(*g.find("guid")->as_str()), kUuid));
  EXPECT_EQ(g.find("sequenceNumber")->as_u64(), 0u);
  EXPECT_EQ(g.find("randomNumber")->as_u64(), 0u);

  auto r = decoded(call(*p, "RequestRandom", generator(false, false, true, 10, 12)));
  EXPECT_TRUE(r.find("guid")->is_nil());
  std::set<uint64_t> seen;
  for (int i = 0; i < 200; ++i) {
    auto v = decoded(call(*p, "RequestRandom", generator(false, false, true, 10, 12)));
    seen.insert(*v.find("randomNumber")->as_u64());
  }
  EXPECT_EQ(seen, (std::set<uint64_t>{10, 11}));  // [min, max)
  EXPECT_FALSE(call(*p, "RequestRandom", generator(false, false, true, 5, 5)).ok);

  for (uint64_t i = 0; i < 3; ++i)
    EXPECT_EQ(decoded(call(*p, "RequestSequence", generator(false, true, false, 0, 0), "seq-wascc"))
                  .find("sequenceNumber")
                  ->as_u64(),
              i);
  // Another component has its own sequence; another link of the same component shares it.
  EXPECT_EQ(decoded(call(*p, "RequestSequence", generator(false, true, false, 0, 0), "seq-other"))
                .find("sequenceNumber")
                ->as_u64(),
            0u);
  auto p2 = *make_provider("wascc:extras", {}, ProviderEnv{});
  EXPECT_EQ(decoded(call(*p2, "RequestSequence", generator(false, true, false, 0, 0), "seq-wascc"))
                .find("sequenceNumber")
                ->as_u64(),
            3u);
  EXPECT_FALSE(call(*p, "RequestGuid", {0xc1}).ok);
  EXPECT_FALSE(call(*p, "Nope", generator(true, false, false, 0, 0)).ok);
}

TEST(Extras, Widl) {
  auto p = *make_provider("wasmcloud:extras", {}, ProviderEnv{});
  auto g = decoded(call(*p, "RequestGuid", {}));
  ASSERT_TRUE(g.as_str());
  EXPECT_TRUE(std::regex_match(std::string(*g.as_str()), kUuid));
  mp::Writer range;
  range.map(2).str("min").uint(7).str("max").uint(8);
  EXPECT_EQ(decoded(call(*p, "RequestRandom", range.take())).as_u64(), 7u);
  EXPECT_EQ(decoded(call(*p, "RequestSequence", {}, "widl-seq")).as_u64(), 0u);
  EXPECT_EQ(decoded(call(*p, "RequestSequence", {}, "widl-seq")).as_u64(), 1u);
  EXPECT_FALSE(call(*p, "RequestRandom", {}).ok);
}

TEST(NumberGen, Ops) {
  auto p = *make_provider("wasmcloud:builtin:numbergen", {}, ProviderEnv{});
  auto g = decoded(call(*p, "NumberGen.GenerateGuid", {}));
  EXPECT_TRUE(std::regex_match(std::string(g.as_str().value_or("")), kUuid));
  EXPECT_NE(g.as_str(), decoded(call(*p, "NumberGen.GenerateGuid", {})).as_str());
  std::set<uint64_t> seen;
  for (int i = 0; i < 200; ++i) {
    mp::Writer w;
    w.map(2).str("min").uint(1).str("max").uint(3);
    seen.insert(*decoded(call(*p, "NumberGen.RandomInRange", w.take())).as_u64());
  }
  EXPECT_EQ(seen, (std::set<uint64_t>{1, 2, 3}));  // inclusive
  mp::Writer same;
  same.map(2).str("min").uint(9).str("max").uint(9);
  EXPECT_EQ(decoded(call(*p, "NumberGen.RandomInRange", same.take())).as_u64(), 9u);
  mp::Writer full;
  full.map(2).str("min").uint(0).str("max").uint(UINT32_MAX);
  EXPECT_TRUE(call(*p, "NumberGen.RandomInRange", full.take()).ok);
  mp::Writer inverted;
  inverted.map(2).str("min").uint(5).str("max").uint(4);
  EXPECT_FALSE(call(*p, "NumberGen.RandomInRange", inverted.take()).ok);
  EXPECT_TRUE(decoded(call(*p, "NumberGen.Random32", {})).as_u32());
  EXPECT_FALSE(call(*p, "NumberGen.RandomInRange", {0x91, 0x01}).ok);
  EXPECT_FALSE(call(*p, "RequestGuid", {}).ok);
}

TEST(Factory, KnownContracts) {
  for (auto c : {"wascc:keyvalue", "wasmcloud:keyvalue", "wascc:logging", "wasmcloud:logging",
                 "wasmcloud:builtin:logging", "wascc:http_client", "wasmcloud:httpclient", "wascc:extras",
                 "wasmcloud:extras", "wasmcloud:builtin:numbergen"})
    EXPECT_TRUE(is_known_contract(c)) << c;
  EXPECT_FALSE(is_known_contract("wascc:messaging"));
  auto p = make_provider("wascc:blobstore", {}, ProviderEnv{});
  ASSERT_FALSE(p.ok());
  EXPECT_NE(p.error().message.find("wascc:blobstore"), std::string::npos);
  // Values a waSCC host adds are ignored.
  TempDir dir;
  EXPECT_TRUE(make_provider("wascc:keyvalue", {{"__wascc_issuer", "A..."}}, ProviderEnv{dir.path, nullptr}).ok());
}

}  // namespace
}  // namespace isola::host::test
