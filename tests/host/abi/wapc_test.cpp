// The waPC ABI through the real engine: the example counter actor against a host-call
// handler that keeps a std::map, byte for byte against ACTOR-ABI.md §2.4; and a .wat actor
// that misuses every import, which must trap (never crash the host).
#include <gtest/gtest.h>

#include <map>

#include "harness.hpp"
#include "host/abi/http_codec.hpp"
#include "host/codec/mp.hpp"

namespace isola::host {
namespace {

using test::Actor;
using test::bytes;
using test::hex;
using test::Linked;
using test::text;
using wapc::CallError;

// The request of §2.4 step 1.
HttpRequest counter_request() {
  HttpRequest r;
  r.method = "GET";
  r.target = "/counter";
  r.path = "/counter";
  r.headers = {{"Accept", "*/*"}};
  return r;
}

// A key-value "provider" with Add only, recording what the guest sent.
struct KvRecorder {
  std::map<std::string, int64_t> store;
  std::vector<std::string> calls;  // "binding|contract|operation"
  std::vector<std::vector<uint8_t>> payloads;
  std::vector<std::vector<uint8_t>> responses;
  std::string fail_with;  // when set, every call fails with this text

  CapabilityResult operator()(const CapabilityCall& c) {
    calls.push_back(std::string(c.binding) + "|" + std::string(c.contract) + "|" + std::string(c.operation));
    payloads.emplace_back(c.payload.begin(), c.payload.end());
    if (!fail_with.empty()) return CapabilityResult::failure(fail_with);
    if (c.contract != "wascc:keyvalue" || c.operation != "Add") return CapabilityResult::failure("unsupported");
    auto v = mp::decode(c.payload);
    if (!v) return CapabilityResult::failure("bad payload: " + v.error().message);
    auto key = v->field("key", 0), value = v->field("value", 1);
    if (!key || !value || !key->as_str() || !value->as_i64()) return CapabilityResult::failure("bad Add");
    int64_t n = store[std::string(*key->as_str())] += *value->as_i64();
    mp::Writer w;
    w.map(1).str("value").sint(n);
    responses.push_back(w.bytes());
    return CapabilityResult::success(w.take());
  }
};

TEST(WapcCounter, HandleRequestIsByteForByteTheWorkedExample) {
  std::vector<uint8_t> want = {0x85, 0xa6};
  auto append = [&](std::string_view s) { want.insert(want.end(), s.begin(), s.end()); };
  append("method");
  want.push_back(0xa3);
  append("GET");
  want.push_back(0xa4);
  append("path");
  want.push_back(0xa8);
  append("/counter");
  want.push_back(0xab);
  append("queryString");
  want.push_back(0xa0);
  want.push_back(0xa6);
  append("header");
  want.push_back(0x81);
  want.push_back(0xa6);
  append("accept");
  want.push_back(0xa3);
  append("*/*");
  want.push_back(0xa4);
  append("body");
  want.push_back(0xc4);
  want.push_back(0x00);
  ASSERT_EQ(want.size(), 65u);
  auto got = wapc::encode_http_request(counter_request(), wapc::HttpFlavour::HandleRequest);
  EXPECT_EQ(hex(got), hex(want));
}

TEST(WapcCounter, CountsThroughTheHostCallWithFreshInstances) {
  Linked linked(test::example_wasm("counter.wasm"));
  EXPECT_EQ(wapc::detect_http_flavour(*linked.module), wapc::HttpFlavour::HandleRequest);
  KvRecorder kv;
  for (int i = 1; i <= 3; ++i) {
    Actor a(linked);  // a fresh instance per request, as the host does
    a.session.set_host_call(std::ref(kv));
    ASSERT_TRUE(a.guest->initialize().ok());
    auto payload = wapc::encode_http_request(counter_request(), wapc::HttpFlavour::HandleRequest);
    auto out = a.guest->call("HandleRequest", payload);
    ASSERT_TRUE(out.ok()) << out.error().message;

    // The host call of §2.4 step 2, exactly.
    ASSERT_EQ(kv.calls.size(), static_cast<size_t>(i));
    EXPECT_EQ(kv.calls.back(), "default|wascc:keyvalue|Add");
    EXPECT_EQ(hex(kv.payloads.back()), "82 a3 6b 65 79 a8 3a 63 6f 75 6e 74 65 72 a5 76 61 6c 75 65 01");
    if (i == 1) {
      EXPECT_EQ(hex(kv.responses.back()), "81 a5 76 61 6c 75 65 01");  // step 3
    }

    // Step 4, with our Content-Type header: 84 statusCode cc c8, status "OK", header, body bin.
    std::string body = "{\"counter\":" + std::to_string(i) + "}";
    mp::Writer w;
    w.map(4).str("statusCode").uint(200).str("status").str("OK");
    w.str("header").map(1).str("Content-Type").str("application/json");
    w.str("body").bin(std::string_view(body));
    EXPECT_EQ(hex(*out), hex(w.bytes()));
    EXPECT_EQ((*out)[0x0c], 0xcc);  // statusCode: an unsigned marker, 200 = cc c8

    HttpResponse resp = wapc::decode_http_response(*out, wapc::HttpFlavour::HandleRequest);
    EXPECT_EQ(resp.status, 200u);
    EXPECT_EQ(resp.body, body);
    ASSERT_EQ(resp.headers.size(), 1u);
    EXPECT_EQ(resp.headers[0].first, "Content-Type");
    EXPECT_EQ(resp.headers[0].second, "application/json");
  }
  EXPECT_EQ(kv.store[":counter"], 3);
}

TEST(WapcCounter, KeyFollowsThePath) {
  Linked linked(test::example_wasm("counter.wasm"));
  KvRecorder kv;
  Actor a(linked);
  a.session.set_host_call(std::ref(kv));
  ASSERT_TRUE(a.guest->initialize().ok());
  HttpRequest r = counter_request();
  r.path = "/api/hits/today";
  auto out = a.guest->call("HandleRequest", wapc::encode_http_request(r, wapc::HttpFlavour::HandleRequest));
  ASSERT_TRUE(out.ok()) << out.error().message;
  EXPECT_EQ(kv.store.count(":api:hits:today"), 1u);
}

TEST(WapcCounter, HostErrorBecomesGuestError) {
  Linked linked(test::example_wasm("counter.wasm"));
  KvRecorder kv;
  kv.fail_with = "Invocation failure: store is down";
  Actor a(linked);
  a.session.set_host_call(std::ref(kv));
  ASSERT_TRUE(a.guest->initialize().ok());
  auto out = a.guest->call("HandleRequest", wapc::encode_http_request(counter_request(), wapc::HttpFlavour::HandleRequest));
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.error().kind, CallError::Kind::GuestError);
  EXPECT_EQ(out.error().message, "Host error: Invocation failure: store is down");
}

TEST(WapcCounter, NoHandlerMeansADeniedHostCall) {
  Linked linked(test::example_wasm("counter.wasm"));
  Actor a(linked);  // no host-call handler set
  ASSERT_TRUE(a.guest->initialize().ok());
  auto out = a.guest->call("HandleRequest", wapc::encode_http_request(counter_request(), wapc::HttpFlavour::HandleRequest));
  ASSERT_FALSE(out.ok());
  EXPECT_NE(out.error().message.find("Host error: no capability providers"), std::string::npos) << out.error().message;
}

TEST(WapcCounter, UnknownOperationIsAGuestError) {
  Linked linked(test::example_wasm("counter.wasm"));
  Actor a(linked);
  ASSERT_TRUE(a.guest->initialize().ok());
  auto out = a.guest->call("Frobnicate", bytes("\xc0"));
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.error().kind, CallError::Kind::GuestError);
  EXPECT_EQ(out.error().message, "No handler registered for function \"Frobnicate\"");
}

