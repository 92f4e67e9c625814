/* A small MessagePack writer and reader for C guests: enough for the HandleRequest
 * Request/Response of waSCC/wasmCloud and the key-value operations (ACTOR-ABI.md §2).
 *
 * Writing follows the host rule of §2.1: signed-typed fields use fixint or the int8..int64
 * markers (mp_write_int), unsigned-typed ones fixint or the uint8..uint64 markers
 * (mp_write_uint), so both the Rust and the AssemblyScript decoders accept them.
 * Reading accepts any integer marker whose value fits, a str where bytes are expected and
 * vice versa, and skips values it was not asked about.
 *
 *     mp_writer w; mp_writer_init(&w);
 *     mp_write_map(&w, 2);
 *     mp_write_cstr(&w, "key");   mp_write_cstr(&w, ":counter");
 *     mp_write_cstr(&w, "value"); mp_write_int(&w, 1);
 *     if (w.failed) ...;   // out of memory; w.data/w.len otherwise
 *     mp_writer_free(&w);
 */
#ifndef ISOLA_GUESTS_MSGPACK_H
#define ISOLA_GUESTS_MSGPACK_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* ---- writer -------------------------------------------------------------------------- */

typedef struct {
  uint8_t *data;
  uint32_t len, cap;
  int failed; /* set once an allocation fails; later writes do nothing */
} mp_writer;

static inline void mp_writer_init(mp_writer *w) {
  w->data = 0;
  w->len = w->cap = 0;
  w->failed = 0;
}
static inline void mp_writer_free(mp_writer *w) {
  free(w->data);
  mp_writer_init(w);
}

static inline void mp_put(mp_writer *w, const void *src, uint32_t n) {
  if (w->failed) return;
  if (n > w->cap - w->len) {
    uint32_t cap = w->cap ? w->cap : 64;
    while (cap - w->len < n) {
      if (cap > UINT32_MAX / 2) {
        w->failed = 1;
        return;
      }
      cap *= 2;
    }
    uint8_t *p = (uint8_t *)realloc(w->data, cap);
    if (!p) {
      w->failed = 1;
      return;
    }
    w->data = p;
    w->cap = cap;
  }
  memcpy(w->data + w->len, src, n);
  w->len += n;
}
static inline void mp_put1(mp_writer *w, uint8_t b) { mp_put(w, &b, 1); }
/* A marker byte followed by `v` in `n` big-endian bytes. */
static inline void mp_put_be(mp_writer *w, uint8_t marker, uint64_t v, int n) {
  uint8_t b[9];
  b[0] = marker;
  for (int i = 0; i < n; ++i) b[1 + i] = (uint8_t)(v >> (8 * (n - 1 - i)));
  mp_put(w, b, (uint32_t)n + 1);
}

static inline void mp_write_nil(mp_writer *w) { mp_put1(w, 0xc0); }
static inline void mp_write_bool(mp_writer *w, int b) { mp_put1(w, b ? 0xc3 : 0xc2); }

static inline void mp_write_uint(mp_writer *w, uint64_t v) {
  if (v < 128) mp_put1(w, (uint8_t)v);
  else if (v <= 0xff) mp_put_be(w, 0xcc, v, 1);
  else if (v <= 0xffff) mp_put_be(w, 0xcd, v, 2);
  else if (v <= 0xffffffffu) mp_put_be(w, 0xce, v, 4);
  else mp_put_be(w, 0xcf, v, 8);
}

static inline void mp_write_int(mp_writer *w, int64_t v) {
  if (v >= 0 && v < 128) mp_put1(w, (uint8_t)v);
  else if (v < 0 && v >= -32) mp_put1(w, (uint8_t)(int8_t)v);
  else if (v >= INT8_MIN && v <= INT8_MAX) mp_put_be(w, 0xd0, (uint64_t)v, 1);
  else if (v >= INT16_MIN && v <= INT16_MAX) mp_put_be(w, 0xd1, (uint64_t)v, 2);
  else if (v >= INT32_MIN && v <= INT32_MAX) mp_put_be(w, 0xd2, (uint64_t)v, 4);
  else mp_put_be(w, 0xd3, (uint64_t)v, 8);
}

static inline void mp_write_str(mp_writer *w, const char *s, uint32_t n) {
  if (n < 32) mp_put1(w, (uint8_t)(0xa0 | n));
  else if (n <= 0xff) mp_put_be(w, 0xd9, n, 1);
  else if (n <= 0xffff) mp_put_be(w, 0xda, n, 2);
  else mp_put_be(w, 0xdb, n, 4);
  mp_put(w, s, n);
}
static inline void mp_write_cstr(mp_writer *w, const char *s) { mp_write_str(w, s, (uint32_t)strlen(s)); }

