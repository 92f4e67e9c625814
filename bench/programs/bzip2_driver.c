/* bzip2 benchmark driver (links Debian's bzip2 library sources, built with
 * BZ_NO_STDIO): generates a few MB of text-like data, compresses it with
 * BZ2_bzBuffToBuffCompress (block size 9), decompresses it again, checks the
 * round trip and returns a checksum over the compressed stream. */
#include <stdlib.h>
#include <string.h>

#include "bzlib.h"
#include "harness.h"
#include "textgen.h"

/* Required by libbzip2 when built with BZ_NO_STDIO. A corrupted internal
 * state is a bug: trap (no imports needed) rather than call abort(). */
void bz_internal_error(int errcode) {
  (void)errcode;
  __builtin_trap();
}

int32_t run(void) {
  BENCH_PARAM(size, 1800u * 1024);
  uint8_t *data = (uint8_t *)malloc(size);
  uint8_t *back = (uint8_t *)malloc(size);
  unsigned int bound = size + size / 100 + 600;
  uint8_t *packed = (uint8_t *)malloc(bound);
  if (!data || !back || !packed) return -1;
  textgen(data, size, 424242);

  unsigned int packed_len = bound;
  if (BZ2_bzBuffToBuffCompress((char *)packed, &packed_len, (char *)data, size, 9, 0, 30) != BZ_OK)
    return -2;
  uint64_t h = bench_mix(0, packed_len);
  for (unsigned int i = 0; i < packed_len; i += 61) h = bench_mix(h, packed[i]);

  unsigned int back_len = size;
  if (BZ2_bzBuffToBuffDecompress((char *)back, &back_len, (char *)packed, packed_len, 0, 0) != BZ_OK)
    return -3;
  if (back_len != size || memcmp(back, data, size) != 0) return -4;
  free(data);
  free(back);
  free(packed);
  return bench_result(h);
}
