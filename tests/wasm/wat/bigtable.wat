;; A table whose declared minimum is past the engine's limit: instantiation must refuse it
;; instead of allocating 800 MB.
(module (table 100000000 funcref))
