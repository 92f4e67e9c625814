// Runs a module the way binaryen's fuzz harness does, and describes what happened as JSON
// lines. Shared by the libFuzzer target fuzz_run, the replay driver isola_fuzz_exec (which
// the differential test and the regression tests use) and nothing else.
//
// The run: decode + validate; link every function import to a stub that records its
// arguments and returns zeros; instantiate; then call every exported function, in export
// order, with zero arguments (null references), calling the module's `hangLimitInitializer`
// export first when it has one (wasm-opt -ttf modules count down a global to stop endless
// loops and recursion, and that export resets it); finally describe every exported memory,
// global and table. Everything runs in one store with a fuel budget, so any input ends.
//
// Lines, one JSON object each (fuzz/differential.mjs prints the same ones from V8):
//   {"load":"error","message":"..."}                  and nothing follows
//   {"link":"skipped","reason":"..."}                 a non-function import; nothing follows
//   {"instantiate":"ok"} | {"instantiate":"trap","trap":"<class>","detail":"..."}
//   {"host":"fuzzing-support.log-i32","args":["i32:5"]}
//   {"call":"f","results":["i32:1","f64:0x3ff0000000000000"]}
//   {"call":"f","trap":"<class>","detail":"..."}
//   {"call":"f","skipped":"v128"}
//   {"memory":"m","pages":16,"hash":"0x811c9dc5"} | {"global":"g","value":"i64:-3"} |
//   {"table":"t","size":4}
// Values: i32:<signed decimal>, i64:<signed decimal>, f32:0x<8 hex digits of the bits>,
// f64:0x<16 hex digits>, funcref:null|funcref:func, externref:null|externref:ref. NaN bits are
// printed exactly; the differential comparison canonicalises them (the spec lets NaN payloads
// differ between engines).
// Trap classes: unreachable, int-div-zero, int-overflow, invalid-conversion, memory-oob,
// table-oob (index past the table: "undefined element", "out of bounds table access"),
// indirect-null-or-sig (null entry or signature mismatch: V8 cannot tell them apart),
// stack, fuel, host, exit, interrupted, deadline.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "isola/engine.hpp"

namespace isola::fuzz {

struct ExecOptions {
  // Work budget for the whole run (instantiation and every call), in fuel units.
  uint64_t fuel = 1'000'000;
  // Lower every function before the first call instead of lazily on first call.
  bool lower_all = false;
  // Hash at most this many bytes of each exported memory (a module may declare 4 GiB).
  uint64_t max_hashed_bytes = 4u << 20;
  // When set, the hashed bytes of the first exported memory are written to this file (to
  // find where two engines' memories differ: see fuzz/README.md).
  std::string dump_memory_path;
};

struct ExecReport {
  std::vector<std::string> lines;
  uint64_t fuel_used = 0;
  bool loaded = false;  // decoded and validated
};

const char* trap_class(TrapKind kind);

// The engine configuration every fuzz run uses: a shallower call stack than the default
// keeps each input fast under ASan, and deep recursion still reaches the limit and traps.
Engine::Config engine_config();

ExecReport exec_module(const Engine& engine, std::span<const uint8_t> bytes, const ExecOptions& options);

// The checks fuzz_run makes of one input: the run ends with values or traps (never a crash;
// the sanitizers and libFuzzer catch those), a module that loads reports its metadata
// consistently, and two runs, one lowering lazily and one lowering everything first, produce
// the same lines and use the same fuel (fuel is deterministic by design). Returns what went
// wrong, or nullopt.
std::optional<std::string> check_input(const Engine& engine, std::span<const uint8_t> bytes,
                                       const ExecOptions& options);

}  // namespace isola::fuzz
