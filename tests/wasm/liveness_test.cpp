// The liveness search the lowering asks before leaving a local uncomputed
// (src/wasm/interp/liveness.hpp), on hand-assembled function bodies: every kind of path it
// follows (fall-through, loop back-edges, both arms of an if, br_table targets, returns),
// and that it answers "may be read" when its budget runs out.
#include "wasm/interp/liveness.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

namespace {

using isola::interp::LocalLiveness;
constexpr uint32_t kFn = LocalLiveness::kFunction;

// Opcodes and immediates used below.
constexpr uint8_t kBlock = 0x02, kLoop = 0x03, kIf = 0x04, kElse = 0x05, kEnd = 0x0B, kBr = 0x0C,
                  kBrIf = 0x0D, kBrTable = 0x0E, kReturn = 0x0F, kDrop = 0x1A, kGet = 0x20, kSet = 0x21,
                  kConst = 0x41, kVoid = 0x40;

class LivenessTest : public ::testing::Test {
 protected:
  // Asks about `local` from offset `at` inside the block whose opcode is at `header`. The
  // body sits at module offset 100, so offsets are checked to be module offsets.
  bool may_read(const std::vector<uint8_t>& body, uint32_t local, uint32_t at, uint32_t header = kFn) {
    live_.reset(body.data(), static_cast<uint32_t>(body.size()), 100);
    return live_.may_read(local, at + 100, header == kFn ? kFn : header + 100);
  }
  LocalLiveness live_;
};

TEST_F(LivenessTest, StraightLineWriteBeforeRead) {
  const std::vector<uint8_t> body = {kGet, 0, kSet, 1, kGet, 1, kDrop, kEnd};
  EXPECT_FALSE(may_read(body, 1, 0));  // set at 2, read at 4 reads the new value
  EXPECT_TRUE(may_read(body, 0, 0));
  EXPECT_TRUE(may_read(body, 1, 4));
  EXPECT_FALSE(may_read(body, 1, 6));  // after the last read: the function returns
  EXPECT_FALSE(may_read(body, 7, 0));  // never touched
}

TEST_F(LivenessTest, LoopBackEdgeReachesReadsBeforeThePoint) {
  // 0: loop; 2: get 1; 4: drop; 5: get 0; 7: br_if 0; 9: const 0; 11: set 1; 13: end; 14: end
  std::vector<uint8_t> body = {kLoop, kVoid, kGet, 1, kDrop, kGet, 0, kBrIf, 0, kConst, 0, kSet, 1, kEnd, kEnd};
  EXPECT_TRUE(may_read(body, 1, 5, 0));  // the back-edge goes to the read at 2
  body[8] = 1;                           // br_if 1: out of the function, a return
  EXPECT_FALSE(may_read(body, 1, 5, 0));
}

TEST_F(LivenessTest, BothArmsOfAnIf) {
  // 0: get 0; 2: if; 4: const 0; 6: set 1; 8: else; 9: get 1; 11: drop; 12: end; 13: end
  std::vector<uint8_t> body = {kGet, 0, kIf, kVoid, kConst, 0, kSet, 1, kElse, kGet, 1, kDrop, kEnd, kEnd};
  EXPECT_TRUE(may_read(body, 1, 0));  // the else arm reads it
  body[10] = 2;                       // the else arm reads local 2 instead
  EXPECT_FALSE(may_read(body, 1, 0));
  EXPECT_TRUE(may_read(body, 2, 0));
  // 0: get 0; 2: if; 4: get 1; 6: drop; 7: end; 8: const 0; 10: set 1; 12: end
  const std::vector<uint8_t> no_else = {kGet, 0, kIf, kVoid, kGet, 1, kDrop, kEnd, kConst, 0, kSet, 1, kEnd};
  EXPECT_TRUE(may_read(no_else, 1, 0));
  EXPECT_FALSE(may_read(no_else, 1, 7, 2));  // from the if's end on: set first
  // A condition false skips the then arm's write: the read after the if sees the old value.
  const std::vector<uint8_t> skip = {kGet, 0, kIf, kVoid, kConst, 0, kSet, 1, kEnd, kGet, 1, kDrop, kEnd};
  EXPECT_TRUE(may_read(skip, 1, 0));
}

TEST_F(LivenessTest, BranchesLeaveBlocksAndReturn) {
  // 0: block; 2: block; 4: get 0; 6: br_table [0] 1; 10: end; 11: get 1; 13: drop; 14: end;
  // 15: end
  std::vector<uint8_t> body = {kBlock, kVoid, kBlock, kVoid, kGet, 0, kBrTable, 1, 0, 1, kEnd,
                               kGet, 1, kDrop, kEnd, kEnd};
  EXPECT_TRUE(may_read(body, 1, 4, 2));  // target 0 ends the inner block: the read at 11
  body[8] = 1;                           // both targets leave the outer block: no read
  EXPECT_FALSE(may_read(body, 1, 4, 2));
  // 0: block; 2: br 0; 4: get 1; 6: drop; 7: end; 8: return; 9: end (the read is dead code)
  const std::vector<uint8_t> br = {kBlock, kVoid, kBr, 0, kGet, 1, kDrop, kEnd, kReturn, kEnd};
  EXPECT_FALSE(may_read(br, 1, 2, 0));
}

TEST_F(LivenessTest, AnsweringWithoutAllPathsFollowedMeansMayRead) {
  // A long run of instructions, then the read: past the budget, the answer must be "may read".
  std::vector<uint8_t> body;
  for (uint32_t i = 0; i < LocalLiveness::kBudget + 10; ++i) {
    body.push_back(kGet);
    body.push_back(0);
    body.push_back(kDrop);
  }
  body.insert(body.end(), {kGet, 1, kDrop, kEnd});
  EXPECT_TRUE(may_read(body, 1, 0));
  body[body.size() - 3] = 2;  // read local 2 instead: still not followed to the end, so still true
  EXPECT_TRUE(may_read(body, 1, 0));
}

TEST_F(LivenessTest, ABodysSearchesShareOneAllowance) {
  // 0: get 0; 2: drop; ... then set 1: local 1 is dead everywhere. Searches from the start
  // read the whole body; after enough of them, the answers turn to "may read" unasked.
  std::vector<uint8_t> body;
  for (int i = 0; i < 200; ++i) body.insert(body.end(), {kGet, 0, kDrop});
  body.insert(body.end(), {kConst, 0, kSet, 1, kEnd});
  live_.reset(body.data(), static_cast<uint32_t>(body.size()), 100);
  EXPECT_FALSE(live_.may_read(1, 100, kFn));  // 402 instructions read: over a sixteenth of 605
  EXPECT_TRUE(live_.may_read(1, 100, kFn));
  live_.reset(body.data(), static_cast<uint32_t>(body.size()), 100);  // a new body: a new allowance
  EXPECT_FALSE(live_.may_read(1, 100, kFn));
}

}  // namespace
