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

// Finds where in the guest the fault happened. The interpreter keeps its instruction
// pointer in a register at every memory access, as `pc` or already advanced to the next
// instruction, and its frame pointer `fp` in another. So: every register that points at
// an instruction of one of the store's lowered functions gives two candidates, that
// instruction and the one before it; every register that points into the value stack is
// a candidate frame. The faulting instruction is the memory access whose effective
// address, computed from its operands in such a frame, is the address that faulted.
// (If nothing matches, a pointer into code still names the right function.)
void locate(GuardedEntry& e, const ucontext_t* uc, const MemoryInst& mem, uintptr_t addr) {
#if defined(__x86_64__)
  const greg_t* regs = uc->uc_mcontext.gregs;
  constexpr int kRegs = NGREG;
#elif defined(__aarch64__)
  const unsigned long long* regs = uc->uc_mcontext.regs;
  constexpr int kRegs = 31;
#else
  (void)e; (void)uc; (void)mem; (void)addr;
  return;
#endif
#if defined(__x86_64__) || defined(__aarch64__)
  const uint64_t* stack_lo = e.store->stack.values.get();
  const uint64_t* stack_hi = e.store->stack.values_end;
  const uint64_t off = addr - reinterpret_cast<uintptr_t>(mem.base);
  auto matches = [&](const uint32_t* pc) {
    Access a = access_at(pc);
    if (a == Access::None) return false;
    for (int r = 0; r < kRegs; ++r) {
      auto fp = reinterpret_cast<const uint64_t*>(static_cast<uintptr_t>(regs[r]));
      if (fp < stack_lo || fp >= stack_hi || (reinterpret_cast<uintptr_t>(fp) & 7)) continue;
      uint64_t ea = 0;
      if (effective_address(a, pc, fp, stack_lo, stack_hi, ea) && off >= ea && off - ea < 8) return true;
    }
    return false;
  };
  for (const auto& inst : e.store->instances) {
    const ModuleData* md = inst->module.get();
    const size_t n = md->m.codes.size();
    for (size_t i = 0; i < n; ++i) {
      const interp::Code* c = md->code[i].load(std::memory_order_acquire);
      if (!c || c->words.empty()) continue;
      uintptr_t lo = reinterpret_cast<uintptr_t>(c->words.data());
      uintptr_t hi = lo + c->words.size() * sizeof(uint32_t);
      for (int r = 0; r < kRegs; ++r) {
        uintptr_t v = static_cast<uintptr_t>(regs[r]);
        if (v < lo || v >= hi || (v - lo) % sizeof(uint32_t) != 0) continue;
        // The instruction starting at or before v, and the one before that.
        uint32_t w = static_cast<uint32_t>((v - lo) / sizeof(uint32_t));
        const auto& offs = c->offsets;
        size_t k = 0, top = offs.size();
        while (k < top) {  // first entry starting after w
          size_t mid = (k + top) / 2;
          if (offs[mid].first <= w) k = mid + 1;
          else top = mid;
        }
        if (!e.code) {
          e.code = c;
          e.pc = reinterpret_cast<const uint32_t*>(v);
        }
        for (size_t back = 1; back <= 2 && back <= k; ++back) {
          const uint32_t* pc = c->words.data() + offs[k - back].first;
          if (offs[k - back].first + interp::kHandlerWords > c->words.size()) continue;
          if (matches(pc)) {
            e.code = c;
            e.pc = pc;
            return;
          }
        }
      }
    }
  }
#endif
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
