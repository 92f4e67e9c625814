;; A wasmbus-rpc style actor: imports from `wasmbus`, exports __wasmbus_rpc_version, and
;; answers every call with its own payload (so a test can see what the host sent).
(module
  (import "wasmbus" "__guest_request" (func $guest_request (param i32 i32)))
  (import "wasmbus" "__guest_response" (func $guest_response (param i32 i32)))
  (memory (export "memory") 2)
  (func (export "__wasmbus_rpc_version") (result i32) (i32.const 1))
  (func (export "__guest_call") (param $op_len i32) (param $payload_len i32) (result i32)
    (call $guest_request (i32.const 0) (i32.const 1024))
    (call $guest_response (i32.const 1024) (local.get $payload_len))
    (i32.const 1))
)
