// poll_oneoff and sched_yield: relative and absolute clock subscriptions, zero and past
// timeouts, the earliest of several clocks, fd_read/fd_write readiness of files, stdout and
// stdin pipes (with data, at EOF, and idle until the host writes), bad fds and clocks.
//
//   poll.wasm clocks        --dir FIXTURE::/sandbox
//   poll.wasm stdin-data    stdin: a pipe holding "ping\n", then EOF
//   poll.wasm stdin-idle    stdin: a pipe that stays empty ~1.5 s, then gets "late\n"
#include <poll.h>
#include <sched.h>
#include <time.h>
#include <unistd.h>

#include "check.h"

#define MS 1000000ull

static uint64_t mono(void) { return now_ns(__WASI_CLOCKID_MONOTONIC); }

static __wasi_subscription_t clock_sub(uint64_t ud, __wasi_clockid_t id, uint64_t timeout,
                                       uint16_t flags) {
  __wasi_subscription_t s;
  memset(&s, 0, sizeof s);
  s.userdata = ud;
  s.u.tag = __WASI_EVENTTYPE_CLOCK;
  s.u.u.clock.id = id;
  s.u.u.clock.timeout = timeout;
  s.u.u.clock.precision = 0;
  s.u.u.clock.flags = flags;
  return s;
}
static __wasi_subscription_t fd_sub(uint64_t ud, uint8_t type, int fd) {
  __wasi_subscription_t s;
  memset(&s, 0, sizeof s);
  s.userdata = ud;
  s.u.tag = type;
  s.u.u.fd_read.file_descriptor = fd;
  return s;
}

static const __wasi_event_t* find_ev(const __wasi_event_t* ev, size_t n, uint64_t ud) {
  for (size_t i = 0; i < n; i++)
    if (ev[i].userdata == ud) return &ev[i];
  return NULL;
}

