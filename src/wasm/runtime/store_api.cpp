// Stores and the handles to what they own: functions, memories, tables, globals,
// instances; values, traps and the host's Caller.
#include <cinttypes>
#include <cstdio>

#include "isola/engine.hpp"
#include "wasm/interp/exec.hpp"
#include "wasm/runtime/objects.hpp"

namespace isola {

// --- names ------------------------------------------------------------------------------

const char* to_string(TrapKind k) {
  switch (k) {
    case TrapKind::Unreachable: return "unreachable";
    case TrapKind::IntegerOverflow: return "integer overflow";
    case TrapKind::IntegerDivideByZero: return "integer divide by zero";
    case TrapKind::InvalidConversion: return "invalid conversion to integer";
    case TrapKind::MemoryOutOfBounds: return "out of bounds memory access";
    case TrapKind::TableOutOfBounds: return "out of bounds table access";
    case TrapKind::IndirectCallTypeMismatch: return "indirect call type mismatch";
    case TrapKind::UninitializedElement: return "uninitialized element";
    case TrapKind::UndefinedElement: return "undefined element";
    case TrapKind::CallStackExhausted: return "call stack exhausted";
    case TrapKind::Host: return "host error";
    case TrapKind::Exit: return "exit";
    case TrapKind::OutOfFuel: return "out of fuel";
    case TrapKind::Interrupted: return "interrupted";
    case TrapKind::DeadlineExceeded: return "deadline exceeded";
  }
  return "?";
}

std::string Trap::to_string() const {
  std::string s = kind == TrapKind::Host && !message.empty() ? message : isola::to_string(kind);
  if (kind == TrapKind::Exit) s = "exit with code " + std::to_string(exit_code);
  if (func_index != UINT32_MAX) {
    char buf[64];
    std::snprintf(buf, sizeof buf, " in function %u", func_index);
    s += buf;
    if (!func_name.empty()) s += " <" + func_name + ">";
    std::snprintf(buf, sizeof buf, " at byte 0x%x", offset);
    s += buf;
  }
  return s;
}

std::string Value::to_string() const {
  char buf[64];
  switch (type_) {
    case ValType::I32: std::snprintf(buf, sizeof buf, "i32:%" PRId32, i32()); break;
    case ValType::I64: std::snprintf(buf, sizeof buf, "i64:%" PRId64, i64()); break;
    case ValType::F32: std::snprintf(buf, sizeof buf, "f32:%a", static_cast<double>(f32())); break;
    case ValType::F64: std::snprintf(buf, sizeof buf, "f64:%a", f64()); break;
    case ValType::V128: std::snprintf(buf, sizeof buf, "v128"); break;
    case ValType::FuncRef:
    case ValType::ExternRef:
      if (is_null()) std::snprintf(buf, sizeof buf, "%s:null", isola::to_string(type_));
      else std::snprintf(buf, sizeof buf, "%s:%#" PRIx64, isola::to_string(type_), bits_);
      break;
  }
  return buf;
}

Value Value::funcref(const Func& f) { return Value(ValType::FuncRef, reinterpret_cast<uintptr_t>(f.raw())); }
Func Value::funcref() const { return Func(reinterpret_cast<rt::FuncInst*>(bits_)); }

// --- store ------------------------------------------------------------------------------

Store::Store(const Engine& engine) : d_(std::make_unique<rt::StoreData>()) {
  d_->engine = &engine;
  d_->owner = this;
}
Store::~Store() { rt::disarm_deadline(*d_->interrupt); }
const Engine& Store::engine() const { return *d_->engine; }
void Store::set_data(const void* key, void* p) {
  auto& v = d_->embedder_data;
  for (auto it = v.begin(); it != v.end(); ++it) {
    if (it->first != key) continue;
    if (p) it->second = p;
    else v.erase(it);
    return;
  }
  if (p) v.emplace_back(key, p);
}
void* Store::data(const void* key) const {
  for (const auto& [k, p] : d_->embedder_data)
    if (k == key) return p;
  return nullptr;
}

Func Store::create_func(HostFunc f) {
  auto fi = std::make_unique<rt::FuncInst>();
  auto h = std::make_shared<const HostFunc>(std::move(f));
  fi->type = &h->type;
  fi->type_id = rt::canonical_type_id(h->type);
  fi->host = std::move(h);
  fi->store = d_.get();
  d_->funcs.push_back(std::move(fi));
  return Func(d_->funcs.back().get());
}

Table Store::create_table(const TableType& t, const Value& init) {
  const rt::StoreData& sd = *d_;
  if (sd.num_tables >= sd.limits.max_tables ||
      t.limits.min > std::min(rt::kMaxTableElements, sd.limits.max_table_elements))
    return Table();
  ++d_->num_tables;
  auto ti = std::make_unique<rt::TableInst>();
  ti->type = t;
  ti->store = d_.get();
  ti->elems.assign(t.limits.min, init.bits());
  d_->tables.push_back(std::move(ti));
  return Table(d_->tables.back().get());
}

Memory Store::create_memory(const MemoryType& t) {
  std::string why;
  auto m = rt::new_memory(*d_, t, why);
  if (!m) return Memory();
  d_->memories.push_back(std::move(m));
  return Memory(d_->memories.back().get());
}

void Store::set_limits(const StoreLimits& limits) { d_->limits = limits; }
const StoreLimits& Store::limits() const { return d_->limits; }
uint64_t Store::memory_bytes() const { return d_->memory_bytes; }
uint64_t Store::memory_limit_refusals() const { return d_->memory_limit_refusals; }

Global Store::create_global(const GlobalType& t, const Value& v) {
  auto g = std::make_unique<rt::GlobalInst>();
  g->type = t;
  g->value = v.bits();
  g->store = d_.get();
  d_->globals.push_back(std::move(g));
  return Global(d_->globals.back().get());
}

// --- functions --------------------------------------------------------------------------

const FuncType& Func::type() const { return *p_->type; }

Expected<std::vector<Value>, Trap> Func::call(Store& store, std::span<const Value> args) const {
  const FuncType& t = *p_->type;
  Trap trap;
  trap.kind = TrapKind::Host;
  if (args.size() != t.params.size()) {
    trap.message = "wrong number of arguments: expected " + std::to_string(t.params.size()) + ", got " +
                   std::to_string(args.size());
    return trap;
  }
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i].type() != t.params[i]) {
      trap.message = "argument " + std::to_string(i) + " has type " + to_string(args[i].type()) + ", expected " +
                     to_string(t.params[i]);
      return trap;
    }
  }
  rt::StoreData& sd = *store.raw();
  rt::ExecStack& es = sd.exec();
  size_t need = std::max(t.params.size(), t.results.size());
  if (es.top + need > es.values_end) {
    trap.kind = TrapKind::CallStackExhausted;
    return trap;
  }
  uint64_t* slots = es.top;
  for (size_t i = 0; i < args.size(); ++i) slots[i] = args[i].bits();
  if (!interp::invoke(sd, p_, slots, trap)) return trap;
  std::vector<Value> out;
  out.reserve(t.results.size());
  for (size_t i = 0; i < t.results.size(); ++i) out.push_back(Value::from_bits(t.results[i], slots[i]));
  return out;
}

