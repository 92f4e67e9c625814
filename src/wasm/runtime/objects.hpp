// The runtime's objects: what a Store owns (functions, tables, memories, globals,
// instances) and what a Module carries once loaded. These are the structures behind the
// public handles of include/isola/engine.hpp.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

#include "isola/engine.hpp"
#include "wasm/interp/code.hpp"
#include "wasm/module.hpp"
#include "wasm/runtime/limits.hpp"
#include "wasm/runtime/pools.hpp"

namespace isola::rt {

// Process-wide canonical id for a function type, so call_indirect compares types across
// modules with one integer comparison.
uint32_t canonical_type_id(const FuncType& t);

struct ModuleData {
  wasm::Module m;
  // Lowered for the bounds-check interpreter (the loading engine's memory mode); such a
  // module instantiates only into stores of an engine with the same mode.
  bool bounds_checks = false;
  std::vector<uint32_t> type_ids;  // canonical id per type index
  // Lowered code per defined function, filled lazily on first call (see interp/lower.hpp).
  std::unique_ptr<std::atomic<const interp::Code*>[]> code;
  mutable std::mutex lower_mu;
  mutable std::vector<std::unique_ptr<interp::Code>> code_store;  // owns what `code` points to

  ModuleData() = default;
  ~ModuleData();
  // The lowered code of a defined function; lowers it on first use.
  const interp::Code* get_code(uint32_t func_index) const;
};

struct StoreData;
struct InstanceData;

struct FuncInst {
  uint32_t type_id = 0;
  const FuncType* type = nullptr;
  InstanceData* inst = nullptr;           // owning instance; null for host functions
  uint32_t index = 0;                     // index in the owning module's function space
  std::shared_ptr<const HostFunc> host;   // set for host functions
  StoreData* store = nullptr;
};

// A linear memory. Its address range comes from the engine's pool (pools.hpp). In
// guard-page mode `base` never moves and everything past `size` within the 8 GiB
// reservation faults (guard_faults.hpp turns that into the out-of-bounds trap); in
// bounds-check mode every access is compared with `size` and growing may move `base`.
struct MemoryInst {
  MemoryType type;
  StoreData* store = nullptr;
  EnginePools* pools = nullptr;
  uint8_t* base = nullptr;
  uint64_t size = 0;      // bytes accessible to the guest
  uint64_t reserved = 0;  // bytes of address space at base
  bool guarded = false;
  uint32_t pages() const { return static_cast<uint32_t>(size >> 16); }
  uint32_t max_pages() const { return type.limits.max ? *type.limits.max : 65536u; }

  MemoryInst() = default;
  ~MemoryInst();
  MemoryInst(const MemoryInst&) = delete;
  MemoryInst& operator=(const MemoryInst&) = delete;
  // Old size in pages, or -1 when the type's maximum, the store's limits or the host
  // refuse.
  int64_t grow(uint32_t delta);
};

// Address space one guard-page memory reserves: every address a 32-bit load or store can
// form (a 32-bit index plus a 32-bit offset, plus the access's width) lands inside it.
constexpr uint64_t kGuardReservation = (uint64_t{8} << 30) + 65536;

// A memory of type `t` for `sd`, at its minimum size, within the store's limits; nullptr
// with `error` set when a limit or the host refuses.
std::unique_ptr<MemoryInst> new_memory(StoreData& sd, const MemoryType& t, std::string& error);

// Tables have no address-space trick (unlike memories), so the engine bounds how many
// elements one table may hold: a module cannot make the host allocate gigabytes by
// declaring or growing a table. 2^24 elements is 128 MiB of references.
constexpr uint32_t kMaxTableElements = 1u << 24;

struct TableInst {
  TableType type;
  StoreData* store = nullptr;
  std::vector<uint64_t> elems;  // reference bits: FuncInst* for funcref, host pointer for externref; 0 = null
  uint32_t max() const { return type.limits.max ? *type.limits.max : UINT32_MAX; }
  int64_t grow(uint32_t delta, uint64_t init);
};

struct GlobalInst {
  GlobalType type;
  StoreData* store = nullptr;
  uint64_t value = 0;
};

struct InstanceData {
  std::shared_ptr<const ModuleData> module;
  StoreData* store = nullptr;
  std::vector<FuncInst*> funcs;
  std::vector<TableInst*> tables;
  std::vector<MemoryInst*> memories;
  std::vector<GlobalInst*> globals;
  // Element segments as evaluated references; a dropped segment becomes empty.
  std::vector<std::vector<uint64_t>> elems;
  std::vector<uint8_t> data_dropped;  // per data segment

  // What the instance defines itself (imports point elsewhere).
  std::unique_ptr<FuncInst[]> own_funcs;
  std::vector<std::unique_ptr<TableInst>> own_tables;
  std::vector<std::unique_ptr<MemoryInst>> own_memories;
  std::unique_ptr<GlobalInst[]> own_globals;

  MemoryInst* mem0() const { return memories.empty() ? nullptr : memories[0]; }
};

// A suspended caller: where to resume and with which frame.
struct Frame {
  const uint32_t* pc;
  uint64_t* fp;
  InstanceData* inst;
  const interp::Code* code;
};

// The interpreter's per-store machine state: one value stack and one call-frame stack.
struct ExecStack {
  std::unique_ptr<uint64_t[]> values;
  std::unique_ptr<Frame[]> frames;
  uint32_t max_depth = 0;
  uint64_t* values_end = nullptr;
  uint64_t* top = nullptr;  // first free slot; nested entries (host -> wasm) start here
  uint32_t depth = 0;       // current wasm call depth across nested entries
  // Guard-page mode only, for the fault handler (guard_faults.cpp): the running function's
  // code, updated at every call, return and host-call return, and the instruction of the
  // latest memory access, stored just before the access.
  const interp::Code* code_now = nullptr;
  const uint32_t* pc_now = nullptr;
};

struct StoreData {
  const Engine* engine = nullptr;
  StoreLimits limits;
  uint64_t memory_bytes = 0;  // sum of the store's memories' sizes
  uint64_t memory_limit_refusals = 0;  // memory.grow or new memories refused by `limits`
  uint32_t num_memories = 0, num_tables = 0;
  // Vectors, not deques: a store lives for one request in a serverless host, and
  // libstdc++'s deque allocates on construction; the objects themselves never move.
  std::vector<std::unique_ptr<FuncInst>> funcs;
  std::vector<std::unique_ptr<TableInst>> tables;
  std::vector<std::unique_ptr<MemoryInst>> memories;
  std::vector<std::unique_ptr<GlobalInst>> globals;
  std::vector<std::unique_ptr<InstanceData>> instances;
  ExecStack stack;
  // CPU limits: the stop-request word the interpreter checks (shared with InterruptHandles
  // and the deadline timer), and the fuel left while it has kFuelMetered set.
  std::shared_ptr<InterruptState> interrupt = std::make_shared<InterruptState>();
  int64_t fuel = 0;
  std::vector<std::pair<const void*, void*>> embedder_data;  // Store::set_data
  Store* owner = nullptr;

  ExecStack& exec();  // takes a value stack from the engine's pool on first use
  ~StoreData();       // gives it back
};

// What a host function's Caller refers to.
struct CallContext {
  StoreData* store;
  InstanceData* instance;  // may be null
};

}  // namespace isola::rt