static void test_clocks(void) {
  __wasi_subscription_t s[8];
  __wasi_event_t ev[8];
  size_t n = 99;
  CHECK_ERR(__wasi_poll_oneoff(s, ev, 0, &n), __WASI_ERRNO_INVAL);

  // Relative monotonic.
  s[0] = clock_sub(0xdeadbeefcafebabeull, __WASI_CLOCKID_MONOTONIC, 30 * MS, 0);
  uint64_t t0 = mono();
  memset(ev, 0xff, sizeof ev);
  CHECK_OK(__wasi_poll_oneoff(s, ev, 1, &n));
  uint64_t dt = mono() - t0;
  CHECK_EQ(n, 1);
  CHECK(ev[0].userdata == 0xdeadbeefcafebabeull, "userdata comes back whole (got 0x%llx)",
        (unsigned long long)ev[0].userdata);
  CHECK_EQ(ev[0].error, 0);
  CHECK_EQ(ev[0].type, __WASI_EVENTTYPE_CLOCK);
  CHECK(dt >= 30 * MS && dt < 5000 * MS, "a 30 ms timeout waits >= 30 ms (%llu ns)",
        (unsigned long long)dt);

  // Absolute monotonic, in the future and in the past.
  t0 = mono();
  s[0] = clock_sub(7, __WASI_CLOCKID_MONOTONIC, t0 + 40 * MS,
                   __WASI_SUBCLOCKFLAGS_SUBSCRIPTION_CLOCK_ABSTIME);
  CHECK_OK(__wasi_poll_oneoff(s, ev, 1, &n));
  dt = mono() - t0;
  CHECK(n == 1 && ev[0].userdata == 7 && ev[0].type == __WASI_EVENTTYPE_CLOCK,
        "the absolute clock fires");
  CHECK(dt >= 40 * MS && dt < 5000 * MS,
        "an absolute deadline 40 ms ahead waits >= 40 ms (%llu ns)", (unsigned long long)dt);
  t0 = mono();
  s[0] = clock_sub(8, __WASI_CLOCKID_MONOTONIC, t0 > 1000 * MS ? t0 - 1000 * MS : 1,
                   __WASI_SUBCLOCKFLAGS_SUBSCRIPTION_CLOCK_ABSTIME);
  CHECK_OK(__wasi_poll_oneoff(s, ev, 1, &n));
  dt = mono() - t0;
  CHECK(n == 1 && ev[0].userdata == 8, "a deadline in the past fires");
  CHECK(dt < 500 * MS, "a deadline in the past fires at once (%llu ns)", (unsigned long long)dt);
  // Absolute realtime.
  uint64_t r0 = now_ns(__WASI_CLOCKID_REALTIME);
  t0 = mono();
  s[0] = clock_sub(9, __WASI_CLOCKID_REALTIME, r0 + 25 * MS,
                   __WASI_SUBCLOCKFLAGS_SUBSCRIPTION_CLOCK_ABSTIME);
  CHECK_OK(__wasi_poll_oneoff(s, ev, 1, &n));
  dt = mono() - t0;
  CHECK(n == 1 && ev[0].userdata == 9 && ev[0].error == 0, "the realtime deadline fires");
  CHECK(dt >= 15 * MS && dt < 5000 * MS, "a realtime deadline 25 ms ahead waits (%llu ns)",
        (unsigned long long)dt);

  // Relative realtime; zero timeout.
  t0 = mono();
  s[0] = clock_sub(10, __WASI_CLOCKID_REALTIME, 20 * MS, 0);
  CHECK_OK(__wasi_poll_oneoff(s, ev, 1, &n));
  CHECK(mono() - t0 >= 20 * MS, "a relative realtime timeout waits");
  t0 = mono();
  s[0] = clock_sub(11, __WASI_CLOCKID_MONOTONIC, 0, 0);
  CHECK_OK(__wasi_poll_oneoff(s, ev, 1, &n));
  CHECK(n == 1 && ev[0].userdata == 11, "a zero timeout fires");
  CHECK(mono() - t0 < 500 * MS, "a zero timeout fires at once");

  // The earliest of several clocks, and only it.
  t0 = mono();
  s[0] = clock_sub(100, __WASI_CLOCKID_MONOTONIC, 3000 * MS, 0);
  s[1] = clock_sub(101, __WASI_CLOCKID_MONOTONIC, 10 * MS, 0);
  s[2] = clock_sub(102, __WASI_CLOCKID_REALTIME, 2000 * MS, 0);
  CHECK_OK(__wasi_poll_oneoff(s, ev, 3, &n));
  dt = mono() - t0;
  CHECK(n == 1 && ev[0].userdata == 101, "the 10 ms clock of three fires alone (n=%zu, ud=%llu)", n,
        (unsigned long long)ev[0].userdata);
  CHECK(dt >= 10 * MS && dt < 1500 * MS, "... after 10 ms (%llu ns)", (unsigned long long)dt);

  // A clock that does not exist: an error in the event, or from the call.
  s[0] = clock_sub(12, 99, 1 * MS, 0);
  n = 0;
  __wasi_errno_t e = __wasi_poll_oneoff(s, ev, 1, &n);
  CHECK((e == __WASI_ERRNO_INVAL) ||
            (e == 0 && n == 1 && ev[0].userdata == 12 && ev[0].error == __WASI_ERRNO_INVAL),
        "a bad clock id: EINVAL (call %s, n=%zu, event error %s)", errname(e), n,
        errname(n ? ev[0].error : 0));

  // Many clocks at once: all that expired are reported.
  for (int i = 0; i < 8; i++) s[i] = clock_sub(200 + i, __WASI_CLOCKID_MONOTONIC, 0, 0);
  CHECK_OK(__wasi_poll_oneoff(s, ev, 8, &n));
  CHECK(n >= 1 && n <= 8, "expired clocks are reported (n=%zu)", n);
}