static inline void mp_write_bin(mp_writer *w, const void *b, uint32_t n) {
  if (n <= 0xff) mp_put_be(w, 0xc4, n, 1);
  else if (n <= 0xffff) mp_put_be(w, 0xc5, n, 2);
  else mp_put_be(w, 0xc6, n, 4);
  mp_put(w, b, n);
}

static inline void mp_write_array(mp_writer *w, uint32_t n) {
  if (n < 16) mp_put1(w, (uint8_t)(0x90 | n));
  else if (n <= 0xffff) mp_put_be(w, 0xdc, n, 2);
  else mp_put_be(w, 0xdd, n, 4);
}

static inline void mp_write_map(mp_writer *w, uint32_t n) {
  if (n < 16) mp_put1(w, (uint8_t)(0x80 | n));
  else if (n <= 0xffff) mp_put_be(w, 0xde, n, 2);
  else mp_put_be(w, 0xdf, n, 4);
}

/* ---- reader -------------------------------------------------------------------------- */

typedef struct {
  const uint8_t *data;
  uint32_t len, pos;
  int failed; /* set on the first malformed or unexpected value; later reads fail */
} mp_reader;

static inline void mp_reader_init(mp_reader *r, const uint8_t *data, uint32_t len) {
  r->data = data;
  r->len = len;
  r->pos = 0;
  r->failed = 0;
}

static inline int mp_fail(mp_reader *r) {
  r->failed = 1;
  return 0;
}

/* Reads an n-byte big-endian number; 0 when the input ends. */
static inline int mp_get_be(mp_reader *r, int n, uint64_t *v) {
  if (r->failed || (uint32_t)n > r->len - r->pos) return mp_fail(r);
  uint64_t x = 0;
  for (int i = 0; i < n; ++i) x = (x << 8) | r->data[r->pos++];
  *v = x;
  return 1;
}

static inline int mp_peek(mp_reader *r, uint8_t *b) {
  if (r->failed || r->pos >= r->len) return mp_fail(r);
  *b = r->data[r->pos];
  return 1;
}

/* Reads an integer of any marker into a signed 64-bit value (uint64 above INT64_MAX fails). */
static inline int mp_read_int(mp_reader *r, int64_t *out) {
  uint8_t m;
  uint64_t v;
  if (!mp_peek(r, &m)) return 0;
  r->pos++;
  if (m < 0x80) { *out = m; return 1; }
  if (m >= 0xe0) { *out = (int8_t)m; return 1; }
  switch (m) {
    case 0xcc: if (!mp_get_be(r, 1, &v)) return 0; *out = (int64_t)v; return 1;
    case 0xcd: if (!mp_get_be(r, 2, &v)) return 0; *out = (int64_t)v; return 1;
    case 0xce: if (!mp_get_be(r, 4, &v)) return 0; *out = (int64_t)v; return 1;
    case 0xcf: if (!mp_get_be(r, 8, &v) || v > (uint64_t)INT64_MAX) return mp_fail(r); *out = (int64_t)v; return 1;
    case 0xd0: if (!mp_get_be(r, 1, &v)) return 0; *out = (int8_t)v; return 1;
    case 0xd1: if (!mp_get_be(r, 2, &v)) return 0; *out = (int16_t)v; return 1;
    case 0xd2: if (!mp_get_be(r, 4, &v)) return 0; *out = (int32_t)v; return 1;
    case 0xd3: if (!mp_get_be(r, 8, &v)) return 0; *out = (int64_t)v; return 1;
    default: r->pos--; return mp_fail(r);
  }
}

static inline int mp_read_bool(mp_reader *r, int *out) {
  uint8_t m;
  if (!mp_peek(r, &m)) return 0;
  if (m != 0xc2 && m != 0xc3) return mp_fail(r);
  r->pos++;
  *out = m == 0xc3;
  return 1;
}

static inline int mp_read_nil(mp_reader *r) {
  uint8_t m;
  if (!mp_peek(r, &m) || m != 0xc0) return mp_fail(r);
  r->pos++;
  return 1;
}

/* A str or a bin: points *p into the input, *n bytes long. */
static inline int mp_read_bytes(mp_reader *r, const uint8_t **p, uint32_t *n) {
  uint8_t m;
  uint64_t v;
  if (!mp_peek(r, &m)) return 0;
  r->pos++;
  if ((m & 0xe0) == 0xa0) v = m & 0x1f;
  else if (m == 0xd9 || m == 0xc4) { if (!mp_get_be(r, 1, &v)) return 0; }
  else if (m == 0xda || m == 0xc5) { if (!mp_get_be(r, 2, &v)) return 0; }
  else if (m == 0xdb || m == 0xc6) { if (!mp_get_be(r, 4, &v)) return 0; }
  else { r->pos--; return mp_fail(r); }
  if (v > r->len - r->pos) return mp_fail(r);
  *p = r->data + r->pos;
  *n = (uint32_t)v;
  r->pos += (uint32_t)v;
  return 1;
}
#define mp_read_str(r, p, n) mp_read_bytes((r), (const uint8_t **)(p), (n))

