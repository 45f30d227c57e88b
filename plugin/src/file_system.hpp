#pragma once
// The plugin's only door to the file system: a seam so that tests can make a
// repo read-only or corrupt without depending on who runs them (root ignores
// file permissions).

#include <boost/system/error_code.hpp>
#include <boost/system/result.hpp>

#include <sys/types.h>

#include <cstddef>
#include <filesystem>
#include <string>
#include <string_view>

namespace ipfs_telemetry {

// Every member works on the path itself: a symbolic link is never followed.
// read, write_atomic, permissions and set_permissions refuse anything but a
// regular file (FIFO, device, socket, directory) with an
// ipfs_common::file_error, without blocking; remove unlinks the path itself,
// whatever it is (a symlink, not its target), and fails on a directory.
class file_system {
 public:
  virtual ~file_system() = default;
  // Whole file; errc::no_such_file_or_directory when it does not exist.
  virtual boost::system::result<std::string> read(const std::filesystem::path& p, std::size_t max_size) = 0;
  // Atomic replace with exact permissions `mode`.
  virtual boost::system::error_code write_atomic(const std::filesystem::path& p, std::string_view contents,
                                                 mode_t mode) = 0;
  // Removes a file; a missing file is not an error (sets `removed` false).
  virtual boost::system::error_code remove(const std::filesystem::path& p, bool& removed) = 0;
  // Permission bits of an existing file.
  virtual boost::system::result<mode_t> permissions(const std::filesystem::path& p) = 0;
  virtual boost::system::error_code set_permissions(const std::filesystem::path& p, mode_t mode) = 0;
};

// The real POSIX file system.
class posix_file_system final : public file_system {
 public:
  boost::system::result<std::string> read(const std::filesystem::path& p, std::size_t max_size) override;
  boost::system::error_code write_atomic(const std::filesystem::path& p, std::string_view contents,
                                         mode_t mode) override;
  boost::system::error_code remove(const std::filesystem::path& p, bool& removed) override;
  boost::system::result<mode_t> permissions(const std::filesystem::path& p) override;
  boost::system::error_code set_permissions(const std::filesystem::path& p, mode_t mode) override;
};

}  // namespace ipfs_telemetry
