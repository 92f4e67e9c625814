// fuzz_host_seeds OUTDIR: writes seed inputs for the host fuzz targets, so that each run
// starts from meaningful inputs rather than from nothing:
//   OUTDIR/guest_payloads/  one or more valid payloads for every operation (msgpack built
//                           with mp::Writer in the shapes the tests use, CGI output, ...);
//   OUTDIR/claims/          tokens and modules signed over the harness's fixed module with
//                           fresh keys (valid, expired, not yet valid), keys and seeds,
//                           revocation lists, claims JSON;
//   OUTDIR/manifest/        isola.toml and waSCC YAML manifests naming the files of the
//                           harness's app directory.
// Each seed starts with the selector byte of its operation where the target has one.
// scripts/fuzz.sh runs this before the host targets; the keys differ from run to run.
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "host/abi/http_codec.hpp"
#include "host/claims/claims.hpp"
#include "host/claims/jwt.hpp"
#include "host/claims/nkeys.hpp"
#include "host/codec/mp.hpp"
#include "host_harness.hpp"

namespace fs = std::filesystem;
namespace mp = isola::host::mp;
using namespace isola::host::claims;

namespace {

fs::path g_out;
int g_written = 0;

void write_seed(const std::string& target, std::string name, uint8_t selector, bool with_selector,
                const std::vector<uint8_t>& bytes) {
  for (char& c : name)
    if (c == ':' || c == '/' || c == '.') c = '_';
  fs::create_directories(g_out / target);
  std::ofstream out(g_out / target / (name + "-" + std::to_string(g_written) + ".bin"), std::ios::binary);
  if (with_selector) out.put(static_cast<char>(selector));
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  ++g_written;
}

std::vector<uint8_t> bytes_of(std::string_view s) { return {s.begin(), s.end()}; }

void payload(const std::string& op, const std::vector<uint8_t>& bytes) {
  write_seed("guest_payloads", op, isola::fuzz::guest_payloads_selector(op), true, bytes);
}
void payload(const std::string& op, mp::Writer& w) { payload(op, w.bytes()); }
void claims(const std::string& op, const std::vector<uint8_t>& bytes) {
  write_seed("claims", op, isola::fuzz::claims_selector(op), true, bytes);
}
void manifest(const std::string& name, std::string_view text) { write_seed("manifest", name, 0, false, bytes_of(text)); }

// Fields in the layout the http.request and wagi.exchange operations read.
struct Fields {
  std::vector<uint8_t> b;
  Fields& byte(uint8_t v) {
    b.push_back(v);
    return *this;
  }
  Fields& u16(uint16_t v) { return byte(static_cast<uint8_t>(v >> 8)).byte(static_cast<uint8_t>(v)); }
  Fields& str(std::string_view s) {
    if (s.size() >= 255) byte(255).u16(static_cast<uint16_t>(s.size()));
    else byte(static_cast<uint8_t>(s.size()));
    b.insert(b.end(), s.begin(), s.end());
    return *this;
  }
  Fields& rest(std::string_view s) {
    b.insert(b.end(), s.begin(), s.end());
    return *this;
  }
};

void guest_payload_seeds() {
  // mp.decode: every kind of value, including float and ext.
  {
    mp::Writer w;
    w.map(9).str("nil").nil().str("t").boolean(true).str("small").sint(-5).str("i16").sint(-3000);
    w.str("u64").uint(UINT64_MAX).str("bin").bin(std::string_view("\x00\x01\x02", 3)).str("arr").array(2).uint(1).str("x");
    w.str("f64").raw(std::vector<uint8_t>{0xcb, 0x40, 0x09, 0x21, 0xfb, 0x54, 0x44, 0x2d, 0x18});
    w.str("ext").raw(std::vector<uint8_t>{0xd4, 0x01, 0xff});
    payload("mp.decode", w);
    mp::Writer nested;
    nested.array(3).array(1).array(1).map(1).str(std::string(40, 'k')).bin(std::string(300, 'v')).nil().sint(INT32_MIN);
    payload("mp.decode", nested);
    isola::host::HttpRequest req;
    req.method = "POST";
    req.path = "/api/items";
    req.query = "id=3";
    req.headers = {{"Content-Type", "application/json"}, {"X-Many", "a"}, {"x-many", "b"}};
    req.body = R"({"name":"widget"})";
    payload("mp.decode", isola::host::wapc::encode_http_request(req, isola::host::wapc::HttpFlavour::Wasmbus));
  }
  // mp.writer: programs of Writer calls (map of str -> sint, array of uint/bin/bool).
  payload("mp.writer", {0x07, 0x02, 0x04, 0x03, 'k', 'e', 'y', 0x82, 0xff, 0x10, 0x04, 0x01, 'a', 0x03, 0, 0, 0, 1, 0, 0, 0, 0, 4});
  payload("mp.writer", {0x06, 0x03, 0x83, 0x7f, 0x02, 0x05, 0x02, 'h', 'i', 0x81, 0x06, 0xfb, 0x00});

  // waPC HTTP responses.
  {
    mp::Writer m;
    m.map(4).str("statusCode").uint(200).str("status").str("OK");
    m.str("header").map(2).str("Content-Type").str("text/plain").str("X-Id").str("7");
    m.str("body").bin(std::string_view("hello"));
    payload("http.response.handle", m);
    mp::Writer a;
    a.array(4).uint(404).str("Not Found").nil().str("missing");
    payload("http.response.handle", a);
    mp::Writer wb;
    wb.map(3).str("statusCode").uint(201).str("header").map(1).str("set-cookie").array(2).str("a=1").str("b=2");
    wb.str("body").bin(std::string_view("{}"));
    payload("http.response.wasmbus", wb);
    mp::Writer wa;
    wa.array(3).uint(302).map(1).str("location").array(1).str("/elsewhere").nil();
    payload("http.response.wasmbus", wa);
  }
  // http.request: script name, matched route, component env, then the request.
  payload("http.request", Fields()
                              .str("/api")
                              .str("/api/...")
                              .byte(2)
                              .str("GREETING=hello")
                              .str("BAD")
                              .str("GET")
                              .str("/api/items/%41%2F")
                              .str("q=1&r=%20")
                              .byte(3)
                              .str("Host")
                              .str("example.com:8080")
                              .str("X-Forwarded-For")
                              .str("10.0.0.1")
                              .str("Content-Type")
                              .str("text/plain")
                              .str("127.0.0.1")
                              .str("localhost")
                              .u16(8080)
                              .rest("body bytes")
                              .b);

  // WAGI: CGI output, well formed and not.
  for (std::string_view out : {
           std::string_view("Content-Type: text/plain\n\nHello, world\n"),
           std::string_view("Status: 404 Not Found\r\nContent-Type: text/html\r\nX-A: 1\r\n\r\n<h1>no</h1>"),
           std::string_view("Location: /elsewhere\n\n"),
           std::string_view("Status: 204\n\n"),
           std::string_view("Content-Type: text/plain\nContent-Length: 3\nConnection: close\n\nabc"),
           std::string_view("Content-Type text/plain\n\nbroken"),
           std::string_view("Content-Type: a\nContent-Type: b\n\n"),
       })
    payload("cgi", bytes_of(out));
  payload("wagi.exchange", Fields()
                               .byte(0x12)
                               .u16(4096)
                               .byte(16)
                               .str("Status: 200\nContent-Type: text/plain\n\nok")
                               .str("warning: one\nwarning: two, a longer line than the limit\n")
                               .b);
  // utf8: valid text of every length, and broken sequences.
  payload("utf8", bytes_of("\xff" "ascii h\xc3\xa9llo \xe2\x82\xac \xf0\x9f\x98\x80"));
  payload("utf8", bytes_of("\x10" "\xc0\xaf \xed\xa0\x80 \xf4\x90\x80\x80 \xe2\x82 \x80\xbf"));

  // Providers: the request shapes of each flavour (maps, arrays in field order, bare values).
  auto map_kv = [](std::initializer_list<std::pair<std::string_view, std::string_view>> fields) {
    mp::Writer w;
    w.map(static_cast<uint32_t>(fields.size()));
    for (const auto& [k, v] : fields) w.str(k).str(v);
    return w.take();
  };
  for (const char* op : {"kv:Get", "kv:Del", "kv:Clear", "kv:KeyExists", "kv:SetQuery"}) payload(op, map_kv({{"key", "k"}}));
  for (const char* op : {"kv:Push", "kv:ListItemDelete", "kv:SetAdd", "kv:SetRemove", "kv-widl:SetAdd", "kv-widl:SetRemove"})
    payload(op, map_kv({{"key", "k"}, {"value", "v"}}));
  {
    mp::Writer set;
    set.map(3).str("key").str("k").str("value").str("v").str("expires").sint(60);
    payload("kv:Set", set);
    mp::Writer set_arr;
    set_arr.array(3).str("k").str("v").nil();
    payload("kv:Set", set_arr);
    mp::Writer add;
    add.map(2).str("key").str("counter").str("value").sint(1);
    payload("kv:Add", add);
    mp::Writer range;
    range.map(3).str("key").str("list").str("start").sint(0).str("stop").sint(-1);
    payload("kv:Range", range);
    mp::Writer keys;
    keys.map(1).str("keys").array(2).str("a").str("b");
    payload("kv:SetUnion", keys);
    payload("kv:SetIntersection", keys);
    payload("kv:Unknown", keys);
  }
  for (const char* op : {"kvw:KeyValue.Get", "kvw:KeyValue.Del", "kvw:KeyValue.ListClear", "kvw:KeyValue.SetClear",
                         "kvw:KeyValue.Contains", "kvw:KeyValue.SetQuery", "kvw:KeyValue.Unknown"}) {
    mp::Writer w;
    w.str("k");
    payload(op, w);
  }
  {
    mp::Writer keys;
    keys.array(2).str("a").str("b");
    payload("kvw:KeyValue.SetUnion", keys);
    payload("kvw:KeyValue.SetIntersection", keys);
    mp::Writer set;
    set.map(3).str("key").str("k").str("value").str("v").str("expires").uint(0);
    payload("kvw:KeyValue.Set", set);
    mp::Writer inc;
    inc.map(2).str("key").str("n").str("value").sint(-2);
    payload("kvw:KeyValue.Increment", inc);
    payload("kvw:KeyValue.ListAdd", map_kv({{"listName", "l"}, {"value", "v"}}));
    payload("kvw:KeyValue.ListDel", map_kv({{"listName", "l"}, {"value", "v"}}));
    mp::Writer lr;
    lr.map(3).str("listName").str("l").str("start").sint(0).str("stop").sint(10);
    payload("kvw:KeyValue.ListRange", lr);
    payload("kvw:KeyValue.SetAdd", map_kv({{"setName", "s"}, {"value", "v"}}));
    payload("kvw:KeyValue.SetDel", map_kv({{"setName", "s"}, {"value", "v"}}));
  }
  {
    mp::Writer wascc;
    wascc.map(2).str("level").uint(3).str("body").str("hello from the actor");
    payload("log:WriteLog", wascc);
    mp::Writer widl;
    widl.array(3).str("target").str("warn").str("text");
    payload("log:WriteLog", widl);
    mp::Writer wasmbus;
    wasmbus.map(2).str("level").str("info").str("text").str("hi");
    payload("log:Logging.WriteLog", wasmbus);
  }
  {
    mp::Writer gen;
    gen.map(5).str("guid").boolean(false).str("sequence").boolean(false).str("random").boolean(true);
    gen.str("min").uint(1).str("max").uint(100);
    for (const char* op : {"extras:RequestGuid", "extras:RequestRandom", "extras:RequestSequence"}) payload(op, gen);
    mp::Writer range;
    range.map(2).str("min").uint(5).str("max").uint(10);
    for (const char* op : {"extras-widl:RequestGuid", "extras-widl:RequestRandom", "extras-widl:RequestSequence",
                           "numbergen:NumberGen.GenerateGuid", "numbergen:NumberGen.Random32",
                           "numbergen:NumberGen.RandomInRange"})
      payload(op, range);
  }
  {
    mp::Writer classic;
    classic.map(5).str("method").str("GET").str("path").str("http://example.com/a?b=1").str("queryString").str("c=2");
    classic.str("header").map(1).str("accept").str("*/*").str("body").bin(std::string_view(""));
    payload("http:PerformRequest", classic);
    mp::Writer wasmbus;
    wasmbus.map(4).str("method").str("POST").str("url").str("https://[::1]:8443/x").str("headers").map(1);
    wasmbus.str("x-a").array(2).str("1").str("2").str("body").bin(std::string_view("data"));
    payload("http:HttpClient.Request", wasmbus);
  }
}

std::string token_of(const std::vector<uint8_t>& module) {
  auto t = find_token(module);
  if (!t || !*t) throw std::runtime_error("fuzz_host_seeds: signed module without a token");
  return (*t)->token;
}

void claims_seeds() {
  auto account = KeyPair::generate(KeyType::Account);
  auto module_key = KeyPair::generate(KeyType::Module);
  if (!account || !module_key) throw std::runtime_error("fuzz_host_seeds: cannot generate keys");
  const auto fixed = isola::fuzz::claims_fixed_module();
  const auto now = std::chrono::system_clock::time_point(std::chrono::seconds(isola::fuzz::kClaimsNow));

  auto sign = [&](SignOptions o) {
    auto m = sign_module(fixed, *account, module_key->public_key(), o);
    if (!m) throw std::runtime_error("fuzz_host_seeds: " + m.error().message);
    return *m;
  };
  SignOptions valid;
  valid.now = now - std::chrono::hours(1);
  valid.name = "counter";
  valid.caps = {"wascc:keyvalue", "wascc:logging"};
  valid.tags = {"fuzz"};
  valid.rev = 3;
  valid.ver = "0.1.0";
  valid.expires_in = std::chrono::hours(24 * 365);
  SignOptions expired = valid;
  expired.now = now - std::chrono::hours(48);
  expired.expires_in = std::chrono::hours(1);
  SignOptions early = valid;
  early.not_before_in = std::chrono::hours(5);
  SignOptions wasmcloud = valid;
  wasmcloud.section = kWasmcloudJwtSection;
  wasmcloud.call_alias = "fuzz/alias";
  wasmcloud.provider = true;

  std::vector<std::vector<uint8_t>> signed_modules;
  for (const auto& o : {valid, expired, early, wasmcloud}) {
    auto m = sign(o);
    claims("token", bytes_of(token_of(m)));
    std::vector<uint8_t> mod{0};  // module seeds: a flags byte, then the module
    mod.insert(mod.end(), m.begin(), m.end());
    claims("module", mod);
    signed_modules.push_back(std::move(m));
  }
  claims("token", bytes_of("eyJ0eXAiOiJqd3QiLCJhbGciOiJFZDI1NTE5In0.e30.AAAA"));
  std::vector<uint8_t> plain{3};
  plain.insert(plain.end(), fixed.begin(), fixed.end());
  claims("module", plain);
  // Two token sections, and a section size in a longer LEB128 than needed.
  auto both = isola::append_custom_section(signed_modules[0], kWasmcloudJwtSection, std::vector<uint8_t>{'x'});
  if (both) {
    std::vector<uint8_t> mod{1};
    mod.insert(mod.end(), both->begin(), both->end());
    claims("module", mod);
  }
  std::vector<uint8_t> padded{2, 0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x00, 0x86, 0x80, 0x00, 0x03,
                              'j', 'w',  't',  'x',  'y'};
  claims("module", padded);

  for (const auto* k : {&*account, &*module_key}) {
    claims("public_key", bytes_of(k->public_key().encoded()));
    claims("seed", bytes_of(k->seed()));
  }
  claims("public_key", bytes_of(account->seed()));
  claims("seed", bytes_of(module_key->public_key().encoded()));

  claims("base64", bytes_of(base64url_encode(bytes_of("{\"typ\":\"jwt\",\"alg\":\"Ed25519\"}"))));
  claims("base64", bytes_of(account->public_key().encoded()));

  std::string revocations = "# revoked after the leak\n" + module_key->public_key().encoded() +
                            "   # leaked seed\n\n  jti-123\t\r\n" + account->public_key().encoded() + "\nsub#with#hashes\n";
  claims("revocation", bytes_of(revocations));

  Claims c;
  c.issuer = account->public_key().encoded();
  c.subject = module_key->public_key().encoded();
  c.name = "counter";
  c.jti = "jti-1";
  c.hash = std::string(64, 'A');
  c.caps = {"wascc:keyvalue"};
  c.tags = {"a", "b"};
  c.iat = isola::fuzz::kClaimsNow - 10;
  c.exp = isola::fuzz::kClaimsNow + 1000;
  c.nbf = isola::fuzz::kClaimsNow - 5;
  c.rev = -1;
  c.ver = "1.0";
  c.call_alias = "alias";
  c.provider = true;
  c.wascap_revision = 3;
  claims("claims_json", bytes_of(to_claims_json(c)));
  c.exp = isola::fuzz::kClaimsNow - 1;
  c.wascap_revision.reset();
  c.call_alias.reset();
  claims("claims_json", bytes_of(to_claims_json(c)));
}

void manifest_seeds() {
  manifest("full.toml", R"(# a complete manifest
[app]
name = "shop"
listen = "${LISTEN:127.0.0.1:9000}"
state_dir = "state"
max_header_size = "32KiB"
max_body_size = "16MiB"
request_timeout = "10s"
idle_timeout = "2m"

[claims]
trusted_issuers = ["ACDMRHHWPD5O7G4MXSGEVJF3QAYMHQ4YSMLWDHCNEEO64YGYUBYWDPMV"]
revoked = ["MBADACTOR"]
revocation_file = "revoked.txt"

[[component]]
id = "api"
source = "app.wasm"
sha256 = "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855"
abi = "wapc"
allow_unsigned = true
files = ["data:/data:ro", "static", { host = "data", guest = "/scratch", mode = "overlay" }]
env = { GREETING = "hello ${USER_NAME:world}", WORKERS = 4, RATIO = 0.5, DEBUG = false }

[component.limits]
max_memory = "64MiB"
fuel = 1000000
timeout = "5s"
max_concurrent = 16

[[component.link]]
contract = "wascc:keyvalue"
values = { URL = "${REDIS_URL}" }

[[component.link]]
contract = "wascc:keyvalue"
binding = "cache"

[component.capabilities."wascc:http_client"]
values = { allowed_hosts = ["example.com", "*.api.example.com:443", "[::1]:8080"], timeout_ms = 500 }

[[component]]
id = "site"
source = "other.wasm"
abi = "wagi"

[[route]]
path = "/api/..."
methods = ["get", "POST"]
component = "api"

[[route]]
path = "/api/items"
methods = ["DELETE"]
component = "api"

[[route]]
path = "/..."
component = "site"
)");
  manifest("minimal.toml", "[[component]]\nid = \"a\"\nsource = \"a.wasm\"\n\n[[route]]\npath = \"/\"\ncomponent = \"a\"\n");
  manifest("escapes.toml",
           "[app]\nlisten = \"[::1]:${PORT}\"\n[[component]]\nid = \"x.y-z_1\"\nsource = \"${NOPE:app.wasm}\"\n"
           "env = { LITERAL = \"$${HOME}\", E = \"${EMPTY}\", N = \"${NESTED}\" }\n[component.capabilities.\"wasmcloud:httpclient\"]\n"
           "values = { allowed_hosts = \"*\", max_response_bytes = \"1024\" }\n");
  manifest("sample.yaml", R"(---
labels:
    sample: "Key-Value Counter"
actors:
    - ./kvcounter.wasm
capabilities:
    - path: ./libwascc_redis.so
    - path: ./libwascc_httpsrv.so
      binding_name: default
bindings:
    - actor: "MASCXFM4R6X63UD5MSCDZYCJNPBVSIU6RKMXUPXRKAOSBQ6UY3VT3NPZ"
      capability: "wascc:keyvalue"
      values:
        URL: ${REDIS_URL:redis://127.0.0.1:6379}
    - actor: "MASCXFM4R6X63UD5MSCDZYCJNPBVSIU6RKMXUPXRKAOSBQ6UY3VT3NPZ"
      capability: "wascc:http_server"
      values:
        PORT: "${PORT}"
)");
  manifest("two-actors.yaml",
           "labels: {a: b}\nactors: [a.wasm, app.wasm, a.wasm]\ncapabilities: []\nbindings:\n"
           "  - {actor: MA, capability: \"wascc:http_client\", binding: cache, values: {allowed_hosts: \"example.com\"}}\n"
           "  - {actor: MB, capability: \"wasmcloud:httpserver\", values: {PORT: 8080}}\n");
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: fuzz_host_seeds OUTDIR\n");
    return 2;
  }
  g_out = argv[1];
  try {
    guest_payload_seeds();
    claims_seeds();
    manifest_seeds();
    // Every seed must pass its own target's checks.
    using Harness = int (*)(const uint8_t*, size_t);
    const std::pair<const char*, Harness> harnesses[] = {{"guest_payloads", isola::fuzz::fuzz_guest_payloads},
                                                         {"claims", isola::fuzz::fuzz_claims},
                                                         {"manifest", isola::fuzz::fuzz_manifest}};
    for (const auto& [target, fn] : harnesses) {
      for (const auto& e : fs::directory_iterator(g_out / target)) {
        std::ifstream in(e.path(), std::ios::binary);
        std::vector<uint8_t> b((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        try {
          fn(b.data(), b.size());
        } catch (const std::exception& ex) {
          std::fprintf(stderr, "fuzz_host_seeds: seed %s fails: %s\n", e.path().c_str(), ex.what());
          return 1;
        }
      }
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "fuzz_host_seeds: %s\n", e.what());
    return 1;
  }
  std::printf("fuzz_host_seeds: wrote %d seeds to %s\n", g_written, g_out.c_str());
  return 0;
}
