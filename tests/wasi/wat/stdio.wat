;; A guest for the WASI API tests: thin exports over fd_write, fd_read and proc_exit.
(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_read" (func $fd_read (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (memory (export "memory") 1)
  (data (i32.const 100) "hello")

  ;; fd_write of [ptr, ptr+len) to fd, through an iovec at 0; the count lands at 8.
  (func (export "write") (param $fd i32) (param $ptr i32) (param $len i32) (result i32)
    (i32.store (i32.const 0) (local.get $ptr))
    (i32.store (i32.const 4) (local.get $len))
    (call $fd_write (local.get $fd) (i32.const 0) (i32.const 1) (i32.const 8)))

  ;; fd_write with the iovec array itself at `iovs`.
  (func (export "write_iovs") (param $iovs i32) (param $n i32) (result i32)
    (call $fd_write (i32.const 1) (local.get $iovs) (local.get $n) (i32.const 8)))

  ;; The number of bytes the last call reported.
  (func (export "count") (result i32) (i32.load (i32.const 8)))

  ;; Reads up to 1000 bytes of stdin into 1000 and writes them to stdout; returns the
  ;; errno of the first failing call, or 0.
  (func (export "echo") (result i32) (local $r i32)
    (i32.store (i32.const 16) (i32.const 1000))
    (i32.store (i32.const 20) (i32.const 1000))
    (local.set $r (call $fd_read (i32.const 0) (i32.const 16) (i32.const 1) (i32.const 24)))
    (if (local.get $r) (then (return (local.get $r))))
    (i32.store (i32.const 20) (i32.load (i32.const 24)))
    (call $fd_write (i32.const 1) (i32.const 16) (i32.const 1) (i32.const 8)))

  (func (export "exit") (param i32) (call $proc_exit (local.get 0)))
  (func (export "_start") (call $proc_exit (i32.const 7))))
