;; Guests for the CPU and stack limit tests (tests/wasm/limits_test.cpp): endless loops of
;; several shapes, deterministic work to meter, and host re-entry.
(module
  ;; env.reenter(n) calls back into the guest's "reenter" with n - 1 (see the test).
  (import "env" "reenter" (func $host_reenter (param i32) (result i32)))
  ;; env.count(n) calls the guest's "count" with n and returns its result.
  (import "env" "count" (func $host_count (param i32) (result i32)))
  (memory (export "memory") 1)

  (func $nop)

  ;; (loop br 0): the smallest endless loop
  (func (export "spin")
    (loop $l (br $l)))

  ;; an endless loop that only calls a function
  (func (export "spin_call")
    (loop $l (call $nop) (br $l)))

  ;; an endless loop nested three loops deep, at the end of a chain of calls
  (func (export "spin_deep") (call $deep1))
  (func $deep1 (call $deep2))
  (func $deep2 (call $deep3))
  (func $deep3
    (loop $a
      (loop $b
        (loop $c (br $c))
        (br $b))
      (br $a)))

  ;; a back-edge through br_table
  (func (export "spin_table") (param i32)
    (loop $l (br_table $l $l (local.get 0))))

  ;; a back-edge through a fused compare-and-branch (i < n is always true: n = -1 unsigned)
  (func (export "spin_cmp") (param $n i32)
    (local $i i32)
    (loop $l
      (local.set $i (i32.and (i32.add (local.get $i) (i32.const 1)) (i32.const 0xffff)))
      (br_if $l (i32.lt_u (local.get $i) (local.get $n)))))

  ;; exponential time without any loop: only function entries can stop it
  (func $tree (export "tree") (param $d i32) (result i32)
    (if (result i32) (i32.eqz (local.get $d))
      (then (i32.const 1))
      (else
        (i32.add
          (call $tree (i32.sub (local.get $d) (i32.const 1)))
          (call $tree (i32.sub (local.get $d) (i32.const 1)))))))

  ;; straight-line code: 4 instructions (const, const, add, end)
  (func (export "straight") (result i32)
    (i32.add (i32.const 1) (i32.const 2)))

  ;; sum of 0 .. n-1: a fixed amount of work per iteration
  (func $count (export "count") (param $n i32) (result i32)
    (local $i i32) (local $s i32)
    (block $done
      (loop $l
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $s (i32.add (local.get $s) (local.get $i)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $l)))
    (local.get $s))

  ;; count(n) through the host: guest -> host -> guest
  (func (export "count_via_host") (param i32) (result i32)
    (call $host_count (local.get 0)))

  ;; guest -> host -> guest -> host ... for as long as the host keeps calling back
  (func (export "reenter") (param i32) (result i32)
    (call $host_reenter (local.get 0)))

  ;; memory.fill of n bytes at 0
  (func (export "fill") (param $n i32)
    (memory.fill (i32.const 0) (i32.const 0) (local.get $n)))
)
