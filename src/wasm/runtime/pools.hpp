// The engine's instantiation pools. A serverless host makes a Store and an instance per
// request; without pooling each one would mmap an 8 GiB memory reservation, mprotect its
// pages, malloc an 8 MiB value stack, and undo all of it afterwards: system calls that
// take the kernel's mm lock and stop scaling past a few threads. Instead, released memory
// reservations and value stacks go back to the engine, their pages handed back to the
// kernel with madvise(MADV_DONTNEED) (so they read as zero again, and cost no RAM), and
// the next store takes them from here.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

namespace isola::rt {

struct Frame;

// One linear memory's address range. `accessible` bytes from `base` are readable and
// writable; the rest of `reserved` is PROT_NONE (guard-page mode) or not mapped at all
// beyond `reserved` (bounds-check mode, where reserved == the mapping's length).
struct MemorySlot {
  uint8_t* base = nullptr;
  uint64_t reserved = 0;
  uint64_t accessible = 0;
  bool guarded = false;
};

// A value stack and call-frame stack for one store's interpreter.
struct StackSlot {
  std::unique_ptr<uint64_t[]> values;
  std::unique_ptr<Frame[]> frames;
  uint32_t value_slots = 0;
  uint32_t frame_slots = 0;
};

class EnginePools {
 public:
  // Bytes at the start of a released memory that are zeroed in place and kept resident
  // (see give_memory); the rest is returned to the kernel.
  static constexpr uint64_t kKeepResident = 256 * 1024;

  explicit EnginePools(uint32_t capacity) : capacity_(capacity) {}
  ~EnginePools();
  EnginePools(const EnginePools&) = delete;
  EnginePools& operator=(const EnginePools&) = delete;

  // A reset slot of the given kind, or an empty slot (base == nullptr) if none is free.
  MemorySlot take_memory(bool guarded);
  // Resets `slot` (its pages read as zero afterwards) and keeps it, or unmaps it when the
  // pool is full or pooling is off.
  void give_memory(MemorySlot slot);

  StackSlot take_stack();
  void give_stack(StackSlot slot);

 private:
  const uint32_t capacity_;
  std::mutex mu_;
  std::vector<MemorySlot> guarded_, unguarded_;
  std::vector<StackSlot> stacks_;
};

// Unmaps a slot's whole reservation.
void release_memory_slot(MemorySlot& slot);

}  // namespace isola::rt
