// libFuzzer target: decode + validate arbitrary bytes as a WebAssembly module.
//
// Module::load must turn every input into either a Module or an Error: no crash, no
// sanitizer report, no hang, no unbounded allocation. On success we also walk the
// module's public metadata, which touches every decoded import, export and custom
// section (the code a host runs right after loading, e.g. `isola inspect`).
//
// Run it with scripts/fuzz.sh [SECONDS].
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "isola/engine.hpp"

namespace {

// Stops the run with a crash report; libFuzzer saves the input as an artifact.
[[noreturn]] void invariant_failed() { __builtin_trap(); }

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const isola::Engine engine;
  auto module = isola::Module::load(engine, std::span<const uint8_t>(data, size));
  if (!module) {
    // Errors must say what went wrong ("malformed: ..." / "invalid: ...").
    if (module.error().message.empty()) invariant_failed();
    return 0;
  }
  const isola::Module& m = *module;
  size_t sink = 0;
  for (const auto& imp : m.imports()) {
    sink += imp.module.size() + imp.name.size();
    if (imp.kind == isola::ExternKind::Func) sink += imp.func.to_string().size();
  }
  for (const auto& exp : m.exports()) {
    sink += exp.name.size() + exp.index;
    if (exp.kind == isola::ExternKind::Func) sink += exp.func.to_string().size();
    if (exp.kind == isola::ExternKind::Func) sink += m.func_name(exp.index).size();
  }
  for (const auto& name : m.custom_section_names()) {
    auto payload = m.custom_section(name);
    if (!payload) invariant_failed();  // a listed section must be retrievable
    sink += payload->size();
  }
  // Keep the walk from being optimised away.
  asm volatile("" : : "r"(sink) : "memory");
  return 0;
}
