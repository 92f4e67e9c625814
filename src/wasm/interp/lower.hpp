// Lowering: one validated wasm function body -> interpreter code (see code.hpp).
#pragma once

#include <memory>

#include "wasm/interp/code.hpp"
#include "wasm/runtime/objects.hpp"

namespace isola::interp {

// Lowers defined function `func_index` of `md`. The module must have passed validation;
// lowering relies on it and does not re-check types.
std::unique_ptr<Code> lower(const rt::ModuleData& md, uint32_t func_index);

}  // namespace isola::interp
