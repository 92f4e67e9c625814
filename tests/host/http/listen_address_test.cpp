#include "host/http/listen_address.hpp"

#include <gtest/gtest.h>

namespace isola::host {
namespace {

TEST(ListenAddress, ParsesIpv4Ipv6AndLocalhost) {
  auto a = parse_listen_address("127.0.0.1:8080");
  ASSERT_TRUE(a) << a.error().message;
  EXPECT_EQ(a->ip, "127.0.0.1");
  EXPECT_EQ(a->port, 8080);
  auto b = parse_listen_address("[::1]:0");
  ASSERT_TRUE(b) << b.error().message;
  EXPECT_EQ(b->ip, "::1");
  EXPECT_EQ(b->port, 0);
  auto c = parse_listen_address("localhost:9");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->ip, "127.0.0.1");
  EXPECT_EQ(format_host_port("::1", 80), "[::1]:80");
  EXPECT_EQ(format_host_port("127.0.0.1", 80), "127.0.0.1:80");
}

TEST(ListenAddress, RejectsWhatIsNotAnAddressAndPort) {
  for (const char* bad : {"127.0.0.1", "127.0.0.1:", "127.0.0.1:65536", "127.0.0.1:80x", "example.com:80", "::1:80",
                          "[::1]80", "[nothex]:80", ":80"}) {
    auto r = parse_listen_address(bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_NE(r.error().message.find(bad), std::string::npos) << r.error().message;
  }
}

}  // namespace
}  // namespace isola::host
