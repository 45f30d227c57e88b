#pragma once
// Whole-file reads and crash-safe whole-file writes.

#include <boost/system/error_code.hpp>
#include <boost/system/result.hpp>

#include <sys/types.h>

#include <cstddef>
#include <filesystem>
#include <string>
#include <string_view>

namespace ipfs_common {

// Replaces `path` with `contents` so that a reader sees either the old or the
// new file, never a mix: writes a temporary file beside it with permissions
// `mode` (not subject to the umask), fsyncs it, renames it over `path` and
// fsyncs the directory. On failure the old file is untouched and no temporary
// file is left behind.
boost::system::error_code write_file_atomic(const std::filesystem::path& path,
                                            std::string_view contents, mode_t mode);

// Reads a whole regular file. Fails with `errc::file_too_large` if it is larger
// than `max_size` bytes, so a hostile or corrupt file cannot exhaust memory.
boost::system::result<std::string> read_file(const std::filesystem::path& path,
                                             std::size_t max_size);

}  // namespace ipfs_common
