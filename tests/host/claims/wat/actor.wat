;; A small actor-shaped module for the claims tests: a code body and a data segment with
;; recognisable bytes, so a test can change exactly one byte of either.
(module
  (memory (export "memory") 1)
  (data (i32.const 16) "CLAIMS-TEST-DATA")
  (func (export "__guest_call") (param i32 i32) (result i32)
    i32.const 0x5a5a5a5a
    drop
    i32.const 1))
