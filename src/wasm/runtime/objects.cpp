// Runtime objects: memories, tables, canonical type ids and lazily lowered code.
#include "wasm/runtime/objects.hpp"

#include <sys/mman.h>

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

namespace {
constexpr uint64_t kPage = 65536;
}

MemoryInst::MemoryInst(const MemoryType& t) : type(t) {
  // Reserve the largest size the memory may reach, so growing never moves it (host
  // pointers stay valid, and the interpreter only reloads the size). Address space is
  // reserved without backing; pages are committed by mprotect on growth.
  reserved = static_cast<uint64_t>(max_pages()) * kPage;
  if (reserved > 0) {
    void* p = mmap(nullptr, reserved, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED) throw std::bad_alloc();
    base = static_cast<uint8_t*>(p);
  }
  if (t.limits.min > 0 && grow(t.limits.min) < 0) throw std::bad_alloc();
}

MemoryInst::~MemoryInst() {
  if (base) munmap(base, reserved);
}

int64_t MemoryInst::grow(uint32_t delta) {
  uint64_t old_pages = size / kPage;
  uint64_t new_pages = old_pages + delta;
  if (new_pages > max_pages()) return -1;
  if (delta == 0) return static_cast<int64_t>(old_pages);
  if (mprotect(base + size, static_cast<uint64_t>(delta) * kPage, PROT_READ | PROT_WRITE) != 0) return -1;
  size = new_pages * kPage;
  return static_cast<int64_t>(old_pages);
}

int64_t TableInst::grow(uint32_t delta, uint64_t init) {
  uint64_t old = elems.size();
  uint64_t n = old + delta;
  if (n > max()) return -1;
  if (n > kMaxTableElements) return -1;
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
    stack.values = std::make_unique_for_overwrite<uint64_t[]>(c.value_stack_slots);
    stack.values_end = stack.values.get() + c.value_stack_slots;
    stack.top = stack.values.get();
    stack.max_depth = c.max_call_depth;
    stack.frames = std::make_unique_for_overwrite<Frame[]>(c.max_call_depth + 1);
  }
  return stack;
}

}  // namespace isola::rt
