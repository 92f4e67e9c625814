// libFuzzer target: run what decodes and validates.
//
// Inputs that Module::load accepts are instantiated with stub imports and every export is
// called with zero arguments under a fuel budget (fuzz/exec_harness.hpp), twice: lowering
// lazily and lowering everything first. Any crash, sanitizer report or hang is a bug, and so
// is a difference between the two runs (results, traps, host calls, memory and globals, or
// fuel used: fuel is deterministic by design).
//
// Random bytes rarely form a valid module, so scripts/fuzz.sh seeds this target with modules
// that binaryen's `wasm-opt -ttf` generated; libFuzzer's mutations of them keep a useful
// fraction valid. Run it with scripts/fuzz.sh [SECONDS].
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <span>

#include "exec_harness.hpp"
#include "isola/engine.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const isola::Engine engine(isola::fuzz::engine_config());
  isola::fuzz::ExecOptions options;
  options.fuel = 1'000'000;
  auto failure = isola::fuzz::check_input(engine, std::span<const uint8_t>(data, size), options);
  if (failure) {
    std::fprintf(stderr, "fuzz_run: %s\n", failure->c_str());
    __builtin_trap();  // libFuzzer saves the input as a crash artifact
  }
  return 0;
}
