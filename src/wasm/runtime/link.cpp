// Linking and instantiation: Linker resolves imports once into an InstancePre, which
// works out the initial globals and tables (init_image.hpp) and then creates instances:
// allocates what the module defines, copies the images, initialises memories from the
// data segments, and runs the start function.
#include <map>

#include "isola/engine.hpp"
#include "wasm/interp/exec.hpp"
#include "wasm/runtime/init_image.hpp"
#include "wasm/runtime/objects.hpp"

namespace isola::rt {

// One resolved definition: a store-independent host function, or an object of one store.
struct Definition {
  std::shared_ptr<const HostFunc> host;
  Extern ext;
  StoreData* store = nullptr;
};

struct LinkerData {
  const Engine* engine = nullptr;
  std::map<std::pair<std::string, std::string>, Definition> defs;
};

struct PreData {
  Module module;
  std::vector<Definition> imports;  // in import order
  StoreData* store = nullptr;       // set when an import is an object of a store
  InitImage image;
};

namespace {

StoreData* store_of(const Extern& e) {
  switch (e.kind()) {
    case ExternKind::Func: return e.func().raw()->inst ? e.func().raw()->inst->store : e.func().raw()->store;
    case ExternKind::Table: return e.table().raw()->store;
    case ExternKind::Memory: return e.memory().raw()->store;
    case ExternKind::Global: return e.global().raw()->store;
  }
  return nullptr;
}

std::string limits_str(const Limits& l) {
  return "{min " + std::to_string(l.min) + (l.max ? ", max " + std::to_string(*l.max) : "") + "}";
}

// Import matching (spec: "import subtyping" of limits): the provided object must be at
// least as large as required, and at most as large as the import's maximum allows.
bool limits_match(uint32_t actual_min, const std::optional<uint32_t>& actual_max, const Limits& want) {
  if (actual_min < want.min) return false;
  if (want.max) {
    if (!actual_max || *actual_max > *want.max) return false;
  }
  return true;
}

std::optional<std::string> check_import(const wasm::Module& m, const wasm::Import& imp, const Definition& d) {
  if (d.host) {
    if (imp.kind != ExternKind::Func) return std::string("expected ") + to_string(imp.kind) + ", got a host function";
    const FuncType& want = m.types[imp.func_type];
    if (!(d.host->type == want)) return "expected " + want.to_string() + ", got " + d.host->type.to_string();
    return std::nullopt;
  }
  if (d.ext.kind() != imp.kind)
    return std::string("expected ") + to_string(imp.kind) + ", got " + to_string(d.ext.kind());
  switch (imp.kind) {
    case ExternKind::Func: {
      const FuncType& want = m.types[imp.func_type];
      const FuncType& got = *d.ext.func().raw()->type;
      if (!(got == want)) return "expected " + want.to_string() + ", got " + got.to_string();
      return std::nullopt;
    }
    case ExternKind::Table: {
      TableInst* t = d.ext.table().raw();
      if (t->type.elem != imp.table.elem)
        return std::string("expected ") + to_string(imp.table.elem) + " table, got " + to_string(t->type.elem);
      if (!limits_match(static_cast<uint32_t>(t->elems.size()), t->type.limits.max, imp.table.limits))
        return "table limits " + limits_str(imp.table.limits) + " not satisfied by size " +
               std::to_string(t->elems.size()) + (t->type.limits.max ? " max " + std::to_string(*t->type.limits.max) : "");
      return std::nullopt;
    }
    case ExternKind::Memory: {
      MemoryInst* mem = d.ext.memory().raw();
      if (!limits_match(mem->pages(), mem->type.limits.max, imp.memory.limits))
        return "memory limits " + limits_str(imp.memory.limits) + " not satisfied by " + std::to_string(mem->pages()) +
               " pages" + (mem->type.limits.max ? " max " + std::to_string(*mem->type.limits.max) : "");
      return std::nullopt;
    }
    case ExternKind::Global: {
      GlobalInst* g = d.ext.global().raw();
      if (g->type.type != imp.global.type || g->type.mut != imp.global.mut)
        return std::string("expected ") + (imp.global.mut ? "mut " : "") + to_string(imp.global.type) + ", got " +
               (g->type.mut ? "mut " : "") + to_string(g->type.type);
      return std::nullopt;
    }
  }
  return std::nullopt;
}

uint64_t eval_const(const wasm::ConstExpr& e, const InstanceData& inst) {
  using Op = wasm::ConstExpr::Op;
  switch (e.op) {
    case Op::I32Const:
    case Op::F32Const: return static_cast<uint32_t>(e.bits);
    case Op::I64Const:
    case Op::F64Const: return e.bits;
    case Op::RefNull: return 0;
    case Op::RefFunc: return reinterpret_cast<uintptr_t>(inst.funcs[e.index]);
    case Op::GlobalGet: return inst.globals[e.index]->value;
  }
  return 0;
}

}  // namespace
}  // namespace isola::rt

