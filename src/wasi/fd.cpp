// The fd_* calls: reading, writing and describing open descriptors.
#include "wasi/call.hpp"

namespace isola::wasi::detail {
namespace {

// The descriptor, or nullptr: the caller returns EBADF.
FdEntry* entry(Call& c, int arg) { return c.ctx.get(c.u32(arg)); }

// fd_read and fd_write on an fd without the right fail as POSIX read() and write() do on
// an fd opened the other way: EBADF (wasi-libc shows it as "Bad file descriptor").
Errno check_io(const FdEntry& e, Rights r) {
  if (e.dir) return Errno::isdir;
  if ((e.base & r) == r) return Errno::success;
  return e.read_only && (r & right::writes) ? Errno::rofs : Errno::badf;
}

Errno put_filestat(Call& c, uint32_t ptr, const vfs::Filestat& s) {
  uint8_t* p = c.mem.at(ptr, layout::kFilestatSize);
  std::memset(p, 0, layout::kFilestatSize);
  c.mem.put_u64(ptr + 0, s.dev);
  c.mem.put_u64(ptr + 8, s.ino);
  c.mem.put_u8(ptr + 16, static_cast<uint8_t>(s.type));
  c.mem.put_u64(ptr + 24, s.nlink);
  c.mem.put_u64(ptr + 32, s.size);
  c.mem.put_u64(ptr + 40, s.atim);
  c.mem.put_u64(ptr + 48, s.mtim);
  c.mem.put_u64(ptr + 56, s.ctim);
  return Errno::success;
}

template <class T>
Errno put_result(Call& c, int arg, const vfs::Result<T>& r) {
  if (!r) return r.error();
  if constexpr (sizeof(T) == 8) c.mem.put_u64(c.u32(arg), *r);
  else c.mem.put_u32(c.u32(arg), static_cast<uint32_t>(*r));
  return Errno::success;
}

}  // namespace

// Shared with path.cpp.
Errno write_filestat(Call& c, uint32_t ptr, const vfs::Filestat& s) { return put_filestat(c, ptr, s); }
bool valid_fstflags(uint32_t f) {
  if (f & ~0xFu) return false;
  if ((f & fstflags::atim) && (f & fstflags::atim_now)) return false;
  if ((f & fstflags::mtim) && (f & fstflags::mtim_now)) return false;
  return true;
}

Errno fd_advise(Call& c) {
  FdEntry* e = entry(c, 0);
  if (!e) return Errno::badf;
  if (c.u32(3) > static_cast<uint32_t>(Advice::noreuse)) return Errno::inval;
  if (e->dir) return Errno::badf;
  if (Errno r = check_rights(*e, right::fd_advise); r != Errno::success) return r;
  return e->file->advise(c.u64(1), c.u64(2), static_cast<Advice>(c.u32(3)));
}

Errno fd_allocate(Call& c) {
  FdEntry* e = entry(c, 0);
  if (!e) return Errno::badf;
  if (e->dir) return Errno::badf;
  if (Errno r = check_rights(*e, right::fd_allocate); r != Errno::success) return r;
  uint64_t off = c.u64(1), len = c.u64(2);
  if (len == 0) return Errno::inval;
  if (off > INT64_MAX || len > INT64_MAX - off) return Errno::fbig;
  return e->file->allocate(off, len);
}

Errno fd_close(Call& c) {
  FdEntry* e = entry(c, 0);
  if (!e) return Errno::badf;
  *e = FdEntry{};
  return Errno::success;
}

Errno fd_datasync(Call& c) {
  FdEntry* e = entry(c, 0);
  if (!e) return Errno::badf;
  if (e->dir) return e->dir->sync();
  if (Errno r = check_rights(*e, right::fd_datasync); r != Errno::success) return r;
  return e->file->datasync();
}

Errno fd_fdstat_get(Call& c) {
  FdEntry* e = entry(c, 0);
  if (!e) return Errno::badf;
  uint32_t p = c.u32(1);
  std::memset(c.mem.at(p, layout::kFdstatSize), 0, layout::kFdstatSize);
  c.mem.put_u8(p, static_cast<uint8_t>(e->type()));
  c.mem.put_u16(p + 2, e->file ? e->file->fdflags() : 0);
  c.mem.put_u64(p + 8, e->base);
  c.mem.put_u64(p + 16, e->inheriting);
  return Errno::success;
}

Errno fd_fdstat_set_flags(Call& c) {
  FdEntry* e = entry(c, 0);
  if (!e) return Errno::badf;
  uint32_t f = c.u32(1);
  if (f & ~0x1Fu) return Errno::inval;
  if (Errno r = check_rights(*e, right::fd_fdstat_set_flags); r != Errno::success) return r;
  if (e->dir) return f == 0 ? Errno::success : Errno::notsup;
  return e->file->set_fdflags(static_cast<uint16_t>(f));
}

// Rights can only shrink.
Errno fd_fdstat_set_rights(Call& c) {
  FdEntry* e = entry(c, 0);
  if (!e) return Errno::badf;
  Rights base = c.u64(1), inh = c.u64(2);
  if ((base & ~e->base) || (inh & ~e->inheriting)) return Errno::notcapable;
  e->base = base;
  e->inheriting = inh;
  return Errno::success;
}

Errno fd_filestat_get(Call& c) {
  FdEntry* e = entry(c, 0);
  if (!e) return Errno::badf;
  if (Errno r = check_rights(*e, right::fd_filestat_get); r != Errno::success) return r;
  vfs::Result<vfs::Filestat> s = e->dir ? e->dir->stat() : e->file->stat();
  if (!s) return s.error();
  return put_filestat(c, c.u32(1), *s);
}

Errno fd_filestat_set_size(Call& c) {
  FdEntry* e = entry(c, 0);
  if (!e) return Errno::badf;
  if (e->dir) return Errno::isdir;
  if (Errno r = check_rights(*e, right::fd_filestat_set_size); r != Errno::success) return r;
  if (c.u64(1) > INT64_MAX) return Errno::fbig;
  return e->file->set_size(c.u64(1));
}

Errno fd_filestat_set_times(Call& c) {
  FdEntry* e = entry(c, 0);
  if (!e) return Errno::badf;
  if (!valid_fstflags(c.u32(3))) return Errno::inval;
  if (Errno r = check_rights(*e, right::fd_filestat_set_times); r != Errno::success) return r;
  vfs::Times t{c.u64(1), c.u64(2), static_cast<uint16_t>(c.u32(3))};
  return e->dir ? e->dir->set_times(t) : e->file->set_times(t);
}

// pread and pwrite need the data right (EBADF without it, as above) and a file that can be
// positioned: a pipe or socket is ESPIPE, as on Linux; a file without FD_SEEK ENOTCAPABLE.
Errno check_positioned_io(const FdEntry& e, Rights data) {
  if (Errno r = check_io(e, data); r != Errno::success) return r;
  if (e.file->type() != Filetype::regular_file && e.file->type() != Filetype::block_device) return Errno::spipe;
  return check_rights(e, right::fd_seek);
}

Errno fd_pread(Call& c) {
  FdEntry* e = entry(c, 0);
  if (!e) return Errno::badf;
  if (Errno r = check_positioned_io(*e, right::fd_read); r != Errno::success) return r;
  if (c.u64(3) > INT64_MAX) return Errno::inval;
  Iovecs iov(c.mem, c.u32(1), c.u32(2));
  return put_result(c, 4, e->file->pread(iov.span(), c.u64(3)));
}

Errno fd_pwrite(Call& c) {
  FdEntry* e = entry(c, 0);
  if (!e) return Errno::badf;
  if (Errno r = check_positioned_io(*e, right::fd_write); r != Errno::success) return r;
  if (c.u64(3) > INT64_MAX) return Errno::inval;
  Iovecs iov(c.mem, c.u32(1), c.u32(2));
  return put_result(c, 4, e->file->pwrite(iov.span(), c.u64(3)));
}

Errno fd_read(Call& c) {
  FdEntry* e = entry(c, 0);
  if (!e) return Errno::badf;
  if (Errno r = check_io(*e, right::fd_read); r != Errno::success) return r;
  Iovecs iov(c.mem, c.u32(1), c.u32(2));
  return put_result(c, 3, e->file->read(iov.span()));
}

Errno fd_write(Call& c) {
  FdEntry* e = entry(c, 0);
  if (!e) return Errno::badf;
  if (Errno r = check_io(*e, right::fd_write); r != Errno::success) return r;
  Iovecs iov(c.mem, c.u32(1), c.u32(2));
  return put_result(c, 3, e->file->write(iov.span()));
}

Errno fd_prestat_get(Call& c) {
  FdEntry* e = entry(c, 0);
  if (!e || !e->is_preopen) return Errno::badf;
  uint32_t p = c.u32(1);
  std::memset(c.mem.at(p, layout::kPrestatSize), 0, layout::kPrestatSize);
  c.mem.put_u8(p, kPreopentypeDir);
  c.mem.put_u32(p + 4, static_cast<uint32_t>(e->preopen.size()));
  return Errno::success;
}

Errno fd_prestat_dir_name(Call& c) {
  FdEntry* e = entry(c, 0);
  if (!e || !e->is_preopen) return Errno::badf;
  if (c.u32(2) < e->preopen.size()) return Errno::nametoolong;
  std::memcpy(c.mem.at(c.u32(1), e->preopen.size()), e->preopen.data(), e->preopen.size());
  return Errno::success;
}

// Entries are written back to back as dirent headers followed by their names; the last
// may be cut off when the buffer ends, which tells the guest to call again from the last
// whole entry's cookie.
Errno fd_readdir(Call& c) {
  FdEntry* e = entry(c, 0);
  if (!e) return Errno::badf;
  if (!e->dir) return Errno::notdir;
  if (Errno r = check_rights(*e, right::fd_readdir); r != Errno::success) return r;
  uint32_t buf = c.u32(1), len = c.u32(2);
  c.mem.at(buf, len);
  c.mem.at(c.u32(4), 4);
  if (!e->cookies) e->cookies = std::make_shared<ReaddirCookies>();
  ReaddirCookies& cookies = *e->cookies;
  const uint64_t cookie = c.u64(3);
  if (cookie > cookies.mount.size()) {  // never handed out: nothing follows it
    c.mem.put_u32(c.u32(4), 0);
    return Errno::success;
  }
  auto entries = e->dir->readdir(cookie == 0 ? 0 : cookies.mount[cookie - 1], len);
  if (!entries) return entries.error();
  for (vfs::Dirent& d : *entries) {
    auto [it, added] = cookies.guest.try_emplace(d.next, cookies.mount.size() + 1);
    if (added) cookies.mount.push_back(d.next);
    d.next = it->second;
  }
  uint32_t used = 0;
  uint8_t header[layout::kDirentSize];
  for (const vfs::Dirent& d : *entries) {
    if (used >= len) break;
    std::memset(header, 0, sizeof header);
    uint32_t namlen = static_cast<uint32_t>(d.name.size());
    std::memcpy(header + 0, &d.next, 8);
    std::memcpy(header + 8, &d.ino, 8);
    std::memcpy(header + 16, &namlen, 4);
    header[20] = static_cast<uint8_t>(d.type);
    uint32_t k = std::min<uint32_t>(layout::kDirentSize, len - used);
    std::memcpy(c.mem.at(buf + used, k), header, k);
    used += k;
    k = static_cast<uint32_t>(std::min<uint64_t>(namlen, len - used));
    std::memcpy(c.mem.at(buf + used, k), d.name.data(), k);
    used += k;
  }
  c.mem.put_u32(c.u32(4), used);
  return Errno::success;
}

Errno fd_renumber(Call& c) {
  uint32_t from = c.u32(0), to = c.u32(1);
  FdEntry* a = c.ctx.get(from);
  FdEntry* b = c.ctx.get(to);
  if (!a || !b) return Errno::badf;
  if (from == to) return Errno::success;
  *b = std::move(*a);
  *a = FdEntry{};
  return Errno::success;
}

Errno fd_seek(Call& c) {
  FdEntry* e = entry(c, 0);
  if (!e) return Errno::badf;
  if (e->dir) return Errno::badf;
  uint32_t whence = c.u32(2);
  if (whence > static_cast<uint32_t>(Whence::end)) return Errno::inval;
  int64_t off = static_cast<int64_t>(c.u64(1));
  // A seek that only asks where the file is needs just fd_tell.
  Rights need = (off == 0 && whence == static_cast<uint32_t>(Whence::cur)) ? right::fd_tell : right::fd_seek;
  if (Errno r = check_rights(*e, need); r != Errno::success) return r;
  return put_result(c, 3, e->file->seek(off, static_cast<Whence>(whence)));
}

Errno fd_sync(Call& c) {
  FdEntry* e = entry(c, 0);
  if (!e) return Errno::badf;
  if (Errno r = check_rights(*e, right::fd_sync); r != Errno::success) return r;
  return e->dir ? e->dir->sync() : e->file->sync();
}

Errno fd_tell(Call& c) {
  FdEntry* e = entry(c, 0);
  if (!e) return Errno::badf;
  if (e->dir) return Errno::badf;
  if (Errno r = check_rights(*e, right::fd_tell); r != Errno::success) return r;
  return put_result(c, 1, e->file->seek(0, Whence::cur));
}

}  // namespace isola::wasi::detail
