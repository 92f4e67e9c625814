;; Instantiation fails: a data segment lies past the end of the memory.
(module
  (memory 1)
  (data (i32.const 65530) "0123456789"))
