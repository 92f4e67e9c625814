// clock_res_get, clock_time_get: all four clocks, invalid ids, monotonic never goes back,
// realtime agrees with the host (HOST_TIME_NS, taken by the runner just before the start),
// CPU-time clocks advance with work, sleeps last at least as long as asked. Also libc's
// clock_gettime, time, gettimeofday, nanosleep and clock_nanosleep.
#include <sys/time.h>
#include <time.h>

#include "check.h"

static const __wasi_clockid_t kClocks[] = {__WASI_CLOCKID_REALTIME, __WASI_CLOCKID_MONOTONIC,
                                           __WASI_CLOCKID_PROCESS_CPUTIME_ID,
                                           __WASI_CLOCKID_THREAD_CPUTIME_ID};

static volatile uint64_t sink;

// Spins for `ms` of monotonic time.
static void burn_ms(unsigned ms) {
  uint64_t start = now_ns(__WASI_CLOCKID_MONOTONIC), x = 1;
  while (now_ns(__WASI_CLOCKID_MONOTONIC) - start < (uint64_t)ms * 1000000ull)
    for (int i = 0; i < 1000; i++) x = x * 6364136223846793005ull + 1442695040888963407ull;
  sink = x;
}

int main(void) {
  for (size_t i = 0; i < 4; i++) {
    __wasi_clockid_t id = kClocks[i];
    __wasi_timestamp_t res = 0, t = 0;
    CHECK_OK(__wasi_clock_res_get(id, &res));
    CHECK(res > 0 && res <= 1000000000ull, "clock %u resolution is in (0, 1 s] (got %llu ns)", id,
          (unsigned long long)res);
    CHECK_OK(__wasi_clock_time_get(id, 0, &t));
    CHECK_OK(__wasi_clock_time_get(id, 1, &t));
    CHECK_OK(__wasi_clock_time_get(id, UINT64_MAX, &t));
    CHECK(t > 0 || id >= __WASI_CLOCKID_PROCESS_CPUTIME_ID, "clock %u reads non-zero", id);
  }
  // Clock ids past the four: EINVAL, and the result is not written.
  static const __wasi_clockid_t bad[] = {4, 5, 100, 0x7fffffff, 0xffffffff};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    __wasi_timestamp_t t = 12345;
    CHECK_ERR(__wasi_clock_res_get(bad[i], &t), __WASI_ERRNO_INVAL);
    CHECK_ERR(__wasi_clock_time_get(bad[i], 1, &t), __WASI_ERRNO_INVAL);
    CHECK_EQ(t, 12345);
  }

  // Realtime is the host's time.
  const char* host = getenv("HOST_TIME_NS");
  REQUIRE(host != NULL, "HOST_TIME_NS is set by the runner");
  uint64_t host_ns = strtoull(host, NULL, 10);
  uint64_t real = now_ns(__WASI_CLOCKID_REALTIME);
  CHECK(real + 2000000000ull >= host_ns && real <= host_ns + 120000000000ull,
        "realtime is within [-2 s, +120 s] of the host's time at start (got %llu, host %llu)",
        (unsigned long long)real, (unsigned long long)host_ns);

  // Monotonic never goes back.
  uint64_t prev = now_ns(__WASI_CLOCKID_MONOTONIC), backwards = 0;
  for (int i = 0; i < 20000; i++) {
    uint64_t t = now_ns(__WASI_CLOCKID_MONOTONIC);
    if (t < prev) backwards++;
    prev = t;
  }
  CHECK_EQ(backwards, 0);
  // ... and it moves: 20000 reads cannot all see the same nanosecond, and a sleep shows.
  uint64_t m0 = now_ns(__WASI_CLOCKID_MONOTONIC);
  sleep_ms(20);
  uint64_t m1 = now_ns(__WASI_CLOCKID_MONOTONIC);
  CHECK(m1 - m0 >= 20000000ull, "a 20 ms sleep advances monotonic by >= 20 ms (got %llu ns)",
        (unsigned long long)(m1 - m0));
  CHECK(m1 - m0 < 10000000000ull, "a 20 ms sleep takes < 10 s (got %llu ns)",
        (unsigned long long)(m1 - m0));

  // CPU-time clocks: non-decreasing, and they advance while the guest computes.
  for (int c = 2; c < 4; c++) {
    __wasi_clockid_t id = kClocks[c];
    uint64_t c0 = now_ns(id), w0 = now_ns(__WASI_CLOCKID_MONOTONIC);
    burn_ms(40);
    uint64_t c1 = now_ns(id), w1 = now_ns(__WASI_CLOCKID_MONOTONIC);
    CHECK(c1 >= c0, "cpu clock %u does not go back (%llu then %llu)", id, (unsigned long long)c0,
          (unsigned long long)c1);
    CHECK(c1 - c0 >= 1000000ull, "40 ms of work advances cpu clock %u by >= 1 ms (got %llu ns)", id,
          (unsigned long long)(c1 - c0));
    if (id == __WASI_CLOCKID_THREAD_CPUTIME_ID)
      CHECK(c1 - c0 <= (w1 - w0) + 5000000ull,
            "thread cpu time does not outrun wall time (cpu %llu ns, wall %llu ns)",
            (unsigned long long)(c1 - c0), (unsigned long long)(w1 - w0));
  }

  // libc over the same calls.
  struct timespec ts, res;
  CHECK_LIBC_OK(clock_gettime(CLOCK_REALTIME, &ts));
  CHECK(ts.tv_sec + 2 >= (time_t)(host_ns / 1000000000ull), "clock_gettime(REALTIME) is now");
  CHECK_LIBC_OK(clock_getres(CLOCK_MONOTONIC, &res));
  CHECK(res.tv_sec == 0 && res.tv_nsec > 0, "clock_getres(MONOTONIC) is below a second");
  time_t now = time(NULL);
  CHECK(now + 2 >= (time_t)(host_ns / 1000000000ull) &&
            now <= (time_t)(host_ns / 1000000000ull) + 120,
        "time() is the host's time (got %lld)", (long long)now);
  struct timeval tv;
  CHECK_LIBC_OK(gettimeofday(&tv, NULL));
  CHECK(tv.tv_usec >= 0 && tv.tv_usec < 1000000, "gettimeofday's usec is in range");
  CHECK((long long)tv.tv_sec - (long long)now <= 1, "gettimeofday agrees with time()");

  struct timespec a, b;
  CHECK_LIBC_OK(clock_gettime(CLOCK_MONOTONIC, &a));
  struct timespec req = {0, 15000000};
  CHECK_LIBC_OK(nanosleep(&req, NULL));
  CHECK_LIBC_OK(clock_gettime(CLOCK_MONOTONIC, &b));
  long long slept = (b.tv_sec - a.tv_sec) * 1000000000ll + (b.tv_nsec - a.tv_nsec);
  CHECK(slept >= 15000000ll, "nanosleep(15 ms) sleeps >= 15 ms (got %lld ns)", slept);

  // An absolute sleep until monotonic + 25 ms.
  CHECK_LIBC_OK(clock_gettime(CLOCK_MONOTONIC, &a));
  struct timespec until = a;
  until.tv_nsec += 25000000;
  if (until.tv_nsec >= 1000000000) {
    until.tv_sec++;
    until.tv_nsec -= 1000000000;
  }
  CHECK_EQ(clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &until, NULL), 0);
  CHECK_LIBC_OK(clock_gettime(CLOCK_MONOTONIC, &b));
  CHECK(b.tv_sec > until.tv_sec || (b.tv_sec == until.tv_sec && b.tv_nsec >= until.tv_nsec),
        "clock_nanosleep(TIMER_ABSTIME) returns after its deadline");

  return finish();
}
