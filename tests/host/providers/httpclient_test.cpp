// The httpclient provider against a local HTTP server on 127.0.0.1, and its SSRF rules.
#include "helpers.hpp"
#include "host/providers/address_policy.hpp"
#include "http_server.hpp"

namespace isola::host::test {
namespace {

using providers::AllowList;
using providers::special_address_kind;

std::vector<uint8_t> request(std::string_view method, std::string_view url, std::string_view qs = "",
                             std::string_view body = "", std::string_view xin = "") {
  mp::Writer w;
  w.map(5).str("method").str(method).str("path").str(url).str("queryString").str(qs);
  w.str("header").map(xin.empty() ? 0 : 1);
  if (!xin.empty()) w.str("X-In").str(xin);
  w.str("body").bin(body);
  return w.take();
}

std::shared_ptr<Provider> client(LinkValues values, std::string_view contract = "wascc:http_client") {
  auto p = make_provider(contract, values, ProviderEnv{});
  EXPECT_TRUE(p.ok()) << (p.ok() ? "" : p.error().message);
  return p.ok() ? *p : nullptr;
}

std::string body_of(const mp::Value& v) {
  auto b = v.find("body")->as_bin();
  return b ? std::string(b->begin(), b->end()) : "";
}

class HttpClient : public ::testing::Test {
 protected:
  HttpServer server_;
  std::string base(std::string_view host = "127.0.0.1") const {
    return "http://" + std::string(host) + ":" + std::to_string(server_.port());
  }
  std::string port() const { return std::to_string(server_.port()); }
};

TEST_F(HttpClient, ExplicitlyAllowedLoopbackWorks) {
  auto p = client({{"allowed_hosts", "127.0.0.1:" + port()}});
  auto v = decoded(call(*p, "PerformRequest", request("GET", base() + "/hello", "a=1")));
  EXPECT_EQ(v.find("statusCode")->as_u64(), 200u);
  EXPECT_EQ(v.find("status")->as_str(), "OK");
  EXPECT_EQ(v.find("header")->find("x-test")->as_str(), "yes");
  EXPECT_EQ(v.find("header")->find("x-multi")->as_str(), "1, 2");
  EXPECT_EQ(body_of(v), "hello /hello?a=1");
}

TEST_F(HttpClient, MethodHeadersAndBodyAreSent) {
  auto p = client({{"allowed_hosts", "127.0.0.1"}});
  auto v = decoded(call(*p, "PerformRequest", request("PUT", base() + "/echo", "", "payload", "abc")));
  EXPECT_EQ(body_of(v), "PUT abc payload");
}

TEST_F(HttpClient, WasmbusRequestShape) {
  auto p = client({{"allowed_hosts", "127.0.0.1"}}, "wasmcloud:httpclient");
  mp::Writer w;
  w.map(4).str("method").str("GET").str("url").str(base() + "/hello").str("headers").map(0).str("body").bin("");
  auto v = decoded(call(*p, "HttpClient.Request", w.take()));
  EXPECT_EQ(v.find("statusCode")->as_u64(), 200u);
  EXPECT_EQ(strings_of(v.find("header")->find("x-multi")), (std::vector<std::string>{"1", "2"}));
}

TEST_F(HttpClient, HostsOffTheAllowListAreRefused) {
  auto none = client({});
  auto r = call(*none, "PerformRequest", request("GET", base() + "/hello"));
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.error.find("allow-list"), std::string::npos) << r.error;
  auto other = client({{"allowed_hosts", "example.com,127.0.0.2"}});
  EXPECT_FALSE(call(*other, "PerformRequest", request("GET", base() + "/hello")).ok);
  auto wrong_port = client({{"allowed_hosts", "127.0.0.1:1"}});
  EXPECT_FALSE(call(*wrong_port, "PerformRequest", request("GET", base() + "/hello")).ok);
  EXPECT_EQ(server_.requests(), 0);
}

TEST_F(HttpClient, NameResolvingToLoopbackIsRefusedUnlessNamed) {
  // "localhost" resolves to 127.0.0.1 (or ::1): a wildcard cannot let it through...
  auto wildcard = client({{"allowed_hosts", "*.localhost,localhost.example"}});
  auto r = call(*wildcard, "PerformRequest", request("GET", base("sub.localhost") + "/hello"));
  EXPECT_FALSE(r.ok);
  // ...an IP entry does not allow the name...
  auto ip_only = client({{"allowed_hosts", "127.0.0.1"}});
  EXPECT_FALSE(call(*ip_only, "PerformRequest", request("GET", base("localhost") + "/hello")).ok);
  EXPECT_EQ(server_.requests(), 0);
  // ...but naming it does.
  auto named = client({{"allowed_hosts", "localhost:" + port()}});
  r = call(*named, "PerformRequest", request("GET", base("localhost") + "/hello"));
  ASSERT_TRUE(r.ok) << r.error;
}

TEST_F(HttpClient, WildcardMatchIsRefusedAtTheLoopbackAddress) {
  // "*" admits any host by name, so the refusal can only come from the check of the
  // address actually connected to, after DNS.
  auto any = client({{"allowed_hosts", "*"}});
  auto r = call(*any, "PerformRequest", request("GET", base("localhost") + "/hello"));
  ASSERT_FALSE(r.ok);
  EXPECT_NE(r.error.find("loopback"), std::string::npos) << r.error;
  r = call(*any, "PerformRequest", request("GET", base() + "/hello"));
  ASSERT_FALSE(r.ok);
  EXPECT_NE(r.error.find("127.0.0.1 (loopback address)"), std::string::npos) << r.error;
  r = call(*any, "PerformRequest", request("GET", "http://[::ffff:127.0.0.1]:" + port() + "/hello"));
  EXPECT_FALSE(r.ok);
  r = call(*any, "PerformRequest", request("GET", "http://2130706433:" + port() + "/hello"));  // 127.0.0.1
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(server_.requests(), 0);
}

TEST_F(HttpClient, RedirectsAreNotFollowed) {
  auto p = client({{"allowed_hosts", "127.0.0.1"}});
  auto v = decoded(call(*p, "PerformRequest", request("GET", base() + "/redirect")));
  EXPECT_EQ(v.find("statusCode")->as_u64(), 302u);
  EXPECT_EQ(v.find("header")->find("location")->as_str(), "http://169.254.169.254/latest/meta-data/");
  EXPECT_EQ(server_.requests(), 1);
}

TEST_F(HttpClient, ResponseSizeLimit) {
  auto p = client({{"allowed_hosts", "127.0.0.1"}, {"max_response_bytes", "50000"}});
  auto r = call(*p, "PerformRequest", request("GET", base() + "/big"));
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.error.find("larger than 50000"), std::string::npos) << r.error;
  auto roomy = client({{"allowed_hosts", "127.0.0.1"}, {"max_response_bytes", "200000"}});
  auto v = decoded(call(*roomy, "PerformRequest", request("GET", base() + "/big")));
  EXPECT_EQ(body_of(v).size(), 100000u);
}

