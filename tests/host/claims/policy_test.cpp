// Policy: trusted issuers and revocation lists (inline and a file that is re-read when it
// changes), including many threads admitting while the file is rewritten.
#include "host/claims/policy.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <thread>

#include "host/claims/nkeys.hpp"

namespace isola::host::claims {
namespace {

namespace fs = std::filesystem;

PolicyConfig trusting(std::vector<std::string> issuers) {
  PolicyConfig c;
  c.trusted_issuers = std::move(issuers);
  return c;
}
PolicyConfig revoking(std::vector<std::string> entries) {
  PolicyConfig c;
  c.revoked = std::move(entries);
  return c;
}
PolicyConfig with_file(fs::path file) {
  PolicyConfig c;
  c.revocation_file = std::move(file);
  return c;
}

class PolicyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/isola-policy-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir = tmpl;
    account = KeyPair::generate(KeyType::Account)->public_key().encoded();
    other_account = KeyPair::generate(KeyType::Account)->public_key().encoded();
    actor = KeyPair::generate(KeyType::Module)->public_key().encoded();
    claims.issuer = account;
    claims.subject = actor;
    claims.jti = "JTI123";
  }
  void TearDown() override { fs::remove_all(dir); }

  void write(const fs::path& p, const std::string& text) {
    // Written beside and renamed over, as an operator's tools would, so readers never see half.
    fs::path tmp = p.string() + ".tmp";
    {
      std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
      out << text;
    }
    fs::rename(tmp, p);
  }

  static std::string error_of(const Expected<Admitted>& e) { return e ? std::string("(admitted)") : e.error().message; }

  fs::path dir;
  std::string account, other_account, actor;
  Claims claims;
};

TEST_F(PolicyTest, EmptyPolicyAdmitsAnyone) {
  auto p = Policy::create({});
  ASSERT_TRUE(p);
  EXPECT_EQ(error_of(p->admit(claims, "c.wasm")), "(admitted)");
}

TEST_F(PolicyTest, TrustedIssuers) {
  auto p = Policy::create(trusting({other_account}));
  ASSERT_TRUE(p) << p.error().message;
  EXPECT_EQ(error_of(p->admit(claims, "c.wasm")),
            "c.wasm: claims issuer " + account + " is not among the trusted issuers");
  auto q = Policy::create(trusting({other_account, account}));
  ASSERT_TRUE(q);
  EXPECT_EQ(error_of(q->admit(claims, "c.wasm")), "(admitted)");
}

TEST_F(PolicyTest, TrustedIssuersMustBeAccountKeys) {
  auto p = Policy::create(trusting({actor}));
  ASSERT_FALSE(p);
  EXPECT_EQ(p.error().message, "trusted_issuers: " + actor + " is a module key, expected an account key (A…)");
  auto q = Policy::create(trusting({"ABC"}));
  ASSERT_FALSE(q);
  EXPECT_NE(q.error().message.find("trusted_issuers: 'ABC': not a public key"), std::string::npos);
}

TEST_F(PolicyTest, RevokedInlineByEachKind) {
  auto by = [&](const std::string& entry) {
    auto p = Policy::create(revoking({entry}));
    EXPECT_TRUE(p);
    return error_of(p->admit(claims, "c.wasm"));
  };
  EXPECT_EQ(by("JTI123"), "c.wasm: claims revoked: token id (jti) JTI123 is on the revocation list (manifest)");
  EXPECT_EQ(by(actor), "c.wasm: claims revoked: subject " + actor + " is on the revocation list (manifest)");
  EXPECT_EQ(by(account), "c.wasm: claims revoked: issuer " + account + " is on the revocation list (manifest)");
  EXPECT_EQ(by("SOMETHING-ELSE"), "(admitted)");
}

