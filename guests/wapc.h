/* The guest side of waPC (ACTOR-ABI.md §1), for actors written in C and built with
 * `clang --target=wasm32-wasi -O2 -mexec-model=reactor`.
 *
 * Include this header in exactly one .c file of an actor: it defines the actor's
 * `__guest_call` export. The actor defines `wapc_init` (exported by this header's
 * declaration), which the host calls once before the first request, and registers its
 * operations there:
 *
 *     static int handle_request(const uint8_t *payload, uint32_t len) {
 *       ...
 *       wapc_respond(bytes, n);      // or: return wapc_fail("what went wrong");
 *       return 1;
 *     }
 *     void wapc_init(void) { wapc_register("HandleRequest", handle_request); }
 *
 * Imports come from module `wapc` (waSCC and wasmCloud 0.x hosts, and Isola, supply it).
 * Define WAPC_IMPORT_MODULE as "wasmbus" before including this header to import them from
 * `wasmbus` instead, as wasmbus-rpc actors do (ACTOR-ABI.md §1.2, §3.2).
 * The host never writes into guest memory it was not given: the guest allocates every
 * buffer (malloc) and frees what it gets from wapc_host_call.
 */
#ifndef ISOLA_GUESTS_WAPC_H
#define ISOLA_GUESTS_WAPC_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#ifndef WAPC_IMPORT_MODULE
#define WAPC_IMPORT_MODULE "wapc"
#endif
#define WAPC_IMPORT(name) __attribute__((import_module(WAPC_IMPORT_MODULE), import_name(name)))

WAPC_IMPORT("__guest_request") void __guest_request(uint8_t *op_ptr, uint8_t *payload_ptr);
WAPC_IMPORT("__guest_response") void __guest_response(const uint8_t *ptr, uint32_t len);
WAPC_IMPORT("__guest_error") void __guest_error(const uint8_t *ptr, uint32_t len);
WAPC_IMPORT("__host_call")
int32_t __host_call(const uint8_t *bd_ptr, uint32_t bd_len, const uint8_t *ns_ptr, uint32_t ns_len,
                    const uint8_t *op_ptr, uint32_t op_len, const uint8_t *ptr, uint32_t len);
WAPC_IMPORT("__host_response_len") uint32_t __host_response_len(void);
WAPC_IMPORT("__host_response") void __host_response(uint8_t *ptr);
WAPC_IMPORT("__host_error_len") uint32_t __host_error_len(void);
WAPC_IMPORT("__host_error") void __host_error(uint8_t *ptr);
WAPC_IMPORT("__console_log") void __console_log(const uint8_t *ptr, uint32_t len);

/* A handler gets the request payload and answers with wapc_respond() + return 1, or
 * wapc_fail() (which returns 0). */
typedef int (*wapc_handler)(const uint8_t *payload, uint32_t len);

#ifndef WAPC_MAX_HANDLERS
#define WAPC_MAX_HANDLERS 32
#endif

static struct {
  const char *op;
  wapc_handler fn;
} wapc_handlers_[WAPC_MAX_HANDLERS];
static int wapc_handler_count_;

/* Defined by the actor; the host calls it once before the first request. */
__attribute__((export_name("wapc_init"))) void wapc_init(void);

/* Registers `fn` for operation `op` (a string that lives as long as the actor). Returns 0
 * when the table is full. */
static inline int wapc_register(const char *op, wapc_handler fn) {
  if (wapc_handler_count_ == WAPC_MAX_HANDLERS) return 0;
  wapc_handlers_[wapc_handler_count_].op = op;
  wapc_handlers_[wapc_handler_count_].fn = fn;
  wapc_handler_count_++;
  return 1;
}

static inline void wapc_respond(const uint8_t *bytes, uint32_t len) { __guest_response(bytes, len); }

/* Sets the guest error and returns 0, so a handler can `return wapc_fail("...")`. */
static inline int wapc_fail_n(const char *msg, uint32_t len) {
  __guest_error((const uint8_t *)msg, len);
  return 0;
}
static inline int wapc_fail(const char *msg) { return wapc_fail_n(msg, (uint32_t)strlen(msg)); }

static inline void wapc_console_log(const char *msg) { __console_log((const uint8_t *)msg, (uint32_t)strlen(msg)); }

/* What a host call gave back: on success the response bytes, on failure the error text.
 * Either way `data` is malloc'd (or NULL when empty); free it with wapc_buffer_free. */
typedef struct {
  uint8_t *data;
  uint32_t len;
} wapc_buffer;

static inline void wapc_buffer_free(wapc_buffer *b) {
  free(b->data);
  b->data = 0;
  b->len = 0;
}

/* Calls the host (§1.5). Returns 1 with the response in *out, or 0 with the host's error
 * text in *out (or an empty buffer if the guest ran out of memory). */
static inline int wapc_host_call(const char *binding, const char *ns, const char *op, const uint8_t *payload,
                                 uint32_t len, wapc_buffer *out) {
  int ok = __host_call((const uint8_t *)binding, (uint32_t)strlen(binding), (const uint8_t *)ns,
                       (uint32_t)strlen(ns), (const uint8_t *)op, (uint32_t)strlen(op), payload, len);
  uint32_t n = ok == 1 ? __host_response_len() : __host_error_len();
  out->data = 0;
  out->len = 0;
  if (n == 0) return ok == 1;
  out->data = (uint8_t *)malloc(n);
  if (!out->data) return 0;
  out->len = n;
  if (ok == 1) __host_response(out->data);
  else __host_error(out->data);
  return ok == 1;
}

/* The export the host calls for each invocation (§1.4). */
__attribute__((export_name("__guest_call"))) int32_t __guest_call(int32_t op_len, int32_t payload_len) {
  /* One allocation for both; +1 keeps it non-empty when both lengths are 0. */
  uint8_t *buf = (uint8_t *)malloc((size_t)op_len + (size_t)payload_len + 1);
  if (!buf) return wapc_fail("guest out of memory");
  uint8_t *op = buf, *payload = buf + op_len;
  __guest_request(op, payload);
  int result = -1;
  for (int i = 0; i < wapc_handler_count_; ++i) {
    const char *name = wapc_handlers_[i].op;
    if (strlen(name) == (size_t)op_len && memcmp(name, op, (size_t)op_len) == 0) {
      result = wapc_handlers_[i].fn(payload, (uint32_t)payload_len);
      break;
    }
  }
  if (result < 0) {
    static const char prefix[] = "No handler registered for function \"";
    uint32_t n = (uint32_t)(sizeof prefix - 1);
    uint8_t *msg = (uint8_t *)malloc(n + (size_t)op_len + 1);
    if (msg) {
      memcpy(msg, prefix, n);
      memcpy(msg + n, op, (size_t)op_len);
      msg[n + op_len] = '"';
      __guest_error(msg, n + (uint32_t)op_len + 1);
      free(msg);
    }
    result = 0;
  }
  free(buf);
  return result ? 1 : 0;
}

#endif
