#include "cli/cli_util.hpp"

#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <system_error>

namespace isola::cli {

std::string func_type_string(const FuncType& t) {
  auto list = [](const std::vector<ValType>& v) {
    std::string s = "(";
    for (size_t i = 0; i < v.size(); ++i) {
      if (i) s += ", ";
      s += to_string(v[i]);
    }
    return s + ")";
  };
  return list(t.params) + " -> " + list(t.results);
}

std::string limits_string(const Limits& l) {
  std::string s = "min " + std::to_string(l.min);
  if (l.max) s += ", max " + std::to_string(*l.max);
  return s;
}

namespace {

Error err(std::string_view text, ValType t, const char* why) {
  // Appends rather than operator+ chains: GCC 12 at -O3 reports a false -Wrestrict on
  // "'" + std::string(...) (GCC bug 105651).
  std::string msg = "'";
  msg.append(text).append("' is not a valid ").append(to_string(t)).append(": ").append(why);
  return Error{std::move(msg)};
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

Expected<Value> parse_int(ValType t, std::string_view text) {
  std::string_view s = text;
  bool neg = false;
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) {
    neg = s[0] == '-';
    s.remove_prefix(1);
  }
  int base = 10;
  if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
    base = 16;
    s.remove_prefix(2);
  }
  if (s.empty()) return err(text, t, "expected a decimal or 0x hex integer");
  uint64_t mag = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), mag, base);
  if (ec == std::errc::invalid_argument || p != s.data() + s.size())
    return err(text, t, "expected a decimal or 0x hex integer");
  const bool is32 = t == ValType::I32;
  const uint64_t umax = is32 ? 0xFFFF'FFFFull : UINT64_MAX;
  const uint64_t nmax = is32 ? 0x8000'0000ull : 0x8000'0000'0000'0000ull;
  if (ec == std::errc::result_out_of_range || (neg ? mag > nmax : mag > umax))
    return err(text, t, is32 ? "out of range (-2^31 .. 2^32-1)" : "out of range (-2^63 .. 2^64-1)");
  const uint64_t v = neg ? 0 - mag : mag;
  if (is32) return Value::i32(static_cast<int32_t>(static_cast<uint32_t>(v)));
  return Value::i64(static_cast<int64_t>(v));
}

// IEEE 754 bit layout of f32 (Bits = uint32_t) or f64 (Bits = uint64_t).
template <class Bits>
struct FloatLayout {
  static constexpr bool is32 = sizeof(Bits) == 4;
  static constexpr int width = is32 ? 32 : 64;
  static constexpr Bits sign_bit = Bits(1) << (width - 1);
  static constexpr Bits mant_mask = is32 ? Bits(0x7F'FFFF) : Bits(0xF'FFFF'FFFF'FFFFull);
  static constexpr Bits exp_mask = static_cast<Bits>(~sign_bit & ~mant_mask);
  static constexpr Bits quiet = (mant_mask >> 1) + 1;
};

// Parses f32 (Bits = uint32_t) or f64 (Bits = uint64_t) into raw bits.
template <class Bits>
Expected<Value> parse_float(ValType t, std::string_view text) {
  using L = FloatLayout<Bits>;
  constexpr bool is32 = L::is32;
  constexpr Bits sign_bit = L::sign_bit, mant_mask = L::mant_mask, exp_mask = L::exp_mask, quiet = L::quiet;
  auto make = [&](Bits b) { return is32 ? Value::f32_bits(static_cast<uint32_t>(b)) : Value::f64_bits(b); };

  std::string_view s = text;
  Bits sign = 0;
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) {
    if (s[0] == '-') sign = sign_bit;
    s.remove_prefix(1);
  }
  if (iequals(s, "inf") || iequals(s, "infinity")) return make(sign | exp_mask);
  if (iequals(s, "nan")) return make(sign | exp_mask | quiet);
  if (s.size() > 6 && iequals(s.substr(0, 6), "nan:0x")) {
    std::string_view hex = s.substr(6);
    uint64_t payload = 0;
    auto [p, ec] = std::from_chars(hex.data(), hex.data() + hex.size(), payload, 16);
    if (ec != std::errc() || p != hex.data() + hex.size() || payload == 0 || payload > mant_mask)
      return err(text, t, "bad NaN payload");
    return make(sign | exp_mask | static_cast<Bits>(payload));
  }
  // Only plain decimal or hex digits from here on: strtod would also take "nan(...)" or
  // leading blanks, which are not numbers we advertise.
  if (s.empty() || !((s[0] >= '0' && s[0] <= '9') || s[0] == '.'))
    return err(text, t, "expected a decimal or hex float, inf or nan");
  std::string buf(s);
  char* end = nullptr;
  errno = 0;
  Bits bits;
  if constexpr (is32) {
    float f = std::strtof(buf.c_str(), &end);
    if (errno == ERANGE && std::isinf(f)) return err(text, t, "out of range");
    std::memcpy(&bits, &f, sizeof bits);
  } else {
    double d = std::strtod(buf.c_str(), &end);
    if (errno == ERANGE && std::isinf(d)) return err(text, t, "out of range");
    std::memcpy(&bits, &d, sizeof bits);
  }
  if (end != buf.c_str() + buf.size()) return err(text, t, "expected a decimal or hex float, inf or nan");
  return make(bits | sign);
}

