;; A hostile tenant for the isolation tests (isolation_test.cpp): each export misbehaves in
;; one way a guest can. None of this may disturb the host or any other instance.
(module
  (import "wasi_snapshot_preview1" "fd_write"
    (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_read"
    (func $fd_read (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "random_get"
    (func $random_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "clock_time_get"
    (func $clock_time_get (param i32 i64 i32) (result i32)))
  (import "wasi_snapshot_preview1" "args_sizes_get"
    (func $args_sizes_get (param i32 i32) (result i32)))
  ;; env.peek(ptr, len): the host reads [ptr, ptr+len) of this memory; -1 when out of range.
  (import "env" "peek" (func $peek (param i32 i32) (result i32)))
  ;; No maximum: memory.grow goes on until the engine's own limit refuses it.
  (memory (export "memory") 1)

  (func (export "unreachable") unreachable)
  (func (export "div_by_zero") (result i32) (i32.div_u (i32.const 1) (i32.const 0)))
  ;; The last 4 bytes of the 32-bit address space, far past the end of memory.
  (func (export "load_out_of_bounds") (result i32) (i32.load (i32.const -4)))
  ;; In bounds as an address, out of bounds once the offset is added.
  (func (export "store_out_of_bounds")
    (i32.store offset=0xffffffff (i32.const 1) (i32.const 0x41414141)))

  ;; Endless loops: only fuel, an interrupt or a deadline ends them.
  (func (export "spin") (loop $l (br $l)))
  (func $nop)
  (func (export "spin_calling") (loop $l (call $nop) (br $l)))

  ;; Recursion without a base case: the call depth limit ends it.
  (func $recurse (export "recurse") (param $n i32) (result i32)
    (i32.add (call $recurse (i32.add (local.get $n) (i32.const 1))) (i32.const 1)))

  ;; Grows by 4096 pages (256 MiB) while it can, then by single pages, writing the last byte
  ;; of every grown region; returns the size reached, in pages.
  (func (export "grow_until_refused") (result i32)
    (block $big
      (loop $l
        (br_if $big (i32.eq (memory.grow (i32.const 4096)) (i32.const -1)))
        (i32.store8 (i32.sub (i32.shl (memory.size) (i32.const 16)) (i32.const 1)) (i32.const 1))
        (br $l)))
    (block $small
      (loop $l
        (br_if $small (i32.eq (memory.grow (i32.const 1)) (i32.const -1)))
        (i32.store8 (i32.sub (i32.shl (memory.size) (i32.const 16)) (i32.const 1)) (i32.const 1))
        (br $l)))
    (memory.size))
  ;; One request for the whole 32-bit page space: refused with -1.
  (func (export "grow_huge") (result i32) (memory.grow (i32.const -1)))

  ;; Overwrites all of its memory with 0xff (its own memory only, however large).
  (func (export "scribble")
    (memory.fill (i32.const 0) (i32.const 0xff) (i32.shl (memory.size) (i32.const 16))))

  ;; WASI calls with pointers and lengths outside memory. Returns 0 when each one was refused
  ;; with EFAULT (21), else 100 * (which call, from 1) + the errno it returned.
  (func (export "wasi_bad_pointers") (result i32)
    (local $end i32) (local $e i32)
    (local.set $end (i32.shl (memory.size) (i32.const 16)))
    ;; 1: the iovec array lies past the end
    (local.set $e (call $fd_write (i32.const 1) (i32.sub (local.get $end) (i32.const 4)) (i32.const 1) (i32.const 16)))
    (if (i32.ne (local.get $e) (i32.const 21)) (then (return (i32.add (i32.const 100) (local.get $e)))))
    ;; 2: an iovec whose buffer runs past the end
    (i32.store (i32.const 32) (i32.sub (local.get $end) (i32.const 10)))
    (i32.store (i32.const 36) (i32.const 100))
    (local.set $e (call $fd_write (i32.const 1) (i32.const 32) (i32.const 1) (i32.const 16)))
    (if (i32.ne (local.get $e) (i32.const 21)) (then (return (i32.add (i32.const 200) (local.get $e)))))
    ;; 3: a buffer whose pointer + length wraps around 2^32
    (i32.store (i32.const 32) (i32.const 0xfffffff0))
    (i32.store (i32.const 36) (i32.const 0x20))
    (local.set $e (call $fd_write (i32.const 1) (i32.const 32) (i32.const 1) (i32.const 16)))
    (if (i32.ne (local.get $e) (i32.const 21)) (then (return (i32.add (i32.const 300) (local.get $e)))))
    ;; 4: fd_read into memory that is not there
    (i32.store (i32.const 32) (i32.sub (local.get $end) (i32.const 2)))
    (i32.store (i32.const 36) (i32.const 4096))
    (local.set $e (call $fd_read (i32.const 0) (i32.const 32) (i32.const 1) (i32.const 16)))
    (if (i32.ne (local.get $e) (i32.const 21)) (then (return (i32.add (i32.const 400) (local.get $e)))))
    ;; 5: random bytes past the end
    (local.set $e (call $random_get (i32.sub (local.get $end) (i32.const 16)) (i32.const 17)))
    (if (i32.ne (local.get $e) (i32.const 21)) (then (return (i32.add (i32.const 500) (local.get $e)))))
    ;; 6: a clock result pointer past the end
    (local.set $e (call $clock_time_get (i32.const 1) (i64.const 1) (i32.sub (local.get $end) (i32.const 4))))
    (if (i32.ne (local.get $e) (i32.const 21)) (then (return (i32.add (i32.const 600) (local.get $e)))))
    ;; 7: result pointers at the very end
    (local.set $e (call $args_sizes_get (local.get $end) (i32.const 16)))
    (if (i32.ne (local.get $e) (i32.const 21)) (then (return (i32.add (i32.const 700) (local.get $e)))))
    (i32.const 0))

  ;; env.peek with ranges outside memory; returns how many the host refused (expect 3).
  (func (export "peek_bad_ranges") (result i32)
    (i32.add
      (i32.add
        (i32.eq (call $peek (i32.const -1) (i32.const 2)) (i32.const -1))
        (i32.eq (call $peek (i32.const 0) (i32.const -1)) (i32.const -1)))
      (i32.eq (call $peek (i32.shl (memory.size) (i32.const 16)) (i32.const 1)) (i32.const -1)))))
