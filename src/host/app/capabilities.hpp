// A component's capability links and the check every `__host_call` passes (ACTOR-ABI.md
// §2.2, issue 5 and 6). A call is answered only if
//   (a) the manifest links the component to that contract under that binding (blank means
//       "default"), and
//   (b) when the module is signed, its claims name the contract (or it is the actor itself).
// The built-in wasmbus contracts (wasmcloud:builtin:logging, wasmcloud:builtin:numbergen)
// and, as waSCC did, wascc:extras named in the claims need no link, only (b). Calls to
// another actor (the namespace is its module key or call alias) follow the same two rules
// and run that actor. Every refusal returns a host error to the guest and is logged as one
// JSON line with the component, binding, contract and operation.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "host/app/component.hpp"
#include "host/capability.hpp"
#include "host/log.hpp"
#include "host/providers/provider.hpp"

namespace isola::host::app {

// Finds the component a namespace names as an actor (its subject key or call alias), and
// runs an operation on it; provided by the executor.
struct ActorDirectory {
  std::function<const LoadedComponent*(std::string_view key_or_alias)> find;
  std::function<CapabilityResult(const LoadedComponent& target, std::string_view operation,
                                 std::span<const uint8_t> payload, unsigned depth)>
      invoke;
};

class CapabilityTable {
 public:
  // Makes one provider per link of `component` (make_provider). A link whose contract is
  // not a built-in provider must name another actor (by key or call alias, via `actors`);
  // otherwise the error names the link: `component "api" (isola.toml:5): link
  // "acme:thing" (isola.toml:14): no built-in provider for this contract`.
  static Expected<std::unique_ptr<CapabilityTable>> create(const LoadedComponent& component,
                                                           const ProviderEnv& env, const ActorDirectory& actors);

  // Checks and answers one host call from an instance of the component. `depth` counts
  // actor-to-actor hops (bounded, so two actors calling each other cannot recurse forever).
  CapabilityResult dispatch(const CapabilityCall& call, unsigned depth) const;

  static constexpr unsigned kMaxActorDepth = 8;

 private:
  CapabilityTable(const LoadedComponent& c, const ProviderEnv& env, const ActorDirectory& actors)
      : component_(&c), env_(env), actors_(actors) {}
  CapabilityResult deny(const CapabilityCall& call, std::string_view binding, std::string message,
                        std::string_view reason) const;

  const LoadedComponent* component_;
  ProviderEnv env_;
  ActorDirectory actors_;
  // (contract, binding) -> provider; actor links map to nullptr.
  std::map<std::pair<std::string, std::string>, std::shared_ptr<Provider>> links_;
  // Providers that need no link (built-ins, and wascc:extras when claimed), by contract.
  std::map<std::string, std::shared_ptr<Provider>, std::less<>> builtins_;
};

// Whether `ns` has the shape of an actor's module key (56 characters starting with 'M').
bool looks_like_actor_key(std::string_view ns);

}  // namespace isola::host::app