template <class Bits, class F>
std::string format_float(Bits bits) {
  using L = FloatLayout<Bits>;
  constexpr Bits sign_bit = L::sign_bit, mant_mask = L::mant_mask, exp_mask = L::exp_mask, quiet = L::quiet;
  const std::string sign = (bits & sign_bit) ? "-" : "";
  if ((bits & exp_mask) == exp_mask) {
    const Bits mant = bits & mant_mask;
    if (mant == 0) return sign + "inf";
    if (mant == quiet) return sign + "nan";
    char hex[32];
    std::snprintf(hex, sizeof hex, "%llx", static_cast<unsigned long long>(mant));
    return sign + "nan:0x" + hex;
  }
  F f;
  std::memcpy(&f, &bits, sizeof f);
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof buf, f);  // shortest text that round-trips
  return std::string(buf, r.ptr);
}

}  // namespace

Expected<Value> parse_value(ValType t, std::string_view text) {
  switch (t) {
    case ValType::I32:
    case ValType::I64:
      return parse_int(t, text);
    case ValType::F32:
      return parse_float<uint32_t>(t, text);
    case ValType::F64:
      return parse_float<uint64_t>(t, text);
    case ValType::FuncRef:
    case ValType::ExternRef:
      if (text == "null") return Value::null(t);
      return err(text, t, "only null references can be given on the command line");
    case ValType::V128:
      break;
  }
  return err(text, t, "v128 arguments are not supported yet");
}

std::string format_f32_bits(uint32_t bits) { return format_float<uint32_t, float>(bits); }
std::string format_f64_bits(uint64_t bits) { return format_float<uint64_t, double>(bits); }

std::string format_value(const Value& v) {
  switch (v.type()) {
    case ValType::I32: return std::to_string(v.i32());
    case ValType::I64: return std::to_string(v.i64());
    case ValType::F32: return format_f32_bits(static_cast<uint32_t>(v.bits()));
    case ValType::F64: return format_f64_bits(v.bits());
    case ValType::FuncRef: return v.is_null() ? "null" : "funcref";
    case ValType::ExternRef: {
      if (v.is_null()) return "null";
      char buf[40];
      std::snprintf(buf, sizeof buf, "externref:0x%llx", static_cast<unsigned long long>(v.bits()));
      return buf;
    }
    case ValType::V128: break;
  }
  return "v128";
}

std::string with_path(const std::string& path, const std::string& message) {
  if (message.compare(0, path.size(), path) == 0) return message;
  return path + ": " + message;
}

}  // namespace isola::cli

namespace isola::cli {
namespace {

// A decimal number with an optional fraction, then the rest of the text as its unit.
bool split_number(std::string_view text, double& number, std::string_view& unit) {
  size_t i = 0;
  while (i < text.size() && ((text[i] >= '0' && text[i] <= '9') || text[i] == '.')) ++i;
  if (i == 0) return false;
  std::string digits(text.substr(0, i));
  if (digits.find('.') != digits.rfind('.') || digits == ".") return false;
  char* end = nullptr;
  number = std::strtod(digits.c_str(), &end);
  if (!end || *end != '\0') return false;
  unit = text.substr(i);
  return true;
}

// "'TEXT'" followed by `what`. (Built by appending: GCC 12 at -O3 warns falsely about
// chains of std::string operator+, bug 105651.)
Error quoted(std::string_view text, std::string_view what) {
  std::string m = "'";
  m.append(text);
  m += "'";
  m.append(what);
  return Error{std::move(m)};
}

Error bad_unit(std::string_view text, std::string_view unit, std::string_view choices) {
  std::string what = ": unknown unit '";
  what.append(unit);
  what += "' (use ";
  what.append(choices);
  what += ")";
  return quoted(text, what);
}

}  // namespace

Expected<std::chrono::nanoseconds> parse_duration(std::string_view text) {
  double n;
  std::string_view unit;
  if (!split_number(text, n, unit))
    return quoted(text, " is not a duration (examples: 500ms, 2s, 1.5m)");
  double scale;
  if (unit == "ns") scale = 1;
  else if (unit == "us") scale = 1e3;
  else if (unit == "ms") scale = 1e6;
  else if (unit == "s" || unit.empty()) scale = 1e9;
  else if (unit == "m") scale = 60e9;
  else if (unit == "h") scale = 3600e9;
  else return bad_unit(text, unit, "ns, us, ms, s, m or h");
  double ns = n * scale;
  if (!(ns >= 1) || ns > 1e18) return quoted(text, " is out of range");
  return std::chrono::nanoseconds(static_cast<int64_t>(ns));
}

Expected<uint64_t> parse_size(std::string_view text) {
  double n;
  std::string_view unit;
  if (!split_number(text, n, unit))
    return quoted(text, " is not a size (examples: 65536, 64KiB, 256MiB, 4GiB)");
  double scale;
  if (unit.empty() || unit == "B") scale = 1;
  else if (unit == "K" || unit == "KiB" || unit == "k") scale = 1024.0;
  else if (unit == "M" || unit == "MiB") scale = 1024.0 * 1024;
  else if (unit == "G" || unit == "GiB") scale = 1024.0 * 1024 * 1024;
  else if (unit == "KB" || unit == "kB") scale = 1e3;
  else if (unit == "MB") scale = 1e6;
  else if (unit == "GB") scale = 1e9;
  else return bad_unit(text, unit, "B, KiB, MiB, GiB, KB, MB or GB");
  double bytes = n * scale;
  if (bytes > 1e15) return quoted(text, " is out of range");
  return static_cast<uint64_t>(bytes);
}

}  // namespace isola::cli
