/* zlib benchmark driver (links Debian's zlib sources): generates a few MB of
 * text-like data, compresses it with deflate at levels 1, 6 and 9, inflates
 * each result back, checks the round trip and returns a checksum over the
 * compressed sizes, compressed bytes (adler32) and the data (crc32). */
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "textgen.h"
#include "zlib.h"

int32_t run(void) {
  BENCH_PARAM(size, 2u * 1024 * 1024);
  uint8_t *data = (uint8_t *)malloc(size);
  uint8_t *back = (uint8_t *)malloc(size);
  uLong bound = compressBound(size);
  uint8_t *packed = (uint8_t *)malloc(bound);
  if (!data || !back || !packed) return -1;
  textgen(data, size, 12345);

  uint64_t h = bench_mix(0, crc32(0, data, size));
  static const int levels[3] = {1, 6, 9};
  for (int i = 0; i < 3; i++) {
    uLongf packed_len = bound;
    if (compress2(packed, &packed_len, data, size, levels[i]) != Z_OK) return -2;
    h = bench_mix(h, packed_len);
    h = bench_mix(h, adler32(1, packed, packed_len));
    for (int rep = 0; rep < 2; rep++) {
      uLongf back_len = size;
      if (uncompress(back, &back_len, packed, packed_len) != Z_OK) return -3;
      if (back_len != size || memcmp(back, data, size) != 0) return -4;
    }
  }
  free(data);
  free(back);
  free(packed);
  return bench_result(h);
}
