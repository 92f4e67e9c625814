;; Exercises the embedding API: host imports, memory, globals, tables, traps.
(module
  (import "env" "add" (func $add (param i32 i32) (result i32)))
  (import "env" "sum_bytes" (func $sum_bytes (param i32 i32) (result i64)))
  (import "env" "fail" (func $fail (param i32)))
  (memory (export "memory") 1 4)
  (global $counter (export "counter") (mut i32) (i32.const 7))
  (table (export "table") 2 funcref)
  (elem (i32.const 0) $double)
  (data (i32.const 16) "\01\02\03\04\05")
  (func $double (export "double") (param i32) (result i32)
    local.get 0
    i32.const 2
    i32.mul)
  (func (export "call_add") (param i32 i32) (result i32)
    local.get 0
    local.get 1
    call $add)
  (func (export "sum_data") (result i64)
    i32.const 16
    i32.const 5
    call $sum_bytes)
  (func (export "call_fail") (param i32)
    local.get 0
    call $fail)
  (func (export "bump") (result i32)
    global.get $counter
    i32.const 1
    i32.add
    global.set $counter
    global.get $counter)
  (func (export "div") (param i32 i32) (result i32)
    local.get 0
    local.get 1
    i32.div_s)
  (func (export "load") (param i32) (result i32)
    local.get 0
    i32.load)
  (func $recurse (export "recurse") (param i32) (result i32)
    local.get 0
    call $recurse)
  (func (export "pair") (param i64 f64) (result f64 i64)
    local.get 1
    local.get 0)
)
