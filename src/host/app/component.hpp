// One component of an application, loaded once at start-up: its bytes checked against the
// manifest's sha256, its embedded claims verified (a waPC actor without valid claims runs
// only where the manifest says allow_unsigned), its ABI known, and its module pre-linked
// with the WASI and waPC imports, so a request only has to instantiate it.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "host/abi/http_codec.hpp"
#include "host/claims/claims.hpp"
#include "host/log.hpp"
#include "host/manifest/manifest.hpp"
#include "isola/engine.hpp"

namespace isola::host::app {

enum class Abi : uint8_t { Wagi, Wapc };

struct LoadedComponent {
  Component config;                    // from the manifest (links resolved for waSCC manifests)
  std::string name;                    // the module's file name, for messages ("counter.wasm")
  Abi abi = Abi::Wagi;
  wapc::HttpFlavour flavour = wapc::HttpFlavour::HandleRequest;  // for Abi::Wapc
  std::optional<claims::Claims> claims;  // verified claims; nullopt when it runs unsigned
  std::shared_ptr<const Module> module;
  std::optional<InstancePre> pre;
};

// The linker every component is pre-linked with: all of WASI preview1, and the waPC
// imports under `wapc` and `wasmbus` (WAGI programs may call __host_call too).
Linker make_host_linker(const Engine& engine);

// Reads and checks `component`'s module. Errors name the component and the check:
//   component "counter" (isola.toml:5): counter.wasm: claims hash mismatch: ...
//   component "api": api.wasm: sha256 is 3a7f…, the manifest says e3b0…
//   component "api": api.wasm: a waPC actor without claims (sign it, or set allow_unsigned = true)
// Claims that do not verify refuse the module; with allow_unsigned the failure is logged
// instead and the module runs as unsigned (no claims, so only its links are checked).
Expected<std::unique_ptr<LoadedComponent>> load_component(const Engine& engine, const Linker& linker,
                                                          const Component& component, LogSink* log);

// "component \"ID\" (isola.toml:5)" for the start of messages.
std::string describe(const Component& component);

}  // namespace isola::host::app
