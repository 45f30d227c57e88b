#pragma once
// Interim, for branch pg only: storage.cpp includes the SQLite engine's
// header, which the refactor on main (event_store onto storage.hpp) adds.
// Until that lands, this stands in so storage.cpp (redact_db, export_line,
// open_storage) builds and the PostgreSQL engine links against it. CMake
// uses this directory only while collector/src/sqlite_store.hpp is missing;
// delete the directory once it exists.

#include "storage.hpp"

#include <stdexcept>

namespace telemetry_collector {

class sqlite_store final : public storage {
 public:
  sqlite_store(const std::string& path, storage_options) {
    throw std::runtime_error("--db " + path + ": the SQLite engine is not on storage.hpp in this build yet");
  }
  std::string_view engine() const override { return "sqlite"; }
  const std::string& description() const override { return description_; }
  void insert(event_row, done_fn done) override { done(false); }
  void erase(std::string, erase_fn done) override { done(false, 0); }
  void set_completion_hooks(completion_hooks) override {}
  bool import_events(std::vector<event_row>) override { return false; }
  boost::json::object read_stats(int, clock_ms) override { return {}; }
  std::int64_t active_nodes_since(clock_ms) override { return 0; }
  std::unique_ptr<export_cursor> open_export() override { return nullptr; }
  maintenance_report run_maintenance(const maintenance_request&) override { return {}; }
  std::optional<std::string> problem() override { return std::nullopt; }
  bool problem_may_clear() override { return false; }
  bool probe_write() override { return false; }
  std::chrono::seconds retry_after() const override { return std::chrono::seconds(60); }
  std::uint64_t disk_bytes() override { return 0; }
  std::uint64_t batches_committed() const override { return 0; }
  void close() override {}

 private:
  std::string description_;
};

}  // namespace telemetry_collector
