// The test modules: tests/wasm/wat/*.wat, compiled at build time into ISOLA_TEST_WASM_DIR
// (tests/CMakeLists.txt).
#pragma once

#include <cstdint>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include "isola/engine.hpp"

namespace isola::test {

// The bytes of module `name` (as "fusion.wasm"); empty if it was not built.
inline std::vector<uint8_t> read_wasm(const std::string& name) {
  std::ifstream in(std::string(ISOLA_TEST_WASM_DIR) + "/" + name, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Loads module `name` (which imports nothing) and instantiates it in `store`. Returns what
// went wrong, or an empty string; fixtures ASSERT on it.
inline std::string instantiate(Engine& engine, Store& store, const std::string& name,
                               std::unique_ptr<Module>& module, Instance& instance) {
  auto m = Module::load(engine, read_wasm(name));
  if (!m.ok()) return name + ": " + m.error().message;
  module = std::make_unique<Module>(*m);
  auto pre = Linker(engine).prelink(*m);
  if (!pre.ok()) return name + ": " + pre.error().message;
  auto inst = pre->instantiate(store);
  if (!inst.ok()) return name + ": instantiation failed";
  instance = *inst;
  return "";
}

}  // namespace isola::test
