// Linear memories: reservation, growth and limits (see MemoryInst in objects.hpp).
#include <sys/mman.h>

#include <algorithm>
#include <cstdio>
#include <string>

#include "wasm/runtime/objects.hpp"

namespace isola::rt {
namespace {

constexpr uint64_t kPage = 65536;

std::string mib(uint64_t bytes) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "%.2f MiB", static_cast<double>(bytes) / (1024.0 * 1024.0));
  return buf;
}

// Makes [base, base+want) readable and writable and the rest of the slot's accessible
// range inaccessible again (guard-page mode).
bool set_accessible(MemorySlot& s, uint64_t want) {
  if (want > s.accessible) {
    if (mprotect(s.base + s.accessible, want - s.accessible, PROT_READ | PROT_WRITE) != 0) return false;
  } else if (want < s.accessible) {
    // Shrinking a reused slot: the pages are already zero (madvise), only the access goes.
    if (mprotect(s.base + want, s.accessible - want, PROT_NONE) != 0) return false;
  }
  s.accessible = want;
  return true;
}

// Maps or remaps a bounds-check-mode slot so that it holds at least `want` bytes.
bool ensure_mapped(MemorySlot& s, uint64_t want, uint64_t cap) {
  if (want <= s.reserved) return true;
  // Grow geometrically (up to the memory's maximum) so repeated memory.grow is amortised.
  uint64_t len = std::max(want, std::min(cap, s.reserved * 2));
  void* p;
  if (!s.base)
    p = mmap(nullptr, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  else
    p = mremap(s.base, s.reserved, len, MREMAP_MAYMOVE);
  if (p == MAP_FAILED) return false;
  s.base = static_cast<uint8_t*>(p);
  s.reserved = len;
  s.accessible = len;
  return true;
}

}  // namespace

std::unique_ptr<MemoryInst> new_memory(StoreData& sd, const MemoryType& t, std::string& error) {
  const StoreLimits& lim = sd.limits;
  if (sd.num_memories >= lim.max_memories) {
    error = "the store's limit of " + std::to_string(lim.max_memories) + " memories is reached";
    return nullptr;
  }
  const uint64_t bytes = uint64_t{t.limits.min} * kPage;
  if (bytes > lim.max_memory_bytes) {
    error = "memory needs " + std::to_string(t.limits.min) + " pages (" + mib(bytes) +
            "), past the store's limit of " + mib(lim.max_memory_bytes) + " per memory";
    ++sd.memory_limit_refusals;
    return nullptr;
  }
  if (bytes > lim.max_total_memory_bytes - std::min(lim.max_total_memory_bytes, sd.memory_bytes)) {
    error = "memory needs " + std::to_string(t.limits.min) + " pages (" + mib(bytes) + "), past the store's limit of " +
            mib(lim.max_total_memory_bytes) + " for all its memories (" + mib(sd.memory_bytes) + " in use)";
    ++sd.memory_limit_refusals;
    return nullptr;
  }

  auto m = std::make_unique<MemoryInst>();
  m->type = t;
  m->store = &sd;
  m->pools = &sd.engine->pools();
  const bool guarded = sd.engine->config().memory_mode == Engine::MemoryMode::GuardPages;
  MemorySlot slot = m->pools->take_memory(guarded);
  bool ok = true;
  if (guarded) {
    if (!slot.base) {
      void* p = mmap(nullptr, kGuardReservation, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
      if (p == MAP_FAILED) {
        error = "cannot reserve 8 GiB of address space for a memory (try the bounds-check memory mode)";
        return nullptr;
      }
      slot = MemorySlot{static_cast<uint8_t*>(p), kGuardReservation, 0, true};
    }
    ok = set_accessible(slot, bytes);
  } else {
    ok = ensure_mapped(slot, bytes, uint64_t{m->max_pages()} * kPage);
  }
  if (!ok) {
    // Its protection is now unknown: unmap it rather than risk reusing it.
    release_memory_slot(slot);
    error = "the host refused " + mib(bytes) + " for a memory";
    return nullptr;
  }
  m->base = slot.base;
  m->reserved = slot.reserved;
  m->guarded = guarded;
  m->size = bytes;
  sd.memory_bytes += bytes;
  ++sd.num_memories;
  return m;
}

MemoryInst::~MemoryInst() {
  if (!base) return;
  MemorySlot slot{base, reserved, guarded ? size : reserved, guarded};
  if (pools) pools->give_memory(slot);
  else release_memory_slot(slot);
}

int64_t MemoryInst::grow(uint32_t delta) {
  const uint64_t old_pages = size / kPage;
  const uint64_t new_pages = old_pages + delta;
  if (new_pages > max_pages()) return -1;
  const uint64_t add = uint64_t{delta} * kPage;
  if (store) {
    const StoreLimits& lim = store->limits;
    if (new_pages * kPage > lim.max_memory_bytes ||
        add > lim.max_total_memory_bytes - std::min(lim.max_total_memory_bytes, store->memory_bytes)) {
      ++store->memory_limit_refusals;
      return -1;
    }
  }
  if (delta == 0) return static_cast<int64_t>(old_pages);
  MemorySlot slot{base, reserved, guarded ? size : reserved, guarded};
  bool ok = guarded ? set_accessible(slot, new_pages * kPage)
                    : ensure_mapped(slot, new_pages * kPage, uint64_t{max_pages()} * kPage);
  base = slot.base;
  reserved = slot.reserved;
  if (!ok) return -1;
  size = new_pages * kPage;
  if (store) store->memory_bytes += add;
  return static_cast<int64_t>(old_pages);
}

}  // namespace isola::rt
