/* Dense matrix multiply in double precision, C = A * B with the cache-friendly
 * i-k-j loop order, then C is fed back as the next A (scaled so values stay
 * bounded). Also an int32 matrix multiply. Floating-point loads, multiplies
 * and adds in an inner loop the native compiler can vectorise. */
#include <stdlib.h>

#include "harness.h"

static void matmul_f64(double *c, const double *a, const double *b, uint32_t n) {
  for (uint32_t i = 0; i < n * n; i++) c[i] = 0.0;
  for (uint32_t i = 0; i < n; i++) {
    double *ci = c + (size_t)i * n;
    for (uint32_t k = 0; k < n; k++) {
      double aik = a[(size_t)i * n + k];
      const double *bk = b + (size_t)k * n;
      for (uint32_t j = 0; j < n; j++) ci[j] += aik * bk[j];
    }
  }
}

static void matmul_i32(uint32_t *c, const uint32_t *a, const uint32_t *b, uint32_t n) {
  for (uint32_t i = 0; i < n; i++) {
    for (uint32_t j = 0; j < n; j++) {
      uint32_t s = 0;
      for (uint32_t k = 0; k < n; k++) s += a[(size_t)i * n + k] * b[(size_t)k * n + j];
      c[(size_t)i * n + j] = s;
    }
  }
}

int32_t run(void) {
  BENCH_PARAM(n, 240);
  BENCH_PARAM(rounds, 140);
  BENCH_PARAM(ni, 256);

  size_t cells = (size_t)n * n;
  double *a = (double *)malloc(cells * sizeof(double));
  double *b = (double *)malloc(cells * sizeof(double));
  double *c = (double *)malloc(cells * sizeof(double));
  if (!a || !b || !c) return -1;
  bench_rng rng = {99};
  for (size_t i = 0; i < cells; i++) {
    a[i] = bench_next_double(&rng) - 0.5;
    b[i] = (bench_next_double(&rng) - 0.5) * (2.0 / n);
  }

  uint64_t h = 0;
  for (uint32_t r = 0; r < rounds; r++) {
    matmul_f64(c, a, b, n);
    double trace = 0.0;
    for (uint32_t i = 0; i < n; i++) trace += c[(size_t)i * n + i];
    h = bench_mix_double(h, trace);
    double *t = a;
    a = c;
    c = t;
  }
  h = bench_mix_double(h, a[cells / 2]);
  free(a);
  free(b);
  free(c);

  size_t icells = (size_t)ni * ni;
  uint32_t *ia = (uint32_t *)malloc(icells * sizeof(uint32_t));
  uint32_t *ib = (uint32_t *)malloc(icells * sizeof(uint32_t));
  uint32_t *ic = (uint32_t *)malloc(icells * sizeof(uint32_t));
  if (!ia || !ib || !ic) return -1;
  for (size_t i = 0; i < icells; i++) {
    ia[i] = bench_next32(&rng);
    ib[i] = bench_next32(&rng);
  }
  matmul_i32(ic, ia, ib, ni);
  for (size_t i = 0; i < icells; i += 97) h = bench_mix(h, ic[i]);
  free(ia);
  free(ib);
  free(ic);
  return bench_result(h);
}
