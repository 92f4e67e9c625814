// sock_accept, sock_recv, sock_send, sock_shutdown on sockets the host handed to the guest
// (isola run --listen). A guest cannot open sockets of its own: preview1 has no call for it.
#include "wasi/call.hpp"

namespace isola::wasi::detail {
namespace {

Errno socket_of(Call& c, Rights needed, FdEntry*& out) {
  out = c.ctx.get(c.u32(0));
  if (!out) return Errno::badf;
  if (out->dir) return Errno::notsock;
  return check_rights(*out, needed);
}

}  // namespace

Errno sock_accept(Call& c) {
  FdEntry* s;
  if (Errno r = socket_of(c, right::sock_accept, s); r != Errno::success) return r;
  uint32_t flags = c.u32(1);
  if (flags & ~uint32_t{fdflags::nonblock}) return Errno::inval;
  c.mem.at(c.u32(2), 4);
  auto conn = s->file->accept(static_cast<uint16_t>(flags));
  if (!conn) return conn.error();
  FdEntry e;
  e.file = std::move(*conn);
  e.base = right::socket & ~right::sock_accept;
  c.mem.put_u32(c.u32(2), c.ctx.insert(std::move(e)));
  return Errno::success;
}

Errno sock_recv(Call& c) {
  FdEntry* s;
  if (Errno r = socket_of(c, right::fd_read, s); r != Errno::success) return r;
  uint32_t ri = c.u32(3);
  if (ri & ~uint32_t{riflags::recv_peek | riflags::recv_waitall}) return Errno::inval;
  Iovecs iov(c.mem, c.u32(1), c.u32(2));
  c.mem.at(c.u32(4), 4);
  c.mem.at(c.u32(5), 2);
  uint16_t ro = 0;
  auto n = s->file->recv(iov.span(), static_cast<uint16_t>(ri), ro);
  if (!n) return n.error();
  c.mem.put_u32(c.u32(4), static_cast<uint32_t>(*n));
  c.mem.put_u16(c.u32(5), ro);
  return Errno::success;
}

Errno sock_send(Call& c) {
  FdEntry* s;
  if (Errno r = socket_of(c, right::fd_write, s); r != Errno::success) return r;
  if (c.u32(3) != 0) return Errno::inval;  // siflags: none are defined
  Iovecs iov(c.mem, c.u32(1), c.u32(2));
  c.mem.at(c.u32(4), 4);
  auto n = s->file->send(iov.span());
  if (!n) return n.error();
  c.mem.put_u32(c.u32(4), static_cast<uint32_t>(*n));
  return Errno::success;
}

Errno sock_shutdown(Call& c) {
  FdEntry* s;
  if (Errno r = socket_of(c, right::sock_shutdown, s); r != Errno::success) return r;
  uint32_t how = c.u32(1);
  if (how == 0 || how > (sdflags::rd | sdflags::wr)) return Errno::inval;
  return s->file->shutdown(static_cast<uint8_t>(how));
}

}  // namespace isola::wasi::detail
