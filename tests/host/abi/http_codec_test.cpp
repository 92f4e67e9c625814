// HTTP payloads for actors: the two request flavours, and decoding of whatever an actor
// replies (map or array, any integer marker, trailing bytes, junk).
#include <gtest/gtest.h>

#include "harness.hpp"
#include "host/abi/http_codec.hpp"
#include "host/codec/mp.hpp"

namespace isola::host {
namespace {

using test::bytes;
using test::hex;
using wapc::HttpFlavour;

HttpRequest sample() {
  HttpRequest r;
  r.method = "POST";
  r.target = "/items?id=3";
  r.path = "/items";
  r.query = "id=3";
  r.headers = {{"X-Tag", "a"}, {"Content-Type", "text/plain"}, {"x-tag", "b"}};
  r.body = "payload";
  return r;
}

TEST(HttpCodec, HandleRequestKeepsTheLastValueLowercased) {
  auto b = wapc::encode_http_request(sample(), HttpFlavour::HandleRequest);
  auto v = mp::decode(b);
  ASSERT_TRUE(v.ok());
  ASSERT_TRUE(v->is_map());
  ASSERT_EQ(v->size(), 5u);
  const char* order[] = {"method", "path", "queryString", "header", "body"};
  for (size_t i = 0; i < 5; ++i) EXPECT_EQ(*v->key_at(i)->as_str(), order[i]);
  EXPECT_EQ(*v->find("method")->as_str(), "POST");
  EXPECT_EQ(*v->find("path")->as_str(), "/items");
  EXPECT_EQ(*v->find("queryString")->as_str(), "id=3");
  const mp::Value* h = v->find("header");
  ASSERT_EQ(h->size(), 2u);
  EXPECT_EQ(*h->find("x-tag")->as_str(), "b");
  EXPECT_EQ(*h->find("content-type")->as_str(), "text/plain");
  EXPECT_TRUE(v->find("body")->is_bin());
  auto body = *v->find("body")->as_bin();
  EXPECT_EQ(std::string(body.begin(), body.end()), "payload");
}

TEST(HttpCodec, WasmbusKeepsEveryValue) {
  auto b = wapc::encode_http_request(sample(), HttpFlavour::Wasmbus);
  auto v = mp::decode(b);
  ASSERT_TRUE(v.ok());
  const mp::Value* tags = v->find("header")->find("x-tag");
  ASSERT_TRUE(tags && tags->is_array());
  ASSERT_EQ(tags->size(), 2u);
  EXPECT_EQ(*tags->at(0)->as_str(), "a");
  EXPECT_EQ(*tags->at(1)->as_str(), "b");
  EXPECT_EQ(*v->find("header")->find("content-type")->at(0)->as_str(), "text/plain");
  EXPECT_EQ(wapc::http_operation(HttpFlavour::Wasmbus), "HttpServer.HandleRequest");
  EXPECT_EQ(wapc::http_operation(HttpFlavour::HandleRequest), "HandleRequest");
}

TEST(HttpCodec, InvalidUtf8InHeadersIsReplaced) {
  HttpRequest r = sample();
  r.headers = {{"X-Bin", "a\xff"}};
  auto v = mp::decode(wapc::encode_http_request(r, HttpFlavour::HandleRequest));
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(*v->find("header")->find("x-bin")->as_str(), "a\xEF\xBF\xBD");
}

// A wasmbus actor (imports from `wasmbus`) is detected, and the whole round trip goes
// through the real engine: it echoes the request payload.
TEST(HttpCodec, WasmbusActorDetectedAndCalled) {
  test::Linked linked(test::test_wasm("wasmbus_echo.wasm"));
  EXPECT_EQ(wapc::detect_http_flavour(*linked.module), HttpFlavour::Wasmbus);
  test::Actor a(linked);
  ASSERT_TRUE(a.guest->initialize().ok());
  auto flavour = wapc::detect_http_flavour(*linked.module);
  auto payload = wapc::encode_http_request(sample(), flavour);
  auto out = a.guest->call(wapc::http_operation(flavour), payload);
  ASSERT_TRUE(out.ok()) << out.error().message;
  EXPECT_EQ(hex(*out), hex(payload));
}

std::vector<uint8_t> response_map(bool with_status) {
  mp::Writer w;
  w.map(with_status ? 4 : 3).str("statusCode").uint(404);
  if (with_status) w.str("status").str("Not Found");
  w.str("header").map(1).str("X-A").str("1");
  w.str("body").bin(std::string_view("gone"));
  return w.take();
}

TEST(HttpCodec, DecodesMapResponse) {
  HttpResponse r = wapc::decode_http_response(response_map(true), HttpFlavour::HandleRequest);
  EXPECT_EQ(r.status, 404u);
  EXPECT_EQ(r.body, "gone");
  ASSERT_EQ(r.headers.size(), 1u);
  EXPECT_EQ(r.headers[0], (std::pair<std::string, std::string>{"X-A", "1"}));
  // The wasmbus form has no `status`; keys are looked up by name either way.
  r = wapc::decode_http_response(response_map(false), HttpFlavour::Wasmbus);
  EXPECT_EQ(r.status, 404u);
  EXPECT_EQ(r.body, "gone");
}

TEST(HttpCodec, DecodesArrayResponsesInFieldOrder) {
  mp::Writer w;
  w.array(4).uint(201).str("Created").map(0).bin(std::string_view("made"));
  HttpResponse r = wapc::decode_http_response(w.bytes(), HttpFlavour::HandleRequest);
  EXPECT_EQ(r.status, 201u);
  EXPECT_EQ(r.body, "made");

  mp::Writer wb;
  wb.array(3).uint(202).map(1).str("X-Many").array(2).str("1").str("2");
  wb.bin(std::string_view("queued"));
  r = wapc::decode_http_response(wb.bytes(), HttpFlavour::Wasmbus);
  EXPECT_EQ(r.status, 202u);
  EXPECT_EQ(r.body, "queued");
  ASSERT_EQ(r.headers.size(), 2u);
  EXPECT_EQ(r.headers[1].second, "2");
}

TEST(HttpCodec, AcceptsAnyFittingIntegerMarkerTrailingBytesAndUnknownKeys) {
  // statusCode 200 as int16 (d1 00 c8), an unknown key, the body as str, a trailing 0x00
  // as the AssemblyScript encoder writes it.
  using namespace std::literals;
  auto b = bytes("\x83\xaa" "statusCode\xd1\x00\xc8" "\xa5" "extra\xc3" "\xa4" "body" "\xa2" "hi" "\x00"sv);
  HttpResponse r = wapc::decode_http_response(b, HttpFlavour::HandleRequest);
  EXPECT_EQ(r.status, 200u) << r.body;
  EXPECT_EQ(r.body, "hi");
  EXPECT_TRUE(r.headers.empty());
}

TEST(HttpCodec, DropsHeadersItCannotSend) {
  mp::Writer w;
  w.map(3).str("statusCode").uint(200).str("header").map(4);
  w.str("Bad Name").str("x");
  w.str("X-Split").str("a\r\nInjected: yes");
  w.str("Content-Length").str("999");
  w.str("X-Fine").str("ok");
  w.str("body").bin(std::string_view(""));
  HttpResponse r = wapc::decode_http_response(w.bytes(), HttpFlavour::HandleRequest);
  EXPECT_EQ(r.status, 200u);
  ASSERT_EQ(r.headers.size(), 1u);
  EXPECT_EQ(r.headers[0].first, "X-Fine");
}

TEST(HttpCodec, MalformedRepliesAre500) {
  auto check = [](std::vector<uint8_t> b, const char* what) {
    HttpResponse r = wapc::decode_http_response(b, HttpFlavour::HandleRequest);
    EXPECT_EQ(r.status, 500u) << what;
    EXPECT_EQ(r.body, "Malformed response from actor\n") << what;
  };
  check({}, "empty");
  check(bytes("\xc0"), "nil");
  check(bytes("\xc1"), "reserved marker");
  check(bytes("\x84\xaastatusCode"), "truncated");
  check(bytes("\x81\xa6status\xa2OK"), "no statusCode");
  check(bytes("\x81\xaastatusCode\xa3""200"), "statusCode as a string");
  check(bytes("\x81\xaastatusCode\xff"), "negative statusCode");
  check(bytes("\x81\xaastatusCode\xcd\x03\xe8"), "statusCode 1000");
  check(bytes("\x81\xaastatusCode\x63"), "statusCode 99");
  check(bytes("\x82\xaastatusCode\xcc\xc8\xa6header\x93"), "header not a map");
  check(bytes("\x82\xaastatusCode\xcc\xc8\xa6header\x81\xa1x\x01"), "header value a number");
  check(bytes("\x82\xaastatusCode\xcc\xc8\xa4""body\x01"), "body a number");
  check(bytes("\xdd\xff\xff\xff\xff"), "huge array header");
  std::vector<uint8_t> deep(100000, 0x91);  // nesting far beyond any limit
  check(deep, "deep nesting");
}

}  // namespace
}  // namespace isola::host
