/* Deterministic pseudo-random text-like data for the compression drivers:
 * words drawn with a skewed (roughly Zipf-like) distribution from a generated
 * vocabulary, with punctuation, capitals, numbers and line breaks, so the
 * compressors see realistic redundancy rather than noise. */
#ifndef ISOLA_BENCH_TEXTGEN_H
#define ISOLA_BENCH_TEXTGEN_H

#include <stdint.h>
#include <string.h>

#include "harness.h"

#define TEXTGEN_WORDS 4096

static void textgen(uint8_t *out, uint32_t size, uint64_t seed) {
  static const char *const syll[32] = {"ka", "lo", "mi", "ne", "ru", "sa", "to", "vi",
                                       "an", "er", "is", "on", "ul", "st", "pr", "th",
                                       "ch", "gr", "bl", "qu", "ze", "fa", "de", "ho",
                                       "in", "ex", "re", "co", "ma", "li", "pa", "nu"};
  static char words[TEXTGEN_WORDS][16];
  static uint8_t lens[TEXTGEN_WORDS];
  bench_rng rng = {seed};
  for (uint32_t w = 0; w < TEXTGEN_WORDS; w++) {
    uint32_t n = 1 + bench_next32(&rng) % 4, len = 0;
    for (uint32_t s = 0; s < n; s++) {
      const char *p = syll[bench_next32(&rng) % 32];
      words[w][len++] = p[0];
      words[w][len++] = p[1];
    }
    if (bench_next32(&rng) % 3 == 0) words[w][len++] = "sdyen"[bench_next32(&rng) % 5];
    lens[w] = (uint8_t)len;
  }
  uint32_t pos = 0, line = 0;
  int capital = 1;
  while (pos < size) {
    uint64_t r = bench_next64(&rng);
    /* Product of two uniforms: small indexes are much more common. */
    uint32_t w = (uint32_t)(((r & 0xFFFF) * ((r >> 16) & 0xFFFF)) >> 20) % TEXTGEN_WORDS;
    char tmp[24];
    uint32_t n = lens[w];
    memcpy(tmp, words[w], n);
    if (capital) tmp[0] = (char)(tmp[0] - 'a' + 'A');
    capital = 0;
    if ((r >> 32) % 97 == 0) { /* occasional number */
      uint32_t v = (uint32_t)(r >> 40) % 100000;
      n = 0;
      do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
      } while (v);
    }
    uint32_t punct = (uint32_t)(r >> 48) % 16;
    if (punct == 0) {
      tmp[n++] = '.';
      capital = 1;
    } else if (punct == 1) {
      tmp[n++] = ',';
    }
    tmp[n++] = ' ';
    line += n;
    if (line > 72) {
      tmp[n - 1] = '\n';
      line = 0;
    }
    for (uint32_t i = 0; i < n && pos < size; i++) out[pos++] = (uint8_t)tmp[i];
  }
}

#endif
