// Runs one benchmark module under node's V8: instantiates it with NO imports,
// calls `_initialize` if the module exports it (the WASI reactor convention),
// then calls `run` once and prints its result on stdout.
// Usage: node bench/node-run.mjs X.wasm
// Set BENCH_TIME=1 to also print the time spent inside run() on stderr.
import { readFileSync } from 'node:fs';

const path = process.argv[2];
if (!path) {
  console.error('usage: node node-run.mjs X.wasm');
  process.exit(2);
}
const module = new WebAssembly.Module(readFileSync(path));
const imports = WebAssembly.Module.imports(module);
if (imports.length !== 0) {
  console.error(`${path}: module has ${imports.length} import(s); benchmarks must have none`);
  process.exit(1);
}
const instance = new WebAssembly.Instance(module, {});
const { exports } = instance;
if (typeof exports._initialize === 'function') exports._initialize();
if (typeof exports.run !== 'function') {
  console.error(`${path}: no exported function "run"`);
  process.exit(1);
}
const start = process.hrtime.bigint();
const result = exports.run();
const elapsed = process.hrtime.bigint() - start;
console.log(String(result));
if (process.env.BENCH_TIME) console.error(`run: ${Number(elapsed) / 1e6} ms`);
