// The engine's instantiation pools (see pools.hpp).
#include "wasm/runtime/pools.hpp"

#include <sys/mman.h>

#include <algorithm>
#include <cstring>

#include "wasm/runtime/objects.hpp"

namespace isola::rt {

void release_memory_slot(MemorySlot& slot) {
  if (slot.base) munmap(slot.base, slot.reserved);
  slot = MemorySlot{};
}

EnginePools::~EnginePools() {
  for (MemorySlot& s : guarded_) release_memory_slot(s);
  for (MemorySlot& s : unguarded_) release_memory_slot(s);
}

MemorySlot EnginePools::take_memory(bool guarded) {
  std::lock_guard lock(mu_);
  std::vector<MemorySlot>& free = guarded ? guarded_ : unguarded_;
  if (free.empty()) return {};
  MemorySlot s = free.back();
  free.pop_back();
  return s;
}

void EnginePools::give_memory(MemorySlot slot) {
  if (!slot.base) return;
  // Reset it outside the lock, so the next owner sees zeros. The first kKeepResident
  // bytes are zeroed with memset and stay resident: for the small memories of per-request
  // instances that is cheaper than madvise, whose TLB shootdown interrupts every core
  // running this process, followed by a page fault per page touched again. The rest goes
  // back to the kernel with madvise(MADV_DONTNEED) and costs no RAM while pooled. A slot
  // that cannot be reset is never reused.
  if (capacity_ == 0) {
    release_memory_slot(slot);
    return;
  }
  const uint64_t keep = std::min(slot.accessible, kKeepResident);
  if (keep) std::memset(slot.base, 0, keep);
  if (slot.accessible > keep && madvise(slot.base + keep, slot.accessible - keep, MADV_DONTNEED) != 0) {
    release_memory_slot(slot);
    return;
  }
  {
    std::lock_guard lock(mu_);
    std::vector<MemorySlot>& free = slot.guarded ? guarded_ : unguarded_;
    if (free.size() < capacity_) {
      free.push_back(slot);
      return;
    }
  }
  release_memory_slot(slot);
}

StackSlot EnginePools::take_stack() {
  std::lock_guard lock(mu_);
  if (stacks_.empty()) return {};
  StackSlot s = std::move(stacks_.back());
  stacks_.pop_back();
  return s;
}

void EnginePools::give_stack(StackSlot slot) {
  if (!slot.values) return;
  std::lock_guard lock(mu_);
  if (stacks_.size() < capacity_) stacks_.push_back(std::move(slot));
}

}  // namespace isola::rt
