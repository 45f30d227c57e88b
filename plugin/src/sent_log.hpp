#pragma once
// $IPFS_PATH/telemetry_sent.jsonl (0600): what left the machine. One JSON
// line per attempt, however it ended: time, endpoint, HTTP status or error,
// whether the body was written and to which URLs (the endpoint, then any
// redirect targets), whether the attempt was abandoned (timeout, shutdown,
// superseded by a newer collection), what it was ("kind": "event", or a
// node's "erasure" or "access" request), and the exact body. Only the last
// 30 attempts of each kind are kept (asking for access 30 times does not push
// the record of sent events out). URL credentials never reach the file.

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

// Why an attempt ended without an answer that the service acted on.
enum class abandon_reason {
  none,        // answered, or failed before or without a deadline
  timeout,     // Timeout ended it (also set from send_outcome::timed_out)
  shutdown,    // the daemon stopped while it was in flight
  superseded,  // a newer collection replaced its event while it was in flight
};

// "timeout", "shutdown", "superseded" (and "none"), as the file spells them.
std::string_view to_string(abandon_reason r);

class sent_log {
 public:
  sent_log(file_system& fs, std::filesystem::path repo);
  const std::filesystem::path& path() const { return path_; }

  // Appends one attempt of `kind`, dropping the oldest of that kind beyond
  // k_sent_log_keep. The file is replaced atomically. A message on failure.
  boost::system::result<void, std::string> record(std::chrono::system_clock::time_point when,
                                                  std::string_view endpoint, const send_outcome& outcome,
                                                  std::string_view body,
                                                  abandon_reason reason = abandon_reason::none,
                                                  std::string_view kind = "event");

  // Whether the file can be written: it is a regular file or absent. The
  // message names the file and what is there instead.
  boost::system::result<void, std::string> check();

  // The newest entry of `kind` (an entry written before kinds were recorded
  // is an "event"), nullopt when there is none (or the file is unreadable).
  std::optional<boost::json::object> last(std::string_view kind = "event");

 private:
  std::vector<std::string> lines();
  file_system& fs_;
  std::filesystem::path path_;
};

}  // namespace ipfs_telemetry
