// Tests of the interpreter's numeric helpers (src/wasm/interp/numeric.hpp) against the
// WebAssembly 2.0 numerics chapter. Every check compares bit patterns, never values, so
// -0.0 vs +0.0 and NaN payloads are checked too. Three layers:
//   1. hand-picked edge cases (most taken from conversions.wast, f32/f64.wast,
//      f32/f64_bitwise.wast, float_misc.wast and float_exprs.wast);
//   2. randomized comparisons against independent integer-only reference models
//      (int -> float rounding, float -> int range checks);
//   3. every assertion in the spec suite's JSON that targets one of these helpers, read at
//      run time from ../shared/spec/wasm-2.0/json (or $ISOLA_SPEC_JSON_DIR); skipped if absent.
#include "wasm/interp/numeric.hpp"

#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

namespace num = isola::wasm::num;

namespace {

// ---------------------------------------------------------------------------------------
// Bit helpers

constexpr float F(uint32_t b) { return std::bit_cast<float>(b); }
constexpr double D(uint64_t b) { return std::bit_cast<double>(b); }
constexpr uint32_t B(float f) { return std::bit_cast<uint32_t>(f); }
constexpr uint64_t B(double d) { return std::bit_cast<uint64_t>(d); }

constexpr bool canonical32(uint32_t b) { return (b & 0x7fffffffu) == 0x7fc00000u; }
constexpr bool arithmetic32(uint32_t b) { return (b & 0x7fc00000u) == 0x7fc00000u; }
constexpr bool canonical64(uint64_t b) { return (b & 0x7fffffffffffffffu) == 0x7ff8000000000000u; }
constexpr bool arithmetic64(uint64_t b) { return (b & 0x7ff8000000000000u) == 0x7ff8000000000000u; }

#define EXPECT_BITS32(expr, bits) EXPECT_EQ(B(static_cast<float>(expr)), uint32_t{bits}) << #expr
#define EXPECT_BITS64(expr, bits) EXPECT_EQ(B(static_cast<double>(expr)), uint64_t{bits}) << #expr
#define EXPECT_F32(expr, f) EXPECT_EQ(B(static_cast<float>(expr)), B(static_cast<float>(f))) << #expr
#define EXPECT_F64(expr, d) EXPECT_EQ(B(static_cast<double>(expr)), B(static_cast<double>(d))) << #expr
#define EXPECT_CANON32(expr) EXPECT_TRUE(canonical32(B(static_cast<float>(expr)))) << #expr << std::hex << " = 0x" << B(static_cast<float>(expr))
#define EXPECT_ARITH32(expr) EXPECT_TRUE(arithmetic32(B(static_cast<float>(expr)))) << #expr << std::hex << " = 0x" << B(static_cast<float>(expr))
#define EXPECT_CANON64(expr) EXPECT_TRUE(canonical64(B(static_cast<double>(expr)))) << #expr << std::hex << " = 0x" << B(static_cast<double>(expr))
#define EXPECT_ARITH64(expr) EXPECT_TRUE(arithmetic64(B(static_cast<double>(expr)))) << #expr << std::hex << " = 0x" << B(static_cast<double>(expr))

constexpr uint32_t kPosZero32 = 0x00000000u, kNegZero32 = 0x80000000u;
constexpr uint32_t kPosInf32 = 0x7f800000u, kNegInf32 = 0xff800000u;
constexpr uint32_t kNan32 = 0x7fc00000u, kNegNan32 = 0xffc00000u;
constexpr uint32_t kSNan32 = 0x7fa00000u;     // nan:0x200000, signalling
constexpr uint32_t kArithNan32 = 0x7fe00000u;  // nan:0x600000, quiet, not canonical
constexpr uint64_t kPosZero64 = 0, kNegZero64 = 0x8000000000000000u;
constexpr uint64_t kPosInf64 = 0x7ff0000000000000u, kNegInf64 = 0xfff0000000000000u;
constexpr uint64_t kNan64 = 0x7ff8000000000000u, kNegNan64 = 0xfff8000000000000u;
constexpr uint64_t kSNan64 = 0x7ff4000000000000u;     // nan:0x4000000000000
constexpr uint64_t kArithNan64 = 0x7ffc000000000000u;  // nan:0xc000000000000

// ---------------------------------------------------------------------------------------
// Compile-time checks: the constexpr helpers and the exact truncation bounds.

static_assert(B(num::f32_min(-0.0f, 0.0f)) == kNegZero32 && B(num::f32_min(0.0f, -0.0f)) == kNegZero32);
static_assert(B(num::f64_max(-0.0, 0.0)) == kPosZero64 && B(num::f64_max(0.0, -0.0)) == kPosZero64);
static_assert(canonical32(B(num::f32_max(F(kNegNan32), 1.0f))) && arithmetic64(B(num::f64_min(1.0, D(kSNan64)))));
static_assert(B(num::f32_neg(F(kNan32))) == kNegNan32);
static_assert(num::i32_rotl(0x80000001u, 33) == 0x00000003u);
static_assert(num::i64_clz(0) == 64 && num::i32_ctz(0) == 32);
static_assert(num::detail::TruncBounds<int32_t, float>::kLo == -2147483904.0f);
static_assert(num::detail::TruncBounds<int32_t, float>::kHi == 2147483648.0f);
static_assert(num::detail::TruncBounds<int32_t, double>::kLo == -2147483649.0);
static_assert(num::detail::TruncBounds<int32_t, double>::kHi == 2147483648.0);
static_assert(num::detail::TruncBounds<uint32_t, float>::kLo == -1.0f);
static_assert(num::detail::TruncBounds<uint32_t, float>::kHi == 4294967296.0f);
static_assert(num::detail::TruncBounds<uint32_t, double>::kLo == -1.0);
static_assert(num::detail::TruncBounds<uint32_t, double>::kHi == 4294967296.0);
static_assert(num::detail::TruncBounds<int64_t, float>::kLo == -0x1.000002p63f);
static_assert(num::detail::TruncBounds<int64_t, float>::kHi == 0x1p63f);
static_assert(num::detail::TruncBounds<int64_t, double>::kLo == -0x1.0000000000001p63);
static_assert(num::detail::TruncBounds<int64_t, double>::kHi == 0x1p63);
static_assert(num::detail::TruncBounds<uint64_t, float>::kLo == -1.0f);
static_assert(num::detail::TruncBounds<uint64_t, float>::kHi == 0x1p64f);
static_assert(num::detail::TruncBounds<uint64_t, double>::kLo == -1.0);
static_assert(num::detail::TruncBounds<uint64_t, double>::kHi == 0x1p64);
static_assert([] { int32_t o = 0; return num::trunc_checked(-2147483648.0f, o) == num::Trunc::Ok && o == INT32_MIN; }());
static_assert(num::trunc_sat<uint64_t>(-5.0) == 0 && num::trunc_sat<int64_t>(1e300) == INT64_MAX);

// ---------------------------------------------------------------------------------------
// min / max

TEST(NumericMinMax, SignedZeros) {
  EXPECT_BITS32(num::f32_min(0.0f, -0.0f), kNegZero32);
  EXPECT_BITS32(num::f32_min(-0.0f, 0.0f), kNegZero32);
  EXPECT_BITS32(num::f32_max(0.0f, -0.0f), kPosZero32);
  EXPECT_BITS32(num::f32_max(-0.0f, 0.0f), kPosZero32);
  EXPECT_BITS32(num::f32_min(-0.0f, -0.0f), kNegZero32);
  EXPECT_BITS32(num::f32_max(0.0f, 0.0f), kPosZero32);
  EXPECT_BITS64(num::f64_min(0.0, -0.0), kNegZero64);
  EXPECT_BITS64(num::f64_min(-0.0, 0.0), kNegZero64);
  EXPECT_BITS64(num::f64_max(0.0, -0.0), kPosZero64);
  EXPECT_BITS64(num::f64_max(-0.0, 0.0), kPosZero64);
}

TEST(NumericMinMax, Ordinary) {
  EXPECT_F32(num::f32_min(1.0f, 2.0f), 1.0f);
  EXPECT_F32(num::f32_max(1.0f, 2.0f), 2.0f);
  EXPECT_F32(num::f32_min(-0x1p-149f, 0x1p-149f), -0x1p-149f);
  EXPECT_F32(num::f32_max(-0x1p-149f, 0x1p-149f), 0x1p-149f);
  EXPECT_F32(num::f32_min(-0.0f, 0x1p-149f), -0.0f);
  EXPECT_F32(num::f32_max(-0x1p-149f, -0.0f), -0.0f);
  EXPECT_BITS32(num::f32_min(F(kPosInf32), F(kNegInf32)), kNegInf32);
  EXPECT_BITS32(num::f32_max(F(kPosInf32), F(kNegInf32)), kPosInf32);
  EXPECT_F32(num::f32_min(0x1.fffffep+127f, F(kPosInf32)), 0x1.fffffep+127f);
  EXPECT_F64(num::f64_min(-0x1p-1074, 0x1p-1074), -0x1p-1074);
  EXPECT_F64(num::f64_max(-0x1p-1074, 0x1p-1074), 0x1p-1074);
  EXPECT_BITS64(num::f64_min(D(kPosInf64), D(kNegInf64)), kNegInf64);
  EXPECT_BITS64(num::f64_max(D(kNegInf64), 0x1.fffffffffffffp+1023), B(0x1.fffffffffffffp+1023));
  EXPECT_F64(num::f64_max(-6.28318530717958623, 0.5), 0.5);
}

TEST(NumericMinMax, NaNs) {
  for (auto fn : {num::f32_min, num::f32_max}) {
    EXPECT_CANON32(fn(F(kNan32), 1.0f));
    EXPECT_CANON32(fn(1.0f, F(kNan32)));
    EXPECT_CANON32(fn(F(kNegNan32), F(kNan32)));
    EXPECT_CANON32(fn(F(kNan32), F(kNegInf32)));
    EXPECT_CANON32(fn(-0.0f, F(kNegNan32)));
    EXPECT_ARITH32(fn(F(kSNan32), 1.0f));
    EXPECT_ARITH32(fn(1.0f, F(kSNan32)));
    EXPECT_ARITH32(fn(F(kArithNan32), F(kPosInf32)));
    EXPECT_ARITH32(fn(F(kSNan32), F(kNan32)));
    EXPECT_ARITH32(fn(F(0xff800001u), F(kNan32)));  // smallest negative signalling NaN
  }
  for (auto fn : {num::f64_min, num::f64_max}) {
    EXPECT_CANON64(fn(D(kNan64), 1.0));
    EXPECT_CANON64(fn(1.0, D(kNegNan64)));
    EXPECT_CANON64(fn(D(kNegNan64), D(kNan64)));
    EXPECT_ARITH64(fn(D(kSNan64), 1.0));
    EXPECT_ARITH64(fn(-0.0, D(kSNan64)));
    EXPECT_ARITH64(fn(D(kArithNan64), D(kNegInf64)));
    EXPECT_ARITH64(fn(D(0x7ff0000000000001u), D(kNan64)));
  }
}

// ---------------------------------------------------------------------------------------
// Rounding and sqrt

TEST(NumericRounding, NearestHalfToEven) {
  EXPECT_F32(num::f32_nearest(0.5f), 0.0f);
  EXPECT_F32(num::f32_nearest(1.5f), 2.0f);
  EXPECT_F32(num::f32_nearest(2.5f), 2.0f);
  EXPECT_F32(num::f32_nearest(3.5f), 4.0f);
  EXPECT_F32(num::f32_nearest(4.5f), 4.0f);
  EXPECT_F32(num::f32_nearest(-0.5f), -0.0f);
  EXPECT_F32(num::f32_nearest(-1.5f), -2.0f);
  EXPECT_F32(num::f32_nearest(-2.5f), -2.0f);
  EXPECT_F32(num::f32_nearest(-3.5f), -4.0f);
  EXPECT_F32(num::f32_nearest(0.49999997f), 0.0f);
  EXPECT_F32(num::f32_nearest(-0.0f), -0.0f);
  EXPECT_F32(num::f32_nearest(0x1p-149f), 0.0f);
  EXPECT_F32(num::f32_nearest(-0x1p-149f), -0.0f);
  EXPECT_F32(num::f32_nearest(-0x1p-126f), -0.0f);
  EXPECT_F32(num::f32_nearest(0x1.fffffep+22f), 0x1p+23f);  // 8388607.5 -> 8388608
  EXPECT_F32(num::f32_nearest(-0x1.fffffep+22f), -0x1p+23f);
  EXPECT_F32(num::f32_nearest(0x1.fffffcp+22f), 0x1.fffffcp+22f);  // 8388607 stays
  EXPECT_F32(num::f32_nearest(0x1.000002p+23f), 0x1.000002p+23f);
  EXPECT_F32(num::f32_nearest(0x1.fffffep+127f), 0x1.fffffep+127f);
  EXPECT_BITS32(num::f32_nearest(F(kPosInf32)), kPosInf32);
  EXPECT_BITS32(num::f32_nearest(F(kNegInf32)), kNegInf32);
  EXPECT_F64(num::f64_nearest(0.5), 0.0);
  EXPECT_F64(num::f64_nearest(2.5), 2.0);
  EXPECT_F64(num::f64_nearest(-0.5), -0.0);
  EXPECT_F64(num::f64_nearest(-2.5), -2.0);
  EXPECT_F64(num::f64_nearest(-3.5), -4.0);
  EXPECT_F64(num::f64_nearest(0.49999999999999994), 0.0);
  EXPECT_F64(num::f64_nearest(0x1.fffffffffffffp+51), 0x1p+52);  // 4503599627370495.5
  EXPECT_F64(num::f64_nearest(-0x1.fffffffffffffp+51), -0x1p+52);
  EXPECT_F64(num::f64_nearest(0x1.ffffffffffffep+51), 0x1.ffffffffffffep+51);
  EXPECT_F64(num::f64_nearest(0x1.0000000000001p+52), 0x1.0000000000001p+52);
  EXPECT_F64(num::f64_nearest(-0x1p-1074), -0.0);
  EXPECT_BITS64(num::f64_nearest(D(kNegInf64)), kNegInf64);
}

TEST(NumericRounding, CeilFloorTrunc) {
  EXPECT_F32(num::f32_ceil(-0.5f), -0.0f);
  EXPECT_F32(num::f32_ceil(0.5f), 1.0f);
  EXPECT_F32(num::f32_ceil(-1.5f), -1.0f);
  EXPECT_F32(num::f32_ceil(0x1p-149f), 1.0f);
  EXPECT_F32(num::f32_ceil(-0x1p-149f), -0.0f);
  EXPECT_F32(num::f32_ceil(-0.0f), -0.0f);
  EXPECT_F32(num::f32_ceil(0x1.fffffep+22f), 0x1p+23f);
  EXPECT_F32(num::f32_ceil(-0x1.fffffep+22f), -0x1.fffffcp+22f);
  EXPECT_F32(num::f32_floor(-0.5f), -1.0f);
  EXPECT_F32(num::f32_floor(0.5f), 0.0f);
  EXPECT_F32(num::f32_floor(-0x1p-149f), -1.0f);
  EXPECT_F32(num::f32_floor(0x1p-149f), 0.0f);
  EXPECT_F32(num::f32_floor(-0.0f), -0.0f);
  EXPECT_F32(num::f32_floor(0x1.fffffep+22f), 0x1.fffffcp+22f);
  EXPECT_F32(num::f32_floor(-0x1.fffffep+22f), -0x1p+23f);
  EXPECT_F32(num::f32_trunc(-0.9f), -0.0f);
  EXPECT_F32(num::f32_trunc(0.9f), 0.0f);
  EXPECT_F32(num::f32_trunc(-1.9f), -1.0f);
  EXPECT_F32(num::f32_trunc(-0x1.fffffep+22f), -0x1.fffffcp+22f);
  EXPECT_F32(num::f32_trunc(0x1.fffffep+127f), 0x1.fffffep+127f);
  EXPECT_F64(num::f64_ceil(-0.5), -0.0);
  EXPECT_F64(num::f64_ceil(0x1p-1074), 1.0);
  EXPECT_F64(num::f64_ceil(0x1.fffffffffffffp+51), 0x1p+52);
  EXPECT_F64(num::f64_floor(-0x1p-1074), -1.0);
  EXPECT_F64(num::f64_floor(0.5), 0.0);
  EXPECT_F64(num::f64_floor(-0x1.fffffffffffffp+51), -0x1p+52);
  EXPECT_F64(num::f64_trunc(-0.9), -0.0);
  EXPECT_F64(num::f64_trunc(-0x1.fffffffffffffp+51), -0x1.ffffffffffffep+51);
  for (auto fn : {num::f32_ceil, num::f32_floor, num::f32_trunc}) {
    EXPECT_BITS32(fn(F(kPosInf32)), kPosInf32);
    EXPECT_BITS32(fn(F(kNegInf32)), kNegInf32);
    EXPECT_BITS32(fn(0.0f), kPosZero32);
    EXPECT_BITS32(fn(-0.0f), kNegZero32);
  }
  for (auto fn : {num::f64_ceil, num::f64_floor, num::f64_trunc}) {
    EXPECT_BITS64(fn(D(kPosInf64)), kPosInf64);
    EXPECT_BITS64(fn(-0.0), kNegZero64);
  }
}

TEST(NumericRounding, Sqrt) {
  EXPECT_BITS32(num::f32_sqrt(-0.0f), kNegZero32);
  EXPECT_BITS32(num::f32_sqrt(0.0f), kPosZero32);
  EXPECT_BITS32(num::f32_sqrt(F(kPosInf32)), kPosInf32);
  EXPECT_F32(num::f32_sqrt(0x1p-149f), 0x1.6a09e6p-75f);
  EXPECT_F32(num::f32_sqrt(2.0f), 0x1.6a09e6p+0f);
  EXPECT_F32(num::f32_sqrt(0x1.fffffep+127f), 0x1.fffffep+63f);
  EXPECT_CANON32(num::f32_sqrt(-1.0f));
  EXPECT_CANON32(num::f32_sqrt(-0x1p-149f));
  EXPECT_CANON32(num::f32_sqrt(F(kNegInf32)));
  EXPECT_BITS64(num::f64_sqrt(-0.0), kNegZero64);
  EXPECT_F64(num::f64_sqrt(0x1p-1074), 0x1p-537);
  EXPECT_F64(num::f64_sqrt(2.0), 0x1.6a09e667f3bcdp+0);
  EXPECT_CANON64(num::f64_sqrt(-1.0));
  EXPECT_CANON64(num::f64_sqrt(D(kNegInf64)));
}

// Unary arithmetic operators: canonical NaN in -> canonical out; any NaN -> arithmetic out.
TEST(NumericRounding, NaNPropagation) {
  for (auto fn : {num::f32_nearest, num::f32_ceil, num::f32_floor, num::f32_trunc, num::f32_sqrt}) {
    EXPECT_CANON32(fn(F(kNan32)));
    EXPECT_CANON32(fn(F(kNegNan32)));
    EXPECT_ARITH32(fn(F(kSNan32)));
    EXPECT_ARITH32(fn(F(0xffa00000u)));
    EXPECT_ARITH32(fn(F(kArithNan32)));
    EXPECT_ARITH32(fn(F(0x7f800001u)));
  }
  for (auto fn : {num::f64_nearest, num::f64_ceil, num::f64_floor, num::f64_trunc, num::f64_sqrt}) {
    EXPECT_CANON64(fn(D(kNan64)));
    EXPECT_CANON64(fn(D(kNegNan64)));
    EXPECT_ARITH64(fn(D(kSNan64)));
    EXPECT_ARITH64(fn(D(0xfff4000000000000u)));
    EXPECT_ARITH64(fn(D(kArithNan64)));
    EXPECT_ARITH64(fn(D(0x7ff0000000000001u)));
  }
}

// ---------------------------------------------------------------------------------------
// Sign bit operations: pure bit manipulation, payloads preserved even for signalling NaNs.

TEST(NumericSign, AbsNegCopysign) {
  EXPECT_BITS32(num::f32_abs(-0.0f), kPosZero32);
  EXPECT_BITS32(num::f32_neg(0.0f), kNegZero32);
  EXPECT_BITS32(num::f32_neg(-0.0f), kPosZero32);
  EXPECT_BITS32(num::f32_abs(F(0xffa00001u)), 0x7fa00001u);
  EXPECT_BITS32(num::f32_abs(F(0x7fa00001u)), 0x7fa00001u);
  EXPECT_BITS32(num::f32_neg(F(0x7fc03210u)), 0xffc03210u);  // float_exprs nonarithmetic_nan_bitpattern
  EXPECT_BITS32(num::f32_neg(F(0xffc03210u)), 0x7fc03210u);
  EXPECT_BITS32(num::f32_neg(F(0x7f803210u)), 0xff803210u);
  EXPECT_BITS32(num::f32_neg(F(0xff803210u)), 0x7f803210u);
  EXPECT_BITS32(num::f32_neg(F(kNegInf32)), kPosInf32);
  EXPECT_BITS32(num::f32_copysign(F(kSNan32), -0.0f), 0xffa00000u);
  EXPECT_BITS32(num::f32_copysign(1.0f, F(kNegNan32)), B(-1.0f));
  EXPECT_BITS32(num::f32_copysign(-1.0f, F(kNan32)), B(1.0f));
  EXPECT_BITS32(num::f32_copysign(0.0f, -0x1p-149f), kNegZero32);
  EXPECT_BITS32(num::f32_copysign(F(0xff800001u), 1.0f), 0x7f800001u);
  EXPECT_BITS64(num::f64_abs(-0.0), kPosZero64);
  EXPECT_BITS64(num::f64_abs(D(0xfff4000000000001u)), 0x7ff4000000000001u);
  EXPECT_BITS64(num::f64_neg(D(0x7ff8000000003210u)), 0xfff8000000003210u);
  EXPECT_BITS64(num::f64_neg(D(0xfff0000000003210u)), 0x7ff0000000003210u);
  EXPECT_BITS64(num::f64_neg(0.0), kNegZero64);
  EXPECT_BITS64(num::f64_copysign(D(kSNan64), -1.0), 0xfff4000000000000u);
  EXPECT_BITS64(num::f64_copysign(-0x1p-1074, 0.0), B(0x1p-1074));
  EXPECT_BITS64(num::f64_copysign(D(kPosInf64), D(kNegNan64)), kNegInf64);
}

// ---------------------------------------------------------------------------------------
// Float -> int truncation

template <class I, class Fl>
void expect_ok(Fl x, I want) {
  I out = 0;
  EXPECT_EQ(num::trunc_checked<I>(x, out), num::Trunc::Ok) << std::hexfloat << x;
  EXPECT_EQ(out, want) << std::hexfloat << x;
  EXPECT_EQ(num::trunc_sat<I>(x), want) << std::hexfloat << x;
}
template <class I, class Fl>
void expect_overflow(Fl x) {
  I out = 42;
  EXPECT_EQ(num::trunc_checked<I>(x, out), num::Trunc::Overflow) << std::hexfloat << x;
  EXPECT_EQ(out, I{42}) << "out must be untouched";
  I sat = x < 0 ? std::numeric_limits<I>::min() : std::numeric_limits<I>::max();
  EXPECT_EQ(num::trunc_sat<I>(x), sat) << std::hexfloat << x;
}
template <class I, class Fl>
void expect_nan_traps() {
  using U = typename num::detail::FloatBits<Fl>::U;
  const std::vector<U> nans = sizeof(Fl) == 4
      ? std::vector<U>{U(kNan32), U(kNegNan32), U(kSNan32), U(0xffa00000u), U(0x7f800001u), U(0xffffffffu)}
      : std::vector<U>{U(kNan64), U(kNegNan64), U(kSNan64), U(0xfff4000000000000u), U(0x7ff0000000000001u),
                       U(0xffffffffffffffffu)};
  for (U b : nans) {
    I out = 42;
    EXPECT_EQ(num::trunc_checked<I>(std::bit_cast<Fl>(b), out), num::Trunc::NaN) << std::hex << b;
    EXPECT_EQ(out, I{42});
    EXPECT_EQ(num::trunc_sat<I>(std::bit_cast<Fl>(b)), I{0}) << std::hex << b;
  }
}

TEST(NumericTrunc, I32FromF32) {
  using I = int32_t;
  expect_ok<I>(0.0f, 0);
  expect_ok<I>(-0.0f, 0);
  expect_ok<I>(0x1p-149f, 0);
  expect_ok<I>(-0x1p-149f, 0);
  expect_ok<I>(1.5f, 1);
  expect_ok<I>(-1.9f, -1);
  expect_ok<I>(-2.0f, -2);
  expect_ok<I>(0x1.fffffep+30f, 2147483520);
  expect_ok<I>(2147483520.0f, 2147483520);
  expect_ok<I>(-2147483648.0f, INT32_MIN);
  expect_overflow<I>(2147483648.0f);
  expect_overflow<I>(-2147483904.0f);  // the next float below -2^31
  expect_overflow<I>(F(kPosInf32));
  expect_overflow<I>(F(kNegInf32));
  expect_overflow<I>(0x1.fffffep+127f);
  expect_nan_traps<I, float>();
}

TEST(NumericTrunc, U32FromF32) {
  using I = uint32_t;
  expect_ok<I>(-0.0f, 0);
  expect_ok<I>(-0x1.ccccccp-1f, 0);  // -0.9
  expect_ok<I>(-0x1.fffffep-1f, 0);  // the float just above -1
  expect_ok<I>(1.9f, 1);
  expect_ok<I>(2147483648.0f, 0x80000000u);
  expect_ok<I>(4294967040.0f, 4294967040u);  // 0x1.fffffep+31
  expect_overflow<I>(4294967296.0f);
  expect_overflow<I>(-1.0f);
  expect_overflow<I>(F(kPosInf32));
  expect_overflow<I>(F(kNegInf32));
  expect_nan_traps<I, float>();
}

TEST(NumericTrunc, I32FromF64) {
  using I = int32_t;
  expect_ok<I>(-0.0, 0);
  expect_ok<I>(0x1p-1074, 0);
  expect_ok<I>(2147483647.0, INT32_MAX);
  expect_ok<I>(2147483647.9999998, INT32_MAX);  // 0x1.fffffffffffffp+30
  expect_ok<I>(-2147483648.0, INT32_MIN);
  expect_ok<I>(-2147483648.9, INT32_MIN);
  expect_ok<I>(-0x1.00000001fffffp+31, INT32_MIN);  // the double just above -2147483649
  expect_overflow<I>(2147483648.0);
  expect_overflow<I>(-2147483649.0);
  expect_overflow<I>(F(kPosInf32));
  expect_overflow<I>(-1e300);
  expect_nan_traps<I, double>();
}

TEST(NumericTrunc, U32FromF64) {
  using I = uint32_t;
  expect_ok<I>(-0.9, 0);
  expect_ok<I>(-0x1.fffffffffffffp-1, 0);
  expect_ok<I>(4294967295.0, UINT32_MAX);
  expect_ok<I>(4294967295.9, UINT32_MAX);
  expect_ok<I>(1e8, 100000000u);
  expect_ok<I>(2147483648.0, 0x80000000u);
  expect_overflow<I>(4294967296.0);
  expect_overflow<I>(-1.0);
  expect_overflow<I>(1e16);
  expect_overflow<I>(D(kNegInf64));
  expect_nan_traps<I, double>();
}

TEST(NumericTrunc, I64FromF32) {
  using I = int64_t;
  expect_ok<I>(-0.0f, 0);
  expect_ok<I>(4294967296.0f, 4294967296);
  expect_ok<I>(-4294967296.0f, -4294967296);
  expect_ok<I>(9223371487098961920.0f, 9223371487098961920);  // 0x1.fffffep+62
  expect_ok<I>(-9223372036854775808.0f, INT64_MIN);
  expect_overflow<I>(9223372036854775808.0f);
  expect_overflow<I>(-9223373136366403584.0f);  // -0x1.000002p+63
  expect_overflow<I>(F(kNegInf32));
  expect_nan_traps<I, float>();
}

TEST(NumericTrunc, U64FromF32) {
  using I = uint64_t;
  expect_ok<I>(-0x1.fffffep-1f, 0);
  expect_ok<I>(4294967296.0f, 4294967296u);
  expect_ok<I>(18446742974197923840.0f, 18446742974197923840u);  // 0x1.fffffep+63
  expect_ok<I>(0x1p63f, 0x8000000000000000u);
  expect_overflow<I>(18446744073709551616.0f);
  expect_overflow<I>(-1.0f);
  expect_overflow<I>(F(kPosInf32));
  expect_nan_traps<I, float>();
}

TEST(NumericTrunc, I64FromF64) {
  using I = int64_t;
  expect_ok<I>(-0.0, 0);
  expect_ok<I>(-1.9, -1);
  expect_ok<I>(4294967296.0, 4294967296);
  expect_ok<I>(9223372036854774784.0, 9223372036854774784);  // 0x1.fffffffffffffp+62
  expect_ok<I>(-9223372036854775808.0, INT64_MIN);
  expect_overflow<I>(9223372036854775808.0);
  expect_overflow<I>(-9223372036854777856.0);  // -0x1.0000000000001p+63
  expect_overflow<I>(D(kPosInf64));
  expect_nan_traps<I, double>();
}

TEST(NumericTrunc, U64FromF64) {
  using I = uint64_t;
  expect_ok<I>(-0.9, 0);
  expect_ok<I>(-0x1.fffffffffffffp-1, 0);
  expect_ok<I>(4294967295.0, 0xffffffffu);
  expect_ok<I>(1e16, 10000000000000000u);
  expect_ok<I>(9223372036854775808.0, 0x8000000000000000u);
  expect_ok<I>(18446744073709549568.0, 18446744073709549568u);  // 0x1.fffffffffffffp+63
  expect_overflow<I>(18446744073709551616.0);
  expect_overflow<I>(-1.0);
  expect_overflow<I>(D(kNegInf64));
  expect_nan_traps<I, double>();
}

TEST(NumericTrunc, TrapMessages) {
  EXPECT_STREQ(num::to_string(num::Trunc::Overflow), "integer overflow");
  EXPECT_STREQ(num::to_string(num::Trunc::NaN), "invalid conversion to integer");
}

// Reference: truncate first (exact), then compare with the exact integer range.
template <class I, class Fl>
void check_trunc_against_reference(Fl x) {
  if (std::isnan(x)) {
    I out = 7;
    ASSERT_EQ(num::trunc_checked<I>(x, out), num::Trunc::NaN);
    ASSERT_EQ(num::trunc_sat<I>(x), I{0});
    return;
  }
  constexpr int bits = std::numeric_limits<I>::digits;
  const Fl hi = std::ldexp(Fl(1), bits);
  const Fl lo = std::is_signed_v<I> ? -hi : Fl(0);
  const Fl t = std::trunc(x);
  const bool valid = t >= lo && t < hi;
  I out = 7;
  ASSERT_EQ(num::trunc_checked<I>(x, out), valid ? num::Trunc::Ok : num::Trunc::Overflow)
      << std::hexfloat << x;
  if (valid) {
    // Exact: t is an integer in range; build it without a float->int cast.
    const bool negt = std::signbit(t) && t != 0;
    uint64_t mag = 0;
    int e = 0;
    const Fl m = std::frexp(negt ? -t : t, &e);  // t = m * 2^e, 0.5 <= m < 1
    if (t != 0) {
      constexpr int digits = std::numeric_limits<Fl>::digits;
      const uint64_t mant = static_cast<uint64_t>(std::ldexp(m, digits));  // exact integer < 2^digits
      mag = e >= digits ? mant << (e - digits) : mant >> (digits - e);
    }
    const I want = negt ? static_cast<I>(0 - mag) : static_cast<I>(mag);
    ASSERT_EQ(out, want) << std::hexfloat << x;
    ASSERT_EQ(num::trunc_sat<I>(x), want) << std::hexfloat << x;
  } else {
    ASSERT_EQ(out, I{7});
    ASSERT_EQ(num::trunc_sat<I>(x), x < 0 ? std::numeric_limits<I>::min() : std::numeric_limits<I>::max());
  }
}

template <class I, class Fl>
void sweep_trunc() {
  using U = typename num::detail::FloatBits<Fl>::U;
  constexpr int bits = std::numeric_limits<I>::digits;
  // Every float within 300 ulps of each boundary (and of 0, +-1).
  for (Fl edge : {std::ldexp(Fl(1), bits), -std::ldexp(Fl(1), bits), Fl(-1), Fl(0), Fl(1)}) {
    Fl up = edge, down = edge;
    for (int i = 0; i < 300; ++i) {
      check_trunc_against_reference<I>(up);
      check_trunc_against_reference<I>(down);
      up = std::nextafter(up, std::numeric_limits<Fl>::infinity());
      down = std::nextafter(down, -std::numeric_limits<Fl>::infinity());
    }
  }
  // Random bit patterns, biased towards exponents near the integer range.
  std::mt19937_64 rng(12345);
  for (int i = 0; i < 200000; ++i) {
    U b = static_cast<U>(rng());
    if (i % 2) {
      constexpr int mant = std::numeric_limits<Fl>::digits - 1;
      constexpr U bias = sizeof(Fl) == 4 ? 127 : 1023;
      const U exp = bias - 2 + static_cast<U>(rng() % (bits + 6));
      b = (b & ((U(1) << mant) - 1)) | (exp << mant) | (b & (U(1) << (sizeof(U) * 8 - 1)));
    }
    check_trunc_against_reference<I>(std::bit_cast<Fl>(b));
  }
}

TEST(NumericTrunc, SweepAgainstReference) {
  sweep_trunc<int32_t, float>();
  sweep_trunc<uint32_t, float>();
  sweep_trunc<int64_t, float>();
  sweep_trunc<uint64_t, float>();
  sweep_trunc<int32_t, double>();
  sweep_trunc<uint32_t, double>();
  sweep_trunc<int64_t, double>();
  sweep_trunc<uint64_t, double>();
}

// ---------------------------------------------------------------------------------------
// Int -> float

TEST(NumericConvert, SpecCases) {
  EXPECT_F32(num::f32_convert_i32_s(1), 1.0f);
  EXPECT_BITS32(num::f32_convert_i32_s(0), kPosZero32);
  EXPECT_F32(num::f32_convert_i32_s(INT32_MAX), 2147483648.0f);
  EXPECT_F32(num::f32_convert_i32_s(INT32_MIN), -2147483648.0f);
  EXPECT_F32(num::f32_convert_i32_s(1234567890), 0x1.26580cp+30f);
  EXPECT_F32(num::f32_convert_i32_s(16777217), 16777216.0f);
  EXPECT_F32(num::f32_convert_i32_s(-16777217), -16777216.0f);
  EXPECT_F32(num::f32_convert_i32_s(16777219), 16777220.0f);
  EXPECT_F32(num::f32_convert_i32_s(-16777219), -16777220.0f);
  EXPECT_F32(num::f32_convert_i32_u(0xffffffffu), 4294967296.0f);
  EXPECT_F32(num::f32_convert_i32_u(0x80000000u), 2147483648.0f);
  EXPECT_F32(num::f32_convert_i32_u(0x80000080u), 0x1.000000p+31f);  // tie, to even
  EXPECT_F32(num::f32_convert_i32_u(0x80000081u), 0x1.000002p+31f);
  EXPECT_F32(num::f32_convert_i32_u(0x80000082u), 0x1.000002p+31f);
  EXPECT_F32(num::f32_convert_i32_u(0xfffffe80u), 0x1.fffffcp+31f);
  EXPECT_F32(num::f32_convert_i32_u(0xfffffe81u), 0x1.fffffep+31f);
  EXPECT_F32(num::f32_convert_i32_u(0xffffff80u), 0x1p+32f);
  EXPECT_F32(num::f32_convert_i64_s(INT64_MAX), 9223372036854775807.0f);
  EXPECT_F32(num::f32_convert_i64_s(INT64_MIN), -9223372036854775808.0f);
  EXPECT_F32(num::f32_convert_i64_s(314159265358979), 0x1.1db9e8p+48f);
  EXPECT_F32(num::f32_convert_i64_s(0x7fffff4000000001), 0x1.fffffep+62f);
  EXPECT_F32(num::f32_convert_i64_s(static_cast<int64_t>(0x8000004000000001u)), -0x1.fffffep+62f);
  EXPECT_F32(num::f32_convert_i64_s(0x0020000020000001), 0x1.000002p+53f);  // double rounding trap
  EXPECT_F32(num::f32_convert_i64_s(static_cast<int64_t>(0xffdfffffdfffffffu)), -0x1.000002p+53f);
  EXPECT_F32(num::f32_convert_i64_u(0xffffffffffffffffu), 18446744073709551616.0f);
  EXPECT_F32(num::f32_convert_i64_u(0x8000000000000000u), 9223372036854775808.0f);
  EXPECT_F32(num::f32_convert_i64_u(0x0020000020000001u), 0x1.000002p+53f);
  EXPECT_F32(num::f32_convert_i64_u(0x7fffffbfffffffffu), 0x1.fffffep+62f);
  EXPECT_F32(num::f32_convert_i64_u(0x8000008000000001u), 0x1.000002p+63f);
  EXPECT_F32(num::f32_convert_i64_u(0xfffffe8000000001u), 0x1.fffffep+63f);
  EXPECT_F32(num::f32_convert_i64_u(16777219), 16777220.0f);
  EXPECT_F64(num::f64_convert_i32_s(INT32_MIN), -2147483648.0);
  EXPECT_F64(num::f64_convert_i32_u(0xffffffffu), 4294967295.0);
  EXPECT_BITS64(num::f64_convert_i32_u(0), kPosZero64);
  EXPECT_F64(num::f64_convert_i64_s(9007199254740993), 9007199254740992.0);
  EXPECT_F64(num::f64_convert_i64_s(-9007199254740993), -9007199254740992.0);
  EXPECT_F64(num::f64_convert_i64_s(9007199254740995), 9007199254740996.0);
  EXPECT_F64(num::f64_convert_i64_s(INT64_MIN), -9223372036854775808.0);
  EXPECT_F64(num::f64_convert_i64_u(0xffffffffffffffffu), 18446744073709551616.0);
  EXPECT_F64(num::f64_convert_i64_u(0x8000000000000400u), 0x1.0000000000000p+63);
  EXPECT_F64(num::f64_convert_i64_u(0x8000000000000401u), 0x1.0000000000001p+63);
  EXPECT_F64(num::f64_convert_i64_u(0x8000000000000402u), 0x1.0000000000001p+63);
  EXPECT_F64(num::f64_convert_i64_u(0xfffffffffffff400u), 0x1.ffffffffffffep+63);
  EXPECT_F64(num::f64_convert_i64_u(0xfffffffffffff401u), 0x1.fffffffffffffp+63);
  EXPECT_F64(num::f64_convert_i64_u(0xfffffffffffff402u), 0x1.fffffffffffffp+63);
  EXPECT_F64(num::f64_convert_i64_u(9007199254740993u), 9007199254740992.0);
}

// Reference rounding with integers only: keep `digits` significant bits, round to nearest,
// ties to even, then scale (scaling a small integer by 2^k is exact).
template <class Fl>
Fl reference_from_u64(uint64_t x, bool negative) {
  constexpr int digits = std::numeric_limits<Fl>::digits;
  if (x == 0) return negative ? -Fl(0) : Fl(0);
  const int len = 64 - std::countl_zero(x);
  uint64_t m = x;
  int shift = 0;
  if (len > digits) {
    shift = len - digits;
    m = x >> shift;
    const uint64_t rem = x & ((uint64_t{1} << shift) - 1);
    const uint64_t half = uint64_t{1} << (shift - 1);
    if (rem > half || (rem == half && (m & 1))) ++m;  // may carry to 2^digits: still exact
  }
  const Fl r = std::ldexp(static_cast<Fl>(m), shift);  // m < 2^(digits+1): exact
  return negative ? -r : r;
}
template <class Fl>
Fl reference_from_i64(int64_t x) {
  const uint64_t mag = x < 0 ? 0 - static_cast<uint64_t>(x) : static_cast<uint64_t>(x);
  return reference_from_u64<Fl>(mag, x < 0);
}

TEST(NumericConvert, RandomAgainstReference) {
  std::mt19937_64 rng(2024);
  std::vector<uint64_t> inputs;
  for (int i = 0; i < 300000; ++i) {
    uint64_t v = rng();
    switch (i % 4) {
      case 0: break;                                         // full width
      case 1: v >>= rng() % 64; break;                       // random length
      case 2: {                                              // near a float32 rounding tie
        const int len = 25 + static_cast<int>(rng() % 40);   // 25..64 bits
        const int shift = len - 24;
        v = (v | (uint64_t{1} << 63)) >> (64 - len);
        v &= ~((uint64_t{1} << shift) - 1);
        v |= uint64_t{1} << (shift - 1);                     // exactly half
        v += static_cast<uint64_t>(static_cast<int64_t>(rng() % 5) - 2);  // half-2 .. half+2
        break;
      }
      case 3: {                                              // near a float64 rounding tie
        const int len = 54 + static_cast<int>(rng() % 11);   // 54..64 bits
        const int shift = len - 53;
        v = (v | (uint64_t{1} << 63)) >> (64 - len);
        v &= ~((uint64_t{1} << shift) - 1);
        v |= uint64_t{1} << (shift - 1);
        v += static_cast<uint64_t>(static_cast<int64_t>(rng() % 5) - 2);
        break;
      }
    }
    inputs.push_back(v);
  }
  for (uint64_t v : inputs) {
    const auto s = static_cast<int64_t>(v);
    ASSERT_EQ(B(num::f32_convert_i64_u(v)), B(reference_from_u64<float>(v, false))) << std::hex << v;
    ASSERT_EQ(B(num::f32_convert_i64_s(s)), B(reference_from_i64<float>(s))) << std::hex << v;
    ASSERT_EQ(B(num::f64_convert_i64_u(v)), B(reference_from_u64<double>(v, false))) << std::hex << v;
    ASSERT_EQ(B(num::f64_convert_i64_s(s)), B(reference_from_i64<double>(s))) << std::hex << v;
    const auto u32 = static_cast<uint32_t>(v >> (v & 31));
    const auto s32 = static_cast<int32_t>(u32);
    ASSERT_EQ(B(num::f32_convert_i32_u(u32)), B(reference_from_u64<float>(u32, false))) << std::hex << u32;
    ASSERT_EQ(B(num::f32_convert_i32_s(s32)), B(reference_from_i64<float>(s32))) << std::hex << u32;
    ASSERT_EQ(B(num::f64_convert_i32_u(u32)), B(reference_from_u64<double>(u32, false))) << std::hex << u32;
    ASSERT_EQ(B(num::f64_convert_i32_s(s32)), B(reference_from_i64<double>(s32))) << std::hex << u32;
  }
}

// ---------------------------------------------------------------------------------------
// Demote / promote

TEST(NumericDemotePromote, Demote) {
  EXPECT_BITS32(num::f32_demote(-0.0), kNegZero32);
  EXPECT_BITS32(num::f32_demote(0x0.0000000000001p-1022), kPosZero32);
  EXPECT_BITS32(num::f32_demote(-0x0.0000000000001p-1022), kNegZero32);
  EXPECT_F32(num::f32_demote(0x1.fffffe0000000p-127), 0x1p-126f);
  EXPECT_F32(num::f32_demote(0x1.fffffdfffffffp-127), 0x1.fffffcp-127f);
  EXPECT_F32(num::f32_demote(0x1p-149), 0x1p-149f);
  EXPECT_F32(num::f32_demote(0x1.fffffd0000000p+127), 0x1.fffffcp+127f);
  EXPECT_F32(num::f32_demote(0x1.fffffd0000001p+127), 0x1.fffffep+127f);
  EXPECT_F32(num::f32_demote(0x1.fffffefffffffp+127), 0x1.fffffep+127f);
  EXPECT_BITS32(num::f32_demote(0x1.ffffffp+127), kPosInf32);
  EXPECT_BITS32(num::f32_demote(-0x1.ffffffp+127), kNegInf32);
  EXPECT_BITS32(num::f32_demote(D(kNegInf64)), kNegInf32);
  EXPECT_F32(num::f32_demote(0x1.0000010000000p+0), 1.0f);  // tie to even
  EXPECT_F32(num::f32_demote(0x1.0000010000001p+0), 0x1.000002p+0f);
  EXPECT_F32(num::f32_demote(0x1.0000030000000p+0), 0x1.000004p+0f);
  EXPECT_F32(num::f32_demote(0x1.cb98354d521ffp-127), 0x1.cb9834p-127f);
  EXPECT_BITS32(num::f32_demote(0x1.0p-150), kPosZero32);  // tie to even (zero)
  EXPECT_BITS32(num::f32_demote(-0x1.0p-150), kNegZero32);
  EXPECT_F32(num::f32_demote(0x1.0000000000001p-150), 0x1p-149f);
  EXPECT_CANON32(num::f32_demote(D(kNan64)));
  EXPECT_CANON32(num::f32_demote(D(kNegNan64)));
  EXPECT_ARITH32(num::f32_demote(D(kSNan64)));
  EXPECT_ARITH32(num::f32_demote(D(0xfff4000000000000u)));
  EXPECT_ARITH32(num::f32_demote(D(0x7ff0000000000001u)));  // payload only in low bits
}

TEST(NumericDemotePromote, Promote) {
  EXPECT_BITS64(num::f64_promote(-0.0f), kNegZero64);
  EXPECT_F64(num::f64_promote(0x1p-149f), 0x1p-149);
  EXPECT_F64(num::f64_promote(-0x1.fffffep+127f), -0x1.fffffep+127);
  EXPECT_F64(num::f64_promote(0x1.8f867ep+125f), 6.6382536710104395e+37);
  EXPECT_BITS64(num::f64_promote(F(kPosInf32)), kPosInf64);
  EXPECT_CANON64(num::f64_promote(F(kNan32)));
  EXPECT_CANON64(num::f64_promote(F(kNegNan32)));
  EXPECT_ARITH64(num::f64_promote(F(kSNan32)));
  EXPECT_ARITH64(num::f64_promote(F(0xffa00000u)));
  EXPECT_ARITH64(num::f64_promote(F(0x7f800001u)));
  // float_exprs no_fold_promote_demote: the round trip quiets, payload bits survive.
  EXPECT_ARITH32(num::f32_demote(num::f64_promote(F(kSNan32))));
  for (float x : {0x1p-149f, -0x1.fffffcp-127f, 0x1p-126f, 0x1.fffffep+127f, -0.0f}) {
    EXPECT_F32(num::f32_demote(num::f64_promote(x)), x);
  }
}

// ---------------------------------------------------------------------------------------
// Integer helpers

TEST(NumericInt, Rotate) {
  EXPECT_EQ(num::i32_rotl(1, 1), 2u);
  EXPECT_EQ(num::i32_rotl(1, 0), 1u);
  EXPECT_EQ(num::i32_rotl(0xffffffffu, 1), 0xffffffffu);
  EXPECT_EQ(num::i32_rotl(0xabcd9876u, 1), 0x579b30edu);
  EXPECT_EQ(num::i32_rotl(0xfe00dc00u, 4), 0xe00dc00fu);
  EXPECT_EQ(num::i32_rotl(0xb0c1d2e3u, 5), 0x183a5c76u);
  EXPECT_EQ(num::i32_rotl(0x00008000u, 37), 0x00100000u);
  EXPECT_EQ(num::i32_rotl(0xb0c1d2e3u, 0xff05u), 0x183a5c76u);
  EXPECT_EQ(num::i32_rotl(0x769abcdfu, 0xffffffedu), 0x579beed3u);
  EXPECT_EQ(num::i32_rotl(1, 31), 0x80000000u);
  EXPECT_EQ(num::i32_rotl(0x80000000u, 1), 1u);
  EXPECT_EQ(num::i32_rotl(0x12345678u, 32), 0x12345678u);
  EXPECT_EQ(num::i32_rotr(1, 1), 0x80000000u);
  EXPECT_EQ(num::i32_rotr(0xff00cc00u, 1), 0x7f806600u);
  EXPECT_EQ(num::i32_rotr(0x00080000u, 4), 0x00008000u);
  EXPECT_EQ(num::i32_rotr(0xb0c1d2e3u, 5), 0x1d860e97u);
  EXPECT_EQ(num::i32_rotr(0x00008000u, 37), 0x00000400u);
  EXPECT_EQ(num::i32_rotr(0xb0c1d2e3u, 0xff05u), 0x1d860e97u);
  EXPECT_EQ(num::i32_rotr(0x769abcdfu, 0xffffffedu), 0xe6fbb4d5u);
  EXPECT_EQ(num::i32_rotr(1, 31), 2u);
  EXPECT_EQ(num::i64_rotl(1, 1), 2u);
  EXPECT_EQ(num::i64_rotl(0xabd1234ef567809cu, 63), 0x55e891a77ab3c04eu);
  EXPECT_EQ(num::i64_rotl(0xabd1234ef567809cu, 0x800000000000003fu), 0x55e891a77ab3c04eu);
  EXPECT_EQ(num::i64_rotl(1, 63), 0x8000000000000000u);
  EXPECT_EQ(num::i64_rotl(1, 64), 1u);
  EXPECT_EQ(num::i64_rotr(1, 1), 0x8000000000000000u);
  EXPECT_EQ(num::i64_rotr(0xabcd1234ef567809u, 53), 0x6891a77ab3c04d5eu);
  EXPECT_EQ(num::i64_rotr(0xabcd1234ef567809u, 0x35u), 0x6891a77ab3c04d5eu);
  EXPECT_EQ(num::i64_rotr(0xabd1234ef567809cu, 0xffffffffffffffffu), 0x57a2469deacf0139u);
  EXPECT_EQ(num::i64_rotr(0x8000000000000000u, 63), 1u);
}

TEST(NumericInt, Counts) {
  EXPECT_EQ(num::i32_clz(0xffffffffu), 0u);
  EXPECT_EQ(num::i32_clz(0), 32u);
  EXPECT_EQ(num::i32_clz(0x00008000u), 16u);
  EXPECT_EQ(num::i32_clz(0xffu), 24u);
  EXPECT_EQ(num::i32_clz(0x80000000u), 0u);
  EXPECT_EQ(num::i32_clz(1), 31u);
  EXPECT_EQ(num::i32_clz(2), 30u);
  EXPECT_EQ(num::i32_clz(0x7fffffffu), 1u);
  EXPECT_EQ(num::i32_ctz(-1), 0u);
  EXPECT_EQ(num::i32_ctz(0), 32u);
  EXPECT_EQ(num::i32_ctz(0x00008000u), 15u);
  EXPECT_EQ(num::i32_ctz(0x00010000u), 16u);
  EXPECT_EQ(num::i32_ctz(0x80000000u), 31u);
  EXPECT_EQ(num::i32_ctz(0x7fffffffu), 0u);
  EXPECT_EQ(num::i32_popcnt(-1), 32u);
  EXPECT_EQ(num::i32_popcnt(0), 0u);
  EXPECT_EQ(num::i32_popcnt(0x00008000u), 1u);
  EXPECT_EQ(num::i32_popcnt(0x80008000u), 2u);
  EXPECT_EQ(num::i32_popcnt(0x7fffffffu), 31u);
  EXPECT_EQ(num::i32_popcnt(0xaaaaaaaau), 16u);
  EXPECT_EQ(num::i32_popcnt(0x55555555u), 16u);
  EXPECT_EQ(num::i32_popcnt(0xdeadbeefu), 24u);
  EXPECT_EQ(num::i64_clz(0xffffffffffffffffu), 0u);
  EXPECT_EQ(num::i64_clz(0), 64u);
  EXPECT_EQ(num::i64_clz(0x00008000u), 48u);
  EXPECT_EQ(num::i64_clz(1), 63u);
  EXPECT_EQ(num::i64_clz(0x7fffffffffffffffu), 1u);
  EXPECT_EQ(num::i64_ctz(0), 64u);
  EXPECT_EQ(num::i64_ctz(0x0000000100000000u), 32u);
  EXPECT_EQ(num::i64_ctz(0x8000000000000000u), 63u);
  EXPECT_EQ(num::i64_popcnt(0xffffffffffffffffu), 64u);
  EXPECT_EQ(num::i64_popcnt(0x8000800080008000u), 4u);
  EXPECT_EQ(num::i64_popcnt(0xdeadbeefdeadbeefu), 48u);
}

// ---------------------------------------------------------------------------------------
// The spec suite's own assertions, run directly against the helpers.

namespace fs = std::filesystem;

fs::path find_spec_json_dir() {
  if (const char* env = std::getenv("ISOLA_SPEC_JSON_DIR")) return env;
  const fs::path rel = fs::path("shared") / "spec" / "wasm-2.0" / "json";
  std::vector<fs::path> starts = {fs::path(__FILE__).parent_path(), fs::current_path()};
  for (fs::path p : starts) {
    std::error_code ec;
    p = fs::absolute(p, ec);
    for (int i = 0; i < 6 && !p.empty(); ++i, p = p.parent_path()) {
      if (fs::exists(p / rel / "conversions.json", ec)) return p / rel;
      if (p == p.parent_path()) break;
    }
  }
  return {};
}

struct Outcome {
  bool trapped = false;
  std::string trap;
  uint64_t bits = 0;
};
using Op = std::function<Outcome(const std::vector<uint64_t>&)>;

template <class R> Outcome ret(R r) {
  Outcome o;
  if constexpr (std::is_same_v<R, float>) o.bits = B(r);
  else if constexpr (std::is_same_v<R, double>) o.bits = B(r);
  else o.bits = static_cast<std::make_unsigned_t<R>>(r);
  return o;
}
template <class Fl> Fl arg(uint64_t b) {
  if constexpr (sizeof(Fl) == 4) return F(static_cast<uint32_t>(b));
  else return D(b);
}
template <class R, class A> Op unary(R (*fn)(A)) {
  return [fn](const std::vector<uint64_t>& a) {
    if constexpr (std::is_floating_point_v<A>) return ret(fn(arg<A>(a.at(0))));
    else return ret(fn(static_cast<A>(a.at(0))));
  };
}
template <class R> Op binary(R (*fn)(R, R)) {
  return [fn](const std::vector<uint64_t>& a) {
    if constexpr (std::is_floating_point_v<R>) return ret(fn(arg<R>(a.at(0)), arg<R>(a.at(1))));
    else return ret(fn(static_cast<R>(a.at(0)), static_cast<R>(a.at(1))));
  };
}
template <class I, class Fl> Op checked() {
  return [](const std::vector<uint64_t>& a) {
    I out{};
    const num::Trunc t = num::trunc_checked<I>(arg<Fl>(a.at(0)), out);
    if (t != num::Trunc::Ok) return Outcome{true, num::to_string(t), 0};
    return ret(out);
  };
}
template <class I, class Fl> Op saturating() {
  return [](const std::vector<uint64_t>& a) { return ret(num::trunc_sat<I>(arg<Fl>(a.at(0)))); };
}

std::map<std::string, Op> float_ops(bool f32) {
  if (f32) {
    return {{"min", binary(num::f32_min)},       {"max", binary(num::f32_max)},
            {"sqrt", unary(num::f32_sqrt)},      {"floor", unary(num::f32_floor)},
            {"ceil", unary(num::f32_ceil)},      {"trunc", unary(num::f32_trunc)},
            {"nearest", unary(num::f32_nearest)}, {"abs", unary(num::f32_abs)},
            {"neg", unary(num::f32_neg)},        {"copysign", binary(num::f32_copysign)}};
  }
  return {{"min", binary(num::f64_min)},       {"max", binary(num::f64_max)},
          {"sqrt", unary(num::f64_sqrt)},      {"floor", unary(num::f64_floor)},
          {"ceil", unary(num::f64_ceil)},      {"trunc", unary(num::f64_trunc)},
          {"nearest", unary(num::f64_nearest)}, {"abs", unary(num::f64_abs)},
          {"neg", unary(num::f64_neg)},        {"copysign", binary(num::f64_copysign)}};
}

std::map<std::string, Op> prefixed_ops() {
  std::map<std::string, Op> ops;
  for (auto& [k, v] : float_ops(true)) ops["f32." + k] = v;
  for (auto& [k, v] : float_ops(false)) ops["f64." + k] = v;
  ops["i32.trunc_f32_s"] = checked<int32_t, float>();
  ops["i32.trunc_f32_u"] = checked<uint32_t, float>();
  ops["i32.trunc_f64_s"] = checked<int32_t, double>();
  ops["i32.trunc_f64_u"] = checked<uint32_t, double>();
  ops["i64.trunc_f32_s"] = checked<int64_t, float>();
  ops["i64.trunc_f32_u"] = checked<uint64_t, float>();
  ops["i64.trunc_f64_s"] = checked<int64_t, double>();
  ops["i64.trunc_f64_u"] = checked<uint64_t, double>();
  ops["i32.trunc_sat_f32_s"] = saturating<int32_t, float>();
  ops["i32.trunc_sat_f32_u"] = saturating<uint32_t, float>();
  ops["i32.trunc_sat_f64_s"] = saturating<int32_t, double>();
  ops["i32.trunc_sat_f64_u"] = saturating<uint32_t, double>();
  ops["i64.trunc_sat_f32_s"] = saturating<int64_t, float>();
  ops["i64.trunc_sat_f32_u"] = saturating<uint64_t, float>();
  ops["i64.trunc_sat_f64_s"] = saturating<int64_t, double>();
  ops["i64.trunc_sat_f64_u"] = saturating<uint64_t, double>();
  ops["f32.convert_i32_s"] = unary(num::f32_convert_i32_s);
  ops["f32.convert_i32_u"] = unary(num::f32_convert_i32_u);
  ops["f32.convert_i64_s"] = unary(num::f32_convert_i64_s);
  ops["f32.convert_i64_u"] = unary(num::f32_convert_i64_u);
  ops["f64.convert_i32_s"] = unary(num::f64_convert_i32_s);
  ops["f64.convert_i32_u"] = unary(num::f64_convert_i32_u);
  ops["f64.convert_i64_s"] = unary(num::f64_convert_i64_s);
  ops["f64.convert_i64_u"] = unary(num::f64_convert_i64_u);
  ops["f32.demote_f64"] = unary(num::f32_demote);
  ops["f64.promote_f32"] = unary(num::f64_promote);
  return ops;
}

std::map<std::string, Op> int_ops(bool i32) {
  if (i32) {
    return {{"rotl", binary(num::i32_rotl)}, {"rotr", binary(num::i32_rotr)}, {"clz", unary(num::i32_clz)},
            {"ctz", unary(num::i32_ctz)}, {"popcnt", unary(num::i32_popcnt)}};
  }
  return {{"rotl", binary(num::i64_rotl)}, {"rotr", binary(num::i64_rotr)}, {"clz", unary(num::i64_clz)},
          {"ctz", unary(num::i64_ctz)}, {"popcnt", unary(num::i64_popcnt)}};
}

// Runs every assert_return / assert_trap of `file` whose export name is in `ops` (only
// commands against the file's first module, which is where these files define the
// one-instruction exports). Returns the number of assertions checked.
int run_spec_file(const fs::path& file, const std::map<std::string, Op>& ops) {
  std::ifstream in(file);
  EXPECT_TRUE(in.good()) << file;
  if (!in.good()) return 0;
  const nlohmann::json doc = nlohmann::json::parse(in);
  int modules = 0, checked = 0;
  for (const auto& cmd : doc.at("commands")) {
    const std::string type = cmd.at("type");
    if (type == "module") ++modules;
    if (modules != 1 || (type != "assert_return" && type != "assert_trap")) continue;
    const auto& action = cmd.at("action");
    if (action.at("type") != "invoke") continue;
    const auto it = ops.find(action.at("field").get<std::string>());
    if (it == ops.end()) continue;
    std::vector<uint64_t> args;
    for (const auto& a : action.at("args")) args.push_back(std::stoull(a.at("value").get<std::string>()));
    const Outcome got = it->second(args);
    const std::string where = file.filename().string() + ":" + std::to_string(cmd.at("line").get<int>()) +
                              " " + it->first;
    ++checked;
    if (type == "assert_trap") {
      EXPECT_TRUE(got.trapped) << where;
      EXPECT_EQ(got.trap, cmd.at("text").get<std::string>()) << where;
      continue;
    }
    EXPECT_FALSE(got.trapped) << where << " trapped: " << got.trap;
    const auto& exp = cmd.at("expected").at(0);
    const std::string et = exp.at("type");
    const std::string ev = exp.at("value");
    if (ev == "nan:canonical" || ev == "nan:arithmetic") {
      const bool canon = ev == "nan:canonical";
      const bool ok = et == "f32" ? (canon ? canonical32(static_cast<uint32_t>(got.bits))
                                           : arithmetic32(static_cast<uint32_t>(got.bits)))
                                  : (canon ? canonical64(got.bits) : arithmetic64(got.bits));
      EXPECT_TRUE(ok) << where << ": want " << ev << ", got 0x" << std::hex << got.bits;
    } else {
      uint64_t want = std::stoull(ev);
      uint64_t have = got.bits;
      if (et == "i32" || et == "f32") {
        want &= 0xffffffffu;
        have &= 0xffffffffu;
      }
      EXPECT_EQ(have, want) << where << std::hex << ": want 0x" << want << ", got 0x" << have;
    }
  }
  return checked;
}

TEST(NumericSpecSuite, AllMatchingAssertions) {
  const fs::path dir = find_spec_json_dir();
  if (dir.empty()) GTEST_SKIP() << "spec JSON not found; set ISOLA_SPEC_JSON_DIR";
  int n = 0;
  n += run_spec_file(dir / "f32.json", float_ops(true));
  n += run_spec_file(dir / "f64.json", float_ops(false));
  n += run_spec_file(dir / "f32_bitwise.json", float_ops(true));
  n += run_spec_file(dir / "f64_bitwise.json", float_ops(false));
  n += run_spec_file(dir / "float_misc.json", prefixed_ops());
  n += run_spec_file(dir / "conversions.json", prefixed_ops());
  n += run_spec_file(dir / "i32.json", int_ops(true));
  n += run_spec_file(dir / "i64.json", int_ops(false));
  // 2 x (800 min/max + 100 unary + 360 bitwise) + conversions + float_misc + int ops = 3274.
  EXPECT_GE(n, 3274) << "expected the spec files to exercise the helpers";
  std::cout << "[ spec     ] " << n << " assertions checked from " << dir << "\n";
}

}  // namespace

