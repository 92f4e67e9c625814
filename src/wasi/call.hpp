// What every WASI call implementation sees: its arguments, the guest's memory (every access
// checked), and the instance's context. One file per group of calls implements them
// (args_env.cpp, clock.cpp, fd.cpp, path.cpp, poll.cpp, proc.cpp, random.cpp, sock.cpp);
// linker.cpp binds them to their names, with tracing and the deny policy.
#pragma once

#include <sys/uio.h>

#include <cstdint>
#include <cstring>
#include <string_view>

#include "isola/engine.hpp"
#include "wasi/abi.hpp"
#include "wasi/context.hpp"

namespace isola::wasi::detail {

// Thrown by Guest when the guest passes a pointer or length outside its memory; the call
// returns EFAULT.
struct Fault {};

// The guest's linear memory, seen through bounds checks. Addresses are the guest's.
class Guest {
 public:
  explicit Guest(Memory m) : base_(m ? m.data() : nullptr), size_(m ? m.size() : 0) {}

  uint8_t* at(uint64_t addr, uint64_t len) const {
    if (addr > size_ || len > size_ - addr) throw Fault{};
    return base_ + addr;
  }
  template <class T>
  T load(uint64_t addr) const {
    T v;
    std::memcpy(&v, at(addr, sizeof(T)), sizeof(T));
    return v;
  }
  template <class T>
  void store(uint64_t addr, T v) const {
    std::memcpy(at(addr, sizeof(T)), &v, sizeof(T));
  }
  uint32_t u32(uint64_t addr) const { return load<uint32_t>(addr); }
  uint64_t u64(uint64_t addr) const { return load<uint64_t>(addr); }
  void put_u8(uint64_t addr, uint8_t v) const { store(addr, v); }
  void put_u16(uint64_t addr, uint16_t v) const { store(addr, v); }
  void put_u32(uint64_t addr, uint32_t v) const { store(addr, v); }
  void put_u64(uint64_t addr, uint64_t v) const { store(addr, v); }
  std::string_view str(uint64_t addr, uint64_t len) const {
    return std::string_view(reinterpret_cast<const char*>(at(addr, len)), len);
  }
  uint64_t size() const { return size_; }

 private:
  uint8_t* base_;
  uint64_t size_;
};

// Guest iovec arrays translated to host iovecs pointing into guest memory, so reads and
// writes go straight between the host and the guest's memory. Longer arrays than IOV_MAX
// are cut (a short read or write, which the caller sees in the byte count).
class Iovecs {
 public:
  static constexpr uint32_t kMax = 1024;
  Iovecs(const Guest& g, uint32_t ptr, uint32_t count) {
    n_ = count < kMax ? count : kMax;
    g.at(ptr, uint64_t{count} * layout::kIovecSize);  // the whole array must be in bounds
    for (uint32_t i = 0; i < n_; ++i) {
      uint32_t buf = g.u32(ptr + i * 8ull), len = g.u32(ptr + i * 8ull + 4);
      v_[i].iov_base = g.at(buf, len);
      v_[i].iov_len = len;
    }
  }
  std::span<const iovec> span() const { return {v_, n_}; }

 private:
  iovec v_[kMax];
  uint32_t n_ = 0;
};

struct Call {
  ContextData& ctx;
  Caller& caller;
  Guest mem;
  const uint64_t* a;  // the arguments, one slot each

  uint32_t u32(int i) const { return static_cast<uint32_t>(a[i]); }
  uint64_t u64(int i) const { return a[i]; }
  std::string_view str(int ptr_arg) const { return mem.str(u32(ptr_arg), u32(ptr_arg + 1)); }
};

using CallFn = Errno (*)(Call&);

// Rights checks. A missing write right on a read-only mount reads as EROFS, which tells
// the user more than ENOTCAPABLE.
inline Errno check_rights(const FdEntry& e, Rights needed) {
  if ((e.base & needed) == needed) return Errno::success;
  if (e.read_only && (needed & right::writes)) return Errno::rofs;
  return Errno::notcapable;
}

// The implementations, by group.
#define ISOLA_WASI_CALLS(X)                                                                 \
  X(args_get, "pp") X(args_sizes_get, "oo") X(environ_get, "pp") X(environ_sizes_get, "oo") \
  X(clock_res_get, "cO") X(clock_time_get, "cUO") X(fd_advise, "fUUu") X(fd_allocate, "fUU") \
  X(fd_close, "f") X(fd_datasync, "f") X(fd_fdstat_get, "fp") X(fd_fdstat_set_flags, "fx")   \
  X(fd_fdstat_set_rights, "fXX") X(fd_filestat_get, "fp") X(fd_filestat_set_size, "fU")     \
  X(fd_filestat_set_times, "fUUx") X(fd_pread, "fpuUo") X(fd_prestat_get, "fp")              \
  X(fd_prestat_dir_name, "fpu") X(fd_pwrite, "fpuUo") X(fd_read, "fpuo")                     \
  X(fd_readdir, "fpuUo") X(fd_renumber, "ff") X(fd_seek, "fIuO") X(fd_sync, "f")             \
  X(fd_tell, "fO") X(fd_write, "fpuo") X(path_create_directory, "fs")                        \
  X(path_filestat_get, "fxsp") X(path_filestat_set_times, "fxsUUx") X(path_link, "fxsfs")   \
  X(path_open, "fxsxXXxo") X(path_readlink, "fspuo") X(path_remove_directory, "fs")          \
  X(path_rename, "fsfs") X(path_symlink, "sfs") X(path_unlink_file, "fs")                    \
  X(poll_oneoff, "ppuo") X(proc_exit, "u") X(proc_raise, "u") X(sched_yield, "")              \
  X(random_get, "pu") X(sock_accept, "fxo") X(sock_recv, "fpuxoh") X(sock_send, "fpuxo")     \
  X(sock_shutdown, "fx")

// Argument kinds, one letter per argument (used for the wasm signature and the trace):
//   f fd, u u32, x u32 flags (hex), c clock id, p pointer, o pointer to a u32 result,
//   h pointer to a u16 result, s string (pointer + length: two arguments), U u64, I s64,
//   X u64 flags (hex), O pointer to a u64 result.

// The index of a call in ISOLA_WASI_CALLS, or -1 (linker.cpp).
int call_index(std::string_view name);

#define ISOLA_WASI_DECLARE(name, sig) Errno name(Call& c);
ISOLA_WASI_CALLS(ISOLA_WASI_DECLARE)
#undef ISOLA_WASI_DECLARE

}  // namespace isola::wasi::detail
