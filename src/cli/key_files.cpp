#include "cli/key_files.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

namespace isola::cli {
namespace {

Error sys_error(const std::string& path, const char* what) {
  return Error{path + ": " + what + ": " + std::strerror(errno)};
}

bool write_all(int fd, const uint8_t* p, size_t n) {
  while (n > 0) {
    ssize_t w = ::write(fd, p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    p += w;
    n -= static_cast<size_t>(w);
  }
  return true;
}

bool looks_like_key(const std::string& s) {
  if (s.size() != 56 && s.size() != 58) return false;
  for (char c : s)
    if (!((c >= 'A' && c <= 'Z') || (c >= '2' && c <= '7'))) return false;
  return true;
}

}  // namespace

Expected<std::vector<uint8_t>> read_binary_file(const std::string& path, uint64_t max_bytes) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) {
    if (!std::filesystem::exists(path, ec)) return Error{path + ": no such file"};
    return Error{path + ": not a regular file"};
  }
  auto size = std::filesystem::file_size(path, ec);
  if (ec) return Error{path + ": " + ec.message()};
  if (size > max_bytes)
    return Error{path + ": " + std::to_string(size) + " bytes, more than the limit of " + std::to_string(max_bytes)};
  std::ifstream in(path, std::ios::binary);
  if (!in) return sys_error(path, "cannot open");
  std::vector<uint8_t> out(static_cast<size_t>(size));
  in.read(reinterpret_cast<char*>(out.data()), static_cast<std::streamsize>(out.size()));
  out.resize(static_cast<size_t>(in.gcount()));
  return out;
}

Expected<std::string> read_key_argument(const std::string& arg) {
  if (looks_like_key(arg)) return arg;
  auto bytes = read_binary_file(arg, 64 * 1024);
  if (!bytes) return bytes.error();
  std::string text(bytes->begin(), bytes->end());
  size_t pos = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string::npos) nl = text.size();
    std::string line = text.substr(pos, nl - pos);
    size_t b = line.find_first_not_of(" \t\r"), e = line.find_last_not_of(" \t\r");
    if (b != std::string::npos) return line.substr(b, e - b + 1);
    pos = nl + 1;
  }
  return Error{arg + ": empty key file"};
}

Expected<bool> write_secret_file(const std::string& path, const std::string& text, bool force) {
  int flags = O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW | (force ? O_TRUNC : O_EXCL);
  int fd = ::open(path.c_str(), flags, 0600);
  if (fd < 0) {
    if (errno == EEXIST) return Error{path + ": already exists (use --force to replace it)"};
    return sys_error(path, "cannot create");
  }
  // An existing file keeps its mode on O_TRUNC: make sure nobody else can read the seed.
  bool ok = ::fchmod(fd, 0600) == 0;
  std::string line = text + "\n";
  ok = ok && write_all(fd, reinterpret_cast<const uint8_t*>(line.data()), line.size());
  int saved = errno;
  ::close(fd);
  if (!ok) {
    errno = saved;
    return sys_error(path, "cannot write");
  }
  return true;
}

Expected<bool> write_file_atomically(const std::string& path, const std::vector<uint8_t>& bytes) {
  std::string tmp = path + ".isola-tmp-" + std::to_string(::getpid());
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return sys_error(path, "cannot create");
  bool ok = write_all(fd, bytes.data(), bytes.size()) && ::fsync(fd) == 0;
  int saved = errno;
  ::close(fd);
  if (!ok || ::rename(tmp.c_str(), path.c_str()) != 0) {
    if (ok) saved = errno;
    ::unlink(tmp.c_str());
    errno = saved;
    return sys_error(path, "cannot write");
  }
  return true;
}

}  // namespace isola::cli
