// Differential testing of Isola against V8 (node), on modules from `wasm-opt -ttf`.
//
//   node --experimental-wasm-type-reflection fuzz/differential.mjs \
//        --isola build-fuzz/fuzz-replay/isola_fuzz_exec [--report DIR] [--max-seconds S]
//        [--denan 'WASM-OPT FEATURE FLAGS'] [--generate N --ttf-flags 'FLAGS'] [M.wasm...]
//   node --experimental-wasm-type-reflection fuzz/differential.mjs --v8 [--dump-memory F] M.wasm
//
// Each module is run by Isola's replay driver (isola_fuzz_exec, fuzz/exec_harness.hpp says
// what a run is and the lines it prints) and here by V8 in the same way: the same import
// stubs (record the arguments, return zeros), the same export order, zero arguments, the
// `hangLimitInitializer` reset before each call, and the same description of exported
// memories, globals and tables at the end. Then the two line lists are compared:
//
// - values must be equal bit for bit, except that every NaN equals every other NaN of its
//   type (the spec leaves NaN payloads and signs nondeterministic);
// - a trap must meet a trap of the same class (V8's messages are mapped to Isola's classes;
//   V8 says "null function or function signature mismatch" for both causes, hence one class);
// - the comparison of a module stops, as inconclusive, where Isola ran out of fuel or either
//   engine exhausted its call stack (the two engines' stack limits differ), since their
//   states differ from there on.
//
// A NaN's bits can still surface where the comparison cannot canonicalise them: through
// i32.reinterpret_f32, or stored to memory (e.g. f32.min of a non-canonical NaN may return
// any arithmetic NaN, and V8 and Isola return different ones). With --denan, a mismatching
// module is run again after binaryen's --denan pass (every NaN a float operation produces
// becomes 0; the flags are wasm-opt's feature flags for the module); if the engines then
// agree, the module counts as "NaN payloads only", not as a mismatch.
//
// V8 runs in this process, without a fuel limit: every module given must end on its own, as
// wasm-opt -ttf modules do (they count every loop iteration and call against a "hang limit"
// global). Isola's side runs under fuel in a child process.
//
// --generate N: after the modules named, up to N more made on the fly by `wasm-opt -ttf
// FLAGS` from random bytes (until --max-seconds), so a time budget is spent on fresh
// modules rather than on generating a fixed set up front.
// --v8 prints V8's lines for one module (to read next to `isola_fuzz_exec M.wasm`).
// --report DIR copies each mismatching module to DIR with both engines' lines beside it.
// The closing line reads "differential: N passed, M failed" (inconclusive, skipped and
// rejected modules are counted as passed and listed on the line above); the exit status is 1 when
// any module mismatched.
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const MAX_HASHED_BYTES = 4 << 20;  // as ExecOptions::max_hashed_bytes

function typeName(t) {
  // V8 has spelled funcref 'anyfunc' in its reflection API.
  return t === 'anyfunc' ? 'funcref' : t;
}

const f32buf = new Float32Array(1);
const u32buf = new Uint32Array(f32buf.buffer);
const f64buf = new Float64Array(1);
const u64buf = new BigUint64Array(f64buf.buffer);

function formatValue(type, v) {
  switch (typeName(type)) {
    case 'i32': return `i32:${v | 0}`;
    case 'i64': return `i64:${BigInt.asIntN(64, BigInt(v))}`;
    case 'f32': f32buf[0] = v; return `f32:0x${u32buf[0].toString(16).padStart(8, '0')}`;
    case 'f64': f64buf[0] = v; return `f64:0x${u64buf[0].toString(16).padStart(16, '0')}`;
    case 'funcref': return v === null ? 'funcref:null' : 'funcref:func';
    case 'externref': return v === null || v === undefined ? 'externref:null' : 'externref:ref';
    default: return String(type);
  }
}

function zero(type) {
  switch (typeName(type)) {
    case 'i64': return 0n;
    case 'funcref': case 'externref': return null;
    default: return 0;
  }
}

function trapClass(e) {
  if (e instanceof RangeError && /call stack/i.test(e.message)) return 'stack';
  const m = String(e && e.message);
  const table = [
    [/^unreachable/, 'unreachable'],
    [/divide by zero|remainder by zero/, 'int-div-zero'],
    [/divide result unrepresentable/, 'int-overflow'],
    // V8 says this for NaN ("invalid conversion to integer" in the spec) and for values out
    // of range ("integer overflow"); sameTrap() accepts either.
    [/float unrepresentable in integer range/, 'float-to-int'],
    [/memory access out of bounds|data segment.*out of bounds/, 'memory-oob'],
    [/table index is out of bounds|table access out of bounds|element segment.*out of bounds/, 'table-oob'],
    [/null function or function signature mismatch/, 'indirect-null-or-sig'],
  ];
  for (const [re, cls] of table) if (re.test(m)) return cls;
  return `v8-other:${m}`;
}

