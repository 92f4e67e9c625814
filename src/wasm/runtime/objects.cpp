// Runtime objects: memories, tables, canonical type ids and lazily lowered code.
#include "wasm/runtime/objects.hpp"

#include <map>
#include <new>

#include "wasm/interp/code.hpp"
#include "wasm/interp/lower.hpp"

namespace isola::rt {

uint32_t canonical_type_id(const FuncType& t) {
  static std::mutex mu;
  static std::map<std::pair<std::vector<ValType>, std::vector<ValType>>, uint32_t> ids;
  std::lock_guard<std::mutex> lock(mu);
  auto [it, inserted] = ids.try_emplace({t.params, t.results}, static_cast<uint32_t>(ids.size()));
  return it->second;
}

ModuleData::~ModuleData() = default;

const interp::Code* ModuleData::get_code(uint32_t func_index) const {
  uint32_t i = func_index - m.num_imported_funcs;
  if (const interp::Code* c = code[i].load(std::memory_order_acquire)) return c;
  std::lock_guard<std::mutex> lock(lower_mu);
  if (const interp::Code* c = code[i].load(std::memory_order_relaxed)) return c;  // another thread won
  std::unique_ptr<interp::Code> c = interp::lower(*this, func_index);
  const interp::Code* p = c.get();
  code_store.push_back(std::move(c));
  code[i].store(p, std::memory_order_release);
  return p;
}

int64_t TableInst::grow(uint32_t delta, uint64_t init) {
  uint64_t old = elems.size();
  uint64_t n = old + delta;
  if (n > max()) return -1;
  if (n > kMaxTableElements) return -1;
  if (store && n > store->limits.max_table_elements) return -1;
  try {
    elems.resize(n, init);
  } catch (const std::bad_alloc&) {
    return -1;
  }
  return static_cast<int64_t>(old);
}

ExecStack& StoreData::exec() {
  if (!stack.values) {
    const Engine::Config& c = engine->config();
    StackSlot slot = engine->pools().take_stack();
    if (!slot.values || slot.value_slots != c.value_stack_slots || slot.frame_slots != c.max_call_depth + 1) {
      slot.values = std::make_unique_for_overwrite<uint64_t[]>(c.value_stack_slots);
      slot.frames = std::make_unique_for_overwrite<Frame[]>(c.max_call_depth + 1);
      slot.value_slots = c.value_stack_slots;
      slot.frame_slots = c.max_call_depth + 1;
    }
    stack.values = std::move(slot.values);
    stack.frames = std::move(slot.frames);
    stack.values_end = stack.values.get() + c.value_stack_slots;
    stack.top = stack.values.get();
    stack.max_depth = c.max_call_depth;
  }
  return stack;
}

StoreData::~StoreData() {
  // Instances and memories first (memories go back to the pool), then the stacks.
  instances.clear();
  memories.clear();
  if (stack.values) {
    const Engine::Config& c = engine->config();
    StackSlot slot;
    slot.values = std::move(stack.values);
    slot.frames = std::move(stack.frames);
    slot.value_slots = c.value_stack_slots;
    slot.frame_slots = c.max_call_depth + 1;
    engine->pools().give_stack(std::move(slot));
  }
}

}  // namespace isola::rt
