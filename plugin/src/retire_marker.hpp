#pragma once
// $IPFS_PATH/telemetry_retired: written when an endpoint answers 410 Gone. Its
// first line is the endpoint URL that retired the node; while it names the
// current endpoint, the node does not report.

#include "file_system.hpp"

#include <boost/system/result.hpp>

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace ipfs_telemetry {

inline constexpr std::string_view k_retire_file_name = "telemetry_retired";

class retire_marker {
 public:
  retire_marker(file_system& fs, std::filesystem::path repo);

  const std::filesystem::path& path() const { return path_; }

  // The endpoint named by the marker; nullopt without a marker; an error
  // message when it exists but cannot be read.
  boost::system::result<std::optional<std::string>, std::string> endpoint();

  // True when the marker names `endpoint`. A marker that cannot be read counts
  // as retired: we fail closed.
  bool retires(std::string_view endpoint);

  // Writes the marker (0600) naming `endpoint`.
  boost::system::result<void, std::string> write(std::string_view endpoint);

 private:
  file_system& fs_;
  std::filesystem::path path_;
};

}  // namespace ipfs_telemetry
