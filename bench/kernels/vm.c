/* A small bytecode interpreter: a stack machine with locals, arithmetic,
 * comparisons, conditional jumps, calls and returns, dispatched by a switch
 * in a loop. Runs three guest programs assembled at run time: an arithmetic
 * loop, trial-division prime counting, and recursive Fibonacci. This is the
 * shape of interpreter and state-machine code (unpredictable indirect
 * branches, small stack reads and writes). */
#include "harness.h"

enum {
  OP_HALT,
  OP_PUSH,  /* imm */
  OP_LOAD,  /* local index */
  OP_STORE, /* local index */
  OP_ADD,
  OP_SUB,
  OP_MUL,
  OP_REM,
  OP_AND,
  OP_XOR,
  OP_SHR,
  OP_LT,
  OP_EQ,
  OP_DUP,
  OP_POP,
  OP_JMP,  /* target */
  OP_JZ,   /* target */
  OP_JNZ,  /* target */
  OP_CALL, /* target, nargs */
  OP_RET,
  OP_INC, /* local index: local += 1 */
};

#define CODE_MAX 256
#define STACK_MAX 4096
#define FRAMES_MAX 256
#define LOCALS 8

typedef struct {
  int32_t code[CODE_MAX];
  uint32_t len;
} program;

static void emit(program *p, int32_t v) { p->code[p->len++] = v; }
static void emit1(program *p, int32_t op, int32_t a) {
  emit(p, op);
  emit(p, a);
}

typedef struct {
  uint32_t ret_pc;
  uint32_t base; /* index of this frame's locals in the locals array */
} frame;

/* Executes p with locals[0..] preset; returns the value left on the stack. */
static int32_t execute(const program *p, const int32_t *args, uint32_t nargs) {
  int32_t stack[STACK_MAX];
  int32_t locals[FRAMES_MAX * LOCALS];
  frame frames[FRAMES_MAX];
  uint32_t sp = 0, fp = 0, pc = 0, base = 0;
  for (uint32_t i = 0; i < LOCALS; i++) locals[i] = i < nargs ? args[i] : 0;
  const int32_t *code = p->code;
  for (;;) {
    int32_t op = code[pc++];
    switch (op) {
      case OP_HALT:
        return sp ? stack[sp - 1] : 0;
      case OP_PUSH:
        stack[sp++] = code[pc++];
        break;
      case OP_LOAD:
        stack[sp++] = locals[base + code[pc++]];
        break;
      case OP_STORE:
        locals[base + code[pc++]] = stack[--sp];
        break;
      case OP_INC:
        locals[base + code[pc++]] += 1;
        break;
      case OP_ADD:
        sp--;
        stack[sp - 1] = (int32_t)((uint32_t)stack[sp - 1] + (uint32_t)stack[sp]);
        break;
      case OP_SUB:
        sp--;
        stack[sp - 1] = (int32_t)((uint32_t)stack[sp - 1] - (uint32_t)stack[sp]);
        break;
      case OP_MUL:
        sp--;
        stack[sp - 1] = (int32_t)((uint32_t)stack[sp - 1] * (uint32_t)stack[sp]);
        break;
      case OP_REM:
        sp--;
        stack[sp - 1] = stack[sp] ? (int32_t)((uint32_t)stack[sp - 1] % (uint32_t)stack[sp]) : 0;
        break;
      case OP_AND:
        sp--;
        stack[sp - 1] &= stack[sp];
        break;
      case OP_XOR:
        sp--;
        stack[sp - 1] ^= stack[sp];
        break;
      case OP_SHR:
        sp--;
        stack[sp - 1] = (int32_t)((uint32_t)stack[sp - 1] >> (stack[sp] & 31));
        break;
      case OP_LT:
        sp--;
        stack[sp - 1] = stack[sp - 1] < stack[sp];
        break;
      case OP_EQ:
        sp--;
        stack[sp - 1] = stack[sp - 1] == stack[sp];
        break;
      case OP_DUP:
        stack[sp] = stack[sp - 1];
        sp++;
        break;
      case OP_POP:
        sp--;
        break;
      case OP_JMP:
        pc = (uint32_t)code[pc];
        break;
      case OP_JZ:
        pc = stack[--sp] == 0 ? (uint32_t)code[pc] : pc + 1;
        break;
      case OP_JNZ:
        pc = stack[--sp] != 0 ? (uint32_t)code[pc] : pc + 1;
        break;
      case OP_CALL: {
        uint32_t target = (uint32_t)code[pc], n = (uint32_t)code[pc + 1];
        if (fp + 1 >= FRAMES_MAX) return -1;
        frames[fp].ret_pc = pc + 2;
        frames[fp].base = base;
        fp++;
        base += LOCALS;
        for (uint32_t i = 0; i < LOCALS; i++) locals[base + i] = 0;
        for (uint32_t i = n; i-- > 0;) locals[base + i] = stack[--sp];
        pc = target;
        break;
      }
      case OP_RET:
        if (fp == 0) return stack[sp - 1];
        fp--;
        pc = frames[fp].ret_pc;
        base = frames[fp].base;
        break;
      default:
        return -2;
    }
  }
}

/* acc = 0; for (i = 0; i < n; i++) { x = i * i ^ (acc >> 3);
 *   if (x & 1) acc += x; else acc -= i; } return acc; */
