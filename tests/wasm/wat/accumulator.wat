;; Accumulator forwarding (src/wasm/interp/code.hpp, ISOLA_ACC_VARIANTS): functions whose
;; lowering passes a value from one instruction to the next in the accumulator, and ones
;; where a branch target lies between the two, so it must not. Indexed by accumulator_test.cpp.
(module
  (memory 1)
  (data (i32.const 16) "\01\02\03\04\05\06\07\08")

  ;; 0: (a * b) + c: the add reads the product from the accumulator.
  (func (export "mul_add") (param i32 i32 i32) (result i32)
    (i32.add (i32.mul (local.get 0) (local.get 1)) (local.get 2)))

  ;; 1: c - (a * b): the product is the right operand, read from the accumulator.
  (func (export "sub_of_product") (param i32 i32 i32) (result i32)
    (i32.sub (local.get 2) (i32.mul (local.get 0) (local.get 1))))

  ;; 2: a chain of loads: p = mem[mem[p]]; the second load's address comes from the first.
  (func (export "load_chain") (param i32) (result i32)
    (i32.load8_u (i32.load8_u (local.get 0))))

  ;; 3: a store whose value was just computed.
  (func (export "store_sum") (param i32 i32 i32) (result i32)
    (i32.store (local.get 0) (i32.add (local.get 1) (local.get 2)))
    (i32.load (local.get 0)))

  ;; 4: a value written to a local, then read at a block's end, which a branch also reaches.
  ;; On the branch path the value last written is the branch condition, not the local: the
  ;; read after the label must come from the slot.
  (func (export "label_between") (param i32 i32) (result i32)
    (local i32)
    (local.set 2 (i32.const 100))
    (block
      (br_if 0 (i32.add (local.get 0) (i32.const 5)))
      (local.set 2 (i32.mul (local.get 1) (i32.const 3))))
    (i32.add (local.get 2) (i32.const 1)))

  ;; 5: the same at a loop's head: the back-edge arrives with another value last written
  ;; (local 3), while the instruction before the loop wrote the local the head reads.
  (func (export "loop_head") (param i32) (result i32)
    (local i32 i32 i32)
    (local.set 1 (i32.const 0))
    (local.set 2 (local.get 0))
    (loop
      (local.set 1 (i32.add (local.get 2) (local.get 1)))
      (local.set 2 (i32.sub (local.get 2) (i32.const 1)))
      (local.set 3 (i32.mul (local.get 2) (i32.const 1000)))
      (br_if 0 (local.get 2)))
    (i32.add (local.get 1) (local.get 3)))

  ;; 6: f64: (x * y) + z where the add is not fused with the product (its operand order
  ;; is the other way round and the product is a local first): the add reads the accumulator.
  (func (export "f64_chain") (param f64 f64 f64) (result f64)
    (local f64)
    (local.set 3 (f64.sqrt (local.get 0)))
    (f64.div (local.get 3) (local.get 1)))

  ;; 7: a compare-and-branch whose left operand was just loaded.
  (func (export "branch_on_load") (param i32 i32) (result i32)
    (block
      (br_if 0 (i32.lt_u (i32.load8_u (local.get 0)) (local.get 1)))
      (return (i32.const 1)))
    (i32.const 0))

  ;; 8: a br_table on a value just loaded (a bytecode interpreter's dispatch).
  (func (export "table_on_load") (param i32) (result i32)
    (block (block (block
      (br_table 0 1 2 (i32.load8_u (local.get 0))))
      (return (i32.const 10)))
      (return (i32.const 20)))
    (i32.const 30))

  ;; 9: x * x: both operands are the value just written; the add reads one of them.
  (func (export "square_of_sum") (param i32 i32) (result i32)
    (local i32)
    (local.set 2 (i32.add (local.get 0) (local.get 1)))
    (i32.mul (local.get 2) (local.get 2)))

  ;; 10: a call between: the callee's last write is not the caller's value.
  (func $seven (result i32) (i32.const 7))
  (func (export "call_between") (param i32) (result i32)
    (local i32)
    (local.set 1 (i32.add (local.get 0) (i32.const 1)))
    (drop (call $seven))
    (i32.add (local.get 1) (i32.const 0x100)))

  ;; 12: a product, a store, then the product used: the store leaves the accumulator alone.
  (func (export "across_store") (param i32 i32) (result i32)
    (local i32)
    (local.set 2 (i32.mul (local.get 0) (local.get 1)))
    (i32.store offset=64 (local.get 1) (local.get 0))
    (i32.add (local.get 2) (i32.load offset=64 (local.get 1))))

  ;; 13: two pointer steps (one I32AddImm2, which leaves its second sum in the accumulator),
  ;; then a load through the second pointer, added to the first.
  (func (export "two_steps_then_load") (param i32 i32) (result i32)
    (local.set 0 (i32.add (local.get 0) (i32.const 1)))
    (local.set 1 (i32.add (local.get 1) (i32.const 4)))
    (i32.add (local.get 0) (i32.load (local.get 1))))
)
