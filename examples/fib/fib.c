// The first example guest: a recursive Fibonacci, exported as `fib`.
// Run it with: isola run --invoke fib build/examples/fib.wasm 30
unsigned long long fib(unsigned n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }
