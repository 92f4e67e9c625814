// The msgpack layer against ACTOR-ABI.md's byte-exact examples (§2.1, §2.4) and hostile input.
#include "host/codec/mp.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace mp = isola::host::mp;

namespace {

std::vector<uint8_t> hex(std::string_view h) {
  std::vector<uint8_t> out;
  auto nib = [](char c) { return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10; };
  for (size_t i = 0; i < h.size();) {
    if (h[i] == ' ') { ++i; continue; }
    out.push_back(static_cast<uint8_t>(nib(h[i]) * 16 + nib(h[i + 1])));
    i += 2;
  }
  return out;
}

std::vector<uint8_t> cat(std::initializer_list<std::vector<uint8_t>> parts) {
  std::vector<uint8_t> out;
  for (auto& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

std::vector<uint8_t> text(std::string_view s) { return {s.begin(), s.end()}; }

}  // namespace

TEST(MsgpackWriter, AddResponseUsesSignedMarkerForAssemblyScript) {
  mp::Writer w;
  w.map(1).str("value").sint(200);
  EXPECT_EQ(w.bytes(), cat({hex("81 a5"), text("value"), hex("d1 00 c8")}));
}

TEST(MsgpackWriter, KvCounterAddReplyIsExact) {
  // §2.4 step 3: {"value":1}
  mp::Writer w;
  w.map(1).str("value").sint(1);
  EXPECT_EQ(w.bytes(), hex("81 a5 76 61 6c 75 65 01"));
}

TEST(MsgpackWriter, KvCounterResponseIsExact) {
  // §2.4 step 4: statusCode is a u32, so 200 is `cc c8`.
  std::string body = "{\"counter\":1}";
  mp::Writer w;
  w.map(4).str("statusCode").uint(200).str("status").str("OK").str("header").map(0).str("body").bin(body);
  auto expect = cat({hex("84 aa"), text("statusCode"), hex("cc c8 a6"), text("status"), hex("a2"), text("OK"),
                     hex("a6"), text("header"), hex("80 a4"), text("body"), hex("c4 0d"), text(body)});
  EXPECT_EQ(w.bytes(), expect);
}

TEST(MsgpackWriter, SignedMarkers) {
  auto enc = [](int64_t v) { mp::Writer w; w.sint(v); return w.take(); };
  EXPECT_EQ(enc(0), hex("00"));
  EXPECT_EQ(enc(127), hex("7f"));
  EXPECT_EQ(enc(128), hex("d1 00 80"));  // int8 cannot hold 128
  EXPECT_EQ(enc(-1), hex("ff"));
  EXPECT_EQ(enc(-32), hex("e0"));
  EXPECT_EQ(enc(-33), hex("d0 df"));
  EXPECT_EQ(enc(-128), hex("d0 80"));
  EXPECT_EQ(enc(-129), hex("d1 ff 7f"));
  EXPECT_EQ(enc(32767), hex("d1 7f ff"));
  EXPECT_EQ(enc(32768), hex("d2 00 00 80 00"));
  EXPECT_EQ(enc(INT32_MIN), hex("d2 80 00 00 00"));
  EXPECT_EQ(enc(int64_t{1} << 31), hex("d3 00 00 00 00 80 00 00 00"));
  EXPECT_EQ(enc(INT64_MIN), hex("d3 80 00 00 00 00 00 00 00"));
}

TEST(MsgpackWriter, UnsignedMarkers) {
  auto enc = [](uint64_t v) { mp::Writer w; w.uint(v); return w.take(); };
  EXPECT_EQ(enc(5), hex("05"));
  EXPECT_EQ(enc(128), hex("cc 80"));
  EXPECT_EQ(enc(256), hex("cd 01 00"));
  EXPECT_EQ(enc(65536), hex("ce 00 01 00 00"));
  EXPECT_EQ(enc(uint64_t{1} << 32), hex("cf 00 00 00 01 00 00 00 00"));
}

TEST(MsgpackWriter, StringsBinNilBool) {
  mp::Writer w;
  w.array(4).str(std::string(32, 'x')).bin(std::string_view("ab")).nil().boolean(true);
  auto b = w.take();
  ASSERT_EQ(b.size(), 1u + 2 + 32 + 4 + 1 + 1);
  EXPECT_EQ(b[0], 0x94);
  EXPECT_EQ(b[1], 0xd9);  // str8 above 31 bytes
  EXPECT_EQ(b[2], 32);
  EXPECT_EQ(b[35], 0xc4);
  EXPECT_EQ(b[39], 0xc0);
  EXPECT_EQ(b[40], 0xc3);
}

TEST(MsgpackDecode, KvCounterRequest) {
  // §2.4 step 1, the 65-byte HandleRequest payload.
  auto bytes = cat({hex("85 a6"), text("method"), hex("a3"), text("GET"), hex("a4"), text("path"), hex("a8"),
                    text("/counter"), hex("ab"), text("queryString"), hex("a0 a6"), text("header"), hex("81 a6"),
                    text("accept"), hex("a3"), text("*/*"), hex("a4"), text("body"), hex("c4 00")});
  ASSERT_EQ(bytes.size(), 65u);
  auto v = mp::decode(bytes);
  ASSERT_TRUE(v.ok()) << v.error().message;
  EXPECT_TRUE(v->is_map());
  EXPECT_EQ(v->size(), 5u);
  EXPECT_EQ(v->find("method")->as_str(), "GET");
  EXPECT_EQ(v->find("path")->as_str(), "/counter");
  EXPECT_EQ(v->find("queryString")->as_str(), "");
  EXPECT_EQ(v->find("header")->find("accept")->as_str(), "*/*");
  EXPECT_TRUE(v->find("body")->is_bin());
  EXPECT_EQ(v->find("body")->as_bin()->size(), 0u);
  EXPECT_EQ(v->find("missing"), nullptr);
}

TEST(MsgpackDecode, KvCounterAddPayload) {
  auto v = mp::decode(hex("82 a3 6b 65 79 a8 3a 63 6f 75 6e 74 65 72 a5 76 61 6c 75 65 01"));
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->field("key", 0)->as_str(), ":counter");
  EXPECT_EQ(v->field("value", 1)->as_i32(), 1);
}

TEST(MsgpackDecode, StructAsArrayInFieldOrder) {
  auto v = mp::decode(cat({hex("92 a8"), text(":counter"), hex("05")}));
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->field("key", 0)->as_str(), ":counter");
  EXPECT_EQ(v->field("value", 1)->as_i64(), 5);
  EXPECT_EQ(v->field("other", 2), nullptr);
}

