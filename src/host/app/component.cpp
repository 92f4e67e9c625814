#include "host/app/component.hpp"

#include <sodium.h>

#include <filesystem>
#include <fstream>
#include <iterator>

#include "host/abi/wapc.hpp"
#include "host/claims/verify.hpp"
#include "isola/wasi.hpp"

namespace isola::host::app {

namespace {

// A module larger than this is refused before it is read (wasm's own limits are far
// beyond anything a request handler needs).
constexpr uintmax_t kMaxModuleBytes = 256u << 20;

std::string hex(const unsigned char* p, size_t n) {
  static const char* digits = "0123456789abcdef";
  std::string s;
  s.reserve(n * 2);
  for (size_t i = 0; i < n; ++i) {
    s.push_back(digits[p[i] >> 4]);
    s.push_back(digits[p[i] & 15]);
  }
  return s;
}

std::string lower(std::string s) {
  for (char& c : s)
    if (c >= 'A' && c <= 'F') c = static_cast<char>(c - 'A' + 'a');
  return s;
}

Expected<std::vector<uint8_t>> read_file(const std::string& path) {
  std::error_code ec;
  auto size = std::filesystem::file_size(path, ec);
  if (ec) return Error{path + ": " + ec.message()};
  if (size > kMaxModuleBytes) return Error{path + ": larger than " + std::to_string(kMaxModuleBytes) + " bytes"};
  std::ifstream in(path, std::ios::binary);
  if (!in) return Error{path + ": cannot open"};
  std::vector<uint8_t> bytes(static_cast<size_t>(size));
  in.read(reinterpret_cast<char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  if (in.gcount() != static_cast<std::streamsize>(bytes.size())) return Error{path + ": short read"};
  return bytes;
}

bool exports_func(const Module& m, std::string_view name) {
  for (const auto& e : m.exports())
    if (e.name == name && e.kind == ExternKind::Func) return true;
  return false;
}

}  // namespace

std::string describe(const Component& c) {
  std::string s = "component \"" + c.id + "\"";
  if (!c.where.empty()) s += " (" + c.where + ")";
  return s;
}

Linker make_host_linker(const Engine& engine) {
  Linker linker(engine);
  wasi::add_to_linker(linker);
  wapc::add_to_linker(linker);
  return linker;
}

Expected<std::unique_ptr<LoadedComponent>> load_component(const Engine& engine, const Linker& linker,
                                                          const Component& component, LogSink* log) {
  auto fail = [&](const std::string& why) { return Error{describe(component) + ": " + why}; };
  auto lc = std::make_unique<LoadedComponent>();
  lc->config = component;
  lc->name = std::filesystem::path(component.source).filename().string();

  auto bytes = read_file(component.source);
  if (!bytes) return fail(bytes.error().message);

  if (component.sha256) {
    if (sodium_init() < 0) return fail("libsodium failed to initialise");
    unsigned char digest[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(digest, bytes->data(), bytes->size());
    std::string got = hex(digest, sizeof digest);
    if (got != lower(*component.sha256))
      return fail(lc->name + ": sha256 is " + got + ", but " +
                  (component.sha256_where.empty() ? std::string("the manifest") : component.sha256_where) +
                  " says sha256 = " + lower(*component.sha256));
  }

  auto module = Module::load(engine, *bytes);
  if (!module) return fail(lc->name + ": " + module.error().message);
  lc->module = std::make_shared<const Module>(std::move(*module));

  if (component.abi == "wapc")
    lc->abi = Abi::Wapc;
  else if (component.abi == "wagi")
    lc->abi = Abi::Wagi;
  else
    lc->abi = wapc::looks_like_actor(*lc->module) ? Abi::Wapc : Abi::Wagi;
  if (lc->abi == Abi::Wapc) lc->flavour = wapc::detect_http_flavour(*lc->module);
  if (lc->abi == Abi::Wagi && !exports_func(*lc->module, "_start"))
    return fail(lc->name + ": a WAGI program must export _start (is it a waPC actor? it exports no __guest_call)");

  if (claims::has_claims(*bytes)) {
    auto verified = claims::verify_module(*bytes, lc->name);
    if (verified) {
      lc->claims = std::move(*verified);
    } else if (component.allow_unsigned) {
      if (log)
        log->write(LogLevel::Warn, {{"log", "host"}, {"component", component.id},
                                    {"msg", "claims do not verify; running unsigned (allow_unsigned)"},
                                    {"error", verified.error().message}});
    } else {
      return fail(verified.error().message);
    }
  } else if (lc->abi == Abi::Wapc && !component.allow_unsigned) {
    return fail(lc->name + ": a waPC actor without claims (sign it with `isola claims sign`, or set allow_unsigned = true for this component)");
  }

  auto pre = linker.prelink(*lc->module);
  if (!pre) return fail(lc->name + ": " + pre.error().message);
  lc->pre.emplace(std::move(*pre));
  return lc;
}

}  // namespace isola::host::app
