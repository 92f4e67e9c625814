// Helpers shared by the claims tests: the test module, and hex for readable expectations.
#pragma once

#include <cstdint>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

namespace isola::host::claims::test {

inline std::vector<uint8_t> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// The actor module compiled from wat/actor.wat at build time.
inline std::vector<uint8_t> actor_module() { return read_file(std::string(ISOLA_TEST_WASM_DIR) + "/actor.wasm"); }

inline std::string hex(const uint8_t* p, size_t n) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string s;
  for (size_t i = 0; i < n; ++i) {
    s.push_back(kHex[p[i] >> 4]);
    s.push_back(kHex[p[i] & 15]);
  }
  return s;
}

}  // namespace isola::host::claims::test
