;; Addresses kept symbolic (a local plus a constant, lower.cpp Entry::Sum), memory-to-memory
;; moves, funnel shifts and `c[j] += x * b[k]` in one instruction (src/wasm/interp/code.hpp).
;; Indexed by address_fusion_test.cpp, which reads and writes the exported memory.
(module
  (memory (export "mem") 1)
  (data (i32.const 16) "\01\02\03\04\05\06\07\08\80\fe\0b\0c\0d\0e\0f\10")

  ;; 0: a store at (p + 4) + 2 of a value computed after the address.
  (func (export "sum_store") (param i32 i32)
    (i32.store offset=2 (i32.add (local.get 0) (i32.const 4)) (i32.mul (local.get 1) (i32.const 3))))

  ;; 1: p is overwritten while p + 8 waits on the stack: the store takes the old p.
  (func (export "sum_old_local") (param i32) (result i32)
    local.get 0
    i32.const 8
    i32.add
    i32.const 200
    local.tee 0
    i32.store
    local.get 0)

  ;; 2: (p + 3) - 1, and (p + 2^31) + 2^31 == p (wrapping): loads at p + 2 and p.
  (func (export "sum_fold") (param i32) (result i32)
    (i32.add
      (i32.mul (i32.load8_u (i32.add (i32.add (local.get 0) (i32.const 3)) (i32.const -1))) (i32.const 256))
      (i32.load8_u (i32.add (i32.add (local.get 0) (i32.const 0x80000000)) (i32.const 0x80000000)))))

  ;; 3: l1 = p + 7; p = p + 1; result p + l1 = 2p + 8.
  (func (export "sum_set") (param i32) (result i32)
    (local i32)
    (local.set 1 (i32.add (local.get 0) (i32.const 7)))
    (local.set 0 (i32.add (local.get 0) (i32.const 1)))
    (i32.add (local.get 0) (local.get 1)))

  ;; 4: p + 3 as a block's result through br, and p + 5 through a taken or untaken br_if.
  (func (export "sum_br") (param i32 i32) (result i32)
    (i32.add
      (i32.mul (block (result i32) (br 0 (i32.add (local.get 0) (i32.const 3)))) (i32.const 100))
      (block (result i32)
        (drop (br_if 0 (i32.add (local.get 0) (i32.const 5)) (local.get 1)))
        (i32.const 9))))

  ;; 5: returned directly; 6: two of them returned.
  (func (export "sum_return") (param i32) (result i32)
    (return (i32.add (local.get 0) (i32.const -2))))
  (func (export "sum_return2") (param i32) (result i32 i32)
    (return (i32.add (local.get 0) (i32.const 1)) (i32.add (local.get 0) (i32.const 2))))

  ;; 7: p + 10 waits across an `if` that may overwrite p: (old p + 10) + p.
  (func (export "sum_if") (param i32 i32) (result i32)
    local.get 0
    i32.const 10
    i32.add
    local.get 1
    if
      i32.const 1000
      local.set 0
    end
    local.get 0
    i32.add)

  ;; 8-12: a loaded value stored unchanged (one move).
  (func (export "move32") (param i32 i32)
    (i32.store (local.get 0) (i32.load (local.get 1))))
  (func (export "move8s") (param i32 i32)
    (i32.store8 offset=1 (i32.add (local.get 0) (i32.const 2))
      (i32.load8_s offset=3 (i32.add (local.get 1) (i32.const 4)))))
  (func (export "move16") (param i32 i32)
    (i32.store16 (local.get 0) (i32.load16_u offset=2 (local.get 1))))
  (func (export "move64") (param i32 i32)
    (i64.store offset=8 (i32.add (local.get 0) (i32.const 8))
      (i64.load (i32.add (local.get 1) (i32.const 16)))))
  (func (export "move_f64") (param i32 i32)
    (f64.store (local.get 0) (f64.load (local.get 1))))

  ;; 13: (x << 8) | (w >> 24); 14: (x >> 40) | (w << 56), counts taken mod 32.
  (func (export "funnel_l") (param i32 i32) (result i32)
    (i32.or (i32.shl (local.get 0) (i32.const 8)) (i32.shr_u (local.get 1) (i32.const 24))))
  (func (export "funnel_r") (param i32 i32) (result i32)
    (i32.or (i32.shr_u (local.get 0) (i32.const 40)) (i32.shl (local.get 1) (i32.const 56))))

  ;; 15: c[0] = x * b[0] + c[0]; 16: the same with b at (b + 16) + 8 and c at c + 8.
  (func (export "axpy") (param i32 f64 i32)
    (f64.store (local.get 0)
      (f64.add (f64.mul (local.get 1) (f64.load (local.get 2))) (f64.load (local.get 0)))))
  (func (export "axpy_at") (param i32 f64 i32)
    (f64.store offset=8 (local.get 0)
      (f64.add (f64.mul (local.get 1) (f64.load offset=8 (i32.add (local.get 2) (i32.const 16))))
               (f64.load offset=8 (local.get 0)))))
  ;; 17: mem[(p + 8) + (i << 2)] as p + 8 and the index scaled in one instruction, and the
  ;; same with the operands the other way round.
  (func (export "field_at") (param i32 i32) (result i32)
    (i32.add
      (i32.load (i32.add (i32.add (local.get 0) (i32.const 8)) (i32.shl (local.get 1) (i32.const 2))))
      (i32.load (i32.add (i32.shl (local.get 1) (i32.const 34)) (i32.add (local.get 0) (i32.const 8))))))
  ;; 18-21: read-modify-write in one instruction: x[1] += 1 at p + 4; *p += v; x[2] -= 1
  ;; at p + 8 (a Sum address); and *q = *p + 5 (two addresses).
  (func (export "inc_mem") (param i32)
    (i32.store offset=4 (local.get 0) (i32.add (i32.load offset=4 (local.get 0)) (i32.const 1))))
  (func (export "add_mem") (param i32 i32)
    (i32.store (local.get 0) (i32.add (local.get 1) (i32.load (local.get 0)))))
  (func (export "dec_mem_at") (param i32)
    (i32.store (i32.add (local.get 0) (i32.const 8))
      (i32.add (i32.load (i32.add (local.get 0) (i32.const 8))) (i32.const -1))))
  (func (export "copy_plus_5") (param i32 i32)
    (i32.store (local.get 1) (i32.add (i32.load (local.get 0)) (i32.const 5))))
  ;; 22: c[0] = c[0] + x * b[0] (c is loaded first: not fused).
  (func (export "axpy_rev") (param i32 f64 i32)
    (f64.store (local.get 0)
      (f64.add (f64.load (local.get 0)) (f64.mul (local.get 1) (f64.load (local.get 2))))))
  ;; 23-25: mem[p] op x with x computed after the load: the load moves after x's one
  ;; instruction (v -= a / b; p += a / b; mem[p] - sqrt(x)).
  (func (export "sub_from_mem") (param i32 f64 f64)
    (f64.store (local.get 0) (f64.sub (f64.load (local.get 0)) (f64.div (local.get 1) (local.get 2)))))
  (func (export "add_to_mem") (param i32 f64 f64)
    (f64.store (local.get 0) (f64.add (f64.load (local.get 0)) (f64.div (local.get 1) (local.get 2)))))
  (func (export "mem_minus_sqrt") (param i32 f64) (result f64)
    (f64.sub (f64.load (local.get 0)) (f64.sqrt (local.get 1))))
  ;; 26-27: ... but not past a call, which may write the loaded location.
  (func $set_and_one (param i32) (result f64)
    (f64.store (local.get 0) (f64.const 100))
    (f64.const 1))
  (func (export "load_then_call") (param i32) (result f64)
    (f64.sub (f64.load (local.get 0)) (call $set_and_one (local.get 0))))
;; 28-33: local aliases (lower.cpp): `x = p + k` in a loop is left uncomputed when x dies
  ;; before anything needs it in its slot; its reads take p + k as an address. (Outside
  ;; loops the lowering does not look: one add run once is not worth the search.)
  ;; 28: *(p + 16) += x, the address tee'd: one F64AddLoadStore, no add.
  (func (export "alias_rmw") (param i32 f64)
    (local i32)
    (loop
      (f64.store (local.tee 2 (i32.add (local.get 0) (i32.const 16)))
        (f64.add (local.get 1) (f64.load (local.get 2))))))
  ;; 29: x read after a branch: computed.
  (func (export "alias_after_branch") (param i32 i32) (result i32)
    (local i32)
    (loop
      (local.set 2 (i32.add (local.get 0) (i32.const 4)))
      (i32.store (local.get 2) (local.get 1))
      (if (local.get 1) (then (return (local.get 2)))))
    (i32.load (local.get 2)))
  ;; 30: p written while x is live: x is computed from the old p.
  (func (export "alias_base_written") (param i32) (result i32)
    (local i32)
    (loop
      (local.set 1 (i32.add (local.get 0) (i32.const 10)))
      (drop (i32.load (local.get 1)))
      (local.set 0 (i32.const 1000)))
    (block)
    (i32.add (local.get 1) (local.get 0)))
  ;; 31: p written when x is dead (set again before any read); x read as a value too.
  (func (export "alias_dead_at_base_write") (param i32 i32) (result i32)
    (local i32)
    (loop
      (i32.store (local.tee 2 (i32.add (local.get 0) (i32.const 4))) (local.get 1))
      (local.set 0 (i32.add (i32.load (local.get 2)) (i32.mul (local.get 2) (i32.const 3))))
      (local.set 2 (i32.const 0)))
    (i32.add (local.get 0) (local.get 2)))
  ;; 32: p[i + 1] += x for n doubles, the address tee'd in a loop: nothing computes local 3.
  (func (export "add_each") (param i32 i32 f64)
    (local i32)
    (loop $l
      (f64.store (local.tee 3 (i32.add (local.get 0) (i32.const 8)))
        (f64.add (local.get 2) (f64.load (local.get 3))))
      (local.set 0 (i32.add (local.get 0) (i32.const 8)))
      (br_if $l (local.tee 1 (i32.add (local.get 1) (i32.const -1))))))
  ;; 33: the same, returning the last address: local 3 is live where the loop ends.
  (func (export "add_each_last") (param i32 i32 f64) (result i32)
    (local i32)
    (loop $l
      (f64.store (local.tee 3 (i32.add (local.get 0) (i32.const 8)))
        (f64.add (local.get 2) (f64.load (local.get 3))))
      (local.set 0 (i32.add (local.get 0) (i32.const 8)))
      (br_if $l (local.tee 1 (i32.add (local.get 1) (i32.const -1)))))
    (local.get 3))
)
