;; Asks for the largest memory the spec allows at instantiation: 65536 pages (4 GiB).
(module
  (memory (export "memory") 65536)
  (func (export "last_byte") (result i32)
    (i32.store8 (i32.const -1) (i32.const 7))
    (i32.load8_u (i32.const -1))))
