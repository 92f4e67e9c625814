;; A well-behaved tenant for the isolation tests (isolation_test.cpp): deterministic work over
;; its own memory, whose result the host can predict, and output through WASI.
(module
  (import "wasi_snapshot_preview1" "fd_write"
    (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 2)

  ;; checksum(seed, n): writes n bytes of a linear congruential stream seeded with `seed` at
  ;; address 1024, then returns the 64-bit FNV-1a hash of those bytes read back. Writing
  ;; before reading makes a store that lands in another tenant's memory (or another
  ;; tenant's store landing here) change the result.
  (func (export "checksum") (param $seed i32) (param $n i32) (result i64)
    (local $i i32) (local $x i32) (local $h i64)
    (local.set $x (local.get $seed))
    (block $done
      (loop $fill
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $x (i32.add (i32.mul (local.get $x) (i32.const 1103515245)) (i32.const 12345)))
        (i32.store8 offset=1024 (local.get $i) (i32.shr_u (local.get $x) (i32.const 16)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $fill)))
    (local.set $h (i64.const 0xcbf29ce484222325))
    (local.set $i (i32.const 0))
    (block $done
      (loop $hash
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $h (i64.mul (i64.xor (local.get $h) (i64.load8_u offset=1024 (local.get $i)))
                               (i64.const 0x100000001b3)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $hash)))
    (local.get $h))

  ;; echo(ptr, len): writes the bytes [ptr, ptr+len) of its memory to stdout; returns the
  ;; WASI errno. The host puts a tenant-specific line there first.
  (func (export "echo") (param $ptr i32) (param $len i32) (result i32)
    (i32.store (i32.const 0) (local.get $ptr))
    (i32.store (i32.const 4) (local.get $len))
    (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8))))
