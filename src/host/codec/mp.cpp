#include "host/codec/mp.hpp"

#include <limits>
#include <stdexcept>

#include <msgpack.hpp>

namespace isola::host::mp {

// ---------------------------------------------------------------------------------------
// Writer

namespace {

// msgpack-cxx's packer writes into any stream with write(const char*, size_t).
struct VectorStream {
  std::vector<uint8_t>& out;
  void write(const char* p, size_t n) { out.insert(out.end(), p, p + n); }
};

uint32_t checked_len(size_t n) {
  // msgpack cannot express longer strings; payloads that big never reach a guest anyway.
  if (n > std::numeric_limits<uint32_t>::max()) throw std::length_error("msgpack: string or bin longer than 4 GiB");
  return static_cast<uint32_t>(n);
}

}  // namespace

Writer& Writer::map(uint32_t n) {
  VectorStream s{buf_};
  msgpack::packer<VectorStream>(s).pack_map(n);
  return *this;
}

Writer& Writer::array(uint32_t n) {
  VectorStream s{buf_};
  msgpack::packer<VectorStream>(s).pack_array(n);
  return *this;
}

Writer& Writer::str(std::string_view v) {
  VectorStream s{buf_};
  uint32_t n = checked_len(v.size());
  msgpack::packer<VectorStream>(s).pack_str(n).pack_str_body(v.data(), n);
  return *this;
}

Writer& Writer::bin(std::span<const uint8_t> b) {
  VectorStream s{buf_};
  uint32_t n = checked_len(b.size());
  msgpack::packer<VectorStream>(s).pack_bin(n).pack_bin_body(reinterpret_cast<const char*>(b.data()), n);
  return *this;
}

Writer& Writer::bin(std::string_view b) {
  return bin(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(b.data()), b.size()));
}

Writer& Writer::nil() {
  buf_.push_back(0xc0);
  return *this;
}

Writer& Writer::boolean(bool b) {
  buf_.push_back(b ? 0xc3 : 0xc2);
  return *this;
}

Writer& Writer::sint(int64_t v) {
  VectorStream s{buf_};
  msgpack::packer<VectorStream> p(s);
  // pack_int64 would pick 0xcc..0xcf for positive values; the pack_fix_* calls write the
  // signed marker they name, so choose the smallest one by hand.
  if (v >= -32 && v <= 127)
    buf_.push_back(static_cast<uint8_t>(static_cast<int8_t>(v)));  // positive or negative fixint
  else if (v >= INT8_MIN && v <= INT8_MAX)
    p.pack_fix_int8(static_cast<int8_t>(v));
  else if (v >= INT16_MIN && v <= INT16_MAX)
    p.pack_fix_int16(static_cast<int16_t>(v));
  else if (v >= INT32_MIN && v <= INT32_MAX)
    p.pack_fix_int32(static_cast<int32_t>(v));
  else
    p.pack_fix_int64(v);
  return *this;
}

Writer& Writer::uint(uint64_t v) {
  VectorStream s{buf_};
  msgpack::packer<VectorStream>(s).pack_uint64(v);  // fixint or the smallest uint marker
  return *this;
}

Writer& Writer::raw(std::span<const uint8_t> encoded) {
  buf_.insert(buf_.end(), encoded.begin(), encoded.end());
  return *this;
}

// ---------------------------------------------------------------------------------------
// Value

std::optional<std::string_view> Value::as_str() const {
  if (kind_ != Kind::Str) return std::nullopt;
  return std::string_view(bytes_);
}

std::optional<std::span<const uint8_t>> Value::as_bin() const {
  if (kind_ != Kind::Bin && kind_ != Kind::Str) return std::nullopt;
  return std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(bytes_.data()), bytes_.size());
}

std::optional<bool> Value::as_bool() const {
  if (kind_ != Kind::Bool) return std::nullopt;
  return b_;
}

std::optional<int64_t> Value::as_i64() const {
  if (kind_ == Kind::NegInt) return i_;
  if (kind_ == Kind::UInt && u_ <= static_cast<uint64_t>(INT64_MAX)) return static_cast<int64_t>(u_);
  return std::nullopt;
}

std::optional<uint64_t> Value::as_u64() const {
  if (kind_ == Kind::UInt) return u_;
  return std::nullopt;
}

