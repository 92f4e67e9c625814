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

// How each memory-accessing operation of the guard-page interpreter forms its effective
// address (see the LOAD/STORE macros of interp_loop.inc), so the handler can tell which
// instruction produced a faulting address. Indexed by IOp.
enum class Access : uint8_t {
  None,
  Load,         // a = U32(1), off = W(2)
  Store,        // a = U32(0), off = W(2)
  LoadIdx,      // a = U32(1) + (U32(2) << W(3)), off = W(4)
  LoadAdd,      // a = U32(1) + U32(2), off = W(3)
  LoadAddImm,   // a = U32(1) + W(2), off = W(3)
  StoreAdd,     // a = U32(0) + U32(1), off = W(3)
  StoreAddImm,  // a = U32(0) + W(1), off = W(3)
  OpLoad,       // a = U32(2), off = W(3)
};
constexpr size_t kOps = static_cast<size_t>(interp::IOp::Count);
Access access_of_op[kOps];
const void* handlers[kOps];

bool ends_with(const char* s, const char* suffix) {
  size_t n = std::strlen(s), k = std::strlen(suffix);
  return n >= k && std::strcmp(s + n - k, suffix) == 0;
}

void classify_operations() {
  static const char* const names[] = {
#define ISOLA_IOP_NAME(name, n) #name,
      ISOLA_IOPS(ISOLA_IOP_NAME)
#undef ISOLA_IOP_NAME
  };
  const void* const* table = interp::handler_table(false);
  for (size_t i = 0; i < kOps; ++i) {
    handlers[i] = table[i];
    const char* n = names[i];
    Access a = Access::None;
    if (ends_with(n, "AddLoad") || ends_with(n, "SubLoad") || ends_with(n, "MulLoad")) a = Access::OpLoad;
    else if (ends_with(n, "Idx") && std::strstr(n, "Load")) a = Access::LoadIdx;
    else if (ends_with(n, "LoadAddImm")) a = Access::LoadAddImm;
    else if (std::strstr(n, "Load") && ends_with(n, "Add")) a = Access::LoadAdd;
    else if (ends_with(n, "StoreAddImm") || ends_with(n, "Store8AddImm")) a = Access::StoreAddImm;
    else if (std::strstr(n, "Store") && ends_with(n, "Add")) a = Access::StoreAdd;
    else if (std::strstr(n, "Store")) a = Access::Store;  // also the *Imm value forms: a = U32(0), off = W(2)
    else if (std::strstr(n, "Load")) a = Access::Load;
    access_of_op[i] = a;
  }
}

Access access_at(const uint32_t* pc) {
  const void* h;
  std::memcpy(&h, pc, sizeof h);
  for (size_t i = 0; i < kOps; ++i)
    if (handlers[i] == h) return access_of_op[i];
  return Access::None;
}

// The effective address the instruction at `pc` forms with frame `fp`, or false when an
// operand slot lies outside the value stack [lo, hi).
bool effective_address(Access a, const uint32_t* pc, const uint64_t* fp, const uint64_t* lo, const uint64_t* hi,
                       uint64_t& ea) {
  auto w = [pc](int k) { return pc[interp::kHandlerWords + k]; };
  bool ok = true;
  auto u32 = [&](int k) -> uint32_t {
    const uint64_t* p = fp + w(k);
    if (p < lo || p >= hi) {
      ok = false;
      return 0;
    }
    return static_cast<uint32_t>(*p);
  };
  switch (a) {
    case Access::None: return false;
    case Access::Load: ea = uint64_t{u32(1)} + w(2); break;
    case Access::Store: ea = uint64_t{u32(0)} + w(2); break;
    case Access::LoadIdx: ea = uint64_t{static_cast<uint32_t>(u32(1) + (u32(2) << w(3)))} + w(4); break;
    case Access::LoadAdd: ea = uint64_t{static_cast<uint32_t>(u32(1) + u32(2))} + w(3); break;
    case Access::LoadAddImm: ea = uint64_t{static_cast<uint32_t>(u32(1) + w(2))} + w(3); break;
    case Access::StoreAdd: ea = uint64_t{static_cast<uint32_t>(u32(0) + u32(1))} + w(3); break;
    case Access::StoreAddImm: ea = uint64_t{static_cast<uint32_t>(u32(0) + w(1))} + w(3); break;
    case Access::OpLoad: ea = uint64_t{u32(2)} + w(3); break;
  }
  return ok;
}

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