TEST(WapcCounter, HealthRequestAnswersNil) {
  Linked linked(test::example_wasm("counter.wasm"));
  Actor a(linked);
  ASSERT_TRUE(a.guest->initialize().ok());
  auto out = a.guest->call("HealthRequest", bytes("\x81\xabplaceholder\xc3"));
  ASSERT_TRUE(out.ok()) << out.error().message;
  EXPECT_EQ(hex(*out), "c0");
}

TEST(WapcCounter, GarbageRequestIsAGuestErrorNotACrash) {
  Linked linked(test::example_wasm("counter.wasm"));
  KvRecorder kv;
  for (std::string_view junk : {std::string_view(""), std::string_view("\xc1"), std::string_view("\x85\xa6method"),
                                std::string_view("\xdf\xff\xff\xff\xff"), std::string_view("\x81\xa4path\x05")}) {
    Actor a(linked);
    a.session.set_host_call(std::ref(kv));
    ASSERT_TRUE(a.guest->initialize().ok());
    auto out = a.guest->call("HandleRequest", bytes(junk));
    ASSERT_FALSE(out.ok()) << hex(bytes(junk));
    EXPECT_EQ(out.error().kind, CallError::Kind::GuestError);
    EXPECT_NE(out.error().message.find("missing field `path`"), std::string::npos);
  }
  EXPECT_TRUE(kv.calls.empty());
}

