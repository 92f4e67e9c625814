// Whether a local's current value may still be read, asked by the lowering before it
// computes a value into a local only for nobody to need it (lower.cpp, local aliases).
//
// A search over the paths of one validated function body, from an instruction onwards: a
// path stops where it writes the local, leaves the function or reaches code seen before,
// and the answer is "may be read" as soon as one path reads it. Wasm's structured control
// makes the paths easy to follow once each block's `else` and `end` are known; they are
// found by one pass over the body on the first question. Each search is bounded
// (kBudget instructions) and answers "may be read" when it runs out, and once the searches
// in a body have read as many instructions as a sixteenth of its bytes, every answer is
// "may be read": lowering stays linear in the body's size.
#pragma once

#include <cstdint>
#include <vector>

namespace isola::interp {

class LocalLiveness {
 public:
  // The body's bytes (locals declarations already skipped), `base` the module offset of
  // body[0]. Positions below are module offsets.
  LocalLiveness() = default;
  // Starts on another body, keeping the storage.
  void reset(const uint8_t* body, uint32_t size, uint32_t base) {
    body_ = body;
    size_ = size;
    base_ = base;
    mapped_ = false;
    spent_ = 0;
  }

  // False only if every path from the instruction at `at` writes `local` before reading it
  // or returns. `header` is the offset of the innermost block/loop/if opcode enclosing
  // `at`, or kFunction at the function's own level.
  bool may_read(uint32_t local, uint32_t at, uint32_t header);

  static constexpr uint32_t kFunction = UINT32_MAX;
  static constexpr uint32_t kBudget = 1024;  // instructions read per question

 private:
  struct Block {
    uint32_t header;    // the block/loop/if opcode
    uint32_t body;      // the first instruction inside
    uint32_t else_at;   // If: its `else` opcode, or 0
    uint32_t end_at;    // its `end` opcode
    int32_t parent;     // enclosing block, -1 for the function
    bool loop;
  };
  void map_blocks();
  int32_t block_at(uint32_t header) const;
  int32_t target(uint32_t depth, int32_t from) const;
  void follow_branch(int32_t target);
  bool first_visit(uint32_t at);

  const uint8_t* body_ = nullptr;
  uint32_t size_ = 0, base_ = 0;
  uint32_t spent_ = 0;  // instructions read by this body's searches
  bool mapped_ = false;
  std::vector<Block> blocks_;                       // in order of their headers
  std::vector<std::pair<uint32_t, int32_t>> work_;  // (offset, block) of paths to follow
  std::vector<int32_t> enclosing_;                  // a br_table's blocks, innermost first
  std::vector<int32_t> open_;                       // map_blocks: the blocks around it
  // Instructions followed in this search: an open-addressing set of (search << 32 | offset),
  // where entries of earlier searches count as empty, so it is never cleared.
  std::vector<uint64_t> seen_;
  uint32_t search_ = 0;
};

}  // namespace isola::interp
