#include "file_system.hpp"

#include "ipfs_common/atomic_file.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

namespace ipfs_telemetry {

boost::system::result<std::string> posix_file_system::read(const std::filesystem::path& p, std::size_t max_size) {
  return ipfs_common::read_file(p, max_size);
}

boost::system::error_code posix_file_system::write_atomic(const std::filesystem::path& p,
                                                          std::string_view contents, mode_t mode) {
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
  if (::stat(p.c_str(), &st) != 0) return boost::system::error_code(errno, boost::system::system_category());
  return static_cast<mode_t>(st.st_mode & 07777);
}

boost::system::error_code posix_file_system::set_permissions(const std::filesystem::path& p, mode_t mode) {
  if (::chmod(p.c_str(), mode) != 0) return {errno, boost::system::system_category()};
  return {};
}

}  // namespace ipfs_telemetry
