#include "file_system.hpp"

#include "ipfs_common/atomic_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

namespace ipfs_telemetry {

boost::system::result<std::string> posix_file_system::read(const std::filesystem::path& p, std::size_t max_size) {
  return ipfs_common::read_file(p, max_size, ipfs_common::symlinks::refuse);
}

boost::system::error_code posix_file_system::write_atomic(const std::filesystem::path& p,
                                                          std::string_view contents, mode_t mode) {
  // The rename would replace a symlink, FIFO or device with a regular file
  // without a word; refuse instead, so the operator learns what is there.
  if (auto ec = ipfs_common::check_regular_or_absent(p)) return ec;
  return ipfs_common::write_file_atomic(p, contents, mode);
}

boost::system::error_code posix_file_system::remove(const std::filesystem::path& p, bool& removed) {
  removed = false;
  if (::unlink(p.c_str()) == 0) {
    removed = true;
    return {};
  }
  if (errno == ENOENT) return {};
  return {errno, boost::system::system_category()};
}

boost::system::result<mode_t> posix_file_system::permissions(const std::filesystem::path& p) {
  struct stat st {};
  if (::lstat(p.c_str(), &st) != 0) return boost::system::error_code(errno, boost::system::system_category());
  if (auto ec = ipfs_common::check_regular_or_absent(p)) return ec;
  return static_cast<mode_t>(st.st_mode & 07777);
}

boost::system::error_code posix_file_system::set_permissions(const std::filesystem::path& p, mode_t mode) {
  // On the descriptor of the file itself: chmod() would follow a symlink.
  const int fd = ::open(p.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY);
  if (fd < 0) return {errno, boost::system::system_category()};
  boost::system::error_code ec;
  struct stat st {};
  if (::fstat(fd, &st) != 0)
    ec = {errno, boost::system::system_category()};
  else if (!S_ISREG(st.st_mode))
    ec = ipfs_common::make_error_code(ipfs_common::file_error::other_type);
  else if (::fchmod(fd, mode) != 0)
    ec = {errno, boost::system::system_category()};
  ::close(fd);
  return ec;
}

}  // namespace ipfs_telemetry
