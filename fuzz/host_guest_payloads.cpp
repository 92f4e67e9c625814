// fuzz_guest_payloads: the bytes a guest hands the host, through the host's decoders.
//
// Input: one selector byte (which operation, guest_payloads_operations() in order, modulo
// their number), then the operation's bytes:
//   mp.decode            arbitrary bytes through mp::decode, at the default limits and at
//                        small ones. Invariants: the tree has no more values than the input
//                        has bytes and no deeper nesting than the limit; the accessors agree
//                        with the kind; find()/field() return the first match; a value
//                        without ext re-encodes (mp::Writer) to bytes that decode to the same
//                        value, re-encode to the same bytes, and of which no strict prefix
//                        decodes; trailing bytes are ignored.
//   mp.writer            the input as a program of mp::Writer calls (nested arrays and maps
//                        of every scalar): the bytes decode to exactly what was written, and
//                        sint()/uint() pick the smallest marker of the declared signedness.
//   http.response.*      wapc::decode_http_response in both flavours: status 100..599, only
//                        sendable headers; the response re-encoded as a map decodes to itself.
//   http.request         an HttpRequest built from the input: encode_http_request (both
//                        flavours) gives msgpack that decodes to the request's fields (header
//                        names lowercased and sorted, text valid UTF-8, body as bin), and
//                        wagi::cgi_environment gives sorted unique NAME=VALUE strings
//                        without NUL.
//   cgi, wagi.exchange   wagi::parse_cgi_response on guest stdout (status 100..599, clean
//                        headers, no framing headers; the response written back as CGI parses
//                        to itself), and the same bytes through a wagi::Exchange's stdout and
//                        stderr sinks (the stdout limit, stderr split into bounded lines that
//                        lose no byte).
//   utf8                 wapc::lossy_utf8 and the log's JsonFields: valid UTF-8 out, valid
//                        input unchanged, the JSON parses.
//   kv:*, kvw:*, log:*,  one provider operation with the input as payload (keyvalue over an
//   extras:*, http:*     in-memory backend, logging into a JSON-lines sink, extras and
//                        numbergen, httpclient with an empty allow-list, which must refuse
//                        every request before any connection). Invariants: no exception; a
//                        failure has a message; a success reply is exactly one msgpack value.
#include <algorithm>
#include <cstdio>
#include <cstring>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <span>

#include <nlohmann/json.hpp>

#include "host/abi/http_codec.hpp"
#include "host/abi/wagi.hpp"
#include "host/abi/wapc.hpp"
#include "host/codec/mp.hpp"
#include "host/log.hpp"
#include "host/providers/extras.hpp"
#include "host/providers/httpclient.hpp"
#include "host/providers/keyvalue.hpp"
#include "host/providers/logging.hpp"
#include "host_harness.hpp"

namespace isola::fuzz {
namespace {

namespace mp = isola::host::mp;
using isola::host::CapabilityResult;
using isola::host::HttpRequest;
using isola::host::HttpResponse;
using isola::host::Provider;
using Bytes = std::span<const uint8_t>;
using Kind = mp::Value::Kind;

// ---------------------------------------------------------------------------------------
// Helpers

// Reads the input as small fields; past the end everything reads as zero or empty.
class Reader {
 public:
  explicit Reader(Bytes b) : b_(b) {}
  bool empty() const { return pos_ >= b_.size(); }
  uint8_t byte() { return pos_ < b_.size() ? b_[pos_++] : 0; }
  uint16_t u16() {
    uint16_t hi = byte();
    return static_cast<uint16_t>((hi << 8) | byte());
  }
  uint64_t u64() {
    uint64_t v = 0;
    for (int i = 0; i < 8; ++i) v = (v << 8) | byte();
    return v;
  }
  // A length byte (255: a 16-bit length follows), then that many bytes or what is left.
  std::string str() {
    size_t len = byte();
    if (len == 255) len = u16();
    len = std::min(len, b_.size() - std::min(pos_, b_.size()));
    std::string s(reinterpret_cast<const char*>(b_.data()) + pos_, len);
    pos_ += len;
    return s;
  }
  std::string rest() {
    if (pos_ >= b_.size()) return {};
    std::string s(reinterpret_cast<const char*>(b_.data()) + pos_, b_.size() - pos_);
    pos_ = b_.size();
    return s;
  }

