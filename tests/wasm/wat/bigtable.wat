;; A table whose declared minimum is the largest the binary format allows, far past the
;; engine's limit: neither prelinking nor instantiation may try to allocate its 32 GiB.
(module (table 4294967295 funcref))
