#include "host/manifest/env_subst.hpp"

#include <cstdlib>

namespace isola::host {

Environment Environment::process() {
  return Environment([](std::string_view name) -> std::optional<std::string> {
    const char* v = std::getenv(std::string(name).c_str());
    if (!v) return std::nullopt;
    return std::string(v);
  });
}

Environment Environment::from(std::map<std::string, std::string, std::less<>> vars) {
  return Environment([vars = std::move(vars)](std::string_view name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  });
}

namespace manifest_detail {

namespace {

bool name_start(char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_'; }
bool name_char(char c) { return name_start(c) || (c >= '0' && c <= '9'); }

// At in[i] == '$' and in[i+1] == '{': the reference's name, default and end, if well formed.
struct Reference {
  std::string_view name;
  std::optional<std::string_view> fallback;
  size_t end = 0;  // one past '}'
};
std::optional<Reference> parse_reference(std::string_view in, size_t i) {
  size_t p = i + 2;
  if (p >= in.size() || !name_start(in[p])) return std::nullopt;
  size_t name_begin = p;
  while (p < in.size() && name_char(in[p])) ++p;
  Reference r;
  r.name = in.substr(name_begin, p - name_begin);
  if (p < in.size() && in[p] == ':') {
    size_t close = in.find('}', p + 1);
    if (close == std::string_view::npos) return std::nullopt;
    r.fallback = in.substr(p + 1, close - p - 1);
    r.end = close + 1;
    return r;
  }
  if (p < in.size() && in[p] == '}') {
    r.end = p + 1;
    return r;
  }
  return std::nullopt;
}

}  // namespace

bool substitute_strict(std::string_view in, const Environment& env, std::string& out, std::string& error) {
  out.clear();
  for (size_t i = 0; i < in.size();) {
    if (in[i] == '$' && i + 2 < in.size() && in[i + 1] == '$' && in[i + 2] == '{') {
      out += "${";
      i += 3;
      continue;
    }
    if (in[i] != '$' || i + 1 >= in.size() || in[i + 1] != '{') {
      out.push_back(in[i++]);
      continue;
    }
    auto ref = parse_reference(in, i);
    if (!ref) {
      error = "malformed ${...} (write ${NAME} or ${NAME:default}, or $${ for a literal ${)";
      return false;
    }
    if (auto v = env.get(ref->name))
      out += *v;
    else if (ref->fallback)
      out += *ref->fallback;
    else {
      error = "environment variable " + std::string(ref->name) + " is not set (write ${" + std::string(ref->name) +
              ":default} to give a default)";
      return false;
    }
    i = ref->end;
  }
  return true;
}

std::string substitute_wascc(std::string_view in, const Environment& env) {
  std::string out;
  out.reserve(in.size());
  for (size_t i = 0; i < in.size();) {
    if (in[i] == '$' && i + 1 < in.size() && in[i + 1] == '{') {
      if (auto ref = parse_reference(in, i)) {
        if (auto v = env.get(ref->name)) {
          out += *v;
          i = ref->end;
          continue;
        }
        if (ref->fallback) {
          out += *ref->fallback;
          i = ref->end;
          continue;
        }
      }
    }
    out.push_back(in[i++]);
  }
  return out;
}

}  // namespace manifest_detail
}  // namespace isola::host