 private:
  Bytes b_;
  size_t pos_ = 0;
};

// RFC 3629 UTF-8 (no overlong forms, no surrogates, nothing above U+10FFFF), written apart
// from the code under test.
bool valid_utf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t n;
    unsigned char lo = 0x80, hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF) n = 2;
    else if (c == 0xE0) n = 3, lo = 0xA0;
    else if (c >= 0xE1 && c <= 0xEC) n = 3;
    else if (c == 0xED) n = 3, hi = 0x9F;
    else if (c >= 0xEE && c <= 0xEF) n = 3;
    else if (c == 0xF0) n = 4, lo = 0x90;
    else if (c >= 0xF1 && c <= 0xF3) n = 4;
    else if (c == 0xF4) n = 4, hi = 0x8F;
    else return false;
    if (i + n > s.size()) return false;
    auto c1 = static_cast<unsigned char>(s[i + 1]);
    if (c1 < lo || c1 > hi) return false;
    for (size_t k = 2; k < n; ++k)
      if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return false;
    i += n;
  }
  return true;
}

bool is_tchar(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

// A header the ingress may send as it is: a token name, no control character in the value
// but tab, and not one of the framing headers the ingress writes itself.
bool sendable_header(const std::string& name, const std::string& value) {
  if (name.empty() || !std::all_of(name.begin(), name.end(), is_tchar)) return false;
  for (char c : value)
    if ((static_cast<unsigned char>(c) < 0x20 && c != '\t') || c == 0x7f) return false;
  static const std::set<std::string> owned = {"content-length", "transfer-encoding", "connection", "keep-alive",
                                              "upgrade",        "trailer",           "te",         "proxy-connection"};
  return !owned.count(lower(name));
}

// ---------------------------------------------------------------------------------------
// msgpack values

bool same(const mp::Value& a, const mp::Value& b) {
  if (a.kind() != b.kind()) return false;
  switch (a.kind()) {
    case Kind::Nil: return true;
    case Kind::Bool: return a.as_bool() == b.as_bool();
    case Kind::UInt: return a.as_u64() == b.as_u64();
    case Kind::NegInt: return a.as_i64() == b.as_i64();
    case Kind::Float: {
      double x = *a.as_f64(), y = *b.as_f64();
      return std::memcmp(&x, &y, sizeof x) == 0;
    }
    case Kind::Str: return a.as_str() == b.as_str();
    case Kind::Bin: {
      auto x = *a.as_bin(), y = *b.as_bin();
      return std::equal(x.begin(), x.end(), y.begin(), y.end());
    }
    case Kind::Ext: return true;  // Value has no accessor for ext contents
    case Kind::Array:
      if (a.size() != b.size()) return false;
      for (size_t i = 0; i < a.size(); ++i)
        if (!same(*a.at(i), *b.at(i))) return false;
      return true;
    case Kind::Map:
      if (a.size() != b.size()) return false;
      for (size_t i = 0; i < a.size(); ++i)
        if (!same(*a.key_at(i), *b.key_at(i)) || !same(*a.value_at(i), *b.value_at(i))) return false;
      return true;
  }
  return false;
}

// Writes `v` with mp::Writer (a float as float64, through raw()); false if `v` holds an ext,
// which neither the Writer nor Value's accessors can reproduce.
bool encode(const mp::Value& v, mp::Writer& w) {
  switch (v.kind()) {
    case Kind::Nil: w.nil(); return true;
    case Kind::Bool: w.boolean(*v.as_bool()); return true;
    case Kind::UInt: w.uint(*v.as_u64()); return true;
    case Kind::NegInt: w.sint(*v.as_i64()); return true;
    case Kind::Float: {
      double d = *v.as_f64();
      uint64_t bits;
      std::memcpy(&bits, &d, sizeof bits);
      uint8_t raw[9] = {0xcb};
      for (int i = 0; i < 8; ++i) raw[1 + i] = static_cast<uint8_t>(bits >> (56 - 8 * i));
      w.raw(raw);
      return true;
    }
    case Kind::Str: w.str(*v.as_str()); return true;
    case Kind::Bin: w.bin(*v.as_bin()); return true;
    case Kind::Ext: return false;
    case Kind::Array:
      w.array(static_cast<uint32_t>(v.size()));
      for (size_t i = 0; i < v.size(); ++i)
        if (!encode(*v.at(i), w)) return false;
      return true;
    case Kind::Map:
      w.map(static_cast<uint32_t>(v.size()));
      for (size_t i = 0; i < v.size(); ++i)
        if (!encode(*v.key_at(i), w) || !encode(*v.value_at(i), w)) return false;
      return true;
  }
  return false;
}

// The shape of a tree: how many values, and how deep its containers nest (1 for a root
// container with no container inside).
struct Shape {
  size_t count = 0;
  size_t container_depth = 0;
};

void measure(const mp::Value& v, size_t depth, Shape& s) {
  ++s.count;
  if (!v.is_array() && !v.is_map()) return;
  s.container_depth = std::max(s.container_depth, depth);
  for (size_t i = 0; i < v.size(); ++i) {
    if (v.is_array()) {
      measure(*v.at(i), depth + 1, s);
    } else {
      measure(*v.key_at(i), depth + 1, s);
      measure(*v.value_at(i), depth + 1, s);
    }
  }
}

// The accessors agree with the kind, everywhere in the tree.
void check_accessors(const mp::Value& v) {
  ISOLA_FUZZ_CHECK(!v.kind_name().empty() && v.kind_name() != "?");
  ISOLA_FUZZ_CHECK(v.is_int() == (v.kind() == Kind::UInt || v.kind() == Kind::NegInt));
  ISOLA_FUZZ_CHECK(v.as_str().has_value() == v.is_str());
  ISOLA_FUZZ_CHECK(v.as_bin().has_value() == (v.is_bin() || v.is_str()));
  ISOLA_FUZZ_CHECK(v.as_bool().has_value() == v.is_bool());
  ISOLA_FUZZ_CHECK(v.as_f64().has_value() == v.is_float());
  ISOLA_FUZZ_CHECK(v.as_u64().has_value() == (v.kind() == Kind::UInt));
  if (v.kind() == Kind::NegInt) ISOLA_FUZZ_CHECK(v.as_i64() && *v.as_i64() < 0);
  if (auto u = v.as_u64()) {
    ISOLA_FUZZ_CHECK(v.as_i64().has_value() == (*u <= static_cast<uint64_t>(INT64_MAX)));
    ISOLA_FUZZ_CHECK(v.as_u32().has_value() == (*u <= UINT32_MAX));
  }
  if (auto i = v.as_i64()) ISOLA_FUZZ_CHECK(v.as_i32().has_value() == (*i >= INT32_MIN && *i <= INT32_MAX));
  if (!v.is_array() && !v.is_map()) ISOLA_FUZZ_CHECK(v.size() == 0 && !v.at(0) && !v.key_at(0));
  if (v.is_array()) {
    ISOLA_FUZZ_CHECK(!v.at(v.size()) && !v.key_at(0) && !v.find(""));
    for (size_t i = 0; i < v.size(); ++i) {
      ISOLA_FUZZ_CHECK(v.field("x", i) == v.at(i));
      check_accessors(*v.at(i));
    }
  }
  if (v.is_map()) {
    ISOLA_FUZZ_CHECK(!v.key_at(v.size()) && !v.value_at(v.size()) && !v.at(0));
    for (size_t i = 0; i < v.size(); ++i) {
      if (auto k = v.key_at(i)->as_str()) {
        // find() and field() return the value of the first key equal to this one.
        size_t first = 0;
        while (v.key_at(first)->as_str() != k) ++first;
        ISOLA_FUZZ_CHECK(v.find(*k) == v.value_at(first));
        ISOLA_FUZZ_CHECK(v.field(*k, 0) == v.value_at(first));
      }
      check_accessors(*v.key_at(i));
      check_accessors(*v.value_at(i));
    }
  }
}

void fuzz_mp_decode(Bytes in) {
  auto v = mp::decode(in);
  if (!v) {
    ISOLA_FUZZ_CHECK(v.error().message.rfind("msgpack: ", 0) == 0);
    return;
  }
  Shape shape;
  measure(*v, 1, shape);
  ISOLA_FUZZ_CHECK(shape.count <= in.size());
  ISOLA_FUZZ_CHECK(shape.container_depth <= mp::DecodeLimits{}.max_depth);
  check_accessors(*v);

  // Tighter limits, taken from the input: a value decodes under them exactly when it
  // respects them.
  mp::DecodeLimits small;
  small.max_depth = in[0] % 8;
  small.max_values = 1 + in[in.size() - 1] % 32;
  bool fits = shape.count <= small.max_values && shape.container_depth <= small.max_depth;
  auto s = mp::decode(in, small);
  ISOLA_FUZZ_CHECK(s.ok() == fits);
  if (s) ISOLA_FUZZ_CHECK(same(*s, *v));

  mp::Writer w;
  if (!encode(*v, w)) return;
  const std::vector<uint8_t>& e = w.bytes();
  auto again = mp::decode(e);
  ISOLA_FUZZ_CHECK(again.ok() && same(*again, *v));
  mp::Writer w2;
  ISOLA_FUZZ_CHECK(encode(*again, w2) && w2.bytes() == e);  // canonical form is a fixed point
  ISOLA_FUZZ_CHECK(e.size() <= 9 * in.size());
  // A value's encoding is prefix-free: no strict prefix is a whole value.
  for (size_t cut : {size_t{0}, e.size() / 2, e.size() - 1})
    ISOLA_FUZZ_CHECK(!mp::decode(Bytes(e.data(), cut)).ok());
  // Trailing bytes are ignored.
  std::vector<uint8_t> trailing = e;
  trailing.insert(trailing.end(), in.begin(), in.end());
  auto with_tail = mp::decode(trailing);
  ISOLA_FUZZ_CHECK(with_tail.ok() && same(*with_tail, *v));
}

// What mp.writer expects to read back.
struct Model {
  Kind kind = Kind::Nil;
  bool b = false;
  uint64_t u = 0;
  int64_t i = 0;
  std::string s;
  std::vector<Model> items;  // arrays: elements; maps: key, value, key, value, ...
};

bool matches(const mp::Value& v, const Model& m) {
  if (v.kind() != m.kind) return false;
  switch (m.kind) {
    case Kind::Nil: return true;
    case Kind::Bool: return v.as_bool() == m.b;
    case Kind::UInt: return v.as_u64() == m.u;
    case Kind::NegInt: return v.as_i64() == m.i;
    case Kind::Str: return v.as_str() == std::string_view(m.s);
    case Kind::Bin: {
      auto b = *v.as_bin();
      return std::string_view(reinterpret_cast<const char*>(b.data()), b.size()) == m.s;
    }
    case Kind::Array:
      if (v.size() != m.items.size()) return false;
      for (size_t k = 0; k < v.size(); ++k)
        if (!matches(*v.at(k), m.items[k])) return false;
      return true;
    case Kind::Map:
      if (2 * v.size() != m.items.size()) return false;
      for (size_t k = 0; k < v.size(); ++k)
        if (!matches(*v.key_at(k), m.items[2 * k]) || !matches(*v.value_at(k), m.items[2 * k + 1])) return false;
      return true;
    default: return false;
  }
}

// The bytes sint(v) / uint(v) must write: the smallest marker of that signedness.
void check_int_markers(int64_t sv, uint64_t uv) {
  mp::Writer s;
  s.sint(sv);
  const auto& sb = s.bytes();
  size_t want = sv >= -32 && sv <= 127 ? 1 : sv >= INT8_MIN && sv <= INT8_MAX ? 2 : sv >= INT16_MIN && sv <= INT16_MAX ? 3
                : sv >= INT32_MIN && sv <= INT32_MAX ? 5 : 9;
  ISOLA_FUZZ_CHECK(sb.size() == want);
  if (want > 1) ISOLA_FUZZ_CHECK(sb[0] == (want == 2 ? 0xd0 : want == 3 ? 0xd1 : want == 5 ? 0xd2 : 0xd3));
  mp::Writer u;
  u.uint(uv);
  const auto& ub = u.bytes();
  want = uv <= 127 ? 1 : uv <= 0xff ? 2 : uv <= 0xffff ? 3 : uv <= 0xffffffffu ? 5 : 9;
  ISOLA_FUZZ_CHECK(ub.size() == want);
  if (want > 1) ISOLA_FUZZ_CHECK(ub[0] == (want == 2 ? 0xcc : want == 3 ? 0xcd : want == 5 ? 0xce : 0xcf));
}

Model write_value(Reader& r, mp::Writer& w, int depth, size_t& budget) {
  Model m;
  if (budget == 0 || r.empty()) {
    w.nil();
    return m;
  }
  --budget;
  uint8_t op = r.byte();
  switch (op % 8) {
    case 0: w.nil(); break;
    case 1:
      m.kind = Kind::Bool;
      m.b = op & 0x80;
      w.boolean(m.b);
      break;
    case 2: {
      // Small values half the time, so that every marker size comes up.
      int64_t v;
      if (op & 0x80) {
        int64_t a = static_cast<int8_t>(r.byte());
        v = a * r.byte();
      } else {
        int64_t a = static_cast<int64_t>(r.u64());
        v = a >> (r.byte() % 64);
      }
      if (v < 0) m.kind = Kind::NegInt, m.i = v;
      else m.kind = Kind::UInt, m.u = static_cast<uint64_t>(v);
      w.sint(v);
      check_int_markers(v, static_cast<uint64_t>(v));
      break;
    }
    case 3: {
      uint64_t v;
      if (op & 0x80) {
        uint64_t a = r.byte();
        v = a * r.byte();
      } else {
        uint64_t a = r.u64();
        v = a >> (r.byte() % 64);
      }
      m.kind = Kind::UInt;
      m.u = v;
      w.uint(v);
      check_int_markers(static_cast<int64_t>(v >> 1), v);
      break;
    }
    case 4:
      m.kind = Kind::Str;
      m.s = r.str();
      w.str(m.s);
      break;
    case 5:
      m.kind = Kind::Bin;
      m.s = r.str();
      w.bin(std::string_view(m.s));
      break;
    case 6:
    case 7: {
      bool map = op % 8 == 7;
      uint8_t n8 = r.byte();
      // Mostly small; now and then past 15, where the 16-bit headers start.
      uint32_t n = depth >= 6 ? 0 : n8 >= 250 ? 16 + n8 % 4 : n8 % 5;
      m.kind = map ? Kind::Map : Kind::Array;
      if (map) w.map(n);
      else w.array(n);
      for (uint32_t k = 0; k < (map ? 2 * n : n); ++k) m.items.push_back(write_value(r, w, depth + 1, budget));
      break;
    }
  }
  return m;
}

void fuzz_mp_writer(Bytes in) {
  Reader r(in);
  mp::Writer w;
  size_t budget = 4096;
  Model m = write_value(r, w, 0, budget);
  auto v = mp::decode(w.bytes());
  ISOLA_FUZZ_CHECK(v.ok());
  ISOLA_FUZZ_CHECK(matches(*v, m));
}

// ---------------------------------------------------------------------------------------
// waPC HTTP payloads

std::vector<uint8_t> encode_response(const HttpResponse& r) {
  mp::Writer w;
  w.map(3).str("statusCode").uint(r.status);
  w.str("header").map(static_cast<uint32_t>(r.headers.size()));
  for (const auto& [name, value] : r.headers) w.str(name).str(value);
  w.str("body").bin(std::string_view(r.body));
  return w.take();
}

void fuzz_http_response(Bytes in, isola::host::wapc::HttpFlavour flavour) {
  HttpResponse r = isola::host::wapc::decode_http_response(in, flavour);
  ISOLA_FUZZ_CHECK(r.status >= 100 && r.status <= 599);
  for (const auto& [name, value] : r.headers) ISOLA_FUZZ_CHECK(sendable_header(name, value));
  // What the ingress got can be said again, and says the same.
  HttpResponse again = isola::host::wapc::decode_http_response(encode_response(r), flavour);
  ISOLA_FUZZ_CHECK(again.status == r.status && again.headers == r.headers && again.body == r.body);
}

HttpRequest read_request(Reader& r) {
  HttpRequest req;
  req.method = r.str();
  req.path = r.str();
  req.query = r.str();
  req.target = req.query.empty() ? req.path : req.path + "?" + req.query;
  size_t n = r.byte() % 8;
  for (size_t i = 0; i < n; ++i) {
    std::string name = r.str();
    req.headers.emplace_back(std::move(name), r.str());
  }
  req.remote_addr = r.str();
  req.server_name = r.str();
  req.server_port = r.u16();
  req.body = r.rest();
  return req;
}

void fuzz_http_request(Bytes in) {
  Reader r(in);
  isola::host::wagi::Options opt;
  opt.script_name = r.str();
  opt.matched_route = r.str();
  // The component's own variables come from its manifest, which refuses names with NUL.
  for (size_t n = r.byte() % 4, i = 0; i < n; ++i) {
    std::string e = r.str();
    if (e.substr(0, e.find('=')).find('\0') == std::string::npos) opt.env.push_back(std::move(e));
  }
  HttpRequest req = read_request(r);

  using isola::host::wapc::HttpFlavour;
  for (HttpFlavour fl : {HttpFlavour::HandleRequest, HttpFlavour::Wasmbus}) {
    auto bytes = isola::host::wapc::encode_http_request(req, fl);
    auto v = mp::decode(bytes);
    ISOLA_FUZZ_CHECK(v.ok() && v->is_map() && v->size() == 5);
    for (const char* key : {"method", "path", "queryString"}) {
      const mp::Value* f = v->find(key);
      ISOLA_FUZZ_CHECK(f && f->is_str() && valid_utf8(*f->as_str()));
    }
    if (valid_utf8(req.method)) ISOLA_FUZZ_CHECK(*v->find("method")->as_str() == req.method);
    if (valid_utf8(req.path)) ISOLA_FUZZ_CHECK(*v->find("path")->as_str() == req.path);
    const mp::Value* body = v->find("body");
    ISOLA_FUZZ_CHECK(body && body->is_bin());
    auto b = *body->as_bin();
    ISOLA_FUZZ_CHECK(std::string_view(reinterpret_cast<const char*>(b.data()), b.size()) == req.body);
    const mp::Value* h = v->find("header");
    ISOLA_FUZZ_CHECK(h && h->is_map());
    std::string previous;
    size_t values = 0;
    for (size_t i = 0; i < h->size(); ++i) {
      auto name = h->key_at(i)->as_str();
      ISOLA_FUZZ_CHECK(name && valid_utf8(*name) && lower(*name) == *name);
      ISOLA_FUZZ_CHECK(i == 0 || previous < *name);  // sorted, one entry per name
      previous = std::string(*name);
      const mp::Value* val = h->value_at(i);
      if (fl == HttpFlavour::HandleRequest) {
        ISOLA_FUZZ_CHECK(val->is_str() && valid_utf8(*val->as_str()));
        ++values;
      } else {
        ISOLA_FUZZ_CHECK(val->is_array() && val->size() > 0);
        for (size_t k = 0; k < val->size(); ++k) ISOLA_FUZZ_CHECK(val->at(k)->is_str());
        values += val->size();
      }
    }
    if (fl == HttpFlavour::Wasmbus) ISOLA_FUZZ_CHECK(values == req.headers.size());
    else ISOLA_FUZZ_CHECK(values <= req.headers.size());
  }

  auto env = isola::host::wagi::cgi_environment(req, opt);
  std::string previous;
  for (size_t i = 0; i < env.size(); ++i) {
    const std::string& e = env[i];
    size_t eq = e.find('=');
    ISOLA_FUZZ_CHECK(eq != std::string::npos && eq > 0);
    ISOLA_FUZZ_CHECK(e.find('\0') == std::string::npos);
    std::string name = e.substr(0, eq);
    ISOLA_FUZZ_CHECK(i == 0 || previous < name);
    previous = name;
  }
  ISOLA_FUZZ_CHECK(std::find(env.begin(), env.end(), "GATEWAY_INTERFACE=CGI/1.1") != env.end());
}

// ---------------------------------------------------------------------------------------
// WAGI

void check_cgi_response(const HttpResponse& r) {
  ISOLA_FUZZ_CHECK(r.status >= 100 && r.status <= 599);
  int types = 0, locations = 0;
  for (const auto& [name, value] : r.headers) {
    ISOLA_FUZZ_CHECK(sendable_header(name, value));
    ISOLA_FUZZ_CHECK(lower(name) != "status");
    ISOLA_FUZZ_CHECK(value.empty() || (value.front() != ' ' && value.front() != '\t' && value.back() != ' ' &&
                                       value.back() != '\t'));
    types += lower(name) == "content-type";
    locations += lower(name) == "location";
  }
  ISOLA_FUZZ_CHECK(types <= 1 && locations <= 1);
}

void fuzz_cgi(Bytes in) {
  std::string_view out(reinterpret_cast<const char*>(in.data()), in.size());
  HttpResponse r = isola::host::wagi::parse_cgi_response(out);
  check_cgi_response(r);
  // Written back as CGI output (with an explicit Status), it parses to the same response,
  // when it fits the parser's limits on header lines and header block size.
  std::string again = "Status: " + std::to_string(r.status) + "\n";
  for (const auto& [name, value] : r.headers) again.append(name).append(": ").append(value).append("\n");
  again.append("\n");
  if (r.headers.size() < 100 && again.size() < (64u << 10)) {
    again.append(r.body);
    HttpResponse r2 = isola::host::wagi::parse_cgi_response(again);
    ISOLA_FUZZ_CHECK(r2.status == r.status && r2.headers == r.headers && r2.body == r.body);
  }
}

// The same bytes through an Exchange's sinks, as a WAGI program's stdout and stderr.
void fuzz_wagi_exchange(Bytes in) {
  Reader r(in);
  uint8_t flags = r.byte();
  isola::host::wagi::Options opt;
  opt.max_stdout = 1 + r.u16();
  opt.max_stderr_line = 1 + r.byte() % 64;
  std::vector<std::string> lines;
  opt.on_stderr = [&](std::string_view line) { lines.emplace_back(line); };
  HttpRequest req;
  req.method = "GET";
  req.path = req.target = "/";
  isola::host::wagi::Exchange ex(req, opt);
  isola::wasi::Config c = ex.config();
  ISOLA_FUZZ_CHECK(c.stdout_.output && c.stderr_.output);
  std::string out = r.str(), err = r.str(), all_out;
  // Written in pieces, as a guest's fd_write calls would.
  for (size_t pos = 0, step = 1 + flags % 7; pos < out.size(); pos += step) {
    c.stdout_.output(std::string_view(out).substr(pos, step));
    all_out += out.substr(pos, step);
    if (flags & 0x80) c.stdout_.output({});
  }
  for (size_t pos = 0, step = 1 + (flags >> 3) % 5; pos < err.size(); pos += step)
    c.stderr_.output(std::string_view(err).substr(pos, step));
  int status = (flags & 0x40) ? 1 : 0;
  HttpResponse resp = ex.response(isola::Expected<int, isola::Trap>(status));
  check_cgi_response(resp);

  // No stderr byte is lost but the newlines, and no line is longer than the limit.
  std::string joined, expected;
  for (const auto& l : lines) {
    ISOLA_FUZZ_CHECK(!l.empty() && l.size() <= opt.max_stderr_line && l.find('\n') == std::string::npos);
    joined += l;
  }
  for (char ch : err)
    if (ch != '\n') expected.push_back(ch);
  ISOLA_FUZZ_CHECK(joined == expected);

  // Under the limit, the response is what the output says; over it, a 500 and nothing kept.
  if (all_out.size() > opt.max_stdout) {
    ISOLA_FUZZ_CHECK(ex.stdout_overflowed() && resp.status == 500);
  } else {
    ISOLA_FUZZ_CHECK(!ex.stdout_overflowed() && ex.stdout_bytes() == all_out);
    if (!(all_out.empty() && status != 0)) {
      HttpResponse direct = isola::host::wagi::parse_cgi_response(all_out);
      ISOLA_FUZZ_CHECK(direct.status == resp.status && direct.headers == resp.headers && direct.body == resp.body);
    }
  }
}

void fuzz_utf8(Bytes in) {
  size_t max = in[0] == 0xff ? in.size() : in[0] % 64;
  Bytes text = in.subspan(1);
  std::string out = isola::host::wapc::lossy_utf8(text, max);
  ISOLA_FUZZ_CHECK(valid_utf8(out));
  std::string_view raw(reinterpret_cast<const char*>(text.data()), text.size());
  if (text.size() <= max && valid_utf8(raw)) ISOLA_FUZZ_CHECK(out == raw);
  ISOLA_FUZZ_CHECK(out.size() <= 3 * std::min(text.size(), max) + 3);

  isola::host::JsonFields f;
  f.str("text", raw).num("n", text.size());
  auto j = nlohmann::json::parse("{" + f.text() + "}", nullptr, /*allow_exceptions=*/false);
  ISOLA_FUZZ_CHECK(!j.is_discarded() && j["text"].is_string() && j["n"] == text.size());
  std::string back = j["text"].get<std::string>();
  ISOLA_FUZZ_CHECK(valid_utf8(back));
  if (valid_utf8(raw)) ISOLA_FUZZ_CHECK(back == raw);
}

// ---------------------------------------------------------------------------------------
// Providers

// An in-memory KvBackend with canned answers: enough for the provider to write each reply.
// add() multiplies, so that results outside the 32-bit range come up.
class MemoryKv final : public isola::host::providers::KvBackend {
 public:
  template <class T>
  using E = isola::Expected<T>;
  E<std::optional<std::string>> get(std::string_view key) override {
    if (key.empty()) return std::optional<std::string>();
    return std::optional<std::string>(std::string(key) + "-value");
  }
  E<isola::host::providers::Done> set(std::string_view key, std::string_view, uint32_t) override {
    if (key == "fail") return isola::Error{"backend failure"};
    return isola::host::providers::Done{};
  }
  E<int64_t> add(std::string_view key, int64_t delta) override {
    if (key == "fail") return isola::Error{"backend failure"};
    return delta * 3;
  }
  E<bool> del(std::string_view key) override { return !key.empty(); }
  E<bool> exists(std::string_view key) override { return key.size() % 2 == 1; }
  E<int64_t> list_push(std::string_view key, std::string_view, bool) override {
    return static_cast<int64_t>(key.size()) - 2;
  }
  E<std::vector<std::string>> list_range(std::string_view key, int64_t start, int64_t stop) override {
    if (start > stop) return std::vector<std::string>{};
    return std::vector<std::string>{std::string(key), std::to_string(start), std::to_string(stop)};
  }
  E<int64_t> list_remove(std::string_view, std::string_view value) override {
    return static_cast<int64_t>(value.size() % 3);
  }
  E<int64_t> set_add(std::string_view, std::string_view member) override { return member.empty() ? 0 : 1; }
  E<int64_t> set_remove(std::string_view, std::string_view member) override { return member.empty() ? 1 : 0; }
  E<std::vector<std::string>> set_members(std::string_view key) override {
    return std::vector<std::string>{std::string(key)};
  }
  E<std::vector<std::string>> set_union(const std::vector<std::string>& keys) override { return keys; }
  E<std::vector<std::string>> set_intersection(const std::vector<std::string>& keys) override {
    if (keys.empty()) return isola::Error{"no keys"};
    return std::vector<std::string>{keys.front()};
  }
};

void check_reply(const CapabilityResult& res) {
  if (!res.ok) {
    ISOLA_FUZZ_CHECK(!res.error.empty() && res.data.empty());
    return;
  }
  ISOLA_FUZZ_CHECK(res.error.empty());
  if (res.data.empty()) return;
  // Exactly one value: it decodes, and without its last byte it does not (an encoding is
  // prefix-free, so a reply with trailing bytes would still decode). The markers are the
  // provider's choice (sint() writes signed ones), so the bytes are not compared with a
  // re-encoding.
  auto v = mp::decode(res.data);
  ISOLA_FUZZ_CHECK(v.ok());
  ISOLA_FUZZ_CHECK(!mp::decode(Bytes(res.data.data(), res.data.size() - 1)).ok());
  check_accessors(*v);
}

struct Providers {
  std::FILE* devnull = std::fopen("/dev/null", "w");
  isola::host::JsonLinesLog log{devnull ? devnull : stderr, isola::host::LogLevel::Trace};
  std::shared_ptr<Provider> kv_wascc, kv_widl, logging, extras_wascc, extras_widl, numbergen, httpclient;

  Providers() {
    using namespace isola::host::providers;
    auto backend = std::make_shared<MemoryKv>();
    kv_wascc = make_keyvalue_provider(KvFlavour::Wascc, backend);
    kv_widl = make_keyvalue_provider(KvFlavour::Widl, backend);
    logging = make_logging_provider(&log);
    extras_wascc = make_extras_provider(ExtrasFlavour::Wascc);
    extras_widl = make_extras_provider(ExtrasFlavour::Widl);
    numbergen = make_extras_provider(ExtrasFlavour::NumberGen);
    // No allowed_hosts: every request must be refused before a connection is made.
    auto cfg = parse_httpclient_config({});
    if (cfg.ok()) httpclient = make_httpclient_provider(*cfg);
  }
};

Providers& providers() {
  static Providers p;
  return p;
}

// ---------------------------------------------------------------------------------------
// The operation table

struct Operation {
  std::string name;
  std::function<void(Bytes)> run;
};

void add_provider_ops(std::vector<Operation>& ops, const std::string& prefix,
                      std::shared_ptr<Provider> Providers::*which, std::initializer_list<std::string_view> names,
                      bool must_fail = false) {
  for (std::string_view op : names) {
    ops.push_back({prefix + std::string(op), [which, name = std::string(op), must_fail](Bytes in) {
                     Provider* p = (providers().*which).get();
                     ISOLA_FUZZ_CHECK(p != nullptr);
                     isola::host::Caller caller{"fuzz", "MFUZZ"};
                     CapabilityResult res = p->call(caller, name, in);
                     check_reply(res);
                     if (must_fail) ISOLA_FUZZ_CHECK(!res.ok);
                   }});
  }
}

const std::vector<Operation>& operations() {
  static const std::vector<Operation> ops = [] {
    using isola::host::wapc::HttpFlavour;
    std::vector<Operation> v;
    v.push_back({"mp.decode", fuzz_mp_decode});
    v.push_back({"mp.writer", fuzz_mp_writer});
    v.push_back({"http.response.handle", [](Bytes b) { fuzz_http_response(b, HttpFlavour::HandleRequest); }});
    v.push_back({"http.response.wasmbus", [](Bytes b) { fuzz_http_response(b, HttpFlavour::Wasmbus); }});
    v.push_back({"http.request", fuzz_http_request});
    v.push_back({"cgi", fuzz_cgi});
    v.push_back({"wagi.exchange", fuzz_wagi_exchange});
    v.push_back({"utf8", [](Bytes b) {
                   if (!b.empty()) fuzz_utf8(b);
                 }});
    add_provider_ops(v, "kv:", &Providers::kv_wascc,
                     {"Get", "Set", "Add", "Del", "Clear", "KeyExists", "Range", "Push", "ListItemDelete", "SetAdd",
                      "SetRemove", "SetQuery", "SetUnion", "SetIntersection", "Unknown"});
    add_provider_ops(v, "kv-widl:", &Providers::kv_widl, {"SetAdd", "SetRemove"});
    add_provider_ops(v, "kvw:", &Providers::kv_wascc,
                     {"KeyValue.Get", "KeyValue.Del", "KeyValue.ListClear", "KeyValue.SetClear", "KeyValue.Contains",
                      "KeyValue.SetQuery", "KeyValue.SetUnion", "KeyValue.SetIntersection", "KeyValue.Set",
                      "KeyValue.Increment", "KeyValue.ListAdd", "KeyValue.ListDel", "KeyValue.ListRange",
                      "KeyValue.SetAdd", "KeyValue.SetDel", "KeyValue.Unknown"});
    add_provider_ops(v, "log:", &Providers::logging, {"WriteLog", "Logging.WriteLog"});
    add_provider_ops(v, "extras:", &Providers::extras_wascc, {"RequestGuid", "RequestRandom", "RequestSequence"});
    add_provider_ops(v, "extras-widl:", &Providers::extras_widl, {"RequestGuid", "RequestRandom", "RequestSequence"});
    add_provider_ops(v, "numbergen:", &Providers::numbergen,
                     {"NumberGen.GenerateGuid", "NumberGen.Random32", "NumberGen.RandomInRange"});
    add_provider_ops(v, "http:", &Providers::httpclient, {"PerformRequest", "HttpClient.Request"}, /*must_fail=*/true);
    return v;
  }();
  return ops;
}

}  // namespace

int fuzz_guest_payloads(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const auto& ops = operations();
  ops[data[0] % ops.size()].run(Bytes(data + 1, size - 1));
  return 0;
}

uint8_t guest_payloads_selector(std::string_view name) {
  const auto& ops = operations();
  for (size_t i = 0; i < ops.size(); ++i)
    if (ops[i].name == name) return static_cast<uint8_t>(i);
  throw std::out_of_range("fuzz_guest_payloads: no operation " + std::string(name));
}

std::vector<std::string> guest_payloads_operations() {
  std::vector<std::string> names;
  for (const auto& op : operations()) names.push_back(op.name);
  return names;
}

}  // namespace isola::fuzz
