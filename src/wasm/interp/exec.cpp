// The interpreter: direct-threaded execution of lowered code (see code.hpp).
//
// One C++ function (the loop in interp_loop.inc, compiled once per memory mode: guard
// pages or bounds checks) runs every wasm frame of a call; wasm-to-wasm calls push a Frame on
// the store's frame stack instead of recursing, so call depth is bounded by a counter,
// not by the native stack. Handlers read operands from frame slots (fp[i]), write
// results to frame slots, and jump straight to the next handler (computed goto).
// Only host calls leave the loop, through a helper that catches host traps. This file
// holds the entry points (invoke, and run_guarded, which turns a guard-page fault back
// into a trap) and the helpers the loop calls.
//
// Limits: loop back-edges (the Loop* branches) and function entries test the store's
// stop-request word (rt::InterruptState::flags) with one relaxed load. It is zero unless
// an interrupt or deadline is pending or fuel is metered; then limit_check charges fuel or
// traps. Every execution that does not end passes those points again and again, so a stop
// request is noticed within one loop iteration or call, and fuel always runs out.
#include "wasm/interp/exec.hpp"

#include <algorithm>
#include <atomic>
#include <bit>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "wasm/interp/code.hpp"
#include "wasm/interp/numeric.hpp"
#include "wasm/runtime/guard_faults.hpp"