TEST_F(PolicyTest, RevocationFileIsReReadWhenItChanges) {
  fs::path file = dir / "revoked.txt";
  write(file, "# nothing revoked yet\n\n");
  auto p = Policy::create(with_file(file));
  ASSERT_TRUE(p) << p.error().message;
  EXPECT_EQ(error_of(p->admit(claims, "c.wasm")), "(admitted)");

  write(file, "# a bad actor\n  " + actor + "  \r\n");
  EXPECT_EQ(error_of(p->admit(claims, "c.wasm")),
            "c.wasm: claims revoked: subject " + actor + " is on the revocation list (" + file.string() + ")");

  write(file, "JTI123\n");
  EXPECT_EQ(error_of(p->admit(claims, "c.wasm")),
            "c.wasm: claims revoked: token id (jti) JTI123 is on the revocation list (" + file.string() + ")");

  write(file, account + "\n");
  EXPECT_NE(error_of(p->admit(claims, "c.wasm")).find("claims revoked: issuer " + account), std::string::npos);

  write(file, "");
  EXPECT_EQ(error_of(p->admit(claims, "c.wasm")), "(admitted)");

  // A list that cannot be read refuses everyone until it is back.
  fs::remove(file);
  EXPECT_NE(error_of(p->admit(claims, "c.wasm")).find("c.wasm: refused: revocation list " + file.string()),
            std::string::npos);
  write(file, "\n");
  EXPECT_EQ(error_of(p->admit(claims, "c.wasm")), "(admitted)");
}

TEST_F(PolicyTest, RevocationFileMustExistAtStart) {
  auto p = Policy::create(with_file(dir / "missing"));
  ASSERT_FALSE(p);
  EXPECT_NE(p.error().message.find("No such file"), std::string::npos) << p.error().message;
}

TEST_F(PolicyTest, OversizedRevocationFileIsRefused) {
  fs::path file = dir / "huge";
  {
    std::ofstream out(file, std::ios::binary);
    std::string line(1023, 'x');
    for (uintmax_t i = 0; i <= kMaxRevocationFileBytes / 1024; ++i) out << line << '\n';
  }
  auto p = Policy::create(with_file(file));
  ASSERT_FALSE(p);
  EXPECT_NE(p.error().message.find("more than the limit"), std::string::npos);
}

TEST_F(PolicyTest, ParseRevocationList) {
  auto l = parse_revocation_list("a\n# comment\n  b \t\n\n\r\nc");
  EXPECT_EQ(l, (std::set<std::string, std::less<>>{"a", "b", "c"}));
  // A comment after an entry (as docs/claims.md writes them) is not part of the entry; a
  // '#' inside an entry is.
  l = parse_revocation_list("MKEY   # leaked seed\njti1\t# one token\nx#y\n   # indented comment\n#\n");
  EXPECT_EQ(l, (std::set<std::string, std::less<>>{"MKEY", "jti1", "x#y"}));
  // A CR before the '#' is a blank too, as in the trimming (fuzz_claims found "\r#x" read as
  // the entry "#x", which no line can spell).
  l = parse_revocation_list("MKEY\r# leaked seed\r\n\r#MCOMMENT\r\n");
  EXPECT_EQ(l, (std::set<std::string, std::less<>>{"MKEY"}));
}

TEST_F(PolicyTest, ConcurrentAdmitsWhileTheFileChanges) {
  fs::path file = dir / "revoked.txt";
  write(file, "\n");
  auto p = Policy::create(with_file(file));
  ASSERT_TRUE(p);
  std::atomic<bool> stop{false};
  std::atomic<int> admitted{0}, refused{0}, other{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&] {
      while (!stop.load()) {
        auto r = p->admit(claims, "c.wasm");
        if (r) ++admitted;
        else if (r.error().message.find("claims revoked: subject") != std::string::npos) ++refused;
        else ++other;
      }
    });
  for (int i = 0; i <= 200; ++i) write(file, i % 2 ? actor + "\n" : std::string(i % 7 + 1, '\n'));
  stop = true;
  for (auto& t : threads) t.join();
  EXPECT_EQ(other.load(), 0);  // renames are atomic: never a half-read list
  // The last write left the list empty.
  EXPECT_EQ(error_of(p->admit(claims, "c.wasm")), "(admitted)");
}

}  // namespace
}  // namespace isola::host::claims
