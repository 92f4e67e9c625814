// GUIDs, random numbers and per-component sequences: waSCC's `wascc:extras` (one
// GeneratorRequest/GeneratorResult struct for all three ops, random in [min, max)), WIDL
// `wasmcloud:extras` (bare results) and wasmbus `wasmcloud:builtin:numbergen` (random in
// [min, max] inclusive). All randomness comes from libsodium's CSPRNG.
#pragma once

#include <memory>
#include <string>

#include "host/providers/provider.hpp"

namespace isola::host::providers {

enum class ExtrasFlavour { Wascc, Widl, NumberGen };

// Sequences are per component and shared by every extras provider in the process.
std::shared_ptr<Provider> make_extras_provider(ExtrasFlavour flavour);

// A random (version 4) UUID in its 36-character text form.
std::string uuid_v4();

}  // namespace isola::host::providers