TEST(WapcHello, AnswersHandleRequest) {
  Linked linked(test::example_wasm("wapc_hello.wasm"));
  Actor a(linked);
  ASSERT_TRUE(a.guest->initialize().ok());
  auto out = a.guest->call("HandleRequest", wapc::encode_http_request(counter_request(), wapc::HttpFlavour::HandleRequest));
  ASSERT_TRUE(out.ok()) << out.error().message;
  HttpResponse r = wapc::decode_http_response(*out, wapc::HttpFlavour::HandleRequest);
  EXPECT_EQ(r.status, 200u);
  EXPECT_EQ(r.body, "Hello from a waPC actor\n");
}

// ---------------------------------------------------------------------------------------
// Module shape

TEST(WapcShape, MissingGuestCallIsAClearError) {
  Linked linked(test::test_wasm("not_an_actor.wasm"));
  EXPECT_FALSE(wapc::looks_like_actor(*linked.module));
  Store store(linked.engine);
  wapc::Session s;
  auto inst = linked.pre->instantiate(store);
  ASSERT_TRUE(inst.ok());
  auto g = wapc::Guest::bind(store, *inst, s);
  ASSERT_FALSE(g.ok());
  EXPECT_EQ(g.error().message, "not a waPC actor: the module exports no function \"__guest_call\"");
}

TEST(WapcShape, WrongGuestCallTypeIsAClearError) {
  Linked linked(test::test_wasm("wrong_guest_call.wasm"));
  Store store(linked.engine);
  wapc::Session s;
  auto inst = linked.pre->instantiate(store);
  ASSERT_TRUE(inst.ok());
  auto g = wapc::Guest::bind(store, *inst, s);
  ASSERT_FALSE(g.ok());
  EXPECT_NE(g.error().message.find("__guest_call has type (i32) -> (i32)"), std::string::npos) << g.error().message;
}

// ---------------------------------------------------------------------------------------
// A guest that misuses the imports

struct Misbehaving : ::testing::Test {
  static inline std::unique_ptr<Linked> linked;
  static void SetUpTestSuite() { linked = std::make_unique<Linked>(test::test_wasm("misbehaving_actor.wasm")); }
  static void TearDownTestSuite() { linked.reset(); }

  std::vector<std::string> log;
  std::vector<std::string> host_calls;

  std::unique_ptr<Actor> actor(wapc::Limits limits = {}) {
    auto a = std::make_unique<Actor>(*linked, limits);
    a->session.set_console_log([this](std::string_view l) { log.emplace_back(l); });
    a->session.set_host_call([this](const CapabilityCall& c) {
      host_calls.push_back(std::string(c.binding) + "|" + std::string(c.contract) + "|" + std::string(c.operation) +
                           "|" + std::string(c.payload.begin(), c.payload.end()));
      if (c.payload.size() >= 4 && std::string_view(reinterpret_cast<const char*>(c.payload.data()), 4) == "fail")
        return CapabilityResult::failure("you asked for it");
      return CapabilityResult::success(bytes("0123456789abcdef"));
    });
    EXPECT_TRUE(a->guest->initialize().ok());
    return a;
  }

