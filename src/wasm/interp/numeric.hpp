// Numeric semantics of WebAssembly 2.0 (spec chapter 4.3, "Numerics") for the scalar
// instructions whose meaning is not a single C++ operator: min/max, rounding, sign
// manipulation, trapping and saturating float->int truncation, int->float conversion,
// demotion/promotion, and the bit-counting/rotating integer operators.
//
// Everything here is called once per executed instruction, so every function is inline,
// small and (where the standard library allows) constexpr. Results are bit-exact with the
// spec; where the spec is nondeterministic (the payload and sign of a NaN produced by an
// arithmetic operator) we return a value from the allowed set:
//   * a canonical NaN in (or no NaN in) gives a canonical NaN out,
//   * any other NaN in gives an arithmetic NaN (quiet bit set) out.
// Preconditions: the default floating-point environment (round to nearest even), no
// -ffast-math. -ffp-contract does not matter: nothing here multiplies and adds.
#pragma once

#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <type_traits>

namespace isola::wasm::num {

static_assert(std::numeric_limits<float>::is_iec559 && std::numeric_limits<double>::is_iec559,
              "WebAssembly needs IEEE 754 binary32/binary64");

namespace detail {

template <class F> struct FloatBits;
template <> struct FloatBits<float> {
  using U = uint32_t;
  static constexpr U kSign = 0x8000'0000u;
  static constexpr U kQuiet = 0x0040'0000u;  // top bit of the significand
};
template <> struct FloatBits<double> {
  using U = uint64_t;
  static constexpr U kSign = 0x8000'0000'0000'0000u;
  static constexpr U kQuiet = 0x0008'0000'0000'0000u;
};

template <class F> constexpr typename FloatBits<F>::U bits(F x) {
  return std::bit_cast<typename FloatBits<F>::U>(x);
}
template <class F> constexpr F from_bits(typename FloatBits<F>::U b) { return std::bit_cast<F>(b); }
template <class F> constexpr bool is_nan(F x) { return x != x; }

// Sets the quiet bit: a canonical NaN stays canonical, any other NaN becomes arithmetic.
template <class F> constexpr F quiet(F x) { return from_bits<F>(bits(x) | FloatBits<F>::kQuiet); }

// nans{a, b} of the spec for min/max: the first NaN operand, quieted. Deterministic on
// every host, unlike the hardware's choice between two NaN operands.
template <class F> constexpr F propagate_nan(F a, F b) { return quiet(is_nan(a) ? a : b); }

// One comparison's flags decide all four cases (less, greater, equal, unordered).
template <class F> constexpr F fmin(F a, F b) {
  if (a < b) return a;
  if (b < a) return b;
  // Equal operands differ at most in the sign of zero: OR picks -0 for min(-0, +0).
  if (a == b) return from_bits<F>(bits(a) | bits(b));
  return propagate_nan(a, b);
}

template <class F> constexpr F fmax(F a, F b) {
  if (a > b) return a;
  if (b > a) return b;
  // AND picks +0 for max(-0, +0).
  if (a == b) return from_bits<F>(bits(a) & bits(b));
  return propagate_nan(a, b);
}

template <class F> constexpr F copysign(F a, F b) {
  constexpr auto s = FloatBits<F>::kSign;
  return from_bits<F>((bits(a) & ~s) | (bits(b) & s));
}
template <class F> constexpr F abs(F a) { return from_bits<F>(bits(a) & ~FloatBits<F>::kSign); }
template <class F> constexpr F neg(F a) { return from_bits<F>(bits(a) ^ FloatBits<F>::kSign); }

// Exclusive bounds of the range of F values that truncate to a representable I.
// The upper bound is 2^(N-1) (signed) or 2^N (unsigned), a power of two, so exact in F.
// The real lower bound is -2^(N-1) - 1 (signed) or -1 (unsigned); when -2^(N-1) - 1 is
// not an F (f32 with any signed type, f64 with i64) we use the next F below -2^(N-1),
// which selects the same set of F values. Example: i32 from f32 is valid iff
// -2147483904.0f < x < 2147483648.0f.
template <class F> constexpr F pow2(int n) {
  F r = 1;
  for (int i = 0; i < n; ++i) r *= 2;
  return r;
}

template <class I, class F> struct TruncBounds {
  static_assert(std::is_same_v<F, float> || std::is_same_v<F, double>);
  static_assert(std::is_same_v<I, int32_t> || std::is_same_v<I, uint32_t> ||
                std::is_same_v<I, int64_t> || std::is_same_v<I, uint64_t>);
  static constexpr int kBits = std::numeric_limits<I>::digits;  // 31/63 signed, 32/64 unsigned
  static constexpr F kHi = pow2<F>(kBits);
  static constexpr F kMin = std::is_signed_v<I> ? -pow2<F>(kBits) : F(0);  // smallest valid result
  static constexpr F kLo =
      !std::is_signed_v<I> ? F(-1)
      : (std::numeric_limits<F>::digits > kBits) ? kMin - 1  // -2^(N-1) - 1 exact in F
                                                  : kMin - pow2<F>(kBits + 1 - std::numeric_limits<F>::digits);
};

}  // namespace detail

// ---------------------------------------------------------------------------------------
// Floats

constexpr float f32_min(float a, float b) { return detail::fmin(a, b); }
constexpr float f32_max(float a, float b) { return detail::fmax(a, b); }
constexpr double f64_min(double a, double b) { return detail::fmin(a, b); }
constexpr double f64_max(double a, double b) { return detail::fmax(a, b); }

// Rounding: the libm operations are exactly the IEEE operations the spec names and keep
// the sign of zero (nearbyint rounds half to even in the default mode). They do not all
// quiet a signalling NaN (glibc's floor/ceil/trunc return it unchanged, and compilers fold
// them the same way), so a NaN is quieted here, keeping its payload: canonical stays
// canonical, anything else becomes arithmetic.
inline float f32_nearest(float x) { return detail::is_nan(x) ? detail::quiet(x) : std::nearbyint(x); }
inline double f64_nearest(double x) { return detail::is_nan(x) ? detail::quiet(x) : std::nearbyint(x); }
inline float f32_ceil(float x) { return detail::is_nan(x) ? detail::quiet(x) : std::ceil(x); }
inline float f32_floor(float x) { return detail::is_nan(x) ? detail::quiet(x) : std::floor(x); }
inline float f32_trunc(float x) { return detail::is_nan(x) ? detail::quiet(x) : std::trunc(x); }
inline double f64_ceil(double x) { return detail::is_nan(x) ? detail::quiet(x) : std::ceil(x); }
inline double f64_floor(double x) { return detail::is_nan(x) ? detail::quiet(x) : std::floor(x); }
inline double f64_trunc(double x) { return detail::is_nan(x) ? detail::quiet(x) : std::trunc(x); }
// sqrt is a single IEEE operation in hardware (sqrtss/sqrtsd, fsqrt): it quiets a NaN
// operand and returns the default (canonical) NaN for negative operands.
inline float f32_sqrt(float x) { return std::sqrt(x); }
inline double f64_sqrt(double x) { return std::sqrt(x); }

// Sign operations act on the sign bit only; NaN payloads pass through untouched.
constexpr float f32_copysign(float a, float b) { return detail::copysign(a, b); }
constexpr float f32_abs(float x) { return detail::abs(x); }
constexpr float f32_neg(float x) { return detail::neg(x); }
constexpr double f64_copysign(double a, double b) { return detail::copysign(a, b); }
constexpr double f64_abs(double x) { return detail::abs(x); }
constexpr double f64_neg(double x) { return detail::neg(x); }

// ---------------------------------------------------------------------------------------
// Float -> int truncation

enum class Trunc : uint8_t {
  Ok,
  Overflow,  // trap "integer overflow": finite or infinite and out of range
  NaN,       // trap "invalid conversion to integer"
};

// The spec's trap message for a failed truncation ("" for Ok).
constexpr const char* to_string(Trunc t) {
  switch (t) {
    case Trunc::Ok: return "";
    case Trunc::Overflow: return "integer overflow";
    case Trunc::NaN: return "invalid conversion to integer";
  }
  return "";
}

// i32/i64.trunc_f32/f64_s/u. On success sets `out` and returns Ok; `out` is untouched
// otherwise. One compare pair on the fast path (NaN fails both).
template <class I, class F>
constexpr Trunc trunc_checked(F x, I& out) {
  using B = detail::TruncBounds<I, F>;
  if (!(x > B::kLo && x < B::kHi)) [[unlikely]]
    return detail::is_nan(x) ? Trunc::NaN : Trunc::Overflow;
  out = static_cast<I>(x);  // in range after truncation toward zero: defined behaviour
  return Trunc::Ok;
}

// i32/i64.trunc_sat_f32/f64_s/u (0xFC 0..7): NaN -> 0, clamps out-of-range values.
template <class I, class F>
constexpr I trunc_sat(F x) {
  using B = detail::TruncBounds<I, F>;
  if (x > B::kLo && x < B::kHi) [[likely]] return static_cast<I>(x);
  if (detail::is_nan(x)) return 0;
  return x < 0 ? std::numeric_limits<I>::min() : std::numeric_limits<I>::max();
}

// ---------------------------------------------------------------------------------------
// Int -> float conversion and float <-> float

// C++ conversions from integers round once, to nearest even, under IEEE 754 (Annex F), and
// GCC and Clang implement u64 -> f32 without passing through f64 (no double rounding);
// the tests pin the spec's double-rounding cases.
constexpr float f32_convert_i32_s(int32_t x) { return static_cast<float>(x); }
constexpr float f32_convert_i32_u(uint32_t x) { return static_cast<float>(x); }
constexpr float f32_convert_i64_s(int64_t x) { return static_cast<float>(x); }
constexpr float f32_convert_i64_u(uint64_t x) { return static_cast<float>(x); }
constexpr double f64_convert_i32_s(int32_t x) { return static_cast<double>(x); }
constexpr double f64_convert_i32_u(uint32_t x) { return static_cast<double>(x); }
constexpr double f64_convert_i64_s(int64_t x) { return static_cast<double>(x); }
constexpr double f64_convert_i64_u(uint64_t x) { return static_cast<double>(x); }

// Correctly rounded (out-of-range values become infinities); a NaN is quieted and keeps the
// high bits of its payload, so canonical stays canonical and anything else is arithmetic.
inline float f32_demote(double x) { return static_cast<float>(x); }
inline double f64_promote(float x) { return static_cast<double>(x); }

// ---------------------------------------------------------------------------------------
// Integers. Rotate counts are taken modulo the width, as the spec says.

constexpr uint32_t i32_rotl(uint32_t x, uint32_t n) { return std::rotl(x, static_cast<int>(n & 31)); }
constexpr uint32_t i32_rotr(uint32_t x, uint32_t n) { return std::rotr(x, static_cast<int>(n & 31)); }
constexpr uint64_t i64_rotl(uint64_t x, uint64_t n) { return std::rotl(x, static_cast<int>(n & 63)); }
constexpr uint64_t i64_rotr(uint64_t x, uint64_t n) { return std::rotr(x, static_cast<int>(n & 63)); }

// Unsigned 32-bit division and remainder by a constant d >= 2 with one or two 64x64->128
// multiplications instead of a divide, exact for every 32-bit x and d: with
// m = floor((2^64 - 1) / d) + 1, x / d = (m * x) >> 64 and x % d = ((m * x mod 2^64) * d) >> 64
// (Lemire, Kaser and Kurz, "Faster remainder by direct computation", 2019).
__extension__ typedef unsigned __int128 u128;
constexpr uint64_t u32_div_magic(uint32_t d) { return UINT64_MAX / d + 1; }
constexpr uint32_t u32_div_by(uint32_t x, uint64_t m) { return static_cast<uint32_t>((static_cast<u128>(m) * x) >> 64); }
constexpr uint32_t u32_rem_by(uint32_t x, uint64_t m, uint32_t d) {
  return static_cast<uint32_t>((static_cast<u128>(m * x) * d) >> 64);
}

constexpr uint32_t i32_clz(uint32_t x) { return static_cast<uint32_t>(std::countl_zero(x)); }
constexpr uint32_t i32_ctz(uint32_t x) { return static_cast<uint32_t>(std::countr_zero(x)); }
constexpr uint32_t i32_popcnt(uint32_t x) { return static_cast<uint32_t>(std::popcount(x)); }
constexpr uint64_t i64_clz(uint64_t x) { return static_cast<uint64_t>(std::countl_zero(x)); }
constexpr uint64_t i64_ctz(uint64_t x) { return static_cast<uint64_t>(std::countr_zero(x)); }
constexpr uint64_t i64_popcnt(uint64_t x) { return static_cast<uint64_t>(std::popcount(x)); }

}  // namespace isola::wasm::num
