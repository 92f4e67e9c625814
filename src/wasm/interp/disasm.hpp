// A readable listing of lowered code, for debugging and performance work.
#pragma once

#include <string>

#include "wasm/interp/code.hpp"

namespace isola::interp {

std::string disassemble(const Code& code);

}  // namespace isola::interp
