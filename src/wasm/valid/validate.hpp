// The validator: the spec's validation algorithm over a decoded Module.
#pragma once

#include <optional>

#include "wasm/error.hpp"
#include "wasm/module.hpp"

namespace isola::wasm {

// Checks every definition and every function body of `m`. Returns the first error
// (kind Invalid, or Malformed for bad immediates met while reading a body), or nothing.
std::optional<LoadError> validate(const Module& m);

}  // namespace isola::wasm
