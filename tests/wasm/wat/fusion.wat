;; Each function exercises one of the interpreter's fused or immediate forms (see
;; src/wasm/interp/code.hpp) at the edges where a wrong fusion would show: wrapping
;; address sums, shift counts past the width, immediates that do or do not sign-extend.
(module
  (memory (export "memory") 1)
  (data (i32.const 16) "\11\22\33\44\55\66\77\88\99\aa\bb\cc")
  (data (i32.const 32) "\00\00\00\00\00\00\04\40\00\00\00\00\00\00\e0\3f")  ;; f64 2.5, 0.5

  ;; load at ((p + q) mod 2^32) + 4
  (func (export "load_add") (param i32 i32) (result i32)
    (i32.load offset=4 (i32.add (local.get 0) (local.get 1))))
  (func (export "load8s_add_imm") (param i32) (result i32)
    (i32.load8_s (i32.add (local.get 0) (i32.const -4))))
  (func (export "load64_add_imm") (param i32) (result i64)
    (i64.load offset=2 (i32.add (local.get 0) (i32.const 3))))
  (func (export "store_add") (param i32 i32 i32) (result i32)
    (i32.store offset=8 (i32.add (local.get 0) (local.get 1)) (local.get 2))
    (i32.load offset=8 (i32.add (local.get 0) (local.get 1))))
  (func (export "store8_add_imm") (param i32 i32) (result i32)
    (i32.store8 (i32.add (local.get 0) (i32.const 100)) (local.get 1))
    (i32.load (i32.add (local.get 0) (i32.const 100))))
  (func (export "store_imm64") (param i32) (result i64)
    (i64.store (local.get 0) (i64.const -2))
    (i64.load (local.get 0)))
  (func (export "store_big64") (param i32) (result i64)
    (i64.store (local.get 0) (i64.const 0x100000002))
    (i64.load (local.get 0)))
  (func (export "store16_imm") (param i32) (result i32)
    (i32.store (local.get 0) (i32.const 0))
    (i32.store16 (local.get 0) (i32.const 0x12345))
    (i32.load (local.get 0)))

  ;; shifted operands
  (func (export "xor_shl32") (param i32 i32) (result i32)
    (i32.xor (local.get 0) (i32.shl (local.get 1) (i32.const 35))))
  (func (export "or_shru32") (param i32 i32) (result i32)
    (i32.or (i32.shr_u (local.get 1) (i32.const 4)) (local.get 0)))
  (func (export "add_shl32") (param i32 i32) (result i32)
    (i32.add (local.get 0) (i32.shl (local.get 1) (i32.const 2))))
  (func (export "add_shru64") (param i64 i64) (result i64)
    (i64.add (local.get 0) (i64.shr_u (local.get 1) (i64.const 65))))
  (func (export "xor_shl64") (param i64 i64) (result i64)
    (i64.xor (local.get 0) (i64.shl (local.get 1) (i64.const 40))))

  ;; immediates
  (func (export "sub_min") (param i32) (result i32)
    (i32.sub (local.get 0) (i32.const -2147483648)))
  (func (export "sub64_min") (param i64) (result i64)
    (i64.sub (local.get 0) (i64.const -9223372036854775808)))
  (func (export "lt_u64_minus1") (param i64) (result i32)
    (i64.lt_u (local.get 0) (i64.const -1)))
  (func (export "eq64_2p31") (param i64) (result i32)
    (i64.eq (local.get 0) (i64.const 0x80000000)))
  (func (export "rotl_imm") (param i32) (result i32)
    (i32.rotl (local.get 0) (i32.const 36)))
  (func (export "rotr64_imm") (param i64) (result i64)
    (i64.rotr (local.get 0) (i64.const 8)))
  (func (export "mul64_imm") (param i64) (result i64)
    (i64.mul (i64.const -3) (local.get 0)))

  ;; compare-and-branch: count the iterations of loops ending in fused branches
  (func (export "count_lt_s") (param i32) (result i32)
    (local i32)
    (loop $l
      (local.set 1 (i32.add (local.get 1) (i32.const 1)))
      (br_if $l (i32.lt_s (local.get 1) (local.get 0))))
    (local.get 1))
  (func (export "count_down64") (param i64) (result i64)
    (local i64)
    (loop $l
      (local.set 1 (i64.add (local.get 1) (i64.const 1)))
      (br_if $l (i64.gt_s (local.tee 0 (i64.sub (local.get 0) (i64.const 1))) (i64.const -3))))
    (local.get 1))
  (func (export "if_ge_u") (param i32 i32) (result i32)
    (if (result i32) (i32.ge_u (local.get 0) (local.get 1))
      (then (i32.const 1)) (else (i32.const 0))))
  (func (export "if_eqz64") (param i64) (result i32)
    (if (result i32) (i64.eqz (local.get 0)) (then (i32.const 7)) (else (i32.const 9))))

  ;; local.set retargeting must not clobber a value still on the stack
  (func (export "swap_sum") (param i32 i32) (result i32)
    (local.get 0)
    (local.set 0 (i32.add (local.get 0) (local.get 1)))
    (local.get 0)
    (i32.sub))
  (func (export "tee_keep") (param i32) (result i32 i32)
    (local.get 0)
    (local.tee 0 (i32.mul (local.get 0) (i32.const 3)))
    (drop)
    (local.get 0))
  ;; a result from locals returned in swapped order (return must not clobber its sources)
  (func (export "ret_swap") (param i32 i32) (result i32 i32)
    (local.get 1) (local.get 0))
  ;; br_table with values to the function label from several arms
  (func (export "br_table_vals") (param i32) (result i32 i64)
    (block $a (result i32 i64)
      (i32.const 10) (i64.const 20)
      (br_table $a 1 $a (local.get 0)))
    (return))

  ;; arithmetic with a loaded operand (f64.load lowers like i64.load: the op's type decides)
  (func (export "f64_mul_load") (param i32 f64) (result f64)
    (f64.mul (local.get 1) (f64.load (local.get 0))))
  (func (export "f64_sub_load") (param i32 f64) (result f64)
    (f64.sub (local.get 1) (f64.load offset=8 (local.get 0))))
  (func (export "f64_sub_load_left") (param i32 f64) (result f64)
    (f64.sub (f64.load (local.get 0)) (local.get 1)))
  (func (export "i32_add_load") (param i32 i32) (result i32)
    (i32.add (i32.load (local.get 0)) (local.get 1)))

  ;; indexed loads, rotated and three-way operands, merged copies
  (func (export "load_idx") (param i32 i32) (result i32)
    (i32.load offset=4 (i32.add (local.get 0) (i32.shl (local.get 1) (i32.const 2)))))
  (func (export "xor_rotl") (param i32 i32) (result i32)
    (i32.xor (local.get 0) (i32.rotl (local.get 1) (i32.const 8))))
  (func (export "add3") (param i32 i32 i32) (result i32)
    (i32.add (local.get 2) (i32.add (local.get 0) (local.get 1))))
  (func (export "swap") (param i32 i32) (result i32 i32)
    (local i32)
    (local.set 2 (local.get 0))
    (local.set 0 (local.get 1))
    (local.set 1 (local.get 2))
    (local.get 0) (local.get 1))
  ;; the loop head lies between two copies: they must stay separate instructions
  (func (export "copy_label") (param i32) (result i32)
    (local i32 i32)
    (local.set 2 (local.get 0))
    (loop $l
      (local.set 1 (local.get 2))
      (local.set 2 (i32.add (local.get 2) (i32.const -1)))
      (br_if $l (local.get 2)))
    (local.get 1))

  ;; float arithmetic with a constant right operand
  (func (export "f64_div_imm") (param f64) (result f64)
    (f64.div (local.get 0) (f64.const 4)))
  (func (export "f32_sub_imm") (param f32) (result f32)
    (f32.sub (local.get 0) (f32.const 0.25)))

  ;; two counter steps in a row run as one I32AddImm2; the second reads the first's result
  (func (export "add_imm_pair") (param i32 i32) (result i32)
    (local.set 0 (i32.add (local.get 0) (i32.const 5)))
    (local.set 1 (i32.add (local.get 0) (i32.const -3)))
    (i32.xor (i32.shl (local.get 0) (i32.const 16)) (local.get 1)))
  ;; a loop head between two steps keeps them apart; the two inside the loop merge
  (func (export "add_imm_label") (param i32) (result i32)
    (local i32)
    (local.set 1 (i32.add (local.get 1) (i32.const 1)))
    (loop $l
      (local.set 0 (i32.add (local.get 0) (i32.const -1)))
      (local.set 1 (i32.add (local.get 1) (i32.const 2)))
      (br_if $l (local.get 0)))
    (local.get 1))

  ;; an add right before a back-edge runs as IncLoop<branch>; a forward branch that lands
  ;; on the back-edge itself (label $b) must skip the add: 10 for every even i in 1..n
  (func (export "inc_loop_label") (param i32) (result i32)
    (local i32 i32)
    (loop $l
      (local.set 1 (i32.add (local.get 1) (i32.const 1)))
      (block $b
        (br_if $b (i32.and (local.get 1) (i32.const 1)))
        (local.set 2 (i32.add (local.get 2) (i32.const 10))))
      (br_if $l (i32.lt_u (local.get 1) (local.get 0))))
    (local.get 2))
  ;; the unconditional back-edge: sum n, n-3, ... while positive
  (func (export "inc_loop_br") (param i32) (result i32)
    (local i32)
    (block $done
      (loop $l
        (br_if $done (i32.le_s (local.get 0) (i32.const 0)))
        (local.set 1 (i32.add (local.get 1) (local.get 0)))
        (local.set 0 (i32.add (local.get 0) (i32.const -3)))
        (br $l)))
    (local.get 1))
  ;; a pointer step followed by a load through it: AddImmThenI32Load
  (func (export "add_then_load") (param i32) (result i32)
    (local i32)
    (local.set 1 (i32.add (local.get 0) (i32.const 4)))
    (i32.load (local.get 1)))
)
