#include "sqlite_backup.hpp"

#include "sqlite_store.hpp"
#include "sqlite_statement.hpp"

#include <sqlite3.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace telemetry_collector {

namespace {

std::string directory_of(const std::string& path) {
  const auto slash = path.rfind('/');
  return slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash);
}

void sync_path(const std::string& path, int flags) {
  const int fd = ::open(path.c_str(), flags | O_CLOEXEC);
  if (fd < 0) throw std::runtime_error("cannot open " + path + " to sync it: " + std::strerror(errno));
  const int rc = ::fsync(fd);
  const int err = errno;
  ::close(fd);
  if (rc != 0) throw std::runtime_error("cannot sync " + path + ": " + std::strerror(err));
}

// Removes the temporary copy (and anything SQLite made beside it) in the end.
struct temp_file {
  std::string path;
  ~temp_file() {
    for (const char* suffix : {"", "-journal", "-wal", "-shm"}) ::unlink((path + suffix).c_str());
  }
};

}  // namespace

backup_report backup_database(const std::string& db_path, const std::string& dest) {
  struct stat st {};
  if (::lstat(dest.c_str(), &st) == 0) throw std::runtime_error(dest + " already exists; a backup never overwrites");

  temp_file tmp{dest + ".partial-" + std::to_string(::getpid())};
  {
    // The copy holds node identifiers: 0600 from its first byte, and ours alone.
    const int fd = ::open(tmp.path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) throw std::runtime_error("cannot create " + tmp.path + ": " + std::strerror(errno));
    ::close(fd);
  }

  backup_report report;
  {
    // Read-only on the live database: the collector's writer goes on while
    // the copy is taken (WAL), and the copy is of one snapshot, since a single
    // backup step copies every page inside one read transaction.
    sqlite_connection source(db_path, true);
    sqlite_connection copy(tmp.path, false);
    sqlite3_backup* b = sqlite3_backup_init(copy.get(), "main", source.get(), "main");
    if (!b) throw std::runtime_error("cannot back up " + db_path + ": " + sqlite3_errmsg(copy.get()));
    const int step = sqlite3_backup_step(b, -1);
    const int finish = sqlite3_backup_finish(b);
    if (step != SQLITE_DONE || finish != SQLITE_OK)
      throw std::runtime_error("cannot back up " + db_path + ": " + sqlite3_errstr(step != SQLITE_DONE ? step : finish));

    // One file, usable on its own; the collector puts it back into WAL mode
    // when it opens it after a restore.
    copy.exec("PRAGMA journal_mode=DELETE");
    {
      statement check(copy.get(), "PRAGMA quick_check");
      if (!check.step() || check.text(0) != "ok")
        throw std::runtime_error("the copy of " + db_path + " failed its check: " + std::string(check.text(0)));
    }
    statement events(copy.get(), "SELECT count(*) FROM events");
    if (events.step()) report.raw_events = events.int64(0);
    statement days(copy.get(), "SELECT count(*) FROM day_summary");
    if (days.step()) report.summary_days = days.int64(0);
  }
  sync_path(tmp.path, O_RDONLY);
  // link() fails if dest has appeared meanwhile: never overwrite. The
  // temporary name goes when tmp does.
  if (::link(tmp.path.c_str(), dest.c_str()) != 0)
    throw std::runtime_error("cannot create " + dest + ": " + std::strerror(errno));
  sync_path(directory_of(dest), O_RDONLY | O_DIRECTORY);
  if (::stat(dest.c_str(), &st) == 0) report.bytes = static_cast<std::uint64_t>(st.st_size);
  return report;
}

}  // namespace telemetry_collector