static void test_fds(void) {
  int root = preopen_fd("/sandbox");
  REQUIRE(root >= 0, "a preopen named /sandbox");
  int fd;
  REQUIRE(CHECK_OK(open_ro(root, "hello.txt", 1, &fd)), "open hello.txt");
  __wasi_subscription_t s[4];
  __wasi_event_t ev[4];
  size_t n = 0;
  // A regular file is always ready; nbytes says how much is left to read.
  s[0] = fd_sub(1, __WASI_EVENTTYPE_FD_READ, fd);
  s[1] = clock_sub(2, __WASI_CLOCKID_MONOTONIC, 5000 * MS, 0);
  uint64_t t0 = mono();
  CHECK_OK(__wasi_poll_oneoff(s, ev, 2, &n));
  CHECK(mono() - t0 < 3000 * MS, "a file is ready at once");
  const __wasi_event_t* e = find_ev(ev, n, 1);
  CHECK(n == 1 && e != NULL, "only the file's event (n=%zu)", n);
  if (e) {
    CHECK_EQ(e->type, __WASI_EVENTTYPE_FD_READ);
    CHECK_EQ(e->error, 0);
    CHECK_EQ(e->fd_readwrite.nbytes, 16);  // "Hello, sandbox!\n"
  }
  char buf[8];
  __wasi_iovec_t iov = {(uint8_t*)buf, 6};
  CHECK_OK(__wasi_fd_read(fd, &iov, 1, &n));
  CHECK_OK(__wasi_poll_oneoff(s, ev, 1, &n));
  CHECK(n == 1 && ev[0].fd_readwrite.nbytes == 10, "nbytes is what remains after a read (got %llu)",
        (unsigned long long)ev[0].fd_readwrite.nbytes);

  // Writable: a file opened for writing, and stdout.
  int wfd;
  CHECK_OK(open_at(root, "poll-out.txt", __WASI_OFLAGS_CREAT, 0, &wfd));
  s[0] = fd_sub(3, __WASI_EVENTTYPE_FD_WRITE, wfd);
  s[1] = fd_sub(4, __WASI_EVENTTYPE_FD_WRITE, 1);
  s[2] = fd_sub(5, __WASI_EVENTTYPE_FD_READ, fd);
  s[3] = clock_sub(6, __WASI_CLOCKID_MONOTONIC, 5000 * MS, 0);
  t0 = mono();
  CHECK_OK(__wasi_poll_oneoff(s, ev, 4, &n));
  CHECK(mono() - t0 < 3000 * MS, "files and stdout are ready at once");
  CHECK_EQ(n, 3);
  CHECK((e = find_ev(ev, n, 3)) && e->type == __WASI_EVENTTYPE_FD_WRITE && e->error == 0,
        "the file is writable");
  CHECK((e = find_ev(ev, n, 4)) && e->type == __WASI_EVENTTYPE_FD_WRITE && e->error == 0,
        "stdout is writable");
  CHECK(find_ev(ev, n, 6) == NULL, "the 5 s clock did not fire");
  CHECK_OK(__wasi_fd_close(wfd));

  // A bad fd: EBADF in its event (or from the call).
  s[0] = fd_sub(7, __WASI_EVENTTYPE_FD_READ, 9999);
  s[1] = clock_sub(8, __WASI_CLOCKID_MONOTONIC, 2000 * MS, 0);
  n = 0;
  t0 = mono();
  __wasi_errno_t err = __wasi_poll_oneoff(s, ev, 2, &n);
  e = err == 0 ? find_ev(ev, n, 7) : NULL;
  CHECK(err == __WASI_ERRNO_BADF || (e && e->error == __WASI_ERRNO_BADF),
        "fd_read on a bad fd: EBADF (call %s, event %s)", errname(err),
        e ? errname(e->error) : "none");
  CHECK(mono() - t0 < 1500 * MS, "a bad fd is reported at once");
  s[0] = fd_sub(9, __WASI_EVENTTYPE_FD_WRITE, fd + 100);
  err = __wasi_poll_oneoff(s, ev, 1, &n);
  e = err == 0 ? find_ev(ev, n, 9) : NULL;
  CHECK(err == __WASI_ERRNO_BADF || (e && e->error == __WASI_ERRNO_BADF),
        "fd_write on a bad fd: EBADF (call %s, event %s)", errname(err),
        e ? errname(e->error) : "none");
  CHECK_OK(__wasi_fd_close(fd));

  // libc: poll() and sleeping.
  t0 = mono();
  CHECK_EQ(poll(NULL, 0, 25), 0);
  CHECK(mono() - t0 >= 25 * MS, "poll(NULL, 0, 25) sleeps 25 ms");
  struct pollfd pfd = {.fd = 1, .events = POLLOUT};
  CHECK_EQ(poll(&pfd, 1, 1000), 1);
  CHECK(pfd.revents & POLLOUT, "poll() says stdout is writable");
  t0 = mono();
  CHECK_LIBC_OK(usleep(10000));
  CHECK(mono() - t0 >= 10 * MS, "usleep(10000) sleeps 10 ms");
  CHECK_EQ(sched_yield(), 0);
  CHECK_OK(__wasi_sched_yield());
}

