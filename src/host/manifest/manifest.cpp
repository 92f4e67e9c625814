// Loading a manifest file, and binding waSCC actor keys once claims are known.
#include "host/manifest/manifest.hpp"

#include <fstream>
#include <sstream>

namespace isola::host {

namespace fs = std::filesystem;

namespace {
constexpr uintmax_t kMaxManifestBytes = 4 << 20;  // a manifest is configuration, not data
}

isola::Expected<Manifest> load_manifest(const fs::path& file, const Environment& env) {
  std::error_code ec;
  auto size = fs::file_size(file, ec);
  if (ec) return isola::Error{file.string() + ": " + ec.message()};
  if (size > kMaxManifestBytes)
    return isola::Error{file.string() + ": " + std::to_string(size) + " bytes is too large for a manifest (at most 4 MiB)"};
  std::ifstream in(file, std::ios::binary);
  if (!in) return isola::Error{file.string() + ": cannot be opened"};
  std::ostringstream text;
  text << in.rdbuf();
  if (file.extension() == ".toml") return parse_toml_manifest(text.str(), file, env);
  return parse_wascc_manifest(text.str(), file, env);
}

isola::Expected<Manifest> resolve_actor_keys(Manifest manifest,
                                             const std::map<std::string, std::string>& subject_by_component) {
  auto subject = [&](const std::string& id) -> std::string {
    auto it = subject_by_component.find(id);
    return it == subject_by_component.end() ? std::string() : it->second;
  };
  auto component_of = [&](const std::string& key) -> const Component* {
    for (const auto& c : manifest.components)
      if (!key.empty() && subject(c.id) == key) return &c;
    return nullptr;
  };
  for (auto& r : manifest.routes) {
    if (r.actor_key.empty()) continue;
    const Component* c = component_of(r.actor_key);
    if (!c) return isola::Error{r.where + ": binding for actor " + r.actor_key + ": no actor in the manifest has this public key"};
    r.component = c->id;
  }
  for (auto& c : manifest.components) {
    std::string key = subject(c.id);
    std::vector<CapabilityLink> kept;
    for (auto& link : c.links) {
      if (!link.actor_key.empty() && !component_of(link.actor_key))
        return isola::Error{link.where + ": binding for actor " + link.actor_key +
                            ": no actor in the manifest has this public key"};
      if (link.actor_key.empty() || link.actor_key == key) kept.push_back(std::move(link));
    }
    c.links = std::move(kept);
  }
  return manifest;
}

}  // namespace isola::host
