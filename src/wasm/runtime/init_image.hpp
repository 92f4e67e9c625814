// What a new instance's globals, tables and element segments start as, worked out once
// when imports are resolved (Linker::prelink), so that instantiation copies arrays
// instead of evaluating constant expressions and applying segments one by one.
//
// In WebAssembly 2.0 a constant expression reads only constants, function references and
// imported immutable globals, so every initial value is fixed once the imports are:
// except function references to the instance's own functions, whose FuncInst addresses
// exist only per instance. Images hold those as their function index, tagged in bit 0
// (a FuncInst* is aligned, so its bit 0 is never set), and instantiation rebases them.
#pragma once

#include <cstdint>
#include <vector>

#include "wasm/module.hpp"

namespace isola::rt {

struct FuncInst;
struct GlobalInst;

// An image reference: 0 = null, (index << 1) | 1 = the instance's own function `index`
// (a defined function, or an imported host function, whose FuncInst the instance owns),
// anything else = that absolute reference (an imported wasm function, a global's value).
constexpr uint64_t own_func_ref(uint32_t index) { return (uint64_t{index} << 1) | 1; }
constexpr bool is_own_func_ref(uint64_t r) { return r & 1; }

// Defined tables with more elements than this in all are initialised per instance (8 MiB
// of image at most).
constexpr uint64_t kMaxImageElements = uint64_t{1} << 20;

struct InitImage {
  // Defined globals' initial bits, in order, and which of them hold an own-function
  // reference (global position, function index).
  std::vector<uint64_t> globals;
  std::vector<std::pair<uint32_t, uint32_t>> global_funcs;

  // When the module's active element segments all target its own tables, fit them and
  // read no global (whose value could be any host reference), `tables_ready` is set,
  // `tables` holds each defined table with the segments applied and `passive` each passive
  // segment's references (empty for the others). Otherwise instantiation applies the
  // segments itself, in order, as the spec describes: they may write into an imported
  // table or trap half-way.
  bool tables_ready = false;
  std::vector<std::vector<uint64_t>> tables;
  std::vector<std::vector<uint64_t>> passive;

  // Each data segment's offset (0 for passive ones).
  std::vector<uint32_t> data_offsets;
};

// `imported_funcs[i]` is the FuncInst of function import i when it is a wasm function
// (null for a host function, which the instance owns); `imported_globals` are the global
// imports in order.
InitImage build_init_image(const wasm::Module& m, const std::vector<const FuncInst*>& imported_funcs,
                           const std::vector<const GlobalInst*>& imported_globals);

// Copies `image` into `out`, rebasing own-function references onto `own_funcs`.
void materialize_refs(const std::vector<uint64_t>& image, FuncInst* own_funcs, std::vector<uint64_t>& out);

}  // namespace isola::rt
