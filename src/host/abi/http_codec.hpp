// HTTP requests and responses as waPC actors see them: the msgpack payloads of the
// `HandleRequest` operation (waSCC `wascc:http_server`, wasmCloud WIDL
// `wasmcloud:httpserver`; ACTOR-ABI.md §2.3, §3.1) and of `HttpServer.HandleRequest`
// (wasmbus-rpc actors; §3.2).
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "host/http_message.hpp"
#include "isola/engine.hpp"

namespace isola::host::wapc {

enum class HttpFlavour : uint8_t {
  HandleRequest,  // op "HandleRequest"; header map String -> String; Response has `status`
  Wasmbus,        // op "HttpServer.HandleRequest"; header map String -> [String]; no `status`
};

// wasmbus when the module imports from `wasmbus` or exports `__wasmbus_rpc_version`,
// HandleRequest otherwise.
HttpFlavour detect_http_flavour(const Module& module);

// "HandleRequest" or "HttpServer.HandleRequest".
std::string_view http_operation(HttpFlavour flavour);

// The request payload: a map {method, path, queryString, header, body} in that order, with
// header names in lowercase. HandleRequest keeps one value per name (the last, as the waSCC
// provider's HashMap did); Wasmbus keeps every value in arrival order. Text that is not
// UTF-8 is replaced (U+FFFD), since the actors' decoders refuse it in a msgpack str.
std::vector<uint8_t> encode_http_request(const HttpRequest& request, HttpFlavour flavour);

// The actor's reply: a map (or an array in field order) with statusCode, header (values a
// string or an array of strings) and body (bin or str); unknown keys and trailing bytes are
// ignored. Anything undecodable, or a status outside 100..599, gives 500 "Malformed
// response from actor". Header lines that could not be sent as they are (a bad name, a CR
// or LF in a value) and the framing headers the ingress owns are dropped.
HttpResponse decode_http_response(std::span<const uint8_t> reply, HttpFlavour flavour);

}  // namespace isola::host::wapc
