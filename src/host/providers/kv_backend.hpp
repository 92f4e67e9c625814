// What a key-value store must do for the keyvalue provider, whatever the backend (SQLite or
// Redis). Semantics follow Redis, which the waSCC provider used: one key space; a key holds
// a string, a list or a set; deleting a key deletes whichever it holds.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "isola/engine.hpp"

namespace isola::host::providers {

struct Done {};  // the success value of operations that return nothing

class KvBackend {
 public:
  virtual ~KvBackend() = default;
  // Implementations are called from many threads at once.

  virtual isola::Expected<std::optional<std::string>> get(std::string_view key) = 0;
  // expires_s = 0: never expires.
  virtual isola::Expected<Done> set(std::string_view key, std::string_view value, uint32_t expires_s) = 0;
  // Atomically adds `delta` to the integer at `key` (a missing key counts as 0) and returns
  // the new value; an error if the value is not an integer or the sum overflows 64 bits.
  virtual isola::Expected<int64_t> add(std::string_view key, int64_t delta) = 0;
  // True if the key existed (as a string, list or set).
  virtual isola::Expected<bool> del(std::string_view key) = 0;
  virtual isola::Expected<bool> exists(std::string_view key) = 0;

  // Pushes onto the front (LPUSH) or the back (RPUSH); returns the new length.
  virtual isola::Expected<int64_t> list_push(std::string_view key, std::string_view value, bool front) = 0;
  // LRANGE: inclusive indices, negative ones count from the end.
  virtual isola::Expected<std::vector<std::string>> list_range(std::string_view key, int64_t start, int64_t stop) = 0;
  // LREM key 0 value: removes every occurrence; returns how many were removed.
  virtual isola::Expected<int64_t> list_remove(std::string_view key, std::string_view value) = 0;

  // Returns how many members were added / removed (0 or 1).
  virtual isola::Expected<int64_t> set_add(std::string_view key, std::string_view member) = 0;
  virtual isola::Expected<int64_t> set_remove(std::string_view key, std::string_view member) = 0;
  virtual isola::Expected<std::vector<std::string>> set_members(std::string_view key) = 0;
  virtual isola::Expected<std::vector<std::string>> set_union(const std::vector<std::string>& keys) = 0;
  virtual isola::Expected<std::vector<std::string>> set_intersection(const std::vector<std::string>& keys) = 0;
};

}  // namespace isola::host::providers
