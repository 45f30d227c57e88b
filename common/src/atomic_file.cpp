#include "ipfs_common/atomic_file.hpp"

#include <boost/system/errc.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <random>

namespace ipfs_common {
namespace {

boost::system::error_code last_error() {
  return {errno, boost::system::system_category()};
}

// Owns a file descriptor; closes it on scope exit.
class fd_guard {
 public:
  explicit fd_guard(int fd) : fd_(fd) {}
  fd_guard(const fd_guard&) = delete;
  fd_guard& operator=(const fd_guard&) = delete;
  ~fd_guard() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const { return fd_; }
  // Closes now and reports the result (close can report a deferred write error).
  bool close_checked() {
    int fd = fd_;
    fd_ = -1;
    return ::close(fd) == 0;
  }

 private:
  int fd_;
};

std::string temp_suffix() {
  std::random_device rd;
  static constexpr char hex[] = "0123456789abcdef";
  std::string s = ".tmp-";
  for (int i = 0; i < 12; ++i) s += hex[rd() % 16];
  return s;
}

}  // namespace

boost::system::error_code write_file_atomic(const std::filesystem::path& path,
                                            std::string_view contents, mode_t mode) {
  const std::filesystem::path tmp = path.string() + temp_suffix();
  fd_guard fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode));
  if (fd.get() < 0) return last_error();

  auto fail = [&](boost::system::error_code ec) {
    ::unlink(tmp.c_str());
    return ec;
  };
  // O_CREAT applies the umask; set the exact permissions asked for.
  if (::fchmod(fd.get(), mode) != 0) return fail(last_error());

  const char* p = contents.data();
  std::size_t left = contents.size();
  while (left > 0) {
    ssize_t n = ::write(fd.get(), p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail(last_error());
    }
    p += n;
    left -= static_cast<std::size_t>(n);
  }
  if (::fsync(fd.get()) != 0) return fail(last_error());
  if (!fd.close_checked()) return fail(last_error());
  if (::rename(tmp.c_str(), path.c_str()) != 0) return fail(last_error());

  // Make the rename itself durable. A failure here does not undo the write.
  const auto dir = path.has_parent_path() ? path.parent_path() : std::filesystem::path(".");
  fd_guard dfd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dfd.get() >= 0) ::fsync(dfd.get());
  return {};
}

namespace {

class file_error_category_impl final : public boost::system::error_category {
 public:
  const char* name() const noexcept override { return "ipfs-file"; }
  std::string message(int v) const override {
    switch (static_cast<file_error>(v)) {
      case file_error::symlink: return "is a symbolic link, which is not followed";
      case file_error::directory: return "is a directory, not a regular file";
      case file_error::fifo: return "is a FIFO (named pipe), not a regular file";
      case file_error::socket: return "is a socket, not a regular file";
      case file_error::device: return "is a device, not a regular file";
      case file_error::other_type: return "is not a regular file";
    }
    return "unknown file error";
  }
};

boost::system::error_code type_error(mode_t m) {
  if (S_ISREG(m)) return {};
  if (S_ISLNK(m)) return file_error::symlink;
  if (S_ISDIR(m)) return file_error::directory;
  if (S_ISFIFO(m)) return file_error::fifo;
  if (S_ISSOCK(m)) return file_error::socket;
  if (S_ISCHR(m) || S_ISBLK(m)) return file_error::device;
  return file_error::other_type;
}

}  // namespace

const boost::system::error_category& file_error_category() {
  static const file_error_category_impl c;
  return c;
}

boost::system::error_code make_error_code(file_error e) { return {static_cast<int>(e), file_error_category()}; }

boost::system::error_code check_regular_or_absent(const std::filesystem::path& path) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) return errno == ENOENT ? boost::system::error_code() : last_error();
  return type_error(st.st_mode);
}

boost::system::result<std::string> read_file(const std::filesystem::path& path, std::size_t max_size,
                                             symlinks links) {
  // Looked at before opening, so that no device is ever opened; checked again
  // on the open descriptor, in case the path changed in between.
  {
    struct stat pre {};
    const int r = links == symlinks::refuse ? ::lstat(path.c_str(), &pre) : ::stat(path.c_str(), &pre);
    if (r != 0) return last_error();
    if (auto ec = type_error(pre.st_mode)) return ec;
  }
  // O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer.
  int flags = O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY;
  if (links == symlinks::refuse) flags |= O_NOFOLLOW;
  fd_guard fd(::open(path.c_str(), flags));
  if (fd.get() < 0) {
    if (errno == ELOOP && links == symlinks::refuse) {
      struct stat st {};
      if (::lstat(path.c_str(), &st) == 0 && S_ISLNK(st.st_mode)) return make_error_code(file_error::symlink);
    }
    return last_error();
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return last_error();
  if (auto ec = type_error(st.st_mode)) return ec;
  if (static_cast<std::size_t>(st.st_size) > max_size)
    return boost::system::errc::make_error_code(boost::system::errc::file_too_large);

  std::string out;
  char buf[4096];
  for (;;) {
    ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      return last_error();
    }
    if (n == 0) break;
    out.append(buf, static_cast<std::size_t>(n));
    if (out.size() > max_size)
      return boost::system::errc::make_error_code(boost::system::errc::file_too_large);
  }
  return out;
}

}  // namespace ipfs_common
