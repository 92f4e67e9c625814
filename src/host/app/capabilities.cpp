#include "host/app/capabilities.hpp"

#include "host/claims/verify.hpp"

namespace isola::host::app {

namespace {

bool claimed(const LoadedComponent& c, std::string_view contract) {
  if (!c.claims) return false;
  for (const auto& cap : c.claims->caps)
    if (cap == contract) return true;
  return false;
}

}  // namespace

bool looks_like_actor_key(std::string_view ns) { return ns.size() == 56 && ns[0] == 'M'; }

Expected<std::unique_ptr<CapabilityTable>> CapabilityTable::create(const LoadedComponent& component,
                                                                   const ProviderEnv& env,
                                                                   const ActorDirectory& actors) {
  std::unique_ptr<CapabilityTable> t(new CapabilityTable(component, env, actors));
  const Component& c = component.config;
  for (const auto& link : c.links) {
    std::string binding(normalize_binding(link.binding));
    auto where = [&] {
      return describe(c) + ": link \"" + link.contract + "\"" + (link.where.empty() ? "" : " (" + link.where + ")");
    };
    if (is_known_contract(link.contract)) {
      auto p = make_provider(link.contract, link.values, env);
      if (!p) return Error{where() + ": " + p.error().message};
      t->links_[{link.contract, binding}] = std::move(*p);
    } else if (actors.find && actors.find(link.contract)) {
      t->links_[{link.contract, binding}] = nullptr;  // another actor
    } else if (link.contract == "wascc:http_server" || link.contract == "wasmcloud:httpserver") {
      // The ingress is this host itself; the link only says the actor serves HTTP.
    } else {
      return Error{where() + ": no built-in provider for this contract, and no actor has it as its key or call alias"};
    }
  }
  // Built-ins a signed actor may use by claim alone (and an unsigned one, which runs
  // without claims, by the manifest's explicit allow_unsigned).
  for (std::string_view contract : {"wasmcloud:builtin:logging", "wasmcloud:builtin:numbergen"}) {
    auto p = make_provider(contract, {}, env);
    if (!p) return Error{describe(c) + ": built-in " + std::string(contract) + ": " + p.error().message};
    t->builtins_[std::string(contract)] = std::move(*p);
  }
  // waSCC binds its extras provider under "default" for any actor that claims it.
  if (claimed(component, "wascc:extras") && !t->links_.count({"wascc:extras", "default"})) {
    auto p = make_provider("wascc:extras", {}, env);
    if (!p) return Error{describe(c) + ": built-in wascc:extras: " + p.error().message};
    t->builtins_["wascc:extras"] = std::move(*p);
  }
  return t;
}

CapabilityResult CapabilityTable::deny(const CapabilityCall& call, std::string_view binding, std::string message,
                                       std::string_view reason) const {
  if (env_.log)
    env_.log->write(LogLevel::Warn, {{"log", "capability"},
                                     {"event", "denied"},
                                     {"component", component_->config.id},
                                     {"binding", std::string(binding)},
                                     {"contract", std::string(call.contract)},
                                     {"operation", std::string(call.operation)},
                                     {"reason", std::string(reason)}});
  return CapabilityResult::failure(std::move(message));
}

CapabilityResult CapabilityTable::dispatch(const CapabilityCall& call, unsigned depth) const {
  const LoadedComponent& me = *component_;
  std::string_view binding = normalize_binding(call.binding);

  // (b) first, as waSCC authorises before dispatch: a signed actor may call only what its
  // claims name.
  if (me.claims && !claims::may_call(*me.claims, call.contract))
    return deny(call, binding,
                claims::permission_denied_message(me.claims->subject, call.operation, call.contract, binding),
                "not in the module's claims");

  Caller caller{me.config.id, me.claims ? std::string_view(me.claims->subject) : std::string_view()};
  auto provider_failure = [](CapabilityResult r) {
    if (!r.ok) r.error = "Invocation failure: " + r.error;
    return r;
  };
  // Another actor's failure reaches only the calling guest as an error; the host's log
  // says which call failed and why, as it does for denials.
  auto call_actor = [&](const LoadedComponent& target) {
    CapabilityResult r = actors_.invoke(target, call.operation, call.payload, depth + 1);
    if (!r.ok && env_.log)
      env_.log->write(LogLevel::Warn, {{"log", "capability"},
                                       {"event", "actor_call_failed"},
                                       {"component", me.config.id},
                                       {"target", std::string(call.contract)},
                                       {"operation", std::string(call.operation)},
                                       {"error", r.error}});
    return r;
  };

  // (a) the link.
  auto link = links_.find(std::make_pair(std::string(call.contract), std::string(binding)));
  if (link == links_.end()) {
    // Built-ins answer under any binding once claimed (or for an unsigned component).
    if (auto b = builtins_.find(call.contract); b != builtins_.end())
      return provider_failure(b->second->call(caller, call.operation, call.payload));
    // A call to ourselves (allowed by may_call) is answered like a call from outside.
    if (me.claims && call.contract == me.claims->subject && actors_.invoke) {
      if (depth >= kMaxActorDepth)
        return CapabilityResult::failure("Invocation failure: actor call chain deeper than " + std::to_string(kMaxActorDepth));
      return call_actor(me);
    }
    return deny(call, binding,
                "component " + me.config.id + " is not linked to " + std::string(call.contract) + " under binding " +
                    std::string(binding) + " (operation " + std::string(call.operation) + ")",
                "not linked in the manifest");
  }
  if (link->second) return provider_failure(link->second->call(caller, call.operation, call.payload));

  // An actor-to-actor call.
  const LoadedComponent* target = actors_.find ? actors_.find(call.contract) : nullptr;
  if (!target || !actors_.invoke)
    return CapabilityResult::failure("Attempted bus call for " + std::string(call.contract) + " with no subscribers");
  if (depth >= kMaxActorDepth)
    return CapabilityResult::failure("Invocation failure: actor call chain deeper than " + std::to_string(kMaxActorDepth));
  return call_actor(*target);
}

}  // namespace isola::host::app
