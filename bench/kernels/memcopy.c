/* Memory copying: large memcpy between buffers, overlapping memmove, memset,
 * many small copies of varying size at pseudo-random offsets, and a
 * hand-written word copy loop. Exercises libc's memcpy/memmove/memset
 * (compiled to wasm in the wasm build) and plain loads/stores. */
#include <string.h>

#include "harness.h"

#define BUF_SIZE (2u * 1024 * 1024)
static uint8_t buf_a[BUF_SIZE];
static uint8_t buf_b[BUF_SIZE];

static uint64_t sample(const uint8_t *p, uint32_t n) {
  uint64_t h = 0;
  for (uint32_t i = 0; i < n; i += 4093) h = bench_mix(h, p[i]);
  return h;
}

BENCH_NOINLINE static void copy_words(uint32_t *dst, const uint32_t *src, uint32_t n) {
  /* Rotating while copying keeps the compiler from turning this into memcpy. */
  for (uint32_t i = 0; i < n; i++) dst[i] = (src[i] << 1) | (src[i] >> 31);
}

int32_t run(void) {
  BENCH_PARAM(big_rounds, 380);
  BENCH_PARAM(small_copies, 18000000);

  bench_rng rng = {42};
  for (uint32_t i = 0; i < BUF_SIZE; i += 8) {
    uint64_t v = bench_next64(&rng);
    memcpy(buf_a + i, &v, 8);
  }

  uint64_t h = 0;
  for (uint32_t r = 0; r < big_rounds; r++) {
    memcpy(buf_b, buf_a, BUF_SIZE);
    uint32_t shift = 1 + (r * 37) % 61;
    memmove(buf_b + shift, buf_b, BUF_SIZE - shift);  /* overlapping, forward */
    memmove(buf_a, buf_b + shift + 3, BUF_SIZE - shift - 3); /* backward */
    memset(buf_b + (r * 4099) % (BUF_SIZE / 2), (int)r, BUF_SIZE / 4);
    copy_words((uint32_t *)buf_a, (const uint32_t *)buf_b, BUF_SIZE / 8);
    h = bench_mix(h, sample(buf_a, BUF_SIZE));
  }

  for (uint32_t i = 0; i < small_copies; i++) {
    uint64_t v = bench_next64(&rng);
    uint32_t len = 1 + (uint32_t)(v & 255);
    uint32_t src = (uint32_t)(v >> 20) % (BUF_SIZE - 256);
    uint32_t dst = (uint32_t)(v >> 42) % (BUF_SIZE - 256);
    memcpy(buf_b + dst, buf_a + src, len);
    buf_a[src] ^= buf_b[dst + len / 2];
  }
  h = bench_mix(h, sample(buf_a, BUF_SIZE));
  h = bench_mix(h, sample(buf_b, BUF_SIZE));
  return bench_result(h);
}
