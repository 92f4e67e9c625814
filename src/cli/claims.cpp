// `isola claims sign|inspect`: embed signed wascap claims in a module, and show and verify
// them (docs/claims.md).
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

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
#include "host/claims/claims.hpp"
#include "host/claims/nkeys.hpp"
#include "host/claims/policy.hpp"
#include "host/claims/verify.hpp"

namespace isola::cli {
namespace {

using namespace isola::host::claims;

constexpr uint64_t kMaxModuleBytes = 1ull << 30;

constexpr const char* kClaimsUsage =
    "usage: isola claims sign MODULE.wasm -o OUT.wasm --issuer ACCOUNT_SEED_FILE\n"
    "                         --subject MODULE_SEED_FILE|MODULE_KEY [--cap CONTRACT]...\n"
    "                         [--name NAME] [--tag TAG]... [--ver VERSION] [--rev N]\n"
    "                         [--call-alias ALIAS] [--provider] [--expires DURATION]\n"
    "                         [--not-before DURATION] [--wasmcloud-jwt]\n"
    "       isola claims inspect MODULE.wasm [--json] [--trusted-issuer ACCOUNT_KEY]...\n"
    "\n"
    "sign     embeds a JWT, signed by the issuer (an account), naming the subject (a module\n"
    "         key) and the capabilities it may use, in a custom section `jwt` (waSCC and\n"
    "         wasmCloud 0.x), or `wasmcloud_jwt` with --wasmcloud-jwt. Claims already in the\n"
    "         module are replaced. --cap may repeat or list several with commas. DURATION\n"
    "         is from now: 3600, 90m, 12h, 30d.\n"
    "inspect  shows issuer, subject, name, capabilities, tags, times and hash, and verifies\n"
    "         them (signature, hash, key types, expiry). Exits 0 if valid, 1 if not (or if\n"
    "         unsigned), 2 if the file cannot be read.\n";

int usage_error(const std::string& message) {
  std::fprintf(stderr, "isola claims: %s\n\n%s", message.c_str(), kClaimsUsage);
  return kExitUsage;
}

// "30d" (days) or anything parse_duration takes ("3600", "90m", "12h"), whole seconds.
Expected<std::chrono::seconds> parse_claims_duration(std::string_view text) {
  if (!text.empty() && text.back() == 'd') {
    auto days = parse_duration(text.substr(0, text.size() - 1));
    if (!days) return Error{"'" + std::string(text) + "' is not a duration (examples: 3600, 90m, 12h, 30d)"};
    return std::chrono::duration_cast<std::chrono::seconds>(*days * 24 * 3600);
  }
  auto d = parse_duration(text);
  if (!d) return d.error();
  return std::chrono::duration_cast<std::chrono::seconds>(*d);
}

void split_commas(std::string_view list, std::vector<std::string>& out) {
  size_t pos = 0;
  while (pos <= list.size()) {
    size_t c = list.find(',', pos);
    if (c == std::string_view::npos) c = list.size();
    if (c > pos) out.emplace_back(list.substr(pos, c - pos));
    pos = c + 1;
  }
}

int sign(std::span<char* const> args) {
  std::string input, output, issuer_arg, subject_arg;
  SignOptions o;
  for (size_t i = 0; i < args.size(); ++i) {
    std::string_view a = args[i];
    std::string v;
    auto value = [&]() {
      if (i + 1 >= args.size()) return false;
      v = args[++i];
      return true;
    };
    if (a == "-o" || a == "--output") {
      if (!value()) return usage_error("-o needs a file name");
      output = v;
    } else if (a == "--issuer") {
      if (!value()) return usage_error("--issuer needs a seed file");
      issuer_arg = v;
    } else if (a == "--subject") {
      if (!value()) return usage_error("--subject needs a seed file or a module key");
      subject_arg = v;
    } else if (a == "--cap" || a == "-c") {
      if (!value()) return usage_error("--cap needs a capability contract id");
      split_commas(v, o.caps);
    } else if (a == "--tag") {
      if (!value()) return usage_error("--tag needs a value");
      o.tags.push_back(v);
    } else if (a == "--name") {
      if (!value()) return usage_error("--name needs a value");
      o.name = v;
    } else if (a == "--ver") {
      if (!value()) return usage_error("--ver needs a value");
      o.ver = v;
    } else if (a == "--rev") {
      if (!value()) return usage_error("--rev needs a number");
      char* end = nullptr;
      errno = 0;
      long long n = std::strtoll(v.c_str(), &end, 10);
      if (v.empty() || *end || errno || n < INT32_MIN || n > INT32_MAX)
        return usage_error("--rev '" + v + "' is not a 32-bit integer");
      o.rev = static_cast<int32_t>(n);
    } else if (a == "--call-alias") {
      if (!value()) return usage_error("--call-alias needs a value");
      o.call_alias = v;
    } else if (a == "--provider") {
      o.provider = true;
    } else if (a == "--expires" || a == "--not-before") {
      if (!value()) return usage_error(std::string(a) + " needs a duration");
      auto d = parse_claims_duration(v);
      if (!d) return usage_error(std::string(a) + ": " + d.error().message);
      (a == "--expires" ? o.expires_in : o.not_before_in) = *d;
    } else if (a == "--wasmcloud-jwt") {
      o.section = kWasmcloudJwtSection;
    } else if (a.size() > 1 && a[0] == '-') {
      return usage_error("unknown option '" + std::string(a) + "'");
    } else if (input.empty()) {
      input = a;
    } else {
      return usage_error("unexpected argument '" + std::string(a) + "'");
    }
  }
  if (input.empty()) return usage_error("sign needs MODULE.wasm");
  if (output.empty()) return usage_error("sign needs -o OUT.wasm");
  if (issuer_arg.empty()) return usage_error("sign needs --issuer ACCOUNT_SEED_FILE");
  if (subject_arg.empty()) return usage_error("sign needs --subject MODULE_SEED_FILE");

  auto issuer_text = read_key_argument(issuer_arg);
  if (!issuer_text) return usage_error(issuer_text.error().message);
  auto issuer = KeyPair::from_seed(*issuer_text);
  if (!issuer) return usage_error("--issuer " + issuer_arg + ": " + issuer.error().message);
  auto subject_text = read_key_argument(subject_arg);
  if (!subject_text) return usage_error(subject_text.error().message);
  std::optional<PublicKey> subject;
  if (!subject_text->empty() && (*subject_text)[0] == 'S') {
    auto kp = KeyPair::from_seed(*subject_text);
    if (!kp) return usage_error("--subject " + subject_arg + ": " + kp.error().message);
    subject = kp->public_key();
  } else {
    auto k = PublicKey::decode(*subject_text);
    if (!k) return usage_error("--subject " + subject_arg + ": " + k.error().message);
    subject = *k;
  }

  auto module = read_binary_file(input, kMaxModuleBytes);
  if (!module) return usage_error(module.error().message);
  auto signed_module = sign_module(*module, *issuer, *subject, o);
  if (!signed_module) {
    std::fprintf(stderr, "isola claims: %s\n", with_path(input, signed_module.error().message).c_str());
    return kExitFailure;
  }
  auto written = write_file_atomically(output, *signed_module);
  if (!written) {
    std::fprintf(stderr, "isola claims: %s\n", written.error().message.c_str());
    return kExitUsage;
  }
  std::printf("%s\n", subject->encoded().c_str());
  std::fprintf(stderr, "isola claims: signed %s as %s (issuer %s), written to %s\n", input.c_str(),
               subject->encoded().c_str(), issuer->public_key().encoded().c_str(), output.c_str());
  return kExitOk;
}

std::string join(const std::vector<std::string>& v) {
  if (v.empty()) return "-";
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : ", ") + x;
  return s;
}

std::string key_kind(const std::string& key) {
  auto k = PublicKey::decode(key);
  return k ? to_string(k->type()) : "invalid key";
}

int inspect(std::span<char* const> args) {
  std::string path;
  bool json = false;
  std::vector<std::string> trusted;
  for (size_t i = 0; i < args.size(); ++i) {
    std::string_view a = args[i];
    if (a == "--json") {
      json = true;
    } else if (a == "--trusted-issuer") {
      if (i + 1 >= args.size()) return usage_error("--trusted-issuer needs an account key");
      trusted.emplace_back(args[++i]);
    } else if (a.size() > 1 && a[0] == '-') {
      return usage_error("unknown option '" + std::string(a) + "'");
    } else if (path.empty()) {
      path = a;
    } else {
      return usage_error("unexpected argument '" + std::string(a) + "'");
    }
  }
  if (path.empty()) return usage_error("inspect needs MODULE.wasm");
  std::optional<Policy> policy;
  if (!trusted.empty()) {
    PolicyConfig cfg;
    cfg.trusted_issuers = trusted;
    auto p = Policy::create(cfg);
    if (!p) return usage_error(p.error().message);
    policy = std::move(*p);
  }
  auto module = read_binary_file(path, kMaxModuleBytes);
  if (!module) return usage_error(module.error().message);

  auto claims = read_claims(*module);
  std::string verdict = "valid";
  bool valid = true;
  if (!claims) {
    verdict = "invalid: " + with_path(path, claims.error().message);
    valid = false;
  } else {
    auto v = verify_claims(*claims, *module, path);
    if (!v) {
      verdict = "invalid: " + v.error().message;
      valid = false;
    } else if (policy) {
      auto admitted = policy->admit(*v, path);
      if (!admitted) {
        verdict = "refused: " + admitted.error().message;
        valid = false;
      }
    }
  }
  std::string actual_hash;
  if (auto h = module_hash(*module)) actual_hash = *h;

  if (json) {
    nlohmann::ordered_json j;
    j["module"] = path;
    if (claims) {
      const Claims& c = *claims;
      j["section"] = c.section;
      j["issuer"] = c.issuer;
      j["subject"] = c.subject;
      j["name"] = c.name;
      j["caps"] = c.caps;
      j["tags"] = c.tags;
      j["ver"] = c.ver ? nlohmann::ordered_json(*c.ver) : nlohmann::ordered_json();
      j["rev"] = c.rev ? nlohmann::ordered_json(*c.rev) : nlohmann::ordered_json();
      j["call_alias"] = c.call_alias ? nlohmann::ordered_json(*c.call_alias) : nlohmann::ordered_json();
      j["provider"] = c.provider;
      j["jti"] = c.jti;
      j["iat"] = c.iat ? nlohmann::ordered_json(*c.iat) : nlohmann::ordered_json();
      j["exp"] = c.exp ? nlohmann::ordered_json(*c.exp) : nlohmann::ordered_json();
      j["nbf"] = c.nbf ? nlohmann::ordered_json(*c.nbf) : nlohmann::ordered_json();
      j["hash"] = c.hash;
    }
    j["module_hash"] = actual_hash;
    j["valid"] = valid;
    j["verdict"] = verdict;
    std::printf("%s\n", j.dump(2).c_str());
    return valid ? kExitOk : kExitFailure;
  }

  std::printf("module:       %s\n", path.c_str());
  if (claims) {
    const Claims& c = *claims;
    auto time_or = [](const std::optional<int64_t>& t, const char* none) {
      return t ? format_time(*t) : std::string(none);
    };
    std::printf("section:      %s\n", c.section.c_str());
    std::printf("issuer:       %s (%s)\n", c.issuer.c_str(), key_kind(c.issuer).c_str());
    std::printf("subject:      %s (%s)\n", c.subject.c_str(), key_kind(c.subject).c_str());
    std::printf("name:         %s\n", c.name.empty() ? "-" : c.name.c_str());
    std::printf("capabilities: %s\n", join(c.caps).c_str());
    std::printf("tags:         %s\n", join(c.tags).c_str());
    std::string version = c.ver.value_or("-");
    if (c.rev) version += " (rev " + std::to_string(*c.rev) + ")";
    std::printf("version:      %s\n", version.c_str());
    std::printf("call alias:   %s\n", c.call_alias ? c.call_alias->c_str() : "-");
    std::printf("provider:     %s\n", c.provider ? "yes" : "no");
    std::printf("issued:       %s\n", time_or(c.iat, "-").c_str());
    std::printf("expires:      %s\n", time_or(c.exp, "never").c_str());
    std::printf("not before:   %s\n", time_or(c.nbf, "immediately").c_str());
    std::printf("jti:          %s\n", c.jti.c_str());
    std::printf("hash:         %s\n", c.hash.c_str());
  }
  if (!actual_hash.empty()) std::printf("module hash:  %s\n", actual_hash.c_str());
  std::printf("verdict:      %s\n", verdict.c_str());
  return valid ? kExitOk : kExitFailure;
}

}  // namespace

int cmd_claims(std::span<char* const> args) {
  if (args.empty()) return usage_error("missing subcommand (sign or inspect)");
  std::string_view sub = args[0];
  auto rest = args.subspan(1);
  if (sub == "-h" || sub == "--help" || sub == "help") {
    std::fputs(kClaimsUsage, stdout);
    return kExitOk;
  }
  if (sub == "sign") return sign(rest);
  if (sub == "inspect") return inspect(rest);
  return usage_error("unknown subcommand '" + std::string(sub) + "'");
}

}  // namespace isola::cli

#else

#include <cstdio>

namespace isola::cli {
int cmd_claims(std::span<char* const>) {
  std::fputs("isola claims: this isola was built without the claims part of the host (ISOLA_HOST_PARTS)\n", stderr);
  return kExitUsage;
}
}  // namespace isola::cli

#endif  // ISOLA_HAVE_CLAIMS
