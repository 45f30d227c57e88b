#pragma once
// $IPFS_PATH/telemetry_sent.jsonl (0600): what left the machine. One JSON
// line per attempt: time, endpoint, HTTP status or error, and the exact body.
// Only the last 30 attempts are kept.

#include "file_system.hpp"
#include "sender.hpp"

#include <boost/json/object.hpp>
#include <boost/system/result.hpp>

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace ipfs_telemetry {

inline constexpr std::string_view k_sent_log_name = "telemetry_sent.jsonl";
inline constexpr std::size_t k_sent_log_keep = 30;

class sent_log {
 public:
  sent_log(file_system& fs, std::filesystem::path repo);
  const std::filesystem::path& path() const { return path_; }

  // Appends one attempt, dropping the oldest beyond k_sent_log_keep. The file
  // is replaced atomically. A message on failure.
  boost::system::result<void, std::string> record(std::chrono::system_clock::time_point when,
                                                  std::string_view endpoint, const send_outcome& outcome,
                                                  std::string_view body);

  // The newest entry, nullopt when there is none (or the file is unreadable).
  std::optional<boost::json::object> last();

 private:
  std::vector<std::string> lines();
  file_system& fs_;
  std::filesystem::path path_;
};

}  // namespace ipfs_telemetry
