// isola.toml -> Manifest. Every value is checked where it is read, so each error can name
// the file, the line and the key; env substitution is per string value for the same reason
// (substituting the raw text first, as waSCC does, would shift lines and let a variable
// inject TOML syntax).
#include <algorithm>
#include <set>
#include <sstream>

#include <toml++/toml.h>

#include "host/manifest/env_subst.hpp"
#include "host/manifest/manifest.hpp"
#include "host/manifest/values.hpp"

namespace isola::host {

namespace fs = std::filesystem;
using namespace manifest_detail;

namespace {

struct Failure {
  std::string message;
};

const char* type_name(const toml::node& n) {
  switch (n.type()) {
    case toml::node_type::table: return "a table";
    case toml::node_type::array: return "an array";
    case toml::node_type::string: return "a string";
    case toml::node_type::integer: return "an integer";
    case toml::node_type::floating_point: return "a float";
    case toml::node_type::boolean: return "a boolean";
    case toml::node_type::date: return "a date";
    case toml::node_type::time: return "a time";
    case toml::node_type::date_time: return "a date-time";
    default: return "nothing";
  }
}

std::string quote(std::string_view s) { return "\"" + std::string(s) + "\""; }

class TomlReader {
 public:
  TomlReader(const fs::path& file, const Environment& env)
      : file_(file.string()), dir_(fs::absolute(file).parent_path()), env_(env) {}

  Manifest read(const toml::table& root);

 private:
  [[noreturn]] void fail(const toml::node& at, std::string_view key, const std::string& what) const {
    fail_line(at.source().begin.line, key, what);
  }
  [[noreturn]] void fail_line(toml::source_index line, std::string_view key, const std::string& what) const {
    std::string m = file_ + ":" + std::to_string(line) + ": ";
    if (!scope_.empty()) m += scope_ + ": ";
    if (!key.empty()) m += std::string(key) + ": ";
    throw Failure{m + what};
  }

  void check_keys(const toml::table& t, std::string_view prefix, std::initializer_list<std::string_view> allowed) {
    for (auto&& [k, v] : t) {
      if (std::find(allowed.begin(), allowed.end(), k.str()) != allowed.end()) continue;
      std::string list;
      for (auto a : allowed) list += (list.empty() ? "" : ", ") + std::string(a);
      fail(v, std::string(prefix) + std::string(k.str()), "unknown key (expected one of: " + list + ")");
    }
  }

  const toml::table& table(const toml::node& n, std::string_view key) {
    if (!n.is_table()) fail(n, key, std::string("expected a table, got ") + type_name(n));
    return *n.as_table();
  }

  std::string string(const toml::node& n, std::string_view key) {
    if (!n.is_string()) fail(n, key, std::string("expected a string, got ") + type_name(n));
    std::string out, error;
    if (!substitute_strict(n.as_string()->get(), env_, out, error)) fail(n, key, error);
    return out;
  }

  // Strings as they are; integers, floats and booleans as their TOML text (PORT = 8081).
  std::string scalar(const toml::node& n, std::string_view key) {
    if (n.is_string()) return string(n, key);
    if (auto i = n.as_integer()) return std::to_string(i->get());
    if (auto b = n.as_boolean()) return b->get() ? "true" : "false";
    if (auto f = n.as_floating_point()) {
      std::ostringstream s;
      s << f->get();
      return s.str();
    }
    fail(n, key, std::string("expected a string, number or boolean, got ") + type_name(n));
  }

  uint64_t positive(const toml::node& n, std::string_view key) {
    auto i = n.as_integer();
    if (!i) fail(n, key, std::string("expected an integer, got ") + type_name(n));
    if (i->get() <= 0) fail(n, key, std::to_string(i->get()) + " is not a positive integer");
    return static_cast<uint64_t>(i->get());
  }

  // "64MiB", "512KiB", ... or an integer number of bytes.
  uint64_t size(const toml::node& n, std::string_view key) {
    if (n.is_integer()) return positive(n, key);
    auto size = parse_size(string(n, key));
    if (!size.value) fail(n, key, size.error);
    return *size.value;
  }

  // "250ms", "5s", "2m", "1h".
  std::chrono::milliseconds duration(const toml::node& n, std::string_view key) {
    auto d = parse_duration(string(n, key));
    if (!d.value) fail(n, key, d.error);
    return *d.value;
  }

  bool boolean(const toml::node& n, std::string_view key) {
    auto b = n.as_boolean();
    if (!b) fail(n, key, std::string("expected true or false, got ") + type_name(n));
    return b->get();
  }

