#include "wasm/interp/liveness.hpp"

#include <algorithm>

#include "wasm/binary/immediates.hpp"
#include "wasm/binary/opcodes.hpp"
#include "wasm/binary/reader.hpp"

namespace isola::interp {
namespace {
namespace op = wasm::op;
constexpr size_t kSeenSlots = 2 * LocalLiveness::kBudget;  // a power of two, at most half full
}  // namespace

void LocalLiveness::map_blocks() {
  blocks_.clear();
  open_.clear();
  const uint8_t* p = body_;
  const uint8_t* const end = body_ + size_;
  while (p < end) {
    const uint32_t at = base_ + static_cast<uint32_t>(p - body_);
    const uint8_t o = *p++;
    switch (o) {
      case op::Block: case op::Loop: case op::If:
        p = wasm::skip_immediates(p, end, o);
        blocks_.push_back(Block{at, base_ + static_cast<uint32_t>(p - body_), 0, 0,
                                open_.empty() ? -1 : open_.back(), o == op::Loop});
        open_.push_back(static_cast<int32_t>(blocks_.size() - 1));
        break;
      case op::Else:
        if (!open_.empty()) blocks_[static_cast<size_t>(open_.back())].else_at = at;
        break;
      case op::End:
        if (open_.empty()) {  // the function's own end
          mapped_ = true;
          return;
        }
        blocks_[static_cast<size_t>(open_.back())].end_at = at;
        open_.pop_back();
        break;
      default:
        p = wasm::skip_immediates(p, end, o);
    }
  }
  mapped_ = true;
}

int32_t LocalLiveness::block_at(uint32_t header) const {
  auto it = std::lower_bound(blocks_.begin(), blocks_.end(), header,
                             [](const Block& b, uint32_t h) { return b.header < h; });
  return it != blocks_.end() && it->header == header ? static_cast<int32_t>(it - blocks_.begin()) : -2;
}

// A branch to block t continues at a loop's head or at a block's `end` (which then leaves
// it); to the function's label (t < 0), it returns.
void LocalLiveness::follow_branch(int32_t t) {
  if (t < 0) return;
  const Block& b = blocks_[static_cast<size_t>(t)];
  work_.emplace_back(b.loop ? b.body : b.end_at, t);
}

// The block a branch of relative depth `depth` inside block `from` targets.
int32_t LocalLiveness::target(uint32_t depth, int32_t from) const {
  int32_t t = from;
  for (uint32_t i = 0; i < depth && t >= 0; ++i) t = blocks_[static_cast<size_t>(t)].parent;
  return t;
}

bool LocalLiveness::first_visit(uint32_t at) {
  const uint64_t key = (static_cast<uint64_t>(search_) << 32) | at;
  size_t i = (at * 0x9E3779B1u) & (kSeenSlots - 1);
  for (;;) {
    uint64_t& s = seen_[i];
    if (s == key) return false;
    if (s >> 32 != search_) {
      s = key;
      return true;
    }
    i = (i + 1) & (kSeenSlots - 1);
  }
}

bool LocalLiveness::may_read(uint32_t local, uint32_t at, uint32_t header) {
  if (!mapped_) map_blocks();
  if (spent_ > size_ / 16) return true;  // lowering stays linear in the body's size
  int32_t start = -1;
  if (header != kFunction) {
    start = block_at(header);
    if (start < 0) return true;  // not a block this map knows: assume the worst
  }
  if (seen_.empty() || ++search_ == 0) {  // a new set, or tags about to repeat
    seen_.assign(kSeenSlots, 0);
    search_ = 1;
  }
  work_.clear();
  work_.emplace_back(at, start);
  uint32_t budget = kBudget;
  struct Charge {  // whatever way the search ends
    uint32_t& spent;
    const uint32_t& budget;
    ~Charge() { spent += kBudget - budget; }
  } charge{spent_, budget};
  while (!work_.empty()) {
    auto [from, b] = work_.back();
    work_.pop_back();
    wasm::Reader r(body_ + (from - base_), size_ - (from - base_), from);
    bool on = true;  // this path goes on with the next instruction
    while (on) {
      const uint32_t here = r.offset();
      if (!first_visit(here)) break;  // followed already, from here on
      if (--budget == 0) return true;
      const uint8_t o = r.u8();
      switch (o) {
        case op::LocalGet:
          if (r.u32() == local) return true;
          break;
        case op::LocalSet: case op::LocalTee:
          if (r.u32() == local) on = false;  // written before any read on this path
          break;
        case op::Block: case op::Loop:
          wasm::skip_immediates(r, o);
          b = block_at(here);
          if (b < 0) return true;
          break;
        case op::If: {
          wasm::skip_immediates(r, o);
          b = block_at(here);
          if (b < 0) return true;
          const Block& blk = blocks_[static_cast<size_t>(b)];
          work_.emplace_back(blk.else_at ? blk.else_at + 1 : blk.end_at, b);  // condition false
          break;
        }
        case op::Else:  // the end of the `then` arm: on to the `end`
          work_.emplace_back(blocks_[static_cast<size_t>(b)].end_at, b);
          on = false;
          break;
        case op::End:
          if (b < 0) {  // the function's end: it returns
            on = false;
            break;
          }
          b = blocks_[static_cast<size_t>(b)].parent;
          break;
        case op::Br:
          follow_branch(target(r.u32(), b));
          on = false;
          break;
        case op::BrIf:
          follow_branch(target(r.u32(), b));
          break;
        case op::BrTable: {  // switches nest hundreds of blocks: the chain is walked once
          enclosing_.clear();
          for (int32_t t = b; t >= 0; t = blocks_[static_cast<size_t>(t)].parent) enclosing_.push_back(t);
          const uint32_t n = r.u32();
          for (uint32_t i = 0; i <= n; ++i) {
            const uint32_t depth = r.u32();
            follow_branch(depth < enclosing_.size() ? enclosing_[depth] : -1);
          }
          on = false;
          break;
        }
        case op::Return: case op::Unreachable:
          on = false;
          break;
        default:
          wasm::skip_immediates(r, o);
      }
    }
  }
  return false;
}

}  // namespace isola::interp
