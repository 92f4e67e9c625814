#include "host/manifest/manifest.hpp"

#include <fstream>

#include <gtest/gtest.h>

namespace isola::host {
namespace {

namespace fs = std::filesystem;

// A temporary app directory with a module file and a data directory in it.
class ManifestTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("isola-manifest-" + std::to_string(::getpid()) + "-" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "data");
    fs::create_directories(dir_ / "static");
    write("app.wasm", "\0asm");
    write("other.wasm", "\0asm");
  }
  void TearDown() override { fs::remove_all(dir_); }

  fs::path write(const std::string& name, const std::string& text) {
    std::ofstream(dir_ / name) << text;
    return dir_ / name;
  }
  Expected<Manifest> load(const std::string& text, std::map<std::string, std::string, std::less<>> env = {},
                          const std::string& name = "isola.toml") {
    return load_manifest(write(name, text), Environment::from(std::move(env)));
  }
  // The error, with the temporary directory cut off the front so tests read like the docs.
  std::string error_of(const std::string& text, std::map<std::string, std::string, std::less<>> env = {}) {
    auto m = load(text, std::move(env));
    EXPECT_FALSE(m) << "expected an error for:\n" << text;
    if (m) return {};
    std::string e = m.error().message, prefix = (dir_ / "").string();
    if (e.rfind(prefix, 0) == 0) e.erase(0, prefix.size());
    return e;
  }

  fs::path dir_;
};

constexpr const char* kFull = R"(# a complete manifest
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

[[component]]
id = "api"
source = "app.wasm"
sha256 = "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855"
abi = "wapc"
allow_unsigned = true
files = ["data:/data:ro", "static", { host = "data", guest = "/scratch", mode = "overlay" }]
env = { GREETING = "hello ${USER_NAME:world}", WORKERS = 4 }

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
values = { allowed_hosts = ["example.com", "api.example.com"], timeout_ms = 500 }

[[component]]
id = "site"
source = "other.wasm"

[[route]]
path = "/api/..."
methods = ["get", "POST"]
component = "api"

[[route]]
path = "/..."
component = "site"
)";

