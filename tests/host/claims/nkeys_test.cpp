// nkeys: base32, CRC-16/XMODEM and the key encodings, against ACTOR-ABI.md §5.3's vectors.
#include "host/claims/nkeys.hpp"

#include <gtest/gtest.h>

#include <string>

#include "host/claims/base32.hpp"
#include "host/claims/crc16.hpp"
#include "test_util.hpp"

namespace isola::host::claims {
namespace {

std::span<const uint8_t> bytes_of(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

TEST(Crc16, XmodemCheckValue) { EXPECT_EQ(crc16_xmodem(bytes_of("123456789")), 0x31C3); }

TEST(Base32, RoundTripsEveryLength) {
  std::vector<uint8_t> data;
  for (int n = 0; n < 40; ++n) {
    auto text = base32_encode(data);
    EXPECT_EQ(text.find('='), std::string::npos);
    auto back = base32_decode(text);
    ASSERT_TRUE(back) << n;
    EXPECT_EQ(*back, data);
    data.push_back(static_cast<uint8_t>(n * 37 + 11));
  }
  EXPECT_EQ(base32_encode(bytes_of("foobar")), "MZXW6YTBOI");  // RFC 4648 §10, unpadded
}

TEST(Base32, RejectsWhatNoEncoderWrites) {
  EXPECT_FALSE(base32_decode("mzxw6ytboi"));  // lower case
  EXPECT_FALSE(base32_decode("MZXW6YTBO1"));  // '1' is not in the alphabet
  EXPECT_FALSE(base32_decode("MZX"));         // a length no encoder produces
  EXPECT_FALSE(base32_decode("MZ======"));    // padding
  EXPECT_FALSE(base32_decode("MB"));          // non-zero unused bits
  EXPECT_TRUE(base32_decode("MA"));
}

TEST(Nkeys, GoCompatVector) {
  auto kp = KeyPair::from_seed("SAAPN4W3EG6KCJGUQTKTJ5GSB5NHK5CHAJL4DBGFUM3HHROI4XUEP4OBK4");
  ASSERT_TRUE(kp) << kp.error().message;
  EXPECT_EQ(kp->type(), KeyType::Account);
  EXPECT_EQ(kp->public_key().encoded(), "ACODERUVFFAWZQDSS6SBIACUA5O6SXF7HJ3YTYXBALHZP3P7R4BUO4J2");
  EXPECT_EQ(test::hex(kp->public_key().raw().data(), 32),
            "9c32469529416cc07297a4140054075de95cbf3a7789e2e102cf97edff8f0347");
  EXPECT_EQ(kp->seed(), "SAAPN4W3EG6KCJGUQTKTJ5GSB5NHK5CHAJL4DBGFUM3HHROI4XUEP4OBK4");
  auto raw = base32_decode(kp->seed());
  ASSERT_TRUE(raw);
  EXPECT_EQ(test::hex(raw->data(), raw->size()),
            "9000f6f2db21bca124d484d534f4d20f5a7574470257c184c5a33673c5c8e5e847f1c157");
  auto pub = base32_decode(kp->public_key().encoded());
  ASSERT_TRUE(pub);
  EXPECT_EQ(test::hex(pub->data(), pub->size()),
            "009c32469529416cc07297a4140054075de95cbf3a7789e2e102cf97edff8f0347713a");
}

TEST(Nkeys, UserKeyVector) {
  auto k = PublicKey::decode("UBCXCMGAZQZN55X5TTTWMB5CZNZIKJHEDZJOJ3TV63NKPJ6FRXSR2ZO4");
  ASSERT_TRUE(k) << k.error().message;
  EXPECT_EQ(k->type(), KeyType::User);
  EXPECT_EQ(test::hex(k->raw().data(), 32), "457130c0cc32def6fd9ce76607a2cb728524e41e52e4ee75f6daa7a7c58de51d");
}

TEST(Nkeys, ExampleActorSeeds) {
  struct {
    const char* seed;
    const char* pub;
    KeyType type;
  } cases[] = {
      {"SMAETBR36TBSCIZH35AHDBRAUCPVOKA5JJNNYKEI5ZK2LETD4JB53V57HM",
       "MASCXFM4R6X63UD5MSCDZYCJNPBVSIU6RKMXUPXRKAOSBQ6UY3VT3NPZ", KeyType::Module},
      {"SAAGJYAKODWV42YVRMUAIQFT6KFYT4R6A2LAS3WCH3BJ3KSBFKQOAU5LEU",
       "AAGRUXXTGSP4C27RWPTMCHCJF56JD53EQPA2R7RPC5VI4E274KPRMMJ5", KeyType::Account},
      {"SMAFYSVZ5E6UVTZT4JJPWAGMVCXS7ISC3TYCMGHYHSR6TOM3EO4EB7GFJY",
       "MB4OLDIC3TCZ4Q4TGGOVAZC43VXFE2JQVRAXQMQFXUCREOOFEKOKZTY2", KeyType::Module},
  };
  for (const auto& c : cases) {
    auto kp = KeyPair::from_seed(c.seed);
    ASSERT_TRUE(kp) << kp.error().message;
    EXPECT_EQ(kp->type(), c.type);
    EXPECT_EQ(kp->public_key().encoded(), c.pub);
    auto pub = PublicKey::decode(c.pub);
    ASSERT_TRUE(pub) << pub.error().message;
    EXPECT_EQ(pub->raw(), kp->public_key().raw());
  }
}

TEST(Nkeys, GeneratedKeysRoundTripAndSign) {
  for (KeyType t : {KeyType::Account, KeyType::Module, KeyType::Server, KeyType::Provider, KeyType::User,
                    KeyType::Operator, KeyType::Cluster}) {
    auto kp = KeyPair::generate(t);
    ASSERT_TRUE(kp) << kp.error().message;
    std::string seed = kp->seed();
    EXPECT_EQ(seed.size(), 58u);
    EXPECT_EQ(seed[0], 'S');
    EXPECT_EQ(seed[1], key_type_letter(t));
    EXPECT_EQ(kp->public_key().encoded()[0], key_type_letter(t));
    auto again = KeyPair::from_seed(seed);
    ASSERT_TRUE(again) << again.error().message;
    EXPECT_EQ(again->type(), t);
    EXPECT_EQ(again->public_key().encoded(), kp->public_key().encoded());
    auto pub = PublicKey::decode(kp->public_key().encoded());
    ASSERT_TRUE(pub) << pub.error().message;
    auto sig = kp->sign(bytes_of("hello"));
    EXPECT_TRUE(pub->verify(bytes_of("hello"), sig));
    EXPECT_FALSE(pub->verify(bytes_of("hellO"), sig));
  }
  auto curve = KeyPair::generate(KeyType::Curve);
  ASSERT_FALSE(curve);
  EXPECT_NE(curve.error().message.find("cannot sign"), std::string::npos);
}

TEST(Nkeys, TypeNames) {
  for (const char* n : {"account", "module", "server", "provider", "user", "operator", "cluster"}) {
    auto t = key_type_from_name(n);
    ASSERT_TRUE(t) << n;
    EXPECT_STREQ(to_string(*t), n);
  }
  EXPECT_FALSE(key_type_from_name("actor"));
}

std::string error_of(const Expected<PublicKey>& e) { return e ? "" : e.error().message; }

TEST(Nkeys, PublicKeyErrorsSayWhatIsWrong) {
  std::string good = "MASCXFM4R6X63UD5MSCDZYCJNPBVSIU6RKMXUPXRKAOSBQ6UY3VT3NPZ";
  EXPECT_NE(error_of(PublicKey::decode(good.substr(0, 55))).find("55 characters, expected 56"), std::string::npos);
  std::string typo = good;
  typo[10] = typo[10] == 'A' ? 'B' : 'A';
  EXPECT_NE(error_of(PublicKey::decode(typo)).find("checksum mismatch"), std::string::npos);
  std::string lower = good;
  lower[3] = 'c';
  EXPECT_NE(error_of(PublicKey::decode(lower)).find("invalid base32"), std::string::npos);
  // A valid encoding with a prefix byte that is no key type (1 << 3): re-encode with a CRC.
  std::vector<uint8_t> raw(33, 7);
  raw[0] = 8;
  uint16_t crc = crc16_xmodem(raw);
  raw.push_back(static_cast<uint8_t>(crc));
  raw.push_back(static_cast<uint8_t>(crc >> 8));
  EXPECT_NE(error_of(PublicKey::decode(base32_encode(raw))).find("unknown public key prefix byte 8"),
            std::string::npos);
  EXPECT_NE(error_of(PublicKey::decode("SMAETBR36TBSCIZH35AHDBRAUCPVOKA5JJNNYKEI5ZK2LETD4JB53V57HM"))
                .find("is a seed, not a public key"),
            std::string::npos);
}

TEST(Nkeys, SeedErrorsSayWhatIsWrong) {
  std::string good = "SMAETBR36TBSCIZH35AHDBRAUCPVOKA5JJNNYKEI5ZK2LETD4JB53V57HM";
  auto err = [](std::string_view s) {
    auto k = KeyPair::from_seed(s);
    return k ? std::string() : k.error().message;
  };
  EXPECT_NE(err(good.substr(1)).find("57 characters, expected 58"), std::string::npos);
  std::string typo = good;
  typo[20] = typo[20] == 'A' ? 'B' : 'A';
  EXPECT_NE(err(typo).find("seed checksum mismatch"), std::string::npos);
  EXPECT_NE(err("MASCXFM4R6X63UD5MSCDZYCJNPBVSIU6RKMXUPXRKAOSBQ6UY3VT3NPZ").find("is a public key, not a seed"),
            std::string::npos);
  // The same 36 bytes with a first byte that is not the seed prefix.
  auto raw = base32_decode(good);
  ASSERT_TRUE(raw);
  (*raw)[0] = 0x10;
  raw->resize(34);
  uint16_t crc = crc16_xmodem(*raw);
  raw->push_back(static_cast<uint8_t>(crc));
  raw->push_back(static_cast<uint8_t>(crc >> 8));
  EXPECT_NE(err(base32_encode(*raw)).find("wrong prefix byte"), std::string::npos);
  // The error never shows the whole seed.
  EXPECT_EQ(err(typo).find(typo), std::string::npos);
}

}  // namespace
}  // namespace isola::host::claims
