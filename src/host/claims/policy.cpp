#include "host/claims/policy.hpp"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <mutex>
#include <sstream>

#include "host/claims/nkeys.hpp"

namespace isola::host::claims {

namespace {

// What identifies one version of the file: re-read when any of these change.
struct FileStamp {
  dev_t dev = 0;
  ino_t ino = 0;
  off_t size = -1;
  int64_t mtime_ns = -1;
  int64_t ctime_ns = -1;
  bool operator==(const FileStamp&) const = default;
};

Expected<FileStamp> stamp_of(const std::filesystem::path& p) {
  struct stat st{};
  if (::stat(p.c_str(), &st) != 0)
    return Error{"revocation list " + p.string() + ": " + std::strerror(errno)};
  FileStamp s;
  s.dev = st.st_dev;
  s.ino = st.st_ino;
  s.size = st.st_size;
  s.mtime_ns = static_cast<int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
  s.ctime_ns = static_cast<int64_t>(st.st_ctim.tv_sec) * 1'000'000'000 + st.st_ctim.tv_nsec;
  return s;
}

Expected<std::set<std::string, std::less<>>> read_list(const std::filesystem::path& p) {
  std::error_code ec;
  auto size = std::filesystem::file_size(p, ec);
  if (ec) return Error{"revocation list " + p.string() + ": " + ec.message()};
  if (size > kMaxRevocationFileBytes)
    return Error{"revocation list " + p.string() + ": " + std::to_string(size) + " bytes, more than the limit of " +
                 std::to_string(kMaxRevocationFileBytes)};
  std::ifstream in(p, std::ios::binary);
  if (!in) return Error{"revocation list " + p.string() + ": cannot open: " + std::strerror(errno)};
  std::string text(static_cast<size_t>(size), '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<size_t>(in.gcount()));
  return parse_revocation_list(text);
}

}  // namespace

struct Policy::State {
  std::set<std::string, std::less<>> trusted;
  std::set<std::string, std::less<>> revoked_inline;
  std::optional<std::filesystem::path> file;

  mutable std::mutex mu;  // guards the two below
  mutable FileStamp stamp;
  mutable std::shared_ptr<const std::set<std::string, std::less<>>> from_file;

  // The file's current entries, re-read if it changed since last time.
  Expected<std::shared_ptr<const std::set<std::string, std::less<>>>> file_entries() const {
    auto now = stamp_of(*file);
    std::lock_guard lock(mu);
    if (!now) {
      from_file.reset();
      stamp = FileStamp{};
      return now.error();
    }
    if (from_file && *now == stamp) return from_file;
    auto list = read_list(*file);
    if (!list) {
      from_file.reset();
      stamp = FileStamp{};
      return list.error();
    }
    from_file = std::make_shared<const std::set<std::string, std::less<>>>(std::move(*list));
    stamp = *now;
    return from_file;
  }
};

std::set<std::string, std::less<>> parse_revocation_list(std::string_view text) {
  std::set<std::string, std::less<>> out;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string_view::npos) nl = text.size();
    std::string_view line = text.substr(pos, nl - pos);
    // A comment runs from a '#' at the start of the line or after a blank to the end of
    // the line ("MC7Q…   # leaked seed" revokes MC7Q…); a '#' inside an entry is kept.
    // A CR counts as a blank here as in the trimming below: otherwise "\r#x" became the
    // entry "#x", which no line of the file can spell (found by fuzz_claims).
    for (size_t h = line.find('#'); h != std::string_view::npos; h = line.find('#', h + 1))
      if (h == 0 || line[h - 1] == ' ' || line[h - 1] == '\t' || line[h - 1] == '\r') {
        line = line.substr(0, h);
        break;
      }
    size_t b = line.find_first_not_of(" \t\r");
    size_t e = line.find_last_not_of(" \t\r");
    if (b != std::string_view::npos) out.emplace(line.substr(b, e - b + 1));
    pos = nl + 1;
  }
  return out;
}

Expected<Policy> Policy::create(PolicyConfig config) {
  auto st = std::make_shared<State>();
  for (const auto& k : config.trusted_issuers) {
    auto key = PublicKey::decode(k);
    if (!key) return Error{"trusted_issuers: " + key.error().message};
    if (key->type() != KeyType::Account)
      return Error{"trusted_issuers: " + k + " is " + a_key_type(key->type()) + " key, expected an account key (A…)"};
    st->trusted.insert(k);
  }
  for (const auto& r : config.revoked) {
    if (r.empty()) return Error{"revoked: an empty entry"};
    st->revoked_inline.insert(r);
  }
  st->file = std::move(config.revocation_file);
  if (st->file) {
    auto first = st->file_entries();
    if (!first) return first.error();
  }
  Policy p;
  p.state_ = std::move(st);
  return p;
}

Expected<Admitted> Policy::admit(const Claims& c, std::string_view module_name) const {
  auto refuse = [&](const std::string& why) { return Error{std::string(module_name) + ": " + why}; };
  const State& s = *state_;
  if (!s.trusted.empty() && !s.trusted.count(c.issuer))
    return refuse("claims issuer " + c.issuer + " is not among the trusted issuers");

  // Which entry revoked it, and where that entry came from.
  auto check = [&](const std::set<std::string, std::less<>>& list,
                   const std::string& where) -> std::optional<std::string> {
    if (!c.jti.empty() && list.count(c.jti)) return "claims revoked: token id (jti) " + c.jti + " is on the revocation list" + where;
    if (list.count(c.subject)) return "claims revoked: subject " + c.subject + " is on the revocation list" + where;
    if (list.count(c.issuer)) return "claims revoked: issuer " + c.issuer + " is on the revocation list" + where;
    return std::nullopt;
  };
  if (auto why = check(s.revoked_inline, " (manifest)")) return refuse(*why);
  if (s.file) {
    auto entries = s.file_entries();
    if (!entries) return refuse("refused: " + entries.error().message);
    if (auto why = check(**entries, " (" + s.file->string() + ")")) return refuse(*why);
  }
  return Admitted{};
}

}  // namespace isola::host::claims
