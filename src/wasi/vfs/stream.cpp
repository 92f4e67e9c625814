// Files that are not in a mounted directory: the standard streams and sockets handed to the
// guest. A host fd (a tty, pipe, file or socket the process was given), an empty stream, a
// stream reading from a buffer, and one whose writes go to a callback.
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "wasi/vfs/vfs.hpp"

namespace isola::wasi::vfs {
namespace {

Errno last_error() { return from_host_errno(errno); }

size_t total(std::span<const iovec> bufs) {
  size_t n = 0;
  for (const iovec& v : bufs) n += v.iov_len;
  return n;
}

// A host fd the context owns: stdio inherited from the process, or a socket.
class HostStream final : public File {
 public:
  explicit HostStream(int fd) : fd_(fd) {
    struct stat st;
    type_ = fstat(fd, &st) == 0 ? filetype_from_mode(st.st_mode) : Filetype::unknown;
  }
  ~HostStream() override { close(fd_); }

  Filetype type() const override { return type_; }
  Result<Filestat> stat() override {
    struct stat st;
    if (fstat(fd_, &st) != 0) return last_error();
    return filestat_from_host(st);
  }
  Result<size_t> read(std::span<const iovec> b) override {
    ssize_t n = readv(fd_, b.data(), static_cast<int>(b.size()));
    if (n < 0) return last_error();
    return static_cast<size_t>(n);
  }
  Result<size_t> write(std::span<const iovec> b) override {
    ssize_t n = type_ == Filetype::socket_stream ? sendmsg_all(b) : writev(fd_, b.data(), static_cast<int>(b.size()));
    if (n < 0) return last_error();
    return static_cast<size_t>(n);
  }
  Result<size_t> pread(std::span<const iovec> b, uint64_t off) override {
    ssize_t n = preadv(fd_, b.data(), static_cast<int>(b.size()), static_cast<off_t>(off));
    if (n < 0) return last_error();
    return static_cast<size_t>(n);
  }
  Result<size_t> pwrite(std::span<const iovec> b, uint64_t off) override {
    ssize_t n = pwritev(fd_, b.data(), static_cast<int>(b.size()), static_cast<off_t>(off));
    if (n < 0) return last_error();
    return static_cast<size_t>(n);
  }
  Result<uint64_t> seek(int64_t delta, Whence w) override {
    int how = w == Whence::set ? SEEK_SET : w == Whence::cur ? SEEK_CUR : SEEK_END;
    off_t r = lseek(fd_, delta, how);
    if (r < 0) return last_error();
    return static_cast<uint64_t>(r);
  }
  Errno sync() override { return fsync(fd_) == 0 || errno == EINVAL ? Errno::success : last_error(); }
  Errno datasync() override { return fdatasync(fd_) == 0 || errno == EINVAL ? Errno::success : last_error(); }
  uint16_t fdflags() const override {
    int fl = fcntl(fd_, F_GETFL);
    uint16_t r = 0;
    if (fl >= 0 && (fl & O_APPEND)) r |= fdflags::append;
    if (fl >= 0 && (fl & O_NONBLOCK)) r |= fdflags::nonblock;
    return r;
  }
  Errno set_fdflags(uint16_t f) override {
    int fl = fcntl(fd_, F_GETFL);
    if (fl < 0) return last_error();
    fl &= ~(O_APPEND | O_NONBLOCK);
    if (f & fdflags::append) fl |= O_APPEND;
    if (f & fdflags::nonblock) fl |= O_NONBLOCK;
    return fcntl(fd_, F_SETFL, fl) == 0 ? Errno::success : last_error();
  }
  int poll_fd() const override { return fd_; }

