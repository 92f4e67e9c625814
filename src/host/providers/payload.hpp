// Reading request structs out of msgpack the way the Rust decoders of waSCC and wasmCloud do:
// a struct is a map keyed by field name or an array in field order, unknown keys are
// ignored, any integer marker that fits is accepted, and a missing field is an error.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "host/codec/mp.hpp"

namespace isola::host::providers {

// Reads fields of one struct; the first problem is kept and every later read returns a
// default, so a handler reads all its fields and then checks ok() once.
class StructReader {
 public:
  // `what` names the struct in messages ("SetArgs").
  StructReader(const mp::Value& v, std::string_view what);

  std::string str(std::string_view key, size_t index);
  std::vector<uint8_t> bin(std::string_view key, size_t index);
  int32_t i32(std::string_view key, size_t index);
  uint32_t u32(std::string_view key, size_t index);
  int64_t i64(std::string_view key, size_t index);
  bool boolean(std::string_view key, size_t index);
  std::vector<std::string> str_list(std::string_view key, size_t index);
  // The field, or nullptr if absent (no error): for fields with a default.
  const mp::Value* optional(std::string_view key, size_t index) const { return v_.field(key, index); }

  bool ok() const { return error_.empty(); }
  const std::string& error() const { return error_; }
  void fail(std::string message);

 private:
  const mp::Value* need(std::string_view key, size_t index);
  const mp::Value& v_;
  std::string what_;
  std::string error_;
};

// The whole payload as one value, or an error message saying what `op` could not decode.
// A struct payload must be a map or an array.
bool decode_payload(std::span<const uint8_t> payload, std::string_view op, mp::Value& out, std::string& error);
bool decode_struct(std::span<const uint8_t> payload, std::string_view op, mp::Value& out, std::string& error);

// Converters for bare values (wasmbus payloads), with the same messages.
bool read_str(const mp::Value& v, std::string_view what, std::string& out, std::string& error);
bool read_str_list(const mp::Value& v, std::string_view what, std::vector<std::string>& out, std::string& error);

}  // namespace isola::host::providers