static void test_stdin_data(void) {
  __wasi_subscription_t s[2];
  __wasi_event_t ev[2];
  size_t n = 0;
  s[0] = fd_sub(1, __WASI_EVENTTYPE_FD_READ, 0);
  s[1] = clock_sub(2, __WASI_CLOCKID_MONOTONIC, 5000 * MS, 0);
  // The runner wrote "ping\n" and closed the pipe; it may take a moment to arrive.
  uint64_t t0 = mono();
  CHECK_OK(__wasi_poll_oneoff(s, ev, 2, &n));
  CHECK(mono() - t0 < 4000 * MS, "stdin with data is ready before the 5 s clock");
  const __wasi_event_t* e = find_ev(ev, n, 1);
  CHECK(e && e->type == __WASI_EVENTTYPE_FD_READ && e->error == 0, "stdin's fd_read event");
  char buf[64];
  size_t len = 0;
  CHECK_OK(read_all(0, buf, sizeof buf, &len));
  CHECK_MEM(buf, len, "ping\n");
  // At EOF stdin stays ready (reads return 0): no waiting for the clock.
  t0 = mono();
  CHECK_OK(__wasi_poll_oneoff(s, ev, 2, &n));
  CHECK(mono() - t0 < 4000 * MS, "stdin at EOF is ready at once");
  e = find_ev(ev, n, 1);
  CHECK(e && e->error == 0 &&
            (e->fd_readwrite.nbytes == 0 ||
             (e->fd_readwrite.flags & __WASI_EVENTRWFLAGS_FD_READWRITE_HANGUP)),
        "stdin at EOF: an event with nbytes 0 or HANGUP");
  __wasi_iovec_t iov = {(uint8_t*)buf, sizeof buf};
  CHECK_OK(__wasi_fd_read(0, &iov, 1, &len));
  CHECK_EQ(len, 0);
}

static void test_stdin_idle(void) {
  __wasi_subscription_t s[2];
  __wasi_event_t ev[2];
  size_t n = 0;
  s[0] = fd_sub(1, __WASI_EVENTTYPE_FD_READ, 0);
  s[1] = clock_sub(2, __WASI_CLOCKID_MONOTONIC, 300 * MS, 0);
  uint64_t t0 = mono();
  CHECK_OK(__wasi_poll_oneoff(s, ev, 2, &n));
  uint64_t dt = mono() - t0;
  CHECK(n == 1 && ev[0].userdata == 2 && ev[0].type == __WASI_EVENTTYPE_CLOCK,
        "an empty stdin pipe is not ready: the 300 ms clock fires (n=%zu, ud=%llu)", n,
        (unsigned long long)ev[0].userdata);
  CHECK(dt >= 300 * MS, "... after 300 ms (%llu ns)", (unsigned long long)dt);
  // The host writes after ~1.5 s: poll wakes up for it, well before the 10 s clock.
  s[1] = clock_sub(3, __WASI_CLOCKID_MONOTONIC, 10000 * MS, 0);
  t0 = mono();
  CHECK_OK(__wasi_poll_oneoff(s, ev, 2, &n));
  dt = mono() - t0;
  const __wasi_event_t* e = find_ev(ev, n, 1);
  CHECK(e && e->type == __WASI_EVENTTYPE_FD_READ && e->error == 0,
        "stdin becomes ready when the host writes");
  CHECK(dt < 9000 * MS, "... before the 10 s clock (%llu ns)", (unsigned long long)dt);
  CHECK(dt >= 200 * MS, "... and not at once (%llu ns)", (unsigned long long)dt);
  char buf[64];
  size_t len = 0;
  CHECK_OK(read_all(0, buf, sizeof buf, &len));
  CHECK_MEM(buf, len, "late\n");
}

int main(int argc, char** argv) {
  REQUIRE(argc == 2, "usage: poll.wasm clocks|stdin-data|stdin-idle");
  if (!strcmp(argv[1], "clocks")) {
    test_clocks();
    test_fds();
  } else if (!strcmp(argv[1], "stdin-data")) {
    test_stdin_data();
  } else if (!strcmp(argv[1], "stdin-idle")) {
    test_stdin_idle();
  } else {
    REQUIRE(0, "unknown mode %s", argv[1]);
  }
  return finish();
}
