// Tests of the binary decoder (src/wasm/binary/decode.cpp), the Reader it uses, and the
// small Module/LoadError helpers.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "wasm/binary/decode.hpp"
#include "wasm/binary/reader.hpp"

namespace isola::wasm {
namespace {

using Bytes = std::vector<uint8_t>;

// ---- module assembly helpers ----------------------------------------------------------

Bytes cat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const Bytes& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}
Bytes u(uint64_t v) {  // unsigned LEB128
  Bytes out;
  do {
    uint8_t b = v & 0x7F;
    v >>= 7;
    out.push_back(v ? (b | 0x80) : b);
  } while (v);
  return out;
}
Bytes str(std::string_view s) { return cat({u(s.size()), Bytes(s.begin(), s.end())}); }
Bytes vec(std::initializer_list<Bytes> items) {
  Bytes out = u(items.size());
  for (const Bytes& i : items) out.insert(out.end(), i.begin(), i.end());
  return out;
}
Bytes sec(uint8_t id, const Bytes& content) { return cat({{id}, u(content.size()), content}); }
const Bytes kHeader = {0x00, 0x61, 0x73, 0x6D, 0x01, 0x00, 0x00, 0x00};
Bytes mod(std::initializer_list<Bytes> sections) {
  Bytes out = kHeader;
  for (const Bytes& s : sections) out.insert(out.end(), s.begin(), s.end());
  return out;
}

// Common sections.
const Bytes kTypeVoid = sec(1, vec({{0x60, 0x00, 0x00}}));  // type 0: [] -> []
const Bytes kOneFunc = sec(3, vec({{0x00}}));
const Bytes kOneBody = sec(10, vec({{0x02, 0x00, 0x0B}}));  // size 2, no locals, end
const Bytes kTable = sec(4, vec({{0x70, 0x00, 0x01}}));
const Bytes kMemory = sec(5, vec({{0x00, 0x01}}));

struct Result {
  std::optional<LoadError> err;
  Module m;
};
Result run(const Bytes& b, const DecodeLimits& limits = {}) {
  Result r;
  r.err = decode(b, r.m, limits);
  return r;
}

// Expects decoding to fail with `kind` and an error text containing `what`.
void expect_error(const Bytes& b, LoadError::Kind kind, std::string_view what,
                  const DecodeLimits& limits = {}) {
  Result r = run(b, limits);
  ASSERT_TRUE(r.err.has_value()) << "decoded, expected: " << what;
  EXPECT_EQ(r.err->kind, kind) << r.err->to_string();
  EXPECT_NE(r.err->what.find(what), std::string::npos)
      << "expected '" << what << "', got " << r.err->to_string();
}
void expect_malformed(const Bytes& b, std::string_view what, const DecodeLimits& limits = {}) {
  expect_error(b, LoadError::Kind::Malformed, what, limits);
}
void expect_invalid(const Bytes& b, std::string_view what) {
  expect_error(b, LoadError::Kind::Invalid, what);
}
Module expect_ok(const Bytes& b) {
  Result r = run(b);
  EXPECT_FALSE(r.err.has_value()) << r.err->to_string();
  return std::move(r.m);
}

// wat2wasm --debug-names of:
//   (module
//     (type $t (func (param i32 i64) (result f32)))
//     (import "env" "f" (func $imp (type $t)))
//     (import "env" "tab" (table 1 10 funcref))
//     (import "env" "mem" (memory 1))
//     (import "env" "g" (global (mut i32)))
//     (func $a (type $t) (local i32 i32) (local f64) f32.const 1.5)
//     (func $b (result i32) i32.const 7)
//     (table $t2 2 externref)
//     (global $g2 i64 (i64.const -5))
//     (global $g3 f64 (f64.const 2.5))
//     (global $g4 funcref (ref.func $a))
//     (export "a" (func $a))
//     (export "mem" (memory 0))
//     (start $b2)
//     (func $b2)
//     (elem (i32.const 0) $a $b)
//     (data (i32.const 8) "hello")
//     (data "passive"))
const Bytes kSample = {
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x0e, 0x03, 0x60,
  0x02, 0x7f, 0x7e, 0x01, 0x7d, 0x60, 0x00, 0x01, 0x7f, 0x60, 0x00, 0x00,
  0x02, 0x2a, 0x04, 0x03, 0x65, 0x6e, 0x76, 0x01, 0x66, 0x00, 0x00, 0x03,
  0x65, 0x6e, 0x76, 0x03, 0x74, 0x61, 0x62, 0x01, 0x70, 0x01, 0x01, 0x0a,
  0x03, 0x65, 0x6e, 0x76, 0x03, 0x6d, 0x65, 0x6d, 0x02, 0x00, 0x01, 0x03,
  0x65, 0x6e, 0x76, 0x01, 0x67, 0x03, 0x7f, 0x01, 0x03, 0x04, 0x03, 0x00,
  0x01, 0x02, 0x04, 0x04, 0x01, 0x6f, 0x00, 0x02, 0x06, 0x17, 0x03, 0x7e,
  0x00, 0x42, 0x7b, 0x0b, 0x7c, 0x00, 0x44, 0x00, 0x00, 0x00, 0x00, 0x00,
  0x00, 0x04, 0x40, 0x0b, 0x70, 0x00, 0xd2, 0x01, 0x0b, 0x07, 0x0b, 0x02,
  0x01, 0x61, 0x00, 0x01, 0x03, 0x6d, 0x65, 0x6d, 0x02, 0x00, 0x08, 0x01,
  0x03, 0x09, 0x08, 0x01, 0x00, 0x41, 0x00, 0x0b, 0x02, 0x01, 0x02, 0x0a,
  0x15, 0x03, 0x0b, 0x02, 0x02, 0x7f, 0x01, 0x7c, 0x43, 0x00, 0x00, 0xc0,
  0x3f, 0x0b, 0x04, 0x00, 0x41, 0x07, 0x0b, 0x02, 0x00, 0x0b, 0x0b, 0x14,
  0x02, 0x00, 0x41, 0x08, 0x0b, 0x05, 0x68, 0x65, 0x6c, 0x6c, 0x6f, 0x01,
  0x07, 0x70, 0x61, 0x73, 0x73, 0x69, 0x76, 0x65, 0x00, 0x3e, 0x04, 0x6e,
  0x61, 0x6d, 0x65, 0x01, 0x10, 0x04, 0x00, 0x03, 0x69, 0x6d, 0x70, 0x01,
  0x01, 0x61, 0x02, 0x01, 0x62, 0x03, 0x02, 0x62, 0x32, 0x02, 0x09, 0x04,
  0x00, 0x00, 0x01, 0x00, 0x02, 0x00, 0x03, 0x00, 0x04, 0x04, 0x01, 0x00,
  0x01, 0x74, 0x05, 0x05, 0x01, 0x01, 0x02, 0x74, 0x32, 0x07, 0x0d, 0x03,
  0x01, 0x02, 0x67, 0x32, 0x02, 0x02, 0x67, 0x33, 0x03, 0x02, 0x67, 0x34
};

// ---- whole modules --------------------------------------------------------------------

TEST(Decode, EmptyModule) {
  Module m = expect_ok(kHeader);
  EXPECT_TRUE(m.types.empty());
  EXPECT_TRUE(m.funcs.empty());
  EXPECT_EQ(m.bytes, kHeader);
}

TEST(Decode, SampleModule) {
  Module m = expect_ok(kSample);
  ASSERT_EQ(m.types.size(), 3u);
  EXPECT_EQ(m.types[0].to_string(), "(i32, i64) -> (f32)");
  EXPECT_EQ(m.types[1].to_string(), "() -> (i32)");
  EXPECT_EQ(m.types[2].to_string(), "() -> ()");

  ASSERT_EQ(m.imports.size(), 4u);
  EXPECT_EQ(m.imports[0].module, "env");
  EXPECT_EQ(m.imports[0].name, "f");
  EXPECT_EQ(m.imports[0].kind, ExternKind::Func);
  EXPECT_EQ(m.imports[0].func_type, 0u);
  EXPECT_EQ(m.imports[1].kind, ExternKind::Table);
  EXPECT_EQ(m.imports[1].table.elem, ValType::FuncRef);
  EXPECT_EQ(m.imports[1].table.limits.min, 1u);
  EXPECT_EQ(m.imports[1].table.limits.max, std::optional<uint32_t>(10));
  EXPECT_EQ(m.imports[2].kind, ExternKind::Memory);
  EXPECT_EQ(m.imports[2].memory.limits.min, 1u);
  EXPECT_FALSE(m.imports[2].memory.limits.max.has_value());
  EXPECT_EQ(m.imports[3].kind, ExternKind::Global);
  EXPECT_EQ(m.imports[3].global.type, ValType::I32);
  EXPECT_TRUE(m.imports[3].global.mut);

  EXPECT_EQ(m.num_imported_funcs, 1u);
  EXPECT_EQ(m.num_imported_tables, 1u);
  EXPECT_EQ(m.num_imported_memories, 1u);
  EXPECT_EQ(m.num_imported_globals, 1u);
  EXPECT_EQ(m.funcs, (std::vector<uint32_t>{0, 0, 1, 2}));
  ASSERT_EQ(m.tables.size(), 2u);
  EXPECT_EQ(m.tables[1].elem, ValType::ExternRef);
  EXPECT_EQ(m.tables[1].limits.min, 2u);
  EXPECT_EQ(m.memories.size(), 1u);

  ASSERT_EQ(m.globals.size(), 4u);
  ASSERT_EQ(m.global_inits.size(), 3u);
  EXPECT_EQ(m.globals[1].type, ValType::I64);
  EXPECT_FALSE(m.globals[1].mut);
  EXPECT_EQ(m.global_inits[0].op, ConstExpr::Op::I64Const);
  EXPECT_EQ(static_cast<int64_t>(m.global_inits[0].bits), -5);
  EXPECT_EQ(m.bytes[m.global_inits[0].offset], 0x42);
  EXPECT_EQ(m.global_inits[1].op, ConstExpr::Op::F64Const);
  EXPECT_EQ(m.global_inits[1].bits, 0x4004000000000000u);
  EXPECT_EQ(m.global_inits[2].op, ConstExpr::Op::RefFunc);
  EXPECT_EQ(m.global_inits[2].index, 1u);

  ASSERT_EQ(m.exports.size(), 2u);
  EXPECT_EQ(m.exports[0].name, "a");
  EXPECT_EQ(m.exports[0].kind, ExternKind::Func);
  EXPECT_EQ(m.exports[0].index, 1u);
  EXPECT_EQ(m.exports[1].kind, ExternKind::Memory);
  EXPECT_EQ(m.start, std::optional<uint32_t>(3));

  ASSERT_EQ(m.elems.size(), 1u);
  EXPECT_EQ(m.elems[0].mode, ElemSegment::Mode::Active);
  EXPECT_EQ(m.elems[0].type, ValType::FuncRef);
  ASSERT_EQ(m.elems[0].init.size(), 2u);
  EXPECT_EQ(m.elems[0].init[1].op, ConstExpr::Op::RefFunc);
  EXPECT_EQ(m.elems[0].init[1].index, 2u);

  ASSERT_EQ(m.codes.size(), 3u);
  const Code& a = m.code(1);
  ASSERT_EQ(a.locals.size(), 2u);
  EXPECT_EQ(a.locals[0].count, 2u);
  EXPECT_EQ(a.locals[0].type, ValType::I32);
  EXPECT_EQ(a.locals[1].type, ValType::F64);
  EXPECT_EQ(a.num_locals, 3u);
  EXPECT_EQ(a.body_end - a.body_offset, 6u);  // f32.const 1.5, end
  EXPECT_EQ(m.bytes[a.body_offset], 0x43);
  EXPECT_EQ(m.bytes[a.body_end - 1], 0x0B);
  EXPECT_EQ(m.code(3).body_end - m.code(3).body_offset, 1u);

  ASSERT_EQ(m.datas.size(), 2u);
  EXPECT_EQ(m.datas[0].mode, DataSegment::Mode::Active);
  EXPECT_EQ(m.datas[0].offset.bits, 8u);
  auto hello = m.slice(m.datas[0].data_offset, m.datas[0].data_size);
  EXPECT_EQ(std::string(hello.begin(), hello.end()), "hello");
  EXPECT_EQ(m.datas[1].mode, DataSegment::Mode::Passive);
  EXPECT_EQ(m.datas[1].data_size, 7u);
  EXPECT_FALSE(m.data_count.has_value());

  ASSERT_NE(m.custom("name"), nullptr);
  EXPECT_EQ(m.custom("nope"), nullptr);
  ASSERT_EQ(m.func_names.size(), 4u);
  EXPECT_EQ(m.func_names[0], "imp");
  EXPECT_EQ(m.func_names[1], "a");
  EXPECT_EQ(m.func_names[3], "b2");
}

TEST(Decode, DecodeResetsOutput) {
  Module m;
  m.types.resize(3);
  m.customs.resize(2);
  EXPECT_FALSE(decode(kHeader, m).has_value());
  EXPECT_TRUE(m.types.empty());
  EXPECT_TRUE(m.customs.empty());
}

// ---- header ---------------------------------------------------------------------------

TEST(Decode, Header) {
  expect_malformed({}, "unexpected end");
  expect_malformed({0x00, 0x61, 0x73}, "unexpected end");
  expect_malformed({0x00, 0x61, 0x73, 0x6D}, "unexpected end");
  expect_malformed({0x00, 0x61, 0x73, 0x6D, 0x01, 0x00, 0x00}, "unexpected end");
  expect_malformed({0x00, 0x41, 0x53, 0x4D, 0x01, 0x00, 0x00, 0x00}, "magic header not detected");
  expect_malformed({0x61, 0x73, 0x6D, 0x00}, "magic header not detected");
  expect_malformed({0x00, 0x61, 0x73, 0x6D, 0x02, 0x00, 0x00, 0x00}, "unknown binary version");
  expect_malformed({0x00, 0x61, 0x73, 0x6D, 0x00, 0x00, 0x00, 0x01}, "unknown binary version");
}

// ---- sections -------------------------------------------------------------------------

TEST(Decode, TypeSection) {
  Module m = expect_ok(mod({sec(1, vec({{0x60, 0x02, 0x7F, 0x7B, 0x02, 0x70, 0x6F},
                                        {0x60, 0x00, 0x01, 0x7C}}))}));
  ASSERT_EQ(m.types.size(), 2u);
  EXPECT_EQ(m.types[0].params, (std::vector<ValType>{ValType::I32, ValType::V128}));
  EXPECT_EQ(m.types[0].results, (std::vector<ValType>{ValType::FuncRef, ValType::ExternRef}));
  EXPECT_EQ(m.types[1].to_string(), "() -> (f64)");

  expect_malformed(mod({sec(1, vec({{0x61, 0x00, 0x00}}))}), "malformed function type");
  expect_malformed(mod({sec(1, vec({{0x60, 0x01, 0x40, 0x00}}))}), "malformed value type");
  DecodeLimits lim;
  lim.max_params = 1;
  expect_malformed(mod({sec(1, vec({{0x60, 0x02, 0x7F, 0x7F, 0x00}}))}), "too many parameters", lim);
  lim.max_results = 0;
  expect_malformed(mod({sec(1, vec({{0x60, 0x00, 0x01, 0x7F}}))}), "too many results", lim);
  lim.max_types = 1;
  expect_malformed(mod({sec(1, vec({{0x60, 0x00, 0x00}, {0x60, 0x00, 0x00}}))}), "too many types", lim);
}

TEST(Decode, ImportSection) {
  expect_malformed(mod({sec(2, vec({cat({str("m"), str("n"), {0x04, 0x00}})}))}), "malformed import kind");
  expect_malformed(mod({sec(2, vec({cat({str("m"), str("n"), {0x80, 0x00}})}))}), "malformed import kind");
  // Table of i32 elements.
  expect_malformed(mod({sec(2, vec({cat({str("m"), str("n"), {0x01, 0x7F, 0x00, 0x00}})}))}),
                   "malformed reference type");
  expect_malformed(mod({sec(2, vec({cat({str("m"), str("n"), {0x03, 0x7F, 0x02}})}))}),
                   "malformed mutability");
  expect_malformed(mod({sec(2, vec({cat({str("m"), str("n"), {0x03, 0x7F, 0xFF}})}))}),
                   "malformed mutability");
  DecodeLimits lim;
  lim.max_imports = 1;
  expect_malformed(mod({sec(2, vec({cat({str("m"), str("a"), {0x00, 0x00}}),
                                    cat({str("m"), str("b"), {0x00, 0x00}})}))}),
                   "too many imports", lim);
}

TEST(Decode, FunctionTableMemorySections) {
  Module m = expect_ok(mod({sec(4, vec({{0x70, 0x00, 0x00}, {0x6F, 0x01, 0x01, 0x80, 0x01}})),
                            sec(5, vec({{0x01, 0x00, 0x80, 0x80, 0x04}}))}));
  ASSERT_EQ(m.tables.size(), 2u);
  EXPECT_EQ(m.tables[1].elem, ValType::ExternRef);
  EXPECT_EQ(m.tables[1].limits.max, std::optional<uint32_t>(128));
  ASSERT_EQ(m.memories.size(), 1u);
  EXPECT_EQ(m.memories[0].limits.max, std::optional<uint32_t>(65536));

  expect_malformed(mod({sec(4, vec({{0x7F, 0x00, 0x00}}))}), "malformed reference type");
  expect_malformed(mod({sec(4, vec({{0x70, 0x02, 0x00}}))}), "integer too large");
  expect_malformed(mod({sec(5, vec({{0x02, 0x00}}))}), "integer too large");
  expect_malformed(mod({sec(5, vec({{0x03, 0x00, 0x00}}))}), "integer too large");  // shared
  expect_malformed(mod({sec(5, vec({{0x81, 0x00, 0x00}}))}), "integer representation too long");
  expect_malformed(mod({sec(5, vec({{0x01, 0x00}}))}), "unexpected end");
}

TEST(Decode, GlobalSectionAndConstExprs) {
  Module m = expect_ok(mod({sec(6, vec({{0x7F, 0x00, 0x41, 0x7F, 0x0B},              // i32 -1
                                        {0x7F, 0x01, 0x41, 0xFF, 0xFF, 0xFF, 0xFF, 0x07, 0x0B},
                                        {0x7D, 0x00, 0x43, 0x00, 0x00, 0x80, 0x3F, 0x0B},  // 1.0f
                                        {0x6F, 0x00, 0xD0, 0x6F, 0x0B},              // ref.null extern
                                        {0x7E, 0x00, 0x23, 0x05, 0x0B}}))}));          // global.get 5
  ASSERT_EQ(m.global_inits.size(), 5u);
  EXPECT_EQ(m.global_inits[0].bits, 0xFFFFFFFFu);
  EXPECT_EQ(m.global_inits[1].bits, 0x7FFFFFFFu);
  EXPECT_TRUE(m.globals[1].mut);
  EXPECT_EQ(m.global_inits[2].op, ConstExpr::Op::F32Const);
  EXPECT_EQ(m.global_inits[2].bits, 0x3F800000u);
  EXPECT_EQ(m.global_inits[3].op, ConstExpr::Op::RefNull);
  EXPECT_EQ(m.global_inits[3].ref_type, ValType::ExternRef);
  EXPECT_EQ(m.global_inits[4].op, ConstExpr::Op::GlobalGet);
  EXPECT_EQ(m.global_inits[4].index, 5u);
  EXPECT_EQ(m.global_inits[0].offset, 8u + 2 + 1 + 2);  // header, section id+size, count, type+mut

  auto global = [](Bytes expr) { return mod({sec(6, vec({cat({{0x7F, 0x00}, expr})}))}); };
  expect_malformed(mod({sec(6, vec({{0x7F, 0x02, 0x41, 0x00, 0x0B}}))}), "malformed mutability");
  expect_invalid(global({0x41, 0x00, 0x68, 0x0B}), "constant expression required");  // i32.ctz
  expect_invalid(global({0x01, 0x0B}), "constant expression required");              // nop
  expect_invalid(global({0x20, 0x00, 0x0B}), "constant expression required");        // local.get
  expect_invalid(global({0xFC, 0x00, 0x0B}), "constant expression required");        // trunc_sat
  expect_invalid(global({0x0B}), "type mismatch");                                    // empty
  expect_invalid(global({0x41, 0x00, 0x41, 0x00, 0x0B}), "type mismatch");            // two values
  expect_malformed(global({0x06, 0x0B}), "illegal opcode");
  expect_malformed(global({0x41, 0x00, 0xF3, 0x0B}), "illegal opcode");
  expect_malformed(global({0xFC, 0x20, 0x0B}), "illegal opcode");
  expect_malformed(global({0xD0, 0x7F, 0x0B}), "malformed reference type");
  // A missing `end` runs into the section's end.
  expect_malformed(global({0x41, 0x00}), "unexpected end");
  expect_malformed(global({0x44, 0x00, 0x00}), "unexpected end");
}

TEST(Decode, ExportAndStartSections) {
  Module m = expect_ok(mod({sec(7, vec({cat({str("t"), {0x01, 0x00}}), cat({str("g"), {0x03, 0x02}})})),
                            sec(8, u(7))}));
  ASSERT_EQ(m.exports.size(), 2u);
  EXPECT_EQ(m.exports[0].kind, ExternKind::Table);
  EXPECT_EQ(m.exports[1].kind, ExternKind::Global);
  EXPECT_EQ(m.exports[1].index, 2u);
  EXPECT_EQ(m.start, std::optional<uint32_t>(7));
  expect_malformed(mod({sec(7, vec({cat({str("x"), {0x04, 0x00}})}))}), "malformed export kind");
  expect_malformed(mod({sec(8, {})}), "unexpected end");
}

// The eight element segment encodings.
TEST(Decode, ElementEncodings) {
  const Bytes off = {0x41, 0x03, 0x0B};                // i32.const 3
  const Bytes rf = {0xD2, 0x00, 0x0B};                 // ref.func 0
  const Bytes rnull = {0xD0, 0x70, 0x0B};              // ref.null func
  Module m = expect_ok(mod({sec(9, vec({
      cat({{0x00}, off, vec({{0x00}, {0x01}})}),                // 0: active, table 0, funcidx
      cat({{0x01, 0x00}, vec({{0x02}})}),                       // 1: passive, elemkind, funcidx
      cat({{0x02, 0x01}, off, {0x00}, vec({{0x00}})}),          // 2: active table 1, funcidx
      cat({{0x03, 0x00}, vec({{0x05}})}),                       // 3: declarative, funcidx
      cat({{0x04}, off, vec({rf, rnull})}),                     // 4: active, table 0, exprs
      cat({{0x05, 0x6F}, vec({{0xD0, 0x6F, 0x0B}})}),           // 5: passive, reftype, exprs
      cat({{0x06, 0x02}, off, {0x70}, vec({rf})}),              // 6: active table 2, exprs
      cat({{0x07, 0x70}, vec({rf})}),                           // 7: declarative, exprs
  }))}));
  ASSERT_EQ(m.elems.size(), 8u);
  using Mode = ElemSegment::Mode;
  const Mode modes[8] = {Mode::Active, Mode::Passive, Mode::Active, Mode::Declarative,
                         Mode::Active, Mode::Passive, Mode::Active, Mode::Declarative};
  const uint32_t tables[8] = {0, 0, 1, 0, 0, 0, 2, 0};
  for (int i = 0; i < 8; ++i) {
    SCOPED_TRACE(i);
    EXPECT_EQ(m.elems[i].mode, modes[i]);
    EXPECT_EQ(m.elems[i].table, tables[i]);
    if (modes[i] == Mode::Active) {
      EXPECT_EQ(m.elems[i].offset.op, ConstExpr::Op::I32Const);
      EXPECT_EQ(m.elems[i].offset.bits, 3u);
    }
    EXPECT_EQ(m.elems[i].type, i == 5 ? ValType::ExternRef : ValType::FuncRef);
    EXPECT_EQ(m.bytes[m.elems[i].section_offset], i);
  }
  ASSERT_EQ(m.elems[0].init.size(), 2u);
  EXPECT_EQ(m.elems[0].init[1].op, ConstExpr::Op::RefFunc);
  EXPECT_EQ(m.elems[0].init[1].index, 1u);
  EXPECT_EQ(m.elems[1].init[0].index, 2u);
  EXPECT_EQ(m.elems[3].init[0].index, 5u);
  ASSERT_EQ(m.elems[4].init.size(), 2u);
  EXPECT_EQ(m.elems[4].init[0].op, ConstExpr::Op::RefFunc);
  EXPECT_EQ(m.elems[4].init[1].op, ConstExpr::Op::RefNull);
  EXPECT_EQ(m.elems[5].init[0].ref_type, ValType::ExternRef);
  EXPECT_EQ(m.bytes[m.elems[0].init[0].offset], 0x00);

  expect_malformed(mod({sec(9, vec({cat({{0x08}, off, vec({})})}))}), "malformed elements segment kind");
  expect_malformed(mod({sec(9, vec({cat({{0x01, 0x01}, vec({{0x00}})})}))}), "malformed element kind");
  expect_malformed(mod({sec(9, vec({cat({{0x05, 0x7F}, vec({rf})})}))}), "malformed reference type");
  expect_malformed(mod({sec(9, vec({cat({{0x05, 0x70}, vec({{0xF3, 0x00, 0x0B}})})}))}), "illegal opcode");
  expect_invalid(mod({sec(9, vec({cat({{0x05, 0x70}, vec({{0x41, 0x00, 0x0B}, {0x00, 0x0B}})})}))}),
                 "constant expression required");
  DecodeLimits lim;
  lim.max_segment_elems = 1;
  expect_malformed(mod({sec(9, vec({cat({{0x00}, off, vec({{0x00}, {0x01}})})}))}),
                   "too many segment elements", lim);
}

// The three data segment encodings, with and without a data count section.
TEST(Decode, DataEncodings) {
  Module m = expect_ok(mod({kMemory, sec(12, u(3)),
                            sec(11, vec({cat({{0x00, 0x41, 0x10, 0x0B}, str("ab")}),
                                         cat({{0x01}, str("")}),
                                         cat({{0x02, 0x01, 0x42, 0x05, 0x0B}, str("xyz")})}))}));
  EXPECT_EQ(m.data_count, std::optional<uint32_t>(3));
  ASSERT_EQ(m.datas.size(), 3u);
  EXPECT_EQ(m.datas[0].mode, DataSegment::Mode::Active);
  EXPECT_EQ(m.datas[0].memory, 0u);
  EXPECT_EQ(m.datas[0].offset.bits, 16u);
  EXPECT_EQ(m.datas[0].data_size, 2u);
  EXPECT_EQ(m.bytes[m.datas[0].data_offset], 'a');
  EXPECT_EQ(m.datas[1].mode, DataSegment::Mode::Passive);
  EXPECT_EQ(m.datas[1].data_size, 0u);
  EXPECT_EQ(m.datas[2].mode, DataSegment::Mode::Active);
  EXPECT_EQ(m.datas[2].memory, 1u);
  EXPECT_EQ(m.datas[2].offset.op, ConstExpr::Op::I64Const);
  EXPECT_EQ(m.bytes[m.datas[2].data_offset + 2], 'z');
  EXPECT_EQ(m.bytes[m.datas[2].section_offset], 0x02);

  expect_malformed(mod({sec(11, vec({cat({{0x03}, str("")})}))}), "malformed data segment kind");
  // Data shorter than its declared size.
  expect_malformed(mod({sec(11, vec({{0x01, 0x05, 'a', 'b'}}))}), "unexpected end");
}

TEST(Decode, DataCountMismatch) {
  const Bytes data1 = sec(11, vec({cat({{0x01}, str("a")})}));
  expect_malformed(mod({sec(12, u(2)), data1}), "data count and data section have inconsistent lengths");
  expect_malformed(mod({sec(12, u(0)), data1}), "data count and data section have inconsistent lengths");
  expect_malformed(mod({kMemory, sec(12, u(1))}), "data count and data section have inconsistent lengths");
  expect_ok(mod({sec(12, u(0))}));
  expect_ok(mod({sec(12, u(1)), data1}));
  expect_ok(data1.empty() ? kHeader : mod({data1}));
}

TEST(Decode, CodeSection) {
  // Locals: 2 x i32, 1 x f64, 0 x i64.
  const Bytes body = {0x08, 0x03, 0x02, 0x7F, 0x01, 0x7C, 0x00, 0x7E, 0x0B};
  Module m = expect_ok(mod({kTypeVoid, kOneFunc, sec(10, vec({body}))}));
  ASSERT_EQ(m.codes.size(), 1u);
  const Code& c = m.codes[0];
  EXPECT_EQ(c.locals.size(), 3u);
  EXPECT_EQ(c.num_locals, 3u);
  EXPECT_EQ(m.bytes[c.body_offset], 0x0B);
  EXPECT_EQ(c.body_end, m.bytes.size());
  EXPECT_EQ(c.body_end, c.body_offset + 1);

  // Local counts add up past the limit, and past 2^32 in 32-bit arithmetic.
  const Bytes many = {0x0A, 0x02, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F, 0x7F, 0x02, 0x7E, 0x0B};
  expect_malformed(mod({kTypeVoid, kOneFunc, sec(10, vec({many}))}), "too many locals");
  DecodeLimits lim;
  lim.max_locals = 4;
  expect_malformed(mod({kTypeVoid, kOneFunc, sec(10, vec({{0x06, 0x02, 0x02, 0x7F, 0x03, 0x7E, 0x0B}}))}),
                   "too many locals", lim);
  // A local count of 2^32 does not fit in u32.
  const Bytes huge = {0x08, 0x01, 0x80, 0x80, 0x80, 0x80, 0x10, 0x7F, 0x0B};
  expect_malformed(mod({kTypeVoid, kOneFunc, sec(10, vec({huge}))}), "integer too large");
  expect_malformed(mod({kTypeVoid, kOneFunc, sec(10, vec({{0x03, 0x01, 0x01, 0x40, 0x0B}}))}),
                   "malformed value type");
  // Entries with no body byte.
  expect_malformed(mod({kTypeVoid, kOneFunc, sec(10, vec({{0x01, 0x00, 0x0B}}))}), "unexpected end");
  expect_malformed(mod({kTypeVoid, kOneFunc, sec(10, vec({{0x00, 0x00, 0x00}}))}), "unexpected end");
  expect_malformed(mod({kTypeVoid, kOneFunc, sec(10, vec({{0x00}}))}), "unexpected end");
  // More entries than bytes left.
  expect_malformed(mod({kTypeVoid, kOneFunc, sec(10, {0x04, 0x02, 0x00, 0x0B})}), "length out of bounds");
  // Entry size past the section.
  expect_malformed(mod({kTypeVoid, kOneFunc, sec(10, vec({{0x05, 0x00, 0x0B}}))}), "unexpected end");

  // Errors inside an entry name the function (index space includes imports).
  Result r = run(mod({kTypeVoid, sec(2, vec({cat({str("m"), str("f"), {0x00, 0x00}})})), kOneFunc,
                      sec(10, vec({{0x03, 0x01, 0x01, 0x40, 0x0B}}))}));
  ASSERT_TRUE(r.err.has_value());
  EXPECT_EQ(r.err->func, std::optional<uint32_t>(1));
  EXPECT_NE(r.err->to_string().find("(function 1)"), std::string::npos);
}

TEST(Decode, FunctionCodeCountMismatch) {
  const char* what = "function and code section have inconsistent lengths";
  expect_malformed(mod({kTypeVoid, sec(3, vec({{0x00}, {0x00}})), kOneBody}), what);
  expect_malformed(mod({kTypeVoid, kOneFunc, sec(10, vec({{0x02, 0x00, 0x0B}, {0x02, 0x00, 0x0B}}))}), what);
  expect_malformed(mod({kTypeVoid, kOneFunc}), what);
  expect_malformed(mod({kTypeVoid, kOneBody}), what);
  expect_ok(mod({sec(3, vec({}))}));
  expect_ok(mod({sec(10, vec({}))}));
  // Imported functions have no code entries.
  expect_ok(mod({kTypeVoid, sec(2, vec({cat({str("m"), str("f"), {0x00, 0x00}})})), kOneFunc, kOneBody}));
}

TEST(Decode, CustomSections) {
  Module m = expect_ok(mod({sec(0, cat({str("first"), {1, 2, 3}})), kTypeVoid,
                            sec(0, str("empty")), sec(0, cat({str("first"), {9}}))}));
  ASSERT_EQ(m.customs.size(), 3u);
  EXPECT_EQ(m.customs[0].name, "first");
  EXPECT_EQ(m.customs[0].data_size, 3u);
  EXPECT_EQ(m.bytes[m.customs[0].data_offset], 1);
  EXPECT_EQ(m.customs[1].data_size, 0u);
  const CustomSection* c = m.custom("first");
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c, &m.customs[0]);
  EXPECT_NE(m.custom("empty"), nullptr);