function fnv1a(bytes) {
  let h = 2166136261;
  for (let i = 0; i < bytes.length; i++) h = Math.imul(h ^ bytes[i], 16777619) >>> 0;
  return `0x${h.toString(16).padStart(8, '0')}`;
}

// V8's run of one module, as the lines isola_fuzz_exec prints (as objects).
function runV8(bytes, dumpMemory = null) {
  const lines = [];
  let module;
  try {
    module = new WebAssembly.Module(bytes);
  } catch (e) {
    lines.push({ load: 'error', message: String(e.message) });
    return lines;
  }
  const imports = WebAssembly.Module.imports(module);
  const exports = WebAssembly.Module.exports(module);
  if (exports.some((e) => e.kind === 'function' && !e.type)) {
    throw new Error('node lacks wasm type reflection: run it with --experimental-wasm-type-reflection');
  }
  const importObject = {};
  for (const imp of imports) {
    if (imp.kind !== 'function') {
      lines.push({ link: 'skipped', reason: `imports a ${imp.kind}: ${imp.module}.${imp.name}` });
      return lines;
    }
    const { parameters, results } = imp.type;
    const label = `${imp.module}.${imp.name}`;
    (importObject[imp.module] ??= {})[imp.name] = (...args) => {
      lines.push({ host: label, args: parameters.map((t, i) => formatValue(t, args[i])) });
      if (results.length === 0) return undefined;
      if (results.length === 1) return zero(results[0]);
      return results.map(zero);
    };
  }
  let instance;
  try {
    instance = new WebAssembly.Instance(module, importObject);
  } catch (e) {
    if (e instanceof WebAssembly.LinkError || e instanceof TypeError) {
      lines.push({ instantiate: 'error', message: String(e.message) });
    } else {
      lines.push({ instantiate: 'trap', trap: trapClass(e), detail: String(e.message) });
    }
    return lines;
  }
  lines.push({ instantiate: 'ok' });
  const ex = instance.exports;
  const resetInfo = exports.find((e) => e.name === 'hangLimitInitializer' && e.kind === 'function');
  const reset = resetInfo && resetInfo.type.parameters.length === 0 ? ex.hangLimitInitializer : null;
  for (const e of exports) {
    if (e.kind !== 'function') continue;
    const { parameters, results } = e.type;
    if ([...parameters, ...results].some((t) => t === 'v128')) {
      lines.push({ call: e.name, skipped: 'v128' });
      continue;
    }
    if (reset) {
      try { reset(); } catch { /* as Isola: the reset's own outcome is not recorded */ }
    }
    try {
      let r = ex[e.name](...parameters.map(zero));
      if (results.length === 1) r = [r];
      else if (results.length === 0) r = [];
      else r = Array.from(r);
      lines.push({ call: e.name, results: results.map((t, i) => formatValue(t, r[i])) });
    } catch (err) {
      lines.push({ call: e.name, trap: trapClass(err), detail: String(err && err.message) });
    }
  }
  for (const e of exports) {
    const v = ex[e.name];
    if (e.kind === 'memory') {
      const bytes = new Uint8Array(v.buffer);
      const hashed = bytes.subarray(0, Math.min(bytes.length, MAX_HASHED_BYTES));
      lines.push({ memory: e.name, pages: bytes.length / 65536, hash: fnv1a(hashed) });
      if (dumpMemory) {
        fs.writeFileSync(dumpMemory, hashed);
        dumpMemory = null;  // the first exported memory, as isola_fuzz_exec
      }
    } else if (e.kind === 'global') {
      const t = e.type && e.type.value;
      let value;
      try { value = formatValue(t, v.value); } catch { value = 'v128'; }
      lines.push({ global: e.name, value });
    } else if (e.kind === 'table') {
      lines.push({ table: e.name, size: v.length });
    }
  }
  return lines;
}

// Whether Isola's trap class `a` is what V8's class `b` allows.
function sameTrap(a, b) {
  if (b === 'float-to-int') return a === 'invalid-conversion' || a === 'int-overflow';
  return a === b;
}

