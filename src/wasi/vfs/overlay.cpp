// The overlay mount: a host directory seen through an in-memory layer that takes every
// write, so a guest sees a writable copy of its files (App Engine's second-generation
// semantics). The host tree is only ever opened for reading (O_PATH, O_RDONLY); the layer
// vanishes with the last Dir or File that refers to it.
//
// Shape. The upper layer is a tree of DirNodes. A DirNode maps names to upper entries: a
// memory file, a memory directory, a symlink, or a whiteout (a null pointer) that hides the
// host entry of that name. A DirNode that mirrors a host directory remembers that
// directory's path below the overlay's root and merges the host listing under its own
// entries; one made by mkdir has none (it is opaque). A host directory gets a DirNode in its
// parent's map only when something must persist in it (a write below it, an open Dir on
// it); path walks otherwise make short-lived "transient" nodes, so reading a big host tree
// costs no memory, and unused shadow nodes are pruned again. No host fd is kept between
// calls except by open files.
//
// A host file opened by the guest gets a "lazy" FileNode in the upper layer: its contents
// are still the host file's, read through a read-only host fd, until the first change
// copies them into memory. Every open File of that name shares the node, so a reader sees
// a writer's bytes (overlayfs before copy-up-on-open did not).
//
// Paths are walked here one component at a time: host components with fstatat and
// openat(O_NOFOLLOW) relative to the parent's host fd, symlinks (host or memory) resolved
// by this code; so neither a guest path nor a host symlink can lead out of the tree.
//
// Every public call takes the overlay's mutex: Dirs and Files of one overlay share state.
#include "wasi/vfs/overlay.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <map>
#include <mutex>
#include <new>
#include <unordered_map>
#include <utility>

namespace isola::wasi::vfs {
namespace {

constexpr uint64_t kMemInoBase = 0xf000'0000'0000'0000ull;  // far above host inode numbers
constexpr uint64_t kEntryCost = 256;  // a name in a directory: the map node and its Node
constexpr size_t kNameMax = 255;      // as Linux (NAME_MAX)
constexpr size_t kPathMax = 4096;     // as Linux (PATH_MAX, counting the NUL)
constexpr uint64_t kMaxFileSize = INT64_MAX;  // what off_t can address

class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  UniqueFd(UniqueFd&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
  UniqueFd& operator=(UniqueFd&& o) noexcept {
    if (this != &o) reset(std::exchange(o.fd_, -1));
    return *this;
  }
  ~UniqueFd() { reset(); }
  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  void reset(int fd = -1) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
  }

