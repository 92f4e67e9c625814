// Helpers shared by the mounts.
#include <sys/stat.h>
#include <time.h>

#include "wasi/vfs/vfs.hpp"

namespace isola::wasi::vfs {

Filetype filetype_from_mode(unsigned mode) {
  switch (mode & S_IFMT) {
    case S_IFREG: return Filetype::regular_file;
    case S_IFDIR: return Filetype::directory;
    case S_IFLNK: return Filetype::symbolic_link;
    case S_IFCHR: return Filetype::character_device;
    case S_IFBLK: return Filetype::block_device;
    case S_IFSOCK: return Filetype::socket_stream;
    default: return Filetype::unknown;  // FIFOs have no WASI file type
  }
}

static uint64_t ns(const timespec& t) {
  return static_cast<uint64_t>(t.tv_sec) * 1'000'000'000ull + static_cast<uint64_t>(t.tv_nsec);
}

Filestat filestat_from_host(const struct stat& st) {
  Filestat f;
  f.dev = st.st_dev;
  f.ino = st.st_ino;
  f.type = filetype_from_mode(st.st_mode);
  f.nlink = st.st_nlink;
  f.size = static_cast<uint64_t>(st.st_size);
  f.atim = ns(st.st_atim);
  f.mtim = ns(st.st_mtim);
  f.ctim = ns(st.st_ctim);
  return f;
}

uint64_t now_ns() {
  timespec t;
  clock_gettime(CLOCK_REALTIME, &t);
  return ns(t);
}

bool symlink_target_stays_inside(std::string_view target, int depth) {
  if (target.empty() || target.front() == '/') return false;
  size_t i = 0;
  while (i < target.size()) {
    size_t j = target.find('/', i);
    if (j == std::string_view::npos) j = target.size();
    std::string_view part = target.substr(i, j - i);
    if (part == "..") {
      if (--depth < 0) return false;
    } else if (!part.empty() && part != ".") {
      ++depth;
    }
    i = j + 1;
  }
  return true;
}

}  // namespace isola::wasi::vfs
