// The JWT layer, against the token embedded in waSCC's kvcounter.wasm (ACTOR-ABI.md §4.6).
#include "host/claims/jwt.hpp"

#include <gtest/gtest.h>

#include "host/claims/claims.hpp"
#include "host/claims/nkeys.hpp"

namespace isola::host::claims {
namespace {

constexpr std::string_view kKvcounterToken =
    "eyJ0eXAiOiJqd3QiLCJhbGciOiJFZDI1NTE5In0."
    "eyJqdGkiOiJsOVpzOUdvcXRmUm9tdVBTcmhlOWVUIiwiaWF0IjoxNTg2NDUxNzY3LCJpc3MiOiJBQUdSVVhYVEdTUDRDMjdSV1BUTUNIQ0pG"
    "NTZKRDUzRVFQQTJSN1JQQzVWSTRFMjc0S1BSTU1KNSIsInN1YiI6Ik1BU0NYRk00UjZYNjNVRDVNU0NEWllDSk5QQlZTSVU2UktNWFVQWFJL"
    "QU9TQlE2VVkzVlQzTlBaIiwid2FzY2FwIjp7Im5hbWUiOiJLZXkgVmFsdWUgQ291bnRlciIsImhhc2giOiI0QjRCQ0UzNTg4OTU1RTA2OERD"
    "OUQzMjM4MkM4NzI3Q0JGNDY4MTlDOTA3QUIzQTE2MzBFRDdCOTdDNTMwRDEzIiwidGFncyI6W10sImNhcHMiOlsid2FzY2M6a2V5dmFsdWUi"
    "LCJ3YXNjYzpodHRwX3NlcnZlciJdLCJwcm92IjpmYWxzZX19."
    "Mzl2majR46Wme_7FBOlBtTdcUeqCWqS37T4bTJlwcu-5tXp2P64C7Sc7m70fo8asUF_W9yzOZzsi2uMFNXqkAw";

std::span<const uint8_t> bytes_of(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

TEST(Jwt, KvcounterTokenDecodesAndVerifies) {
  ASSERT_EQ(kKvcounterToken.size(), 607u);
  auto t = decode_token(kKvcounterToken);
  ASSERT_TRUE(t) << t.error().message;
  EXPECT_EQ(t->header.dump(), R"({"alg":"Ed25519","typ":"jwt"})");
  auto c = from_claims_json(t->claims.dump());
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->jti, "l9Zs9GoqtfRomuPSrhe9eT");
  EXPECT_EQ(c->iat, 1586451767);
  EXPECT_EQ(c->issuer, "AAGRUXXTGSP4C27RWPTMCHCJF56JD53EQPA2R7RPC5VI4E274KPRMMJ5");
  EXPECT_EQ(c->subject, "MASCXFM4R6X63UD5MSCDZYCJNPBVSIU6RKMXUPXRKAOSBQ6UY3VT3NPZ");
  EXPECT_EQ(c->name, "Key Value Counter");
  EXPECT_EQ(c->hash, "4B4BCE3588955E068DC9D32382C8727CBF46819C907AB3A1630ED7B97C530D13");
  EXPECT_EQ(c->caps, (std::vector<std::string>{"wascc:keyvalue", "wascc:http_server"}));
  EXPECT_TRUE(c->tags.empty());
  EXPECT_FALSE(c->provider);
  EXPECT_FALSE(c->exp);
  EXPECT_FALSE(c->nbf);

  auto iss = PublicKey::decode(c->issuer);
  ASSERT_TRUE(iss);
  EXPECT_TRUE(iss->verify(bytes_of(t->signing_input), t->signature));
}

TEST(Jwt, SignatureCoversTheSegmentsAsWritten) {
  // The signature holds for the token's first two segments as written, and for nothing
  // else: not one changed character, not the same header spelled differently.
  auto t = decode_token(kKvcounterToken);
  ASSERT_TRUE(t);
  auto iss = PublicKey::decode("AAGRUXXTGSP4C27RWPTMCHCJF56JD53EQPA2R7RPC5VI4E274KPRMMJ5");
  ASSERT_TRUE(iss);
  std::string input = t->signing_input;
  ASSERT_TRUE(iss->verify(bytes_of(input), t->signature));
  for (size_t i = 0; i < input.size(); i += 7) {
    std::string altered = input;
    altered[i] = altered[i] == 'A' ? 'B' : 'A';
    EXPECT_FALSE(iss->verify(bytes_of(altered), t->signature)) << i;
  }
  std::string respelled = base64url_encode(bytes_of(R"({"alg":"Ed25519","typ":"jwt"})")) +
                          input.substr(input.find('.'));
  EXPECT_FALSE(iss->verify(bytes_of(respelled), t->signature));
}

TEST(Jwt, SignAndDecodeRoundTrip) {
  auto kp = KeyPair::generate(KeyType::Account);
  ASSERT_TRUE(kp);
  std::string token = sign_token(R"({"iss":"x","n":1})", *kp);
  EXPECT_EQ(token.substr(0, token.find('.')), "eyJ0eXAiOiJqd3QiLCJhbGciOiJFZDI1NTE5In0");
  auto t = decode_token(token);
  ASSERT_TRUE(t) << t.error().message;
  EXPECT_EQ(t->claims["n"], 1);
  EXPECT_TRUE(kp->public_key().verify(bytes_of(t->signing_input), t->signature));
}

TEST(Jwt, MalformedTokensAreRefusedWithTheReason) {
  auto err = [](std::string_view s) {
    auto t = decode_token(s);
    return t ? std::string() : t.error().message;
  };
  EXPECT_EQ(err("abc.def"), "token does not have three dot-separated segments");
  EXPECT_EQ(err("a.b.c.d"), "token does not have three dot-separated segments");
  EXPECT_EQ(err("!!!.e30.AA"), "token header is not valid base64url");
  EXPECT_EQ(err("e30.WzFd.AA"), "token claims is not a JSON object");  // [1]
  EXPECT_EQ(err("e30.e30.AA"), "token signature is 1 bytes, expected 64");
  EXPECT_EQ(err("e30.e30.AB"), "token signature is not valid base64url");  // non-zero unused bits
  EXPECT_NE(err(std::string(kMaxTokenBytes + 1, 'a')).find("more than the limit"), std::string::npos);
}

TEST(Jwt, Base64urlIsCanonical) {
  std::vector<uint8_t> data{0xfb, 0xff, 0xbf};
  EXPECT_EQ(base64url_encode(data), "-_-_");
  auto back = base64url_decode("-_-_");
  ASSERT_TRUE(back);
  EXPECT_EQ(*back, data);
  EXPECT_FALSE(base64url_decode("+/+/"));  // the standard alphabet is not base64url
  EXPECT_FALSE(base64url_decode("AA=="));  // no padding
  EXPECT_FALSE(base64url_decode("AB"));    // non-zero unused bits
}

}  // namespace
}  // namespace isola::host::claims