/* Header of a map (pairs) or an array (elements). */
static inline int mp_read_container(mp_reader *r, int map, uint32_t *n) {
  uint8_t m;
  uint64_t v;
  if (!mp_peek(r, &m)) return 0;
  r->pos++;
  if (map && (m & 0xf0) == 0x80) v = m & 0x0f;
  else if (!map && (m & 0xf0) == 0x90) v = m & 0x0f;
  else if (m == (map ? 0xde : 0xdc)) { if (!mp_get_be(r, 2, &v)) return 0; }
  else if (m == (map ? 0xdf : 0xdd)) { if (!mp_get_be(r, 4, &v)) return 0; }
  else { r->pos--; return mp_fail(r); }
  *n = (uint32_t)v;
  return 1;
}
static inline int mp_read_map(mp_reader *r, uint32_t *pairs) { return mp_read_container(r, 1, pairs); }
static inline int mp_read_array(mp_reader *r, uint32_t *n) { return mp_read_container(r, 0, n); }

/* Skips one whole value, nested ones included, without recursion. */
static inline int mp_skip(mp_reader *r) {
  uint64_t pending = 1, v;
  while (pending > 0) {
    uint8_t m;
    if (!mp_peek(r, &m)) return 0;
    pending--;
    r->pos++;
    uint64_t skip = 0;
    int n = 0;
    if (m < 0x80 || m >= 0xe0 || m == 0xc0 || m == 0xc2 || m == 0xc3) skip = 0;
    else if ((m & 0xf0) == 0x80) pending += 2u * (m & 0x0f);
    else if ((m & 0xf0) == 0x90) pending += m & 0x0f;
    else if ((m & 0xe0) == 0xa0) skip = m & 0x1f;
    else {
      switch (m) {
        case 0xcc: case 0xd0: skip = 1; break;
        case 0xcd: case 0xd1: skip = 2; break;
        case 0xce: case 0xd2: case 0xca: skip = 4; break;
        case 0xcf: case 0xd3: case 0xcb: skip = 8; break;
        case 0xd4: skip = 2; break;
        case 0xd5: skip = 3; break;
        case 0xd6: skip = 5; break;
        case 0xd7: skip = 9; break;
        case 0xd8: skip = 17; break;
        /* lengths and counts: n bytes follow the marker */
        case 0xc4: case 0xd9: case 0xc7: n = 1; break;
        case 0xc5: case 0xda: case 0xc8: case 0xdc: case 0xde: n = 2; break;
        case 0xc6: case 0xdb: case 0xc9: case 0xdd: case 0xdf: n = 4; break;
        default: return mp_fail(r); /* 0xc1 is never used */
      }
      if (n) {
        if (!mp_get_be(r, n, &v)) return 0;
        if (m == 0xdc || m == 0xdd) pending += v;
        else if (m == 0xde || m == 0xdf) pending += 2 * v;
        else if (m == 0xc7 || m == 0xc8 || m == 0xc9) skip = v + 1; /* ext: type byte + data */
        else skip = v;
      }
    }
    if (skip > r->len - r->pos) return mp_fail(r);
    r->pos += (uint32_t)skip;
  }
  return 1;
}

/* Positions the reader on the value of `key` in the map that starts at the reader, and
 * returns 1; or returns 0 (without failing the reader) when the map has no such key.
 * Either way the reader is left on that value or, when absent, after the map. */
static inline int mp_find_key(mp_reader *r, const char *key) {
  uint32_t pairs, klen = (uint32_t)strlen(key);
  if (!mp_read_map(r, &pairs)) return 0;
  for (uint32_t i = 0; i < pairs; ++i) {
    const uint8_t *k;
    uint32_t n;
    uint8_t m;
    if (!mp_peek(r, &m)) return 0;
    if (((m & 0xe0) == 0xa0 || m == 0xd9 || m == 0xda || m == 0xdb) && mp_read_bytes(r, &k, &n)) {
      if (n == klen && memcmp(k, key, n) == 0) return 1;
    } else if (!mp_skip(r)) {
      return 0;
    }
    if (!mp_skip(r)) return 0;
  }
  return 0;
}

#endif
