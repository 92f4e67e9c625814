// clock_res_get and clock_time_get: the four WASI clocks are the host's realtime,
// monotonic, process and thread CPU-time clocks, read through the vDSO where Linux has it.
#include <time.h>

#include <cerrno>

#include "wasi/call.hpp"

namespace isola::wasi::detail {
namespace {

bool host_clock(uint32_t id, clockid_t& out) {
  switch (static_cast<Clockid>(id)) {
    case Clockid::realtime: out = CLOCK_REALTIME; return true;
    case Clockid::monotonic: out = CLOCK_MONOTONIC; return true;
    case Clockid::process_cputime: out = CLOCK_PROCESS_CPUTIME_ID; return true;
    case Clockid::thread_cputime: out = CLOCK_THREAD_CPUTIME_ID; return true;
  }
  return false;
}

uint64_t ns(const timespec& t) { return static_cast<uint64_t>(t.tv_sec) * 1'000'000'000ull + static_cast<uint64_t>(t.tv_nsec); }

}  // namespace

Errno clock_res_get(Call& c) {
  clockid_t id;
  if (!host_clock(c.u32(0), id)) return Errno::inval;
  timespec t;
  if (clock_getres(id, &t) != 0) return from_host_errno(errno);
  c.mem.put_u64(c.u32(1), ns(t));
  return Errno::success;
}

// The precision argument is a hint the host may ignore; Linux clocks are read at their
// best resolution for the same cost.
Errno clock_time_get(Call& c) {
  clockid_t id;
  if (!host_clock(c.u32(0), id)) return Errno::inval;
  timespec t;
  if (clock_gettime(id, &t) != 0) return from_host_errno(errno);
  c.mem.put_u64(c.u32(2), ns(t));
  return Errno::success;
}

}  // namespace isola::wasi::detail