TEST(MsgpackDecode, AnyFittingIntegerMarker) {
  for (auto h : {"05", "cc 05", "cd 00 05", "ce 00 00 00 05", "cf 00 00 00 00 00 00 00 05", "d0 05", "d1 00 05",
                 "d2 00 00 00 05", "d3 00 00 00 00 00 00 00 05"}) {
    auto v = mp::decode(hex(h));
    ASSERT_TRUE(v.ok()) << h;
    EXPECT_EQ(v->as_i32(), 5) << h;
    EXPECT_EQ(v->as_u32(), 5u) << h;
  }
  auto neg = mp::decode(hex("d1 ff 38"));  // -200
  ASSERT_TRUE(neg.ok());
  EXPECT_EQ(neg->as_i32(), -200);
  EXPECT_EQ(neg->as_u64(), std::nullopt);
  auto big = mp::decode(hex("cf ff ff ff ff ff ff ff ff"));
  ASSERT_TRUE(big.ok());
  EXPECT_EQ(big->as_i64(), std::nullopt);
  EXPECT_EQ(big->as_u32(), std::nullopt);
  EXPECT_EQ(big->as_u64(), UINT64_MAX);
}

TEST(MsgpackDecode, TrailingBytesIgnored) {
  // The AssemblyScript encoder appends a 0x00 after a Response.
  auto v = mp::decode(hex("81 a5 76 61 6c 75 65 01 00"));
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->find("value")->as_i64(), 1);
}

