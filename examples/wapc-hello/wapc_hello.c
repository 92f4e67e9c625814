/* The smallest useful waPC actor: answers every HandleRequest with 200 and a fixed text.
 * It exists to measure the host (instantiation, call protocol, HTTP) rather than guest code. */
#include "msgpack.h"
#include "wapc.h"

static int handle_request(const uint8_t *payload, uint32_t len) {
  (void)payload;
  (void)len;
  static const char text[] = "Hello from a waPC actor\n";
  mp_writer w;
  mp_writer_init(&w);
  mp_write_map(&w, 4);
  mp_write_cstr(&w, "statusCode");
  mp_write_uint(&w, 200);
  mp_write_cstr(&w, "status");
  mp_write_cstr(&w, "OK");
  mp_write_cstr(&w, "header");
  mp_write_map(&w, 1);
  mp_write_cstr(&w, "Content-Type");
  mp_write_cstr(&w, "text/plain");
  mp_write_cstr(&w, "body");
  mp_write_bin(&w, text, sizeof text - 1);
  if (w.failed) return wapc_fail("guest out of memory");
  wapc_respond(w.data, w.len);
  mp_writer_free(&w);
  return 1;
}

void wapc_init(void) { wapc_register("HandleRequest", handle_request); }