  Result<std::shared_ptr<File>> accept(uint16_t flags) override {
    if (type_ != Filetype::socket_stream) return Errno::notsock;
    int s = accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC | ((flags & fdflags::nonblock) ? SOCK_NONBLOCK : 0));
    if (s < 0) return last_error();
    return std::shared_ptr<File>(std::make_shared<HostStream>(s));
  }
  Result<size_t> recv(std::span<const iovec> b, uint16_t ri, uint16_t& ro) override {
    if (type_ != Filetype::socket_stream) return Errno::notsock;
    msghdr m{};
    m.msg_iov = const_cast<iovec*>(b.data());
    m.msg_iovlen = b.size();
    int fl = ((ri & riflags::recv_peek) ? MSG_PEEK : 0) | ((ri & riflags::recv_waitall) ? MSG_WAITALL : 0);
    ssize_t n = recvmsg(fd_, &m, fl);
    if (n < 0) return last_error();
    ro = (m.msg_flags & MSG_TRUNC) ? roflags::recv_data_truncated : 0;
    return static_cast<size_t>(n);
  }
  Result<size_t> send(std::span<const iovec> b) override {
    if (type_ != Filetype::socket_stream) return Errno::notsock;
    ssize_t n = sendmsg_all(b);
    if (n < 0) return last_error();
    return static_cast<size_t>(n);
  }
  Errno shutdown(uint8_t how) override {
    if (type_ != Filetype::socket_stream) return Errno::notsock;
    int h;
    switch (how) {
      case sdflags::rd: h = SHUT_RD; break;
      case sdflags::wr: h = SHUT_WR; break;
      case sdflags::rd | sdflags::wr: h = SHUT_RDWR; break;
      default: return Errno::inval;
    }
    return ::shutdown(fd_, h) == 0 ? Errno::success : last_error();
  }

 private:
  // MSG_NOSIGNAL: a peer that went away is EPIPE for the guest, not SIGPIPE for the host.
  ssize_t sendmsg_all(std::span<const iovec> b) {
    msghdr m{};
    m.msg_iov = const_cast<iovec*>(b.data());
    m.msg_iovlen = b.size();
    return sendmsg(fd_, &m, MSG_NOSIGNAL);
  }
  int fd_;
  Filetype type_;
};

// Reads end at once; writes vanish (what /dev/null does, without a host fd).
class NullStream final : public File {
 public:
  Filetype type() const override { return Filetype::character_device; }
  Result<Filestat> stat() override {
    Filestat s;
    s.type = Filetype::character_device;
    s.nlink = 1;
    return s;
  }
  Result<size_t> read(std::span<const iovec>) override { return size_t{0}; }
  Result<size_t> write(std::span<const iovec> b) override { return total(b); }
};

// The guest reads these bytes, then end of file (a WAGI request body, for instance).
class InputStream final : public File {
 public:
  explicit InputStream(std::string bytes) : data_(std::move(bytes)) {}
  Filetype type() const override { return Filetype::unknown; }  // as a pipe
  Result<Filestat> stat() override {
    Filestat s;
    s.nlink = 1;
    s.size = data_.size();
    return s;
  }
  Result<size_t> read(std::span<const iovec> b) override {
    size_t n = 0;
    for (const iovec& v : b) {
      size_t k = std::min(v.iov_len, data_.size() - pos_);
      std::memcpy(v.iov_base, data_.data() + pos_, k);
      pos_ += k;
      n += k;
      if (pos_ == data_.size()) break;
    }
    return n;
  }
  Result<size_t> write(std::span<const iovec>) override { return Errno::badf; }

 private:
  std::string data_;
  size_t pos_ = 0;
};

// Each write is handed to the sink, in order (a WAGI response, a log).
class OutputStream final : public File {
 public:
  explicit OutputStream(std::function<void(std::string_view)> sink) : sink_(std::move(sink)) {}
  Filetype type() const override { return Filetype::unknown; }  // as a pipe
  Result<Filestat> stat() override {
    Filestat s;
    s.nlink = 1;
    return s;
  }
  Result<size_t> read(std::span<const iovec>) override { return Errno::badf; }
  Result<size_t> write(std::span<const iovec> b) override {
    size_t n = 0;
    for (const iovec& v : b) {
      if (v.iov_len == 0) continue;
      sink_(std::string_view(static_cast<const char*>(v.iov_base), v.iov_len));
      n += v.iov_len;
    }
    return n;
  }

 private:
  std::function<void(std::string_view)> sink_;
};

}  // namespace

std::shared_ptr<File> host_stream(int fd) { return std::make_shared<HostStream>(fd); }
std::shared_ptr<File> null_stream() { return std::make_shared<NullStream>(); }
std::shared_ptr<File> input_stream(std::string bytes) { return std::make_shared<InputStream>(std::move(bytes)); }
std::shared_ptr<File> output_stream(std::function<void(std::string_view)> sink) {
  return std::make_shared<OutputStream>(std::move(sink));
}

}  // namespace isola::wasi::vfs