  expect_malformed(mod({sec(0, {})}), "unexpected end");
  expect_malformed(mod({{0x00}}), "unexpected end");
  // Name longer than the section.
  expect_malformed(mod({sec(0, {0x05, 'a', 'b'})}), "unexpected end");
  // Section longer than the module.
  expect_malformed(mod({{0x00, 0x10, 0x01, 'a'}}), "length out of bounds");
  // Non-minimal LEB128 section size and name length are fine.
  expect_ok(mod({{0x00, 0x83, 0x00, 0x81, 0x00, 'a'}}));
}

TEST(Decode, NameSection) {
  auto names = [](Bytes sub1) {
    return mod({kTypeVoid, sec(3, vec({{0x00}, {0x00}})), sec(10, vec({{0x02, 0x00, 0x0B}, {0x02, 0x00, 0x0B}})),
                sec(0, cat({str("name"), {0x00}, u(2), str("m"), {0x01}, u(sub1.size()), sub1}))});
  };
  Module m = expect_ok(names(vec({cat({u(1), str("second")})})));
  ASSERT_EQ(m.func_names.size(), 2u);
  EXPECT_EQ(m.func_names[0], "");
  EXPECT_EQ(m.func_names[1], "second");

  // Malformed name sections are ignored, never an error.
  EXPECT_TRUE(expect_ok(names(vec({cat({u(2), str("x")})}))).func_names.empty());         // bad index
  EXPECT_TRUE(expect_ok(names(vec({cat({u(0), {0x01, 0xFF}})}))).func_names.empty());   // bad UTF-8
  EXPECT_TRUE(expect_ok(names(cat({u(3), u(0), str("x")}))).func_names.empty());          // truncated
  EXPECT_TRUE(expect_ok(names(cat({vec({cat({u(0), str("x")})}), {0x00}}))).func_names.empty());
  EXPECT_TRUE(expect_ok(mod({sec(0, cat({str("name"), {0x01, 0x7F}}))})).func_names.empty());
  // No name section: no names.
  EXPECT_TRUE(expect_ok(mod({kTypeVoid, kOneFunc, kOneBody})).func_names.empty());
}

