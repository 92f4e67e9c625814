// Signing and verification end to end: sign -> read -> verify round trips, and every kind
// of tampering, wrong key, and time window refused with its own error.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <string>

#include "host/claims/claims.hpp"
#include "host/claims/jwt.hpp"
#include "host/claims/nkeys.hpp"
#include "host/claims/verify.hpp"
#include "test_util.hpp"

namespace isola::host::claims {
namespace {

using namespace std::chrono_literals;

std::span<const uint8_t> bytes_of(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

class SignVerify : public ::testing::Test {
 protected:
  void SetUp() override {
    module = test::actor_module();
    ASSERT_GT(module.size(), 8u);
    auto a = KeyPair::generate(KeyType::Account);
    auto m = KeyPair::generate(KeyType::Module);
    ASSERT_TRUE(a && m);
    account.emplace(*a);
    actor.emplace(*m);
    options.name = "Counter";
    options.caps = {"wascc:keyvalue", "wascc:http_server"};
    options.tags = {"test"};
    options.ver = "0.1.0";
    options.rev = 2;
  }

  std::vector<uint8_t> sign(const SignOptions& o) {
    auto s = sign_module(module, *account, actor->public_key(), o);
    EXPECT_TRUE(s) << s.error().message;
    return s ? *s : std::vector<uint8_t>{};
  }

  static std::string error_of(const Expected<Claims>& e) { return e ? std::string("(verified)") : e.error().message; }

  // The signed module with its token section replaced by `token` (same section name).
  std::vector<uint8_t> with_token(const std::vector<uint8_t>& signed_module, const std::string& token) {
    auto base = remove_custom_sections(signed_module, kJwtSection);
    EXPECT_TRUE(base);
    auto out = append_custom_section(*base, kJwtSection, bytes_of(token));
    EXPECT_TRUE(out);
    return *out;
  }

  std::string token_of(const std::vector<uint8_t>& signed_module) {
    auto t = find_token(signed_module);
    EXPECT_TRUE(t && *t);
    return (*t)->token;
  }

  std::vector<uint8_t> module;
  std::optional<KeyPair> account, actor;
  SignOptions options;
};

TEST_F(SignVerify, RoundTrip) {
  auto signed_module = sign(options);
  EXPECT_TRUE(has_claims(signed_module));
  EXPECT_FALSE(has_claims(module));
  auto read = read_claims(signed_module);
  ASSERT_TRUE(read) << read.error().message;
  EXPECT_EQ(read->section, "jwt");

  auto v = verify_module(signed_module, "counter.wasm");
  ASSERT_TRUE(v) << v.error().message;
  EXPECT_EQ(v->issuer, account->public_key().encoded());
  EXPECT_EQ(v->subject, actor->public_key().encoded());
  EXPECT_EQ(v->name, "Counter");
  EXPECT_EQ(v->caps, options.caps);
  EXPECT_EQ(v->tags, options.tags);
  EXPECT_EQ(v->ver, "0.1.0");
  EXPECT_EQ(v->rev, 2);
  EXPECT_FALSE(v->provider);
  EXPECT_EQ(v->jti.size(), 22u);
  EXPECT_TRUE(v->iat);
  EXPECT_FALSE(v->exp);
  EXPECT_FALSE(v->wascap_revision);

  // §4.4: the hash is SHA-256 of the file with the jwt section cut out, i.e. of the input.
  auto h = module_hash(module);
  ASSERT_TRUE(h);
  EXPECT_EQ(v->hash, *h);
  EXPECT_EQ(v->hash.size(), 64u);
  EXPECT_EQ(v->hash.find_first_not_of("0123456789ABCDEF"), std::string::npos);
  // The token is the last section and the module before it is the input, byte for byte.
  EXPECT_TRUE(std::equal(module.begin(), module.end(), signed_module.begin()));
}

TEST_F(SignVerify, ClaimsJsonKeepsWascapKeyOrder) {
  Claims c;
  c.issuer = "A";
  c.subject = "M";
  c.jti = "j";
  c.hash = "H";
  c.iat = 5;
  c.exp = 9;
  c.caps = {"x"};
  c.call_alias = "alias";
  EXPECT_EQ(to_claims_json(c),
            R"({"exp":9,"jti":"j","iat":5,"iss":"A","sub":"M","wascap":{"hash":"H","tags":[],"caps":["x"],)"
            R"("call_alias":"alias","prov":false}})");
  auto back = from_claims_json(to_claims_json(c));
  ASSERT_TRUE(back);
  EXPECT_EQ(back->call_alias, "alias");
  EXPECT_EQ(back->exp, 9);
}

TEST_F(SignVerify, CodeByteChangedIsAHashMismatch) {
  auto signed_module = sign(options);
  // i32.const 0x5a5a5a5a in the code section: 41 da b4 e9 d2 05.
  const uint8_t pattern[] = {0x41, 0xda, 0xb4, 0xe9, 0xd2, 0x05};
  auto it = std::search(signed_module.begin(), signed_module.end(), std::begin(pattern), std::end(pattern));
  ASSERT_NE(it, signed_module.end());
  it[1] ^= 0x01;
  auto h = module_hash(signed_module);
  ASSERT_TRUE(h);
  auto r = read_claims(signed_module);
  ASSERT_TRUE(r);
  EXPECT_EQ(error_of(verify_module(signed_module, "counter.wasm")),
            "counter.wasm: claims hash mismatch: module hashes to " + *h + ", token says " + r->hash);
}

TEST_F(SignVerify, DataByteChangedIsAHashMismatch) {
  auto signed_module = sign(options);
  std::string_view data = "CLAIMS-TEST-DATA";
  auto it = std::search(signed_module.begin(), signed_module.end(), data.begin(), data.end());
  ASSERT_NE(it, signed_module.end());
  it[3] = 'X';
  EXPECT_NE(error_of(verify_module(signed_module, "counter.wasm")).find("counter.wasm: claims hash mismatch"),
            std::string::npos);
}

TEST_F(SignVerify, OtherCustomSectionChangedAddedOrRemovedIsAHashMismatch) {
  auto with_extra = append_custom_section(module, "producers-ish", bytes_of("built by hand"));
  ASSERT_TRUE(with_extra);
  auto s = sign_module(*with_extra, *account, actor->public_key(), options);
  ASSERT_TRUE(s) << s.error().message;
  ASSERT_TRUE(verify_module(*s, "m.wasm"));

  auto changed = *s;
  std::string_view text = "built by hand";
  auto it = std::search(changed.begin(), changed.end(), text.begin(), text.end());
  ASSERT_NE(it, changed.end());
  it[0] = 'B';
  EXPECT_NE(error_of(verify_module(changed, "m.wasm")).find("m.wasm: claims hash mismatch"), std::string::npos);

  auto removed = remove_custom_sections(*s, "producers-ish");
  ASSERT_TRUE(removed);
  EXPECT_NE(error_of(verify_module(*removed, "m.wasm")).find("claims hash mismatch"), std::string::npos);

  auto added = append_custom_section(*s, "extra", bytes_of("!"));
  ASSERT_TRUE(added);
  EXPECT_NE(error_of(verify_module(*added, "m.wasm")).find("claims hash mismatch"), std::string::npos);
}

TEST_F(SignVerify, TokenHeaderChangedIsRefused) {
  auto signed_module = sign(options);
  std::string token = token_of(signed_module);
  std::string rest = token.substr(token.find('.'));
  auto hs256 = with_token(signed_module, base64url_encode(bytes_of(R"({"typ":"jwt","alg":"HS256"})")) + rest);
  EXPECT_EQ(error_of(verify_module(hs256, "c.wasm")), "c.wasm: claims header: alg is 'HS256', expected 'Ed25519'");
  auto jws = with_token(signed_module, base64url_encode(bytes_of(R"({"typ":"JWS","alg":"Ed25519"})")) + rest);
  EXPECT_EQ(error_of(verify_module(jws, "c.wasm")), "c.wasm: claims header: typ is 'JWS', expected 'jwt'");
  // The same header written differently is a different signing input: the signature fails.
  auto respelled = with_token(signed_module, base64url_encode(bytes_of(R"({"alg":"Ed25519","typ":"jwt"})")) + rest);
  EXPECT_NE(error_of(verify_module(respelled, "c.wasm")).find("c.wasm: claims signature invalid"), std::string::npos);
  // One byte of the header segment in the file.
  auto flipped = signed_module;
  auto sections = list_custom_sections(flipped);
  ASSERT_TRUE(sections);
  flipped[sections->back().payload_begin + 2] = 'X';  // "eyJ0" -> "eyX0"
  EXPECT_NE(error_of(verify_module(flipped, "c.wasm")).find("c.wasm: claims token malformed: token header"),
            std::string::npos);
}

TEST_F(SignVerify, TokenClaimsChangedBreaksTheSignature) {
  auto signed_module = sign(options);
  std::string token = token_of(signed_module);
  size_t a = token.find('.'), b = token.find('.', a + 1);
  auto claims = decode_token(token)->claims;
  claims["wascap"]["caps"].push_back("wascc:messaging");
  std::string forged = token.substr(0, a + 1) + base64url_encode(bytes_of(claims.dump())) + token.substr(b);
  EXPECT_EQ(error_of(verify_module(with_token(signed_module, forged), "c.wasm")),
            "c.wasm: claims signature invalid: the token was not signed by its issuer " +
                account->public_key().encoded() + " (or was altered after signing)");
  // One byte of the claims segment in the file (a character inside it, still valid base64url).
  auto flipped = signed_module;
  auto sections = list_custom_sections(flipped);
  ASSERT_TRUE(sections);
  size_t at = sections->back().payload_begin + a + 1 + 40;
  flipped[at] = flipped[at] == 'A' ? 'B' : 'A';
  std::string e = error_of(verify_module(flipped, "c.wasm"));
  EXPECT_TRUE(e.find("c.wasm: claims signature invalid") != std::string::npos ||
              e.find("c.wasm: claims token malformed") != std::string::npos ||
              e.find("c.wasm: claims malformed") != std::string::npos)
      << e;
}

TEST_F(SignVerify, TokenSignatureChangedIsRefused) {
  auto signed_module = sign(options);
  std::string token = token_of(signed_module);
  size_t b = token.rfind('.');
  std::string forged = token;
  forged[b + 1] = forged[b + 1] == 'A' ? 'B' : 'A';
  EXPECT_NE(error_of(verify_module(with_token(signed_module, forged), "c.wasm")).find("c.wasm: claims signature invalid"),
            std::string::npos);
  // The last character carries unused bits: flipping only those is refused too.
  forged = token;
  char& last = forged.back();
  last = static_cast<char>(last + 1);
  EXPECT_NE(error_of(verify_module(with_token(signed_module, forged), "c.wasm")).find("c.wasm: claims"),
            std::string::npos);
  // A signature by another account over the same claims.
  auto other = KeyPair::generate(KeyType::Account);
  std::string by_other = sign_token(decode_token(token)->claims.dump(), *other);
  EXPECT_NE(error_of(verify_module(with_token(signed_module, by_other), "c.wasm")).find("claims signature invalid"),
            std::string::npos);
}

// A token whose keys are chosen by the test, signed by `signer`.
std::string handmade_token(const std::vector<uint8_t>& module, const std::string& iss, const std::string& sub,
                           const KeyPair& signer) {
  Claims c;
  c.issuer = iss;
  c.subject = sub;
  c.jti = "handmade";
  c.iat = 1;
  c.hash = *module_hash(module);
  return sign_token(to_claims_json(c), signer);
}

TEST_F(SignVerify, WrongKeyTypesAreRefused) {
  // The library will not sign with them...
  auto as_issuer = sign_module(module, *actor, actor->public_key(), options);
  ASSERT_FALSE(as_issuer);
  EXPECT_EQ(as_issuer.error().message, "the issuer must be an account key (A…), not a module key");
  auto as_subject = sign_module(module, *account, account->public_key(), options);
  ASSERT_FALSE(as_subject);
  EXPECT_EQ(as_subject.error().message, "the subject must be a module key (M…), not an account key");

  // ...and verification refuses tokens that other tools made with them.
  auto signed_module = sign(options);
  std::string m = actor->public_key().encoded(), a = account->public_key().encoded();
  auto module_issuer = with_token(signed_module, handmade_token(module, m, m, *actor));
  EXPECT_EQ(error_of(verify_module(module_issuer, "c.wasm")),
            "c.wasm: claims issuer " + m + " is a module key, expected an account key (A…)");
  auto account_subject = with_token(signed_module, handmade_token(module, a, a, *account));
  EXPECT_EQ(error_of(verify_module(account_subject, "c.wasm")),
            "c.wasm: claims subject " + a + " is an account key, expected a module key (M…)");
  auto server = KeyPair::generate(KeyType::Server);
  std::string n = server->public_key().encoded();
  auto server_issuer = with_token(signed_module, handmade_token(module, n, m, *server));
  EXPECT_EQ(error_of(verify_module(server_issuer, "c.wasm")),
            "c.wasm: claims issuer " + n + " is a server key, expected an account key (A…)");
  auto garbage = with_token(signed_module, handmade_token(module, "AXYZ", m, *account));
  EXPECT_NE(error_of(verify_module(garbage, "c.wasm")).find("c.wasm: claims issuer invalid: 'AXYZ': not a public key"),
            std::string::npos);
}

TEST_F(SignVerify, ExpiredAndNotYetValid) {
  auto now = std::chrono::system_clock::now();
  SignOptions o = options;
  o.now = now;
  o.expires_in = 3600s;
  o.not_before_in = 60s;
  auto signed_module = sign(o);
  auto at = [&](std::chrono::system_clock::duration d) {
    return error_of(verify_module(signed_module, "c.wasm", VerifyOptions{now + d}));
  };
  EXPECT_EQ(at(120s), "(verified)");
  EXPECT_NE(at(0s).find("c.wasm: claims not valid before "), std::string::npos) << at(0s);
  EXPECT_NE(at(7200s).find("c.wasm: claims expired at "), std::string::npos) << at(7200s);
  auto c = read_claims(signed_module);
  int64_t t = std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
  EXPECT_EQ(c->exp, t + 3600);
  EXPECT_EQ(c->nbf, t + 60);
  EXPECT_EQ(c->iat, t);
  EXPECT_EQ(format_time(0), "1970-01-01T00:00:00Z");
}

TEST_F(SignVerify, WasmcloudJwtSection) {
  SignOptions o = options;
  o.section = kWasmcloudJwtSection;
  auto signed_module = sign(o);
  auto sections = list_custom_sections(signed_module);
  ASSERT_TRUE(sections);
  EXPECT_EQ(sections->back().name, "wasmcloud_jwt");
  auto v = verify_module(signed_module, "c.wasm");
  ASSERT_TRUE(v) << v.error().message;
  EXPECT_EQ(v->section, "wasmcloud_jwt");
  EXPECT_EQ(v->wascap_revision, 3u);  // wat2wasm writes minimal section sizes
  o.section = "claims";
  EXPECT_FALSE(sign_module(module, *account, actor->public_key(), o));
}

TEST_F(SignVerify, SigningASignedModuleReplacesItsClaims) {
  auto first = sign(options);
  SignOptions o = options;
  o.caps = {"wascc:logging"};
  o.section = kWasmcloudJwtSection;
  auto second = sign_module(first, *account, actor->public_key(), o);
  ASSERT_TRUE(second) << second.error().message;
  auto sections = list_custom_sections(*second);
  ASSERT_TRUE(sections);
  int tokens = 0;
  for (const auto& s : *sections) tokens += s.name == "jwt" || s.name == "wasmcloud_jwt";
  EXPECT_EQ(tokens, 1);
  auto v = verify_module(*second, "c.wasm");
  ASSERT_TRUE(v) << v.error().message;
  EXPECT_EQ(v->caps, std::vector<std::string>{"wascc:logging"});
  EXPECT_EQ(v->hash, read_claims(first)->hash);  // the hash never covers the token
}

TEST_F(SignVerify, TwoTokenSectionsAreRefused) {
  auto signed_module = sign(options);
  auto twice = append_custom_section(signed_module, "wasmcloud_jwt", bytes_of(token_of(signed_module)));
  ASSERT_TRUE(twice);
  EXPECT_NE(error_of(verify_module(*twice, "c.wasm")).find("c.wasm: more than one claims section ('jwt' at byte 0x"),
            std::string::npos);
}

TEST_F(SignVerify, UnsignedAndMalformedModules) {
  EXPECT_EQ(error_of(verify_module(module, "plain.wasm")),
            "plain.wasm: no claims: the module has no jwt or wasmcloud_jwt section (unsigned)");
  std::vector<uint8_t> truncated(module.begin(), module.end() - 1);
  EXPECT_NE(error_of(verify_module(truncated, "cut.wasm")).find("cut.wasm: malformed: section size out of bounds"),
            std::string::npos);
  auto junk = append_custom_section(module, "jwt", bytes_of("not a token"));
  EXPECT_EQ(error_of(verify_module(*junk, "j.wasm")),
            "j.wasm: claims token malformed: token does not have three dot-separated segments");
}

TEST_F(SignVerify, PaddedSectionSizesVerifyWithEitherHash) {
  // A module whose last section size is padded to 5 bytes, as some linkers write them.
  auto padded = append_custom_section(module, "pad", bytes_of("xyz"));
  ASSERT_TRUE(padded);
  size_t at = module.size() + 1;  // the size byte of the "pad" section: 07
  ASSERT_EQ((*padded)[at], 0x07);
  (*padded)[at] = 0x87;
  const uint8_t more[] = {0x80, 0x80, 0x80, 0x00};
  padded->insert(padded->begin() + static_cast<ptrdiff_t>(at) + 1, std::begin(more), std::end(more));
  ASSERT_TRUE(list_custom_sections(*padded));

  // Our signer pins the bytes as they are (wascap <= 0.8)...
  auto s = sign_module(*padded, *account, actor->public_key(), options);
  ASSERT_TRUE(s);
  ASSERT_TRUE(verify_module(*s, "p.wasm"));
  EXPECT_NE(*module_hash(*padded), *module_hash_normalized(*padded));

  // ...and a token made the wascap >= 0.10 way (sizes re-encoded minimally) verifies too.
  Claims c;
  c.issuer = account->public_key().encoded();
  c.subject = actor->public_key().encoded();
  c.jti = "new-wascap";
  c.hash = *module_hash_normalized(*padded);
  c.wascap_revision = 3;
  auto newer = append_custom_section(*padded, "wasmcloud_jwt", bytes_of(sign_token(to_claims_json(c), *account)));
  auto v = verify_module(*newer, "p.wasm");
  ASSERT_TRUE(v) << v.error().message;
  EXPECT_EQ(v->jti, "new-wascap");
}

TEST_F(SignVerify, EveryByteOfTheSignedFileIsCovered) {
  // Changing any single byte anywhere (header, code, data, section framing, token) must be
  // refused, for both section names: exhaustively, two different changes per byte.
  for (std::string_view section : {kJwtSection, kWasmcloudJwtSection}) {
    SignOptions o = options;
    o.section = section;
    auto signed_module = sign(o);
    ASSERT_TRUE(verify_module(signed_module, "c.wasm"));
    for (size_t i = 0; i < signed_module.size(); ++i) {
      for (uint8_t flip : {uint8_t{0x01}, uint8_t{0x80}}) {
        auto changed = signed_module;
        changed[i] ^= flip;
        auto v = verify_module(changed, "c.wasm");
        ASSERT_FALSE(v) << section << ": byte " << i << " ^ " << int(flip) << " went unnoticed";
        ASSERT_EQ(v.error().message.rfind("c.wasm: ", 0), 0u) << v.error().message;
      }
    }
  }
}

TEST(Capabilities, MayCallAndPermissionDenied) {
  Claims c;
  c.subject = "MSUBJECT";
  c.caps = {"wascc:keyvalue"};
  EXPECT_TRUE(may_call(c, "wascc:keyvalue"));
  EXPECT_TRUE(may_call(c, "MSUBJECT"));
  EXPECT_FALSE(may_call(c, "wascc:messaging"));
  EXPECT_FALSE(may_call(c, ""));
  EXPECT_EQ(permission_denied_message("MASC", "Publish", "wascc:messaging", "default"),
            "Actor MASC attempted to call Publish on wascc:messaging,default - PERMISSION DENIED.");
}

}  // namespace
}  // namespace isola::host::claims
