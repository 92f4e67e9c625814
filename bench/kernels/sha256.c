/* SHA-256, written from FIPS 180-4 (sections 4.1.2, 4.2.2, 5.3.3, 6.2):
 * 32-bit rotates, shifts, adds and table lookups. Hashes a buffer repeatedly,
 * feeding each digest back into the data. Self-checks against the FIPS
 * example "abc" digest. */
#include <string.h>

#include "harness.h"

typedef struct {
  uint32_t h[8];
  uint8_t block[64];
  uint32_t used;
  uint64_t length;
} sha256_ctx;

static const uint32_t K[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};

static inline uint32_t rotr(uint32_t x, uint32_t n) { return (x >> n) | (x << (32 - n)); }
#define CH(x, y, z) (((x) & (y)) ^ (~(x) & (z)))
#define MAJ(x, y, z) (((x) & (y)) ^ ((x) & (z)) ^ ((y) & (z)))
#define BSIG0(x) (rotr(x, 2) ^ rotr(x, 13) ^ rotr(x, 22))
#define BSIG1(x) (rotr(x, 6) ^ rotr(x, 11) ^ rotr(x, 25))
#define SSIG0(x) (rotr(x, 7) ^ rotr(x, 18) ^ ((x) >> 3))
#define SSIG1(x) (rotr(x, 17) ^ rotr(x, 19) ^ ((x) >> 10))

static void sha256_init(sha256_ctx *c) {
  static const uint32_t H0[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
  memcpy(c->h, H0, sizeof H0);
  c->used = 0;
  c->length = 0;
}

static void sha256_block(uint32_t h[8], const uint8_t *p) {
  uint32_t w[64];
  for (int t = 0; t < 16; t++)
    w[t] = (uint32_t)p[4 * t] << 24 | (uint32_t)p[4 * t + 1] << 16 | (uint32_t)p[4 * t + 2] << 8 |
           (uint32_t)p[4 * t + 3];
  for (int t = 16; t < 64; t++) w[t] = SSIG1(w[t - 2]) + w[t - 7] + SSIG0(w[t - 15]) + w[t - 16];
  uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], hh = h[7];
  for (int t = 0; t < 64; t++) {
    uint32_t t1 = hh + BSIG1(e) + CH(e, f, g) + K[t] + w[t];
    uint32_t t2 = BSIG0(a) + MAJ(a, b, c);
    hh = g;
    g = f;
    f = e;
    e = d + t1;
    d = c;
    c = b;
    b = a;
    a = t1 + t2;
  }
  h[0] += a; h[1] += b; h[2] += c; h[3] += d;
  h[4] += e; h[5] += f; h[6] += g; h[7] += hh;
}

static void sha256_update(sha256_ctx *c, const uint8_t *p, uint32_t n) {
  c->length += n;
  if (c->used) {
    while (n && c->used < 64) {
      c->block[c->used++] = *p++;
      n--;
    }
    if (c->used < 64) return;
    sha256_block(c->h, c->block);
    c->used = 0;
  }
  while (n >= 64) {
    sha256_block(c->h, p);
    p += 64;
    n -= 64;
  }
  memcpy(c->block, p, n);
  c->used = n;
}

static void sha256_final(sha256_ctx *c, uint8_t out[32]) {
  uint64_t bits = c->length * 8;
  uint8_t pad = 0x80;
  sha256_update(c, &pad, 1);
  pad = 0;
  while (c->used != 56) sha256_update(c, &pad, 1);
  uint8_t len[8];
  for (int i = 0; i < 8; i++) len[i] = (uint8_t)(bits >> (56 - 8 * i));
  sha256_update(c, len, 8);
  for (int i = 0; i < 8; i++) {
    out[4 * i] = (uint8_t)(c->h[i] >> 24);
    out[4 * i + 1] = (uint8_t)(c->h[i] >> 16);
    out[4 * i + 2] = (uint8_t)(c->h[i] >> 8);
    out[4 * i + 3] = (uint8_t)c->h[i];
  }
}

#define DATA_SIZE (1024u * 1024)
static uint8_t data[DATA_SIZE];

int32_t run(void) {
  BENCH_PARAM(rounds, 80);

  /* FIPS 180-4 example: SHA-256("abc") starts with ba7816bf. */
  sha256_ctx c;
  uint8_t digest[32];
  sha256_init(&c);
  sha256_update(&c, (const uint8_t *)"abc", 3);
  sha256_final(&c, digest);
  if (digest[0] != 0xba || digest[1] != 0x78 || digest[2] != 0x16 || digest[3] != 0xbf) return -1;

  bench_rng rng = {7};
  for (uint32_t i = 0; i < DATA_SIZE; i++) data[i] = (uint8_t)bench_next32(&rng);

  uint64_t h = 0;
  for (uint32_t r = 0; r < rounds; r++) {
    sha256_init(&c);
    /* Odd-sized pieces exercise the buffering path too. */
    uint32_t cut = 1 + (r * 7919) % 4096;
    sha256_update(&c, data, cut);
    sha256_update(&c, data + cut, DATA_SIZE - cut);
    sha256_final(&c, digest);
    memcpy(data + (r * 32) % (DATA_SIZE - 32), digest, 32);
    for (int i = 0; i < 32; i += 8) {
      uint64_t v;
      memcpy(&v, digest + i, 8);
      h = bench_mix(h, v);
    }
  }
  return bench_result(h);
}