// ---- section order and sizes ----------------------------------------------------------

TEST(Decode, SectionOrder) {
  const char* what = "unexpected content after last section";
  expect_malformed(mod({kTypeVoid, kTypeVoid}), what);
  expect_malformed(mod({kOneFunc, kTypeVoid}), what);
  expect_malformed(mod({kMemory, kTable}), what);
  expect_malformed(mod({sec(8, u(0)), sec(8, u(0))}), what);
  expect_malformed(mod({sec(11, vec({})), sec(12, u(0))}), what);   // data count after data
  expect_malformed(mod({sec(10, vec({})), sec(12, u(0))}), what);   // data count after code
  expect_malformed(mod({sec(12, u(0)), sec(9, vec({}))}), what);    // element after data count
  expect_malformed(mod({sec(12, u(0)), sec(12, u(0))}), what);
  // Data count between element and code, customs anywhere.
  expect_ok(mod({sec(0, str("a")), kTypeVoid, sec(0, str("b")), kOneFunc, kTable,
                 sec(9, vec({})), sec(12, u(0)), sec(0, str("c")), kOneBody, sec(11, vec({})),
                 sec(0, str("d"))}));
  // Every section, in order.
  expect_ok(mod({kTypeVoid, sec(2, vec({})), kOneFunc, kTable, kMemory, sec(6, vec({})),
                 sec(7, vec({})), sec(8, u(0)), sec(9, vec({})), sec(12, u(0)), kOneBody,
                 sec(11, vec({}))}));

  expect_malformed(mod({{0x0D, 0x00}}), "malformed section id");
  expect_malformed(mod({{0x7F, 0x00}}), "malformed section id");
  expect_malformed(mod({{0x80, 0x00}}), "malformed section id");
}

