/* Integer loops: Collatz trajectory lengths (64-bit shifts, adds, branches),
 * Euclid's gcd (32-bit division and remainder) and a xorshift bit-mixing
 * loop. Tight loops with data-dependent branches: the bread and butter of an
 * interpreter's dispatch. */
#include "harness.h"

static uint32_t collatz_steps(uint64_t x) {
  uint32_t steps = 0;
  while (x != 1) {
    x = (x & 1) ? 3 * x + 1 : x >> 1;
    steps++;
  }
  return steps;
}

static uint32_t gcd(uint32_t a, uint32_t b) {
  while (b != 0) {
    uint32_t t = a % b;
    a = b;
    b = t;
  }
  return a;
}

int32_t run(void) {
  BENCH_PARAM(collatz_n, 1500000);
  BENCH_PARAM(gcd_n, 2000);
  BENCH_PARAM(mix_n, 60000000);

  uint64_t h = 0;
  uint32_t longest = 0, total = 0;
  for (uint32_t i = 1; i < collatz_n; i++) {
    uint32_t s = collatz_steps(i);
    total += s;
    if (s > longest) longest = s;
  }
  h = bench_mix(h, total);
  h = bench_mix(h, longest);

  uint32_t coprime = 0, gsum = 0;
  for (uint32_t a = 1; a <= gcd_n; a++) {
    for (uint32_t b = 1; b <= gcd_n; b += 3) {
      uint32_t g = gcd(a * 7919u + 1, b * 104729u + 3);
      gsum += g;
      coprime += (g == 1);
    }
  }
  h = bench_mix(h, gsum);
  h = bench_mix(h, coprime);

  uint32_t x = 2463534242u, acc = 0;
  for (uint32_t i = 0; i < mix_n; i++) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    acc += (x >> 3) ^ (acc << 1) ^ i;
  }
  h = bench_mix(h, acc);
  return bench_result(h);
}
