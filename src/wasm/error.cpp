// Formatting of load errors.
#include "wasm/error.hpp"

#include <cstdio>

namespace isola::wasm {

std::string LoadError::to_string() const {
  std::string s = kind == Kind::Malformed ? "malformed: " : "invalid: ";
  s += what;
  char buf[64];
  std::snprintf(buf, sizeof buf, " at byte 0x%x", static_cast<unsigned>(offset));
  s += buf;
  if (func) {
    std::snprintf(buf, sizeof buf, " (function %u)", static_cast<unsigned>(*func));
    s += buf;
  }
  return s;
}

}  // namespace isola::wasm
