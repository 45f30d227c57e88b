#include "serve_lock.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace telemetry_collector {

serve_lock::serve_lock(const std::string& db_path) : path_(db_path + ".serve-lock") {
  fd_ = ::open(path_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd_ < 0)
    throw std::runtime_error("cannot open the lock file " + path_ + " of database " + db_path + ": " +
                             std::strerror(errno));
  int rc;
  do rc = ::flock(fd_, LOCK_EX | LOCK_NB);
  while (rc != 0 && errno == EINTR);
  if (rc != 0) {
    const int err = errno;
    ::close(fd_);
    fd_ = -1;
    if (err == EWOULDBLOCK)
      throw std::runtime_error("database " + db_path + " is already served by another telemetry-collector (it holds " +
                               path_ + "); one serve per database");
    throw std::runtime_error("cannot lock " + path_ + " of database " + db_path + ": " + std::strerror(err));
  }
}

serve_lock::~serve_lock() {
  if (fd_ >= 0) ::close(fd_);  // releases the lock; the file stays, harmlessly
}

}  // namespace telemetry_collector