// What must agree, as one string per line: messages and trap details are dropped, NaNs of
// a type are all one value.
function canonical(line) {
  const c = { ...line };
  delete c.message;
  delete c.detail;
  delete c.reason;
  const canon = (s) => {
    const m = /^(f32|f64):0x([0-9a-f]+)$/.exec(s);
    if (!m) return s;
    const bits = BigInt(`0x${m[2]}`);
    const isNaN = m[1] === 'f32'
      ? (bits & 0x7f800000n) === 0x7f800000n && (bits & 0x7fffffn) !== 0n
      : (bits & 0x7ff0000000000000n) === 0x7ff0000000000000n && (bits & 0xfffffffffffffn) !== 0n;
    return isNaN ? `${m[1]}:nan` : s;
  };
  if (c.results) c.results = c.results.map(canon);
  if (c.args) c.args = c.args.map(canon);
  if (typeof c.value === 'string') c.value = canon(c.value);
  return JSON.stringify(c, Object.keys(c).sort());
}

// 'agree' | 'inconclusive' | 'skipped' | 'rejected' (invalid for both) | {mismatch: index, isola, v8}
function compare(isolaLines, v8Lines) {
  const n = Math.max(isolaLines.length, v8Lines.length);
  if (isolaLines[0] && isolaLines[0].link === 'skipped' && v8Lines[0] && v8Lines[0].link === 'skipped') {
    return 'skipped';
  }
  if (isolaLines[0] && isolaLines[0].load === 'error' && v8Lines[0] && v8Lines[0].load === 'error') {
    return 'rejected';
  }
  for (let i = 0; i < n; i++) {
    const a = isolaLines[i], b = v8Lines[i];
    if (a && b) {
      if (a.trap === 'fuel' || a.trap === 'stack' || b.trap === 'stack') {
        if (canonical(a) !== canonical(b)) return 'inconclusive';
      }
    }
    if (a && b && a.trap && b.trap && sameTrap(a.trap, b.trap)) {
      const ta = { ...a, trap: b.trap };
      if (canonical(ta) === canonical(b)) continue;
    }
    if (!a || !b || canonical(a) !== canonical(b)) {
      return { mismatch: i, isola: a ?? null, v8: b ?? null };
    }
  }
  return 'agree';
}

function runIsola(driver, file) {
  const r = spawnSync(driver, [file], { encoding: 'utf8', timeout: 120_000, maxBuffer: 64 << 20 });
  if (r.error) return { crashed: `could not run ${driver}: ${r.error.message}` };
  if (r.status !== 0) {
    return { crashed: `exit status ${r.status}${r.signal ? ` (signal ${r.signal})` : ''}\n${r.stderr}` };
  }
  return { lines: r.stdout.split('\n').filter((l) => l.length).map((l) => JSON.parse(l)) };
}

// The module after binaryen's --denan pass, or null when wasm-opt fails.
function denan(file, flags) {
  const out = path.join(os.tmpdir(), `isola-denan-${process.pid}.wasm`);
  const r = spawnSync('wasm-opt', [file, ...flags.split(/\s+/).filter(Boolean), '--denan', '-o', out],
                      { encoding: 'utf8' });
  if (r.status !== 0) return null;
  const bytes = fs.readFileSync(out);
  fs.rmSync(out, { force: true });
  return bytes;
}

function verdictFor(driver, file, bytes) {
  const v8 = runV8(bytes);
  const isola = runIsola(driver, file);
  return { v8, isola, verdict: isola.crashed ? { crash: isola.crashed } : compare(isola.lines, v8) };
}

