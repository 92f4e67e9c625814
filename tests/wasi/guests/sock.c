// sock_accept, sock_recv, sock_send, sock_shutdown on the socket `isola run --listen` hands
// over, with the runner as the client on 127.0.0.1:
//   client: connect, send "hello\n"            guest: accept, peek then read "hello\n",
//   client: wait for "ready\n"                 guest: write "ready\n"
//   client: send 100000 bytes, shut down WR    guest: echo everything until EOF,
//   client: read the echo and "bye 100000\n"   guest: send "bye N\n", shut down WR
// and the error paths around it (non-sockets, bad fds, bad flags, EAGAIN, EPIPE).
//
//   sock.wasm serve     --listen 127.0.0.1:PORT (the first fd after the preopens; none here)
//   sock.wasm none      no --listen: no socket anywhere
#include "check.h"

#define MS 1000000ull

// Waits up to `ms` for fd to be readable. Returns 1 if it is.
static int wait_readable(int fd, unsigned ms) {
  __wasi_subscription_t s[2];
  memset(s, 0, sizeof s);
  s[0].userdata = 1;
  s[0].u.tag = __WASI_EVENTTYPE_FD_READ;
  s[0].u.u.fd_read.file_descriptor = fd;
  s[1].userdata = 2;
  s[1].u.tag = __WASI_EVENTTYPE_CLOCK;
  s[1].u.u.clock.id = __WASI_CLOCKID_MONOTONIC;
  s[1].u.u.clock.timeout = ms * MS;
  __wasi_event_t ev[2];
  size_t n = 0;
  if (!CHECK_OK(__wasi_poll_oneoff(s, ev, 2, &n))) return 0;
  for (size_t i = 0; i < n; i++)
    if (ev[i].userdata == 1 && ev[i].error == 0) return 1;
  return 0;
}

static __wasi_errno_t send_all(int fd, const uint8_t* p, size_t len) {
  while (len) {
    __wasi_ciovec_t iov = {p, len};
    size_t n = 0;
    __wasi_errno_t e = __wasi_sock_send(fd, &iov, 1, 0, &n);
    if (e) return e;
    if (n == 0) return __WASI_ERRNO_IO;
    p += n;
    len -= n;
  }
  return 0;
}

static int find_socket(void) {
  for (int fd = 3; fd < 32; fd++) {
    __wasi_fdstat_t fs;
    __wasi_errno_t e = __wasi_fd_fdstat_get(fd, &fs);
    if (e == __WASI_ERRNO_BADF) break;
    if (e == 0 && fs.fs_filetype == __WASI_FILETYPE_SOCKET_STREAM) return fd;
  }
  return -1;
}