std::optional<int32_t> Value::as_i32() const {
  auto v = as_i64();
  if (!v || *v < INT32_MIN || *v > INT32_MAX) return std::nullopt;
  return static_cast<int32_t>(*v);
}

std::optional<uint32_t> Value::as_u32() const {
  auto v = as_u64();
  if (!v || *v > UINT32_MAX) return std::nullopt;
  return static_cast<uint32_t>(*v);
}

std::optional<double> Value::as_f64() const {
  if (kind_ != Kind::Float) return std::nullopt;
  return f_;
}

size_t Value::size() const {
  if (kind_ == Kind::Array) return items_.size();
  if (kind_ == Kind::Map) return items_.size() / 2;
  return 0;
}

const Value* Value::at(size_t i) const {
  if (kind_ != Kind::Array || i >= items_.size()) return nullptr;
  return &items_[i];
}

const Value* Value::key_at(size_t i) const {
  if (kind_ != Kind::Map || i >= items_.size() / 2) return nullptr;
  return &items_[2 * i];
}

const Value* Value::value_at(size_t i) const {
  if (kind_ != Kind::Map || i >= items_.size() / 2) return nullptr;
  return &items_[2 * i + 1];
}

const Value* Value::find(std::string_view key) const {
  if (kind_ != Kind::Map) return nullptr;
  for (size_t i = 0; i + 1 < items_.size(); i += 2)
    if (items_[i].kind_ == Kind::Str && items_[i].bytes_ == key) return &items_[i + 1];
  return nullptr;
}

const Value* Value::field(std::string_view key, size_t index_if_array) const {
  if (kind_ == Kind::Map) return find(key);
  if (kind_ == Kind::Array) return at(index_if_array);
  return nullptr;
}

std::string_view Value::kind_name() const {
  switch (kind_) {
    case Kind::Nil: return "nil";
    case Kind::Bool: return "bool";
    case Kind::UInt: return "positive integer";
    case Kind::NegInt: return "negative integer";
    case Kind::Float: return "float";
    case Kind::Str: return "str";
    case Kind::Bin: return "bin";
    case Kind::Ext: return "ext";
    case Kind::Array: return "array";
    case Kind::Map: return "map";
  }
  return "?";
}

// ---------------------------------------------------------------------------------------
// Decoding: msgpack-cxx's parser drives a visitor that builds the Value tree.

class Builder {
 public:
  Builder(const char* base, size_t len, const DecodeLimits& limits) : base_(base), len_(len), limits_(limits) {}

  bool visit_nil() { return leaf(Value::Kind::Nil) != nullptr; }
  bool visit_boolean(bool v) {
    Value* x = leaf(Value::Kind::Bool);
    if (x) x->b_ = v;
    return x != nullptr;
  }
  bool visit_positive_integer(uint64_t v) {
    Value* x = leaf(Value::Kind::UInt);
    if (x) x->u_ = v;
    return x != nullptr;
  }
  bool visit_negative_integer(int64_t v) {
    // msgpack-cxx reports int markers holding non-negative values here too: normalise, so
    // that UInt always means >= 0 and NegInt always < 0.
    Value* x = leaf(v < 0 ? Value::Kind::NegInt : Value::Kind::UInt);
    if (x && v < 0) x->i_ = v;
    if (x && v >= 0) x->u_ = static_cast<uint64_t>(v);
    return x != nullptr;
  }
  bool visit_float32(float v) { return visit_float64(v); }
  bool visit_float64(double v) {
    Value* x = leaf(Value::Kind::Float);
    if (x) x->f_ = v;
    return x != nullptr;
  }
  bool visit_str(const char* v, uint32_t size) { return bytes(Value::Kind::Str, v, size); }
  bool visit_bin(const char* v, uint32_t size) { return bytes(Value::Kind::Bin, v, size); }
  bool visit_ext(const char* v, uint32_t size) {
    // msgpack-cxx hands over the type byte followed by the data.
    if (!bytes(Value::Kind::Ext, size ? v + 1 : v, size ? size - 1 : 0)) return false;
    last_->ext_type_ = size ? static_cast<int8_t>(v[0]) : 0;
    return true;
  }
  bool start_array(uint32_t n) { return container(Value::Kind::Array, n, n); }
  bool start_array_item() { return true; }
  bool end_array_item() { return true; }
  bool end_array() { return close(); }
  bool start_map(uint32_t n) { return container(Value::Kind::Map, n, 2ull * n); }
  bool start_map_key() { return true; }
  bool end_map_key() { return true; }
  bool start_map_value() { return true; }
  bool end_map_value() { return true; }
  bool end_map() { return close(); }
  void parse_error(size_t /*parsed_offset*/, size_t error_offset) {
    uint8_t marker = error_offset < len_ ? static_cast<uint8_t>(base_[error_offset]) : 0;
    error_ = "msgpack: invalid marker 0x" + hex2(marker) + " at byte " + std::to_string(error_offset);
  }
  void insufficient_bytes(size_t /*parsed_offset*/, size_t /*error_offset*/) {
    error_ = "msgpack: unexpected end of input at byte " + std::to_string(len_) + " (the value is incomplete)";
  }
  bool referenced() const { return false; }
  void set_referenced(bool) {}

