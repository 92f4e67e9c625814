// The seam between guests and capability providers: what a guest's `__host_call` asks for,
// and what a provider answers. The waPC ABI (abi/) produces CapabilityCall values from guest
// memory; the host (app/) checks them against links and claims; providers (providers/)
// answer them. None of these parts knows the others, only this header.
#pragma once

#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace isola::host {

// One `__host_call(binding, namespace, operation, payload)` from a guest, as the ABI read it.
// The views point into host-side copies that live until the call returns.
struct CapabilityCall {
  std::string_view binding;    // the link name; blank or whitespace-only means "default"
  std::string_view contract;   // the namespace: a capability contract id ("wascc:keyvalue"),
                               // an actor's public key, or a call alias
  std::string_view operation;  // "Add", "KeyValue.Increment", "WriteLog", ...
  std::span<const uint8_t> payload;
};

// The answer: on success the bytes the guest reads with __host_response, otherwise the
// UTF-8 text it reads with __host_error.
struct CapabilityResult {
  bool ok = false;
  std::vector<uint8_t> data;
  std::string error;

  static CapabilityResult success(std::vector<uint8_t> bytes) { return {true, std::move(bytes), {}}; }
  static CapabilityResult failure(std::string message) { return {false, {}, std::move(message)}; }
};

// The link values a manifest gives a (component, contract, link name) binding, for example
// {"URL": "redis://127.0.0.1:6379"} or {"allowed_hosts": "example.com,api.example.com"}.
using LinkValues = std::map<std::string, std::string, std::less<>>;

// Whoever is calling, as far as a provider needs to know: for logs, per-component
// sequences and per-component key spaces.
struct Caller {
  std::string_view component;  // the manifest's component id
  std::string_view subject;    // the module's public key from its claims, or "" if unsigned
};

// "default" for a blank or whitespace-only binding, the binding itself otherwise.
inline std::string_view normalize_binding(std::string_view binding) {
  for (char c : binding)
    if (c != ' ' && c != '\t' && c != '\n' && c != '\r') return binding;
  return "default";
}

}  // namespace isola::host
