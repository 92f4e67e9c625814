// Module helpers and the names of the public basic types.
#include "wasm/module.hpp"

namespace isola {

const char* to_string(ValType t) {
  switch (t) {
    case ValType::I32: return "i32";
    case ValType::I64: return "i64";
    case ValType::F32: return "f32";
    case ValType::F64: return "f64";
    case ValType::V128: return "v128";
    case ValType::FuncRef: return "funcref";
    case ValType::ExternRef: return "externref";
  }
  return "<unknown type>";
}

const char* to_string(ExternKind k) {
  switch (k) {
    case ExternKind::Func: return "func";
    case ExternKind::Table: return "table";
    case ExternKind::Memory: return "memory";
    case ExternKind::Global: return "global";
  }
  return "<unknown kind>";
}

std::string FuncType::to_string() const {
  auto list = [](std::string& out, const std::vector<ValType>& ts) {
    out += '(';
    for (size_t i = 0; i < ts.size(); ++i) {
      if (i) out += ", ";
      out += isola::to_string(ts[i]);
    }
    out += ')';
  };
  std::string s;
  list(s, params);
  s += " -> ";
  list(s, results);
  return s;
}

}  // namespace isola

namespace isola::wasm {

const CustomSection* Module::custom(std::string_view name) const {
  for (const CustomSection& c : customs) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

}  // namespace isola::wasm
