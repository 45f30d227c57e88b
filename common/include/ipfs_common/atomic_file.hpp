#pragma once
// Whole-file reads and crash-safe whole-file writes.

#include <boost/system/error_code.hpp>
#include <boost/system/result.hpp>

#include <sys/types.h>

#include <cstddef>
#include <filesystem>
#include <string>
#include <string_view>
#include <type_traits>

namespace ipfs_common {

// Replaces `path` with `contents` so that a reader sees either the old or the
// new file, never a mix: writes a temporary file beside it with permissions
// `mode` (not subject to the umask), fsyncs it, renames it over `path` and
// fsyncs the directory. On failure the old file is untouched and no temporary
// file is left behind.
boost::system::error_code write_file_atomic(const std::filesystem::path& path,
                                            std::string_view contents, mode_t mode);

// Why a path that exists is not a file this project will read or replace.
enum class file_error {
  symlink = 1,  // a symbolic link, with symlinks::refuse
  directory,
  fifo,
  socket,
  device,
  other_type,
};
const boost::system::error_category& file_error_category();
boost::system::error_code make_error_code(file_error e);

enum class symlinks { follow, refuse };

// Reads a whole regular file. Never blocks on what is not one: it is opened
// non-blocking and anything but a regular file (FIFO, device, socket,
// directory) fails with a file_error naming what it is; with
// symlinks::refuse a symbolic link as the last component fails with
// file_error::symlink and is not followed. Fails with `errc::file_too_large`
// if it is larger than `max_size` bytes, so a hostile or corrupt file cannot
// exhaust memory.
boost::system::result<std::string> read_file(const std::filesystem::path& path, std::size_t max_size,
                                             symlinks links = symlinks::follow);

// What `path` is, without following a symbolic link: success when it is a
// regular file or does not exist, the file_error otherwise (errno errors as
// system errors).
boost::system::error_code check_regular_or_absent(const std::filesystem::path& path);

}  // namespace ipfs_common

template <>
struct boost::system::is_error_code_enum<ipfs_common::file_error> : std::true_type {};
