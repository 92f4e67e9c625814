// fuzz_manifest: manifest text, as an operator (or whoever can write the file) gives it.
//
// Every input goes through both parsers, as isola.toml and as a waSCC host manifest (YAML),
// with ${VAR} values from a fixed small environment and relative paths resolved in a
// temporary app directory holding a few module files and directories. Then its lines go
// through the single-value checks (sizes, durations, listen addresses, route patterns,
// methods, httpclient allow-lists). Invariants:
//   - an error names the file first ("FILE:LINE: ...");
//   - an accepted manifest holds what the loader promises: at least one component (TOML),
//     unique valid ids, existing absolute module paths, env sorted by name, a valid listen
//     address, ingress and component limits within their bounds, valid and non-conflicting
//     routes, each served by match_route for its own path and method, links with a contract
//     and a binding; httpclient link values parse or are refused without a crash;
//     resolve_actor_keys keeps only the links for each component's key;
//   - ${...} substitution: text escaped with $${ comes back unchanged; text without ${ is
//     left alone by both substitutions;
//   - a size or duration that parses, written back as a plain number, parses to the same.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "host/manifest/env_subst.hpp"
#include "host/manifest/manifest.hpp"
#include "host/manifest/values.hpp"
#include "host/providers/address_policy.hpp"
#include "host/providers/httpclient.hpp"
#include "host_harness.hpp"