// Copies a module and both engines' lines to `dir`; returns the module's new path.
function save(dir, file, isola, v8) {
  fs.mkdirSync(dir, { recursive: true });
  const base = path.join(dir, path.basename(file, '.wasm'));
  fs.copyFileSync(file, `${base}.wasm`);
  fs.writeFileSync(`${base}.v8.jsonl`, v8.map((l) => JSON.stringify(l)).join('\n') + '\n');
  if (isola.lines) fs.writeFileSync(`${base}.isola.jsonl`, isola.lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
  return `${base}.wasm`;
}

// Yields the files named, then (with --generate N) up to N modules that `wasm-opt -ttf`
// makes from random bytes of random length, written to `workDir` one at a time.
function* modules(files, generate, ttfFlags, workDir) {
  yield* files;
  if (!generate) return;
  fs.mkdirSync(workDir, { recursive: true });
  const input = path.join(workDir, 'random.bin');
  for (let i = 0; i < generate; i++) {
    fs.writeFileSync(input, crypto.randomBytes(256 + crypto.randomInt(30000)));
    // As scripts/fuzz.sh's seeds: a third optimised (reshaped control flow), one in eight
    // with reference types (binaryen 108 then often emits typed function references, which
    // WebAssembly 2.0 engines reject: those exercise the validators instead).
    const extra = [[], ['-O2'], ['-Os']][i % 3].concat(i % 8 === 7 ? ['--enable-reference-types'] : []);
    const out = path.join(workDir, `gen-${String(i).padStart(6, '0')}.wasm`);
    const r = spawnSync('wasm-opt', [input, '-ttf', ...ttfFlags.split(/\s+/).filter(Boolean), ...extra, '-o', out],
                        { encoding: 'utf8' });
    if (r.status !== 0) continue;
    yield out;
    fs.rmSync(out, { force: true });  // a mismatching one was copied to the report first
  }
  fs.rmSync(input, { force: true });
}

function main(argv) {
  let driver = null, reportDir = null, maxSeconds = Infinity, v8Only = false, denanFlags = null;
  let generate = 0, ttfFlags = '', dumpMemory = null;
  const files = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--isola') driver = argv[++i];
    else if (a === '--report') reportDir = argv[++i];
    else if (a === '--max-seconds') maxSeconds = Number(argv[++i]);
    else if (a === '--v8') v8Only = true;
    else if (a === '--dump-memory') dumpMemory = argv[++i];
    else if (a === '--denan') denanFlags = argv[++i];
    else if (a === '--generate') generate = Number(argv[++i]);
    else if (a === '--ttf-flags') ttfFlags = argv[++i];
    else files.push(a);
  }
  if (v8Only) {
    for (const f of files) for (const l of runV8(fs.readFileSync(f), dumpMemory)) console.log(JSON.stringify(l));
    return 0;
  }
  if (!driver || (files.length === 0 && !generate)) {
    console.error('usage: differential.mjs --isola ISOLA_FUZZ_EXEC [--report DIR] [--max-seconds S] ' +
                  "[--denan FLAGS] [--generate N --ttf-flags FLAGS] [MODULE.wasm...]");
    return 2;
  }
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'isola-differential-'));
  const start = Date.now();
  const count = { agree: 0, inconclusive: 0, skipped: 0, rejected: 0, nan: 0, failed: 0 };
  let done = 0;
  for (const file of modules(files, generate, ttfFlags, workDir)) {
    if ((Date.now() - start) / 1000 > maxSeconds) break;
    done++;
    const { v8, isola, verdict } = verdictFor(driver, file, fs.readFileSync(file));
    if (typeof verdict === 'string') {
      count[verdict]++;
      continue;
    }
    if (denanFlags !== null && !verdict.crash) {
      const bytes = denan(file, denanFlags);
      if (bytes) {
        const tmp = path.join(workDir, 'denan.wasm');
        fs.writeFileSync(tmp, bytes);
        const again = verdictFor(driver, tmp, bytes).verdict;
        if (again === 'agree' || again === 'inconclusive') {
          count.nan++;
          console.log(`nan-only ${path.basename(file)}: differs at line ${verdict.mismatch + 1} ` +
                      `(isola ${JSON.stringify(verdict.isola)}, v8 ${JSON.stringify(verdict.v8)}), agrees after --denan`);
          // Kept (a few) for a reader who wants to see where the payloads part ways.
          if (reportDir && count.nan <= 20) save(path.join(reportDir, 'nan-only'), file, isola, v8);
          continue;
        }
      }
    }
    count.failed++;
    if (verdict.crash) {
      console.log(`MISMATCH ${file}: isola_fuzz_exec failed: ${verdict.crash}`);
    } else {
      console.log(`MISMATCH ${file} at line ${verdict.mismatch + 1}:`);
      console.log(`  isola: ${JSON.stringify(verdict.isola)}`);
      console.log(`  v8:    ${JSON.stringify(verdict.v8)}`);
    }
    if (reportDir) console.log(`  saved as ${save(reportDir, file, isola, v8)}`);
  }
  fs.rmSync(workDir, { recursive: true, force: true });
  const secs = ((Date.now() - start) / 1000).toFixed(1);
  console.log(`differential: ${done} modules in ${secs}s: ${count.agree} agree, ${count.inconclusive} inconclusive ` +
              `(fuel or call stack), ` +
              `${count.rejected} rejected by both, ${count.nan} NaN payloads only, ` +
              `${count.skipped} skipped (non-function imports), ` +
              `${count.failed} mismatched`);
  console.log(`differential: ${done - count.failed} passed, ${count.failed} failed`);
  return count.failed ? 1 : 0;
}

process.exitCode = main(process.argv.slice(2));
