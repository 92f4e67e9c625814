// Shared pieces of the `isola` command: subcommand entry points, exit codes, and the
// parsing and printing of wasm values on the command line.
#pragma once

#include <chrono>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "isola/engine.hpp"

namespace isola::cli {

// Exit codes shared by every subcommand.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;  // the command ran and found a problem (a bad module, failed tests)
inline constexpr int kExitUsage = 2;    // bad options, unreadable files, unresolvable imports
inline constexpr int kExitTrap = 134;   // the guest trapped (what wasmtime and a SIGABRT'd process report)

// Subcommands. `args` holds the arguments after the subcommand's name.
int cmd_run(std::span<char* const> args);
int cmd_inspect(std::span<char* const> args);
int cmd_wast(std::span<char* const> args);
int cmd_keys(std::span<char* const> args);    // keys.cpp
int cmd_claims(std::span<char* const> args);  // claims.cpp
int cmd_up(std::span<char* const> args);      // up.cpp

// Lower-case wasm text names: "i32", "funcref", "func", "memory".
std::string func_type_string(const FuncType& t);  // "(i32, i32) -> (i64)"
std::string limits_string(const Limits& l);        // "1" or "1..2"

// Parses one command-line argument as a value of type `t`:
//   i32/i64: decimal (signed, or unsigned up to 2^N-1) or 0x hex, with an optional sign;
//   f32/f64: decimal, hex float (0x1.8p3), inf, nan, nan:0xPAYLOAD, with an optional sign;
//   funcref/externref: only "null".
Expected<Value> parse_value(ValType t, std::string_view text);

// The shortest text that reads back as the same bits: integers as signed decimal, floats
// as shortest round-trip decimal, "inf", "nan" (canonical) or "nan:0x..." (other payloads).
std::string format_value(const Value& v);
std::string format_f32_bits(uint32_t bits);
std::string format_f64_bits(uint64_t bits);

// "500ms", "2s", "1.5m", "250us"; a bare number is seconds.
Expected<std::chrono::nanoseconds> parse_duration(std::string_view text);
// "65536", "64KiB", "256MiB", "4GiB" (K/M/G are binary; KB/MB/GB decimal).
Expected<uint64_t> parse_size(std::string_view text);

// `path: message`, unless the message already starts with the path.
std::string with_path(const std::string& path, const std::string& message);

}  // namespace isola::cli
