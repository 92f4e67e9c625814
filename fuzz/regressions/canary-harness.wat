;; Not a finding: a canary that keeps the replay tests meaningful. It takes every path of the
;; fuzz_run harness (fuzz/exec_harness.hpp): stubbed imports, the hang-limit reset, a trap,
;; memory growth past its maximum, a null indirect call, a NaN, a store, exported globals and
;; memory, and a loop that only fuel stops (last: once fuel is gone, every call traps).
;; canary-harness.wasm is this, compiled with wat2wasm.
(module
  (import "fuzzing-support" "log-i32" (func $log (param i32)))
  (import "fuzzing-support" "log-f64" (func $logf (param f64)))
  (type $v (func))
  (table 2 funcref)
  (memory (export "memory") 1 4)
  (global $hang (mut i32) (i32.const 10))
  (global (export "counter") (mut i64) (i64.const 0))
  (func (export "hangLimitInitializer") (global.set $hang (i32.const 10)))
  (func (export "logs") (call $log (i32.const 42)) (call $logf (f64.const nan:0x4)))
  (func (export "grow") (result i32) (drop (memory.grow (i32.const 3))) (memory.grow (i32.const 1)))
  (func (export "null_call") (call_indirect (type $v) (i32.const 1)))
  (func (export "nan") (result f32) (f32.div (f32.const 0) (f32.const 0)))
  (func (export "store") (i64.store offset=100 (i32.const 0) (i64.const 0x0123456789abcdef)))
  (func (export "forever") (loop $l (global.set 1 (i64.add (global.get 1) (i64.const 1))) (br $l)))
  (func (export "after_fuel") (result i32) (i32.const 7)))
