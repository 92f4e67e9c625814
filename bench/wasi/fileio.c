/* File I/O through WASI: writes a SIZE-MiB file (default 100) in 64 KiB write() calls
 * into DIR (a preopened directory in wasm), closes it, reads it back in 64 KiB read()
 * calls, checks it, and removes it. Each chunk carries its index, and the read side
 * sums one 64-bit word per 512 bytes of every chunk, so every byte range is really
 * transferred and checked, without the checksum costing more than the I/O.
 * Prints the time of each phase (measured inside the program) and the checksum.
 * Usage: fileio DIR [SIZE_MIB]  (bench/wasi/run.sh) */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

enum { CHUNK = 64 * 1024 };

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what, const char *path) {
  fprintf(stderr, "fileio: %s %s: %s\n", what, path, strerror(errno));
  exit(1);
}

static uint64_t chunk_sum(const unsigned char *buf) {
  uint64_t s = 0, w;
  for (size_t off = 0; off < CHUNK; off += 512) {
    memcpy(&w, buf + off, sizeof w);
    s = s * 31 + w;
  }
  return s;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fputs("usage: fileio DIR [SIZE_MIB]\n", stderr);
    return 2;
  }
  long mib = argc > 2 ? strtol(argv[2], NULL, 10) : 100;
  if (mib <= 0) {
    fputs("fileio: SIZE_MIB must be positive\n", stderr);
    return 2;
  }
  long chunks = mib * (1024 * 1024 / CHUNK);
  char path[4096];
  snprintf(path, sizeof path, "%s/fileio.dat", argv[1]);
  static unsigned char buf[CHUNK];
  for (size_t i = 0; i < CHUNK; i++) buf[i] = (unsigned char)(i * 131 + 7);

  double t0 = now_s();
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) die("cannot create", path);
  uint64_t wsum = 0;
  for (uint64_t c = 0; c < (uint64_t)chunks; c++) {
    for (size_t off = 0; off < CHUNK; off += 512) memcpy(buf + off, &c, sizeof c);
    wsum += chunk_sum(buf);
    size_t done = 0;
    while (done < CHUNK) {
      ssize_t n = write(fd, buf + done, CHUNK - done);
      if (n < 0) die("cannot write", path);
      done += (size_t)n;
    }
  }
  if (close(fd) != 0) die("cannot close", path);
  double t1 = now_s();

  fd = open(path, O_RDONLY);
  if (fd < 0) die("cannot open", path);
  uint64_t rsum = 0;
  long got = 0;
  for (;;) {
    size_t have = 0;
    while (have < CHUNK) {
      ssize_t n = read(fd, buf + have, CHUNK - have);
      if (n < 0) die("cannot read", path);
      if (n == 0) break;
      have += (size_t)n;
    }
    if (have == 0) break;
    if (have != CHUNK) {
      fprintf(stderr, "fileio: %s: short final chunk (%zu bytes)\n", path, have);
      return 1;
    }
    rsum += chunk_sum(buf);
    got++;
  }
  close(fd);
  double t2 = now_s();
  if (unlink(path) != 0) die("cannot remove", path);

  if (got != chunks || rsum != wsum) {
    fprintf(stderr, "fileio: read back %ld chunks (wrote %ld), checksum %016" PRIx64
            " (wrote %016" PRIx64 ")\n", got, chunks, rsum, wsum);
    return 1;
  }
  double mb = (double)mib * 1048576.0 / 1e6;
  printf("fileio: %ld MiB, write %.1f ms (%.0f MB/s), read %.1f ms (%.0f MB/s), checksum %016" PRIx64 "\n",
         mib, (t1 - t0) * 1e3, mb / (t1 - t0), (t2 - t1) * 1e3, mb / (t2 - t1), rsum);
  return 0;
}