 private:
  int fd_ = -1;
};

// Bytes the upper layer holds, against its cap. Creations check the cap; what must not fail
// (a whiteout left by unlink, a readdir cookie) is forced, and still counts against later
// creations, so the total stays bounded.
struct Budget {
  uint64_t used = 0, cap = 0;
  bool take(uint64_t n) {
    if (used > cap || n > cap - used) return false;
    used += n;
    return true;
  }
  void force(uint64_t n) { used += n; }
  void give(uint64_t n) { used -= std::min(used, n); }
};

uint64_t entry_cost(std::string_view name) { return kEntryCost + name.size(); }

uint64_t ns_of(const timespec& t) {
  return static_cast<uint64_t>(t.tv_sec) * 1'000'000'000ull + static_cast<uint64_t>(t.tv_nsec);
}

std::string join(std::string_view dir, std::string_view name) {
  std::string s;
  s.reserve(dir.size() + 1 + name.size());
  s.append(dir);
  if (!dir.empty()) s.push_back('/');
  s.append(name);
  return s;
}

// ---------------------------------------------------------------------------------------
// Nodes of the upper layer

enum class Kind : uint8_t { file, dir, symlink };

struct Node {
  Node(Kind k, Budget* b) : kind(k), budget(b) {}
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;
  virtual ~Node() = default;
  const Kind kind;
  Budget* const budget;  // the overlay's; it outlives every node (see Overlay)
  uint64_t ino = 0, atim = 0, mtim = 0, ctim = 0;
};

struct DirNode;

struct FileNode final : Node {
  explicit FileNode(Budget* b) : Node(Kind::file, b) {}
  ~FileNode() override { budget->give(charged); }
  std::vector<char> data;  // the contents, once in memory
  uint64_t charged = 0;    // data.capacity(), as charged to the budget
  // Lazy: the contents are still the host file at lower_path (below the overlay root),
  // read through `host` while Files are open on it.
  bool lazy = false;
  std::string lower_path;
  UniqueFd host;
  uint32_t opens = 0;  // live OverlayFiles on this node
  uint64_t names = 1;  // names it has in the overlay (hard links)
  uint64_t host_links = 0;  // links the host file had beyond its one name here
  // A lazy node put in place only so opens share it: pruned with its last File.
  bool origin_only = false;
  std::weak_ptr<DirNode> parent;  // where an origin_only node sits
  std::string name;
};

struct SymlinkNode final : Node {
  SymlinkNode(Budget* b, std::string t) : Node(Kind::symlink, b), target(std::move(t)) {}
  ~SymlinkNode() override { budget->give(target.size()); }  // taken by whoever made it
  std::string target;
  uint64_t names = 1;
};

struct DirNode final : Node {
  explicit DirNode(Budget* b) : Node(Kind::dir, b) {}
  // Subdirectories die one after the other, not recursively: a guest can nest directories
  // (mkdir through ever deeper Dirs) far deeper than the stack would allow.
  ~DirNode() override {
    std::vector<std::shared_ptr<Node>> doomed;
    try {
      empty_into(doomed);
      while (!doomed.empty()) {
        std::shared_ptr<Node> n = std::move(doomed.back());
        doomed.pop_back();
        if (n->kind == Kind::dir && n.use_count() == 1)
          static_cast<DirNode&>(*n).empty_into(doomed);
      }
    } catch (...) {
      // Out of memory for the list: what is left goes the recursive way.
    }
    for (const auto& e : entries) budget->give(entry_cost(e.first));
  }
  void empty_into(std::vector<std::shared_ptr<Node>>& out) {
    for (auto it = entries.begin(); it != entries.end();) {
      if (it->second) out.push_back(std::move(it->second));  // strong guarantee: kept on throw
      budget->give(entry_cost(it->first));
      it = entries.erase(it);
    }
  }
  // Upper entries by name; a null pointer is a whiteout.
  std::map<std::string, std::shared_ptr<Node>, std::less<>> entries;
  // The host directory merged below, if any (path below the overlay root; "" = the root).
  bool has_lower = false;
  std::string lower_path;
  uint64_t lower_dev = 0, lower_ino = 0;
  std::weak_ptr<DirNode> parent;
  std::string name;
  // Not transient: in its parent's entries, or was until rmdir or rename took it out (a
  // removed node must never be put back).
  bool attached = false;
  bool moved = false;     // renamed: no longer where its host directory is
  bool dirty = false;     // its own attributes changed (times, by writes inside)
  bool removed = false;   // rmdir'd (or replaced by a rename) while something still held it
  uint32_t views = 0;     // open OverlayDirs on it
  uint64_t nlink = 2, size = 4096;
};

// A host directory's node carries nothing of its own: it can be dropped and made again.
bool prunable(const DirNode& d) {
  return d.has_lower && !d.moved && !d.dirty && !d.removed && d.views == 0 && d.entries.empty();
}

// Whether two nodes stand for the same directory: transient nodes made by two walks of the
// same host directory are distinct objects.
bool same_dir(const DirNode& a, const DirNode& b) {
  if (&a == &b) return true;
  return a.has_lower && b.has_lower && a.lower_dev == b.lower_dev && a.lower_ino == b.lower_ino;
}

struct Overlay {
  std::mutex mu;
  Budget budget;  // declared before root: the nodes give back to it as they die
  UniqueFd root_fd;
  uint64_t dev = 0;
  uint64_t next_ino = kMemInoBase;
  std::shared_ptr<DirNode> root;
};

std::atomic<uint64_t> g_overlay_count{0};

// ---------------------------------------------------------------------------------------
// The host side, read-only

// Opens `path` below the overlay root without following any symlink on the way (host
// paths stored in nodes name what was a plain directory or file when it was found).
int open_beneath(const Overlay& ov, const std::string& path, int flags) {
  int root = ov.root_fd.get();
  if (path.empty()) return ::openat(root, ".", flags | O_CLOEXEC);
  open_how how{};
  how.flags = static_cast<uint64_t>(flags | O_NOFOLLOW | O_CLOEXEC);
  how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
  long r = ::syscall(SYS_openat2, root, path.c_str(), &how, sizeof how);
  if (r >= 0 || errno != ENOSYS) return static_cast<int>(r);
  // Kernels before 5.6: one component at a time.
  UniqueFd cur;
  int at = root;
  size_t i = 0;
  for (;;) {
    size_t j = path.find('/', i);
    if (j == std::string::npos)
      return ::openat(at, path.c_str() + i, flags | O_NOFOLLOW | O_CLOEXEC);
    std::string part = path.substr(i, j - i);
    int fd = ::openat(at, part.c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) return -1;
    cur.reset(fd);
    at = fd;
    i = j + 1;
  }
}

// A host regular file for reading, without updating its atime where we may.
constexpr int kReadFlags = O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC;

Errno check_regular(int fd) {
  struct stat st;
  if (::fstat(fd, &st) != 0) return from_host_errno(errno);
  return S_ISREG(st.st_mode) ? Errno::success : Errno::acces;
}

Result<UniqueFd> open_host_file_at(int dirfd, const std::string& name) {
  int fd = ::openat(dirfd, name.c_str(), kReadFlags | O_NOATIME);
  if (fd < 0 && errno == EPERM) fd = ::openat(dirfd, name.c_str(), kReadFlags);
  if (fd < 0) return from_host_errno(errno);
  UniqueFd f(fd);
  if (Errno e = check_regular(fd); e != Errno::success) return e;
  return f;
}

Result<UniqueFd> open_host_file(const Overlay& ov, const std::string& path) {
  int fd = open_beneath(ov, path, kReadFlags | O_NOATIME);
  if (fd < 0 && errno == EPERM) fd = open_beneath(ov, path, kReadFlags);
  if (fd < 0) return from_host_errno(errno);
  UniqueFd f(fd);
  if (Errno e = check_regular(fd); e != Errno::success) return e;
  return f;
}

Result<std::string> read_host_link(int dirfd, const std::string& name) {
  std::string buf(256, '\0');
  for (;;) {
    ssize_t n = ::readlinkat(dirfd, name.c_str(), buf.data(), buf.size());
    if (n < 0) return from_host_errno(errno);
    if (static_cast<size_t>(n) < buf.size()) {
      buf.resize(static_cast<size_t>(n));
      return buf;
    }
    if (buf.size() >= kPathMax) return Errno::nametoolong;
    buf.resize(buf.size() * 2);
  }
}

Filetype type_from_dtype(unsigned char t) {
  switch (t) {
    case DT_REG: return Filetype::regular_file;
    case DT_DIR: return Filetype::directory;
    case DT_LNK: return Filetype::symbolic_link;
    case DT_CHR: return Filetype::character_device;
    case DT_BLK: return Filetype::block_device;
    case DT_SOCK: return Filetype::socket_stream;
    default: return Filetype::unknown;
  }
}

struct HostEntry {
  std::string name;
  uint64_t ino = 0;
  Filetype type = Filetype::unknown;
};

// The names in a host directory (given as an O_PATH fd), sorted, without "." and "..".
Result<std::vector<HostEntry>> list_host_dir(int dirfd) {
  int fd = ::openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOATIME);
  if (fd < 0 && errno == EPERM) fd = ::openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return from_host_errno(errno);
  DIR* d = ::fdopendir(fd);
  if (!d) {
    int e = errno;
    ::close(fd);
    return from_host_errno(e);
  }
  std::vector<HostEntry> out;
  Errno err = Errno::success;
  try {
    for (;;) {
      errno = 0;
      dirent* de = ::readdir(d);
      if (!de) {
        if (errno != 0) err = from_host_errno(errno);
        break;
      }
      std::string_view n(de->d_name);
      if (n == "." || n == "..") continue;
      HostEntry h{std::string(n), de->d_ino, type_from_dtype(de->d_type)};
      if (de->d_type == DT_UNKNOWN) {
        struct stat st;
        if (::fstatat(::dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0)
          h.type = filetype_from_mode(st.st_mode);
      }
      out.push_back(std::move(h));
    }
  } catch (...) {
    ::closedir(d);
    throw;
  }
  ::closedir(d);
  if (err != Errno::success) return err;
  std::sort(out.begin(), out.end(),
            [](const HostEntry& a, const HostEntry& b) { return a.name < b.name; });
  return out;
}

// ---------------------------------------------------------------------------------------
// Walking paths

// A directory on a walk: its node and its host directory (an O_PATH fd), if it has one.
struct Frame {
  std::shared_ptr<DirNode> node;
  UniqueFd own;
  int lower = -1;
};

Result<Frame> frame_for(const Overlay& ov, std::shared_ptr<DirNode> node) {
  Frame f;
  f.node = std::move(node);
  if (!f.node->has_lower || f.node->removed) return f;
  if (f.node->lower_path.empty()) {
    f.lower = ov.root_fd.get();
    return f;
  }
  int fd = open_beneath(ov, f.node->lower_path, O_PATH | O_DIRECTORY);
  if (fd < 0) {
    // The host took its directory away: nothing below any more.
    if (errno == ENOENT || errno == ENOTDIR || errno == ELOOP) return f;
    return from_host_errno(errno);
  }
  f.own.reset(fd);
  f.lower = fd;
  return f;
}

// What a name in a directory is: an upper entry, a host entry, or nothing.
struct Found {
  enum Where : uint8_t { none, upper, lower };
  Where where = none;
  std::shared_ptr<Node> node;  // upper
  struct stat st {};           // lower (lstat)