TEST(MsgpackDecode, StrAcceptedAsBin) {
  auto v = mp::decode(hex("a2 68 69"));
  ASSERT_TRUE(v.ok());
  auto b = v->as_bin();
  ASSERT_TRUE(b);
  EXPECT_EQ(std::string(b->begin(), b->end()), "hi");
}

TEST(MsgpackDecode, RoundTripThroughWriter) {
  mp::Writer w;
  w.map(3).str("a").array(2).sint(-5).uint(7).str("b").boolean(false).str("c").nil();
  auto v = mp::decode(w.bytes());
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->find("a")->at(0)->as_i64(), -5);
  EXPECT_EQ(v->find("a")->at(1)->as_u64(), 7u);
  EXPECT_EQ(v->find("b")->as_bool(), false);
  EXPECT_TRUE(v->find("c")->is_nil());
  EXPECT_EQ(v->key_at(2)->as_str(), "c");
}

TEST(MsgpackDecode, ErrorsSayWhatAndWhere) {
  auto empty = mp::decode({});
  ASSERT_FALSE(empty.ok());
  EXPECT_NE(empty.error().message.find("empty"), std::string::npos);

  auto bad = mp::decode(hex("82 a1 61 c1 00 00"));  // 0xc1 is never used
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("0xc1 at byte 3"), std::string::npos) << bad.error().message;

  auto truncated = mp::decode(hex("92 01 a5 68 65"));
  ASSERT_FALSE(truncated.ok());
  EXPECT_NE(truncated.error().message.find("end of input"), std::string::npos) << truncated.error().message;
}

TEST(MsgpackDecode, HostileSizesAreRefusedWithoutAllocating) {
  // array32 claiming 4 billion elements, str32 claiming 4 GiB, map32 likewise.
  for (auto h : {"dd ff ff ff ff 00", "db ff ff ff ff 61", "df ff ff ff ff 00 00", "c6 ff ff ff ff"}) {
    auto v = mp::decode(hex(h));
    EXPECT_FALSE(v.ok()) << h;
  }
  // Nested headers each claiming as much as the whole input.
  std::vector<uint8_t> nested;
  for (int i = 0; i < 20; ++i) nested.insert(nested.end(), {0xdc, 0x00, 0x40});
  nested.resize(64, 0xc0);
  EXPECT_FALSE(mp::decode(nested).ok());
}

TEST(MsgpackDecode, DepthLimit) {
  std::vector<uint8_t> deep(100000, 0x91);  // [[[[...
  deep.push_back(0xc0);
  auto v = mp::decode(deep);
  ASSERT_FALSE(v.ok());
  EXPECT_NE(v.error().message.find("deeper"), std::string::npos) << v.error().message;
  std::vector<uint8_t> ok(10, 0x91);
  ok.push_back(0xc0);
  EXPECT_TRUE(mp::decode(ok).ok());
}

TEST(MsgpackDecode, EveryPrefixOfAValidPayloadFailsCleanly) {
  mp::Writer w;
  w.map(3).str("key").str("k").str("values").array(2).str("x").bin(std::string_view("yz")).str("n").sint(-70000);
  auto full = w.take();
  for (size_t n = 0; n < full.size(); ++n) {
    auto v = mp::decode(std::span<const uint8_t>(full.data(), n));
    EXPECT_FALSE(v.ok()) << n;
  }
  EXPECT_TRUE(mp::decode(full).ok());
}

TEST(MsgpackDecode, ExtAndFloat) {
  auto e = mp::decode(hex("d4 05 2a"));  // fixext1 type 5
  ASSERT_TRUE(e.ok());
  EXPECT_TRUE(e->is_ext());
  auto f = mp::decode(hex("cb 3f f8 00 00 00 00 00 00"));
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(f->as_f64(), 1.5);
  EXPECT_EQ(f->as_i64(), std::nullopt);
}
