// `isola keys gen|inspect`: Ed25519 key pairs in the nkeys encoding (docs/claims.md).
#include <cstdio>
#include <string>
#include <string_view>

#include "cli/cli_util.hpp"

// Built only with the host's claims part (ISOLA_HOST_PARTS); otherwise the command says so.
#if ISOLA_HAVE_CLAIMS

#include <cerrno>
#include <chrono>
#include <climits>
#include <cstdlib>
#include <optional>

#include <nlohmann/json.hpp>

#include "cli/key_files.hpp"
#include "host/claims/nkeys.hpp"

namespace isola::cli {
namespace {

using namespace isola::host::claims;

constexpr const char* kKeysUsage =
    "usage: isola keys gen --type account|module|server|provider|user|operator [-o FILE] [--force]\n"
    "       isola keys inspect FILE|KEY [--json]\n"
    "\n"
    "gen      creates an Ed25519 key pair, writes its seed to FILE (mode 0600; default\n"
    "         ./<PUBLIC KEY>.nk) and prints only the public key. Accounts sign modules,\n"
    "         modules are actors' identities, servers are hosts, providers are capability\n"
    "         providers. --force replaces an existing FILE.\n"
    "inspect  shows the type and public key of a seed file, a seed or a public key (never\n"
    "         the seed itself). Exits 1 if the key does not decode.\n";

int usage_error(const std::string& message) {
  std::fprintf(stderr, "isola keys: %s\n\n%s", message.c_str(), kKeysUsage);
  return kExitUsage;
}

int gen(std::span<char* const> args) {
  std::string type_name, out;
  bool force = false;
  for (size_t i = 0; i < args.size(); ++i) {
    std::string_view a = args[i];
    auto value = [&](std::string& dst) {
      if (i + 1 >= args.size()) return false;
      dst = args[++i];
      return true;
    };
    if (a == "--type" || a == "-t") {
      if (!value(type_name)) return usage_error("--type needs a value");
    } else if (a == "-o" || a == "--output") {
      if (!value(out)) return usage_error("-o needs a file name");
    } else if (a == "--force") {
      force = true;
    } else {
      return usage_error("unknown argument '" + std::string(a) + "'");
    }
  }
  if (type_name.empty()) return usage_error("gen needs --type");
  auto type = key_type_from_name(type_name);
  if (!type || *type == KeyType::Curve)
    return usage_error("unknown key type '" + type_name + "' (account, module, server, provider, user, operator, cluster)");
  auto kp = KeyPair::generate(*type);
  if (!kp) {
    std::fprintf(stderr, "isola keys: %s\n", kp.error().message.c_str());
    return kExitFailure;
  }
  const std::string& pub = kp->public_key().encoded();
  if (out.empty()) out = pub + ".nk";
  auto written = write_secret_file(out, kp->seed(), force);
  if (!written) {
    std::fprintf(stderr, "isola keys: %s\n", written.error().message.c_str());
    return kExitUsage;
  }
  std::printf("%s\n", pub.c_str());
  std::fprintf(stderr, "isola keys: %s seed written to %s (mode 0600)\n", to_string(*type), out.c_str());
  return kExitOk;
}

int inspect(std::span<char* const> args) {
  std::string target;
  bool json = false;
  for (std::string_view a : args) {
    if (a == "--json") json = true;
    else if (!target.empty() || (a.size() > 1 && a[0] == '-')) return usage_error("unexpected argument '" + std::string(a) + "'");
    else target = a;
  }
  if (target.empty()) return usage_error("inspect needs a FILE or KEY");
  auto text = read_key_argument(target);
  if (!text) {
    std::fprintf(stderr, "isola keys: %s\n", text.error().message.c_str());
    return kExitUsage;
  }
  bool is_seed = !text->empty() && (*text)[0] == 'S';
  std::optional<PublicKey> pub;
  std::string error;
  if (is_seed) {
    auto kp = KeyPair::from_seed(*text);
    if (kp) pub = kp->public_key();
    else error = kp.error().message;
  } else {
    auto k = PublicKey::decode(*text);
    if (k) pub = *k;
    else error = k.error().message;
  }
  if (!pub) {
    std::fprintf(stderr, "isola keys: %s: %s\n", target.c_str(), error.c_str());
    return kExitFailure;
  }
  if (json) {
    nlohmann::ordered_json j;
    j["type"] = to_string(pub->type());
    j["public_key"] = pub->encoded();
    j["seed"] = is_seed;
    std::printf("%s\n", j.dump(2).c_str());
  } else {
    std::printf("type:        %s\n", to_string(pub->type()));
    std::printf("public key:  %s\n", pub->encoded().c_str());
    std::printf("seed:        %s\n", is_seed ? "yes (secret: keep it to yourself)" : "no");
  }
  return kExitOk;
}

}  // namespace

int cmd_keys(std::span<char* const> args) {
  if (args.empty()) return usage_error("missing subcommand (gen or inspect)");
  std::string_view sub = args[0];
  auto rest = args.subspan(1);
  if (sub == "-h" || sub == "--help" || sub == "help") {
    std::fputs(kKeysUsage, stdout);
    return kExitOk;
  }
  if (sub == "gen") return gen(rest);
  if (sub == "inspect") return inspect(rest);
  return usage_error("unknown subcommand '" + std::string(sub) + "'");
}

}  // namespace isola::cli

#else

#include <cstdio>

namespace isola::cli {
int cmd_keys(std::span<char* const>) {
  std::fputs("isola keys: this isola was built without the claims part of the host (ISOLA_HOST_PARTS)\n", stderr);
  return kExitUsage;
}
}  // namespace isola::cli

#endif  // ISOLA_HAVE_CLAIMS
