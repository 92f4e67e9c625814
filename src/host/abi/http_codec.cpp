#include "host/abi/http_codec.hpp"

#include <map>
#include <string>

#include "host/abi/wapc.hpp"
#include "host/codec/mp.hpp"

namespace isola::host::wapc {

namespace {

std::string lowercase(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

std::string utf8(std::string_view s) {
  return lossy_utf8(std::span(reinterpret_cast<const uint8_t*>(s.data()), s.size()), s.size());
}

bool iequals(std::string_view a, std::string_view b) { return a.size() == b.size() && lowercase(a) == lowercase(b); }

bool is_tchar(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

// A header line the ingress can send as it is, and that is not one of the framing headers
// it computes itself.
bool sendable(std::string_view name, std::string_view value) {
  if (name.empty()) return false;
  for (char c : name)
    if (!is_tchar(c)) return false;
  for (char c : value)
    if ((static_cast<unsigned char>(c) < 0x20 && c != '\t') || c == 0x7f) return false;
  for (std::string_view owned : {"content-length", "transfer-encoding", "connection", "keep-alive", "upgrade",
                                 "trailer", "te", "proxy-connection"})
    if (iequals(name, owned)) return false;
  return true;
}

HttpResponse malformed() { return HttpResponse::text(500, "Malformed response from actor"); }

}  // namespace

HttpFlavour detect_http_flavour(const Module& module) {
  return Guest::is_wasmbus(module) ? HttpFlavour::Wasmbus : HttpFlavour::HandleRequest;
}

std::string_view http_operation(HttpFlavour flavour) {
  return flavour == HttpFlavour::Wasmbus ? "HttpServer.HandleRequest" : "HandleRequest";
}

std::vector<uint8_t> encode_http_request(const HttpRequest& req, HttpFlavour flavour) {
  // Sorted by name: the actors' maps are unordered, and a stable order makes the bytes
  // reproducible.
  std::map<std::string, std::vector<std::string>> headers;
  for (const auto& [name, value] : req.headers) {
    auto& values = headers[utf8(lowercase(name))];
    if (flavour == HttpFlavour::HandleRequest) values.clear();  // the last one wins
    values.push_back(utf8(value));
  }

  mp::Writer w;
  w.map(5);
  w.str("method").str(utf8(req.method));
  w.str("path").str(utf8(req.path));
  w.str("queryString").str(utf8(req.query));
  w.str("header").map(static_cast<uint32_t>(headers.size()));
  for (const auto& [name, values] : headers) {
    w.str(name);
    if (flavour == HttpFlavour::HandleRequest) {
      w.str(values.back());
    } else {
      w.array(static_cast<uint32_t>(values.size()));
      for (const auto& v : values) w.str(v);
    }
  }
  w.str("body").bin(std::string_view(req.body));
  return w.take();
}

HttpResponse decode_http_response(std::span<const uint8_t> reply, HttpFlavour flavour) {
  auto v = mp::decode(reply);
  if (!v || !(v->is_map() || v->is_array())) return malformed();
  // Field positions when the struct comes as an array: Response {statusCode, status,
  // header, body}; HttpResponse {statusCode, header, body}.
  const bool wasmbus = flavour == HttpFlavour::Wasmbus;
  const mp::Value* code = v->field("statusCode", 0);
  const mp::Value* header = v->field("header", wasmbus ? 1 : 2);
  const mp::Value* body = v->field("body", wasmbus ? 2 : 3);
  if (!code) return malformed();
  auto status = code->as_u32();
  if (!status || *status < 100 || *status > 599) return malformed();

  HttpResponse r;
  r.status = *status;
  if (header && !header->is_nil()) {
    if (!header->is_map()) return malformed();
    for (size_t i = 0; i < header->size(); ++i) {
      auto name = header->key_at(i)->as_str();
      if (!name) return malformed();
      const mp::Value* val = header->value_at(i);
      auto add = [&](const mp::Value& one) -> bool {
        auto s = one.as_str();
        if (!s) return false;
        if (sendable(*name, *s)) r.headers.emplace_back(std::string(*name), std::string(*s));
        return true;
      };
      if (val->is_array()) {
        for (size_t k = 0; k < val->size(); ++k)
          if (!add(*val->at(k))) return malformed();
      } else if (!add(*val)) {
        return malformed();
      }
    }
  }
  if (body && !body->is_nil()) {
    auto b = body->as_bin();
    if (!b) return malformed();
    r.body.assign(b->begin(), b->end());
  }
  return r;
}

}  // namespace isola::host::wapc