TEST(Decode, SectionSizeMismatch) {
  // Content shorter than declared: the extra byte is left over.
  expect_malformed(mod({sec(1, {0x01, 0x60, 0x00, 0x00, 0x00})}), "section size mismatch");
  expect_malformed(mod({sec(8, {0x00, 0x00})}), "section size mismatch");
  expect_malformed(mod({sec(12, {0x00, 0x00})}), "section size mismatch");
  expect_malformed(mod({sec(3, {0x01, 0x00, 0x00})}), "section size mismatch");
  // Content longer than declared: reading runs into the section's end.
  expect_malformed(mod({{0x01, 0x04, 0x01, 0x60, 0x01, 0x7F, 0x00}}), "unexpected end");
  expect_malformed(mod({{0x05, 0x03, 0x01, 0x01, 0x00, 0x01}}), "unexpected end");
  // A count that cannot fit in what is left of the section.
  expect_malformed(mod({{0x05, 0x03, 0x05, 0x00, 0x01}}), "length out of bounds");
  // Declared size past the module.
  expect_malformed(mod({{0x01, 0x07, 0x02, 0x60, 0x00, 0x00}}), "length out of bounds");
  // Truncated section header.
  expect_malformed(mod({{0x01}}), "unexpected end");
  expect_malformed(mod({{0x01, 0x80}}), "unexpected end");
}