static void not_sockets(int listen_fd) {
  // Calls on things that are not sockets, or not connected.
  __wasi_fd_t out;
  uint8_t b[8];
  __wasi_iovec_t iov = {b, sizeof b};
  __wasi_ciovec_t civ = {b, 1};
  size_t n;
  __wasi_roflags_t rof;
  CHECK_ERR(__wasi_sock_accept(1, 0, &out), __WASI_ERRNO_NOTSOCK, __WASI_ERRNO_NOTCAPABLE,
            __WASI_ERRNO_BADF);
  CHECK_ERR(__wasi_sock_recv(1, &iov, 1, 0, &n, &rof), __WASI_ERRNO_NOTSOCK,
            __WASI_ERRNO_NOTCAPABLE, __WASI_ERRNO_BADF);
  CHECK_ERR(__wasi_sock_send(2, &civ, 1, 0, &n), __WASI_ERRNO_NOTSOCK, __WASI_ERRNO_NOTCAPABLE,
            __WASI_ERRNO_BADF);
  CHECK_ERR(__wasi_sock_shutdown(1, __WASI_SDFLAGS_WR), __WASI_ERRNO_NOTSOCK,
            __WASI_ERRNO_NOTCAPABLE, __WASI_ERRNO_BADF);
  CHECK_ERR(__wasi_sock_accept(9999, 0, &out), __WASI_ERRNO_BADF);
  CHECK_ERR(__wasi_sock_recv(9999, &iov, 1, 0, &n, &rof), __WASI_ERRNO_BADF);
  CHECK_ERR(__wasi_sock_send(9999, &civ, 1, 0, &n), __WASI_ERRNO_BADF);
  CHECK_ERR(__wasi_sock_shutdown(9999, __WASI_SDFLAGS_RD), __WASI_ERRNO_BADF);
  if (listen_fd < 0) return;
  // A listening socket is not connected.
  CHECK_ERR(__wasi_sock_send(listen_fd, &civ, 1, 0, &n), __WASI_ERRNO_NOTCONN, __WASI_ERRNO_PIPE);
  CHECK_ERR(__wasi_sock_recv(listen_fd, &iov, 1, 0, &n, &rof), __WASI_ERRNO_NOTCONN);
  // (sock_shutdown on it is left alone: Linux accepts it and stops listening.)
  __wasi_prestat_t ps;
  CHECK_ERR(__wasi_fd_prestat_get(listen_fd, &ps), __WASI_ERRNO_BADF);
  __wasi_filesize_t pos;
  CHECK_ERR(__wasi_fd_seek(listen_fd, 0, __WASI_WHENCE_SET, &pos), __WASI_ERRNO_SPIPE,
            __WASI_ERRNO_NOTCAPABLE, __WASI_ERRNO_BADF);
}

