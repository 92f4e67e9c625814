/* The smallest useful waPC actor: answers every HandleRequest with 200 and a fixed text.
 * It exists to measure the host (instantiation, call protocol, HTTP) rather than guest code. */
#include "wapc_http.h"

static int handle_request(const uint8_t *payload, uint32_t len) {
  (void)payload;
  (void)len;
  static const char text[] = "Hello from a waPC actor\n";
  return wapc_http_respond(200, "OK", "text/plain", text, sizeof text - 1);
}

void wapc_init(void) { wapc_register("HandleRequest", handle_request); }
