#pragma once
// Logging in go-log's shape: one line per entry on stderr,
//   2026-11-21T23:00:53.123Z<TAB>INFO<TAB>telemetry<TAB>message
// with levels per subsystem set by GOLOG_LOG_LEVEL as in Kubo
// ("debug", "telemetry=debug", "error,telemetry=debug").

#include <boost/system/result.hpp>

#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

namespace ipfs_stub {

// Ordered: a line is written when its level >= the subsystem's threshold.
enum class log_level { debug = 0, info = 1, warn = 2, error = 3, fatal = 4 };

std::string_view to_string(log_level l);  // "DEBUG", "INFO", "WARN", "ERROR", "FATAL"

struct log_levels {
  log_level default_level = log_level::info;
  std::map<std::string, log_level, std::less<>> subsystems;

  log_level threshold(std::string_view subsystem) const;
};

// Parses a GOLOG_LOG_LEVEL value: comma-separated entries, each a level (sets
// the default) or subsystem=level. Levels: debug, info, warn, error, dpanic,
// panic, fatal (any case). An empty value gives the defaults. On error, the
// message names `variable` (where the value came from), the bad entry and the
// accepted levels.
boost::system::result<log_levels, std::string> parse_golog_level(std::string_view spec,
                                                                 std::string_view variable = "GOLOG_LOG_LEVEL");

// GOLOG_LOG_FMT, as go-log reads it: "json" writes one JSON object per line
// ({"level":"info","ts":"...","logger":"telemetry","msg":"..."}); "color",
// "nocolor" and "" the tab-separated text (never coloured here).
enum class log_format { text, json };
boost::system::result<log_format, std::string> parse_golog_fmt(std::string_view spec,
                                                               std::string_view variable = "GOLOG_LOG_FMT");

// The value of go-log's variable `name` ("GOLOG_LOG_LEVEL", "GOLOG_LOG_FMT")
// and the variable it came from: go-log falls back to the older IPFS_LOGGING
// and IPFS_LOGGING_FMT when the GOLOG_ one is unset or empty. nullopt: neither.
struct golog_setting {
  std::string value;
  std::string variable;
};
std::optional<golog_setting> golog_env(std::string_view name,
                                       const std::function<std::optional<std::string>(const char*)>& getenv);

// Thread-safe writer. Each entry is written with a single write(2), so lines
// from different threads never interleave.
class go_logger {
 public:
  explicit go_logger(log_levels levels, int fd = 2, log_format format = log_format::text);

  bool enabled(log_level level, std::string_view subsystem) const;
  void log(log_level level, std::string_view subsystem, std::string_view message);

 private:
  log_levels levels_;
  int fd_;
  log_format format_;
  std::mutex mutex_;
};

}  // namespace ipfs_stub
