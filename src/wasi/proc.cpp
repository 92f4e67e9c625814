// proc_exit, proc_raise and sched_yield.
#include <sched.h>

#include "wasi/call.hpp"

namespace isola::wasi::detail {

// Ends the guest: the engine unwinds its stack and reports an Exit trap carrying the code,
// which the embedder turns into the exit status (wasi::run_command).
Errno proc_exit(Call& c) { c.caller.exit(static_cast<int>(c.u32(0))); }

// Signals are not part of the sandbox: a guest cannot signal anything, itself included.
// (wasi-libc's raise() calls this; it was removed from later WASI versions.)
Errno proc_raise(Call&) { return Errno::nosys; }

Errno sched_yield(Call&) {
  ::sched_yield();
  return Errno::success;
}

}  // namespace isola::wasi::detail
