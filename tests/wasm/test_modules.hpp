// The test modules: tests/wasm/wat/*.wat, compiled at build time into ISOLA_TEST_WASM_DIR
// (tests/CMakeLists.txt).
#pragma once

#include <cstdint>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

namespace isola::test {

// The bytes of module `name` (as "fusion.wasm"); empty if it was not built.
inline std::vector<uint8_t> read_wasm(const std::string& name) {
  std::ifstream in(std::string(ISOLA_TEST_WASM_DIR) + "/" + name, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

}  // namespace isola::test