// --- memories ---------------------------------------------------------------------------

MemoryType Memory::type() const {
  MemoryType t = p_->type;
  t.limits.min = p_->pages();
  return t;
}
uint32_t Memory::pages() const { return p_->pages(); }
uint64_t Memory::size() const { return p_->size; }
uint8_t* Memory::data() const { return p_->base; }

std::optional<std::span<uint8_t>> Memory::span(uint64_t addr, uint64_t len) const {
  if (addr > p_->size || len > p_->size - addr) return std::nullopt;
  return std::span<uint8_t>(p_->base + addr, len);
}
bool Memory::read(uint64_t addr, void* dst, uint64_t len) const {
  auto s = span(addr, len);
  if (!s) return false;
  if (len) std::memcpy(dst, s->data(), len);
  return true;
}
bool Memory::write(uint64_t addr, const void* src, uint64_t len) const {
  auto s = span(addr, len);
  if (!s) return false;
  if (len) std::memcpy(s->data(), src, len);
  return true;
}
std::optional<uint32_t> Memory::grow(uint32_t delta) const {
  int64_t r = p_->grow(delta);
  if (r < 0) return std::nullopt;
  return static_cast<uint32_t>(r);
}

// --- tables -----------------------------------------------------------------------------

TableType Table::type() const {
  TableType t = p_->type;
  t.limits.min = size();
  return t;
}
uint32_t Table::size() const { return static_cast<uint32_t>(p_->elems.size()); }
std::optional<Value> Table::get(uint32_t i) const {
  if (i >= p_->elems.size()) return std::nullopt;
  return Value::from_bits(p_->type.elem, p_->elems[i]);
}
bool Table::set(uint32_t i, const Value& v) const {
  if (i >= p_->elems.size() || v.type() != p_->type.elem) return false;
  p_->elems[i] = v.bits();
  return true;
}
std::optional<uint32_t> Table::grow(uint32_t delta, const Value& init) const {
  if (init.type() != p_->type.elem) return std::nullopt;
  int64_t r = p_->grow(delta, init.bits());
  if (r < 0) return std::nullopt;
  return static_cast<uint32_t>(r);
}

