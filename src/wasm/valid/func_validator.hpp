// Function-body validation: the spec's validation algorithm (appendix "Validation
// Algorithm") run over a body's bytes in one pass, reading the instructions' immediates
// as it goes (the decoder keeps bodies as byte ranges and never parses them).
//
// One FuncValidator is made per validate() call and reused for every function body, so
// its operand stack, control stack and local tables are allocated once, not per function
// and never per instruction.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "wasm/binary/opcodes.hpp"
#include "wasm/binary/reader.hpp"
#include "wasm/module.hpp"

namespace isola::wasm::valid {

// The operand stack's bottom type: what pops from a polymorphic (unreachable) stack yield.
inline constexpr ValType kUnknown = static_cast<ValType>(0);

// Name of a value type (or "unknown"), for messages. Kept here rather than using the
// public to_string so the validator links on its own.
const char* type_name(ValType t);

class FuncValidator {
 public:
  // `declared_refs[i]` is nonzero when function i may be named by ref.func in a body
  // (the spec's C.refs).
  FuncValidator(const Module& m, const std::vector<uint8_t>& declared_refs);

  // Validates the body of defined function `func_index` (module index space).
  // Throws LoadException.
  void validate(uint32_t func_index);

 private:
  struct Frame {
    const ValType* params;
    const ValType* results;
    uint32_t nparams;
    uint32_t nresults;
    uint32_t height;          // operand stack height when the frame was entered
    uint32_t br_table_mark;   // last br_table that checked this label (see br_table)
    uint8_t kind;             // op::Block, op::Loop, op::If or op::Else
    bool unreachable;         // rest of the frame is dead code: the stack is polymorphic
    // A branch to a loop goes back to its start and takes its parameters.
    const ValType* label() const { return kind == op::Loop ? params : results; }
    uint32_t nlabel() const { return kind == op::Loop ? nparams : nresults; }
  };
  struct BlockSig {
    const ValType* params;
    const ValType* results;
    uint32_t nparams;
    uint32_t nresults;
  };

  void setup_locals(const FuncType& ft, const Code& code);
  ValType local_type(uint32_t index);
  ValType local_type_slow(uint32_t index);
  void read_block_type(Reader& r, BlockSig& sig);
  ValType read_value_type(Reader& r);
  void read_memarg(Reader& r, uint32_t natural_align);
  void zero_byte(Reader& r);
  void need_memory();
  void check_data_index(uint32_t index);
  uint32_t label_depth(Reader& r);
  void check_table(uint32_t index);

  // Operand stack.
  void grow(size_t need);
  void push(ValType t);
  void push_vals(const ValType* ts, uint32_t n);
  ValType pop_any();
  void pop(ValType expect);
  void pop_vals(const ValType* ts, uint32_t n);
  void pop_vals_slow(const ValType* ts, uint32_t n);
  void push_ctrl(uint8_t kind, const ValType* params, uint32_t np, const ValType* results,
                 uint32_t nr);
  Frame pop_ctrl();
  void set_unreachable();
  void br_table(Reader& r);

  // Errors at the current instruction.
  [[noreturn]] void invalid(std::string what) const;
  [[noreturn]] void malformed(std::string what) const;
  [[noreturn]] void mismatch(ValType expected, ValType found) const;
  [[noreturn]] void underflow(ValType expected) const;

  const Module& m_;
  const std::vector<uint8_t>& refs_;
  // The operand stack: vals_[0, nvals_) over the storage of store_. height_ and
  // unreachable_ mirror the innermost frame's fields.
  std::vector<ValType> store_;
  ValType* vals_ = nullptr;
  uint32_t nvals_ = 0;
  size_t cap_ = 0;
  uint32_t height_ = 0;
  bool unreachable_ = false;
  std::vector<Frame> ctrls_;
  std::vector<ValType> scratch_;

  // Locals: the first ones expanded into `flat_`; the rest found by binary search over
  // the declarations, so a function declaring 50,000 locals in three bytes costs nothing.
  std::vector<ValType> flat_;
  std::vector<uint32_t> decl_ends_;  // cumulative counts of the local declarations
  std::vector<ValType> decl_types_;
  const ValType* params_ = nullptr;
  uint32_t nparams_ = 0;
  uint64_t nlocals_total_ = 0;  // params + declared locals

  uint32_t func_ = 0;
  uint32_t instr_ = 0;  // offset of the instruction being checked
  uint32_t br_tables_ = 0;
};

}  // namespace isola::wasm::valid
