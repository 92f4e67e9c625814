;; Exports a memory but no __guest_call.
(module (memory (export "memory") 1) (func (export "_start")))
