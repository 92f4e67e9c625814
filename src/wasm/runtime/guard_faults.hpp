// Turning faults in guard-page memories into the out-of-bounds trap.
//
// In guard-page mode (Engine::MemoryMode::GuardPages) the interpreter's loads and stores
// carry no bounds check: a guest address past its memory's size lands in the PROT_NONE
// rest of the memory's 8 GiB reservation and the CPU faults. The SIGSEGV/SIGBUS handler
// installed here acts only when all three hold:
//   - the faulting thread is inside a guarded interpreter entry (a GuardedEntry is open),
//   - the faulting instruction lies in the guest-access code (the `isola_guest_access`
//     section, which holds the interpreter loop and nothing else),
//   - the faulting address lies inside a memory reservation of the entry's store.
// Then it unwinds to the entry (GuardedEntry::jump), which reports the trap. Any other
// fault is passed to the handler installed before ours (or the default action), so a bug
// in the host still crashes loudly, and sanitizers keep seeing their faults.
#pragma once

#include <cstdint>

namespace isola::interp {
struct Code;
}

namespace isola::rt {

struct StoreData;

// Installs the handler once per process; later calls do nothing.
void install_guard_fault_handler();

struct GuardedEntry {
  void* jump[5];  // __builtin_setjmp buffer, set by the entry before running guest code
  GuardedEntry* prev = nullptr;
  StoreData* store = nullptr;
  // Where the guest was, filled by the handler from ExecStack::code_now and pc_now: the
  // lowered function and the faulting access in it (null if not known).
  const interp::Code* code = nullptr;
  const uint32_t* pc = nullptr;
};

// This thread's innermost open entry (nested host -> wasm calls chain through `prev`).
GuardedEntry*& current_guarded_entry();

}  // namespace isola::rt
