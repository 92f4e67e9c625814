// Precomputed initial state of an instance's globals and tables (init_image.hpp).
#include "wasm/runtime/init_image.hpp"

#include <algorithm>

#include "wasm/runtime/objects.hpp"

namespace isola::rt {

namespace {

using Op = wasm::ConstExpr::Op;

struct Resolver {
  const std::vector<const FuncInst*>& funcs;
  const std::vector<const GlobalInst*>& globals;

  uint64_t func_ref(uint32_t index) const {
    if (index < funcs.size() && funcs[index]) return reinterpret_cast<uintptr_t>(funcs[index]);
    return own_func_ref(index);
  }
  // The bits of a constant expression, with own functions as image references.
  uint64_t value(const wasm::ConstExpr& e) const {
    switch (e.op) {
      case Op::I32Const:
      case Op::F32Const: return static_cast<uint32_t>(e.bits);
      case Op::I64Const:
      case Op::F64Const: return e.bits;
      case Op::RefNull: return 0;
      case Op::RefFunc: return func_ref(e.index);
      case Op::GlobalGet: return globals[e.index]->value;  // imported and immutable (validated)
    }
    return 0;
  }
};

bool reads_global(const wasm::ElemSegment& seg) {
  return std::any_of(seg.init.begin(), seg.init.end(), [](const wasm::ConstExpr& e) { return e.op == Op::GlobalGet; });
}

}  // namespace

InitImage build_init_image(const wasm::Module& m, const std::vector<const FuncInst*>& imported_funcs,
                           const std::vector<const GlobalInst*>& imported_globals) {
  const Resolver r{imported_funcs, imported_globals};
  InitImage img;

  img.globals.resize(m.globals.size() - m.num_imported_globals);
  for (size_t i = 0; i < img.globals.size(); ++i) {
    const wasm::ConstExpr& e = m.global_inits[i];
    if (e.op == Op::RefFunc && !(e.index < imported_funcs.size() && imported_funcs[e.index]))
      img.global_funcs.emplace_back(static_cast<uint32_t>(i), e.index);
    else
      img.globals[i] = r.value(e);
  }

  img.data_offsets.resize(m.datas.size());
  for (size_t i = 0; i < m.datas.size(); ++i)
    if (m.datas[i].mode == wasm::DataSegment::Mode::Active)
      img.data_offsets[i] = static_cast<uint32_t>(r.value(m.datas[i].offset));

  // Tables: only when no segment can fail or reach outside the instance, and only for
  // tables of a sensible size. A module may declare tables of up to 2^32 - 1 elements;
  // instantiation refuses those against the store's limits before allocating anything,
  // and prelink must not allocate them either.
  uint64_t elements = 0;
  for (uint32_t t = m.num_imported_tables; t < m.tables.size(); ++t) elements += m.tables[t].limits.min;
  if (elements > kMaxImageElements) return img;
  for (const wasm::ElemSegment& seg : m.elems) {
    if (reads_global(seg)) return img;
    if (seg.mode != wasm::ElemSegment::Mode::Active) continue;
    if (seg.table < m.num_imported_tables) return img;
    uint64_t off = static_cast<uint32_t>(r.value(seg.offset));
    if (off + seg.init.size() > m.tables[seg.table].limits.min) return img;
  }
  for (uint32_t t = m.num_imported_tables; t < m.tables.size(); ++t)
    img.tables.emplace_back(m.tables[t].limits.min, 0);
  img.passive.resize(m.elems.size());
  for (size_t i = 0; i < m.elems.size(); ++i) {
    const wasm::ElemSegment& seg = m.elems[i];
    if (seg.mode == wasm::ElemSegment::Mode::Declarative) continue;
    std::vector<uint64_t> refs;
    refs.reserve(seg.init.size());
    for (const wasm::ConstExpr& e : seg.init) refs.push_back(r.value(e));
    if (seg.mode == wasm::ElemSegment::Mode::Passive) {
      img.passive[i] = std::move(refs);
    } else {
      std::vector<uint64_t>& table = img.tables[seg.table - m.num_imported_tables];
      std::copy(refs.begin(), refs.end(), table.begin() + static_cast<uint32_t>(r.value(seg.offset)));
    }
  }
  img.tables_ready = true;
  return img;
}

void materialize_refs(const std::vector<uint64_t>& image, FuncInst* own_funcs, std::vector<uint64_t>& out) {
  out.resize(image.size());
  for (size_t i = 0; i < image.size(); ++i) {
    uint64_t r = image[i];
    out[i] = is_own_func_ref(r) ? reinterpret_cast<uintptr_t>(own_funcs + (r >> 1)) : r;
  }
}

}  // namespace isola::rt
