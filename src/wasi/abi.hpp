// The wasi_snapshot_preview1 ABI: errno values, rights, flags and the byte layout of the
// structures guests pass, as the WASI specification (witx) defines them.
#pragma once

#include <cstdint>

namespace isola::wasi {

// errno: what every call returns. The numbering is the spec's, not the host's.
enum class Errno : uint16_t {
  success = 0, toobig = 1, acces = 2, addrinuse = 3, addrnotavail = 4, afnosupport = 5, again = 6,
  already = 7, badf = 8, badmsg = 9, busy = 10, canceled = 11, child = 12, connaborted = 13,
  connrefused = 14, connreset = 15, deadlk = 16, destaddrreq = 17, dom = 18, dquot = 19, exist = 20,
  fault = 21, fbig = 22, hostunreach = 23, idrm = 24, ilseq = 25, inprogress = 26, intr = 27,
  inval = 28, io = 29, isconn = 30, isdir = 31, loop = 32, mfile = 33, mlink = 34, msgsize = 35,
  multihop = 36, nametoolong = 37, netdown = 38, netreset = 39, netunreach = 40, nfile = 41,
  nobufs = 42, nodev = 43, noent = 44, noexec = 45, nolck = 46, nolink = 47, nomem = 48, nomsg = 49,
  noprotoopt = 50, nospc = 51, nosys = 52, notconn = 53, notdir = 54, notempty = 55,
  notrecoverable = 56, notsock = 57, notsup = 58, notty = 59, nxio = 60, overflow = 61,
  ownerdead = 62, perm = 63, pipe = 64, proto = 65, protonosupport = 66, prototype = 67, range = 68,
  rofs = 69, spipe = 70, srch = 71, stale = 72, timedout = 73, txtbsy = 74, xdev = 75,
  notcapable = 76,
};
const char* errno_name(Errno e);     // "ENOENT"
Errno from_host_errno(int host_errno);  // Linux errno -> WASI errno (EIO for the unmappable)

enum class Filetype : uint8_t {
  unknown = 0, block_device = 1, character_device = 2, directory = 3, regular_file = 4,
  socket_dgram = 5, socket_stream = 6, symbolic_link = 7,
};

using Rights = uint64_t;
namespace right {
inline constexpr Rights fd_datasync = 1ull << 0, fd_read = 1ull << 1, fd_seek = 1ull << 2,
    fd_fdstat_set_flags = 1ull << 3, fd_sync = 1ull << 4, fd_tell = 1ull << 5, fd_write = 1ull << 6,
    fd_advise = 1ull << 7, fd_allocate = 1ull << 8, path_create_directory = 1ull << 9,
    path_create_file = 1ull << 10, path_link_source = 1ull << 11, path_link_target = 1ull << 12,
    path_open = 1ull << 13, fd_readdir = 1ull << 14, path_readlink = 1ull << 15,
    path_rename_source = 1ull << 16, path_rename_target = 1ull << 17, path_filestat_get = 1ull << 18,
    path_filestat_set_size = 1ull << 19, path_filestat_set_times = 1ull << 20,
    fd_filestat_get = 1ull << 21, fd_filestat_set_size = 1ull << 22,
    fd_filestat_set_times = 1ull << 23, path_symlink = 1ull << 24,
    path_remove_directory = 1ull << 25, path_unlink_file = 1ull << 26,
    poll_fd_readwrite = 1ull << 27, sock_shutdown = 1ull << 28, sock_accept = 1ull << 29;
inline constexpr Rights all = (1ull << 30) - 1;

// What each kind of descriptor can be asked to do (before mount restrictions).
inline constexpr Rights regular_file = fd_datasync | fd_read | fd_seek | fd_fdstat_set_flags |
    fd_sync | fd_tell | fd_write | fd_advise | fd_allocate | fd_filestat_get |
    fd_filestat_set_size | fd_filestat_set_times | poll_fd_readwrite;
inline constexpr Rights directory = fd_fdstat_set_flags | fd_sync | fd_advise |
    path_create_directory | path_create_file | path_link_source | path_link_target | path_open |
    fd_readdir | path_readlink | path_rename_source | path_rename_target | path_filestat_get |
    path_filestat_set_size | path_filestat_set_times | fd_filestat_get | fd_filestat_set_times |
    path_symlink | path_remove_directory | path_unlink_file;
inline constexpr Rights stream = fd_read | fd_write | fd_fdstat_set_flags | fd_filestat_get |
    poll_fd_readwrite;
inline constexpr Rights socket = stream | sock_shutdown | sock_accept;
// Rights that modify the filesystem; a read-only mount never grants them.
inline constexpr Rights writes = fd_datasync | fd_write | fd_allocate | path_create_directory |
    path_create_file | path_link_source | path_link_target | path_rename_source |
    path_rename_target | path_filestat_set_size | path_filestat_set_times | fd_filestat_set_size |
    fd_filestat_set_times | path_symlink | path_remove_directory | path_unlink_file;
}  // namespace right

namespace fdflags {
inline constexpr uint16_t append = 1, dsync = 2, nonblock = 4, rsync = 8, sync = 16;
}
namespace oflags {
inline constexpr uint16_t creat = 1, directory = 2, excl = 4, trunc = 8;
}
namespace lookupflags {
inline constexpr uint32_t symlink_follow = 1;
}
namespace fstflags {
inline constexpr uint16_t atim = 1, atim_now = 2, mtim = 4, mtim_now = 8;
}
enum class Whence : uint8_t { set = 0, cur = 1, end = 2 };
enum class Clockid : uint32_t { realtime = 0, monotonic = 1, process_cputime = 2, thread_cputime = 3 };
enum class Advice : uint8_t { normal = 0, sequential = 1, random = 2, willneed = 3, dontneed = 4, noreuse = 5 };
enum class Eventtype : uint8_t { clock = 0, fd_read = 1, fd_write = 2 };
namespace subclockflags {
inline constexpr uint16_t abstime = 1;
}
namespace eventrwflags {
inline constexpr uint16_t hangup = 1;
}
namespace riflags {
inline constexpr uint16_t recv_peek = 1, recv_waitall = 2;
}
namespace roflags {
inline constexpr uint16_t recv_data_truncated = 1;
}
namespace sdflags {
inline constexpr uint8_t rd = 1, wr = 2;
}
inline constexpr uint8_t kPreopentypeDir = 0;

// Byte layouts (little-endian, wasm32).
namespace layout {
// iovec / ciovec: buf u32 @0, buf_len u32 @4.
inline constexpr uint32_t kIovecSize = 8;
// fdstat: fs_filetype u8 @0, fs_flags u16 @2, fs_rights_base u64 @8, fs_rights_inheriting u64 @16.
inline constexpr uint32_t kFdstatSize = 24;
// filestat: dev u64 @0, ino u64 @8, filetype u8 @16, nlink u64 @24, size u64 @32, atim u64 @40,
// mtim u64 @48, ctim u64 @56.
inline constexpr uint32_t kFilestatSize = 64;
// dirent: d_next u64 @0, d_ino u64 @8, d_namlen u32 @16, d_type u8 @20; the name follows.
inline constexpr uint32_t kDirentSize = 24;
// prestat: tag u8 @0, pr_name_len u32 @4.
inline constexpr uint32_t kPrestatSize = 8;
// subscription: userdata u64 @0, tag u8 @8; clock: id u32 @16, timeout u64 @24,
// precision u64 @32, flags u16 @40; fd_read/fd_write: file_descriptor u32 @16.
inline constexpr uint32_t kSubscriptionSize = 48;
// event: userdata u64 @0, error u16 @8, type u8 @10; fd_readwrite: nbytes u64 @16, flags u16 @24.
inline constexpr uint32_t kEventSize = 32;
}  // namespace layout

}  // namespace isola::wasi