namespace isola::fuzz {
namespace {

namespace fs = std::filesystem;
using namespace isola::host;
using namespace isola::host::manifest_detail;

// A temporary app directory, removed at exit.
struct AppDir {
  fs::path dir;
  AppDir() {
    std::string tmpl = (fs::temp_directory_path() / "isola-fuzz-manifest-XXXXXX").string();
    if (!mkdtemp(tmpl.data())) throw std::runtime_error("fuzz_manifest: mkdtemp failed");
    dir = tmpl;
    for (const char* d : {"data", "static", "state"}) fs::create_directories(dir / d);
    for (const char* f : {"app.wasm", "other.wasm", "kvcounter.wasm", "a.wasm", "revoked.txt"})
      std::ofstream(dir / f) << std::string("\0asm\1\0\0\0", 8);
  }
  ~AppDir() {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
};

const AppDir& app_dir() {
  static const AppDir d;
  return d;
}

const Environment& environment() {
  static const Environment env = Environment::from({
      {"ISOLA_COUNTER_WASM", "app.wasm"},
      {"ISOLA_HELLO_WASM", "app.wasm"},
      {"ISOLA_WAPC_HELLO_WASM", "other.wasm"},
      {"REDIS_URL", "redis://127.0.0.1:6379"},
      {"PORT", "8081"},
      {"USER_NAME", "fuzz"},
      {"EMPTY", ""},
      {"NESTED", "${PORT}"},
      {"QUOTE", "\"\n[app]\nx = 1"},
  });
  return env;
}

bool is_http_client(std::string_view contract) {
  return contract == "wascc:http_client" || contract == "wasmcloud:httpclient";
}

// The route that match_route must find for (method, path), by the documented rule.
bool route_matches(const Route& r, std::string_view path) {
  std::string_view p = r.pattern;
  if (p.size() >= 4 && p.substr(p.size() - 4) == "/...") {
    std::string_view prefix = p.substr(0, p.size() - 4);
    return (!prefix.empty() && path == prefix) ||
           (path.size() > prefix.size() && path.substr(0, prefix.size()) == prefix && path[prefix.size()] == '/');
  }
  return path == p;
}

void check_manifest(const Manifest& m, bool toml) {
  ISOLA_FUZZ_CHECK(m.format == (toml ? "toml" : "wascc"));
  if (toml) ISOLA_FUZZ_CHECK(!m.components.empty());
  ISOLA_FUZZ_CHECK(!check_listen(m.listen));
  if (m.ingress.max_header_bytes) ISOLA_FUZZ_CHECK(*m.ingress.max_header_bytes >= 1024 && *m.ingress.max_header_bytes <= (1u << 20));
  if (m.ingress.max_body_bytes) ISOLA_FUZZ_CHECK(*m.ingress.max_body_bytes >= 1 && *m.ingress.max_body_bytes <= (1ull << 30));
  for (const auto& t : {m.ingress.request_timeout, m.ingress.idle_timeout})
    if (t) ISOLA_FUZZ_CHECK(t->count() >= 100 && t->count() <= 3'600'000);
  ISOLA_FUZZ_CHECK(fs::path(m.state_dir).is_absolute());

  std::vector<std::string> ids;
  for (const auto& c : m.components) {
    if (toml)
      ISOLA_FUZZ_CHECK(!c.id.empty() && std::all_of(c.id.begin(), c.id.end(), [](char ch) {
        return std::isalnum(static_cast<unsigned char>(ch)) || ch == '-' || ch == '_' || ch == '.';
      }));
    ISOLA_FUZZ_CHECK(std::find(ids.begin(), ids.end(), c.id) == ids.end());
    ids.push_back(c.id);
    ISOLA_FUZZ_CHECK(fs::path(c.source).is_absolute() && fs::is_regular_file(c.source));
    ISOLA_FUZZ_CHECK(c.abi.empty() || c.abi == "wagi" || c.abi == "wapc");
    if (c.sha256) ISOLA_FUZZ_CHECK(c.sha256->size() == 64);
    ISOLA_FUZZ_CHECK(std::is_sorted(c.env.begin(), c.env.end(), [](const std::string& a, const std::string& b) {
      return a.substr(0, a.find('=')) < b.substr(0, b.find('='));
    }));
    for (const auto& e : c.env) ISOLA_FUZZ_CHECK(e.find('=') != std::string::npos && e.find('=') > 0);
    for (const auto& f : c.files) ISOLA_FUZZ_CHECK(!f.guest.empty() && fs::is_directory(f.host));
    if (c.limits.max_memory_bytes) ISOLA_FUZZ_CHECK(*c.limits.max_memory_bytes >= 1 && *c.limits.max_memory_bytes <= (4ull << 30));
    if (c.limits.fuel) ISOLA_FUZZ_CHECK(*c.limits.fuel > 0);
    if (c.limits.timeout) ISOLA_FUZZ_CHECK(c.limits.timeout->count() > 0);
    if (c.limits.max_concurrent) ISOLA_FUZZ_CHECK(*c.limits.max_concurrent >= 1 && *c.limits.max_concurrent <= 1'000'000);
    for (const auto& link : c.links) {
      ISOLA_FUZZ_CHECK(!link.contract.empty() && !link.binding.empty() && !link.where.empty());
      if (is_http_client(link.contract)) {
        auto cfg = isola::host::providers::parse_httpclient_config(link.values);
        if (cfg) (void)cfg->allow.match("example.com", 443);
        else ISOLA_FUZZ_CHECK(!cfg.error().message.empty());
      }
    }
  }

  for (size_t i = 0; i < m.routes.size(); ++i) {
    const Route& r = m.routes[i];
    ISOLA_FUZZ_CHECK(!check_route_pattern(r.pattern));
    if (toml) ISOLA_FUZZ_CHECK(m.component(r.component) != nullptr);
    for (const auto& method : r.methods) {
      std::string copy = method;
      ISOLA_FUZZ_CHECK(!normalize_method(copy) && copy == method);
    }
    std::vector<Route> before(m.routes.begin(), m.routes.begin() + static_cast<ptrdiff_t>(i));
    ISOLA_FUZZ_CHECK(find_conflict(before, r) == nullptr);
    // Its own path and (first) method reach some route that matches them.
    std::string path = r.pattern;
    if (path.size() >= 4 && path.substr(path.size() - 4) == "/...") path = path.substr(0, path.size() - 4) + "/x";
    std::string method = r.methods.empty() ? "GET" : r.methods.front();
    bool mismatch = true;
    const Route* found = match_route(m, method, path, &mismatch);
    ISOLA_FUZZ_CHECK(found && !mismatch && route_matches(*found, path));
    auto serves = [&](const std::string& m) { return m == method || (method == "HEAD" && m == "GET"); };
    ISOLA_FUZZ_CHECK(found->methods.empty() || std::any_of(found->methods.begin(), found->methods.end(), serves));
  }

  // Binding each component to the key of its first link keeps only links for that key.
  std::map<std::string, std::string> subjects;
  for (const auto& c : m.components)
    if (!c.links.empty() && !c.links.front().actor_key.empty()) subjects[c.id] = c.links.front().actor_key;
  auto bound = resolve_actor_keys(m, subjects);
  if (bound) {
    for (const auto& c : bound->components)
      for (const auto& link : c.links)
        ISOLA_FUZZ_CHECK(link.actor_key.empty() || (subjects.count(c.id) && subjects[c.id] == link.actor_key));
  } else {
    ISOLA_FUZZ_CHECK(!bound.error().message.empty());
  }
}

void check_error(const isola::Error& e, const fs::path& file) {
  ISOLA_FUZZ_CHECK(e.message.rfind(file.string() + ":", 0) == 0);
}

// `text` with every "${" written "$${", which substitute_strict turns back into "${".
std::string escape(std::string_view text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '$' && i + 1 < text.size() && text[i + 1] == '{') out.push_back('$');
    out.push_back(text[i]);
  }
  return out;
}

void check_substitution(std::string_view text) {
  static const Environment nothing = Environment::from({});
  std::string out, error;
  ISOLA_FUZZ_CHECK(substitute_strict(escape(text), nothing, out, error) && out == text);
  bool has_ref = text.find("${") != std::string_view::npos;
  if (!has_ref) {
    ISOLA_FUZZ_CHECK(substitute_wascc(text, environment()) == text);
    if (text.find("$${") == std::string_view::npos)
      ISOLA_FUZZ_CHECK(substitute_strict(text, environment(), out, error) && out == text);
  }
  if (!substitute_strict(text, environment(), out, error)) ISOLA_FUZZ_CHECK(!error.empty());
  (void)substitute_wascc(text, environment());
}

void check_values(std::string_view line) {
  if (auto s = parse_size(line); s.value) {
    auto again = parse_size(std::to_string(*s.value));
    ISOLA_FUZZ_CHECK(again.value == s.value);
  } else {
    ISOLA_FUZZ_CHECK(!s.error.empty());
  }
  if (auto d = parse_duration(line); d.value) {
    auto again = parse_duration(std::to_string(d.value->count()) + "ms");
    ISOLA_FUZZ_CHECK(again.value == d.value);
  } else {
    ISOLA_FUZZ_CHECK(!d.error.empty());
  }
  (void)check_listen(line);
  if (!check_route_pattern(line)) ISOLA_FUZZ_CHECK(!line.empty() && line.front() == '/');
  std::string method(line);
  if (!normalize_method(method)) ISOLA_FUZZ_CHECK(method.size() >= 3 && method.size() <= 7);
  auto allow = isola::host::providers::AllowList::parse(line);
  if (allow) {
    for (std::string_view host : {"example.com", "a.example.com", "127.0.0.1", "[::1]", "localhost."})
      (void)allow->match(host, 443);
  } else {
    ISOLA_FUZZ_CHECK(!allow.error().message.empty());
  }
  (void)isola::host::providers::special_address_kind(line);
  (void)isola::host::providers::normalize_host(line);
}

}  // namespace

