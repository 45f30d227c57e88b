#include "go_log.hpp"

#include "ipfs_common/message_result.hpp"
#include "ipfs_common/time_format.hpp"

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>

namespace ipfs_stub {

using ipfs_common::fail;

std::string_view to_string(log_level l) {
  switch (l) {
    case log_level::debug: return "DEBUG";
    case log_level::info: return "INFO";
    case log_level::warn: return "WARN";
    case log_level::error: return "ERROR";
    case log_level::fatal: return "FATAL";
  }
  return "INFO";
}

log_level log_levels::threshold(std::string_view subsystem) const {
  auto it = subsystems.find(subsystem);
  return it == subsystems.end() ? default_level : it->second;
}

namespace {

boost::system::result<log_level, std::string> parse_level(std::string_view s, std::string_view entry,
                                                          std::string_view variable) {
  std::string l(s);
  std::transform(l.begin(), l.end(), l.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (l == "debug") return log_level::debug;
  if (l == "info") return log_level::info;
  if (l == "warn") return log_level::warn;
  if (l == "error") return log_level::error;
  if (l == "dpanic" || l == "panic" || l == "fatal") return log_level::fatal;
  return fail(std::string(variable) + ": unknown level \"" + std::string(s) + "\" in \"" + std::string(entry) +
              "\"; accepted levels: debug, info, warn, error, dpanic, panic, fatal");
}

}  // namespace

boost::system::result<log_format, std::string> parse_golog_fmt(std::string_view spec, std::string_view variable) {
  if (spec == "json") return log_format::json;
  if (spec.empty() || spec == "color" || spec == "nocolor") return log_format::text;
  return boost::system::result<log_format, std::string>(
      boost::system::in_place_error, std::string(variable) + ": \"" + std::string(spec) + "\" is not accepted; use json, color or nocolor");
}

boost::system::result<log_levels, std::string> parse_golog_level(std::string_view spec, std::string_view variable) {
  log_levels out;
  std::size_t pos = 0;
  while (pos <= spec.size() && !spec.empty()) {
    std::size_t comma = spec.find(',', pos);
    if (comma == std::string_view::npos) comma = spec.size();
    std::string_view entry = spec.substr(pos, comma - pos);
    while (!entry.empty() && entry.front() == ' ') entry.remove_prefix(1);
    while (!entry.empty() && entry.back() == ' ') entry.remove_suffix(1);
    if (!entry.empty()) {
      const auto eq = entry.find('=');
      if (eq == std::string_view::npos) {
        auto l = parse_level(entry, entry, variable);
        if (!l) return fail(l.error());
        out.default_level = *l;
      } else {
        const auto name = entry.substr(0, eq);
        if (name.empty()) return fail(std::string(variable) + ": missing subsystem name in \"" + std::string(entry) + "\"");
        auto l = parse_level(entry.substr(eq + 1), entry, variable);
        if (!l) return fail(l.error());
        out.subsystems[std::string(name)] = *l;
      }
    }
    pos = comma + 1;
  }
  return out;
}

std::optional<golog_setting> golog_env(std::string_view name,
                                       const std::function<std::optional<std::string>(const char*)>& getenv) {
  const std::string legacy = name == "GOLOG_LOG_FMT" ? "IPFS_LOGGING_FMT" : "IPFS_LOGGING";
  for (const auto& variable : {std::string(name), legacy})
    if (auto v = getenv(variable.c_str()); v && !v->empty()) return golog_setting{*v, variable};
  return std::nullopt;
}

go_logger::go_logger(log_levels levels, int fd, log_format format)
    : levels_(std::move(levels)), fd_(fd), format_(format) {}

bool go_logger::enabled(log_level level, std::string_view subsystem) const {
  return level >= levels_.threshold(subsystem) && level != log_level::fatal;
}

void go_logger::log(log_level level, std::string_view subsystem, std::string_view message) {
  if (!enabled(level, subsystem)) return;
  const std::string ts = ipfs_common::rfc3339_utc(std::chrono::system_clock::now());
  std::string line;
  if (format_ == log_format::json) {
    std::string lower(to_string(level));
    for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    boost::json::object o;
    o["level"] = lower;
    o["ts"] = ts;
    o["logger"] = subsystem;
    o["msg"] = message;
    line = boost::json::serialize(o);
  } else {
    line.reserve(message.size() + 64);
    line += ts;
    line += '\t';
    line += to_string(level);
    line += '\t';
    line += subsystem;
    line += '\t';
    line += message;
  }
  line += '\n';
  std::lock_guard lock(mutex_);
  const char* p = line.data();
  std::size_t left = line.size();
  while (left > 0) {
    ssize_t n = ::write(fd_, p, left);
    if (n <= 0) return;  // stderr gone: nothing sensible to do
    p += n;
    left -= static_cast<std::size_t>(n);
  }
}

}  // namespace ipfs_stub