TEST_F(HttpClient, Timeout) {
  auto p = client({{"allowed_hosts", "127.0.0.1"}, {"timeout_ms", "300"}});
  auto r = call(*p, "PerformRequest", request("GET", base() + "/slow"));
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.error.find("timed out"), std::string::npos) << r.error;
}

TEST_F(HttpClient, OnlyHttpAndHttps) {
  auto p = client({{"allowed_hosts", "127.0.0.1,localhost"}});
  for (auto url : {"file:///etc/passwd", "ftp://127.0.0.1/", "gopher://127.0.0.1/", "dict://127.0.0.1:11211/",
                   "not a url", ""}) {
    auto r = call(*p, "PerformRequest", request("GET", url));
    EXPECT_FALSE(r.ok) << url;
  }
}

TEST_F(HttpClient, MalformedRequestsFail) {
  auto p = client({{"allowed_hosts", "127.0.0.1"}});
  EXPECT_FALSE(call(*p, "PerformRequest", {}).ok);
  EXPECT_FALSE(call(*p, "PerformRequest", {0x80}).ok);
  EXPECT_FALSE(call(*p, "PerformRequest", {0xc1}).ok);
  EXPECT_FALSE(call(*p, "PerformRequest", request("GE T", base() + "/hello")).ok);
  EXPECT_FALSE(call(*p, "PerformRequest", request("GET", base() + "/hello", "", "", "a\r\nInjected: 1")).ok);
  EXPECT_FALSE(call(*p, "Other", request("GET", base() + "/hello")).ok);
}

