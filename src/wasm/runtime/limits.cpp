// Limits on guest CPU time and native stack: fuel, interruption and deadlines (the Store
// and InterruptHandle API), the process-wide deadline timer, and the native stack guard.
#include "wasm/runtime/limits.hpp"

#include <pthread.h>
#include <sched.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <condition_variable>
#include <map>
#include <mutex>
#include <thread>
#include <utility>

#include "isola/engine.hpp"
#include "wasm/runtime/objects.hpp"

namespace isola {
namespace rt {
namespace {

using Clock = std::chrono::steady_clock;

// One thread for the whole process sleeps until the earliest armed deadline and sets that
// store's kDeadlinePassed. A thread per store would not scale to thousands of stores, and
// reading the clock in the interpreter would cost time at every check; this way a running
// guest only ever tests one word, and the deadline reaches it within the timer thread's
// wake-up latency (typically well under a millisecond).
class DeadlineTimer {
 public:
  // Never destroyed: a store may be destroyed during static destruction, and the detached
  // thread must never see its state go away.
  static DeadlineTimer& get() {
    static DeadlineTimer* timer = new DeadlineTimer;
    return *timer;
  }

  void arm(const std::shared_ptr<InterruptState>& s, Clock::time_point t) {
    std::lock_guard<std::mutex> lock(mu_);
    remove(*s);
    s->flags.fetch_and(~kDeadlinePassed, std::memory_order_relaxed);
    if (t <= Clock::now()) {
      s->flags.fetch_or(kDeadlinePassed, std::memory_order_relaxed);
      return;
    }
    s->deadline = t;
    s->timer_id = next_id_++;
    auto it = queue_.emplace(Key{t, s->timer_id}, s).first;
    if (!running_) start();
    // Wake the thread only if this deadline comes before the time it already sleeps
    // until. A host that arms and clears a deadline per request would otherwise wake it
    // (two context switches) per request; this way it wakes about once per timeout
    // period, finds nothing due, and sleeps until the earliest deadline then armed.
    if (it == queue_.begin() && t < wake_at_) cv_->notify_one();
  }

  void disarm(InterruptState& s) {
    std::lock_guard<std::mutex> lock(mu_);
    remove(s);
    s.flags.fetch_and(~kDeadlinePassed, std::memory_order_relaxed);
  }

 private:
  using Key = std::pair<Clock::time_point, uint64_t>;  // (deadline, arming id): unique

  DeadlineTimer() {
    // A forked child has no timer thread and may inherit the lock mid-use: take the lock
    // across fork(), and give the child a fresh condition variable and its own thread.
    pthread_atfork([] { get().mu_.lock(); }, [] { get().mu_.unlock(); },
                   [] {
                     DeadlineTimer& t = get();
                     t.cv_ = new std::condition_variable;  // the old one may count a waiter that is gone
                     t.running_ = false;
                     t.wake_at_ = Clock::time_point::max();
                     if (!t.queue_.empty()) t.start();
                     t.mu_.unlock();
                   });
  }

  void remove(InterruptState& s) {
    if (s.timer_id == 0) return;
    queue_.erase(Key{s.deadline, s.timer_id});
    s.timer_id = 0;
  }

  void start() {  // with mu_ held
    std::thread([this] {
      raise_priority();
      run();
    }).detach();
    running_ = true;
  }

  // When every core is busy, a normal thread that wakes up waits for a scheduler tick or
  // more before it runs (measured: 10-40 ms at the 99th percentile with both cores of a
  // 2-core machine saturated), and every guest's deadline waits with it. This thread only
  // sets flags and sleeps again, so it may preempt: SCHED_FIFO at the lowest real-time
  // priority where that is permitted (root, CAP_SYS_NICE, an RLIMIT_RTPRIO), else the
  // best nice value it may take. The kernel's real-time throttling bounds what it could
  // take even if it misbehaved.
  static void raise_priority() {
    sched_param p{};
    p.sched_priority = sched_get_priority_min(SCHED_FIFO);
    if (pthread_setschedparam(pthread_self(), SCHED_FIFO, &p) == 0) return;
    for (int nice = -20; nice < 0; nice += 5)
      if (setpriority(PRIO_PROCESS, static_cast<id_t>(gettid()), nice) == 0) return;
  }

