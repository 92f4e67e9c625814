// Engine and Module: loading (decode + validate) and inspection.
#include <fstream>
#include <iterator>

#include "isola/engine.hpp"
#include "wasm/binary/decode.hpp"
#include "wasm/interp/disasm.hpp"
#include "wasm/runtime/guard_faults.hpp"
#include "wasm/runtime/objects.hpp"
#include "wasm/valid/validate.hpp"

namespace isola {

Engine::Engine() : Engine(Config{}) {}
Engine::Engine(Config c) : config_(c), pools_(std::make_unique<rt::EnginePools>(c.pool_size)) {
  if (c.memory_mode == MemoryMode::GuardPages) rt::install_guard_fault_handler();
}
Engine::~Engine() = default;

Expected<Module> Module::load(const Engine& engine, std::span<const uint8_t> bytes) {
  auto d = std::make_shared<rt::ModuleData>();
  d->bounds_checks = engine.config().memory_mode == Engine::MemoryMode::BoundsChecks;
  if (auto err = wasm::decode(bytes, d->m)) return Error{err->to_string()};
  if (auto err = wasm::validate(d->m)) return Error{err->to_string()};
  d->type_ids.reserve(d->m.types.size());
  for (const FuncType& t : d->m.types) d->type_ids.push_back(rt::canonical_type_id(t));
  size_t n = d->m.codes.size();
  d->code = std::make_unique<std::atomic<const interp::Code*>[]>(n);
  for (size_t i = 0; i < n; ++i) d->code[i].store(nullptr, std::memory_order_relaxed);
  return Module(std::move(d));
}

Expected<Module> Module::load_file(const Engine& engine, const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Error{path + ": cannot open file"};
  std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) return Error{path + ": read error"};
  auto m = load(engine, bytes);
  if (!m) return Error{path + ": " + m.error().message};
  return m;
}

static void fill_type(const wasm::Module& m, ExternKind kind, uint32_t index, FuncType& f, TableType& t,
                      MemoryType& mem, GlobalType& g) {
  switch (kind) {
    case ExternKind::Func: f = m.func_type(index); break;
    case ExternKind::Table: t = m.tables[index]; break;
    case ExternKind::Memory: mem = m.memories[index]; break;
    case ExternKind::Global: g = m.globals[index]; break;
  }
}

std::vector<ImportInfo> Module::imports() const {
  std::vector<ImportInfo> out;
  for (const wasm::Import& i : d_->m.imports) {
    ImportInfo info{i.module, i.name, i.kind, {}, i.table, i.memory, i.global};
    if (i.kind == ExternKind::Func) info.func = d_->m.types[i.func_type];
    out.push_back(std::move(info));
  }
  return out;
}

std::vector<ExportInfo> Module::exports() const {
  std::vector<ExportInfo> out;
  for (const wasm::Export& e : d_->m.exports) {
    ExportInfo info;
    info.name = e.name;
    info.kind = e.kind;
    info.index = e.index;
    fill_type(d_->m, e.kind, e.index, info.func, info.table, info.memory, info.global);
    out.push_back(std::move(info));
  }
  return out;
}

std::vector<std::string> Module::custom_section_names() const {
  std::vector<std::string> out;
  for (const auto& c : d_->m.customs) out.push_back(c.name);
  return out;
}

std::optional<std::span<const uint8_t>> Module::custom_section(std::string_view name) const {
  for (const auto& c : d_->m.customs)
    if (c.name == name) return d_->m.slice(c.data_offset, c.data_size);
  return std::nullopt;
}

std::string_view Module::func_name(uint32_t func_index) const {
  if (func_index < d_->m.func_names.size()) return d_->m.func_names[func_index];
  return {};
}

}  // namespace isola

namespace isola {

uint32_t Module::num_functions() const { return static_cast<uint32_t>(d_->m.funcs.size()); }
uint32_t Module::num_imported_functions() const { return d_->m.num_imported_funcs; }

uint64_t Module::lower_all() const {
  uint64_t bytes = 0;
  const wasm::Module& m = d_->m;
  for (uint32_t i = m.num_imported_funcs; i < m.funcs.size(); ++i) {
    if (d_->code[i - m.num_imported_funcs].load(std::memory_order_acquire)) continue;
    d_->get_code(i);
    const wasm::Code& c = m.code(i);
    bytes += c.body_end - c.body_offset;
  }
  return bytes;
}

std::string Module::disassemble(uint32_t func_index) const {
  const wasm::Module& m = d_->m;
  if (func_index < m.num_imported_funcs || func_index >= m.funcs.size()) return "";
  return interp::disassemble(*d_->get_code(func_index));
}

}  // namespace isola
