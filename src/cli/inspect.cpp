// `isola inspect MODULE.wasm [--json]`: what a module needs and what it offers.
#include <cstdio>
#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli/cli_util.hpp"

namespace isola::cli {
namespace {

using ojson = nlohmann::ordered_json;

constexpr const char* kInspectUsage =
    "usage: isola inspect MODULE.wasm [--json]\n"
    "\n"
    "Decodes and validates MODULE.wasm and lists its imports, exports (with types),\n"
    "memories, tables and custom sections. Exits 1 if the module does not load.\n"
    "\n"
    "options:\n"
    "  --json       print the same as one JSON object\n"
    "  -h, --help   show this help\n";

std::string global_type_string(const GlobalType& g) {
  return std::string(g.mut ? "mut " : "") + to_string(g.type);
}
std::string table_type_string(const TableType& t) {
  return std::string(to_string(t.elem)) + ", " + limits_string(t.limits);
}
std::string memory_type_string(const MemoryType& m) { return limits_string(m.limits) + " pages"; }

// Memories and tables by index, as far as imports and exports reveal them (imported ones
// come first in the index space; the API does not list defined, unexported ones).
struct Slot {
  std::optional<std::string> imported_from;
  std::vector<std::string> exported_as;
  TableType table;
  MemoryType memory;
};

struct Inventory {
  std::vector<ImportInfo> imports;
  std::vector<ExportInfo> exports;
  std::map<uint32_t, Slot> memories, tables;
  struct Custom {
    std::string name;
    std::optional<size_t> size;  // nullopt for a repeated name (the API reports the first)
  };
  std::vector<Custom> customs;
};

Inventory take_inventory(const Module& m) {
  Inventory inv;
  inv.imports = m.imports();
  inv.exports = m.exports();
  uint32_t nmem = 0, ntab = 0;
  for (const ImportInfo& i : inv.imports) {
    if (i.kind == ExternKind::Memory) {
      Slot& s = inv.memories[nmem++];
      s.imported_from = i.module + "." + i.name;
      s.memory = i.memory;
    } else if (i.kind == ExternKind::Table) {
      Slot& s = inv.tables[ntab++];
      s.imported_from = i.module + "." + i.name;
      s.table = i.table;
    }
  }
  for (const ExportInfo& e : inv.exports) {
    if (e.kind == ExternKind::Memory) {
      Slot& s = inv.memories[e.index];
      s.exported_as.push_back(e.name);
      s.memory = e.memory;
    } else if (e.kind == ExternKind::Table) {
      Slot& s = inv.tables[e.index];
      s.exported_as.push_back(e.name);
      s.table = e.table;
    }
  }
  std::set<std::string> seen;
  for (const std::string& name : m.custom_section_names()) {
    Inventory::Custom c{name, std::nullopt};
    if (seen.insert(name).second) {
      if (auto payload = m.custom_section(name)) c.size = payload->size();
    }
    inv.customs.push_back(std::move(c));
  }
  return inv;
}

std::string extern_type_string(ExternKind k, const FuncType& f, const TableType& t, const MemoryType& m,
                               const GlobalType& g) {
  switch (k) {
    case ExternKind::Func: return func_type_string(f);
    case ExternKind::Table: return table_type_string(t);
    case ExternKind::Memory: return memory_type_string(m);
    case ExternKind::Global: return global_type_string(g);
  }
  return "?";
}

ojson type_json(ExternKind k, const FuncType& f, const TableType& t, const MemoryType& m, const GlobalType& g) {
  ojson j = ojson::object();
  auto limits = [&](const Limits& l) {
    j["min"] = l.min;
    j["max"] = l.max ? ojson(*l.max) : ojson(nullptr);
  };
  switch (k) {
    case ExternKind::Func: {
      ojson params = ojson::array(), results = ojson::array();
      for (ValType v : f.params) params.push_back(to_string(v));
      for (ValType v : f.results) results.push_back(to_string(v));
      j["params"] = std::move(params);
      j["results"] = std::move(results);
      break;
    }
    case ExternKind::Table:
      j["element"] = to_string(t.elem);
      limits(t.limits);
      break;
    case ExternKind::Memory:
      limits(m.limits);
      break;
    case ExternKind::Global:
      j["type"] = to_string(g.type);
      j["mutable"] = g.mut;
      break;
  }
  return j;
}

std::string slot_notes(const Slot& s) {
  std::string notes;
  if (s.imported_from) notes += "imported from " + *s.imported_from;
  for (const std::string& e : s.exported_as) {
    notes += notes.empty() ? "exported as " : ", exported as ";
    notes += "\"" + e + "\"";
  }
  return notes.empty() ? notes : " (" + notes + ")";
}

void print_text(const std::string& path, uintmax_t size, const Inventory& inv) {
  std::printf("%s: %ju bytes\n", path.c_str(), size);
  std::printf("imports (%zu)%s\n", inv.imports.size(), inv.imports.empty() ? "" : ":");
  for (const ImportInfo& i : inv.imports)
    std::printf("  %-6s %s.%s: %s\n", to_string(i.kind), i.module.c_str(), i.name.c_str(),
                extern_type_string(i.kind, i.func, i.table, i.memory, i.global).c_str());
  std::printf("exports (%zu)%s\n", inv.exports.size(), inv.exports.empty() ? "" : ":");
  for (const ExportInfo& e : inv.exports)
    std::printf("  %-6s %s: %s\n", to_string(e.kind), e.name.c_str(),
                extern_type_string(e.kind, e.func, e.table, e.memory, e.global).c_str());
  std::printf("memories (%zu)%s\n", inv.memories.size(), inv.memories.empty() ? "" : ":");
  for (const auto& [index, s] : inv.memories)
    std::printf("  %u: %s%s\n", index, memory_type_string(s.memory).c_str(), slot_notes(s).c_str());
  std::printf("tables (%zu)%s\n", inv.tables.size(), inv.tables.empty() ? "" : ":");
  for (const auto& [index, s] : inv.tables)
    std::printf("  %u: %s%s\n", index, table_type_string(s.table).c_str(), slot_notes(s).c_str());
  std::printf("custom sections (%zu)%s\n", inv.customs.size(), inv.customs.empty() ? "" : ":");
  for (const Inventory::Custom& c : inv.customs) {
    if (c.size)
      std::printf("  %s: %zu bytes\n", c.name.c_str(), *c.size);
    else
      std::printf("  %s (repeated)\n", c.name.c_str());
  }
}

void print_json(const std::string& path, uintmax_t size, const Inventory& inv) {
  ojson j;
  j["file"] = path;
  j["size"] = size;
  ojson imports = ojson::array();
  for (const ImportInfo& i : inv.imports)
    imports.push_back({{"module", i.module},
                       {"name", i.name},
                       {"kind", to_string(i.kind)},
                       {"type", type_json(i.kind, i.func, i.table, i.memory, i.global)}});
  j["imports"] = std::move(imports);
  ojson exports = ojson::array();
  for (const ExportInfo& e : inv.exports)
    exports.push_back({{"name", e.name},
                       {"kind", to_string(e.kind)},
                       {"index", e.index},
                       {"type", type_json(e.kind, e.func, e.table, e.memory, e.global)}});
  j["exports"] = std::move(exports);
  auto slots = [](const std::map<uint32_t, Slot>& m, ExternKind k) {
    ojson a = ojson::array();
    for (const auto& [index, s] : m) {
      ojson o = {{"index", index}};
      o["type"] = type_json(k, FuncType{}, s.table, s.memory, GlobalType{});
      o["imported_from"] = s.imported_from ? ojson(*s.imported_from) : ojson(nullptr);
      o["exported_as"] = s.exported_as;
      a.push_back(std::move(o));
    }
    return a;
  };
  j["memories"] = slots(inv.memories, ExternKind::Memory);
  j["tables"] = slots(inv.tables, ExternKind::Table);
  ojson customs = ojson::array();
  for (const Inventory::Custom& c : inv.customs)
    customs.push_back({{"name", c.name}, {"size", c.size ? ojson(*c.size) : ojson(nullptr)}});
  j["custom_sections"] = std::move(customs);
  std::printf("%s\n", j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
}

}  // namespace

int cmd_inspect(std::span<char* const> args) {
  bool json = false;
  std::optional<std::string> path;
  for (std::string_view a : args) {
    if (a == "--json") {
      json = true;
    } else if (a == "-h" || a == "--help") {
      std::fputs(kInspectUsage, stdout);
      return kExitOk;
    } else if (a.size() > 1 && a[0] == '-') {
      std::fprintf(stderr, "isola inspect: unknown option '%s'\n\n%s", std::string(a).c_str(), kInspectUsage);
      return kExitUsage;
    } else if (path) {
      std::fprintf(stderr, "isola inspect: one module at a time\n\n%s", kInspectUsage);
      return kExitUsage;
    } else {
      path = std::string(a);
    }
  }
  if (!path) {
    std::fprintf(stderr, "isola inspect: missing MODULE.wasm\n\n%s", kInspectUsage);
    return kExitUsage;
  }

  std::error_code ec;
  if (!std::filesystem::is_regular_file(*path, ec)) {
    std::fprintf(stderr, "isola: %s: %s\n", path->c_str(),
                 std::filesystem::exists(*path, ec) ? "not a regular file" : "no such file");
    return kExitUsage;
  }
  const uintmax_t size = std::filesystem::file_size(*path, ec);

  Engine engine;
  Expected<Module> module = Module::load_file(engine, *path);
  if (!module) {
    const std::string message = with_path(*path, module.error().message);
    std::fprintf(stderr, "isola: %s\n", message.c_str());
    if (json) {
      ojson j = {{"file", *path}, {"error", module.error().message}};
      std::printf("%s\n", j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
    }
    return kExitFailure;
  }
  Inventory inv = take_inventory(*module);
  if (json)
    print_json(*path, ec ? 0 : size, inv);
  else
    print_text(*path, ec ? 0 : size, inv);
  return kExitOk;
}

}  // namespace isola::cli