// ---- LEB128 ---------------------------------------------------------------------------

TEST(Decode, Leb128) {
  // Non-minimal encodings are fine up to the maximum length.
  Module m = expect_ok(mod({{0x05, 0x07, 0x01, 0x00, 0x82, 0x80, 0x80, 0x80, 0x00}}));
  EXPECT_EQ(m.memories[0].limits.min, 2u);
  // u32: six bytes is too long; a fifth byte with bits past 32 is too large.
  expect_malformed(mod({{0x05, 0x08, 0x01, 0x00, 0x82, 0x80, 0x80, 0x80, 0x80, 0x00}}),
                   "integer representation too long");
  expect_malformed(mod({{0x05, 0x07, 0x01, 0x00, 0x82, 0x80, 0x80, 0x80, 0x10}}), "integer too large");
  expect_malformed(mod({{0x05, 0x07, 0x01, 0x00, 0x82, 0x80, 0x80, 0x80, 0x40}}), "integer too large");
  m = expect_ok(mod({{0x05, 0x07, 0x01, 0x00, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F}}));
  EXPECT_EQ(m.memories[0].limits.min, 0xFFFFFFFFu);
  // Section size as a five-byte LEB128.
  expect_ok(mod({{0x01, 0x81, 0x80, 0x80, 0x80, 0x00, 0x00}}));

  auto i32g = [](Bytes imm) { return mod({sec(6, vec({cat({{0x7F, 0x00, 0x41}, imm, {0x0B}})}))}); };
  auto i64g = [](Bytes imm) { return mod({sec(6, vec({cat({{0x7E, 0x00, 0x42}, imm, {0x0B}})}))}); };
  // s32: the unused bits of the fifth byte must copy the sign bit.
  EXPECT_EQ(expect_ok(i32g({0x80, 0x80, 0x80, 0x80, 0x78})).global_inits[0].bits, 0x80000000u);
  EXPECT_EQ(expect_ok(i32g({0xFF, 0xFF, 0xFF, 0xFF, 0x07})).global_inits[0].bits, 0x7FFFFFFFu);
  EXPECT_EQ(expect_ok(i32g({0xFF, 0xFF, 0xFF, 0xFF, 0x7F})).global_inits[0].bits, 0xFFFFFFFFu);
  EXPECT_EQ(expect_ok(i32g({0xFF, 0x7F})).global_inits[0].bits, 0xFFFFFFFFu);
  expect_malformed(i32g({0x80, 0x80, 0x80, 0x80, 0x70}), "integer too large");
  expect_malformed(i32g({0xFF, 0xFF, 0xFF, 0xFF, 0x0F}), "integer too large");
  expect_malformed(i32g({0xFF, 0xFF, 0xFF, 0xFF, 0x4F}), "integer too large");
  expect_malformed(i32g({0x80, 0x80, 0x80, 0x80, 0x80, 0x00}), "integer representation too long");
  // s64: the tenth byte may only be 0x00 or 0x7F.
  EXPECT_EQ(expect_ok(i64g({0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x7F})).global_inits[0].bits,
            0x8000000000000000u);
  EXPECT_EQ(expect_ok(i64g({0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x00})).global_inits[0].bits,
            0x7FFFFFFFFFFFFFFFu);
  expect_malformed(i64g({0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01}), "integer too large");
  expect_malformed(i64g({0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7E}), "integer too large");
  expect_malformed(i64g({0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00}),
                   "integer representation too long");
  // Cut short.
  expect_malformed(mod({{0x05, 0x03, 0x01, 0x00, 0x82}}), "unexpected end");
}