TEST(HttpClientConfig, BadLinkValuesAreNamed) {
  for (auto [k, v] : std::vector<std::pair<std::string, std::string>>{{"timeout_ms", "abc"},
                                                                      {"timeout_ms", "0"},
                                                                      {"max_response_bytes", "-5"},
                                                                      {"allowed_hosts", "exa mple.com"},
                                                                      {"allowed_hosts", "a.com:99999"},
                                                                      {"allowed_hosts", "a.*.com"}}) {
    auto p = make_provider("wascc:http_client", {{k, v}}, ProviderEnv{});
    ASSERT_FALSE(p.ok()) << k << "=" << v;
    EXPECT_NE(p.error().message.find(k), std::string::npos) << p.error().message;
  }
}

TEST(AddressPolicy, SpecialAddresses) {
  for (auto ip : {"127.0.0.1", "127.1.2.3", "10.0.0.1", "172.16.5.4", "172.31.255.255", "192.168.1.1",
                  "169.254.1.1", "169.254.169.254", "100.64.0.1", "100.127.255.255", "0.0.0.0", "224.0.0.1",
                  "255.255.255.255", "::", "::1", "fe80::1", "fc00::1", "fd00:ec2::254", "fd12:3456::1", "ff02::1",
                  "::ffff:127.0.0.1", "::ffff:10.1.2.3", "::ffff:169.254.169.254", "64:ff9b::a9fe:a9fe",
                  "2002:7f00:1::1", "::127.0.0.1"})
    EXPECT_NE(special_address_kind(std::string_view(ip)), "") << ip;
  for (auto ip : {"8.8.8.8", "1.1.1.1", "172.32.0.1", "100.128.0.1", "169.253.0.1", "2606:4700::1111",
                  "::ffff:8.8.8.8", "2001:4860:4860::8888"})
    EXPECT_EQ(special_address_kind(std::string_view(ip)), "") << ip;
  EXPECT_EQ(special_address_kind(std::string_view("169.254.169.254")), "metadata");
  EXPECT_EQ(special_address_kind(std::string_view("fd00:ec2::254")), "metadata");
  EXPECT_EQ(special_address_kind(std::string_view("::ffff:127.0.0.1")), "loopback");
}

TEST(AddressPolicy, AllowListMatching) {
  auto l = AllowList::parse(" example.com , api.example.org:8443,*.svc.example.net, [::1]:8080 ,10.0.0.5");
  ASSERT_TRUE(l.ok()) << l.error().message;
  using M = AllowList::Match;
  EXPECT_EQ(l->match("example.com", 80), M::Explicit);
  EXPECT_EQ(l->match("EXAMPLE.com.", 443), M::Explicit);
  EXPECT_EQ(l->match("www.example.com", 80), M::None);
  EXPECT_EQ(l->match("api.example.org", 8443), M::Explicit);
  EXPECT_EQ(l->match("api.example.org", 443), M::None);
  EXPECT_EQ(l->match("a.svc.example.net", 443), M::Pattern);
  EXPECT_EQ(l->match("a.b.svc.example.net", 443), M::Pattern);
  EXPECT_EQ(l->match("svc.example.net", 443), M::None);
  EXPECT_EQ(l->match("evilsvc.example.net", 443), M::None);
  EXPECT_EQ(l->match("::1", 8080), M::Explicit);
  EXPECT_EQ(l->match("[::1]", 8080), M::Explicit);
  EXPECT_EQ(l->match("10.0.0.5", 80), M::Explicit);
}

}  // namespace
}  // namespace isola::host::test