  void run() {
    std::unique_lock<std::mutex> lock(mu_);
    for (;;) {
      if (queue_.empty()) {
        wake_at_ = Clock::time_point::max();
        cv_->wait(lock);
        continue;
      }
      auto it = queue_.begin();
      if (Clock::time_point next = it->first.first; Clock::now() < next) {
        // By value: the entry may be erased while the lock is released during the wait.
        wake_at_ = next;
        cv_->wait_until(lock, next);
        continue;
      }
      if (std::shared_ptr<InterruptState> s = it->second.lock()) {
        s->flags.fetch_or(kDeadlinePassed, std::memory_order_relaxed);
        s->timer_id = 0;
      }
      queue_.erase(it);
    }
  }

  std::mutex mu_;
  std::condition_variable* cv_ = new std::condition_variable;  // replaced in a forked child
  std::map<Key, std::weak_ptr<InterruptState>> queue_;
  // When the thread will wake by itself (max while it waits for the queue to fill). A
  // disarmed deadline leaves it as it was: the thread wakes then, finds nothing due and
  // sleeps again, which is cheaper than waking it at every disarm.
  Clock::time_point wake_at_ = Clock::time_point::max();
  uint64_t next_id_ = 1;
  bool running_ = false;
};

}  // namespace

void arm_deadline(const std::shared_ptr<InterruptState>& s, Clock::time_point t) {
  s->timer_used = true;
  DeadlineTimer::get().arm(s, t);
}

void disarm_deadline(InterruptState& s) {
  // Stores that never had a deadline skip the process-wide lock: destroying a store is on
  // every request's path, on every thread.
  if (s.timer_used) DeadlineTimer::get().disarm(s);
}

bool native_stack_low(uint32_t margin) {
  struct Bounds {
    uintptr_t lo = 0;    // lowest usable address (stacks grow down)
    uintptr_t size = 0;  // 0: unknown, no check
  };
  // Per thread, computed once: pthread_getattr_np reads /proc/self/maps for the main thread.
  thread_local const Bounds bounds = [] {
    Bounds b;
    pthread_attr_t attr;
    if (pthread_getattr_np(pthread_self(), &attr) != 0) return b;
    void* addr = nullptr;
    size_t size = 0;
    if (pthread_attr_getstack(&attr, &addr, &size) == 0) {
      b.lo = reinterpret_cast<uintptr_t>(addr);
      b.size = size;
    }
    pthread_attr_destroy(&attr);
    return b;
  }();
  if (bounds.size == 0) return false;
  uintptr_t sp = reinterpret_cast<uintptr_t>(__builtin_frame_address(0));
  return sp < bounds.lo + std::min<uintptr_t>(margin, bounds.size / 4);
}

}  // namespace rt

// --- the public API ----------------------------------------------------------------------

void InterruptHandle::interrupt() const {
  if (s_) s_->flags.fetch_or(rt::kInterruptRequested, std::memory_order_relaxed);
}

bool InterruptHandle::pending() const {
  return s_ && (s_->flags.load(std::memory_order_relaxed) & rt::kStopRequests) != 0;
}

void Store::set_fuel(uint64_t units) {
  d_->fuel = static_cast<int64_t>(std::min<uint64_t>(units, INT64_MAX));
  d_->interrupt->flags.fetch_or(rt::kFuelMetered, std::memory_order_relaxed);
}

void Store::add_fuel(uint64_t units) {
  uint64_t left = fuel_remaining().value_or(0);
  set_fuel(units > UINT64_MAX - left ? UINT64_MAX : left + units);
}

void Store::disable_fuel() { d_->interrupt->flags.fetch_and(~rt::kFuelMetered, std::memory_order_relaxed); }

std::optional<uint64_t> Store::fuel_remaining() const {
  if (!(d_->interrupt->flags.load(std::memory_order_relaxed) & rt::kFuelMetered)) return std::nullopt;
  return static_cast<uint64_t>(d_->fuel);
}

InterruptHandle Store::interrupt_handle() const { return InterruptHandle(d_->interrupt); }

void Store::set_deadline(std::chrono::steady_clock::time_point deadline) { rt::arm_deadline(d_->interrupt, deadline); }

void Store::set_timeout(std::chrono::steady_clock::duration timeout) {
  auto now = std::chrono::steady_clock::now();
  auto latest = std::chrono::steady_clock::time_point::max();
  set_deadline(timeout > latest - now ? latest : now + timeout);  // no overflow for "forever"
}

void Store::clear_deadline() { rt::disarm_deadline(*d_->interrupt); }

}  // namespace isola