int fuzz_manifest(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  const fs::path& dir = app_dir().dir;

  const fs::path toml_file = dir / "isola.toml";
  auto toml = parse_toml_manifest(text, toml_file, environment());
  if (verbose())
    std::fprintf(stderr, "toml: %s\n",
                 toml ? ("ok, " + std::to_string(toml->components.size()) + " components").c_str()
                      : toml.error().message.c_str());
  if (toml) check_manifest(*toml, true);
  else check_error(toml.error(), toml_file);

  const fs::path yaml_file = dir / "host.yaml";
  auto yaml = parse_wascc_manifest(text, yaml_file, environment());
  if (verbose())
    std::fprintf(stderr, "yaml: %s\n",
                 yaml ? ("ok, " + std::to_string(yaml->components.size()) + " components").c_str()
                      : yaml.error().message.c_str());
  if (yaml) check_manifest(*yaml, false);
  else check_error(yaml.error(), yaml_file);

  check_substitution(text);
  size_t lines = 0;
  for (size_t pos = 0; pos <= text.size() && lines < 16; ++lines) {
    size_t nl = std::min(text.find('\n', pos), text.size());
    check_values(text.substr(pos, nl - pos));
    pos = nl + 1;
  }
  return 0;
}

}  // namespace isola::fuzz