  Filetype type() const {
    if (where == lower) return filetype_from_mode(st.st_mode);
    if (where == none) return Filetype::unknown;
    switch (node->kind) {
      case Kind::file: return Filetype::regular_file;
      case Kind::dir: return Filetype::directory;
      case Kind::symlink: return Filetype::symbolic_link;
    }
    return Filetype::unknown;
  }
  bool is_dir() const { return where != none && type() == Filetype::directory; }
};

Result<Found> lookup(const Frame& f, const std::string& name) {
  Found r;
  const DirNode& d = *f.node;
  if (d.removed) return r;
  if (auto it = d.entries.find(name); it != d.entries.end()) {
    if (it->second) {
      r.where = Found::upper;
      r.node = it->second;
    }
    return r;
  }
  if (f.lower < 0) return r;
  if (::fstatat(f.lower, name.c_str(), &r.st, AT_SYMLINK_NOFOLLOW) != 0) {
    if (errno == ENOENT) return r;
    return from_host_errno(errno);
  }
  r.where = Found::lower;
  return r;
}

bool host_has(int lower, const std::string& name) {
  if (lower < 0) return false;
  struct stat st;
  // Unsure (EACCES, ...) counts as there: a needless whiteout hides nothing.
  return ::fstatat(lower, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 || errno != ENOENT;
}

Result<std::string> link_target(const Frame& f, const std::string& name, const Found& found) {
  if (found.where == Found::upper) return static_cast<const SymlinkNode&>(*found.node).target;
  return read_host_link(f.lower, name);
}

void set_times_from(Node& n, const struct stat& st) {
  n.atim = ns_of(st.st_atim);
  n.mtim = ns_of(st.st_mtim);
  n.ctim = ns_of(st.st_ctim);
}

// The node for directory `name` found in `parent`: the upper one, or a transient node for
// a host directory.
std::shared_ptr<DirNode> child_dir(Overlay& ov, const Frame& parent, const std::string& name,
                                   const Found& f) {
  if (f.where == Found::upper) return std::static_pointer_cast<DirNode>(f.node);
  auto d = std::make_shared<DirNode>(&ov.budget);
  d->has_lower = true;
  d->lower_path = join(parent.node->lower_path, name);
  d->lower_dev = f.st.st_dev;
  d->lower_ino = f.st.st_ino;
  d->ino = f.st.st_ino;
  set_times_from(*d, f.st);
  d->nlink = f.st.st_nlink;
  d->size = static_cast<uint64_t>(f.st.st_size);
  d->parent = parent.node;
  d->name = name;
  return d;
}

Result<Frame> enter(Overlay& ov, const Frame& parent, const std::string& name, const Found& f) {
  auto d = child_dir(ov, parent, name, f);
  if (f.where == Found::upper) return frame_for(ov, std::move(d));
  int fd = ::openat(parent.lower, name.c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return from_host_errno(errno);
  Frame fr;
  fr.node = std::move(d);
  fr.own.reset(fd);
  fr.lower = fd;
  return fr;
}

// What a path names.
struct Resolved {
  std::vector<Frame> stack;  // from the Dir's own directory; back() holds `name`
  std::string name;          // the last component (empty when `self`)
  Found found;               // `name` in back(); none when `self`
  bool self = false;         // the path named back() itself ("." or ".." last)
  bool dotdot = false;       // ... by ".."
  bool slash = false;        // it ended in '/' (the thing must be a directory)
  Frame& dir() { return stack.back(); }
};

Errno check_path(std::string_view path) {
  if (path.empty()) return Errno::noent;
  if (path.find('\0') != std::string_view::npos) return Errno::inval;
  if (path.size() >= kPathMax) return Errno::nametoolong;
  if (path.front() == '/') return Errno::notcapable;
  return Errno::success;
}

bool ends_with_slash(std::string_view p) { return !p.empty() && p.back() == '/'; }

// Pushes the components of `path` onto `todo`, a stack whose top is the next component.
void push_components(std::vector<std::string>& todo, std::string_view path) {
  size_t end = path.size();
  while (end > 0) {
    size_t start = path.rfind('/', end - 1);
    start = start == std::string_view::npos ? 0 : start + 1;
    if (start < end) todo.emplace_back(path.substr(start, end - start));
    if (start == 0) break;
    end = start - 1;
  }
}

// Walks `path` from `base`. Symlinks are followed in every component but the last, and in
// the last when `follow`. A `..` above `base`, an absolute path or symlink target fail with
// ENOTCAPABLE.
Result<Resolved> resolve(Overlay& ov, const std::shared_ptr<DirNode>& base, std::string_view path,
                         bool follow) {
  if (Errno e = check_path(path); e != Errno::success) return e;
  Resolved r;
  r.slash = ends_with_slash(path);
  auto f0 = frame_for(ov, base);
  if (!f0) return f0.error();
  r.stack.push_back(std::move(*f0));
  std::vector<std::string> todo;
  push_components(todo, path);
  int links = 0;
  while (!todo.empty()) {
    std::string part = std::move(todo.back());
    todo.pop_back();
    const bool last = todo.empty();
    if (part == ".") {
      if (last) r.self = true;
      continue;
    }
    if (part == "..") {
      if (r.stack.size() == 1) return Errno::notcapable;
      r.stack.pop_back();
      if (last) r.self = r.dotdot = true;
      continue;
    }
    if (part.size() > kNameMax) return Errno::nametoolong;
    auto f = lookup(r.dir(), part);
    if (!f) return f.error();
    Filetype t = f->type();
    if (t == Filetype::symbolic_link && (!last || follow)) {
      if (++links > kMaxSymlinks) return Errno::loop;
      auto target = link_target(r.dir(), part, *f);
      if (!target) return target.error();
      if (target->empty()) return Errno::noent;
      if (target->front() == '/') return Errno::notcapable;
      if (last && ends_with_slash(*target)) r.slash = true;
      push_components(todo, *target);
      continue;
    }
    if (!last) {
      if (f->where == Found::none) return Errno::noent;
      if (t != Filetype::directory) return Errno::notdir;
      auto fr = enter(ov, r.dir(), part, *f);
      if (!fr) return fr.error();
      r.stack.push_back(std::move(*fr));
      continue;
    }
    r.name = std::move(part);
    r.found = std::move(*f);
  }
  return r;
}

// ---------------------------------------------------------------------------------------
// Changing the upper layer

// Makes `n` persistent: puts it (and its ancestors) into their parents' maps. Returns the
// node that stands for that directory from now on, which is an already attached one when
// another walk attached the same host directory first.
std::shared_ptr<DirNode> attach(Overlay& ov, const std::shared_ptr<DirNode>& n) {
  if (n->attached) return n;
  auto p0 = n->parent.lock();
  if (!p0) return n;  // cannot happen: a transient node's parent is on the walk's stack
  auto p = attach(ov, p0);
  if (auto it = p->entries.find(n->name); it != p->entries.end()) {
    if (it->second && it->second->kind == Kind::dir)
      return std::static_pointer_cast<DirNode>(it->second);
    return n;  // cannot happen: walks see the map first
  }
  ov.budget.force(entry_cost(n->name));
  p->entries.emplace(n->name, n);
  n->parent = p;
  n->attached = true;
  return n;
}

// Drops shadow nodes of host directories that nothing needs any more, from `n` upwards.
void prune(Overlay& ov, std::shared_ptr<DirNode> n) {
  while (n && n->attached && n != ov.root && prunable(*n)) {
    auto p = n->parent.lock();
    if (!p) break;
    auto it = p->entries.find(n->name);
    if (it == p->entries.end() || it->second != n) break;
    ov.budget.give(entry_cost(it->first));
    p->entries.erase(it);
    n->attached = false;
    n = std::move(p);
  }
}

Errno put_entry(Overlay& ov, DirNode& d, std::string_view name, std::shared_ptr<Node> node,
                bool force) {
  if (auto it = d.entries.find(name); it != d.entries.end()) {
    it->second = std::move(node);
    return Errno::success;
  }
  uint64_t cost = entry_cost(name);
  if (force) {
    ov.budget.force(cost);
  } else if (!ov.budget.take(cost)) {
    return Errno::nospc;
  }
  try {
    d.entries.emplace(std::string(name), std::move(node));
  } catch (...) {
    ov.budget.give(cost);
    throw;
  }
  return Errno::success;
}

// Takes `name` out of d's merged view: a whiteout if the host has it below, else no entry.
void drop_entry(Overlay& ov, DirNode& d, int lower, const std::string& name) {
  if (host_has(lower, name)) {
    put_entry(ov, d, name, nullptr, true);
    return;
  }
  if (auto it = d.entries.find(name); it != d.entries.end()) {
    ov.budget.give(entry_cost(it->first));
    d.entries.erase(it);
  }
}

void touch(DirNode& d) {
  d.mtim = d.ctim = now_ns();
  d.dirty = true;
}

void stamp_new(Overlay& ov, Node& n) {
  n.ino = ov.next_ino++;
  n.atim = n.mtim = n.ctim = now_ns();
}

Errno check_times(const Times& t) {
  if ((t.flags & fstflags::atim) && (t.flags & fstflags::atim_now)) return Errno::inval;
  if ((t.flags & fstflags::mtim) && (t.flags & fstflags::mtim_now)) return Errno::inval;
  return Errno::success;
}

void apply_times(Node& n, const Times& t) {
  uint64_t now = now_ns();
  if (t.flags & fstflags::atim_now) {
    n.atim = now;
  } else if (t.flags & fstflags::atim) {
    n.atim = t.atim;
  }
  if (t.flags & fstflags::mtim_now) {
    n.mtim = now;
  } else if (t.flags & fstflags::mtim) {
    n.mtim = t.mtim;
  }
  n.ctim = now;
}

// A lazy node for host file `name` in `at`, not yet in any map.
std::shared_ptr<FileNode> lazy_node(Overlay& ov, const Frame& at, const std::string& name,
                                    const struct stat& st) {
  auto n = std::make_shared<FileNode>(&ov.budget);
  n->lazy = true;
  n->lower_path = join(at.node->lower_path, name);
  n->ino = st.st_ino;
  set_times_from(*n, st);
  n->host_links = st.st_nlink > 1 ? st.st_nlink - 1 : 0;
  return n;
}

// Puts a lazy node for host file `name` of `at` in place of the host entry.
std::shared_ptr<FileNode> shadow_host_file(Overlay& ov, Frame& at, const std::string& name,
                                           const struct stat& st, bool origin_only) {
  at.node = attach(ov, at.node);
  auto n = lazy_node(ov, at, name, st);
  n->origin_only = origin_only;
  n->parent = at.node;
  n->name = name;
  put_entry(ov, *at.node, name, n, true);
  return n;
}

// Gives a host symlink an upper copy, so it can carry its own times or links.
Result<std::shared_ptr<SymlinkNode>> copy_host_link(Overlay& ov, Frame& at,
                                                    const std::string& name,
                                                    const struct stat& st, bool put) {
  auto target = read_host_link(at.lower, name);
  if (!target) return target.error();
  if (!ov.budget.take(target->size())) return Errno::nospc;
  std::shared_ptr<SymlinkNode> s;
  try {
    s = std::make_shared<SymlinkNode>(&ov.budget, std::move(*target));
  } catch (...) {
    ov.budget.give(target->size());
    throw;
  }
  s->ino = st.st_ino;
  set_times_from(*s, st);
  if (put) {
    at.node = attach(ov, at.node);
    put_entry(ov, *at.node, name, s, true);
  }
  return s;
}

// ---------------------------------------------------------------------------------------
// File contents

// Sets the size of a memory file, charging its capacity to the budget.
Errno resize(Budget& b, FileNode& f, uint64_t size) {
  if (size > kMaxFileSize) return Errno::fbig;
  uint64_t cap = f.data.capacity();
  if (size > cap) {
    uint64_t want = std::max<uint64_t>(size, cap + cap / 2);  // amortised appends
    if (!b.take(want - f.charged)) {
      want = size;
      if (!b.take(want - f.charged)) return Errno::nospc;
    }
    try {
      f.data.reserve(static_cast<size_t>(want));
    } catch (const std::bad_alloc&) {
      b.give(want - f.charged);
      return Errno::nomem;
    }
    uint64_t got = f.data.capacity();
    if (got > want) b.force(got - want);
    if (got < want) b.give(want - got);
    f.charged = got;
  }
  f.data.resize(static_cast<size_t>(size));
  if (f.data.capacity() > 65536 && f.data.size() < f.data.capacity() / 4) {
    f.data.shrink_to_fit();  // libstdc++'s does not throw: it keeps the buffer on failure
    b.give(f.charged - f.data.capacity());
    f.charged = f.data.capacity();
  }
  return Errno::success;
}

Errno ensure_host(const Overlay& ov, FileNode& f) {
  if (!f.lazy || f.host.valid()) return Errno::success;
  auto fd = open_host_file(ov, f.lower_path);
  if (!fd) return fd.error();
  f.host = std::move(*fd);
  return Errno::success;
}

// Stops reading through the host: the node's contents become memory (an empty one).
void forget_host(FileNode& f) {
  f.lazy = false;
  f.host.reset();
  f.lower_path.clear();
  f.lower_path.shrink_to_fit();
  f.origin_only = false;
}

// Copy-up: reads the host contents (the first `limit` bytes) into memory.
Errno copy_up(Overlay& ov, FileNode& f, uint64_t limit = kMaxFileSize) {
  if (!f.lazy) return Errno::success;
  const bool temporary = !f.host.valid();
  if (Errno e = ensure_host(ov, f); e != Errno::success) return e;
  struct stat st;
  if (::fstat(f.host.get(), &st) != 0) {
    Errno e = from_host_errno(errno);
    if (temporary) f.host.reset();
    return e;
  }
  uint64_t want = std::min<uint64_t>(static_cast<uint64_t>(st.st_size), limit);
  if (Errno e = resize(ov.budget, f, want); e != Errno::success) {
    if (temporary) f.host.reset();
    return e;
  }
  uint64_t got = 0;
  while (got < want) {
    ssize_t n = ::pread(f.host.get(), f.data.data() + got, static_cast<size_t>(want - got),
                        static_cast<off_t>(got));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      Errno e = from_host_errno(errno);
      resize(ov.budget, f, 0);
      if (temporary) f.host.reset();
      return e;
    }
    if (n == 0) break;  // the host file shrank meanwhile
    got += static_cast<uint64_t>(n);
  }
  if (got < want) resize(ov.budget, f, got);
  forget_host(f);
  return Errno::success;
}

Result<uint64_t> total_len(std::span<const iovec> bufs) {
  uint64_t total = 0;
  for (const iovec& b : bufs) {
    if (b.iov_len > kMaxFileSize - total) return Errno::inval;
    total += b.iov_len;
  }
  return total;
}

Result<size_t> read_at(Overlay& ov, FileNode& f, std::span<const iovec> bufs, uint64_t off) {
  if (off > kMaxFileSize) return Errno::inval;
  if (f.lazy) {
    if (Errno e = ensure_host(ov, f); e != Errno::success) return e;
    int n = static_cast<int>(std::min<size_t>(bufs.size(), IOV_MAX));
    ssize_t r;
    do {
      r = ::preadv(f.host.get(), bufs.data(), n, static_cast<off_t>(off));
    } while (r < 0 && errno == EINTR);
    if (r < 0) return from_host_errno(errno);
    return static_cast<size_t>(r);
  }
  size_t done = 0;
  uint64_t size = f.data.size();
  for (const iovec& b : bufs) {
    if (off >= size) break;
    size_t k = static_cast<size_t>(std::min<uint64_t>(b.iov_len, size - off));
    if (k) std::memcpy(b.iov_base, f.data.data() + off, k);
    done += k;
    off += k;
    if (k < b.iov_len) break;
  }
  return done;
}

Result<size_t> write_at(Overlay& ov, FileNode& f, std::span<const iovec> bufs, uint64_t off) {
  auto total = total_len(bufs);
  if (!total) return total.error();
  if (*total == 0) return size_t{0};
  if (off > kMaxFileSize - *total) return Errno::fbig;
  if (Errno e = copy_up(ov, f); e != Errno::success) return e;
  uint64_t end = off + *total;
  if (end > f.data.size()) {
    if (Errno e = resize(ov.budget, f, end); e != Errno::success) return e;
  }
  char* p = f.data.data() + off;
  for (const iovec& b : bufs) {
    if (b.iov_len) std::memcpy(p, b.iov_base, b.iov_len);
    p += b.iov_len;
  }
  f.mtim = f.ctim = now_ns();
  return static_cast<size_t>(*total);
}

// ---------------------------------------------------------------------------------------
// Attributes

Result<Filestat> file_stat(const Overlay& ov, FileNode& f) {
  Filestat s;
  s.dev = ov.dev;
  s.ino = f.ino;
  s.type = Filetype::regular_file;
  s.nlink = f.names ? f.names + f.host_links : 0;
  if (f.lazy) {
    struct stat st;
    if (f.host.valid()) {
      if (::fstat(f.host.get(), &st) != 0) return from_host_errno(errno);
    } else {
      UniqueFd fd(open_beneath(ov, f.lower_path, O_PATH));
      if (!fd.valid() || ::fstat(fd.get(), &st) != 0) return from_host_errno(errno);
    }
    s.size = static_cast<uint64_t>(st.st_size);
  } else {
    s.size = f.data.size();
  }
  s.atim = f.atim;
  s.mtim = f.mtim;
  s.ctim = f.ctim;
  return s;
}

Filestat dir_stat(const Overlay& ov, const DirNode& d) {
  Filestat s;
  s.dev = ov.dev;
  s.ino = d.ino;
  s.type = Filetype::directory;
  s.nlink = d.removed ? 0 : d.nlink;
  s.size = d.size;
  s.atim = d.atim;
  s.mtim = d.mtim;
  s.ctim = d.ctim;
  return s;
}

Result<Filestat> found_stat(const Overlay& ov, const Found& f) {
  if (f.where == Found::lower) {
    Filestat s = filestat_from_host(f.st);
    s.dev = ov.dev;
    return s;
  }
  switch (f.node->kind) {
    case Kind::file: return file_stat(ov, static_cast<FileNode&>(*f.node));
    case Kind::dir: return dir_stat(ov, static_cast<const DirNode&>(*f.node));
    case Kind::symlink: {
      const auto& l = static_cast<const SymlinkNode&>(*f.node);
      Filestat s;
      s.dev = ov.dev;
      s.ino = l.ino;
      s.type = Filetype::symbolic_link;
      s.nlink = l.names;
      s.size = l.target.size();
      s.atim = l.atim;
      s.mtim = l.mtim;
      s.ctim = l.ctim;
      return s;
    }
  }
  return Errno::io;
}

// Runs `f` under the overlay's lock; what it throws becomes an errno.
template <class F>
auto locked(std::mutex& mu, F&& f) -> decltype(f()) {
  std::lock_guard<std::mutex> g(mu);
  try {
    return f();
  } catch (const std::bad_alloc&) {
    return Errno::nomem;
  } catch (...) {
    return Errno::io;
  }
}

// ---------------------------------------------------------------------------------------
// Open files

// After the last File of `f` closed (or failed to open): a lazy node keeps no host fd while
// nothing reads it, and one put in place only for the opens goes.
void after_last_close(Overlay& ov, const std::shared_ptr<FileNode>& f) {
  if (f->opens > 0) return;
  f->host.reset();
  if (!f->lazy || !f->origin_only) return;
  auto p = f->parent.lock();
  if (!p) return;
  auto it = p->entries.find(f->name);
  if (it == p->entries.end() || it->second != f) return;
  ov.budget.give(entry_cost(it->first));
  p->entries.erase(it);
  prune(ov, std::move(p));
}

class OverlayFile final : public File {
 public:
  // Under the lock.
  OverlayFile(std::shared_ptr<Overlay> ov, std::shared_ptr<FileNode> node, bool read, bool write,
              uint16_t fdflags)
      : ov_(std::move(ov)), node_(std::move(node)), read_(read), write_(write), flags_(fdflags) {
    ++node_->opens;
  }

  ~OverlayFile() override {
    std::lock_guard<std::mutex> g(ov_->mu);
    --node_->opens;
    after_last_close(*ov_, node_);
    node_.reset();  // under the lock: the node gives back to the budget as it dies
  }

  Filetype type() const override { return Filetype::regular_file; }

  Result<Filestat> stat() override {
    return locked(ov_->mu, [&]() -> Result<Filestat> { return file_stat(*ov_, *node_); });
  }

  Result<size_t> read(std::span<const iovec> bufs) override {
    return locked(ov_->mu, [&]() -> Result<size_t> {
      if (!read_) return Errno::badf;
      auto n = read_at(*ov_, *node_, bufs, pos_);
      if (n) pos_ += *n;
      return n;
    });
  }

  Result<size_t> pread(std::span<const iovec> bufs, uint64_t off) override {
    return locked(ov_->mu, [&]() -> Result<size_t> {
      if (!read_) return Errno::badf;
      return read_at(*ov_, *node_, bufs, off);
    });
  }

  Result<size_t> write(std::span<const iovec> bufs) override {
    return locked(ov_->mu, [&]() -> Result<size_t> {
      if (!write_) return Errno::badf;
      uint64_t off = pos_;
      if (flags_ & fdflags::append) {
        auto size = current_size();
        if (!size) return size.error();
        off = *size;
      }
      auto n = write_at(*ov_, *node_, bufs, off);
      if (n) pos_ = off + *n;
      return n;
    });
  }

  // As Linux: with O_APPEND, pwrite appends whatever the offset.
  Result<size_t> pwrite(std::span<const iovec> bufs, uint64_t off) override {
    return locked(ov_->mu, [&]() -> Result<size_t> {
      if (!write_) return Errno::badf;
      if (flags_ & fdflags::append) {
        auto size = current_size();
        if (!size) return size.error();
        off = *size;
      }
      return write_at(*ov_, *node_, bufs, off);
    });
  }

  Result<uint64_t> seek(int64_t offset, Whence whence) override {
    return locked(ov_->mu, [&]() -> Result<uint64_t> {
      int64_t base = 0;
      switch (whence) {
        case Whence::set: base = 0; break;
        case Whence::cur: base = static_cast<int64_t>(pos_); break;
        case Whence::end: {
          auto size = current_size();
          if (!size) return size.error();
          base = static_cast<int64_t>(*size);
          break;
        }
        default: return Errno::inval;
      }
      int64_t to;
      if (__builtin_add_overflow(base, offset, &to) || to < 0) return Errno::inval;
      pos_ = static_cast<uint64_t>(to);
      return pos_;
    });
  }

  Errno set_size(uint64_t size) override {
    return locked(ov_->mu, [&]() -> Errno {
      if (!write_) return Errno::inval;  // as ftruncate on a file not open for writing
      if (size > kMaxFileSize) return Errno::fbig;
      FileNode& f = *node_;
      if (f.lazy) {
        // Only what stays needs copying.
        if (size == 0) {
          forget_host(f);
        } else if (Errno e = copy_up(*ov_, f, size); e != Errno::success) {
          return e;
        }
      }
      if (Errno e = resize(ov_->budget, f, size); e != Errno::success) return e;
      f.mtim = f.ctim = now_ns();
      return Errno::success;
    });
  }

  Errno set_times(const Times& t) override {
    return locked(ov_->mu, [&]() -> Errno {
      if (Errno e = check_times(t); e != Errno::success) return e;
      apply_times(*node_, t);
      node_->origin_only = false;
      return Errno::success;
    });
  }

  Errno allocate(uint64_t offset, uint64_t len) override {
    return locked(ov_->mu, [&]() -> Errno {
      if (!write_) return Errno::badf;
      if (len == 0) return Errno::inval;
      if (offset > kMaxFileSize || len > kMaxFileSize - offset) return Errno::fbig;
      auto size = current_size();
      if (!size) return size.error();
      if (offset + len <= *size) return Errno::success;
      if (Errno e = copy_up(*ov_, *node_); e != Errno::success) return e;
      if (Errno e = resize(ov_->budget, *node_, offset + len); e != Errno::success) return e;
      node_->mtim = node_->ctim = now_ns();
      return Errno::success;
    });
  }

  uint16_t fdflags() const override { return flags_; }

  Errno set_fdflags(uint16_t f) override {
    constexpr uint16_t kMutable = fdflags::append | fdflags::nonblock;
    flags_ = static_cast<uint16_t>((flags_ & ~kMutable) | (f & kMutable));
    return Errno::success;
  }

  bool writable() const override { return write_; }

 private:
  Result<uint64_t> current_size() {
    FileNode& f = *node_;
    if (!f.lazy) return static_cast<uint64_t>(f.data.size());
    auto s = file_stat(*ov_, f);
    if (!s) return s.error();
    return s->size;
  }

  std::shared_ptr<Overlay> ov_;  // first: outlives node_
  std::shared_ptr<FileNode> node_;
  uint64_t pos_ = 0;
  bool read_, write_;
  uint16_t flags_;
};

// ---------------------------------------------------------------------------------------
// Directories

class OverlayDir final : public Dir {
 public:
  // Under the lock.
  OverlayDir(std::shared_ptr<Overlay> ov, std::shared_ptr<DirNode> node)
      : ov_(std::move(ov)), node_(std::move(node)) {
    ++node_->views;
  }

  ~OverlayDir() override {
    std::lock_guard<std::mutex> g(ov_->mu);
    ov_->budget.give(cookie_charge_);
    --node_->views;
    prune(*ov_, std::move(node_));
  }

  Result<Filestat> stat() override {
    return locked(ov_->mu, [&]() -> Result<Filestat> { return dir_stat(*ov_, *node_); });
  }

  Errno set_times(const Times& t) override {
    return locked(ov_->mu, [&]() -> Errno {
      if (Errno e = check_times(t); e != Errno::success) return e;
      apply_times(*node_, t);
      node_->dirty = true;
      return Errno::success;
    });
  }

  bool read_only() const override { return false; }

  Result<Opened> open(std::string_view path, const OpenRequest& req) override {
    return locked(ov_->mu, [&]() -> Result<Opened> { return open_impl(path, req); });
  }

  Result<Filestat> stat_at(std::string_view path, bool follow) override {
    return locked(ov_->mu, [&]() -> Result<Filestat> {
      auto r = resolve(*ov_, node_, path, follow || ends_with_slash(path));
      if (!r) return r.error();
      if (r->self) return dir_stat(*ov_, *r->dir().node);
      const Found& f = r->found;
      if (f.where == Found::none) return Errno::noent;
      if (r->slash && !f.is_dir()) return Errno::notdir;
      return found_stat(*ov_, f);
    });
  }

  Errno set_times_at(std::string_view path, bool follow, const Times& t) override {
    return locked(ov_->mu, [&]() -> Errno { return set_times_at_impl(path, follow, t); });
  }

  Errno mkdir(std::string_view path) override {
    return locked(ov_->mu, [&]() -> Errno { return mkdir_impl(path); });
  }

  Errno rmdir(std::string_view path) override {
    return locked(ov_->mu, [&]() -> Errno { return rmdir_impl(path); });
  }

  Errno unlink(std::string_view path) override {
    return locked(ov_->mu, [&]() -> Errno { return unlink_impl(path); });
  }

  Result<std::string> readlink(std::string_view path) override {
    return locked(ov_->mu, [&]() -> Result<std::string> {
      auto r = resolve(*ov_, node_, path, ends_with_slash(path));
      if (!r) return r.error();
      if (r->self) return Errno::inval;
      const Found& f = r->found;
      if (f.where == Found::none) return Errno::noent;
      if (f.type() != Filetype::symbolic_link) return Errno::inval;
      return link_target(r->dir(), r->name, f);
    });
  }

  Errno symlink(std::string_view target, std::string_view path) override {
    return locked(ov_->mu, [&]() -> Errno { return symlink_impl(target, path); });
  }

  Errno rename(std::string_view from, Dir& to_dir, std::string_view to) override {
    auto* dst = dynamic_cast<OverlayDir*>(&to_dir);
    if (!dst || dst->ov_ != ov_) return Errno::xdev;
    return locked(ov_->mu, [&]() -> Errno { return rename_impl(from, *dst, to); });
  }

  Errno link(std::string_view from, bool follow, Dir& to_dir, std::string_view to) override {
    auto* dst = dynamic_cast<OverlayDir*>(&to_dir);
    if (!dst || dst->ov_ != ov_) return Errno::xdev;
    return locked(ov_->mu, [&]() -> Errno { return link_impl(from, follow, *dst, to); });
  }

  Result<std::vector<Dirent>> readdir(uint64_t cookie, size_t min_bytes) override {
    return locked(ov_->mu,
                  [&]() -> Result<std::vector<Dirent>> { return readdir_impl(cookie, min_bytes); });
  }

 private:
  Result<Opened> view(const std::shared_ptr<DirNode>& d) {
    auto canon = attach(*ov_, d);
    return Opened{nullptr, std::make_shared<OverlayDir>(ov_, std::move(canon))};
  }

  Result<Opened> open_impl(std::string_view path, const OpenRequest& req) {
    Overlay& ov = *ov_;
    const bool creat = req.oflags & oflags::creat, excl = req.oflags & oflags::excl;
    const bool trunc = req.oflags & oflags::trunc, want_dir = req.oflags & oflags::directory;
    // O_EXCL never follows a final symlink: it is there, so EEXIST.
    const bool follow = (req.follow || ends_with_slash(path)) && !(creat && excl);
    auto r = resolve(ov, node_, path, follow);
    if (!r) return r.error();
    Frame& at = r->dir();
    if (r->self) {
      if (creat && excl) return Errno::exist;
      if (creat || req.write || trunc) return Errno::isdir;
      return view(at.node);
    }
    const Found& f = r->found;
    if (f.where == Found::none) {
      if (!creat) return Errno::noent;
      if (r->slash) return Errno::isdir;
      if (want_dir) return Errno::inval;  // as Linux since 6.4
      if (at.node->removed) return Errno::noent;
      auto parent = attach(ov, at.node);
      auto node = std::make_shared<FileNode>(&ov.budget);
      stamp_new(ov, *node);
      if (Errno e = put_entry(ov, *parent, r->name, node, false); e != Errno::success) return e;
      touch(*parent);
      return Opened{std::make_shared<OverlayFile>(ov_, std::move(node), req.read, req.write,
                                                  req.fdflags),
                    nullptr};
    }
    if (creat && excl) return Errno::exist;
    const Filetype t = f.type();
    if (t == Filetype::symbolic_link) return want_dir ? Errno::notdir : Errno::loop;
    if (t == Filetype::directory) {
      if (creat || req.write || trunc) return Errno::isdir;
      return view(child_dir(ov, at, r->name, f));
    }
    if (want_dir || r->slash) return Errno::notdir;
    if (t != Filetype::regular_file) return Errno::acces;  // host devices, FIFOs, sockets
    std::shared_ptr<FileNode> node;
    if (f.where == Found::upper) {
      node = std::static_pointer_cast<FileNode>(f.node);
    } else {
      UniqueFd host;
      if (!trunc) {  // truncation needs none of the host's bytes
        auto fd = open_host_file_at(at.lower, r->name);
        if (!fd) return fd.error();
        host = std::move(*fd);
      }
      node = shadow_host_file(ov, at, r->name, f.st, /*origin_only=*/true);
      node->host = std::move(host);
    }
    if (trunc) {
      if (node->lazy) forget_host(*node);
      if (Errno e = resize(ov.budget, *node, 0); e != Errno::success) return e;
      node->mtim = node->ctim = now_ns();
    } else if (Errno e = ensure_host(ov, *node); e != Errno::success) {
      return e;
    }
    try {
      return Opened{std::make_shared<OverlayFile>(ov_, node, req.read, req.write, req.fdflags),
                    nullptr};
    } catch (...) {
      after_last_close(ov, node);
      throw;
    }
  }

  Errno set_times_at_impl(std::string_view path, bool follow, const Times& t) {
    Overlay& ov = *ov_;
    if (Errno e = check_times(t); e != Errno::success) return e;
    auto r = resolve(ov, node_, path, follow || ends_with_slash(path));
    if (!r) return r.error();
    Frame& at = r->dir();
    if (r->self) {
      auto d = attach(ov, at.node);
      apply_times(*d, t);
      d->dirty = true;
      return Errno::success;
    }
    const Found& f = r->found;
    if (f.where == Found::none) return Errno::noent;
    if (r->slash && !f.is_dir()) return Errno::notdir;
    if (f.where == Found::upper) {
      apply_times(*f.node, t);
      if (f.node->kind == Kind::file) static_cast<FileNode&>(*f.node).origin_only = false;
      if (f.node->kind == Kind::dir) static_cast<DirNode&>(*f.node).dirty = true;
      return Errno::success;
    }
    switch (f.type()) {
      case Filetype::directory: {
        auto d = attach(ov, child_dir(ov, at, r->name, f));
        apply_times(*d, t);
        d->dirty = true;
        return Errno::success;
      }
      case Filetype::regular_file: {
        auto n = shadow_host_file(ov, at, r->name, f.st, /*origin_only=*/false);
        apply_times(*n, t);
        return Errno::success;
      }
      case Filetype::symbolic_link: {
        auto s = copy_host_link(ov, at, r->name, f.st, /*put=*/true);
        if (!s) return s.error();
        apply_times(**s, t);
        return Errno::success;
      }
      default: return Errno::notsup;  // host devices and FIFOs have no upper form
    }
  }

  Errno mkdir_impl(std::string_view path) {
    Overlay& ov = *ov_;
    auto r = resolve(ov, node_, path, false);
    if (!r) return r.error();
    if (r->self || r->found.where != Found::none) return Errno::exist;
    Frame& at = r->dir();
    if (at.node->removed) return Errno::noent;
    auto parent = attach(ov, at.node);
    auto d = std::make_shared<DirNode>(&ov.budget);
    stamp_new(ov, *d);
    d->parent = parent;
    d->name = r->name;
    d->attached = true;
    if (Errno e = put_entry(ov, *parent, r->name, d, false); e != Errno::success) return e;
    ++parent->nlink;
    touch(*parent);
    return Errno::success;
  }

  // Whether the merged view of a directory has no entries.
  static Result<bool> is_empty(const Frame& fr) {
    for (const auto& e : fr.node->entries)
      if (e.second) return false;
    if (fr.lower < 0) return true;
    auto host = list_host_dir(fr.lower);
    if (!host) return host.error();
    for (const HostEntry& h : *host)
      if (!fr.node->entries.count(h.name)) return false;  // not whited out
    return true;
  }

  Errno rmdir_impl(std::string_view path) {
    Overlay& ov = *ov_;
    auto r = resolve(ov, node_, path, false);
    if (!r) return r.error();
    if (r->self) return r->dotdot ? Errno::notempty : Errno::inval;
    const Found& f = r->found;
    if (f.where == Found::none) return Errno::noent;
    if (!f.is_dir()) return Errno::notdir;
    Frame& at = r->dir();
    auto child = enter(ov, at, r->name, f);
    if (!child) return child.error();
    auto empty = is_empty(*child);
    if (!empty) return empty.error();
    if (!*empty) return Errno::notempty;
    auto parent = attach(ov, at.node);
    DirNode& d = *child->node;
    d.removed = true;
    for (const auto& e : d.entries) ov.budget.give(entry_cost(e.first));
    d.entries.clear();
    drop_entry(ov, *parent, at.lower, r->name);
    --parent->nlink;
    touch(*parent);
    return Errno::success;
  }

  Errno unlink_impl(std::string_view path) {
    Overlay& ov = *ov_;
    auto r = resolve(ov, node_, path, false);
    if (!r) return r.error();
    if (r->self) return Errno::isdir;
    const Found& f = r->found;
    if (f.where == Found::none) return Errno::noent;
    if (f.is_dir()) return Errno::isdir;
    if (r->slash) return Errno::notdir;
    Frame& at = r->dir();
    auto parent = attach(ov, at.node);
    if (f.where == Found::upper) {
      if (f.node->kind == Kind::file) --static_cast<FileNode&>(*f.node).names;
      if (f.node->kind == Kind::symlink) --static_cast<SymlinkNode&>(*f.node).names;
    }
    drop_entry(ov, *parent, at.lower, r->name);
    touch(*parent);
    return Errno::success;
  }

  Errno symlink_impl(std::string_view target, std::string_view path) {
    Overlay& ov = *ov_;
    if (target.empty()) return Errno::noent;
    if (target.find('\0') != std::string_view::npos) return Errno::inval;
    if (target.size() >= kPathMax) return Errno::nametoolong;
    auto r = resolve(ov, node_, path, false);
    if (!r) return r.error();
    if (r->self || r->found.where != Found::none) return Errno::exist;
    if (r->slash) return Errno::noent;
    Frame& at = r->dir();
    if (at.node->removed) return Errno::noent;
    // The link's directory is stack.size() - 1 levels below this Dir.
    if (!symlink_target_stays_inside(target, static_cast<int>(r->stack.size()) - 1))
      return Errno::notcapable;
    if (!ov.budget.take(target.size())) return Errno::nospc;
    std::shared_ptr<SymlinkNode> s;
    try {
      s = std::make_shared<SymlinkNode>(&ov.budget, std::string(target));
    } catch (...) {
      ov.budget.give(target.size());
      throw;
    }
    stamp_new(ov, *s);
    auto parent = attach(ov, at.node);
    if (Errno e = put_entry(ov, *parent, r->name, s, false); e != Errno::success) return e;
    touch(*parent);
    return Errno::success;
  }

  Errno link_impl(std::string_view from, bool follow, OverlayDir& dst, std::string_view to) {
    Overlay& ov = *ov_;
    auto rf = resolve(ov, node_, from, follow || ends_with_slash(from));
    if (!rf) return rf.error();
    if (rf->self) return Errno::perm;
    const Found& sf = rf->found;
    if (sf.where == Found::none) return Errno::noent;
    if (sf.is_dir()) return Errno::perm;  // no hard links to directories
    if (rf->slash) return Errno::notdir;
    auto rt = resolve(ov, dst.node_, to, false);
    if (!rt) return rt.error();
    if (rt->self || rt->found.where != Found::none) return Errno::exist;
    if (rt->slash) return Errno::noent;
    if (rt->dir().node->removed) return Errno::noent;
    // Both names must reach one upper node, so a host entry gets one first.
    std::shared_ptr<Node> node;
    if (sf.where == Found::upper) {
      node = sf.node;
    } else {
      switch (sf.type()) {
        case Filetype::regular_file:
          node = shadow_host_file(ov, rf->dir(), rf->name, sf.st, /*origin_only=*/false);
          break;
        case Filetype::symbolic_link: {
          auto s = copy_host_link(ov, rf->dir(), rf->name, sf.st, /*put=*/true);
          if (!s) return s.error();
          node = std::move(*s);
          break;
        }
        default: return Errno::notsup;  // host devices and FIFOs have no upper form
      }
    }
    auto parent = attach(ov, rt->dir().node);
    if (Errno e = put_entry(ov, *parent, rt->name, node, false); e != Errno::success) return e;
    if (node->kind == Kind::file) {
      auto& fn = static_cast<FileNode&>(*node);
      ++fn.names;
      fn.origin_only = false;
    } else {
      ++static_cast<SymlinkNode&>(*node).names;
    }
    node->ctim = now_ns();
    touch(*parent);
    return Errno::success;
  }

  // Linux's order of checks (do_renameat2, vfs_rename), so a guest sees the errno it would
  // on a real directory.
  Errno rename_impl(std::string_view from, OverlayDir& dst, std::string_view to) {
    Overlay& ov = *ov_;
    auto rf = resolve(ov, node_, from, false);
    if (!rf) return rf.error();
    auto rt = resolve(ov, dst.node_, to, false);
    if (!rt) return rt.error();
    if (rf->self || rt->self) return Errno::busy;
    const Found& sf = rf->found;
    const Found& tf = rt->found;
    if (sf.where == Found::none) return Errno::noent;
    const bool src_dir = sf.is_dir();
    if (!src_dir && (rf->slash || rt->slash)) return Errno::notdir;
    Frame& a = rf->dir();
    Frame& b = rt->dir();
    std::shared_ptr<DirNode> src, dst_dir;
    if (src_dir) {
      src = child_dir(ov, a, rf->name, sf);
      for (auto n = b.node; n; n = n->parent.lock())
        if (same_dir(*n, *src)) return Errno::inval;  // into itself
    }
    if (tf.is_dir()) {
      dst_dir = child_dir(ov, b, rt->name, tf);
      for (auto n = a.node; n; n = n->parent.lock())
        if (same_dir(*n, *dst_dir)) return Errno::notempty;  // onto its own ancestor
    }
    if (b.node->removed) return Errno::noent;
    if (same_dir(*a.node, *b.node) && rf->name == rt->name) return Errno::success;
    if (tf.where != Found::none) {
      // Two names of one file: nothing to do.
      if (sf.where == Found::upper && tf.where == Found::upper && sf.node == tf.node)
        return Errno::success;
      if (sf.where == Found::lower && tf.where == Found::lower &&
          sf.st.st_dev == tf.st.st_dev && sf.st.st_ino == tf.st.st_ino)
        return Errno::success;
      if (src_dir && !dst_dir) return Errno::notdir;
      if (!src_dir && dst_dir) return Errno::isdir;
      if (dst_dir) {
        auto tfr = enter(ov, b, rt->name, tf);
        if (!tfr) return tfr.error();
        auto empty = is_empty(*tfr);
        if (!empty) return empty.error();
        if (!*empty) return Errno::notempty;
      }
    }

    // The node that moves: the upper one, or an upper form of the host entry.
    std::shared_ptr<Node> moving;
    if (sf.where == Found::upper) {
      moving = sf.node;
    } else {
      switch (sf.type()) {
        case Filetype::directory: moving = src; break;  // a transient node, host dir and all
        case Filetype::regular_file: moving = lazy_node(ov, a, rf->name, sf.st); break;
        case Filetype::symbolic_link: {
          auto s = copy_host_link(ov, a, rf->name, sf.st, /*put=*/false);
          if (!s) return s.error();
          moving = std::move(*s);
          break;
        }
        default: return Errno::xdev;  // host devices and FIFOs cannot be carried over
      }
    }
    auto p1 = attach(ov, a.node);
    auto p2 = attach(ov, b.node);
    if (Errno e = put_entry(ov, *p2, rt->name, moving, false); e != Errno::success) return e;
    if (dst_dir) {
      dst_dir->removed = true;
      for (const auto& e : dst_dir->entries) ov.budget.give(entry_cost(e.first));
      dst_dir->entries.clear();
      --p2->nlink;
    } else if (tf.where == Found::upper) {
      if (tf.node->kind == Kind::file) --static_cast<FileNode&>(*tf.node).names;
      if (tf.node->kind == Kind::symlink) --static_cast<SymlinkNode&>(*tf.node).names;
    }
    if (src_dir) {
      auto d = std::static_pointer_cast<DirNode>(moving);
      d->parent = p2;
      d->name = rt->name;
      d->moved = true;
      d->attached = true;
      --p1->nlink;
      ++p2->nlink;
    } else if (moving->kind == Kind::file) {
      static_cast<FileNode&>(*moving).origin_only = false;
    }
    drop_entry(ov, *p1, a.lower, rf->name);
    moving->ctim = now_ns();
    touch(*p1);
    touch(*p2);
    return Errno::success;
  }

  // Cookies: 0 starts, 1 resumes after ".", 2 after "..", 3 + i after cookie_names_[i].
  // Entries come sorted by name, so "after a name" stays meaningful whatever is added or
  // removed meanwhile. The table belongs to this open directory (a directory stream) and
  // starts again with cookie 0, as telldir positions do with rewinddir.
  uint64_t cookie_for(const std::string& name) {
    if (auto it = cookie_of_.find(name); it != cookie_of_.end()) return it->second;
    uint64_t c = 3 + cookie_names_.size();
    cookie_names_.push_back(name);
    cookie_of_.emplace(name, c);
    uint64_t cost = 2 * name.size() + 64;
    ov_->budget.force(cost);
    cookie_charge_ += cost;
    return c;
  }

  Result<std::vector<Dirent>> readdir_impl(uint64_t cookie, size_t min_bytes) {
    Overlay& ov = *ov_;
    DirNode& d = *node_;
    std::vector<Dirent> out;
    if (cookie == 0) {
      cookie_names_.clear();
      cookie_of_.clear();
      ov.budget.give(cookie_charge_);
      cookie_charge_ = 0;
      host_loaded_ = false;
    }
    if (d.removed) return out;
    if (!host_loaded_) {
      host_.clear();
      auto fr = frame_for(ov, node_);
      if (!fr) return fr.error();
      if (fr->lower >= 0) {
        auto h = list_host_dir(fr->lower);
        if (!h) return h.error();
        host_ = std::move(*h);
      }
      host_loaded_ = true;
    }
    size_t bytes = 0;
    auto emit = [&](uint64_t next, uint64_t ino, Filetype type, std::string name) {
      bytes += layout::kDirentSize + name.size();
      out.push_back(Dirent{next, ino, type, std::move(name)});
    };
    std::string after;
    bool from_start = cookie <= 2;
    if (cookie == 0 && bytes < min_bytes) emit(1, d.ino, Filetype::directory, ".");
    if (cookie <= 1 && bytes < min_bytes) {
      auto p = d.parent.lock();
      emit(2, p ? p->ino : d.ino, Filetype::directory, "..");
    }
    if (!from_start) {
      uint64_t i = cookie - 3;
      if (i >= cookie_names_.size()) return out;  // not a cookie of this stream: the end
      after = cookie_names_[i];
    }
    auto ui = from_start ? d.entries.begin() : d.entries.upper_bound(after);
    auto hi = from_start ? host_.begin()
                         : std::upper_bound(host_.begin(), host_.end(), after,
                                            [](const std::string& n, const HostEntry& h) {
                                              return n < h.name;
                                            });
    while (bytes < min_bytes) {
      const bool have_u = ui != d.entries.end(), have_h = hi != host_.end();
      if (!have_u && !have_h) break;
      int c = !have_u ? 1 : !have_h ? -1 : ui->first.compare(hi->name);
      if (c > 0) {
        emit(cookie_for(hi->name), hi->ino, hi->type, hi->name);
        ++hi;
        continue;
      }
      if (c == 0) ++hi;  // the upper entry shadows (or whites out) the host's
      if (const auto& n = ui->second) {
        Found f;
        f.where = Found::upper;
        f.node = n;
        emit(cookie_for(ui->first), n->ino, f.type(), ui->first);
      }
      ++ui;
    }
    return out;
  }

  std::shared_ptr<Overlay> ov_;  // first: outlives node_
  std::shared_ptr<DirNode> node_;
  // This stream's readdir state.
  std::vector<std::string> cookie_names_;
  std::unordered_map<std::string, uint64_t> cookie_of_;
  uint64_t cookie_charge_ = 0;
  std::vector<HostEntry> host_;  // the host listing, read at the stream's start
  bool host_loaded_ = false;
};

}  // namespace

Result<std::shared_ptr<Dir>> open_overlay(const std::string& host_path, uint64_t max_bytes) {
  try {
    int fd = ::open(host_path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return from_host_errno(errno);
    auto ov = std::make_shared<Overlay>();
    ov->root_fd.reset(fd);
    struct stat st;
    if (::fstat(fd, &st) != 0) return from_host_errno(errno);
    ov->budget.cap = max_bytes;
    ov->dev = 0x4f56'0000'0000'0000ull | (g_overlay_count.fetch_add(1) & 0xffff'ffff'ffffull);
    auto root = std::make_shared<DirNode>(&ov->budget);
    root->has_lower = true;
    root->lower_dev = st.st_dev;
    root->lower_ino = st.st_ino;
    root->ino = st.st_ino;
    set_times_from(*root, st);
    root->nlink = st.st_nlink;
    root->size = static_cast<uint64_t>(st.st_size);
    root->attached = true;  // the root has no parent to be pruned from
    ov->root = root;
    std::lock_guard<std::mutex> g(ov->mu);
    return std::shared_ptr<Dir>(std::make_shared<OverlayDir>(ov, std::move(root)));
  } catch (const std::bad_alloc&) {
    return Errno::nomem;
  }
}

Result<std::shared_ptr<Dir>> open_overlay(const std::string& host_path) {
  return open_overlay(host_path, kOverlayDefaultMaxBytes);
}

}  // namespace isola::wasi::vfs
