#pragma once
// An online backup of the collector's database: a consistent copy taken while
// the collector keeps serving, as one self-contained file.
//
// The copy is SQLite's online backup of one read snapshot (so it holds every
// event committed before the backup began, and nothing half-written), made in
// a private temporary file next to the destination (mode 0600 from its first
// byte), switched out of WAL mode so it needs no -wal or -shm beside it,
// checked with PRAGMA quick_check, synced, and only then linked to the
// destination name (which fails, rather than overwrites, if it exists). A
// failure leaves no destination and no temporary file behind.

#include <cstdint>
#include <string>

namespace telemetry_collector {

struct backup_report {
  std::int64_t raw_events = 0;     // in the copy
  std::int64_t summary_days = 0;   // days of aggregates in the copy
  std::uint64_t bytes = 0;         // size of the copy
};

// Copies the database at `db_path` to `dest`, which must not exist yet.
// Throws std::runtime_error naming the path and the reason on any failure.
backup_report backup_database(const std::string& db_path, const std::string& dest);

}  // namespace telemetry_collector
