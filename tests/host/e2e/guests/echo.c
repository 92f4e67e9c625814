/* A waPC actor that answers with what it was given, for the end-to-end tests of
 * actor-to-actor calls (it is the actor being called) and of wasmbus-rpc actors (built
 * with -DECHO_WASMBUS it imports from module `wasmbus` and serves the operation
 * `HttpServer.HandleRequest`, whose request headers are arrays of values).
 * Operations:
 *   HandleRequest / HttpServer.HandleRequest
 *       200 "<flavour> <method> <path>?<queryString> x-test=<values, comma-separated>"
 *       (flavour "wapc" or "wasmbus"); a path ending in "/kv" first calls
 *       wascc:keyvalue Add {key: "n", value: 1} and appends " n=<the new value>".
 *   Echo
 *       answers "echo: <payload>".
 */
#ifdef ECHO_WASMBUS
#define WAPC_IMPORT_MODULE "wasmbus"
#define ECHO_FLAVOUR "wasmbus"
#define ECHO_HTTP_OP "HttpServer.HandleRequest"
#else
#define ECHO_FLAVOUR "wapc"
#define ECHO_HTTP_OP "HandleRequest"
#endif
#include "msgpack.h"
#include "wapc_http.h"

static void put_cstr(mp_writer *w, const char *s) { mp_put(w, s, (uint32_t)strlen(s)); }

static int field(const uint8_t *payload, uint32_t len, const char *key, const uint8_t **p, uint32_t *n) {
  mp_reader r;
  mp_reader_init(&r, payload, len);
  return mp_find_key(&r, key) && mp_read_bytes(&r, p, n);
}

/* Appends the values of header x-test: a string (waPC) or an array of strings (wasmbus). */
static int put_x_test(mp_writer *out, const uint8_t *payload, uint32_t len) {
  mp_reader r;
  uint32_t pairs;
  mp_reader_init(&r, payload, len);
  if (!mp_find_key(&r, "header") || !mp_read_map(&r, &pairs)) return 0;
  for (uint32_t i = 0; i < pairs; ++i) {
    const uint8_t *k, *v;
    uint32_t kn, vn, count;
    uint8_t m;
    if (!mp_read_bytes(&r, &k, &kn)) return 0;
    if (!(kn == 6 && memcmp(k, "x-test", 6) == 0)) {
      if (!mp_skip(&r)) return 0;
      continue;
    }
    if (!mp_peek(&r, &m)) return 0;
    if ((m & 0xf0) == 0x90 || m == 0xdc || m == 0xdd) {
      if (!mp_read_array(&r, &count)) return 0;
      for (uint32_t j = 0; j < count; ++j) {
        if (!mp_read_bytes(&r, &v, &vn)) return 0;
        if (j) put_cstr(out, ",");
        mp_put(out, v, vn);
      }
    } else {
      if (!mp_read_bytes(&r, &v, &vn)) return 0;
      mp_put(out, v, vn);
    }
  }
  return 1;
}

static int kv_add(mp_writer *out) {
  mp_writer w;
  mp_writer_init(&w);
  mp_write_map(&w, 2);
  mp_write_cstr(&w, "key");
  mp_write_cstr(&w, "n");
  mp_write_cstr(&w, "value");
  mp_write_int(&w, 1);
  if (w.failed) return 0;
  wapc_buffer reply;
  int ok = wapc_host_call("default", "wascc:keyvalue", "Add", w.data, w.len, &reply);
  mp_writer_free(&w);
  if (!ok) {
    put_cstr(out, " kv error: ");
    mp_put(out, reply.data, reply.len);
    wapc_buffer_free(&reply);
    return 1;
  }
  mp_reader r;
  int64_t value = 0;
  mp_reader_init(&r, reply.data, reply.len);
  int got = mp_find_key(&r, "value") && mp_read_int(&r, &value);
  wapc_buffer_free(&reply);
  if (!got) return 0;
  char digits[24];
  int n = 0;
  uint64_t u = value < 0 ? (uint64_t)(-value) : (uint64_t)value;
  do digits[n++] = (char)('0' + u % 10); while ((u /= 10) != 0);
  put_cstr(out, value < 0 ? " n=-" : " n=");
  while (n) mp_put(out, &digits[--n], 1);
  return 1;
}

static int handle_request(const uint8_t *payload, uint32_t len) {
  const uint8_t *method, *path, *query;
  uint32_t method_len, path_len, query_len;
  if (!field(payload, len, "method", &method, &method_len) || !field(payload, len, "path", &path, &path_len) ||
      !field(payload, len, "queryString", &query, &query_len))
    return wapc_fail("malformed request");
  mp_writer body;
  mp_writer_init(&body);
  put_cstr(&body, ECHO_FLAVOUR " ");
  mp_put(&body, method, method_len);
  put_cstr(&body, " ");
  mp_put(&body, path, path_len);
  put_cstr(&body, "?");
  mp_put(&body, query, query_len);
  put_cstr(&body, " x-test=");
  if (!put_x_test(&body, payload, len)) {
    mp_writer_free(&body);
    return wapc_fail("malformed request headers");
  }
  if (path_len >= 3 && memcmp(path + path_len - 3, "/kv", 3) == 0 && !kv_add(&body)) {
    mp_writer_free(&body);
    return wapc_fail("malformed key-value reply");
  }
  int rc = body.failed ? wapc_fail("guest out of memory")
                       : wapc_http_respond(200, "OK", "text/plain", body.data, body.len);
  mp_writer_free(&body);
  return rc;
}

static int echo(const uint8_t *payload, uint32_t len) {
  mp_writer w;
  mp_writer_init(&w);
  put_cstr(&w, "echo: ");
  mp_put(&w, payload, len);
  if (w.failed) return wapc_fail("guest out of memory");
  wapc_respond(w.data, w.len);
  mp_writer_free(&w);
  return 1;
}

void wapc_init(void) {
  wapc_register(ECHO_HTTP_OP, handle_request);
  wapc_register("Echo", echo);
}
