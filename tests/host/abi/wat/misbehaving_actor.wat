;; A waPC actor that misuses the host's imports on purpose, one way per operation (the
;; operation's first byte picks it). Every bad pointer or length must trap the guest, never
;; touch host memory. The op name lands at 1024, the payload at 2048; scratch at 4096.
(module
  (import "wapc" "__guest_request" (func $guest_request (param i32 i32)))
  (import "wapc" "__guest_response" (func $guest_response (param i32 i32)))
  (import "wapc" "__guest_error" (func $guest_error (param i32 i32)))
  (import "wapc" "__host_call" (func $host_call (param i32 i32 i32 i32 i32 i32 i32 i32) (result i32)))
  (import "wapc" "__host_response_len" (func $host_response_len (result i32)))
  (import "wapc" "__host_response" (func $host_response (param i32)))
  (import "wapc" "__host_error_len" (func $host_error_len (result i32)))
  (import "wapc" "__host_error" (func $host_error (param i32)))
  (import "wapc" "__console_log" (func $console_log (param i32 i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "defaultns:echoEcho")   ;; binding 0+7, namespace 7+7, op 14+4
  (data (i32.const 64) "firstsecondboom")      ;; "first" 64+5, "second" 69+6, "boom" 75+4
  (data (i32.const 128) "start;init;")          ;; logged by _start and wapc_init

  (func (export "_start") (call $console_log (i32.const 128) (i32.const 6)))
  (func (export "wapc_init") (call $console_log (i32.const 134) (i32.const 5)))
  ;; Called directly by a test: __guest_request outside __guest_call.
  (func (export "request_outside_call") (call $guest_request (i32.const 1024) (i32.const 2048)))

  ;; __host_call with the payload at (ptr, len); returns its result.
  (func $call_host (param $ptr i32) (param $len i32) (result i32)
    (call $host_call (i32.const 0) (i32.const 7) (i32.const 7) (i32.const 7) (i32.const 14) (i32.const 4)
                     (local.get $ptr) (local.get $len)))

  (func (export "__guest_call") (param $op_len i32) (param $payload_len i32) (result i32)
    (local $op i32) (local $n i32)
    (call $guest_request (i32.const 1024) (i32.const 2048))
    (local.set $op (i32.load8_u (i32.const 1024)))
    ;; a: binding pointer far outside memory
    (if (i32.eq (local.get $op) (i32.const 0x61)) (then
      (drop (call $host_call (i32.const 0xfffffff0) (i32.const 100) (i32.const 7) (i32.const 7)
                             (i32.const 14) (i32.const 4) (i32.const 0) (i32.const 0)))))
    ;; b: payload length running past the end of memory
    (if (i32.eq (local.get $op) (i32.const 0x62)) (then
      (drop (call $call_host (i32.const 0) (i32.const 0x7fffffff)))))
    ;; c: host response copied to a buffer that ends past memory
    (if (i32.eq (local.get $op) (i32.const 0x63)) (then
      (drop (call $call_host (i32.const 2048) (local.get $payload_len)))
      (call $host_response (i32.sub (i32.const 65536) (i32.const 2)))))
    ;; d: host error copied to -1
    (if (i32.eq (local.get $op) (i32.const 0x64)) (then
      (drop (call $call_host (i32.const 2048) (local.get $payload_len)))
      (call $host_error (i32.const -1))))
    ;; e: guest response straddling the end of memory
    (if (i32.eq (local.get $op) (i32.const 0x65)) (then
      (call $guest_response (i32.const 65535) (i32.const 2))))
    ;; f: guest error at -1
    (if (i32.eq (local.get $op) (i32.const 0x66)) (then
      (call $guest_error (i32.const -1) (i32.const 10))))
    ;; g: console log just past the end
    (if (i32.eq (local.get $op) (i32.const 0x67)) (then
      (call $console_log (i32.const 65536) (i32.const 1))))
    ;; h: __guest_request again, with the op buffer past the end
    (if (i32.eq (local.get $op) (i32.const 0x68)) (then
      (call $guest_request (i32.const 65535) (i32.const 2048))))
    ;; i: two responses: the second one counts
    (if (i32.eq (local.get $op) (i32.const 0x69)) (then
      (call $guest_response (i32.const 64) (i32.const 5))
      (call $guest_response (i32.const 69) (i32.const 6))
      (return (i32.const 1))))
    ;; j: failure without an error message
    (if (i32.eq (local.get $op) (i32.const 0x6a)) (then (return (i32.const 0))))
    ;; k: success without a response
    (if (i32.eq (local.get $op) (i32.const 0x6b)) (then (return (i32.const 1))))
    ;; l: a guest error
    (if (i32.eq (local.get $op) (i32.const 0x6c)) (then
      (call $guest_error (i32.const 75) (i32.const 4))
      (return (i32.const 0))))
    ;; m: memory grows, then the response comes from the new page
    (if (i32.eq (local.get $op) (i32.const 0x6d)) (then
      (drop (memory.grow (i32.const 1)))
      (i32.store (i32.const 70000) (i32.const 0x21776f6e)) ;; "now!"
      (call $guest_response (i32.const 70000) (i32.const 4))
      (return (i32.const 1))))
    ;; n: a response longer than the host's limit (the test sets it to 16)
    (if (i32.eq (local.get $op) (i32.const 0x6e)) (then
      (call $guest_response (i32.const 0) (i32.const 32))
      (return (i32.const 1))))
    ;; o: a host call (payload = our payload); answer with its response if it returned 1,
    ;; otherwise with the host error text
    (if (i32.eq (local.get $op) (i32.const 0x6f)) (then
      (if (call $call_host (i32.const 2048) (local.get $payload_len))
        (then
          (local.set $n (call $host_response_len))
          (call $host_response (i32.const 4096))
          (call $guest_response (i32.const 4096) (local.get $n)))
        (else
          (local.set $n (call $host_error_len))
          (call $host_error (i32.const 4096))
          (call $guest_error (i32.const 4096) (local.get $n))
          (return (i32.const 0))))
      (return (i32.const 1))))
    ;; p: a host call whose namespace is too long for the host (the test sets max_name 16)
    (if (i32.eq (local.get $op) (i32.const 0x70)) (then
      (if (call $host_call (i32.const 0) (i32.const 7) (i32.const 0) (i32.const 100) (i32.const 14) (i32.const 4)
                           (i32.const 0) (i32.const 0))
        (then (return (i32.const 1))))
      (local.set $n (call $host_error_len))
      (call $host_error (i32.const 4096))
      (call $guest_error (i32.const 4096) (local.get $n))
      (return (i32.const 0))))
    ;; s: a host call with a 1 KiB payload (inside memory); answer with the host error
    (if (i32.eq (local.get $op) (i32.const 0x73)) (then
      (if (call $call_host (i32.const 0) (i32.const 1024)) (then (return (i32.const 1))))
      (local.set $n (call $host_error_len))
      (call $host_error (i32.const 4096))
      (call $guest_error (i32.const 4096) (local.get $n))
      (return (i32.const 0))))
    ;; q: invalid UTF-8 in the console log and the guest error
    (if (i32.eq (local.get $op) (i32.const 0x71)) (then
      (i32.store (i32.const 4096) (i32.const 0x62ff8061)) ;; "a\x80\xffb"
      (call $console_log (i32.const 4096) (i32.const 4))
      (call $guest_error (i32.const 4096) (i32.const 4))
      (return (i32.const 0))))
    ;; r: a trap of the guest's own
    (if (i32.eq (local.get $op) (i32.const 0x72)) (then unreachable))
    (i32.const 0))
)
