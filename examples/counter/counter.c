/* The waSCC key-value counter as a C actor (ACTOR-ABI.md §2.4): each HandleRequest adds 1
 * to the key named after the request path ('/' -> ':') in the `wascc:keyvalue` store
 * linked under "default", and answers 200 {"counter":N} as JSON. */
#include "msgpack.h"
#include "wapc_http.h"

/* Writes `msg` as the guest error and returns 0. */
static int fail_with(const char *prefix, const uint8_t *detail, uint32_t n) {
  mp_writer w;
  mp_writer_init(&w);
  mp_put(&w, prefix, (uint32_t)strlen(prefix));
  mp_put(&w, detail, n);
  int r = w.failed ? wapc_fail("guest out of memory") : wapc_fail_n((const char *)w.data, w.len);
  mp_writer_free(&w);
  return r;
}

static int handle_request(const uint8_t *payload, uint32_t len) {
  /* Request {method, path, queryString, header, body}: only `path` matters here. */
  mp_reader r;
  mp_reader_init(&r, payload, len);
  const uint8_t *path;
  uint32_t path_len;
  if (!mp_find_key(&r, "path") || !mp_read_bytes(&r, &path, &path_len))
    return wapc_fail("Failed to de-serialize: missing field `path`");

  char *key = (char *)malloc(path_len + 1);
  if (!key) return wapc_fail("guest out of memory");
  for (uint32_t i = 0; i < path_len; ++i) key[i] = path[i] == '/' ? ':' : (char)path[i];

  /* Add {key, value: 1}: value is an i32, so a signed marker (fixint here). */
  mp_writer add;
  mp_writer_init(&add);
  mp_write_map(&add, 2);
  mp_write_cstr(&add, "key");
  mp_write_str(&add, key, path_len);
  mp_write_cstr(&add, "value");
  mp_write_int(&add, 1);
  free(key);
  if (add.failed) return wapc_fail("guest out of memory");

  wapc_buffer reply;
  int ok = wapc_host_call("default", "wascc:keyvalue", "Add", add.data, add.len, &reply);
  mp_writer_free(&add);
  if (!ok) {
    int rc = fail_with("Host error: ", reply.data, reply.len);
    wapc_buffer_free(&reply);
    return rc;
  }

  /* AddResponse {value: i32} */
  int64_t value = 0;
  mp_reader_init(&r, reply.data, reply.len);
  int parsed = mp_find_key(&r, "value") && mp_read_int(&r, &value);
  wapc_buffer_free(&reply);
  if (!parsed) return wapc_fail("Failed to de-serialize: AddResponse has no integer `value`");

  /* {"counter":N}, formatted by hand so the actor needs no WASI (printf would import it). */
  char body[40], digits[24];
  int nd = 0, body_len = 0;
  uint64_t mag = value < 0 ? 0 - (uint64_t)value : (uint64_t)value;
  do digits[nd++] = (char)('0' + mag % 10); while ((mag /= 10) != 0);
  memcpy(body, "{\"counter\":", 11);
  body_len = 11;
  if (value < 0) body[body_len++] = '-';
  while (nd > 0) body[body_len++] = digits[--nd];
  body[body_len++] = '}';

  return wapc_http_respond(200, "OK", "application/json", body, (uint32_t)body_len);
}

/* The waSCC health check: answered with nil, as the original kvcounter does. */
static int health_request(const uint8_t *payload, uint32_t len) {
  (void)payload;
  (void)len;
  static const uint8_t nil = 0xc0;
  wapc_respond(&nil, 1);
  return 1;
}

void wapc_init(void) {
  wapc_register("HandleRequest", handle_request);
  wapc_register("HealthRequest", health_request);
}
