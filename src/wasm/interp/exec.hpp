// The interpreter's entry point.
#pragma once

#include "isola/engine.hpp"
#include "wasm/runtime/objects.hpp"

namespace isola::interp {

// Thrown by Caller::trap / Caller::exit inside host functions; caught at the host call.
struct HostTrap {
  Trap trap;
};

// Calls `f` with its arguments in slots[0..params); results land in slots[0..results).
// `slots` must be the store stack's top (see rt::ExecStack) with room for
// max(params, results). Returns false and fills `trap` when execution traps.
bool invoke(rt::StoreData& store, rt::FuncInst* f, uint64_t* slots, Trap& trap);

}  // namespace isola::interp
