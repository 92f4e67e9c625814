/* Sorting 32-bit keys: quicksort (median of three, insertion sort for small
 * ranges, recursion on the smaller half) and a bottom-up merge sort, both
 * written here (libc's qsort is not measured), over pseudo-random arrays with
 * few and many duplicates. Verifies the output is sorted. */
#include <stdlib.h>
#include <string.h>

#include "harness.h"

static void insertion_sort(uint32_t *a, int32_t lo, int32_t hi) {
  for (int32_t i = lo + 1; i <= hi; i++) {
    uint32_t v = a[i];
    int32_t j = i - 1;
    while (j >= lo && a[j] > v) {
      a[j + 1] = a[j];
      j--;
    }
    a[j + 1] = v;
  }
}

static inline void swap(uint32_t *a, int32_t i, int32_t j) {
  uint32_t t = a[i];
  a[i] = a[j];
  a[j] = t;
}

static void quick_sort(uint32_t *a, int32_t lo, int32_t hi) {
  while (hi - lo > 16) {
    int32_t mid = lo + (hi - lo) / 2;
    if (a[mid] < a[lo]) swap(a, mid, lo);
    if (a[hi] < a[lo]) swap(a, hi, lo);
    if (a[hi] < a[mid]) swap(a, hi, mid);
    uint32_t pivot = a[mid];
    int32_t i = lo, j = hi;
    while (i <= j) { /* Hoare-style partition */
      while (a[i] < pivot) i++;
      while (a[j] > pivot) j--;
      if (i <= j) {
        swap(a, i, j);
        i++;
        j--;
      }
    }
    if (j - lo < hi - i) {
      quick_sort(a, lo, j);
      lo = i;
    } else {
      quick_sort(a, i, hi);
      hi = j;
    }
  }
  insertion_sort(a, lo, hi);
}

static void merge_sort(uint32_t *a, uint32_t *tmp, uint32_t n) {
  uint32_t *src = a, *dst = tmp;
  for (uint32_t width = 1; width < n; width *= 2) {
    for (uint32_t lo = 0; lo < n; lo += 2 * width) {
      uint32_t mid = lo + width < n ? lo + width : n;
      uint32_t hi = lo + 2 * width < n ? lo + 2 * width : n;
      uint32_t i = lo, j = mid, k = lo;
      while (i < mid && j < hi) dst[k++] = src[j] < src[i] ? src[j++] : src[i++];
      while (i < mid) dst[k++] = src[i++];
      while (j < hi) dst[k++] = src[j++];
    }
    uint32_t *t = src;
    src = dst;
    dst = t;
  }
  if (src != a) memcpy(a, src, n * sizeof(uint32_t));
}

static uint64_t digest(const uint32_t *a, uint32_t n) {
  uint64_t h = 0;
  for (uint32_t i = 1; i < n; i++)
    if (a[i - 1] > a[i]) return 0xBAD; /* not sorted */
  for (uint32_t i = 0; i < n; i += 1009) h = bench_mix(h, a[i]);
  return h;
}

int32_t run(void) {
  BENCH_PARAM(n, 1000000);
  BENCH_PARAM(rounds, 4);

  uint32_t *a = (uint32_t *)malloc(n * sizeof(uint32_t));
  uint32_t *b = (uint32_t *)malloc(n * sizeof(uint32_t));
  uint32_t *tmp = (uint32_t *)malloc(n * sizeof(uint32_t));
  if (!a || !b || !tmp) return -1;

  uint64_t h = 0;
  for (uint32_t r = 0; r < rounds; r++) {
    bench_rng rng = {r + 1};
    uint32_t range = (r & 1) ? 1000u : 0xFFFFFFFFu; /* many duplicates on odd rounds */
    for (uint32_t i = 0; i < n; i++) a[i] = b[i] = bench_next32(&rng) % range;
    quick_sort(a, 0, (int32_t)n - 1);
    merge_sort(b, tmp, n);
    h = bench_mix(h, digest(a, n));
    h = bench_mix(h, digest(b, n));
  }
  free(a);
  free(b);
  free(tmp);
  return bench_result(h);
}
