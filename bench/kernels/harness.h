/* Shared harness for Isola's CPU benchmark kernels.
 *
 * Every kernel is one C file that defines `int32_t run(void)`. The same source
 * is built two ways:
 *   - wasm32-wasi reactor exporting `run`, with no imports at all;
 *   - native, linked with native_main.c, which calls run() and prints the result.
 * run() returns a deterministic checksum folded into 31 bits, so it reads the
 * same whether a host prints it as a signed or an unsigned i32.
 *
 * Rules for kernels: no stdio, no abort, no time, no libc call that needs a
 * WASI import (malloc/free/memcpy/memset/memmove are fine); use fixed-width
 * integer types only, so 32-bit wasm and 64-bit native compute the same thing.
 */
#ifndef ISOLA_BENCH_HARNESS_H
#define ISOLA_BENCH_HARNESS_H

#include <stddef.h>
#include <stdint.h>

#define BENCH_NOINLINE __attribute__((noinline))

/* The entry point every kernel defines. */
int32_t run(void);

/* Read a size parameter through a volatile so the optimiser cannot fold the
 * whole kernel into a constant at compile time. */
#define BENCH_PARAM(name, value)                      \
  static volatile uint32_t bench_param_##name = (value); \
  const uint32_t name = bench_param_##name

/* splitmix64: a small, well-mixed deterministic generator. */
typedef struct {
  uint64_t s;
} bench_rng;

static inline uint64_t bench_next64(bench_rng *r) {
  uint64_t z = (r->s += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

static inline uint32_t bench_next32(bench_rng *r) {
  return (uint32_t)(bench_next64(r) >> 32);
}

/* Uniform double in [0, 1). */
static inline double bench_next_double(bench_rng *r) {
  return (double)(bench_next64(r) >> 11) * (1.0 / 9007199254740992.0);
}

/* Fold a value into a running 64-bit checksum. */
static inline uint64_t bench_mix(uint64_t h, uint64_t v) {
  h ^= v + 0x9E3779B97F4A7C15ull + (h << 6) + (h >> 2);
  h *= 0xFF51AFD7ED558CCDull;
  return h ^ (h >> 32);
}

/* Fold the bit pattern of a double (results are bitwise deterministic:
 * same IEEE operations in the same order on both targets). */
static inline uint64_t bench_mix_double(uint64_t h, double d) {
  union {
    double d;
    uint64_t u;
  } v = {d};
  return bench_mix(h, v.u);
}

/* Final 31-bit checksum returned by run(). */
static inline int32_t bench_result(uint64_t h) {
  h ^= h >> 33;
  h *= 0xC4CEB9FE1A85EC53ull;
  h ^= h >> 29;
  return (int32_t)(h & 0x7FFFFFFFu);
}

#endif
