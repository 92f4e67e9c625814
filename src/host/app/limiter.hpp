// How many instances of one component may run at once. Beyond the limit a request is
// refused at once (503 with Retry-After) rather than queued: a queue in front of a slow
// component would only turn its slowness into everybody's latency and the host's memory.
#pragma once

#include <atomic>
#include <optional>

namespace isola::host::app {

class ConcurrencyLimiter {
 public:
  // 0 = unlimited.
  explicit ConcurrencyLimiter(unsigned max_concurrent = 0) : max_(max_concurrent) {}
  ConcurrencyLimiter(const ConcurrencyLimiter&) = delete;
  ConcurrencyLimiter& operator=(const ConcurrencyLimiter&) = delete;

  // Holds one slot until destroyed.
  class Slot {
   public:
    explicit Slot(std::atomic<unsigned>* count) : count_(count) {}
    Slot(Slot&& o) noexcept : count_(o.count_) { o.count_ = nullptr; }
    Slot& operator=(Slot&&) = delete;
    Slot(const Slot&) = delete;
    ~Slot() {
      if (count_) count_->fetch_sub(1, std::memory_order_acq_rel);
    }

   private:
    std::atomic<unsigned>* count_;
  };

  // A slot, or nullopt when `max` instances are already running.
  std::optional<Slot> try_acquire();

  unsigned running() const { return count_.load(std::memory_order_acquire); }
  unsigned max() const { return max_; }

 private:
  unsigned max_;
  std::atomic<unsigned> count_{0};
};

}  // namespace isola::host::app
