// A waSCC host manifest (YAML, ACTOR-ABI.md §6) -> Manifest. Each actor becomes a waPC
// component; each binding becomes a link carrying the actor's public key (the key lives in
// the actor's claims, which are read later: see resolve_actor_keys); a wascc:http_server
// binding becomes the listen address (on loopback) and a catch-all route. Native provider
// libraries under `capabilities` are not loaded: Isola's providers are built in.
#include <set>

#include <yaml-cpp/yaml.h>

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

bool is_http_server(std::string_view contract) {
  return contract == "wascc:http_server" || contract == "wasmcloud:httpserver";
}

class YamlReader {
 public:
  YamlReader(const fs::path& file) : file_(file.string()), dir_(fs::absolute(file).parent_path()) {}

  Manifest read(const YAML::Node& root) {
    Manifest m;
    m.path = file_;
    m.format = "wascc";
    m.app_name = fs::path(file_).stem().string();
    m.state_dir = (dir_ / ".isola").string();
    if (!root.IsMap()) fail(root, "", "expected a mapping with labels, actors, capabilities and bindings");
    check_keys(root, "", {"labels", "actors", "capabilities", "bindings"});
    for (const char* required : {"actors", "capabilities", "bindings"})
      if (!root[required]) fail(root, required, "missing (it may be an empty list: [])");

    if (auto labels = root["labels"]) {
      if (!labels.IsMap()) fail(labels, "labels", "expected a mapping of strings");
      for (auto it = labels.begin(); it != labels.end(); ++it) {
        std::string k = scalar(it->first, "labels"), v = scalar(it->second, "labels." + k);
        if (k == "hostcore.arch" || k == "hostcore.os" || k == "hostcore.osfamily") continue;  // reserved
        m.labels[k] = v;
      }
    }

    auto actors = sequence(root["actors"], "actors");
    std::set<std::string> ids;
    for (size_t i = 0; i < actors.size(); ++i) {
      std::string key = "actors[" + std::to_string(i) + "]";
      std::string path = scalar(actors[i], key);
      Component c;
      c.source = (dir_ / path).lexically_normal().string();
      if (!fs::is_regular_file(c.source))
        fail(actors[i], key, "\"" + c.source + "\": no such file (OCI references are not supported; give the path of a .wasm)");
      c.abi = "wapc";
      c.where = where(actors[i]);
      std::string id = fs::path(path).stem().string();
      c.id = id;
      for (int n = 2; !ids.insert(c.id).second; ++n) c.id = id + "-" + std::to_string(n);
      m.components.push_back(std::move(c));
    }

    auto caps = sequence(root["capabilities"], "capabilities");
    for (size_t i = 0; i < caps.size(); ++i) {
      std::string key = "capabilities[" + std::to_string(i) + "]";
      if (!caps[i].IsMap()) fail(caps[i], key, "expected a mapping with path and binding_name");
      check_keys(caps[i], key + ".", {"path", "binding_name"});
      if (!caps[i]["path"]) fail(caps[i], key + ".path", "missing");
      scalar(caps[i]["path"], key + ".path");
    }

    auto bindings = sequence(root["bindings"], "bindings");
    std::string http_port, http_where;
    for (size_t i = 0; i < bindings.size(); ++i) {
      const YAML::Node& b = bindings[i];
      std::string key = "bindings[" + std::to_string(i) + "]";
      if (!b.IsMap()) fail(b, key, "expected a mapping with actor, capability, binding and values");
      check_keys(b, key + ".", {"actor", "capability", "binding", "values"});
      for (const char* required : {"actor", "capability"})
        if (!b[required]) fail(b, key + "." + required, "missing");
      CapabilityLink link;
      link.actor_key = scalar(b["actor"], key + ".actor");
      link.contract = scalar(b["capability"], key + ".capability");
      link.where = where(b);
      if (b["binding"]) link.binding = std::string(normalize_binding(scalar(b["binding"], key + ".binding")));
      if (auto values = b["values"]) {
        if (!values.IsMap()) fail(values, key + ".values", "expected a mapping of strings");
        for (auto it = values.begin(); it != values.end(); ++it) {
          std::string k = scalar(it->first, key + ".values");
          link.values[k] = scalar(it->second, key + ".values." + k);
        }
      }
      if (is_http_server(link.contract)) {
        auto port = link.values.find("PORT");
        if (port == link.values.end()) fail(b, key + ".values.PORT", "missing (the port to serve HTTP on)");
        std::string listen = "127.0.0.1:" + port->second;
        if (auto err = check_listen(listen)) fail(b, key + ".values.PORT", "\"" + port->second + "\" is not a port");
        if (!http_port.empty() && http_port != port->second)
          fail(b, key + ".values.PORT", "Isola serves HTTP on one address; " + http_where + " already asked for port " + http_port);
        http_port = port->second;
        http_where = link.where;
        m.listen = listen;
        Route r;
        r.pattern = "/...";
        r.actor_key = link.actor_key;
        r.where = link.where;
        if (m.components.size() == 1) r.component = m.components[0].id;
        for (const auto& other : m.routes)
          if (other.actor_key != r.actor_key)
            fail(b, key, "two actors bound to wascc:http_server (also at " + other.where + "); Isola routes one");
        if (m.routes.empty()) m.routes.push_back(std::move(r));
        continue;
      }
      // Which component the key names is known only once claims are read; every actor gets
      // the link for now and resolve_actor_keys keeps it where the key matches.
      for (auto& c : m.components) c.links.push_back(link);
    }
    return m;
  }

 private:
  std::string where(const YAML::Node& n) const { return file_ + ":" + std::to_string(n.Mark().line + 1); }

  [[noreturn]] void fail(const YAML::Node& at, std::string_view key, const std::string& what) const {
    int line = at.Mark().line >= 0 ? at.Mark().line + 1 : 1;
    std::string m = file_ + ":" + std::to_string(line) + ": ";
    if (!key.empty()) m += std::string(key) + ": ";
    throw Failure{m + what};
  }

  void check_keys(const YAML::Node& map, const std::string& prefix, std::initializer_list<std::string_view> allowed) {
    for (auto it = map.begin(); it != map.end(); ++it) {
      std::string k = it->first.IsScalar() ? it->first.Scalar() : "?";
      if (std::find(allowed.begin(), allowed.end(), k) != allowed.end()) continue;
      std::string list;
      for (auto a : allowed) list += (list.empty() ? "" : ", ") + std::string(a);
      fail(it->first, prefix + k, "unknown key (expected one of: " + list + ")");
    }
  }

  std::string scalar(const YAML::Node& n, const std::string& key) {
    if (!n.IsScalar()) fail(n, key, "expected a string");
    return n.Scalar();
  }

  std::vector<YAML::Node> sequence(const YAML::Node& n, const std::string& key) {
    if (n.IsNull()) return {};
    if (!n.IsSequence()) fail(n, key, "expected a list");
    std::vector<YAML::Node> out;
    for (const auto& item : n) out.push_back(item);
    return out;
  }

  std::string file_;
  fs::path dir_;
};

}  // namespace

isola::Expected<Manifest> parse_wascc_manifest(std::string_view text, const fs::path& file, const Environment& env) {
  std::string expanded = substitute_wascc(text, env);
  try {
    YAML::Node root = YAML::Load(expanded);
    return YamlReader(file).read(root);
  } catch (const YAML::Exception& e) {
    return isola::Error{file.string() + ":" + std::to_string(e.mark.line + 1) + ": " + e.msg};
  } catch (const Failure& f) {
    return isola::Error{f.message};
  }
}

}  // namespace isola::host
