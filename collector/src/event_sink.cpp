#include "event_sink.hpp"

#include <boost/json/serialize.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace telemetry_collector {

event_sink::event_sink(const std::string& path) : file_(stdout), owned_(false) {
  if (path.empty()) return;
  // 0600: the file holds node identifiers.
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (fd < 0) throw std::runtime_error("cannot open --out file " + path + ": " + std::strerror(errno));
  file_ = ::fdopen(fd, "a");
  if (!file_) {
    ::close(fd);
    throw std::runtime_error("cannot open --out file " + path + ": " + std::strerror(errno));
  }
  owned_ = true;
}

event_sink::~event_sink() {
  if (owned_) std::fclose(file_);
}

bool event_sink::write(const boost::json::value& event) {
  const std::string line = boost::json::serialize(event) + "\n";
  if (std::fwrite(line.data(), 1, line.size(), file_) != line.size()) return false;
  return std::fflush(file_) == 0;
}

}  // namespace telemetry_collector
