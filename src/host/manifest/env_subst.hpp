// `${VAR}` and `${VAR:default}` substitution (internal to manifest/).
#pragma once

#include <string>
#include <string_view>

#include "host/manifest/manifest.hpp"

namespace isola::host::manifest_detail {

// isola.toml, per string value: an unset VAR without a default is an error (a missing
// secret must not become the literal text "${DB_URL}"); `$${` writes a literal `${`.
// Returns false with `error` set on failure.
bool substitute_strict(std::string_view in, const Environment& env, std::string& out, std::string& error);

// waSCC manifests, on the raw text (ACTOR-ABI.md §6.2): an unset VAR without a default is
// left as written, and so is anything that is not `${NAME}` or `${NAME:default}`.
std::string substitute_wascc(std::string_view in, const Environment& env);

}  // namespace isola::host::manifest_detail
