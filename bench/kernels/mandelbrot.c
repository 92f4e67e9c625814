/* Mandelbrot set: escape-time iteration over a grid of complex points,
 * double precision, with data-dependent loop exits. Counts iterations and
 * packs the in-set bitmap into the checksum. */
#include "harness.h"

int32_t run(void) {
  BENCH_PARAM(width, 2000);
  BENCH_PARAM(height, 1500);
  BENCH_PARAM(max_iter, 255);

  uint64_t h = 0;
  uint64_t total = 0;
  for (uint32_t py = 0; py < height; py++) {
    double ci = -1.25 + 2.5 * (double)py / (double)height;
    uint32_t bits = 0, inside = 0;
    for (uint32_t px = 0; px < width; px++) {
      double cr = -2.2 + 3.2 * (double)px / (double)width;
      double zr = 0.0, zi = 0.0, zr2 = 0.0, zi2 = 0.0;
      uint32_t it = 0;
      while (it < max_iter && zr2 + zi2 <= 4.0) {
        zi = 2.0 * zr * zi + ci;
        zr = zr2 - zi2 + cr;
        zr2 = zr * zr;
        zi2 = zi * zi;
        it++;
      }
      total += it;
      bits = (bits << 1) | (it == max_iter);
      inside += (it == max_iter);
      if ((px & 31) == 31) h = bench_mix(h, bits);
    }
    h = bench_mix(h, inside);
  }
  h = bench_mix(h, total);
  return bench_result(h);
}