// Division by a constant through multiplication (u32_div_by, u32_rem_by) against the hardware
// divide: every divisor up to 70,000 with the numerators next to its multiples and the ends
// of the range, then random numerators and divisors over the whole range.
TEST(NumericConstDivision, MatchesDivideForEveryNumeratorKind) {
  using isola::wasm::num::u32_div_by;
  using isola::wasm::num::u32_div_magic;
  using isola::wasm::num::u32_rem_by;
  auto check = [](uint32_t x, uint32_t d) {
    const uint64_t m = u32_div_magic(d);
    ASSERT_EQ(u32_div_by(x, m), x / d) << x << " / " << d;
    ASSERT_EQ(u32_rem_by(x, m, d), x % d) << x << " % " << d;
  };
  for (uint32_t d = 2; d <= 70000; ++d) {
    const uint32_t q_max = UINT32_MAX / d;
    for (uint32_t x : {0u, 1u, d - 1, d, d + 1, 2 * d - 1, UINT32_MAX, UINT32_MAX - 1, q_max * d, q_max * d - 1,
                       (q_max / 2) * d + d - 1, 0x80000000u, 0x7fffffffu})
      check(x, d);
  }
  std::mt19937_64 rng(20261123);
  for (int i = 0; i < 2000000; ++i) {
    const uint64_t r = rng();
    const uint32_t d = static_cast<uint32_t>(r >> 32) >> (r & 31);  // divisors of every magnitude
    if (d >= 2) check(static_cast<uint32_t>(r), d);
  }
  for (uint32_t d : {UINT32_MAX, UINT32_MAX - 1, 0x80000000u, 0x80000001u, 3u, 5u, 7u, 10u, 641u})
    for (uint32_t x = UINT32_MAX - 100000; x != 0; ++x) check(x, d);
}
