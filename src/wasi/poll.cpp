// poll_oneoff: waits until a clock subscription's time arrives or an fd subscription is
// ready. Host fds (stdio, sockets) are waited on with ppoll; files and in-memory streams
// are always ready, as regular files are on Linux.
#include <poll.h>
#include <sys/ioctl.h>
#include <time.h>

#include <cerrno>
#include <vector>

#include "wasi/call.hpp"

namespace isola::wasi::detail {
namespace {

constexpr uint32_t kMaxSubscriptions = 4096;

struct Sub {
  uint64_t userdata = 0;
  Eventtype type = Eventtype::clock;
  // clock
  clockid_t clock = CLOCK_MONOTONIC;
  uint64_t deadline = 0;  // absolute, on `clock`, in ns
  // fd
  Errno error = Errno::success;  // known before waiting (a bad fd)
  FdEntry* entry = nullptr;
  int pollfd_index = -1;
};

uint64_t now(clockid_t id) {
  timespec t;
  clock_gettime(id, &t);
  return static_cast<uint64_t>(t.tv_sec) * 1'000'000'000ull + static_cast<uint64_t>(t.tv_nsec);
}

struct Event {
  uint64_t userdata;
  Errno error;
  Eventtype type;
  uint64_t nbytes;
  uint16_t flags;
};

}  // namespace

Errno poll_oneoff(Call& c) {
  uint32_t in = c.u32(0), out = c.u32(1), n = c.u32(2);
  if (n == 0) return Errno::inval;
  if (n > kMaxSubscriptions) return Errno::inval;
  c.mem.at(in, uint64_t{n} * layout::kSubscriptionSize);
  c.mem.at(out, uint64_t{n} * layout::kEventSize);
  c.mem.at(c.u32(3), 4);

  std::vector<Sub> subs(n);
  std::vector<pollfd> pfds;
  for (uint32_t i = 0; i < n; ++i) {
    uint32_t p = in + i * layout::kSubscriptionSize;
    Sub& s = subs[i];
    s.userdata = c.mem.u64(p);
    uint8_t tag = c.mem.load<uint8_t>(p + 8);
    if (tag > static_cast<uint8_t>(Eventtype::fd_write)) return Errno::inval;
    s.type = static_cast<Eventtype>(tag);
    if (s.type == Eventtype::clock) {
      uint32_t id = c.mem.u32(p + 16);
      uint64_t timeout = c.mem.u64(p + 24);
      uint16_t flags = c.mem.load<uint16_t>(p + 40);
      switch (static_cast<Clockid>(id)) {
        case Clockid::realtime: s.clock = CLOCK_REALTIME; break;
        case Clockid::monotonic: s.clock = CLOCK_MONOTONIC; break;
        case Clockid::process_cputime: s.clock = CLOCK_PROCESS_CPUTIME_ID; break;
        case Clockid::thread_cputime: s.clock = CLOCK_THREAD_CPUTIME_ID; break;
        default: return Errno::inval;
      }
      if (flags & subclockflags::abstime) {
        s.deadline = timeout;
      } else {
        uint64_t t = now(s.clock);
        s.deadline = timeout > UINT64_MAX - t ? UINT64_MAX : t + timeout;
      }
    } else {
      s.entry = c.ctx.get(c.mem.u32(p + 16));
      if (!s.entry) {
        s.error = Errno::badf;
      } else if (s.entry->dir) {
        s.error = Errno::badf;
      } else if (Errno r = check_rights(*s.entry, right::poll_fd_readwrite); r != Errno::success) {
        s.error = r;
      } else if (int fd = s.entry->file->poll_fd(); fd >= 0) {
        s.pollfd_index = static_cast<int>(pfds.size());
        pfds.push_back({fd, static_cast<short>(s.type == Eventtype::fd_read ? POLLIN : POLLOUT), 0});
      }
    }
  }

  std::vector<Event> events;
  for (;;) {
    // Fds that need no waiting, and errors, are events now.
    for (const Sub& s : subs) {
      if (s.type == Eventtype::clock) continue;
      if (s.error != Errno::success) {
        events.push_back({s.userdata, s.error, s.type, 0, 0});
      } else if (s.pollfd_index < 0) {
        // A file: readable to its end, always writable.
        uint64_t nbytes = 0;
        if (s.type == Eventtype::fd_read) {
          auto st = s.entry->file->stat();
          auto pos = s.entry->file->seek(0, Whence::cur);
          if (st && pos && st->size > *pos) nbytes = st->size - *pos;
        }
        events.push_back({s.userdata, Errno::success, s.type, nbytes, 0});
      }
    }

    // With events already in hand, only look at which host fds are ready too; otherwise
    // wait for the earliest clock, or for ever if there is none. CPU-time clocks are
    // waited for in real time and checked again, which can only wake early.
    int64_t wait_ns = events.empty() ? -1 : 0;
    if (events.empty()) {
      for (const Sub& s : subs) {
        if (s.type != Eventtype::clock) continue;
        uint64_t t = now(s.clock);
        int64_t left = s.deadline > t ? static_cast<int64_t>(std::min<uint64_t>(s.deadline - t, INT64_MAX)) : 0;
        if (wait_ns < 0 || left < wait_ns) wait_ns = left;
      }
    }
    if (pfds.empty() && !events.empty()) break;
    timespec ts{};
    if (wait_ns >= 0) {
      ts.tv_sec = wait_ns / 1'000'000'000;
      ts.tv_nsec = wait_ns % 1'000'000'000;
    }
    for (pollfd& p : pfds) p.revents = 0;
    int r = ppoll(pfds.data(), pfds.size(), wait_ns >= 0 ? &ts : nullptr, nullptr);
    if (r < 0 && errno != EINTR) return from_host_errno(errno);
    if (r > 0) {
      for (const Sub& s : subs) {
        if (s.pollfd_index < 0) continue;
        const pollfd& p = pfds[static_cast<size_t>(s.pollfd_index)];
        if (!p.revents) continue;
        Event ev{s.userdata, Errno::success, s.type, 0, 0};
        if (p.revents & POLLNVAL) ev.error = Errno::badf;
        else if (p.revents & POLLERR) ev.error = Errno::io;
        if (p.revents & POLLHUP) ev.flags = eventrwflags::hangup;
        int avail = 0;
        if (s.type == Eventtype::fd_read && ioctl(p.fd, FIONREAD, &avail) == 0 && avail > 0)
          ev.nbytes = static_cast<uint64_t>(avail);
        events.push_back(ev);
      }
    }
    for (const Sub& s : subs)
      if (s.type == Eventtype::clock && now(s.clock) >= s.deadline)
        events.push_back({s.userdata, Errno::success, Eventtype::clock, 0, 0});
    if (!events.empty()) break;
  }

  for (size_t i = 0; i < events.size(); ++i) {
    uint32_t p = out + static_cast<uint32_t>(i) * layout::kEventSize;
    std::memset(c.mem.at(p, layout::kEventSize), 0, layout::kEventSize);
    c.mem.put_u64(p, events[i].userdata);
    c.mem.put_u16(p + 8, static_cast<uint16_t>(events[i].error));
    c.mem.put_u8(p + 10, static_cast<uint8_t>(events[i].type));
    c.mem.put_u64(p + 16, events[i].nbytes);
    c.mem.put_u16(p + 24, events[i].flags);
  }
  c.mem.put_u32(c.u32(3), static_cast<uint32_t>(events.size()));
  return Errno::success;
}

}  // namespace isola::wasi::detail
