/* A waPC actor that calls another actor, for the end-to-end tests of actor-to-actor
 * calls. GET /a/call?<namespace> calls operation Echo with the payload "hello from A" on
 * <namespace> (an actor's module key or call alias) under binding "default", and answers
 * 200 "ok <reply bytes>" or "error: <the host error>", so the test sees exactly what the
 * guest saw. */
#include "msgpack.h"
#include "wapc_http.h"

static int reply_text(const char *prefix, const uint8_t *detail, uint32_t n) {
  mp_writer body;
  mp_writer_init(&body);
  mp_put(&body, prefix, (uint32_t)strlen(prefix));
  mp_put(&body, detail, n);
  int rc = body.failed ? wapc_fail("guest out of memory")
                       : wapc_http_respond(200, "OK", "text/plain", body.data, body.len);
  mp_writer_free(&body);
  return rc;
}

static int handle_request(const uint8_t *payload, uint32_t len) {
  mp_reader r;
  const uint8_t *query = 0;
  uint32_t query_len = 0;
  mp_reader_init(&r, payload, len);
  if (!mp_find_key(&r, "queryString") || !mp_read_bytes(&r, &query, &query_len)) return wapc_fail("no queryString");
  if (query_len == 0 || query_len > 200) return wapc_fail("give the namespace as the query string");
  char ns[201];
  memcpy(ns, query, query_len);
  ns[query_len] = 0;

  static const char hello[] = "hello from A";
  wapc_buffer reply;
  int ok = wapc_host_call("default", ns, "Echo", (const uint8_t *)hello, (uint32_t)(sizeof hello - 1), &reply);
  int rc = ok ? reply_text("ok ", reply.data, reply.len) : reply_text("error: ", reply.data, reply.len);
  wapc_buffer_free(&reply);
  return rc;
}

void wapc_init(void) { wapc_register("HandleRequest", handle_request); }