// --- globals ----------------------------------------------------------------------------

GlobalType Global::type() const { return p_->type; }
Value Global::get() const { return Value::from_bits(p_->type.type, p_->value); }
bool Global::set(const Value& v) const {
  if (!p_->type.mut || v.type() != p_->type.type) return false;
  p_->value = v.bits();
  return true;
}

// --- instances --------------------------------------------------------------------------

namespace {
// Exports are looked up in the module and resolved through the instance's index spaces
// on demand, so instantiation copies no names.
Extern extern_of(const rt::InstanceData& inst, const wasm::Export& e) {
  switch (e.kind) {
    case ExternKind::Func: return Func(inst.funcs[e.index]);
    case ExternKind::Table: return Table(inst.tables[e.index]);
    case ExternKind::Memory: return Memory(inst.memories[e.index]);
    case ExternKind::Global: return Global(inst.globals[e.index]);
  }
  return Extern();
}
}  // namespace

std::optional<Extern> Instance::get_export(std::string_view name) const {
  for (const wasm::Export& e : p_->module->m.exports)
    if (e.name == name) return extern_of(*p_, e);
  return std::nullopt;
}
Func Instance::get_func(std::string_view name) const {
  auto e = get_export(name);
  return e ? e->func() : Func();
}
Memory Instance::get_memory(std::string_view name) const {
  auto e = get_export(name);
  return e ? e->memory() : Memory();
}
Table Instance::get_table(std::string_view name) const {
  auto e = get_export(name);
  return e ? e->table() : Table();
}
Global Instance::get_global(std::string_view name) const {
  auto e = get_export(name);
  return e ? e->global() : Global();
}
std::vector<std::pair<std::string, Extern>> Instance::exports() const {
  std::vector<std::pair<std::string, Extern>> out;
  out.reserve(p_->module->m.exports.size());
  for (const wasm::Export& e : p_->module->m.exports) out.emplace_back(e.name, extern_of(*p_, e));
  return out;
}
Memory Instance::memory() const { return Memory(p_->mem0()); }

// --- host calls -------------------------------------------------------------------------

Store& Caller::store() const { return *ctx_->store->owner; }
Instance Caller::instance() const { return Instance(ctx_->instance); }
Memory Caller::memory() const { return Memory(ctx_->instance ? ctx_->instance->mem0() : nullptr); }
void Caller::trap(std::string message) const {
  interp::HostTrap t;
  t.trap.kind = TrapKind::Host;
  t.trap.message = std::move(message);
  throw t;
}
void Caller::exit(int code) const {
  interp::HostTrap t;
  t.trap.kind = TrapKind::Exit;
  t.trap.exit_code = code;
  throw t;
}

}  // namespace isola
