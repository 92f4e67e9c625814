/* Function calls: doubly recursive Fibonacci, the Takeuchi function, and a
 * loop of indirect calls through a function-pointer table (call_indirect in
 * wasm). */
#include "harness.h"

BENCH_NOINLINE static uint32_t fib(uint32_t n) {
  return n < 2 ? n : fib(n - 1) + fib(n - 2);
}

BENCH_NOINLINE static int32_t tak(int32_t x, int32_t y, int32_t z) {
  if (y >= x) return z;
  return tak(tak(x - 1, y, z), tak(y - 1, z, x), tak(z - 1, x, y));
}

BENCH_NOINLINE static uint32_t op_add(uint32_t a, uint32_t b) { return a + b; }
BENCH_NOINLINE static uint32_t op_sub(uint32_t a, uint32_t b) { return a - b; }
BENCH_NOINLINE static uint32_t op_xor(uint32_t a, uint32_t b) { return a ^ b; }
BENCH_NOINLINE static uint32_t op_mul(uint32_t a, uint32_t b) { return a * b + 1; }
BENCH_NOINLINE static uint32_t op_rot(uint32_t a, uint32_t b) {
  b &= 31;
  return (a << b) | (a >> ((32 - b) & 31));
}

typedef uint32_t (*binop)(uint32_t, uint32_t);
static binop volatile ops_init[5] = {op_add, op_sub, op_xor, op_mul, op_rot};

int32_t run(void) {
  BENCH_PARAM(fib_n, 32);
  BENCH_PARAM(tak_x, 24);
  BENCH_PARAM(indirect_n, 40000000);

  uint64_t h = 0;
  h = bench_mix(h, fib(fib_n));
  h = bench_mix(h, (uint32_t)tak((int32_t)tak_x, 16, 8));

  binop ops[5];
  for (int i = 0; i < 5; i++) ops[i] = ops_init[i];
  uint32_t acc = 1, x = 12345;
  for (uint32_t i = 0; i < indirect_n; i++) {
    x = x * 1103515245u + 12345u;
    acc = ops[(x >> 16) % 5](acc, x);
  }
  h = bench_mix(h, acc);
  return bench_result(h);
}