TEST_F(ManifestTest, ParsesACompleteManifest) {
  auto m = load(kFull, {{"REDIS_URL", "redis://127.0.0.1:6379"}});
  ASSERT_TRUE(m) << m.error().message;
  EXPECT_EQ(m->format, "toml");
  EXPECT_EQ(m->app_name, "shop");
  EXPECT_EQ(m->listen, "127.0.0.1:9000");
  EXPECT_EQ(m->state_dir, (dir_ / "state").string());
  EXPECT_EQ(m->ingress.max_header_bytes, 32u << 10);
  EXPECT_EQ(m->ingress.max_body_bytes, 16u << 20);
  EXPECT_EQ(m->ingress.request_timeout, std::chrono::milliseconds(10000));
  EXPECT_EQ(m->ingress.idle_timeout, std::chrono::milliseconds(120000));
  ASSERT_EQ(m->trusted_issuers.size(), 1u);
  EXPECT_EQ(m->revoked, std::vector<std::string>{"MBADACTOR"});
  ASSERT_EQ(m->components.size(), 2u);

  const Component& api = m->components[0];
  EXPECT_EQ(api.id, "api");
  EXPECT_EQ(api.source, (dir_ / "app.wasm").string());
  EXPECT_EQ(api.sha256, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(api.abi, "wapc");
  EXPECT_TRUE(api.allow_unsigned);
  EXPECT_EQ(api.env, (std::vector<std::string>{"GREETING=hello world", "WORKERS=4"}));
  ASSERT_EQ(api.files.size(), 3u);
  EXPECT_EQ(api.files[0].host, (dir_ / "data").string());
  EXPECT_EQ(api.files[0].guest, "/data");
  EXPECT_EQ(api.files[0].mode, FileMount::ReadOnly);
  EXPECT_EQ(api.files[1].guest, "static");
  EXPECT_EQ(api.files[1].mode, FileMount::ReadWrite);
  EXPECT_EQ(api.files[2].guest, "/scratch");
  EXPECT_EQ(api.files[2].mode, FileMount::Overlay);
  EXPECT_EQ(api.limits.max_memory_bytes, 64u << 20);
  EXPECT_EQ(api.limits.fuel, 1000000u);
  EXPECT_EQ(api.limits.timeout, std::chrono::milliseconds(5000));
  EXPECT_EQ(api.limits.max_concurrent, 16u);
  ASSERT_EQ(api.links.size(), 3u);
  EXPECT_EQ(api.links[0].contract, "wascc:keyvalue");
  EXPECT_EQ(api.links[0].binding, "default");
  EXPECT_EQ(api.links[0].values.at("URL"), "redis://127.0.0.1:6379");
  EXPECT_EQ(api.links[0].where, (dir_ / "isola.toml").string() + ":30");
  EXPECT_EQ(api.links[1].binding, "cache");
  EXPECT_EQ(api.links[2].contract, "wascc:http_client");
  EXPECT_EQ(api.links[2].values.at("allowed_hosts"), "example.com,api.example.com");
  EXPECT_EQ(api.links[2].values.at("timeout_ms"), "500");

  const Component& site = m->components[1];
  EXPECT_EQ(site.abi, "");
  EXPECT_FALSE(site.sha256);
  EXPECT_FALSE(site.allow_unsigned);
  EXPECT_TRUE(site.links.empty());

  ASSERT_EQ(m->routes.size(), 2u);
  EXPECT_EQ(m->routes[0].methods, (std::vector<std::string>{"GET", "POST"}));
  EXPECT_TRUE(m->routes[1].methods.empty());
}

TEST_F(ManifestTest, DefaultsAreLoopbackAndAStateDirBesideTheManifest) {
  auto m = load("[[component]]\nid = \"a\"\nsource = \"app.wasm\"\n");
  ASSERT_TRUE(m) << m.error().message;
  EXPECT_EQ(m->listen, "127.0.0.1:8080");
  EXPECT_EQ(m->state_dir, (dir_ / ".isola").string());
  EXPECT_EQ(m->app_name, dir_.filename().string());
  // The ingress limits stay unset: the server's own defaults (16KiB, 8MiB, 30s, 60s) apply.
  EXPECT_FALSE(m->ingress.max_header_bytes);
  EXPECT_FALSE(m->ingress.max_body_bytes);
  EXPECT_FALSE(m->ingress.request_timeout);
  EXPECT_FALSE(m->ingress.idle_timeout);
}

TEST_F(ManifestTest, IngressLimitsTakeSizesDurationsAndTheirBounds) {
  const std::string tail = "[[component]]\nid = \"a\"\nsource = \"app.wasm\"\n";
  // Integers are bytes; decimal units; ${VAR} substitution; each bound itself is allowed.
  auto m = load("[app]\nmax_header_size = 4096\nmax_body_size = \"${BODY:2MB}\"\nrequest_timeout = \"1500ms\"\n"
                "idle_timeout = \"${IDLE}\"\n" + tail,
                {{"IDLE", "1h"}});
  ASSERT_TRUE(m) << m.error().message;
  EXPECT_EQ(m->ingress.max_header_bytes, 4096u);
  EXPECT_EQ(m->ingress.max_body_bytes, 2000000u);
  EXPECT_EQ(m->ingress.request_timeout, std::chrono::milliseconds(1500));
  EXPECT_EQ(m->ingress.idle_timeout, std::chrono::milliseconds(3600000));

  m = load("[app]\nmax_header_size = \"1KiB\"\nmax_body_size = 1\nrequest_timeout = \"100ms\"\n" + tail);
  ASSERT_TRUE(m) << m.error().message;
  EXPECT_EQ(m->ingress.max_header_bytes, 1024u);
  EXPECT_EQ(m->ingress.max_body_bytes, 1u);
  EXPECT_EQ(m->ingress.request_timeout, std::chrono::milliseconds(100));
  EXPECT_FALSE(m->ingress.idle_timeout);  // only what is given is set

  m = load("[app]\nmax_header_size = \"1MiB\"\nmax_body_size = \"1GiB\"\n" + tail);
  ASSERT_TRUE(m) << m.error().message;
  EXPECT_EQ(m->ingress.max_header_bytes, 1u << 20);
  EXPECT_EQ(m->ingress.max_body_bytes, 1u << 30);
}

TEST_F(ManifestTest, IngressLimitErrorsNameFileLineAndKey) {
  const std::string tail = "[[component]]\nid = \"a\"\nsource = \"app.wasm\"\n";
  const std::string header_range = "must be between 1KiB and 1MiB (request line and headers together)";
  const std::string body_range = "must be between 1 byte and 1GiB (the server holds each body in memory)";
  struct Case {
    std::string app, error;
  };
  for (const auto& [app, error] : std::vector<Case>{
           {"max_header_size = \"16 parsecs\"",
            "max_header_size: \"16 parsecs\": unknown size unit 'parsecs' (use B, KiB, MiB, GiB, KB, MB or GB)"},
           {"max_header_size = \"big\"",
            "max_header_size: \"big\" is not a size (expected e.g. 65536, 512KiB, 64MiB, 1GiB)"},
           {"max_header_size = 0", "max_header_size: 0 is not a positive integer"},
           {"max_header_size = \"0KiB\"", "max_header_size: " + header_range},
           {"max_header_size = 1023", "max_header_size: " + header_range},
           {"max_header_size = \"1025KiB\"", "max_header_size: " + header_range},
           {"max_header_size = true", "max_header_size: expected a string, got a boolean"},
           {"max_body_size = -1", "max_body_size: -1 is not a positive integer"},
           {"max_body_size = \"0B\"", "max_body_size: " + body_range},
           {"max_body_size = \"2GiB\"", "max_body_size: " + body_range},
           {"max_body_size = \"99999999999999999999GiB\"",
            "max_body_size: \"99999999999999999999GiB\" is not a size (expected e.g. 65536, 512KiB, 64MiB, 1GiB)"},
           {"request_timeout = \"0s\"", "request_timeout: must be between 100ms and 1h"},
           {"request_timeout = \"99ms\"", "request_timeout: must be between 100ms and 1h"},
           {"request_timeout = \"61m\"", "request_timeout: must be between 100ms and 1h"},
           {"request_timeout = \"30 seconds\"",
            "request_timeout: \"30 seconds\" is not a duration: unknown unit 'seconds' (use ms, s, m or h)"},
           {"request_timeout = 30", "request_timeout: expected a string, got an integer"},
           {"idle_timeout = \"0ms\"", "idle_timeout: must be between 100ms and 1h"},
           {"idle_timeout = \"2h\"", "idle_timeout: must be between 100ms and 1h"},
           {"idle_timeout = \"soon\"", "idle_timeout: \"soon\" is not a duration (expected e.g. 250ms, 5s, 2m, 1h)"},
           {"idle_timeout = \"${IDLE}\"",
            "idle_timeout: environment variable IDLE is not set (write ${IDLE:default} to give a default)"},
           {"max_body = \"1MiB\"",
            "max_body: unknown key (expected one of: name, listen, state_dir, max_header_size, max_body_size, "
            "request_timeout, idle_timeout)"},
       }) {
    // The bad key is on line 3, after a good one: the line is the key's, not the table's.
    EXPECT_EQ(error_of("[app]\nname = \"x\"\n" + app + "\n" + tail), "isola.toml:3: app: " + error) << app;
  }
}

TEST_F(ManifestTest, EnvironmentSubstitutionUsesValuesThenDefaults) {
  const char* text = "[app]\nname = \"${NAME:fallback}-${SUFFIX:x}\"\nlisten = \"127.0.0.1:${PORT}\"\n"
                     "[[component]]\nid = \"a\"\nsource = \"app.wasm\"\nenv = { LITERAL = \"$${HOME} costs $5\" }\n";
  auto m = load(text, {{"PORT", "9999"}, {"SUFFIX", "prod"}});
  ASSERT_TRUE(m) << m.error().message;
  EXPECT_EQ(m->app_name, "fallback-prod");
  EXPECT_EQ(m->listen, "127.0.0.1:9999");
  EXPECT_EQ(m->components[0].env[0], "LITERAL=${HOME} costs $5");
  EXPECT_EQ(error_of(text), "isola.toml:3: app: listen: environment variable PORT is not set "
                            "(write ${PORT:default} to give a default)");
}

TEST_F(ManifestTest, ErrorsNameFileLineScopeAndKey) {
  const std::string head = "[[component]]\nid = \"counter\"\nsource = \"app.wasm\"\n";
  struct Case {
    std::string text, error;
  };
  for (const auto& [text, error] : std::vector<Case>{
           {head + "[component.limits]\ntimeout = \"5 seconds\"\n",
            "isola.toml:5: component \"counter\": limits.timeout: \"5 seconds\" is not a duration: unknown unit "
            "'seconds' (use ms, s, m or h)"},
           {head + "sourc = \"x\"\n",
            "isola.toml:4: component \"counter\": sourc: unknown key (expected one of: id, source, sha256, abi, "
            "env, files, limits, link, capabilities, allow_unsigned)"},
           {head + "[component.limits]\nmax_memory = \"64 parsecs\"\n",
            "isola.toml:5: component \"counter\": limits.max_memory: \"64 parsecs\": unknown size unit 'parsecs' "
            "(use B, KiB, MiB, GiB, KB, MB or GB)"},
           {head + "[component.limits]\nmax_memory = \"8GiB\"\n",
            "isola.toml:5: component \"counter\": limits.max_memory: must be between 1 byte and 4GiB (the most a "
            "32-bit memory can hold)"},
           {head + "[component.limits]\nfuel = -3\n",
            "isola.toml:5: component \"counter\": limits.fuel: -3 is not a positive integer"},
           {head + "[component.limits]\nspeed = 3\n",
            "isola.toml:5: component \"counter\": limits.speed: unknown key (expected one of: max_memory, fuel, "
            "timeout, max_concurrent)"},
           {head + "sha256 = \"abc\"\n",
            "isola.toml:4: component \"counter\": sha256: \"abc\" is not a SHA-256 digest (64 hex digits)"},
           {head + "abi = \"cgi\"\n",
            "isola.toml:4: component \"counter\": abi: \"cgi\" is not an ABI (wagi or wapc; leave it out to detect)"},
           {head + head,
            "isola.toml:5: component \"counter\": id: duplicate: another component at line 1 has this id"},
           {"[[component]]\nid = \"a\"\nsource = \"missing.wasm\"\n",
            "isola.toml:3: component \"a\": source: \"" + (dir_ / "missing.wasm").string() + "\": no such file"},
           {head + "files = [\"nowhere:/x\"]\n",
            "isola.toml:4: component \"counter\": files[0]: host directory \"" + (dir_ / "nowhere").string() +
                "\" does not exist"},
           {head + "[[component.link]]\nbinding = \"x\"\n",
            "isola.toml:4: component \"counter\": link[0].contract: missing (the capability contract id, e.g. "
            "\"wascc:keyvalue\")"},
           {head + "[[component.link]]\ncontract = \"wascc:keyvalue\"\n[component.capabilities.\"wascc:keyvalue\"]\n",
            "isola.toml:6: component \"counter\": link: contract \"wascc:keyvalue\" is linked twice under binding "
            "\"default\" (also at " + (dir_ / "isola.toml").string() + ":4)"},
           {head + "[[route]]\npath = \"/x\"\ncomponent = \"nope\"\n",
            "isola.toml:6: route \"/x\": component: no component \"nope\" (components: counter)"},
           {head + "[[route]]\npath = \"x\"\ncomponent = \"counter\"\n",
            "isola.toml:5: route #1: path: \"x\" must start with '/'"},
           {head + "[[route]]\npath = \"/a/.../b\"\ncomponent = \"counter\"\n",
            "isola.toml:5: route #1: path: \"/a/.../b\": '...' may only end a pattern, as in \"/api/...\""},
           {head + "[[route]]\npath = \"/x\"\nmethods = [\"GRAB\"]\ncomponent = \"counter\"\n",
            "isola.toml:6: route \"/x\": methods[0]: \"GRAB\" is not a method the server serves (GET, HEAD, POST, "
            "PUT, DELETE, PATCH, OPTIONS)"},
           {head + "[[route]]\npath = \"/x\"\nmethods = [\"GET\"]\ncomponent = \"counter\"\n"
                   "[[route]]\npath = \"/x\"\nmethods = [\"POST\", \"HEAD\"]\ncomponent = \"counter\"\n",
            "isola.toml:8: route \"/x\": conflicts with the route at " + (dir_ / "isola.toml").string() +
                ":4 (same path, overlapping methods)"},
           {"[app]\nlisten = \"8080\"\n" + head,
            "isola.toml:2: app: listen: \"8080\" is not a listen address (expected HOST:PORT, e.g. 127.0.0.1:8080)"},
           {"[ap]\nname = \"x\"\n" + head,
            "isola.toml:1: ap: unknown key (expected one of: app, component, route, claims)"},
           {"[claims]\ntrusted_issuers = [\"MBAD\"]\n" + head,
            "isola.toml:2: claims: trusted_issuers[0]: \"MBAD\" is not an account or operator public key (56 base32 "
            "characters starting with A or O)"},
           {"[app]\nname = \"x\"\n", "isola.toml:1: no [[component]]: an application needs at least one component"},
           {head + "id = \"again\"\n", "isola.toml:4: "},  // TOML itself: a redefined key
       }) {
    std::string got = error_of(text);
    if (error == "isola.toml:4: ")
      EXPECT_EQ(got.rfind(error, 0), 0u) << got;
    else
      EXPECT_EQ(got, error) << text;
  }
}

TEST_F(ManifestTest, ReadsTheWasccSampleManifest) {
  write("kvcounter.wasm", "\0asm");
  const char* sample = R"(---
labels:
    sample: "Key-Value Counter"
actors:
    - ./kvcounter.wasm
capabilities:
    - path: ./libwascc_redis.so
    - path: ./libwascc_httpsrv.so
bindings:
    - actor: "MASCXFM4R6X63UD5MSCDZYCJNPBVSIU6RKMXUPXRKAOSBQ6UY3VT3NPZ"
      capability: "wascc:keyvalue"
      values:
        URL: ${REDIS_URL:redis://127.0.0.1:6379}
    - actor: "MASCXFM4R6X63UD5MSCDZYCJNPBVSIU6RKMXUPXRKAOSBQ6UY3VT3NPZ"
      capability: "wascc:http_server"
      values:
        PORT: "${PORT}"
)";
  auto m = load(sample, {{"PORT", "8081"}}, "sample_manifest.yaml");
  ASSERT_TRUE(m) << m.error().message;
  EXPECT_EQ(m->format, "wascc");
  EXPECT_EQ(m->labels.at("sample"), "Key-Value Counter");
  EXPECT_EQ(m->listen, "127.0.0.1:8081");
  ASSERT_EQ(m->components.size(), 1u);
  const Component& c = m->components[0];
  EXPECT_EQ(c.id, "kvcounter");
  EXPECT_EQ(c.abi, "wapc");
  EXPECT_EQ(c.source, (dir_ / "kvcounter.wasm").string());
  ASSERT_EQ(c.links.size(), 1u);
  EXPECT_EQ(c.links[0].contract, "wascc:keyvalue");
  EXPECT_EQ(c.links[0].binding, "default");
  EXPECT_EQ(c.links[0].values.at("URL"), "redis://127.0.0.1:6379");
  EXPECT_EQ(c.links[0].actor_key, "MASCXFM4R6X63UD5MSCDZYCJNPBVSIU6RKMXUPXRKAOSBQ6UY3VT3NPZ");
  EXPECT_EQ(c.links[0].where, (dir_ / "sample_manifest.yaml").string() + ":10");
  ASSERT_EQ(m->routes.size(), 1u);
  EXPECT_EQ(m->routes[0].pattern, "/...");
  EXPECT_EQ(m->routes[0].component, "kvcounter");
  EXPECT_NE(match_route(*m, "GET", "/counter"), nullptr);

  // Once claims are read, the key binds to the component whose subject it is ...
  auto bound = resolve_actor_keys(*m, {{"kvcounter", "MASCXFM4R6X63UD5MSCDZYCJNPBVSIU6RKMXUPXRKAOSBQ6UY3VT3NPZ"}});
  ASSERT_TRUE(bound) << bound.error().message;
  EXPECT_EQ(bound->components[0].links.size(), 1u);
  // ... and a binding for an actor that is not there fails, as in waSCC.
  auto unbound = resolve_actor_keys(*m, {{"kvcounter", "MOTHERKEY"}});
  ASSERT_FALSE(unbound);
  EXPECT_NE(unbound.error().message.find("no actor in the manifest has this public key"), std::string::npos);
}

TEST_F(ManifestTest, WasccSubstitutionLeavesUnsetVariablesAlone) {
  write("a.wasm", "\0asm");
  auto m = load("labels:\n  home: \"${NOPE}\"\n  d: \"${NOPE:dflt}\"\n  plain: \"$NOPE\"\nactors: [a.wasm]\n"
                "capabilities: []\nbindings: []\n",
                {}, "host.yaml");
  ASSERT_TRUE(m) << m.error().message;
  EXPECT_EQ(m->labels.at("home"), "${NOPE}");
  EXPECT_EQ(m->labels.at("d"), "dflt");
  EXPECT_EQ(m->labels.at("plain"), "$NOPE");
}

TEST_F(ManifestTest, WasccErrorsNameFileAndLine) {
  auto missing = load("labels: {}\nactors: []\ncapabilities: []\n", {}, "host.yaml");
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message.find("host.yaml:1: bindings: missing"), std::string::npos) << missing.error().message;
  auto typo = load("actors: []\ncapabilities: []\nbindings:\n  - actor: M\n    capabilty: x\n", {}, "host.yaml");
  ASSERT_FALSE(typo);
  EXPECT_NE(typo.error().message.find("host.yaml:5: bindings[0].capabilty: unknown key"), std::string::npos)
      << typo.error().message;
  auto oci = load("actors: [wascc.azurecr.io/echo:v1]\ncapabilities: []\nbindings: []\n", {}, "host.yaml");
  ASSERT_FALSE(oci);
  EXPECT_NE(oci.error().message.find("host.yaml:1: actors[0]:"), std::string::npos) << oci.error().message;
  auto broken = load("actors: [\n", {}, "host.yaml");
  ASSERT_FALSE(broken);
  EXPECT_NE(broken.error().message.find("host.yaml:"), std::string::npos);
}

