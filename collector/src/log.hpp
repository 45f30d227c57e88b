#pragma once
// The collector's operator log: one line per event, each line a time (RFC
// 3339, UTC, milliseconds), a level and the message, as text
// ("2026-12-02T06:10:00.123Z info listening on ...") or as one JSON object
// per line ({"time": ..., "level": ..., "message": ...}). Lines go to stderr,
// or are appended to a file that reopen() opens anew after logrotate has
// moved it.
//
// Threading: every member of logger may be called from any thread; a line
// is written whole, with one write(2) under one mutex, so lines from
// different threads never interleave. Privacy: the logger writes what it is
// given; callers never pass a client's address.

#include <chrono>
#include <concepts>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <type_traits>

namespace telemetry_collector {

enum class log_level { info, warning, error };
enum class log_format { text, json };

// "info", "warning", "error".
std::string_view to_string(log_level level);

// "2026-12-02T06:10:00.123Z".
std::string rfc3339_ms(std::chrono::system_clock::time_point t);

// One line, newline included. Text: control characters in the message are
// escaped (\n, \r, \t, \xHH), so that one event stays one line. JSON: the
// object is serialized by Boost.JSON.
std::string format_log_line(log_format format, std::chrono::system_clock::time_point t, log_level level,
                            std::string_view message);

class logger {
 public:
  logger() = default;  // to stderr, as text
  ~logger();
  logger(const logger&) = delete;
  logger& operator=(const logger&) = delete;

  void set_format(log_format format);
  // From now on appends to `path` (created with mode 0640 if missing,
  // O_APPEND | O_CLOEXEC). Throws std::runtime_error naming the path if it
  // cannot be opened; the previous destination is kept then.
  void open_file(const std::string& path);
  // Opens the file at the same path again (logrotate has renamed it) and
  // writes there from now on. Returns an empty string on success or with no
  // file; else the reason, naming the path, and the old file is kept.
  std::string reopen();
  std::string file() const;  // "" when logging to stderr

  void write(log_level level, std::string_view message);

 private:
  static int open_path(const std::string& path);  // -1 and errno on failure

  mutable std::mutex mutex_;
  int fd_ = -1;  // -1: stderr
  std::string path_;
  log_format format_ = log_format::text;
};

// Where a component sends its log lines, with a level. Built from a callable
// taking (log_level, const std::string&), or from one taking the message
// only (tests collecting text; every level then reaches it the same).
// Calling it with a message only logs at info. May be empty.
class log_sink {
 public:
  log_sink() = default;
  template <class F>
    requires(!std::same_as<std::remove_cvref_t<F>, log_sink> && std::invocable<F&, log_level, const std::string&>)
  log_sink(F f) : fn_(std::move(f)) {}
  template <class F>
    requires(!std::same_as<std::remove_cvref_t<F>, log_sink> && std::invocable<F&, const std::string&> &&
             !std::invocable<F&, log_level, const std::string&>)
  log_sink(F f) : fn_([g = std::move(f)](log_level, const std::string& m) mutable { g(m); }) {}

  explicit operator bool() const { return static_cast<bool>(fn_); }
  void operator()(log_level level, const std::string& message) const {
    if (fn_) fn_(level, message);
  }
  void operator()(const std::string& message) const { (*this)(log_level::info, message); }
  void info(const std::string& message) const { (*this)(log_level::info, message); }
  void warning(const std::string& message) const { (*this)(log_level::warning, message); }
  void error(const std::string& message) const { (*this)(log_level::error, message); }

 private:
  std::function<void(log_level, const std::string&)> fn_;
};

}  // namespace telemetry_collector
