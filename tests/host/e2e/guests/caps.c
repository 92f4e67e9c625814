/* A waPC actor that calls one capability per request, for the end-to-end tests of the
 * capability checks. The request path picks the call:
 *   /caps/kv    wascc:keyvalue Add {key: "k", value: 1}
 *   /caps/log   wascc:logging WriteLog
 *   /caps/http  wascc:http_client PerformRequest GET <queryString as the URL>
 * It answers 200 with "ok <reply bytes>" or "error: <the host error>", so the test sees
 * exactly what the guest saw. */
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

static int eq(const uint8_t *p, uint32_t n, const char *s) { return n == strlen(s) && memcmp(p, s, n) == 0; }

static int handle_request(const uint8_t *payload, uint32_t len) {
  mp_reader r;
  const uint8_t *path = 0, *query = 0;
  uint32_t path_len = 0, query_len = 0;
  mp_reader_init(&r, payload, len);
  if (!mp_find_key(&r, "path") || !mp_read_bytes(&r, &path, &path_len)) return wapc_fail("no path");
  mp_reader_init(&r, payload, len);
  if (!mp_find_key(&r, "queryString") || !mp_read_bytes(&r, &query, &query_len)) return wapc_fail("no queryString");

  mp_writer w;
  mp_writer_init(&w);
  const char *ns, *op;
  if (eq(path, path_len, "/caps/kv")) {
    ns = "wascc:keyvalue", op = "Add";
    mp_write_map(&w, 2);
    mp_write_cstr(&w, "key");
    mp_write_cstr(&w, "k");
    mp_write_cstr(&w, "value");
    mp_write_int(&w, 1);
  } else if (eq(path, path_len, "/caps/log")) {
    ns = "wascc:logging", op = "WriteLog";
    mp_write_map(&w, 3);
    mp_write_cstr(&w, "target");
    mp_write_cstr(&w, "caps");
    mp_write_cstr(&w, "level");
    mp_write_int(&w, 3);
    mp_write_cstr(&w, "text");
    mp_write_cstr(&w, "hello from caps");
  } else if (eq(path, path_len, "/caps/http")) {
    ns = "wascc:http_client", op = "PerformRequest";
    mp_write_map(&w, 5);
    mp_write_cstr(&w, "method");
    mp_write_cstr(&w, "GET");
    mp_write_cstr(&w, "path");
    mp_write_str(&w, (const char *)query, query_len);
    mp_write_cstr(&w, "queryString");
    mp_write_cstr(&w, "");
    mp_write_cstr(&w, "header");
    mp_write_map(&w, 0);
    mp_write_cstr(&w, "body");
    mp_write_bin(&w, "", 0);
  } else {
    return wapc_fail("unknown path");
  }
  if (w.failed) return wapc_fail("guest out of memory");
  wapc_buffer reply;
  int ok = wapc_host_call("default", ns, op, w.data, w.len, &reply);
  mp_writer_free(&w);
  int rc = ok ? reply_text("ok ", reply.data, reply.len) : reply_text("error: ", reply.data, reply.len);
  wapc_buffer_free(&reply);
  return rc;
}

void wapc_init(void) { wapc_register("HandleRequest", handle_request); }
