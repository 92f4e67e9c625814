#include "host/app/limiter.hpp"

namespace isola::host::app {

std::optional<ConcurrencyLimiter::Slot> ConcurrencyLimiter::try_acquire() {
  unsigned n = count_.load(std::memory_order_acquire);
  do {
    if (max_ != 0 && n >= max_) return std::nullopt;
  } while (!count_.compare_exchange_weak(n, n + 1, std::memory_order_acq_rel));
  return Slot(&count_);
}

}  // namespace isola::host::app
