#include "log.hpp"

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <stdexcept>

namespace telemetry_collector {

std::string_view to_string(log_level level) {
  switch (level) {
    case log_level::info:
      return "info";
    case log_level::warning:
      return "warning";
    case log_level::error:
      return "error";
  }
  return "info";
}

std::string rfc3339_ms(std::chrono::system_clock::time_point t) {
  using namespace std::chrono;
  const auto ms = duration_cast<milliseconds>(t.time_since_epoch()).count();
  // Floor division, so that a time before 1970 still gets 0-999 ms.
  std::time_t secs = static_cast<std::time_t>(ms / 1000);
  long frac = static_cast<long>(ms % 1000);
  if (frac < 0) {
    frac += 1000;
    --secs;
  }
  std::tm tm{};
  ::gmtime_r(&secs, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                tm.tm_hour, tm.tm_min, tm.tm_sec, frac);
  return buf;
}

std::string format_log_line(log_format format, std::chrono::system_clock::time_point t, log_level level,
                            std::string_view message) {
  const std::string time = rfc3339_ms(t);
  if (format == log_format::json) {
    boost::json::object line;
    line["time"] = time;
    line["level"] = to_string(level);
    line["message"] = message;
    return boost::json::serialize(line) + "\n";
  }
  std::string out;
  out.reserve(time.size() + message.size() + 10);
  out += time;
  out += ' ';
  out += to_string(level);
  out += ' ';
  for (const char c : message) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '\n')
      out += "\\n";
    else if (c == '\r')
      out += "\\r";
    else if (c == '\t')
      out += "\\t";
    else if (u < 0x20 || u == 0x7f) {
      char hex[5];
      std::snprintf(hex, sizeof hex, "\\x%02x", u);
      out += hex;
    } else
      out += c;
  }
  out += '\n';
  return out;
}

logger::~logger() {
  if (fd_ >= 0) ::close(fd_);
}

void logger::set_format(log_format format) {
  std::lock_guard lock(mutex_);
  format_ = format;
}

int logger::open_path(const std::string& path) {
  return ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
}

void logger::open_file(const std::string& path) {
  const int fd = open_path(path);
  if (fd < 0) throw std::runtime_error("--log-file " + path + ": cannot open it: " + std::strerror(errno));
  std::lock_guard lock(mutex_);
  if (fd_ >= 0) ::close(fd_);
  fd_ = fd;
  path_ = path;
}

std::string logger::reopen() {
  std::string path;
  {
    std::lock_guard lock(mutex_);
    if (fd_ < 0) return {};
    path = path_;
  }
  // Opened outside the lock: lines keep going to the old file meanwhile.
  const int fd = open_path(path);
  if (fd < 0) return "cannot reopen the log file " + path + ": " + std::strerror(errno) + "; still writing to the old one";
  int old = -1;
  {
    std::lock_guard lock(mutex_);
    old = fd_;
    fd_ = fd;
  }
  ::close(old);
  return {};
}

std::string logger::file() const {
  std::lock_guard lock(mutex_);
  return path_;
}

void logger::write(log_level level, std::string_view message) {
  std::lock_guard lock(mutex_);  // the time is taken under it too: lines are in time order
  const std::string line = format_log_line(format_, std::chrono::system_clock::now(), level, message);
  const int fd = fd_ >= 0 ? fd_ : STDERR_FILENO;
  // One write(2) per line (O_APPEND: atomic with respect to other writers of
  // the file); a short write, rare, is finished rather than lost.
  std::size_t done = 0;
  while (done < line.size()) {
    const ssize_t n = ::write(fd, line.data() + done, line.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // nowhere left to say it
    done += static_cast<std::size_t>(n);
  }
}

}  // namespace telemetry_collector
