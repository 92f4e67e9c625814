#include "host/providers/payload.hpp"

namespace isola::host::providers {

StructReader::StructReader(const mp::Value& v, std::string_view what) : v_(v), what_(what) {
  if (!v.is_map() && !v.is_array())
    fail("expected " + what_ + " as a map or an array, got " + std::string(v.kind_name()));
}

void StructReader::fail(std::string message) {
  if (error_.empty()) error_ = "Failed to de-serialize: " + std::move(message);
}

const mp::Value* StructReader::need(std::string_view key, size_t index) {
  if (!ok()) return nullptr;
  const mp::Value* f = v_.field(key, index);
  if (!f) fail("missing field `" + std::string(key) + "` in " + what_);
  return f;
}

namespace {
std::string wrong(std::string_view what, std::string_view key, std::string_view expected, const mp::Value& got) {
  return "field `" + std::string(key) + "` of " + std::string(what) + ": expected " + std::string(expected) +
         ", got " + std::string(got.kind_name());
}
}  // namespace

std::string StructReader::str(std::string_view key, size_t index) {
  const mp::Value* f = need(key, index);
  if (!f) return {};
  if (auto s = f->as_str()) return std::string(*s);
  fail(wrong(what_, key, "a string", *f));
  return {};
}

std::vector<uint8_t> StructReader::bin(std::string_view key, size_t index) {
  const mp::Value* f = need(key, index);
  if (!f) return {};
  if (auto b = f->as_bin()) return {b->begin(), b->end()};
  if (f->is_array()) {  // serde without serde_bytes writes Vec<u8> as an array of integers
    std::vector<uint8_t> out;
    for (size_t i = 0; i < f->size(); ++i) {
      auto x = f->at(i)->as_u64();
      if (!x || *x > 255) {
        fail(wrong(what_, key, "bytes", *f->at(i)));
        return {};
      }
      out.push_back(static_cast<uint8_t>(*x));
    }
    return out;
  }
  fail(wrong(what_, key, "bytes", *f));
  return {};
}

int32_t StructReader::i32(std::string_view key, size_t index) {
  const mp::Value* f = need(key, index);
  if (!f) return 0;
  if (auto x = f->as_i32()) return *x;
  fail(wrong(what_, key, "a 32-bit signed integer", *f));
  return 0;
}

uint32_t StructReader::u32(std::string_view key, size_t index) {
  const mp::Value* f = need(key, index);
  if (!f) return 0;
  if (auto x = f->as_u32()) return *x;
  fail(wrong(what_, key, "a 32-bit unsigned integer", *f));
  return 0;
}

int64_t StructReader::i64(std::string_view key, size_t index) {
  const mp::Value* f = need(key, index);
  if (!f) return 0;
  if (auto x = f->as_i64()) return *x;
  fail(wrong(what_, key, "a 64-bit signed integer", *f));
  return 0;
}

bool StructReader::boolean(std::string_view key, size_t index) {
  const mp::Value* f = need(key, index);
  if (!f) return false;
  if (auto x = f->as_bool()) return *x;
  fail(wrong(what_, key, "a bool", *f));
  return false;
}

std::vector<std::string> StructReader::str_list(std::string_view key, size_t index) {
  const mp::Value* f = need(key, index);
  if (!f) return {};
  std::vector<std::string> out;
  std::string err;
  if (!read_str_list(*f, "field `" + std::string(key) + "` of " + what_, out, err)) fail(err);
  return out;
}

bool decode_payload(std::span<const uint8_t> payload, std::string_view op, mp::Value& out, std::string& error) {
  auto v = mp::decode(payload);
  if (!v.ok()) {
    error = "Failed to de-serialize " + std::string(op) + " payload: " + v.error().message;
    return false;
  }
  out = std::move(*v);
  return true;
}

bool decode_struct(std::span<const uint8_t> payload, std::string_view op, mp::Value& out, std::string& error) {
  if (!decode_payload(payload, op, out, error)) return false;
  if (!out.is_map() && !out.is_array()) {
    error = "Failed to de-serialize " + std::string(op) + " payload: expected a map, got " +
            std::string(out.kind_name());
    return false;
  }
  return true;
}

bool read_str(const mp::Value& v, std::string_view what, std::string& out, std::string& error) {
  if (auto s = v.as_str()) {
    out = std::string(*s);
    return true;
  }
  error = "Failed to de-serialize: expected a string for " + std::string(what) + ", got " + std::string(v.kind_name());
  return false;
}

bool read_str_list(const mp::Value& v, std::string_view what, std::vector<std::string>& out, std::string& error) {
  if (!v.is_array()) {
    error = "Failed to de-serialize: expected a list of strings for " + std::string(what) + ", got " +
            std::string(v.kind_name());
    return false;
  }
  out.clear();
  out.reserve(v.size());
  for (size_t i = 0; i < v.size(); ++i) {
    auto s = v.at(i)->as_str();
    if (!s) {
      error = "Failed to de-serialize: element " + std::to_string(i) + " of " + std::string(what) +
              " is a " + std::string(v.at(i)->kind_name()) + ", not a string";
      return false;
    }
    out.emplace_back(*s);
  }
  return true;
}

}  // namespace isola::host::providers