// Finds where in the guest the fault happened. The interpreter tells which function is
// running and with which frame (ExecStack::code_now, fp_now, kept at calls and returns);
// the faulting instruction is the memory access of that function whose effective
// address, computed from its operands in that frame, is the address that faulted. Its
// operands still hold their values: the access faulted before writing anything. The
// interpreter's instruction pointer, which some register holds (pointing at the
// instruction or just past it), picks among several accesses that would all match.
void locate(GuardedEntry& e, const ucontext_t* uc, const MemoryInst& mem, uintptr_t addr) {
  const ExecStack& es = e.store->stack;
  const interp::Code* c = es.code_now;
  const uint64_t* fp = es.fp_now;
  if (!c || !fp || c->words.empty()) return;
  e.code = c;
  e.pc = c->words.data();
  const uint64_t* stack_lo = es.values.get();
  const uint64_t* stack_hi = es.values_end;
  const uint64_t off = addr - reinterpret_cast<uintptr_t>(mem.base);
  const uintptr_t lo = reinterpret_cast<uintptr_t>(c->words.data());
  const uintptr_t hi = lo + c->words.size() * sizeof(uint32_t);

#if defined(__x86_64__)
  const greg_t* regs = uc->uc_mcontext.gregs;
  constexpr int kRegs = NGREG;
#elif defined(__aarch64__)
  const unsigned long long* regs = uc->uc_mcontext.regs;
  constexpr int kRegs = 31;
#else
  (void)uc;
  constexpr int kRegs = 0;
  const uint64_t* regs = nullptr;
#endif
  // Distance from an instruction to the nearest register that points into this code.
  auto distance = [&](uintptr_t at) {
    uintptr_t best = UINTPTR_MAX;
    for (int r = 0; r < kRegs; ++r) {
      uintptr_t v = static_cast<uintptr_t>(regs[r]);
      if (v < lo || v >= hi) continue;
      uintptr_t d = v >= at ? v - at : at - v;
      if (d < best) best = d;
    }
    return best;
  };
  uintptr_t best_distance = UINTPTR_MAX;
  for (const auto& [word, wasm_offset] : c->offsets) {
    (void)wasm_offset;
    if (word + interp::kHandlerWords > c->words.size()) continue;
    const uint32_t* pc = c->words.data() + word;
    Access a = access_at(pc);
    if (a == Access::None) continue;
    uint64_t ea = 0;
    if (!effective_address(a, pc, fp, stack_lo, stack_hi, ea) || off < ea || off - ea >= 8) continue;
    uintptr_t d = distance(reinterpret_cast<uintptr_t>(pc));
    if (best_distance == UINTPTR_MAX || d < best_distance) {
      best_distance = d;
      e.pc = pc;
      if (d == UINTPTR_MAX) best_distance = UINTPTR_MAX - 1;  // matched, though no register helps
    }
  }
}

uintptr_t fault_ip(const ucontext_t* uc) {
#if defined(__x86_64__)
  return static_cast<uintptr_t>(uc->uc_mcontext.gregs[REG_RIP]);
#elif defined(__aarch64__)
  return static_cast<uintptr_t>(uc->uc_mcontext.pc);
#else
  (void)uc;
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
      if (const MemoryInst* mem = store_memory_at(*e->store, addr)) {
        locate(*e, uc, *mem, addr);
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
    classify_operations();
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
