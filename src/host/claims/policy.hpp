// Who may run here, beyond a valid signature: the manifest's trusted issuers and a
// revocation list of token ids (jti), subjects and issuers. The list is given inline, in a
// file, or both; the file is re-read whenever its size, mtime or inode changes, checked on
// every admit(), so a revocation takes effect for the next request without a restart.
// admit() is thread-safe.
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "host/claims/claims.hpp"
#include "isola/engine.hpp"

namespace isola::host::claims {

struct PolicyConfig {
  // Account keys (A…) whose modules may run. Empty: any issuer whose signature verifies.
  std::vector<std::string> trusted_issuers;
  // Revoked jti values, subject keys (M…) or issuer keys (A…).
  std::vector<std::string> revoked;
  // A file of further revocations: one entry per line; blank lines and `#` comments ignored.
  std::optional<std::filesystem::path> revocation_file;
};

// Limits on the revocation file, so a bad file cannot exhaust memory.
inline constexpr uintmax_t kMaxRevocationFileBytes = 4 * 1024 * 1024;

using Admitted = std::monostate;

class Policy {
 public:
  // Checks the keys (trusted issuers must be account keys) and reads the file once.
  static Expected<Policy> create(PolicyConfig config);

  // Refuses claims from an untrusted issuer or with a revoked jti, subject or issuer:
  // "counter.wasm: claims revoked: subject M… is on the revocation list (/etc/isola/revoked)".
  // If the revocation file can no longer be read, every module is refused (fail closed).
  Expected<Admitted> admit(const Claims& claims, std::string_view module_name) const;

 private:
  struct State;
  std::shared_ptr<State> state_;
};

// Parses revocation-file text: one entry per line, surrounding blanks trimmed, blank lines
// ignored; a '#' at the start of a line or after a blank starts a comment.
std::set<std::string, std::less<>> parse_revocation_list(std::string_view text);

}  // namespace isola::host::claims
