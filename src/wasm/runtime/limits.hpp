// Limits on a guest's CPU time and native stack: the stop-request word the interpreter
// checks at loop back-edges and function entries, the process-wide deadline timer that sets
// it, and the native stack guard on host -> wasm entry.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>

namespace isola::rt {

// Bits of InterruptState::flags. The interpreter tests the whole word for non-zero at every
// back-edge and function entry, so one load covers every reason to leave the fast path.
enum : uint32_t {
  kInterruptRequested = 1u << 0,  // InterruptHandle::interrupt()
  kDeadlinePassed = 1u << 1,      // set by the deadline timer
  kStopRequests = kInterruptRequested | kDeadlinePassed,
  // Not a request: the store meters fuel, so every check point must charge its cost.
  // Keeping it in the same word means an unmetered store pays one test, not two.
  kFuelMetered = 1u << 2,
};

// Shared by a store and its InterruptHandles (which may outlive it) and the timer.
struct InterruptState {
  std::atomic<uint32_t> flags{0};
  // The timer's entry for this store's deadline (id 0: none). Guarded by the timer's lock.
  std::chrono::steady_clock::time_point deadline{};
  uint64_t timer_id = 0;
  bool timer_used = false;  // ever armed; only the store's thread touches it
};

// Arms (replacing any earlier deadline) or disarms `s`'s deadline; both drop a deadline
// that has passed but not yet stopped a guest. A deadline already past sets the flag now.
void arm_deadline(const std::shared_ptr<InterruptState>& s, std::chrono::steady_clock::time_point t);
void disarm_deadline(InterruptState& s);

// True when less than `margin` bytes (at most a quarter of the thread's stack) are left on
// the calling thread's native stack, measured at the caller's frame.
bool native_stack_low(uint32_t margin);

}  // namespace isola::rt
