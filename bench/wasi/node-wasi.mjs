// Runs a WASI command module (one that exports _start) under node's WASI
// (wasi_snapshot_preview1, V8), with the same command line as `isola run`:
//
//   node --no-warnings bench/wasi/node-wasi.mjs [--dir HOST[::GUEST][:ro]]... [--env N=V]...
//        MODULE.wasm [ARGS...]
//
// Preopened directories become fds 3, 4, ... in order; GUEST defaults to HOST. A
// trailing ":ro" is accepted for command-line compatibility but node cannot enforce
// it (the directory is writable); ":overlay" is refused (node would write through). stdin/stdout/stderr are the process's. The exit
// status is the guest's exit code. The guest sees args[0] = MODULE.wasm as given.
// Used by bench/wasi/run.sh (timing comparison) and tests/e2e/run-e2e.sh (to check
// the wasm builds against a second WASI implementation).
import { readFileSync } from 'node:fs';
import { WASI } from 'node:wasi';

function usage(msg) {
  if (msg) console.error(`node-wasi: ${msg}`);
  console.error('usage: node node-wasi.mjs [--dir HOST[::GUEST][:ro]]... [--env N=V]... MODULE.wasm [ARGS...]');
  process.exit(2);
}

const argv = process.argv.slice(2);
const preopens = {};
const env = {};
let i = 0;
for (; i < argv.length; i++) {
  const a = argv[i];
  if (a === '--') { i++; break; }
  if (!a.startsWith('--')) break;
  const eqAt = a.indexOf('=');
  const opt = eqAt >= 0 ? a.slice(0, eqAt) : a;
  const value = eqAt >= 0 ? a.slice(eqAt + 1) : argv[++i];
  if (value === undefined) usage(`${opt} needs a value`);
  if (opt === '--dir') {
    if (value.endsWith(':overlay')) usage(`node's WASI has no overlay mounts: '${value}'`);
    const spec = value.replace(/:ro$/, '');
    const sep = spec.indexOf('::');
    const host = sep >= 0 ? spec.slice(0, sep) : spec;
    const guest = sep >= 0 ? spec.slice(sep + 2) : spec;
    if (!host || !guest) usage(`bad --dir '${value}'`);
    preopens[guest] = host;
  } else if (opt === '--env') {
    const eq = value.indexOf('=');
    if (eq <= 0) usage(`bad --env '${value}' (want NAME=VALUE)`);
    env[value.slice(0, eq)] = value.slice(eq + 1);
  } else {
    usage(`unknown option ${opt}`);
  }
}
const path = argv[i];
if (!path) usage('no module given');
const args = [path, ...argv.slice(i + 1)];

const wasi = new WASI({ version: 'preview1', args, env, preopens, returnOnExit: true });
let module;
try {
  module = new WebAssembly.Module(readFileSync(path));
} catch (e) {
  console.error(`node-wasi: ${path}: ${e.message}`);
  process.exit(2);
}
const instance = new WebAssembly.Instance(module, wasi.getImportObject());
const code = wasi.start(instance);
process.exitCode = code ?? 0;