static void assemble_loop(program *p) {
  enum { N = 0, I = 1, ACC = 2, X = 3 };
  p->len = 0;
  emit1(p, OP_PUSH, 0); emit1(p, OP_STORE, I);
  emit1(p, OP_PUSH, 0); emit1(p, OP_STORE, ACC);
  uint32_t top = p->len;
  emit1(p, OP_LOAD, I); emit1(p, OP_LOAD, N); emit(p, OP_LT);
  emit1(p, OP_JZ, 0); uint32_t exit_patch = p->len - 1;
  emit1(p, OP_LOAD, I); emit1(p, OP_LOAD, I); emit(p, OP_MUL);
  emit1(p, OP_LOAD, ACC); emit1(p, OP_PUSH, 3); emit(p, OP_SHR); emit(p, OP_XOR);
  emit(p, OP_DUP); emit1(p, OP_STORE, X);
  emit1(p, OP_PUSH, 1); emit(p, OP_AND);
  emit1(p, OP_JZ, 0); uint32_t else_patch = p->len - 1;
  emit1(p, OP_LOAD, ACC); emit1(p, OP_LOAD, X); emit(p, OP_ADD); emit1(p, OP_STORE, ACC);
  emit1(p, OP_JMP, 0); uint32_t join_patch = p->len - 1;
  p->code[else_patch] = (int32_t)p->len;
  emit1(p, OP_LOAD, ACC); emit1(p, OP_LOAD, I); emit(p, OP_SUB); emit1(p, OP_STORE, ACC);
  p->code[join_patch] = (int32_t)p->len;
  emit1(p, OP_INC, I);
  emit1(p, OP_JMP, (int32_t)top);
  p->code[exit_patch] = (int32_t)p->len;
  emit1(p, OP_LOAD, ACC);
  emit(p, OP_HALT);
}

/* count = 0; for (k = 2; k < n; k++) { d = 2;
 *   while (d * d <= k && k % d != 0) d++;   (written as !(k < d*d))
 *   if (d * d > k) count++; } return count; */
static void assemble_primes(program *p) {
  enum { N = 0, K = 1, D = 2, COUNT = 3 };
  p->len = 0;
  emit1(p, OP_PUSH, 0); emit1(p, OP_STORE, COUNT);
  emit1(p, OP_PUSH, 2); emit1(p, OP_STORE, K);
  uint32_t outer = p->len;
  emit1(p, OP_LOAD, K); emit1(p, OP_LOAD, N); emit(p, OP_LT);
  emit1(p, OP_JZ, 0); uint32_t done_patch = p->len - 1;
  emit1(p, OP_PUSH, 2); emit1(p, OP_STORE, D);
  uint32_t inner = p->len;
  emit1(p, OP_LOAD, K); emit1(p, OP_LOAD, D); emit1(p, OP_LOAD, D); emit(p, OP_MUL); emit(p, OP_LT);
  emit1(p, OP_JNZ, 0); uint32_t prime_patch = p->len - 1; /* k < d*d: prime */
  emit1(p, OP_LOAD, K); emit1(p, OP_LOAD, D); emit(p, OP_REM);
  emit1(p, OP_JZ, 0); uint32_t next_patch = p->len - 1; /* divisible: composite */
  emit1(p, OP_INC, D);
  emit1(p, OP_JMP, (int32_t)inner);
  p->code[prime_patch] = (int32_t)p->len;
  emit1(p, OP_INC, COUNT);
  p->code[next_patch] = (int32_t)p->len;
  emit1(p, OP_INC, K);
  emit1(p, OP_JMP, (int32_t)outer);
  p->code[done_patch] = (int32_t)p->len;
  emit1(p, OP_LOAD, COUNT);
  emit(p, OP_HALT);
}

/* main: push n; call fib; halt.  fib(n): if (n < 2) return n;
 * return fib(n - 1) + fib(n - 2); */
static void assemble_fib(program *p) {
  p->len = 0;
  emit1(p, OP_LOAD, 0);
  emit(p, OP_CALL); emit(p, 0); emit(p, 1); uint32_t call_patch = p->len - 2;
  emit(p, OP_HALT);
  uint32_t fib = p->len;
  p->code[call_patch] = (int32_t)fib;
  emit1(p, OP_LOAD, 0); emit1(p, OP_PUSH, 2); emit(p, OP_LT);
  emit1(p, OP_JZ, 0); uint32_t rec_patch = p->len - 1;
  emit1(p, OP_LOAD, 0); emit(p, OP_RET);
  p->code[rec_patch] = (int32_t)p->len;
  emit1(p, OP_LOAD, 0); emit1(p, OP_PUSH, 1); emit(p, OP_SUB);
  emit(p, OP_CALL); emit(p, (int32_t)fib); emit(p, 1);
  emit1(p, OP_LOAD, 0); emit1(p, OP_PUSH, 2); emit(p, OP_SUB);
  emit(p, OP_CALL); emit(p, (int32_t)fib); emit(p, 1);
  emit(p, OP_ADD);
  emit(p, OP_RET);
}

int32_t run(void) {
  BENCH_PARAM(loop_n, 8000000);
  BENCH_PARAM(primes_n, 95000);
  BENCH_PARAM(fib_n, 26);

  program p;
  uint64_t h = 0;
  int32_t args[1];

  assemble_loop(&p);
  args[0] = (int32_t)loop_n;
  h = bench_mix(h, (uint32_t)execute(&p, args, 1));

  assemble_primes(&p);
  args[0] = (int32_t)primes_n;
  int32_t primes = execute(&p, args, 1);
  h = bench_mix(h, (uint32_t)primes);

  assemble_fib(&p);
  args[0] = (int32_t)fib_n;
  int32_t f = execute(&p, args, 1);
  h = bench_mix(h, (uint32_t)f);
  return bench_result(h);
}
