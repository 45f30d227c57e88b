#pragma once
// Where accepted events go: one JSON line each, on stdout or appended to a file.

#include <boost/json/value.hpp>

#include <cstdio>
#include <string>

namespace telemetry_collector {

class event_sink {
 public:
  // Empty path: stdout. Throws std::runtime_error when the file cannot be opened.
  explicit event_sink(const std::string& path);
  ~event_sink();
  event_sink(const event_sink&) = delete;
  event_sink& operator=(const event_sink&) = delete;

  // Writes and flushes one line. False on a write error.
  bool write(const boost::json::value& event);

 private:
  std::FILE* file_;
  bool owned_;
};

}  // namespace telemetry_collector
