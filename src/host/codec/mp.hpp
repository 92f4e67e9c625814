// MessagePack as waSCC and wasmCloud actors speak it (ACTOR-ABI.md §2.1): a Writer that
// gives the caller exact control of every marker, and a bounded decoder for untrusted guest
// bytes. Both are a thin layer over msgpack-cxx; no msgpack-cxx type leaks out of here.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "isola/engine.hpp"

namespace isola::host::mp {

// Builds one msgpack byte string. Integers are written by the field's declared signedness,
// not by the value, because the AssemblyScript decoder rejects a signed field written with
// an unsigned marker (`AddResponse{value:200}` must be `d1 00 c8`, not `cc c8`).
class Writer {
 public:
  Writer& map(uint32_t n);    // header of a map with n key/value pairs
  Writer& array(uint32_t n);  // header of an array with n elements
  Writer& str(std::string_view s);
  Writer& bin(std::span<const uint8_t> b);
  Writer& bin(std::string_view b);
  Writer& nil();
  Writer& boolean(bool b);
  // Signed-typed field: positive fixint, negative fixint or the int8..int64 markers only.
  Writer& sint(int64_t v);
  // Unsigned-typed field: positive fixint or the uint8..uint64 markers only.
  Writer& uint(uint64_t v);
  // Bytes that are already msgpack, appended as they are.
  Writer& raw(std::span<const uint8_t> encoded);

  const std::vector<uint8_t>& bytes() const { return buf_; }
  std::vector<uint8_t> take() { return std::move(buf_); }

 private:
  std::vector<uint8_t> buf_;
};

// Bounds on what decode() accepts, so that hostile bytes cannot exhaust the stack or memory.
struct DecodeLimits {
  uint32_t max_depth = 64;         // nested arrays/maps
  size_t max_values = 1u << 20;    // all values, keys included
};

// A decoded value. It owns its data (strings and byte strings are copied out of the input).
class Value {
 public:
  enum class Kind : uint8_t { Nil, Bool, UInt, NegInt, Float, Str, Bin, Ext, Array, Map };

  Kind kind() const { return kind_; }
  bool is_nil() const { return kind_ == Kind::Nil; }
  bool is_bool() const { return kind_ == Kind::Bool; }
  bool is_int() const { return kind_ == Kind::UInt || kind_ == Kind::NegInt; }
  bool is_float() const { return kind_ == Kind::Float; }
  bool is_str() const { return kind_ == Kind::Str; }
  bool is_bin() const { return kind_ == Kind::Bin; }
  bool is_ext() const { return kind_ == Kind::Ext; }
  bool is_array() const { return kind_ == Kind::Array; }
  bool is_map() const { return kind_ == Kind::Map; }

  std::optional<std::string_view> as_str() const;
  // A bin, or a str: the Rust decoder accepts either for a byte field.
  std::optional<std::span<const uint8_t>> as_bin() const;
  std::optional<bool> as_bool() const;
  // Integers of any marker, if the value fits the asked-for type.
  std::optional<int64_t> as_i64() const;
  std::optional<uint64_t> as_u64() const;
  std::optional<int32_t> as_i32() const;
  std::optional<uint32_t> as_u32() const;
  std::optional<double> as_f64() const;  // float32/float64 only

  // Elements of an array, key/value pairs of a map, 0 for anything else.
  size_t size() const;
  const Value* at(size_t i) const;        // array element i, or nullptr
  const Value* key_at(size_t i) const;    // map key i, or nullptr
  const Value* value_at(size_t i) const;  // map value i, or nullptr
  // The value for a string key in a map (the first one, if repeated), or nullptr.
  const Value* find(std::string_view key) const;
  // A struct field: a map lookup by key or, since Rust's decoder also accepts a struct as an
  // array in field order, element `index_if_array` of an array. nullptr if absent.
  const Value* field(std::string_view key, size_t index_if_array) const;

  // A short name of the kind for error messages: "map", "str", "positive integer", ...
  std::string_view kind_name() const;

 private:
  friend class Builder;
  Kind kind_ = Kind::Nil;
  bool b_ = false;
  uint64_t u_ = 0;   // UInt
  int64_t i_ = 0;    // NegInt
  double f_ = 0;     // Float
  int8_t ext_type_ = 0;
  std::string bytes_;         // Str, Bin, Ext
  std::vector<Value> items_;  // Array: elements; Map: key0, value0, key1, value1, ...
};

// Decodes the FIRST value in `bytes`; trailing bytes are ignored (the AssemblyScript encoder
// adds one). Errors say what is wrong and at which byte.
isola::Expected<Value> decode(std::span<const uint8_t> bytes, const DecodeLimits& limits = {});

}  // namespace isola::host::mp
