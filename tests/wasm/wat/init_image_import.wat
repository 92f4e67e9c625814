;; Element segments into an imported table are applied per instance, in order, and the
;; first one out of bounds traps with the earlier writes kept (not from an image).
(module
  (import "env" "table" (table 2 funcref))
  (type $r (func (result i32)))
  (func $one (result i32) (i32.const 1))
  (func $two (result i32) (i32.const 2))
  (elem (i32.const 0) func $one)
  (elem (i32.const 1) func $two $one))  ;; past the end: traps after the first segment