namespace isola::interp {
namespace {

namespace num = wasm::num;

inline float f32_of(uint64_t s) { return std::bit_cast<float>(static_cast<uint32_t>(s)); }
inline double f64_of(uint64_t s) { return std::bit_cast<double>(s); }
inline uint64_t bits_of(float f) { return std::bit_cast<uint32_t>(f); }
inline uint64_t bits_of(double d) { return std::bit_cast<uint64_t>(d); }

#ifdef ISOLA_ACC_VERIFY
// An accumulator read (interp_loop.inc, RD) whose register disagrees with the slot it stands
// for: the lowering chose a variant where the value before it did not come from a producer.
[[noreturn]] inline void acc_mismatch(uint64_t acc, uint64_t slot) {
  std::fprintf(stderr, "isola: interpreter accumulator %#llx differs from its slot %#llx\n",
               static_cast<unsigned long long>(acc), static_cast<unsigned long long>(slot));
  std::abort();
}
inline uint64_t acc_verified(uint64_t acc, uint64_t slot) {
  if (acc != slot) acc_mismatch(acc, slot);
  return acc;
}
#endif

#ifdef ISOLA_OP_STATS
// Development aid (cmake -DCMAKE_CXX_FLAGS=-DISOLA_OP_STATS): counts executed operations
// and adjacent pairs, printed to stderr at exit, to choose fusions by measured frequency.
namespace op_stats {
constexpr size_t N = static_cast<size_t>(IOp::Count);
inline uint64_t singles[N];
inline uint64_t pairs[N][N];
inline size_t prev = N;
// Handler address -> operation, through the address's offset from the lowest handler.
struct Index {
  uintptr_t lo = UINTPTR_MAX;
  std::vector<uint16_t> op;
  Index() {
    const void* const* t = handler_table(false);
    uintptr_t hi = 0;
    for (size_t i = 0; i < N; ++i) {
      lo = std::min(lo, reinterpret_cast<uintptr_t>(t[i]));
      hi = std::max(hi, reinterpret_cast<uintptr_t>(t[i]));
    }
    op.assign(hi - lo + 1, static_cast<uint16_t>(N));
    for (size_t i = 0; i < N; ++i) op[reinterpret_cast<uintptr_t>(t[i]) - lo] = static_cast<uint16_t>(i);
  }
};
inline void count(const void* h) {
  static const Index index;
  size_t i = index.op[reinterpret_cast<uintptr_t>(h) - index.lo];
  ++singles[i];
  if (prev < N) ++pairs[prev][i];
  prev = i;
}
struct Report {
  ~Report() {
    static const char* const names[] = {
#define ISOLA_IOP_NAME(name, n) #name,
        ISOLA_IOPS(ISOLA_IOP_NAME)
#undef ISOLA_IOP_NAME
    };
    uint64_t total = 0;
    std::vector<std::pair<uint64_t, std::string>> v, p;
    for (size_t i = 0; i < N; ++i) {
      total += singles[i];
      if (singles[i]) v.emplace_back(singles[i], names[i]);
      for (size_t j = 0; j < N; ++j)
        if (pairs[i][j]) p.emplace_back(pairs[i][j], std::string(names[i]) + " " + names[j]);
    }
    std::sort(v.rbegin(), v.rend());
    std::sort(p.rbegin(), p.rend());
    std::fprintf(stderr, "op stats: %llu operations\n", static_cast<unsigned long long>(total));
    // ISOLA_OP_STATS_TOP=n prints the n most frequent operations and pairs (default 25).
    const char* top_env = std::getenv("ISOLA_OP_STATS_TOP");
    const size_t top = top_env ? std::strtoul(top_env, nullptr, 10) : 25;
    for (size_t k = 0; k < v.size() && k < top; ++k)
      std::fprintf(stderr, "  %5.2f%%  %s\n", 100.0 * v[k].first / total, v[k].second.c_str());
    std::fprintf(stderr, "pairs:\n");
    for (size_t k = 0; k < p.size() && k < top; ++k)
      std::fprintf(stderr, "  %5.2f%%  %s\n", 100.0 * p[k].first / total, p[k].second.c_str());
  }
} inline report;
}  // namespace op_stats
#endif

// Runs a host function; returns false (with `trap` filled) if it trapped.
__attribute__((noinline)) bool call_host(rt::StoreData& sd, rt::InstanceData* inst, rt::FuncInst* f,
                                         uint64_t* slots, Trap& trap) {
  rt::CallContext cc{&sd, inst};
  Caller caller(&cc);
  try {
    f->host->fn(caller, slots);
    return true;
  } catch (HostTrap& h) {
    trap = std::move(h.trap);
  } catch (const std::bad_alloc&) {
    trap.kind = TrapKind::Host;
    trap.message = "host function ran out of memory";
  } catch (const std::exception& e) {
    trap.kind = TrapKind::Host;
    trap.message = e.what();
  }
  return false;
}

__attribute__((noinline)) const Code* lower_now(const rt::ModuleData* md, uint32_t func_index) {
  return md->get_code(func_index);
}

inline const Code* code_of(const rt::ModuleData* md, uint32_t func_index) {
  const Code* c = md->code[func_index - md->m.num_imported_funcs].load(std::memory_order_acquire);
  return c ? c : lower_now(md, func_index);
}

#define ISOLA_RUN_LOOP run_guarded_loop
#define ISOLA_BOUNDS_CHECKS 0
#include "wasm/interp/interp_loop.inc"
#undef ISOLA_RUN_LOOP
#undef ISOLA_BOUNDS_CHECKS
#define ISOLA_RUN_LOOP run_checked_loop
#define ISOLA_BOUNDS_CHECKS 1
#include "wasm/interp/interp_loop.inc"
#undef ISOLA_RUN_LOOP
#undef ISOLA_BOUNDS_CHECKS

}  // namespace

const void* const* handler_table(bool bounds_checks) {
  static const void* const* const tables[2] = {
      [] {
        const void* const* t = nullptr;
        run_guarded_loop(nullptr, nullptr, nullptr, nullptr, nullptr, &t);
        return t;
      }(),
      [] {
        const void* const* t = nullptr;
        run_checked_loop(nullptr, nullptr, nullptr, nullptr, nullptr, &t);
        return t;
      }(),
  };
  return tables[bounds_checks ? 1 : 0];
}

namespace {

// Runs guard-page-mode code with a GuardedEntry open, so that a fault in one of the
// store's memories comes back here as the out-of-bounds trap (guard_faults.hpp). The
// interpreter's own state is restored as a trap would leave it; the fuel counter keeps
// its value from before the call (or the last host call), the closest value the store
// holds, since the interpreter's running count lived in a register.
__attribute__((noinline)) bool run_guarded(rt::StoreData& sd, rt::InstanceData* inst, const Code* c,
                                           uint64_t* slots, Trap& trap) {
  rt::GuardedEntry entry;
  rt::GuardedEntry*& current = rt::current_guarded_entry();
  entry.prev = current;
  entry.store = &sd;
  rt::ExecStack& es = sd.stack;
  const uint32_t depth = es.depth;
  uint64_t* const top = es.top;
  current = &entry;
  if (__builtin_setjmp(entry.jump) == 0) {
    bool ok = run_guarded_loop(&sd, inst, c, slots, &trap, nullptr);
    rt::current_guarded_entry() = entry.prev;
    return ok;
  }
  // Back from the fault handler.
  rt::current_guarded_entry() = entry.prev;
  es.depth = depth;
  es.top = top;
  trap = Trap{};
  trap.kind = TrapKind::MemoryOutOfBounds;
  const rt::ModuleData* md = inst->module.get();
  if (entry.code) {
    trap.func_index = entry.code->func_index;
    trap.offset = entry.code->wasm_offset(entry.pc);
    // The function may belong to another module of the store: find its names there.
    for (const auto& i : sd.instances) {
      const rt::ModuleData* m = i->module.get();
      size_t k = trap.func_index - m->m.num_imported_funcs;
      if (trap.func_index >= m->m.num_imported_funcs && k < m->m.codes.size() &&
          m->code[k].load(std::memory_order_relaxed) == entry.code) {
        md = m;
        break;
      }
    }
  } else {
    trap.func_index = c->func_index;  // not known exactly: the function the host called
  }
  if (trap.func_index < md->m.func_names.size()) trap.func_name = md->m.func_names[trap.func_index];
  return false;
}

}  // namespace

bool invoke(rt::StoreData& sd, rt::FuncInst* f, uint64_t* slots, Trap& trap) {
  // Host -> wasm -> host -> wasm ... recurses on the native stack (call_host, Func::call,
  // run): stop before it overflows. Wasm-to-wasm calls are bounded by max_call_depth.
  if (rt::native_stack_low(sd.engine->config().native_stack_margin)) {
    trap.kind = TrapKind::CallStackExhausted;
    if (f->inst) trap.func_index = f->index;
    return false;
  }
  rt::ExecStack& es = sd.exec();
  if (f->host) {
    uint64_t* saved = es.top;
    es.top = slots + std::max(f->type->params.size(), f->type->results.size());
    bool ok = call_host(sd, nullptr, f, slots, trap);
    es.top = saved;
    return ok;
  }
  rt::InstanceData* inst = f->inst;
  const Code* c = code_of(inst->module.get(), f->index);
  if (es.depth >= es.max_depth || slots + c->frame_slots > es.values_end) {
    trap.kind = TrapKind::CallStackExhausted;
    trap.func_index = f->index;
    return false;
  }
  std::memset(slots + c->num_params, 0, sizeof(uint64_t) * c->num_locals);
  uint64_t* saved = es.top;
  es.top = slots + c->frame_slots;
  bool ok = inst->module->bounds_checks ? run_checked_loop(&sd, inst, c, slots, &trap, nullptr)
                                        : run_guarded(sd, inst, c, slots, trap);
  es.top = saved;
  return ok;
}

}  // namespace isola::interp
