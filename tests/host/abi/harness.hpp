// Shared by the ABI tests: load a module from the build tree and link it against the waPC
// imports and the WASI kernel, as the host does.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "host/abi/wapc.hpp"
#include "isola/engine.hpp"
#include "isola/wasi.hpp"

namespace isola::host::test {

inline std::string test_wasm(const std::string& name) { return std::string(ISOLA_ABI_TEST_WASM_DIR) + "/" + name; }
inline std::string example_wasm(const std::string& name) { return std::string(ISOLA_EXAMPLES_DIR) + "/" + name; }

// One module, pre-linked once; instantiate() gives a fresh instance per request.
struct Linked {
  Engine engine;
  std::optional<Module> module;
  std::optional<InstancePre> pre;

  explicit Linked(const std::string& path) {
    auto m = Module::load_file(engine, path);
    if (!m) throw std::runtime_error(path + ": " + m.error().message);
    module = *m;
    Linker linker(engine);
    wapc::add_to_linker(linker);
    wasi::add_to_linker(linker);
    auto p = linker.prelink(*module);
    if (!p) throw std::runtime_error(path + ": " + p.error().message);
    pre = *p;
  }
};

// A fresh waPC actor instance with its own store and session, initialized.
struct Actor {
  Store store;
  wapc::Session session;
  std::unique_ptr<wasi::Context> wasi;
  Instance instance;
  std::optional<wapc::Guest> guest;

  Actor(Linked& l, wapc::Limits limits = {}) : store(l.engine), session(limits) {
    auto ctx = wasi::Context::create(wasi::Config{});
    wasi = std::move(*ctx);
    wasi->attach(store);
    session.attach(store);
    auto inst = l.pre->instantiate(store);
    if (!inst) throw std::runtime_error("instantiate: " + inst.error().message);
    instance = *inst;
    auto g = wapc::Guest::bind(store, instance, session);
    if (!g) throw std::runtime_error("bind: " + g.error().message);
    guest.emplace(*g);
  }
};

inline std::vector<uint8_t> bytes(std::string_view s) { return std::vector<uint8_t>(s.begin(), s.end()); }
inline std::string text(const std::vector<uint8_t>& b) { return std::string(b.begin(), b.end()); }

// "85 a6 ..." for failure messages.
inline std::string hex(std::span<const uint8_t> b) {
  static const char* d = "0123456789abcdef";
  std::string s;
  for (uint8_t c : b) {
    if (!s.empty()) s.push_back(' ');
    s.push_back(d[c >> 4]);
    s.push_back(d[c & 15]);
  }
  return s;
}

}  // namespace isola::host::test
