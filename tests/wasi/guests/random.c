// random_get: empty requests, every byte of large and odd-sized buffers filled, successive
// calls differ, the bytes look uniform, nothing written outside the buffer. Also libc's
// getentropy and arc4random, which sit on it.
#include <unistd.h>

#include "check.h"

static int all_equal(const uint8_t* p, size_t n, uint8_t v) {
  for (size_t i = 0; i < n; i++)
    if (p[i] != v) return 0;
  return 1;
}

int main(void) {
  static uint8_t big[1 << 20];
  static uint8_t a[4096], b[4096];

  // Zero bytes: success, nothing written.
  a[0] = 0x11;
  CHECK_OK(__wasi_random_get(a, 0));
  CHECK_EQ(a[0], 0x11);

  // Odd sizes are filled exactly: the guard bytes after them stay.
  static const size_t sizes[] = {1, 3, 7, 31, 33, 255, 1000, 4093};
  for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
    size_t n = sizes[i];
    memset(a, 0, sizeof a);
    memset(b, 0, sizeof b);
    CHECK_OK(__wasi_random_get(a + 1, n));
    CHECK_OK(__wasi_random_get(b + 1, n));
    CHECK(a[0] == 0 && all_equal(a + 1 + n, sizeof a - 1 - n, 0),
          "random_get(%zu) writes only its buffer", n);
    if (n >= 7) CHECK(memcmp(a + 1, b + 1, n) != 0, "two random_get(%zu) calls differ", n);
  }

  // A megabyte, in one call: every 4 KiB page of it is filled (none left zero).
  memset(big, 0, sizeof big);
  CHECK_OK(__wasi_random_get(big, sizeof big));
  int zero_pages = 0;
  for (size_t off = 0; off < sizeof big; off += 4096)
    if (all_equal(big + off, 4096, 0)) zero_pages++;
  CHECK_EQ(zero_pages, 0);
  // Uniform enough: each byte value appears 4096 times on average in 1 MiB; 6+ sigma bounds.
  unsigned hist[256] = {0};
  for (size_t i = 0; i < sizeof big; i++) hist[big[i]]++;
  unsigned lo = UINT32_MAX, hi = 0;
  for (int v = 0; v < 256; v++) {
    if (hist[v] < lo) lo = hist[v];
    if (hist[v] > hi) hi = hist[v];
  }
  CHECK(lo > 3600 && hi < 4600, "byte histogram of 1 MiB is flat (min %u, max %u, mean 4096)", lo,
        hi);
  // Bits: about half of them set.
  unsigned long long ones = 0;
  for (size_t i = 0; i < sizeof big; i++) ones += (unsigned)__builtin_popcount(big[i]);
  CHECK(ones > 4150000ull && ones < 4240000ull, "about half the bits are set (got %llu of %u)",
        ones, (unsigned)(sizeof big * 8));
  // No long runs of a repeated 64-bit word (a stuck generator).
  uint64_t w0, w1;
  int repeats = 0;
  for (size_t i = 8; i < sizeof big; i += 8) {
    memcpy(&w0, big + i - 8, 8);
    memcpy(&w1, big + i, 8);
    if (w0 == w1) repeats++;
  }
  CHECK_EQ(repeats, 0);

  // libc.
  memset(a, 0, sizeof a);
  CHECK_LIBC_OK(getentropy(a, 256));
  CHECK(!all_equal(a, 256, 0), "getentropy filled its buffer");
  uint32_t r1 = arc4random(), r2 = arc4random(), r3 = arc4random();
  CHECK(!(r1 == r2 && r2 == r3), "arc4random varies");
  uint32_t u = arc4random_uniform(10);
  CHECK(u < 10, "arc4random_uniform(10) < 10 (got %u)", u);
  return finish();
}
