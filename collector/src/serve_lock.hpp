#pragma once
// One `serve` per database: an exclusive flock() on "<db>.serve-lock", a
// file of its own next to the database, held for the life of the process.
//
// Why a separate file: SQLite locks the database with POSIX fcntl() locks,
// which a process loses as soon as it closes *any* descriptor of that file;
// opening and closing the database file ourselves would silently drop them.
// flock() locks belong to the open file description, so the kernel releases
// this one when the process ends however it ends (kill -9 included): no stale
// lock to clean up, and the file left behind is harmless.
//
// Only `serve` takes it. The CLI's export, import, cleanup and backup go
// through SQLite's own locking and keep working beside a running collector.

#include <string>

namespace telemetry_collector {

class serve_lock {
 public:
  // Takes the lock, creating the lock file (0600) if needed. Throws
  // std::runtime_error naming the database when another process holds it,
  // or when the lock file cannot be opened.
  explicit serve_lock(const std::string& db_path);
  ~serve_lock();
  serve_lock(const serve_lock&) = delete;
  serve_lock& operator=(const serve_lock&) = delete;

  const std::string& path() const { return path_; }

 private:
  std::string path_;
  int fd_ = -1;
};

}  // namespace telemetry_collector
