// Listing of lowered code: "  12: I32AddImm  d=5 a=3 imm=1   @0x1f3".
#include "wasm/interp/disasm.hpp"

#include <cstdio>
#include <cstring>
#include <unordered_map>

namespace isola::interp {

std::string disassemble(const Code& code) {
  static const char* const names[] = {
#define ISOLA_IOP_NAME(name, n) #name,
      ISOLA_IOPS(ISOLA_IOP_NAME)
#undef ISOLA_IOP_NAME
  };
  static const uint32_t widths[] = {
#define ISOLA_IOP_WIDTH(name, n) n,
      ISOLA_IOPS(ISOLA_IOP_WIDTH)
#undef ISOLA_IOP_WIDTH
  };
  std::unordered_map<const void*, size_t> op_of;
  for (bool checked : {false, true}) {
    const void* const* table = handler_table(checked);
    for (size_t i = 0; i < static_cast<size_t>(IOp::Count); ++i) op_of.emplace(table[i], i);
  }

  char buf[256];
  std::snprintf(buf, sizeof buf, "; function %u: %u params, %u locals, %u results, %u slots\n", code.func_index,
                code.num_params, code.num_locals, code.num_results, code.frame_slots);
  std::string out = buf;
  const uint32_t* w = code.words.data();
  size_t n = code.words.size(), pc = 0;
  while (pc < n) {
    const void* h;
    std::memcpy(&h, w + pc, sizeof h);
    auto it = op_of.find(h);
    if (it == op_of.end()) {
      std::snprintf(buf, sizeof buf, "%6zu: <bad handler>\n", pc);
      out += buf;
      break;
    }
    size_t op = it->second;
    uint32_t nw = widths[op];
    if (static_cast<IOp>(op) == IOp::BrTable || static_cast<IOp>(op) == IOp::BrTable_A0)
      nw = 2 + w[pc + kHandlerWords + 1] + 1;
    std::snprintf(buf, sizeof buf, "%6zu: %-16s", pc, names[op]);
    out += buf;
    for (uint32_t k = 0; k < nw && pc + kHandlerWords + k < n; ++k) {
      std::snprintf(buf, sizeof buf, " %d", static_cast<int32_t>(w[pc + kHandlerWords + k]));
      out += buf;
    }
    std::snprintf(buf, sizeof buf, "   @0x%x\n", code.wasm_offset(w + pc));
    out += buf;
    pc += kHandlerWords + nw;
  }
  return out;
}

}  // namespace isola::interp