  CallError expect_trap(std::string_view op, std::string_view payload, std::string_view needle) {
    auto a = actor();
    auto out = a->guest->call(op, bytes(payload));
    EXPECT_FALSE(out.ok()) << op;
    if (out.ok()) return {};
    EXPECT_EQ(out.error().kind, CallError::Kind::Trap) << out.error().message;
    EXPECT_TRUE(out.error().trap.has_value());
    EXPECT_NE(out.error().message.find(needle), std::string::npos) << out.error().message;
    return out.error();
  }
};

TEST_F(Misbehaving, StartThenInitRunInOrder) {
  auto a = actor();
  EXPECT_EQ(log, (std::vector<std::string>{"start;", "init;"}));
}

TEST_F(Misbehaving, BindingOutOfRange) {
  auto e = expect_trap("a", "", "__host_call: binding at 0xfffffff0 + 100 bytes is outside guest memory (65536 bytes)");
  EXPECT_TRUE(host_calls.empty());
}

TEST_F(Misbehaving, PayloadLengthPastTheEnd) {
  expect_trap("b", "", "__host_call: payload at 0x0 + 2147483647 bytes is outside guest memory");
  EXPECT_TRUE(host_calls.empty());
}

TEST_F(Misbehaving, HostResponseDestinationPastTheEnd) {
  expect_trap("c", "ok", "__host_response: destination at 0xfffe + 16 bytes is outside guest memory");
  EXPECT_EQ(host_calls, (std::vector<std::string>{"default|ns:echo|Echo|ok"}));
}

TEST_F(Misbehaving, HostErrorDestinationAtMinusOne) {
  expect_trap("d", "fail", "__host_error: destination at 0xffffffff + 16 bytes is outside guest memory");
}

TEST_F(Misbehaving, GuestResponseStraddlingTheEnd) { expect_trap("e", "", "__guest_response: response at 0xffff + 2"); }
TEST_F(Misbehaving, GuestErrorAtMinusOne) { expect_trap("f", "", "__guest_error: error text at 0xffffffff + 10"); }
TEST_F(Misbehaving, ConsoleLogPastTheEnd) { expect_trap("g", "", "__console_log: log text at 0x10000 + 1"); }
TEST_F(Misbehaving, GuestRequestBufferPastTheEnd) {
  expect_trap("hh", "", "__guest_request: operation buffer at 0xffff + 2 bytes");
}
TEST_F(Misbehaving, GuestRequestOutsideACall) {
  auto a = actor();
  Func f = a->instance.get_func("request_outside_call");
  auto r = f.call(a->store, {});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, TrapKind::Host);
  EXPECT_EQ(r.error().message, "__guest_request: called outside __guest_call");
}
TEST_F(Misbehaving, OwnTrapIsAValue) { expect_trap("r", "", "unreachable"); }

TEST_F(Misbehaving, SecondGuestResponseReplacesTheFirst) {
  auto a = actor();
  auto out = a->guest->call("i", {});
  ASSERT_TRUE(out.ok()) << out.error().message;
  EXPECT_EQ(text(*out), "second");
}

TEST_F(Misbehaving, FailureWithoutMessage) {
  auto a = actor();
  auto out = a->guest->call("j", {});
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.error().kind, CallError::Kind::GuestError);
  EXPECT_EQ(out.error().message, "No error message set for call failure");
}

TEST_F(Misbehaving, SuccessWithoutResponse) {
  auto a = actor();
  auto out = a->guest->call("k", {});
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.error().message, "No error message OR response set for call success");
}

TEST_F(Misbehaving, GuestErrorText) {
  auto a = actor();
  auto out = a->guest->call("l", {});
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.error().message, "boom");
}

TEST_F(Misbehaving, ResponseFromGrownMemory) {
  auto a = actor();
  auto out = a->guest->call("m", {});
  ASSERT_TRUE(out.ok()) << out.error().message;
  EXPECT_EQ(text(*out), "now!");
}

TEST_F(Misbehaving, ResponseOverTheLimitTraps) {
  wapc::Limits lim;
  lim.max_payload = 16;
  auto a = actor(lim);
  auto out = a->guest->call("n", {});
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.error().kind, CallError::Kind::Trap);
  EXPECT_NE(out.error().message.find("response of 32 bytes exceeds the limit of 16"), std::string::npos);
}