namespace isola {

Linker::Linker(const Engine& engine) : d_(std::make_unique<rt::LinkerData>()) { d_->engine = &engine; }
Linker::~Linker() = default;
Linker::Linker(const Linker& o) : d_(std::make_unique<rt::LinkerData>(*o.d_)) {}
Linker& Linker::operator=(const Linker& o) {
  d_ = std::make_unique<rt::LinkerData>(*o.d_);
  return *this;
}

Linker& Linker::func(std::string module, std::string name, HostFunc f) {
  rt::Definition d;
  d.host = std::make_shared<const HostFunc>(std::move(f));
  d_->defs[{std::move(module), std::move(name)}] = std::move(d);
  return *this;
}

Linker& Linker::define(std::string module, std::string name, const Extern& e) {
  rt::Definition d;
  d.ext = e;
  d.store = rt::store_of(e);
  d_->defs[{std::move(module), std::move(name)}] = std::move(d);
  return *this;
}

Linker& Linker::define_instance(std::string module, const Instance& inst) {
  for (const auto& [name, e] : inst.exports()) define(module, name, e);
  return *this;
}

Expected<InstancePre> Linker::prelink(const Module& module) const {
  const wasm::Module& m = module.data()->m;
  auto pre = std::make_shared<rt::PreData>(rt::PreData{module, {}, nullptr, {}});
  pre->imports.reserve(m.imports.size());
  for (const wasm::Import& imp : m.imports) {
    auto it = d_->defs.find({imp.module, imp.name});
    if (it == d_->defs.end()) return Error{"unknown import: " + imp.module + "." + imp.name};
    if (auto why = rt::check_import(m, imp, it->second))
      return Error{"incompatible import type for " + imp.module + "." + imp.name + ": " + *why};
    if (it->second.store) {
      if (pre->store && pre->store != it->second.store)
        return Error{"imports come from different stores: " + imp.module + "." + imp.name};
      pre->store = it->second.store;
    }
    pre->imports.push_back(it->second);
  }
  std::vector<const rt::FuncInst*> funcs;
  std::vector<const rt::GlobalInst*> globals;
  for (size_t i = 0; i < m.imports.size(); ++i) {
    const rt::Definition& d = pre->imports[i];
    if (m.imports[i].kind == ExternKind::Func) funcs.push_back(d.host ? nullptr : d.ext.func().raw());
    if (m.imports[i].kind == ExternKind::Global) globals.push_back(d.ext.global().raw());
  }
  pre->image = rt::build_init_image(m, funcs, globals);
  return InstancePre(std::move(pre));
}

const Module& InstancePre::module() const { return d_->module; }

Expected<Instance, InstancePre::InstantiateError> InstancePre::instantiate(Store& store) const {
  const rt::PreData& p = *d_;
  const std::shared_ptr<const rt::ModuleData>& md = p.module.data();
  const wasm::Module& m = md->m;
  rt::StoreData& sd = *store.raw();
  if (p.store && p.store != &sd)
    return InstantiateError{"module was linked against objects of another store", std::nullopt};

  if (md->bounds_checks != (sd.engine->config().memory_mode == Engine::MemoryMode::BoundsChecks))
    return InstantiateError{"module was loaded by an engine with another memory mode than the store's",
                            std::nullopt};
  if (sd.instances.size() >= sd.limits.max_instances)
    return InstantiateError{"the store's limit of " + std::to_string(sd.limits.max_instances) +
                                " instances is reached",
                            std::nullopt};
  if (m.tables.size() - m.num_imported_tables > sd.limits.max_tables - std::min(sd.limits.max_tables, sd.num_tables))
    return InstantiateError{"the store's limit of " + std::to_string(sd.limits.max_tables) + " tables is reached",
                            std::nullopt};

  // The instance joins the store before anything can trap: a failed instantiation may
  // already have written its functions into an imported table, where they stay callable.
  sd.instances.push_back(std::make_unique<rt::InstanceData>());
  rt::InstanceData& inst = *sd.instances.back();
  inst.module = md;
  inst.store = &sd;

  try {
    inst.own_funcs = std::make_unique<rt::FuncInst[]>(m.funcs.size());
    inst.funcs.resize(m.funcs.size());
    inst.own_globals = std::make_unique<rt::GlobalInst[]>(m.globals.size());
    inst.globals.resize(m.globals.size());

    // Imports.
    size_t fi = 0;
    for (size_t i = 0; i < m.imports.size(); ++i) {
      const wasm::Import& imp = m.imports[i];
      const rt::Definition& d = p.imports[i];
      switch (imp.kind) {
        case ExternKind::Func:
          if (d.host) {
            rt::FuncInst& f = inst.own_funcs[fi];
            f.host = d.host;
            f.type = &d.host->type;
            f.type_id = md->type_ids[imp.func_type];
            f.store = &sd;
            inst.funcs[fi] = &f;
          } else {
            inst.funcs[fi] = d.ext.func().raw();
          }
          ++fi;
          break;
        case ExternKind::Table: inst.tables.push_back(d.ext.table().raw()); break;
        case ExternKind::Memory: inst.memories.push_back(d.ext.memory().raw()); break;
        case ExternKind::Global: break;  // below
      }
    }
    // Imported globals fill the first slots of the global index space, in order.
    {
      size_t gi = 0;
      for (size_t i = 0; i < m.imports.size(); ++i)
        if (m.imports[i].kind == ExternKind::Global) inst.globals[gi++] = p.imports[i].ext.global().raw();
    }

    // Definitions.
    for (uint32_t i = m.num_imported_funcs; i < m.funcs.size(); ++i) {
      rt::FuncInst& f = inst.own_funcs[i];
      f.type = &m.types[m.funcs[i]];
      f.type_id = md->type_ids[m.funcs[i]];
      f.inst = &inst;
      f.index = i;
      f.store = &sd;
      inst.funcs[i] = &f;
    }
    const rt::InitImage& img = p.image;
    for (uint32_t i = m.num_imported_tables; i < m.tables.size(); ++i) {
      const uint32_t cap = std::min(rt::kMaxTableElements, sd.limits.max_table_elements);
      if (m.tables[i].limits.min > cap)
        return InstantiateError{"table " + std::to_string(i) + " needs " + std::to_string(m.tables[i].limits.min) +
                                    " elements, past the limit of " + std::to_string(cap),
                                std::nullopt};
      ++sd.num_tables;
      auto t = std::make_unique<rt::TableInst>();
      t->type = m.tables[i];
      t->store = &sd;
      if (img.tables_ready)
        rt::materialize_refs(img.tables[i - m.num_imported_tables], inst.own_funcs.get(), t->elems);
      else
        t->elems.assign(m.tables[i].limits.min, 0);
      inst.tables.push_back(t.get());
      inst.own_tables.push_back(std::move(t));
    }
    for (uint32_t i = m.num_imported_memories; i < m.memories.size(); ++i) {
      std::string why;
      auto mem = rt::new_memory(sd, m.memories[i], why);
      if (!mem) return InstantiateError{"memory " + std::to_string(i) + ": " + why, std::nullopt};
      inst.memories.push_back(mem.get());
      inst.own_memories.push_back(std::move(mem));
    }
    for (uint32_t i = m.num_imported_globals; i < m.globals.size(); ++i) {
      rt::GlobalInst& g = inst.own_globals[i];
      g.type = m.globals[i];
      g.store = &sd;
      g.value = img.globals[i - m.num_imported_globals];
      inst.globals[i] = &g;
    }
    for (auto [pos, func] : img.global_funcs)
      inst.own_globals[m.num_imported_globals + pos].value = reinterpret_cast<uintptr_t>(&inst.own_funcs[func]);

    // Element segments. With a ready image the active ones are already in the tables;
    // otherwise they are applied in order, and the first one out of bounds traps with the
    // earlier writes kept.
    inst.elems.resize(m.elems.size());
    inst.data_dropped.assign(m.datas.size(), 0);
    if (img.tables_ready) {
      for (size_t i = 0; i < m.elems.size(); ++i)
        if (!img.passive[i].empty()) rt::materialize_refs(img.passive[i], inst.own_funcs.get(), inst.elems[i]);
    } else {
      for (size_t i = 0; i < m.elems.size(); ++i) {
        const wasm::ElemSegment& seg = m.elems[i];
        std::vector<uint64_t>& refs = inst.elems[i];
        refs.reserve(seg.init.size());
        for (const wasm::ConstExpr& e : seg.init) refs.push_back(rt::eval_const(e, inst));
      }
      for (size_t i = 0; i < m.elems.size(); ++i) {
        const wasm::ElemSegment& seg = m.elems[i];
        if (seg.mode == wasm::ElemSegment::Mode::Active) {
          rt::TableInst* t = inst.tables[seg.table];
          uint64_t off = static_cast<uint32_t>(rt::eval_const(seg.offset, inst));
          const std::vector<uint64_t>& refs = inst.elems[i];
          if (off + refs.size() > t->elems.size()) {
            Trap trap;
            trap.kind = TrapKind::TableOutOfBounds;
            return InstantiateError{"element segment " + std::to_string(i) + " does not fit its table", trap};
          }
          std::copy(refs.begin(), refs.end(), t->elems.begin() + static_cast<ptrdiff_t>(off));
        }
        if (seg.mode != wasm::ElemSegment::Mode::Passive) std::vector<uint64_t>().swap(inst.elems[i]);
      }
    }
    // Data segments, in order, after all element segments.
    for (size_t i = 0; i < m.datas.size(); ++i) {
      const wasm::DataSegment& seg = m.datas[i];
      if (seg.mode != wasm::DataSegment::Mode::Active) continue;
      rt::MemoryInst* mem = inst.memories[seg.memory];
      uint64_t off = img.data_offsets[i];
      if (off + seg.data_size > mem->size) {
        Trap trap;
        trap.kind = TrapKind::MemoryOutOfBounds;
        return InstantiateError{"data segment " + std::to_string(i) + " does not fit memory", trap};
      }
      if (seg.data_size) std::memcpy(mem->base + off, m.bytes.data() + seg.data_offset, seg.data_size);
      inst.data_dropped[i] = 1;
    }
  } catch (const std::bad_alloc&) {
    return InstantiateError{"out of memory while instantiating", std::nullopt};
  }

  if (m.start) {
    rt::ExecStack& es = sd.exec();
    Trap trap;
    if (!interp::invoke(sd, inst.funcs[*m.start], es.top, trap))
      return InstantiateError{"start function trapped: " + trap.to_string(), trap};
  }
  return Instance(&inst);
}

}  // namespace isola