TEST(Reader, Leb128Widths) {
  const uint8_t s33[] = {0xFF, 0xFF, 0xFF, 0xFF, 0x0F};  // 2^32 - 1 as s33
  Reader r(s33, sizeof s33);
  EXPECT_EQ(r.s33(), 0xFFFFFFFFll);
  EXPECT_TRUE(r.at_end());
  const uint8_t neg[] = {0x40};
  Reader n(neg, 1);
  EXPECT_EQ(n.s33(), -64);
  const uint8_t u64max[] = {0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01};
  Reader u64(u64max, sizeof u64max);
  EXPECT_EQ(u64.u64(), ~uint64_t(0));
  const uint8_t u64big[] = {0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x02};
  Reader big(u64big, sizeof u64big, 100);
  try {
    big.u64();
    FAIL() << "no error";
  } catch (const LoadException& e) {
    EXPECT_EQ(e.error.what, "integer too large");
    EXPECT_EQ(e.error.offset, 110u);
  }
}

// ---- UTF-8 ----------------------------------------------------------------------------

TEST(Decode, Utf8Names) {
  auto custom = [](Bytes name) { return mod({sec(0, cat({u(name.size()), name}))}); };
  auto import = [](Bytes name) {
    return mod({sec(2, vec({cat({str("m"), u(name.size()), name, {0x02, 0x00, 0x00}})}))});
  };
  auto exp = [](Bytes name) { return mod({sec(7, vec({cat({u(name.size()), name, {0x00, 0x00}})}))}); };
  const char* what = "malformed UTF-8 encoding";
  const std::vector<Bytes> bad = {
      {0x80},                    // lone continuation byte
      {0xC2},                    // truncated two-byte form
      {0xC0, 0x80},              // overlong NUL
      {0xC1, 0xBF},              // overlong
      {0xE0, 0x80, 0x80},        // overlong three-byte
      {0xED, 0xA0, 0x80},        // surrogate U+D800
      {0xED, 0xBF, 0xBF},        // surrogate U+DFFF
      {0xE2, 0x82},              // truncated
      {0xF0, 0x80, 0x80, 0x80},  // overlong four-byte
      {0xF4, 0x90, 0x80, 0x80},  // U+110000
      {0xF8, 0x88, 0x80, 0x80, 0x80},
      {0xFE}, {0xFF},
      {'a', 0xE2, 0x28, 0xA1},   // bad continuation
  };
  for (const Bytes& b : bad) {
    SCOPED_TRACE(::testing::PrintToString(b));
    expect_malformed(custom(b), what);
    expect_malformed(import(b), what);
    expect_malformed(exp(b), what);
  }
  const std::vector<Bytes> good = {
      {}, {'a'}, {0x00}, {0x7F}, {0xC2, 0x80}, {0xDF, 0xBF}, {0xE0, 0xA0, 0x80}, {0xED, 0x9F, 0xBF},
      {0xEE, 0x80, 0x80}, {0xEF, 0xBF, 0xBF}, {0xF0, 0x90, 0x80, 0x80}, {0xF4, 0x8F, 0xBF, 0xBF},
  };
  for (const Bytes& b : good) {
    SCOPED_TRACE(::testing::PrintToString(b));
    Module m = expect_ok(custom(b));
    ASSERT_EQ(m.customs.size(), 1u);
    EXPECT_EQ(m.customs[0].name, std::string(b.begin(), b.end()));
    expect_ok(import(b));
    expect_ok(exp(b));
  }
}

