#pragma once
// The node's anonymous identifier: one random (v4) UUID as text in
// $IPFS_PATH/telemetry_uuid, permissions 0600.

#include "file_system.hpp"

#include <boost/system/result.hpp>

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace ipfs_telemetry {

inline constexpr std::string_view k_uuid_file_name = "telemetry_uuid";

// True for the canonical 8-4-4-4-12 hex form (either case), nothing else.
bool is_canonical_uuid(std::string_view s);

// Not thread-safe; the plugin uses it from its own thread only.
class uuid_store {
 public:
  uuid_store(file_system& fs, std::filesystem::path repo);

  const std::filesystem::path& path() const { return path_; }

  // What load() does about a UUID file that others may read.
  enum class permissions { report, tighten };

  // The stored UUID (lower case), nullopt when no file exists, or an error
  // message when the file cannot be read or does not hold a UUID. A file
  // readable by others is reported in `note`; with permissions::tighten (the
  // daemon) it is also restricted to 0600, with report (read-only commands)
  // nothing is changed. A failure to tighten is a note, not an error.
  boost::system::result<std::optional<std::string>, std::string> load(std::string* note = nullptr,
                                                                      permissions p = permissions::report);

  // Generates a new random v4 UUID and stores it atomically with 0600.
  boost::system::result<std::string, std::string> create();

  // Deletes the file. True if one was deleted; an error message on failure.
  boost::system::result<bool, std::string> remove();

 private:
  file_system& fs_;
  std::filesystem::path path_;
};

}  // namespace ipfs_telemetry
