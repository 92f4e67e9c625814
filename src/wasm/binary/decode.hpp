// The binary decoder: bytes -> Module, enforcing the binary format's rules
// (LEB128 lengths and ranges, UTF-8 names, section order, matching counts, size limits).
#pragma once

#include <optional>
#include <span>

#include "wasm/error.hpp"
#include "wasm/module.hpp"

namespace isola::wasm {

// Implementation limits. They bound what untrusted input can make us allocate; a module
// past any of them is rejected as malformed before anything of that size is allocated.
struct DecodeLimits {
  uint32_t max_types = 1'000'000;
  uint32_t max_functions = 1'000'000;
  uint32_t max_imports = 100'000;
  uint32_t max_exports = 100'000;
  uint32_t max_globals = 1'000'000;
  uint32_t max_segments = 100'000;
  uint32_t max_segment_elems = 10'000'000;
  uint32_t max_params = 1'000;
  uint32_t max_results = 1'000;
  uint32_t max_locals = 50'000;  // per function, after adding up the declarations
  uint32_t max_tables = 100'000;
};

// Decodes `bytes` into `out` (which receives a copy of the bytes). Returns the first
// error, or nothing on success.
std::optional<LoadError> decode(std::span<const uint8_t> bytes, Module& out,
                                const DecodeLimits& limits = {});

}  // namespace isola::wasm
