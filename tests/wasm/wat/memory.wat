;; Linear memory in both memory modes (tests/wasm/memory_test.cpp): bounds at the edge,
;; huge offsets, growth under limits, trap locations, reuse of pooled memories.
(module
  (import "env" "peek_past_end" (func $peek_past_end))
  (memory (export "memory") 1 65536)
  (table (export "table") 1 1000 funcref)
  (data (i32.const 16) "hello")
  (func (export "load") (param i32) (result i32) local.get 0 i32.load)
  (func (export "load8") (param i32) (result i32) local.get 0 i32.load8_u)
  (func (export "load64") (param i32) (result i64) local.get 0 i64.load)
  (func (export "store") (param i32 i32) local.get 0 local.get 1 i32.store)
  (func (export "load_far") (param i32) (result i32) local.get 0 i32.load offset=0xfffffff0)
  (func (export "store_far") (param i32) local.get 0 i32.const 7 i64.extend_i32_u i64.store offset=0xffffffff)
  (func (export "grow") (param i32) (result i32) local.get 0 memory.grow)
  (func (export "size") (result i32) memory.size)
  (func (export "table_grow") (param i32) (result i32) ref.null func local.get 0 table.grow 0)
  ;; A load two calls deep, so the trap must name this function, not the exported one.
  (func $inner (param i32) (result i32)
    i32.const 1
    local.get 0
    i32.load16_u offset=2
    i32.add)
  (func $middle (param i32) (result i32) local.get 0 call $inner)
  (func (export "nested") (param i32) (result i32) local.get 0 call $middle)
  (func (export "host_peek") call $peek_past_end)
  ;; A callee grows the memory (which may move it, with bounds checks); the caller then
  ;; writes and reads the new pages and its old data.
  (func $grow_by (param i32) (result i32) local.get 0 memory.grow)
  (func (export "grow_in_callee") (param i32) (result i32)
    (drop (call $grow_by (i32.const 8)))
    (i32.store (i32.sub (i32.mul (i32.const 65536) (i32.add (local.get 0) (i32.const 8))) (i32.const 4))
               (i32.const 0x5eed))
    (i32.add (i32.load (i32.sub (i32.mul (i32.const 65536) (i32.add (local.get 0) (i32.const 8))) (i32.const 4)))
             (i32.load8_u (i32.const 16))))
)