  Value& root() { return root_; }
  const std::string& error() const { return error_; }

 private:
  static std::string hex2(uint8_t b) {
    const char* d = "0123456789abcdef";
    return {d[b >> 4], d[b & 15]};
  }

  // Where the next value goes: the root, or the end of the innermost open container.
  Value* slot() {
    if (stack_.empty()) {
      if (root_set_) {  // cannot happen: parse() stops after one value
        error_ = "msgpack: more than one top-level value";
        return nullptr;
      }
      root_set_ = true;
      return &root_;
    }
    Value* parent = stack_.back();
    parent->items_.emplace_back();
    return &parent->items_.back();
  }

  Value* leaf(Value::Kind k) {
    Value* x = slot();
    if (x) x->kind_ = k;
    last_ = x;
    return x;
  }

  bool bytes(Value::Kind k, const char* v, uint32_t size) {
    Value* x = leaf(k);
    if (!x) return false;
    x->bytes_.assign(v, size);  // the parser has checked that these bytes exist
    return true;
  }

  bool container(Value::Kind k, uint32_t n, uint64_t children) {
    // Every value takes at least one input byte, so headers that announce more values than
    // there are bytes are lies; refusing them keeps reserve() bounded by the input size.
    // Summed over all containers, this bounds the whole tree by the input size.
    values_ += children;
    if (values_ > len_) {
      error_ = "msgpack: " + std::string(k == Value::Kind::Map ? "map" : "array") + " of " +
               std::to_string(n) + " entries does not fit in the " + std::to_string(len_) + "-byte input";
      return false;
    }
    if (values_ > limits_.max_values) {
      error_ = "msgpack: more than " + std::to_string(limits_.max_values) + " values";
      return false;
    }
    if (stack_.size() >= limits_.max_depth) {
      error_ = "msgpack: nested deeper than " + std::to_string(limits_.max_depth) + " levels";
      return false;
    }
    Value* x = leaf(k);
    if (!x) return false;
    x->items_.reserve(children);
    stack_.push_back(x);
    return true;
  }

  bool close() {
    if (!stack_.empty()) stack_.pop_back();
    return true;
  }

  const char* base_;
  size_t len_;
  DecodeLimits limits_;
  Value root_;
  bool root_set_ = false;
  Value* last_ = nullptr;
  std::vector<Value*> stack_;
  uint64_t values_ = 1;
  std::string error_;
};

isola::Expected<Value> decode(std::span<const uint8_t> bytes, const DecodeLimits& limits) {
  if (bytes.empty()) return isola::Error{"msgpack: empty input (expected a value at byte 0)"};
  const char* data = reinterpret_cast<const char*>(bytes.data());
  Builder b(data, bytes.size(), limits);
  size_t off = 0;
  bool ok = false;
  try {
    ok = msgpack::v2::parse(data, bytes.size(), off, b);
  } catch (const std::exception& e) {
    return isola::Error{std::string("msgpack: ") + e.what()};
  }
  if (!ok) {
    if (b.error().empty()) return isola::Error{"msgpack: malformed input"};
    return isola::Error{b.error()};
  }
  return std::move(b.root());
}

}  // namespace isola::host::mp