TEST_F(Misbehaving, PayloadOverTheLimitIsRefusedBeforeTheCall) {
  wapc::Limits lim;
  lim.max_payload = 16;
  auto a = actor(lim);
  auto out = a->guest->call("o", std::vector<uint8_t>(17, 'x'));
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.error().kind, CallError::Kind::Refused);
  EXPECT_TRUE(host_calls.empty());
}

TEST_F(Misbehaving, HostCallRoundTrip) {
  auto a = actor();
  auto out = a->guest->call("o", bytes("hello"));
  ASSERT_TRUE(out.ok()) << out.error().message;
  EXPECT_EQ(text(*out), "0123456789abcdef");
  EXPECT_EQ(host_calls, (std::vector<std::string>{"default|ns:echo|Echo|hello"}));

  auto failed = a->guest->call("o", bytes("fail please"));
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.error().message, "you asked for it");
}

TEST_F(Misbehaving, HostCallPayloadOverTheLimitIsAHostError) {
  wapc::Limits lim;
  lim.max_payload = 1023;
  auto a = actor(lim);
  auto out = a->guest->call("s", {});
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.error().message, "host call refused: payload of 1024 bytes exceeds the limit of 1023");
  EXPECT_TRUE(host_calls.empty());
  lim.max_payload = 1024;  // exactly at the limit: the call goes through
  auto b = actor(lim);
  out = b->guest->call("s", {});
  EXPECT_EQ(host_calls.size(), 1u);
}

TEST_F(Misbehaving, LongNamespaceIsAHostError) {
  wapc::Limits lim;
  lim.max_name = 16;
  auto a = actor(lim);
  auto out = a->guest->call("p", {});
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.error().message, "host call refused: binding, namespace or operation longer than 16 bytes");
  EXPECT_TRUE(host_calls.empty());
}

TEST_F(Misbehaving, InvalidUtf8IsDecodedLossily) {
  auto a = actor();
  log.clear();
  auto out = a->guest->call("q", {});
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.error().message, "a\xEF\xBF\xBD\xEF\xBF\xBD" "b");
  EXPECT_EQ(log, (std::vector<std::string>{"a\xEF\xBF\xBD\xEF\xBF\xBD" "b"}));
}

TEST_F(Misbehaving, TheSameInstanceKeepsWorkingAfterAnErrorReply) {
  auto a = actor();
  EXPECT_FALSE(a->guest->call("l", {}).ok());
  auto out = a->guest->call("i", {});
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(text(*out), "second");
}

TEST(WapcImports, TrapWithoutSession) {
  Linked linked(test::test_wasm("misbehaving_actor.wasm"));
  Store store(linked.engine);
  auto ctx = wasi::Context::create(wasi::Config{});
  (*ctx)->attach(store);
  auto inst = linked.pre->instantiate(store);
  ASSERT_TRUE(inst.ok());
  auto r = inst->get_func("_start").call(store, {});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "__console_log: no waPC session is attached to this instance");
}

TEST(WapcUtf8, LossyDecoding) {
  auto dec = [](std::string_view s, size_t max = 1000) {
    return wapc::lossy_utf8(std::span(reinterpret_cast<const uint8_t*>(s.data()), s.size()), max);
  };
  EXPECT_EQ(dec("plain"), "plain");
  EXPECT_EQ(dec("h\xC3\xA9llo \xE2\x82\xAC \xF0\x9F\x98\x80"), "h\xC3\xA9llo \xE2\x82\xAC \xF0\x9F\x98\x80");
  EXPECT_EQ(dec("\xC0\xAF"), "\xEF\xBF\xBD");                        // overlong 2-byte form
  EXPECT_EQ(dec("\xE0\x80\xAF"), "\xEF\xBF\xBD");                    // overlong 3-byte form
  EXPECT_EQ(dec("\xED\xA0\x80"), "\xEF\xBF\xBD");                    // a surrogate
  EXPECT_EQ(dec("\xE2\x82"), "\xEF\xBF\xBD");                        // cut short
  EXPECT_EQ(dec("abcdef", 3), "abc\xE2\x80\xA6");
}

}  // namespace
}  // namespace isola::host
