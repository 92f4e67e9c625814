/* Hash table: open addressing with linear probing over 64-bit keys, a
 * multiply-xorshift mixer (xxhash/murmur-style finaliser) and FNV-1a over
 * short byte strings. Inserts, lookups (hits and misses), deletes with
 * backward-shift, repeated. Random memory access plus 64-bit arithmetic. */
#include <stdlib.h>
#include <string.h>

#include "harness.h"

typedef struct {
  uint64_t key; /* 0 = empty */
  uint64_t value;
} slot;

static inline uint64_t mix64(uint64_t k) {
  k ^= k >> 33;
  k *= 0xFF51AFD7ED558CCDull;
  k ^= k >> 33;
  k *= 0xC4CEB9FE1A85EC53ull;
  k ^= k >> 33;
  return k;
}

static inline uint64_t fnv1a(const uint8_t *p, uint32_t n) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (uint32_t i = 0; i < n; i++) {
    h ^= p[i];
    h *= 0x100000001b3ull;
  }
  return h | 1; /* never 0: 0 marks an empty slot */
}

typedef struct {
  slot *slots;
  uint32_t mask;
  uint32_t count;
} table;

static void table_put(table *t, uint64_t key, uint64_t value) {
  uint32_t i = (uint32_t)mix64(key) & t->mask;
  while (t->slots[i].key != 0 && t->slots[i].key != key) i = (i + 1) & t->mask;
  if (t->slots[i].key == 0) t->count++;
  t->slots[i].key = key;
  t->slots[i].value = value;
}

static slot *table_find(table *t, uint64_t key) {
  uint32_t i = (uint32_t)mix64(key) & t->mask;
  while (t->slots[i].key != 0) {
    if (t->slots[i].key == key) return &t->slots[i];
    i = (i + 1) & t->mask;
  }
  return NULL;
}

static void table_erase(table *t, uint64_t key) {
  uint32_t i = (uint32_t)mix64(key) & t->mask;
  while (t->slots[i].key != key) {
    if (t->slots[i].key == 0) return;
    i = (i + 1) & t->mask;
  }
  /* Backward-shift deletion (Knuth vol. 3, algorithm R). */
  uint32_t j = i;
  for (;;) {
    t->slots[i].key = 0;
    for (;;) {
      j = (j + 1) & t->mask;
      if (t->slots[j].key == 0) {
        t->count--;
        return;
      }
      uint32_t home = (uint32_t)mix64(t->slots[j].key) & t->mask;
      /* Can slot j move to i? Only if home is not cyclically in (i, j]. */
      if ((i <= j) ? (home <= i || home > j) : (home <= i && home > j)) break;
    }
    t->slots[i] = t->slots[j];
    i = j;
  }
}

int32_t run(void) {
  BENCH_PARAM(log2_size, 18);
  BENCH_PARAM(rounds, 8);

  table t;
  t.mask = (1u << log2_size) - 1;
  t.count = 0;
  t.slots = (slot *)calloc(t.mask + 1u, sizeof(slot));
  if (!t.slots) return -1;
  uint32_t n = (t.mask + 1u) / 10 * 7; /* load factor 0.7 */

  uint64_t h = 0;
  for (uint32_t r = 0; r < rounds; r++) {
    bench_rng rng = {1000 + r};
    for (uint32_t i = 0; i < n; i++) {
      uint64_t k = bench_next64(&rng) | 1;
      table_put(&t, k, i);
    }
    /* String keys hashed with FNV-1a. */
    uint8_t name[16];
    memcpy(name, "key-000000000000", 16);
    for (uint32_t i = 0; i < n / 4; i++) {
      uint32_t v = i * 2654435761u + r;
      for (int d = 0; d < 8; d++) name[8 + d] = (uint8_t)('a' + ((v >> (4 * d)) & 15));
      table_put(&t, fnv1a(name, 16), v);
    }
    h = bench_mix(h, t.count);
    /* Lookups: replay the key stream (hits) and a different stream (mostly misses). */
    uint64_t sum = 0;
    uint32_t misses = 0;
    for (int pass = 0; pass < 3; pass++) {
      bench_rng hit = {1000 + r}, miss = {5000000 + r + pass};
      for (uint32_t i = 0; i < n; i++) {
        slot *s = table_find(&t, bench_next64(&hit) | 1);
        if (s) sum += s->value;
        s = table_find(&t, bench_next64(&miss) | 1);
        if (s) sum += s->value; else misses++;
      }
    }
    h = bench_mix(h, sum);
    h = bench_mix(h, misses);
    /* Delete every other key of the first stream, then everything. */
    bench_rng del = {1000 + r};
    for (uint32_t i = 0; i < n; i++) {
      uint64_t k = bench_next64(&del) | 1;
      if (i & 1) table_erase(&t, k);
    }
    h = bench_mix(h, t.count);
    memset(t.slots, 0, (t.mask + 1u) * sizeof(slot));
    t.count = 0;
  }
  free(t.slots);
  return bench_result(h);
}
