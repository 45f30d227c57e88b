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

boost::system::result<std::string> read_file(const std::filesystem::path& path,
                                             std::size_t max_size) {
  fd_guard fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) return last_error();
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return last_error();
  if (!S_ISREG(st.st_mode)) return boost::system::errc::make_error_code(boost::system::errc::invalid_argument);
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
