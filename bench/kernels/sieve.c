/* Sieve of Eratosthenes over a byte array, repeated: byte loads and stores
 * with strides, plus a counting pass. */
#include "harness.h"

#define SIEVE_MAX (4u * 1024 * 1024)
static uint8_t composite[SIEVE_MAX + 1];

static uint64_t sieve(uint32_t n) {
  for (uint32_t i = 0; i <= n; i++) composite[i] = 0;
  composite[0] = composite[1] = 1;
  for (uint32_t i = 2; (uint64_t)i * i <= n; i++) {
    if (composite[i]) continue;
    for (uint32_t j = i * i; j <= n; j += i) composite[j] = 1;
  }
  uint32_t count = 0;
  uint64_t sum = 0;
  for (uint32_t i = 2; i <= n; i++) {
    if (!composite[i]) {
      count++;
      sum += i;
    }
  }
  return bench_mix(count, sum);
}

int32_t run(void) {
  BENCH_PARAM(rounds, 50);
  uint64_t h = 0;
  for (uint32_t r = 0; r < rounds; r++) {
    /* Vary the limit a little so no round is a copy of the previous one. */
    h = bench_mix(h, sieve(SIEVE_MAX - r * 1021u));
  }
  return bench_result(h);
}
