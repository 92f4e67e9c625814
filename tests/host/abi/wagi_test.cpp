// WAGI: the CGI environment, real WASI programs answering requests (the hello example and
// a probe), and the CGI response parser against well-formed and malformed output.
#include <gtest/gtest.h>

#include <algorithm>

#include "harness.hpp"
#include "host/abi/wagi.hpp"

namespace isola::host {
namespace {

using wagi::parse_cgi_response;

HttpRequest request() {
  HttpRequest r;
  r.method = "POST";
  r.target = "/app/some%20thing?x=1&y=2";
  r.path = "/app/some%20thing";
  r.query = "x=1&y=2";
  r.headers = {{"Host", "example.test:8080"},
               {"Content-Type", "application/json"},
               {"X-Multi", "one"},
               {"User-Agent", "curl/8"},
               {"x-multi", "two"},
               {"Bad Header", "dropped"}};
  r.body = "{\"a\":1}";
  r.remote_addr = "127.0.0.1";
  r.remote_port = 5555;
  r.server_name = "example.test";
  r.server_port = 8080;
  return r;
}

wagi::Options options() {
  wagi::Options o;
  o.script_name = "/app";
  o.matched_route = "/app/...";
  o.env = {"GREETING=hi", "REQUEST_METHOD=spoofed", "NOEQUALS"};
  return o;
}

bool has(const std::vector<std::string>& env, const std::string& entry) {
  return std::find(env.begin(), env.end(), entry) != env.end();
}

TEST(WagiEnv, CgiVariables) {
  auto env = wagi::cgi_environment(request(), options());
  for (const char* want : {"REQUEST_METHOD=POST", "PATH_INFO=/some thing", "X_RAW_PATH_INFO=/some%20thing",
                           "SCRIPT_NAME=/app", "QUERY_STRING=x=1&y=2", "CONTENT_TYPE=application/json",
                           "CONTENT_LENGTH=7", "SERVER_NAME=example.test", "SERVER_PORT=8080",
                           "SERVER_PROTOCOL=HTTP/1.1", "SERVER_SOFTWARE=Isola/0.1", "GATEWAY_INTERFACE=CGI/1.1",
                           "REMOTE_ADDR=127.0.0.1", "REMOTE_HOST=127.0.0.1", "HTTP_HOST=example.test:8080",
                           "HTTP_USER_AGENT=curl/8", "HTTP_X_MULTI=one, two", "HTTP_CONTENT_TYPE=application/json",
                           "X_MATCHED_ROUTE=/app/...", "X_FULL_URL=http://example.test:8080/app/some%20thing?x=1&y=2",
                           "GREETING=hi"})
    EXPECT_TRUE(has(env, want)) << want;
  EXPECT_FALSE(has(env, "REQUEST_METHOD=spoofed"));  // the request's variables win
  for (const auto& e : env) {
    EXPECT_EQ(e.find("BAD"), std::string::npos) << e;  // a name that cannot be a variable
    EXPECT_NE(e.rfind("NOEQUALS", 0), 0u) << e;
  }
}

TEST(WagiEnv, PathInfoOutsideTheScriptAndBadEscapes) {
  HttpRequest r = request();
  r.path = "/elsewhere/%zz";
  auto env = wagi::cgi_environment(r, options());
  EXPECT_TRUE(has(env, "PATH_INFO=/elsewhere/%zz"));  // not under SCRIPT_NAME, and undecodable
  r.path = "/app/%00";
  env = wagi::cgi_environment(r, options());
  EXPECT_TRUE(has(env, "PATH_INFO=/%00"));  // a NUL cannot be in the environment: kept raw
  HttpRequest bare;
  bare.method = "GET";
  bare.path = bare.target = "/";
  bare.server_name = "localhost";
  bare.server_port = 80;
  env = wagi::cgi_environment(bare, {});
  EXPECT_TRUE(has(env, "X_FULL_URL=http://localhost:80/"));
  EXPECT_TRUE(has(env, "CONTENT_LENGTH=0"));
  EXPECT_TRUE(has(env, "CONTENT_TYPE="));
}

// Runs a WAGI program for one request, as the host does.
struct WagiRun {
  HttpResponse response;
  std::vector<std::string> stderr_lines;
  std::string stdout_bytes;
};

WagiRun run(test::Linked& linked, const HttpRequest& req, wagi::Options opt = options()) {
  WagiRun out;
  opt.on_stderr = [&](std::string_view l) { out.stderr_lines.emplace_back(l); };
  wagi::Exchange ex(req, std::move(opt));
  Store store(linked.engine);
  auto ctx = wasi::Context::create(ex.config());
  EXPECT_TRUE(ctx.ok());
  (*ctx)->attach(store);
  auto inst = linked.pre->instantiate(store);
  EXPECT_TRUE(inst.ok());
  out.response = ex.response(wasi::run_command(store, *inst));
  out.stdout_bytes = ex.stdout_bytes();
  return out;
}

TEST(WagiRun, HelloExample) {
  test::Linked linked(test::example_wasm("hello.wasm"));
  HttpRequest r = request();
  r.method = "GET";
  r.path = "/app/world";
  auto out = run(linked, r);
  EXPECT_EQ(out.response.status, 200u);
  EXPECT_EQ(out.response.body, "Hello from Isola\nGET /app/world\n");
  ASSERT_EQ(out.response.headers.size(), 1u);
  EXPECT_EQ(out.response.headers[0].first, "Content-Type");
  EXPECT_EQ(out.response.headers[0].second, "text/plain");
}

TEST(WagiRun, ProbeSeesArgsEnvAndBody) {
  test::Linked linked(test::test_wasm("abi_cgi_probe.wasm"));
  HttpRequest r = request();
  r.query = "env";
  auto out = run(linked, r);
  EXPECT_EQ(out.response.status, 200u);
  const std::string& b = out.response.body;
  EXPECT_NE(b.find("argc=1 argv0=/app\n"), std::string::npos) << b;
  EXPECT_NE(b.find("\nREQUEST_METHOD=POST\n"), std::string::npos) << b;
  EXPECT_NE(b.find("\nHTTP_X_MULTI=one, two\n"), std::string::npos) << b;
  EXPECT_NE(b.find("\nGREETING=hi\n"), std::string::npos) << b;
  EXPECT_NE(b.find("body={\"a\":1}\n"), std::string::npos) << b;
  bool probe_header = false;
  for (auto& [k, v] : out.response.headers) probe_header |= k == "X-Probe" && v == "yes";
  EXPECT_TRUE(probe_header);
}

TEST(WagiRun, RawCgiThroughTheGuest) {
  test::Linked linked(test::test_wasm("abi_cgi_probe.wasm"));
  HttpRequest r = request();
  r.query = "raw";
  r.body = "Status: 418 I'm a teapot\r\nContent-Type: text/plain\r\n\r\nshort and stout";
  auto out = run(linked, r);
  EXPECT_EQ(out.response.status, 418u);
  EXPECT_EQ(out.response.body, "short and stout");
}

TEST(WagiRun, StderrGoesToTheLogLineByLine) {
  test::Linked linked(test::test_wasm("abi_cgi_probe.wasm"));
  HttpRequest r = request();
  r.query = "stderr";
  auto out = run(linked, r);
  EXPECT_EQ(out.response.status, 200u);
  EXPECT_EQ(out.stderr_lines, (std::vector<std::string>{"first line", "second line", "no newline at the end"}));
}

TEST(WagiRun, OversizeOutputIs500AndNotBuffered) {
  test::Linked linked(test::test_wasm("abi_cgi_probe.wasm"));
  HttpRequest r = request();
  r.query = "big";
  wagi::Options o = options();
  o.max_stdout = 1u << 20;
  auto out = run(linked, r, o);
  EXPECT_EQ(out.response.status, 500u);
  EXPECT_NE(out.response.body.find("exceeds 1048576 bytes"), std::string::npos);
  EXPECT_LE(out.stdout_bytes.size(), 1u << 20);
}

TEST(WagiRun, ExitWithoutOutputIs500) {
  test::Linked linked(test::test_wasm("abi_cgi_probe.wasm"));
  HttpRequest r = request();
  r.query = "exit3";
  auto out = run(linked, r);
  EXPECT_EQ(out.response.status, 500u);
  EXPECT_NE(out.response.body.find("exited with status 3"), std::string::npos);
}

TEST(WagiRun, TrapIs500) {
  test::Linked linked(test::test_wasm("abi_cgi_probe.wasm"));
  HttpRequest r = request();
  r.query = "trap";
  auto out = run(linked, r);
  EXPECT_EQ(out.response.status, 500u);
  EXPECT_NE(out.response.body.find("trapped (unreachable)"), std::string::npos) << out.response.body;
}

// ---------------------------------------------------------------------------------------
// The CGI response parser

std::string header(const HttpResponse& r, std::string_view name) {
  for (auto& [k, v] : r.headers)
    if (k == name) return v;
  return "<none>";
}

TEST(CgiParse, SimpleLf) {
  auto r = parse_cgi_response("Content-Type: text/html\nX-A:  spaced  \n\n<p>hi</p>\n");
  EXPECT_EQ(r.status, 200u);
  EXPECT_EQ(header(r, "Content-Type"), "text/html");
  EXPECT_EQ(header(r, "X-A"), "spaced");
  EXPECT_EQ(r.body, "<p>hi</p>\n");
}

TEST(CgiParse, CrlfAndMixedLineEnds) {
  auto r = parse_cgi_response("Content-Type: text/plain\r\nX-B: 1\n\r\nbody\r\n");
  EXPECT_EQ(r.status, 200u);
  EXPECT_EQ(header(r, "X-B"), "1");
  EXPECT_EQ(r.body, "body\r\n");  // the body is passed as it is
}

TEST(CgiParse, StatusLine) {
  auto r = parse_cgi_response("Status: 404 Not Found\nContent-Type: text/plain\n\nnope");
  EXPECT_EQ(r.status, 404u);
  EXPECT_EQ(header(r, "Status"), "<none>");  // not forwarded as a header
  r = parse_cgi_response("status:201\ncontent-type: a/b\n\n");
  EXPECT_EQ(r.status, 201u);
}

TEST(CgiParse, LocationWithoutStatusRedirects) {
  auto r = parse_cgi_response("Location: https://example.test/elsewhere\n\n");
  EXPECT_EQ(r.status, 302u);
  EXPECT_EQ(header(r, "Location"), "https://example.test/elsewhere");
  r = parse_cgi_response("Status: 301 Moved\nLocation: /new\n\n");
  EXPECT_EQ(r.status, 301u);
}

TEST(CgiParse, StatusWithEmptyBodyNeedsNoContentType) {
  auto r = parse_cgi_response("Status: 204 No Content\n\n");
  EXPECT_EQ(r.status, 204u);
  EXPECT_EQ(r.body, "");
}

TEST(CgiParse, FramingHeadersAreDropped) {
  auto r = parse_cgi_response("Content-Type: a/b\nContent-Length: 99\nConnection: close\nTransfer-Encoding: chunked\n\nx");
  EXPECT_EQ(r.status, 200u);
  EXPECT_EQ(r.headers.size(), 1u);
  EXPECT_EQ(r.body, "x");
}

TEST(CgiParse, MalformedOutputIs500WithAReason) {
  struct Case {
    std::string out;
    const char* reason;
  };
  std::vector<Case> cases = {
      {"", "the handler wrote nothing"},
      {"Hello world", "no blank line after the header block"},
      {"Content-Type: text/plain\nno end of headers", "no blank line after the header block"},
      {"Hello world\n\n", "header line 1 has no ':'"},
      {"Content-Type: text/plain\n: empty\n\n", "header line 2 has an empty name"},
      {"Bad Name: x\nContent-Type: a/b\n\n", "header line 1 has an invalid name"},
      {"Content-Type: a/b\nX: a\x01z\n\n", "header 'X' has a control character in its value"},
      {"Status: abc\nContent-Type: a/b\n\n", "Status 'abc' is not a 3-digit code"},
      {"Status: 20\nContent-Type: a/b\n\n", "Status '20' is not a 3-digit code"},
      {"Status: 2000\nContent-Type: a/b\n\n", "Status '2000' is not a 3-digit code"},
      {"Status: 099\nContent-Type: a/b\n\n", "Status 99 is out of range"},
      {"Status: 600 Nope\nContent-Type: a/b\n\n", "Status 600 is out of range"},
      {"Status: 200\nStatus: 201\nContent-Type: a/b\n\n", "more than one Status header"},
      {"Content-Type: a/b\nContent-Type: c/d\n\n", "more than one Content-Type header"},
      {"Location: /a\nLocation: /b\n\n", "more than one Location header"},
      {"Location:\n\n", "empty Location header"},
      {"X-Only: 1\n\nbody", "no Content-Type header (and no Location)"},
      {"Status: 200 OK\n\nbody without a type", "no Content-Type header (and no Location)"},
      {std::string(70000, 'a') + "\n\n", "header block longer than 64 KiB"},
      {std::string(70000, 'a'), "header block longer than 64 KiB"},
  };
  std::string many;
  for (int i = 0; i < 101; ++i) many += "X-" + std::to_string(i) + ": v\n";
  cases.push_back({many + "Content-Type: a/b\n\n", "more than 100 header lines"});
  for (const auto& c : cases) {
    auto r = parse_cgi_response(c.out);
    EXPECT_EQ(r.status, 500u) << c.reason;
    EXPECT_EQ(r.body, std::string("Internal Server Error: malformed CGI response from the handler: ") + c.reason + "\n")
        << c.out.substr(0, 60);
  }
}

}  // namespace
}  // namespace isola::host
