;; A module without imports for the `isola run` tests.
(module
  (func (export "div_u") (param i32 i32) (result i32) (i32.div_u (local.get 0) (local.get 1)))
  ;; Returns its arguments: checks parsing and printing of every number type.
  (func (export "echo") (param i32 i64 f32 f64) (result i32 i64 f32 f64)
    (local.get 0) (local.get 1) (local.get 2) (local.get 3))
  (func (export "_start"))
  ;; Never returns: for --fuel and --timeout.
  (func (export "spin") (loop (br 0)))
  ;; Grows the memory by n pages: the old size, or -1 past --max-memory.
  (memory 1)
  (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
  ;; Reads one byte at an address: out of bounds past the memory's end, in either mode.
  (func (export "peek") (param i32) (result i32) (i32.load8_u (local.get 0)))
)