TEST_F(ManifestTest, RouteMatchingPrefersExactThenLongerPrefix) {
  auto m = load(R"(
[[component]]
id = "a"
source = "app.wasm"
[[route]]
path = "/..."
component = "a"
[[route]]
path = "/api/..."
component = "a"
[[route]]
path = "/api/items/..."
methods = ["POST"]
component = "a"
[[route]]
path = "/api/items"
methods = ["GET"]
component = "a"
[[route]]
path = "/admin"
methods = ["DELETE"]
component = "a"
)");
  ASSERT_TRUE(m) << m.error().message;
  auto route = [&](std::string_view method, std::string_view path) -> std::string {
    bool mismatch = false;
    const Route* r = match_route(*m, method, path, &mismatch);
    return r ? r->pattern : (mismatch ? "405" : "404");
  };
  EXPECT_EQ(route("GET", "/api/items"), "/api/items");    // exact beats every prefix
  EXPECT_EQ(route("HEAD", "/api/items"), "/api/items");   // GET serves HEAD
  EXPECT_EQ(route("POST", "/api/items"), "/api/items/...");  // exact passed over: wrong method
  EXPECT_EQ(route("POST", "/api/items/7"), "/api/items/...");
  EXPECT_EQ(route("GET", "/api/items/7"), "/api/...");    // longer prefix passed over: wrong method
  EXPECT_EQ(route("GET", "/api"), "/api/...");
  EXPECT_EQ(route("GET", "/apix"), "/...");              // a prefix ends at a '/'
  EXPECT_EQ(route("GET", "/"), "/...");
  EXPECT_EQ(route("DELETE", "/admin"), "/admin");
  EXPECT_EQ(route("GET", "/admin"), "/...");

  // Without the catch-all, a path that matches only with the wrong method is a 405.
  m->routes.erase(m->routes.begin());
  EXPECT_EQ(route("GET", "/admin"), "405");
  EXPECT_EQ(route("GET", "/nothing"), "404");
}

}  // namespace
}  // namespace isola::host
