// The guard-page fault handler (see guard_faults.hpp).
#include "wasm/runtime/guard_faults.hpp"

#include <signal.h>
#include <ucontext.h>

#include <cstdint>
#include <cstring>
#include <mutex>

#include "wasm/interp/code.hpp"
#include "wasm/runtime/objects.hpp"

// Start and end of the interpreter loop's section, defined by the linker.
extern "C" __attribute__((visibility("hidden"))) const char __start_isola_guest_access[];
extern "C" __attribute__((visibility("hidden"))) const char __stop_isola_guest_access[];

namespace isola::rt {
namespace {

thread_local GuardedEntry* tl_entry = nullptr;

struct sigaction previous_segv, previous_bus;

bool in_reservation(const MemoryInst* m, uintptr_t addr) {
  uintptr_t b = reinterpret_cast<uintptr_t>(m->base);
  return m->guarded && m->base && addr >= b && addr - b < m->reserved;
}

// Whether `addr` falls in a guard-page memory of `sd`. Runs in the signal handler: reads
// only, and the faulting thread is the one that owns the store, so nothing changes under it.
const MemoryInst* store_memory_at(const StoreData& sd, uintptr_t addr) {
  for (const auto& inst : sd.instances)
    for (const auto& m : inst->own_memories)
      if (in_reservation(m.get(), addr)) return m.get();
  for (const auto& m : sd.memories)
    if (in_reservation(m.get(), addr)) return m.get();
  return nullptr;
}

// Where in the guest the fault happened: the interpreter keeps the running function's code
// (at calls and returns) and the instruction of each memory access (just before it) where
// this handler reads them.
void locate(GuardedEntry& e) {
  const ExecStack& es = e.store->stack;
  const interp::Code* c = es.code_now;
  const uint32_t* pc = es.pc_now;
  if (!c || c->words.empty()) return;
  e.code = c;
  e.pc = pc && pc >= c->words.data() && pc < c->words.data() + c->words.size() ? pc : c->words.data();
}

uintptr_t fault_ip(const ucontext_t* uc) {
#if defined(__x86_64__)
  return static_cast<uintptr_t>(uc->uc_mcontext.gregs[REG_RIP]);
#elif defined(__aarch64__)
  return static_cast<uintptr_t>(uc->uc_mcontext.pc);
#else
  return 0;
#endif
}

void chain(int sig, siginfo_t* info, void* uctx) {
  const struct sigaction& prev = sig == SIGBUS ? previous_bus : previous_segv;
  if (prev.sa_flags & SA_SIGINFO) {
    prev.sa_sigaction(sig, info, uctx);
    return;
  }
  if (prev.sa_handler != SIG_DFL && prev.sa_handler != SIG_IGN) {
    prev.sa_handler(sig);
    return;
  }
  // Default action: restore it and return; the instruction faults again and the process
  // dies with the signal, as it would have without us.
  signal(sig, SIG_DFL);
}

void on_fault(int sig, siginfo_t* info, void* uctx) {
  GuardedEntry* e = tl_entry;
  auto* uc = static_cast<ucontext_t*>(uctx);
  if (e && e->store) {
    uintptr_t ip = fault_ip(uc);
    uintptr_t addr = reinterpret_cast<uintptr_t>(info->si_addr);
    if (ip >= reinterpret_cast<uintptr_t>(__start_isola_guest_access) &&
        ip < reinterpret_cast<uintptr_t>(__stop_isola_guest_access)) {
      if (store_memory_at(*e->store, addr)) {
        locate(*e);
        // SA_NODEFER left the signal unblocked, so jumping out of the handler is safe.
        __builtin_longjmp(e->jump, 1);
      }
    }
  }
  chain(sig, info, uctx);
}

}  // namespace

GuardedEntry*& current_guarded_entry() { return tl_entry; }

void install_guard_fault_handler() {
  static std::once_flag once;
  std::call_once(once, [] {
    struct sigaction sa;
    std::memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_fault;
    sigemptyset(&sa.sa_mask);
    // SA_NODEFER: the handler leaves by longjmp, never by sigreturn, so the signal must not
    // stay blocked. SA_ONSTACK: use an alternate stack if the thread has one.
    sa.sa_flags = SA_SIGINFO | SA_NODEFER | SA_ONSTACK;
    sigaction(SIGSEGV, &sa, &previous_segv);
    sigaction(SIGBUS, &sa, &previous_bus);
  });
}

}  // namespace isola::rt
