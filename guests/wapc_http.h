/* Answering the HTTP server contract's HandleRequest from a C waPC actor (ACTOR-ABI §2.3):
 * one call that encodes the Response map {statusCode, status, header, body} and hands it
 * to the host. Header-only, like wapc.h and msgpack.h, which it builds on. */
#ifndef ISOLA_GUESTS_WAPC_HTTP_H
#define ISOLA_GUESTS_WAPC_HTTP_H

#include "msgpack.h"
#include "wapc.h"

/* Responds with `status` (its reason phrase is `reason`), one Content-Type header and the
 * body; returns what __guest_call should return (1, or 0 with a guest error if the
 * response could not be built). */
static inline int wapc_http_respond(unsigned status, const char *reason, const char *content_type,
                                    const void *body, uint32_t body_len) {
  mp_writer w;
  mp_writer_init(&w);
  mp_write_map(&w, 4);
  mp_write_cstr(&w, "statusCode");
  mp_write_uint(&w, status);
  mp_write_cstr(&w, "status");
  mp_write_cstr(&w, reason);
  mp_write_cstr(&w, "header");
  mp_write_map(&w, 1);
  mp_write_cstr(&w, "Content-Type");
  mp_write_cstr(&w, content_type);
  mp_write_cstr(&w, "body");
  mp_write_bin(&w, body, body_len);
  int ok = !w.failed;
  if (ok) wapc_respond(w.data, w.len);
  mp_writer_free(&w);
  return ok ? 1 : wapc_fail("guest out of memory");
}

#endif