static void serve(void) {
  int lfd = find_socket();
  REQUIRE(lfd >= 3, "a listening socket among the preopened fds");
  CHECK_EQ(lfd, 3);  // no --dir: the socket is the first fd after stdio
  __wasi_fdstat_t fs;
  CHECK_OK(__wasi_fd_fdstat_get(lfd, &fs));
  CHECK_EQ(fs.fs_filetype, __WASI_FILETYPE_SOCKET_STREAM);
  CHECK(fs.fs_rights_base & __WASI_RIGHTS_SOCK_ACCEPT, "the listening socket may accept");
  not_sockets(lfd);

  REQUIRE(wait_readable(lfd, 15000), "a connection arrives within 15 s");
  __wasi_fd_t conn = -1;
  REQUIRE(CHECK_OK(__wasi_sock_accept(lfd, 0, &conn)), "accept");
  CHECK(conn != lfd && conn > 2, "the connection gets a new fd (%d)", conn);
  CHECK_OK(__wasi_fd_fdstat_get(conn, &fs));
  CHECK_EQ(fs.fs_filetype, __WASI_FILETYPE_SOCKET_STREAM);
  CHECK_EQ(fs.fs_flags & __WASI_FDFLAGS_NONBLOCK, 0);

  // Peek at the greeting, then read it: both see the same bytes.
  char peek[16] = {0}, got[16] = {0};
  size_t n = 0;
  __wasi_roflags_t rof = 0xffff;
  for (int tries = 0; tries < 100 && n < 6; tries++) {
    if (!wait_readable(conn, 10000)) break;
    __wasi_iovec_t iov = {(uint8_t*)peek, 6};
    CHECK_OK(__wasi_sock_recv(conn, &iov, 1, __WASI_RIFLAGS_RECV_PEEK, &n, &rof));
    if (n < 6) sleep_ms(10);
  }
  CHECK_MEM(peek, n, "hello\n");
  CHECK_EQ(rof, 0);
  size_t total = 0;
  while (total < 6) {
    __wasi_iovec_t iov = {(uint8_t*)got + total, 6 - total};
    CHECK_OK(__wasi_sock_recv(conn, &iov, 1, __WASI_RIFLAGS_RECV_WAITALL, &n, &rof));
    if (n == 0) break;
    total += n;
  }
  CHECK_MEM(got, total, "hello\n");
  // fd_write works on a socket too.
  CHECK_OK(write_all(conn, "ready\n", 6));

  // Echo until the client shuts down its side.
  CHECK_ERR(__wasi_sock_shutdown(conn, 0), __WASI_ERRNO_INVAL);
  CHECK_ERR(__wasi_sock_shutdown(conn, 4), __WASI_ERRNO_INVAL);
  static uint8_t a[1000], b[3000];
  size_t echoed = 0;
  int eof = 0;
  while (!eof) {
    if (!wait_readable(conn, 10000)) {
      CHECK(0, "the client's data keeps coming (stalled after %zu bytes)", echoed);
      break;
    }
    __wasi_iovec_t iov[2] = {{a, sizeof a}, {b, sizeof b}};
    if (!CHECK_OK(__wasi_sock_recv(conn, iov, 2, 0, &n, &rof))) break;
    if (n == 0) {
      eof = 1;
      break;
    }
    size_t first = n < sizeof a ? n : sizeof a;
    if (!CHECK_OK(send_all(conn, a, first))) break;
    if (n > first && !CHECK_OK(send_all(conn, b, n - first))) break;
    echoed += n;
  }
  CHECK(eof, "the client's shutdown reads as EOF");
  CHECK_EQ(echoed, 100000);
  // EOF stays EOF.
  __wasi_iovec_t iov = {a, sizeof a};
  n = 9;
  CHECK_OK(__wasi_sock_recv(conn, &iov, 1, 0, &n, &rof));
  CHECK_EQ(n, 0);
  char bye[32];
  int len = snprintf(bye, sizeof bye, "bye %zu\n", echoed);
  CHECK_OK(send_all(conn, (const uint8_t*)bye, (size_t)len));
  CHECK_OK(__wasi_sock_shutdown(conn, __WASI_SDFLAGS_WR));
  // Sending after shutting down: EPIPE, and the host must survive it (no SIGPIPE).
  __wasi_ciovec_t civ = {(const uint8_t*)"late", 4};
  CHECK_ERR(__wasi_sock_send(conn, &civ, 1, 0, &n), __WASI_ERRNO_PIPE);
  CHECK_OK(__wasi_fd_close(conn));
  CHECK_ERR(__wasi_sock_recv(conn, &iov, 1, 0, &n, &rof), __WASI_ERRNO_BADF);

  // No more clients: a non-blocking accept says EAGAIN instead of waiting.
  CHECK_OK(__wasi_fd_fdstat_set_flags(lfd, __WASI_FDFLAGS_NONBLOCK));
  CHECK_OK(__wasi_fd_fdstat_get(lfd, &fs));
  CHECK_EQ(fs.fs_flags & __WASI_FDFLAGS_NONBLOCK, __WASI_FDFLAGS_NONBLOCK);
  uint64_t t0 = now_ns(__WASI_CLOCKID_MONOTONIC);
  CHECK_ERR(__wasi_sock_accept(lfd, 0, &conn), __WASI_ERRNO_AGAIN);
  CHECK(now_ns(__WASI_CLOCKID_MONOTONIC) - t0 < 2000 * MS, "EAGAIN comes at once");
  CHECK_OK(__wasi_fd_close(lfd));
  CHECK_ERR(__wasi_sock_accept(lfd, 0, &conn), __WASI_ERRNO_BADF);
}

int main(int argc, char** argv) {
  REQUIRE(argc == 2, "usage: sock.wasm serve|none");
  if (!strcmp(argv[1], "serve")) {
    serve();
  } else {
    REQUIRE(!strcmp(argv[1], "none"), "unknown mode %s", argv[1]);
    CHECK_EQ(find_socket(), -1);
    __wasi_fd_t out;
    CHECK_ERR(__wasi_sock_accept(3, 0, &out), __WASI_ERRNO_BADF);
    not_sockets(-1);
  }
  return finish();
}
