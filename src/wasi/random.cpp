// random_get: bytes from the kernel's CSPRNG (getrandom), written straight into the guest's
// buffer.
#include <sys/random.h>

#include <cerrno>

#include "wasi/call.hpp"

namespace isola::wasi::detail {

Errno random_get(Call& c) {
  uint8_t* p = c.mem.at(c.u32(0), c.u32(1));
  size_t left = c.u32(1);
  while (left > 0) {
    ssize_t n = getrandom(p, left, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      return from_host_errno(errno);
    }
    p += n;
    left -= static_cast<size_t>(n);
  }
  return Errno::success;
}

}  // namespace isola::wasi::detail