  std::vector<std::string> strings(const toml::node& n, std::string_view key) {
    auto a = n.as_array();
    if (!a) fail(n, key, std::string("expected an array of strings, got ") + type_name(n));
    std::vector<std::string> out;
    for (size_t i = 0; i < a->size(); ++i) out.push_back(string((*a)[i], std::string(key) + "[" + std::to_string(i) + "]"));
    return out;
  }

  std::string path(const toml::node& n, std::string_view key) {
    std::string s = string(n, key);
    if (s.empty()) fail(n, key, "the path is empty");
    return (dir_ / s).lexically_normal().string();
  }

  void read_app(const toml::table& t, Manifest& m);
  void read_claims(const toml::table& t, Manifest& m);
  Component read_component(const toml::table& t, size_t index);
  void read_limits(const toml::table& t, ComponentLimits& limits);
  void read_files(const toml::node& n, std::vector<FileMount>& files);
  LinkValues read_values(const toml::node& n, std::string_view key);
  CapabilityLink read_link(const toml::table& t, std::string_view key, std::optional<std::string> contract);
  Route read_route(const toml::table& t, size_t index);

  std::string file_;
  fs::path dir_;
  const Environment& env_;
  std::string scope_;  // "app", "component \"counter\"", "route \"/api/...\""
};

Manifest TomlReader::read(const toml::table& root) {
  Manifest m;
  m.path = file_;
  m.format = "toml";
  m.app_name = dir_.filename().string();
  m.state_dir = (dir_ / ".isola").string();
  check_keys(root, "", {"app", "component", "route", "claims"});
  if (auto* app = root.get("app")) read_app(table(*app, "app"), m);
  if (auto* claims = root.get("claims")) read_claims(table(*claims, "claims"), m);

  auto* components = root.get("component");
  if (!components) fail_line(1, "", "no [[component]]: an application needs at least one component");
  if (!components->is_array_of_tables()) fail(*components, "component", "write each component as [[component]]");
  std::map<std::string, toml::source_index> id_lines;
  const auto& carray = *components->as_array();
  for (size_t i = 0; i < carray.size(); ++i) {
    const auto& t = *carray[i].as_table();
    Component c = read_component(t, i);
    if (auto seen = id_lines.find(c.id); seen != id_lines.end())
      fail(*t.get("id"), "id", "duplicate: another component at line " + std::to_string(seen->second) + " has this id");
    id_lines.emplace(c.id, t.source().begin.line);
    m.components.push_back(std::move(c));
  }
  scope_.clear();

  if (auto* routes = root.get("route")) {
    if (!routes->is_array_of_tables()) fail(*routes, "route", "write each route as [[route]]");
    const auto& rarray = *routes->as_array();
    for (size_t i = 0; i < rarray.size(); ++i) {
      const auto& t = *rarray[i].as_table();
      Route r = read_route(t, i);
      if (!m.component(r.component)) {
        std::string known;
        for (const auto& c : m.components) known += (known.empty() ? "" : ", ") + c.id;
        fail(*t.get("component"), "component", "no component " + quote(r.component) + " (components: " + known + ")");
      }
      if (const Route* other = find_conflict(m.routes, r))
        fail(t, "", "conflicts with the route at " + other->where + " (same path, overlapping methods)");
      m.routes.push_back(std::move(r));
    }
  }
  return m;
}

void TomlReader::read_app(const toml::table& t, Manifest& m) {
  scope_ = "app";
  check_keys(t, "", {"name", "listen", "state_dir", "max_header_size", "max_body_size", "request_timeout",
                     "idle_timeout"});
  if (auto* n = t.get("name")) m.app_name = string(*n, "name");
  if (auto* n = t.get("listen")) {
    m.listen = string(*n, "listen");
    if (auto err = check_listen(m.listen)) fail(*n, "listen", *err);
  }
  if (auto* n = t.get("state_dir")) m.state_dir = path(*n, "state_dir");

  // The ingress's limits. The bounds keep out values that would only break the server: a
  // header limit below what ordinary clients send, bodies too large to hold in memory (the
  // ingress buffers each body), timeouts too short for a request to arrive or so long
  // that a stalled client keeps a connection for hours.
  using std::chrono::milliseconds;
  if (auto* n = t.get("max_header_size")) {
    uint64_t bytes = size(*n, "max_header_size");
    if (bytes < (1u << 10) || bytes > (1u << 20))
      fail(*n, "max_header_size", "must be between 1KiB and 1MiB (request line and headers together)");
    m.ingress.max_header_bytes = bytes;
  }
  if (auto* n = t.get("max_body_size")) {
    uint64_t bytes = size(*n, "max_body_size");
    if (bytes == 0 || bytes > (1ull << 30))
      fail(*n, "max_body_size", "must be between 1 byte and 1GiB (the server holds each body in memory)");
    m.ingress.max_body_bytes = bytes;
  }
  auto timeout = [&](std::string_view key, std::optional<milliseconds>& out) {
    auto* n = t.get(key);
    if (!n) return;
    milliseconds d = duration(*n, key);
    if (d < milliseconds(100) || d > milliseconds(3'600'000)) fail(*n, key, "must be between 100ms and 1h");
    out = d;
  };
  timeout("request_timeout", m.ingress.request_timeout);
  timeout("idle_timeout", m.ingress.idle_timeout);
  scope_.clear();
}

void TomlReader::read_claims(const toml::table& t, Manifest& m) {
  scope_ = "claims";
  check_keys(t, "", {"trusted_issuers", "revoked", "revocation_file"});
  if (auto* n = t.get("trusted_issuers")) {
    m.trusted_issuers = strings(*n, "trusted_issuers");
    for (size_t i = 0; i < m.trusted_issuers.size(); ++i) {
      const std::string& k = m.trusted_issuers[i];
      bool ok = k.size() == 56 && (k[0] == 'A' || k[0] == 'O') &&
                std::all_of(k.begin(), k.end(), [](char c) { return (c >= 'A' && c <= 'Z') || (c >= '2' && c <= '7'); });
      if (!ok)
        fail(*n, "trusted_issuers[" + std::to_string(i) + "]",
             quote(k) + " is not an account or operator public key (56 base32 characters starting with A or O)");
    }
  }
  if (auto* n = t.get("revoked")) m.revoked = strings(*n, "revoked");
  if (auto* n = t.get("revocation_file")) {
    m.revocation_file = path(*n, "revocation_file");
    if (!fs::is_regular_file(m.revocation_file)) fail(*n, "revocation_file", quote(m.revocation_file) + " is not a file");
  }
  scope_.clear();
}

Component TomlReader::read_component(const toml::table& t, size_t index) {
  Component c;
  scope_ = "component #" + std::to_string(index + 1);
  c.where = file_ + ":" + std::to_string(t.source().begin.line);
  auto* id = t.get("id");
  if (!id) fail(t, "id", "missing (every component needs an id)");
  c.id = string(*id, "id");
  if (c.id.empty() || !std::all_of(c.id.begin(), c.id.end(), [](char ch) {
        return std::isalnum(static_cast<unsigned char>(ch)) || ch == '-' || ch == '_' || ch == '.';
      }))
    fail(*id, "id", quote(c.id) + " is not a valid id (letters, digits, '-', '_', '.')");
  scope_ = "component " + quote(c.id);
  check_keys(t, "", {"id", "source", "sha256", "abi", "env", "files", "limits", "link", "capabilities",
                     "allow_unsigned"});

  auto* source = t.get("source");
  if (!source) fail(t, "source", "missing (the path of the .wasm module)");
  c.source = path(*source, "source");
  if (!fs::is_regular_file(c.source)) fail(*source, "source", quote(c.source) + ": no such file");

  if (auto* n = t.get("sha256")) {
    std::string h = string(*n, "sha256");
    std::transform(h.begin(), h.end(), h.begin(), [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
    if (h.size() != 64 || !std::all_of(h.begin(), h.end(), [](char ch) { return std::isxdigit(static_cast<unsigned char>(ch)); }))
      fail(*n, "sha256", quote(h) + " is not a SHA-256 digest (64 hex digits)");
    c.sha256 = h;
    c.sha256_where = file_ + ":" + std::to_string(n->source().begin.line);
  }
  if (auto* n = t.get("abi")) {
    c.abi = string(*n, "abi");
    if (c.abi != "wagi" && c.abi != "wapc") fail(*n, "abi", quote(c.abi) + " is not an ABI (wagi or wapc; leave it out to detect)");
  }
  if (auto* n = t.get("allow_unsigned")) c.allow_unsigned = boolean(*n, "allow_unsigned");
  if (auto* n = t.get("env")) {
    for (auto&& [k, v] : table(*n, "env")) {
      std::string name(k.str()), key = "env." + name;
      if (name.empty() || name.find('=') != std::string::npos || name.find('\0') != std::string::npos)
        fail(v, key, "not a valid environment variable name");
      c.env.push_back(name + "=" + scalar(v, key));
    }
  }
  if (auto* n = t.get("files")) read_files(*n, c.files);
  if (auto* n = t.get("limits")) read_limits(table(*n, "limits"), c.limits);

  if (auto* n = t.get("link")) {
    if (!n->is_array_of_tables()) fail(*n, "link", "write each link as [[component.link]]");
    const auto& links = *n->as_array();
    for (size_t i = 0; i < links.size(); ++i)
      c.links.push_back(read_link(*links[i].as_table(), "link[" + std::to_string(i) + "]", std::nullopt));
  }
  if (auto* n = t.get("capabilities")) {
    for (auto&& [k, v] : table(*n, "capabilities")) {
      std::string key = "capabilities." + quote(k.str());
      c.links.push_back(read_link(table(v, key), key, std::string(k.str())));
    }
  }
  for (size_t i = 0; i < c.links.size(); ++i)
    for (size_t j = 0; j < i; ++j)
      if (c.links[i].contract == c.links[j].contract && c.links[i].binding == c.links[j].binding)
        fail_line(std::stoul(c.links[i].where.substr(c.links[i].where.rfind(':') + 1)), "link",
                  "contract " + quote(c.links[i].contract) + " is linked twice under binding " +
                      quote(c.links[i].binding) + " (also at " + c.links[j].where + ")");
  return c;
}

void TomlReader::read_limits(const toml::table& t, ComponentLimits& limits) {
  check_keys(t, "limits.", {"max_memory", "fuel", "timeout", "max_concurrent"});
  if (auto* n = t.get("max_memory")) {
    uint64_t bytes = size(*n, "limits.max_memory");
    if (bytes == 0 || bytes > (4ull << 30))
      fail(*n, "limits.max_memory", "must be between 1 byte and 4GiB (the most a 32-bit memory can hold)");
    limits.max_memory_bytes = bytes;
  }
  if (auto* n = t.get("fuel")) limits.fuel = positive(*n, "limits.fuel");
  if (auto* n = t.get("timeout")) {
    limits.timeout = duration(*n, "limits.timeout");
    if (limits.timeout->count() == 0) fail(*n, "limits.timeout", "must be longer than 0");
  }
  if (auto* n = t.get("max_concurrent")) {
    uint64_t v = positive(*n, "limits.max_concurrent");
    if (v > 1'000'000) fail(*n, "limits.max_concurrent", "at most 1000000");
    limits.max_concurrent = static_cast<unsigned>(v);
  }
}

void TomlReader::read_files(const toml::node& n, std::vector<FileMount>& files) {
  auto a = n.as_array();
  if (!a) fail(n, "files", std::string("expected an array, got ") + type_name(n));
  auto mode_of = [](std::string_view s) -> std::optional<FileMount::Mode> {
    if (s == "rw") return FileMount::ReadWrite;
    if (s == "ro") return FileMount::ReadOnly;
    if (s == "overlay") return FileMount::Overlay;
    return std::nullopt;
  };
  for (size_t i = 0; i < a->size(); ++i) {
    const toml::node& item = (*a)[i];
    std::string key = "files[" + std::to_string(i) + "]";
    FileMount f;
    std::string host;
    if (item.is_string()) {
      // "host", "host:guest", "host:ro", "host:guest:ro"
      std::string s = string(item, key);
      std::vector<std::string> parts;
      for (size_t start = 0;;) {
        size_t colon = s.find(':', start);
        parts.push_back(s.substr(start, colon - start));
        if (colon == std::string::npos) break;
        start = colon + 1;
      }
      if (parts.size() >= 2 && mode_of(parts.back())) {
        f.mode = *mode_of(parts.back());
        parts.pop_back();
      }
      if (parts.size() > 2 || parts[0].empty())
        fail(item, key, quote(s) + " is not HOST[:GUEST][:ro|:rw|:overlay] (use a table for paths with ':')");
      host = parts[0];
      f.guest = parts.size() == 2 ? parts[1] : parts[0];
    } else if (item.is_table()) {
      const auto& t = *item.as_table();
      check_keys(t, key + ".", {"host", "guest", "mode"});
      auto* h = t.get("host");
      if (!h) fail(item, key + ".host", "missing");
      host = string(*h, key + ".host");
      f.guest = host;
      if (auto* g = t.get("guest")) f.guest = string(*g, key + ".guest");
      if (auto* m = t.get("mode")) {
        std::string ms = string(*m, key + ".mode");
        if (!mode_of(ms)) fail(*m, key + ".mode", quote(ms) + " is not a mode (rw, ro or overlay)");
        f.mode = *mode_of(ms);
      }
    } else {
      fail(item, key, std::string("expected \"HOST:GUEST[:ro|:overlay]\" or a table, got ") + type_name(item));
    }
    if (host.empty()) fail(item, key, "the host directory is empty");
    if (f.guest.empty()) fail(item, key, "the guest path is empty");
    f.host = (dir_ / host).lexically_normal().string();
    if (!fs::is_directory(f.host)) fail(item, key, "host directory " + quote(f.host) + " does not exist");
    for (const auto& other : files)
      if (other.guest == f.guest) fail(item, key, "guest path " + quote(f.guest) + " is mounted twice");
    files.push_back(std::move(f));
  }
}

LinkValues TomlReader::read_values(const toml::node& n, std::string_view key) {
  LinkValues values;
  for (auto&& [k, v] : table(n, key)) {
    std::string vkey = std::string(key) + "." + std::string(k.str());
    if (auto a = v.as_array()) {  // allowed_hosts = ["a.com", "b.com"] -> "a.com,b.com"
      std::string joined;
      for (size_t i = 0; i < a->size(); ++i) {
        // Appended piece by piece: GCC 12 -O3 warns falsely (-Wrestrict) on "," + string.
        if (i) joined.push_back(',');
        joined.append(scalar((*a)[i], vkey + "[" + std::to_string(i) + "]"));
      }
      values.emplace(std::string(k.str()), joined);
    } else {
      values.emplace(std::string(k.str()), scalar(v, vkey));
    }
  }
  return values;
}

CapabilityLink TomlReader::read_link(const toml::table& t, std::string_view key, std::optional<std::string> contract) {
  CapabilityLink link;
  link.where = file_ + ":" + std::to_string(t.source().begin.line);
  std::string prefix = std::string(key) + ".";
  if (contract) {
    check_keys(t, prefix, {"binding", "values"});
    link.contract = *contract;
  } else {
    check_keys(t, prefix, {"contract", "binding", "values"});
    auto* n = t.get("contract");
    if (!n) fail(t, prefix + "contract", "missing (the capability contract id, e.g. \"wascc:keyvalue\")");
    link.contract = string(*n, prefix + "contract");
  }
  if (link.contract.empty() || std::any_of(link.contract.begin(), link.contract.end(),
                                           [](unsigned char ch) { return ch <= ' '; }))
    fail(t, prefix + "contract", quote(link.contract) + " is not a contract id");
  if (auto* n = t.get("binding")) link.binding = std::string(normalize_binding(string(*n, prefix + "binding")));
  if (auto* n = t.get("values")) link.values = read_values(*n, prefix + "values");
  return link;
}

Route TomlReader::read_route(const toml::table& t, size_t index) {
  Route r;
  scope_ = "route #" + std::to_string(index + 1);
  r.where = file_ + ":" + std::to_string(t.source().begin.line);
  auto* p = t.get("path");
  if (!p) fail(t, "path", "missing (\"/exact\", \"/prefix/...\" or \"/...\")");
  r.pattern = string(*p, "path");
  if (auto err = check_route_pattern(r.pattern)) fail(*p, "path", *err);
  scope_ = "route " + quote(r.pattern);
  check_keys(t, "", {"path", "methods", "component"});
  if (auto* n = t.get("methods")) {
    auto methods = strings(*n, "methods");
    if (methods.empty()) fail(*n, "methods", "empty: leave the key out to serve every method");
    for (size_t i = 0; i < methods.size(); ++i) {
      if (auto err = normalize_method(methods[i])) fail(*n, "methods[" + std::to_string(i) + "]", *err);
      if (std::find(r.methods.begin(), r.methods.end(), methods[i]) == r.methods.end()) r.methods.push_back(methods[i]);
    }
  }
  auto* c = t.get("component");
  if (!c) fail(t, "component", "missing (the id of the component that serves this route)");
  r.component = string(*c, "component");
  return r;
}

}  // namespace

isola::Expected<Manifest> parse_toml_manifest(std::string_view text, const fs::path& file, const Environment& env) {
  try {
    toml::table root = toml::parse(text, file.string());
    return TomlReader(file, env).read(root);
  } catch (const toml::parse_error& e) {
    return isola::Error{file.string() + ":" + std::to_string(e.source().begin.line) + ": " +
                        std::string(e.description())};
  } catch (const Failure& f) {
    return isola::Error{f.message};
  }
}

}  // namespace isola::host
