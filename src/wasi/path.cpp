// The path_* calls. Each names a path relative to a directory fd; the mount behind that fd
// (vfs/) resolves it and guarantees it stays beneath. Here: rights, flags and marshalling.
#include "wasi/call.hpp"

namespace isola::wasi::detail {

Errno write_filestat(Call& c, uint32_t ptr, const vfs::Filestat& s);  // fd.cpp
bool valid_fstflags(uint32_t f);                                       // fd.cpp

namespace {

// The directory behind fd argument `arg`, after checking it holds `needed`.
Errno dir_of(Call& c, int arg, Rights needed, FdEntry*& out) {
  out = c.ctx.get(c.u32(arg));
  if (!out) return Errno::badf;
  if (!out->dir) return Errno::notdir;
  return check_rights(*out, needed);
}

// A guest path: bytes in its memory. A NUL inside cannot name anything on the host.
Errno path_of(Call& c, int ptr_arg, std::string_view& out) {
  out = c.str(ptr_arg);
  if (out.find('\0') != std::string_view::npos) return Errno::inval;
  return Errno::success;
}

#define TRY(expr)                                    \
  do {                                               \
    if (Errno e_ = (expr); e_ != Errno::success) return e_; \
  } while (0)

}  // namespace

Errno path_create_directory(Call& c) {
  FdEntry* d;
  std::string_view p;
  TRY(dir_of(c, 0, right::path_create_directory, d));
  TRY(path_of(c, 1, p));
  return d->dir->mkdir(p);
}

Errno path_filestat_get(Call& c) {
  FdEntry* d;
  std::string_view p;
  TRY(dir_of(c, 0, right::path_filestat_get, d));
  TRY(path_of(c, 2, p));
  auto s = d->dir->stat_at(p, c.u32(1) & lookupflags::symlink_follow);
  if (!s) return s.error();
  return write_filestat(c, c.u32(4), *s);
}

Errno path_filestat_set_times(Call& c) {
  FdEntry* d;
  std::string_view p;
  TRY(dir_of(c, 0, right::path_filestat_set_times, d));
  TRY(path_of(c, 2, p));
  if (!valid_fstflags(c.u32(6))) return Errno::inval;
  vfs::Times t{c.u64(4), c.u64(5), static_cast<uint16_t>(c.u32(6))};
  return d->dir->set_times_at(p, c.u32(1) & lookupflags::symlink_follow, t);
}

Errno path_link(Call& c) {
  FdEntry *from, *to;
  std::string_view a, b;
  TRY(dir_of(c, 0, right::path_link_source, from));
  TRY(path_of(c, 2, a));
  TRY(dir_of(c, 4, right::path_link_target, to));
  TRY(path_of(c, 5, b));
  return from->dir->link(a, c.u32(1) & lookupflags::symlink_follow, *to->dir, b);
}

// The rights asked for are what the new fd may do, limited to what the directory passes
// on (its inheriting rights) and to what makes sense for the kind of file opened. Asking
// for more is not an error: wasi-libc masks its request with the inheriting rights, Rust's
// std asks for everything it might want.
Errno path_open(Call& c) {
  FdEntry* d;
  std::string_view p;
  TRY(dir_of(c, 0, right::path_open, d));
  TRY(path_of(c, 2, p));
  uint32_t dirflags = c.u32(1), of = c.u32(4), ff = c.u32(7);
  Rights base = c.u64(5), inh = c.u64(6);
  if (of & ~0xFu) return Errno::inval;
  if (ff & ~0x1Fu) return Errno::inval;
  if (of & oflags::creat) TRY(check_rights(*d, right::path_create_file));
  if (of & oflags::trunc) TRY(check_rights(*d, right::path_filestat_set_size));

  // Asking to write on a read-only mount is refused outright, so the program learns why at
  // open. (wasi-libc never asks: it masks its request with the inheriting rights.)
  constexpr Rights kWriteData = right::fd_write | right::fd_allocate | right::fd_filestat_set_size;
  if (d->read_only && ((base & kWriteData) || (ff & fdflags::append))) return Errno::rofs;
  // The host file is opened for what the fd will be allowed, never for more.
  const Rights granted = base & d->inheriting;
  vfs::OpenRequest req;
  req.follow = dirflags & lookupflags::symlink_follow;
  req.oflags = static_cast<uint16_t>(of);
  req.fdflags = static_cast<uint16_t>(ff);
  req.read = granted & (right::fd_read | right::fd_readdir);
  req.write = (granted & kWriteData) || (ff & fdflags::append);

  bool full = true;
  for (const FdEntry& e : c.ctx.fds)
    if (!e) full = false;
  if (full && c.ctx.fds.size() >= kMaxFds) return Errno::mfile;

  auto opened = d->dir->open(p, req);
  if (!opened) return opened.error();
  FdEntry e;
  e.read_only = d->read_only;
  if (opened->dir) {
    e.dir = std::move(opened->dir);
    e.base = granted & right::directory;
    e.inheriting = inh & d->inheriting;
  } else {
    e.file = std::move(opened->file);
    Filetype t = e.file->type();
    Rights kind = t == Filetype::socket_stream ? right::socket
                  : t == Filetype::regular_file ? right::regular_file
                                                : right::stream | right::fd_seek | right::fd_tell;
    e.base = granted & kind;
    e.inheriting = 0;
  }
  if (e.read_only) {
    e.base &= ~right::writes;
    e.inheriting &= ~right::writes;
  }
  c.mem.at(c.u32(8), 4);  // check before the fd exists, so a fault leaks nothing
  c.mem.put_u32(c.u32(8), c.ctx.insert(std::move(e)));
  return Errno::success;
}

// The link's target, cut to the buffer (readlink(2) semantics, no NUL added).
Errno path_readlink(Call& c) {
  FdEntry* d;
  std::string_view p;
  TRY(dir_of(c, 0, right::path_readlink, d));
  TRY(path_of(c, 1, p));
  auto target = d->dir->readlink(p);
  if (!target) return target.error();
  uint32_t n = static_cast<uint32_t>(std::min<uint64_t>(target->size(), c.u32(4)));
  std::memcpy(c.mem.at(c.u32(3), n), target->data(), n);
  c.mem.put_u32(c.u32(5), n);
  return Errno::success;
}

Errno path_remove_directory(Call& c) {
  FdEntry* d;
  std::string_view p;
  TRY(dir_of(c, 0, right::path_remove_directory, d));
  TRY(path_of(c, 1, p));
  return d->dir->rmdir(p);
}

Errno path_rename(Call& c) {
  FdEntry *from, *to;
  std::string_view a, b;
  TRY(dir_of(c, 0, right::path_rename_source, from));
  TRY(path_of(c, 1, a));
  TRY(dir_of(c, 3, right::path_rename_target, to));
  TRY(path_of(c, 4, b));
  return from->dir->rename(a, *to->dir, b);
}

Errno path_symlink(Call& c) {
  FdEntry* d;
  std::string_view target, p;
  TRY(path_of(c, 0, target));
  TRY(dir_of(c, 2, right::path_symlink, d));
  TRY(path_of(c, 3, p));
  return d->dir->symlink(target, p);
}

Errno path_unlink_file(Call& c) {
  FdEntry* d;
  std::string_view p;
  TRY(dir_of(c, 0, right::path_unlink_file, d));
  TRY(path_of(c, 1, p));
  return d->dir->unlink(p);
}

}  // namespace isola::wasi::detail
