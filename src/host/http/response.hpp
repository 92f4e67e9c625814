// Turning a handler's HttpResponse into what goes on the wire (internal to http/): status
// checked, the handler's headers filtered (framing headers are the server's business, and a
// header with CR/LF in it would let a guest split the response), Date and Server added.
#pragma once

#include <string>
#include <string_view>

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include "host/http_message.hpp"

namespace isola::host::http_detail {

using WireResponse = boost::beast::http::response<boost::beast::http::string_body>;

// `version` is the request's (10 or 11). For a HEAD request the body is dropped but
// Content-Length still says how long it would have been.
WireResponse to_wire(HttpResponse&& response, unsigned version, bool head_request, bool keep_alive);

// A short text/plain answer from the server itself (400, 408, 413, 431, 500, 503, ...).
WireResponse server_error(unsigned status, std::string_view message, unsigned version, bool keep_alive);

// The current time as an HTTP date: "Sun, 06 Nov 1994 08:49:37 GMT".
std::string http_date_now();

// True for a header name made of RFC 9110 token characters and a value free of CR, LF, NUL.
bool valid_header(std::string_view name, std::string_view value);

}  // namespace isola::host::http_detail