// ---- untrusted input ------------------------------------------------------------------

TEST(Decode, BillionFunctionsFailFast) {
  const auto start = std::chrono::steady_clock::now();
  // A function section claiming 10^9 entries in a handful of bytes.
  expect_malformed(mod({sec(3, cat({u(1'000'000'000), {0x00, 0x00}}))}), "length out of bounds");
  for (uint8_t id : {1, 2, 3, 4, 5, 6, 7, 9, 10, 11}) {
    SCOPED_TRACE(int(id));
    Result r = run(mod({sec(id, cat({u(1'000'000'000), {0x00, 0x00, 0x00}}))}));
    ASSERT_TRUE(r.err.has_value());
    EXPECT_EQ(r.err->what, "length out of bounds");
  }
  // Counts that fit in the bytes but exceed the limits.
  DecodeLimits lim;
  lim.max_functions = 3;
  expect_malformed(mod({kTypeVoid, sec(3, vec({{0x00}, {0x00}, {0x00}, {0x00}}))}), "too many functions", lim);
  expect_malformed(mod({kTypeVoid, sec(2, vec({cat({str("m"), str("a"), {0x00, 0x00}}),
                                               cat({str("m"), str("b"), {0x00, 0x00}})})),
                        sec(3, vec({{0x00}, {0x00}}))}),
                   "too many functions", lim);
  lim.max_globals = 1;
  expect_malformed(mod({sec(6, vec({{0x7F, 0x00, 0x41, 0x00, 0x0B}, {0x7F, 0x00, 0x41, 0x00, 0x0B}}))}),
                   "too many globals", lim);
  lim.max_exports = 0;
  expect_malformed(mod({sec(7, vec({cat({str("a"), {0x00, 0x00}})}))}), "too many exports", lim);
  lim.max_segments = 0;
  expect_malformed(mod({sec(11, vec({{0x01, 0x00}}))}), "too many data segments", lim);
  expect_malformed(mod({sec(12, u(1))}), "too many data segments", lim);
  expect_malformed(mod({sec(9, vec({{0x01, 0x00, 0x00}}))}), "too many element segments", lim);
  lim.max_tables = 1;
  expect_malformed(mod({sec(4, vec({{0x70, 0x00, 0x00}, {0x70, 0x00, 0x00}}))}), "too many tables", lim);
  // A local declaration count that cannot fit.
  expect_malformed(mod({kTypeVoid, kOneFunc, sec(10, vec({{0x06, 0x80, 0x94, 0xEB, 0xDC, 0x03, 0x0B}}))}),
                   "length out of bounds");
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
}

// Offsets where sections start and end, so truncation there is a well-formed prefix.
std::vector<size_t> section_boundaries(const Bytes& b) {
  std::vector<size_t> out = {8};
  size_t p = 8;
  while (p < b.size()) {
    ++p;  // id
    uint64_t size = 0;
    unsigned shift = 0;
    while (b[p] & 0x80) size |= uint64_t(b[p++] & 0x7F) << (shift += 7, shift - 7);
    size |= uint64_t(b[p++]) << shift;
    p += size;
    out.push_back(p);
  }
  return out;
}

TEST(Decode, EveryTruncationFails) {
  ASSERT_FALSE(run(kSample).err.has_value());
  const std::vector<size_t> boundaries = section_boundaries(kSample);
  for (size_t n = 0; n < kSample.size(); ++n) {
    SCOPED_TRACE(n);
    Bytes cut(kSample.begin(), kSample.begin() + n);
    Result r = run(cut);
    const bool at_boundary = std::find(boundaries.begin(), boundaries.end(), n) != boundaries.end();
    if (!at_boundary) {
      ASSERT_TRUE(r.err.has_value());
      EXPECT_LE(r.err->offset, n);
    }
  }
}

TEST(Decode, RandomMutationsNeverCrash) {
  std::mt19937 rng(1234);
  int failures = 0;
  for (int i = 0; i < 20000; ++i) {
    Bytes b = kSample;
    const int edits = 1 + static_cast<int>(rng() % 4);
    for (int k = 0; k < edits; ++k) {
      const size_t at = 8 + rng() % (b.size() - 8);
      switch (rng() % 3) {
        case 0: b[at] = static_cast<uint8_t>(rng()); break;
        case 1: b.erase(b.begin() + static_cast<std::ptrdiff_t>(at)); break;
        default: b.insert(b.begin() + static_cast<std::ptrdiff_t>(at), static_cast<uint8_t>(rng())); break;
      }
    }
    Result r = run(b);
    if (r.err) {
      ++failures;
      EXPECT_LE(r.err->offset, b.size());
    }
  }
  EXPECT_GT(failures, 0);
}

// ---- helpers --------------------------------------------------------------------------

TEST(LoadError, ToString) {
  LoadError e{LoadError::Kind::Malformed, "unexpected end", 0x1a3, 4};
  EXPECT_EQ(e.to_string(), "malformed: unexpected end at byte 0x1a3 (function 4)");
  LoadError v{LoadError::Kind::Invalid, "type mismatch", 16, std::nullopt};
  EXPECT_EQ(v.to_string(), "invalid: type mismatch at byte 0x10");
}

TEST(Types, Names) {
  EXPECT_STREQ(isola::to_string(ValType::I32), "i32");
  EXPECT_STREQ(isola::to_string(ValType::I64), "i64");
  EXPECT_STREQ(isola::to_string(ValType::F32), "f32");
  EXPECT_STREQ(isola::to_string(ValType::F64), "f64");
  EXPECT_STREQ(isola::to_string(ValType::V128), "v128");
  EXPECT_STREQ(isola::to_string(ValType::FuncRef), "funcref");
  EXPECT_STREQ(isola::to_string(ValType::ExternRef), "externref");
  EXPECT_STREQ(isola::to_string(ExternKind::Func), "func");
  EXPECT_STREQ(isola::to_string(ExternKind::Table), "table");
  EXPECT_STREQ(isola::to_string(ExternKind::Memory), "memory");
  EXPECT_STREQ(isola::to_string(ExternKind::Global), "global");
  FuncType ft{{ValType::I32, ValType::I32}, {ValType::I64}};
  EXPECT_EQ(ft.to_string(), "(i32, i32) -> (i64)");
  EXPECT_EQ(FuncType{}.to_string(), "() -> ()");
}

// ---- the official spec suite ----------------------------------------------------------

// The JSON form of the spec suite: $ISOLA_SPEC_DIR, or ../shared beside the checkout.
std::optional<std::filesystem::path> spec_dir() {
  namespace fs = std::filesystem;
  if (const char* env = std::getenv("ISOLA_SPEC_DIR")) {
    if (fs::is_directory(env)) return fs::path(env);
  }
  std::error_code ec;
  const fs::path p = fs::path(__FILE__).parent_path() / "../../../shared/spec/wasm-2.0/json";
  if (fs::is_directory(p, ec)) return p;
  return std::nullopt;
}

Bytes slurp(const std::filesystem::path& p) {
  std::ifstream f(p, std::ios::binary);
  return Bytes(std::istreambuf_iterator<char>(f), {});
}

// Every module the suite expects to load must decode; every binary the suite calls
// malformed must fail here unless the fault lies inside a function body (which the
// validator parses); no module the suite calls merely invalid may be called malformed.
TEST(SpecSuite, DecodeBinaries) {
  const auto dir = spec_dir();
  if (!dir) GTEST_SKIP() << "spec suite not found; set ISOLA_SPEC_DIR";
  int modules = 0, malformed = 0, invalid = 0;
  for (const auto& entry : std::filesystem::directory_iterator(*dir)) {
    if (entry.path().extension() != ".json") continue;
    const auto json = nlohmann::json::parse(std::ifstream(entry.path()));
    for (const auto& cmd : json["commands"]) {
      if (!cmd.contains("filename")) continue;
      const std::string type = cmd["type"];
      const std::string file = cmd["filename"];
      if (file.size() < 5 || file.compare(file.size() - 5, 5, ".wasm") != 0) continue;
      SCOPED_TRACE(file);
      Module m;
      const auto err = decode(slurp(*dir / file), m);
      if (type == "module" || type == "assert_unlinkable" || type == "assert_uninstantiable") {
        ++modules;
        // The one exception: v128.const in a constant expression (SIMD is not supported).
        if (err) {
          EXPECT_NE(err->what.find("SIMD"), std::string::npos) << err->to_string();
        }
      } else if (type == "assert_malformed") {
        ++malformed;
        if (!err) {
          EXPECT_FALSE(m.codes.empty()) << "decoded a malformed module: " << cmd["text"];
        }
      } else if (type == "assert_invalid") {
        ++invalid;
        if (err) {
          EXPECT_EQ(err->kind, LoadError::Kind::Invalid) << err->to_string();
        }
      }
    }
  }
  EXPECT_GT(modules, 1000);
  EXPECT_GT(malformed, 100);
  EXPECT_GT(invalid, 100);
}

}  // namespace
}  // namespace isola::wasm
