#pragma once
// The server's background upkeep, on one thread of its own: a full
// aggregation + retention pass at start and then every 24 hours (and at
// once when the retention is shortened: retention_now()); between
// them, today's aggregates (and any day changed by erasure or import)
// refreshed every `aggregate_every`, together with the active-nodes gauge.
// Its writes go through the store's writer in small jobs (SQLite) or drop
// whole partitions (PostgreSQL), so ingest never waits long behind it.
// Several collectors on one PostgreSQL database: a pass runs on one of them
// at a time (the engine's maintenance lock); the others skip it.

#include "storage.hpp"
#include "metrics.hpp"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

namespace telemetry_collector {

class maintenance_runner {
 public:
  // `retention_days` is asked at each pass (the setting may change meanwhile).
  maintenance_runner(storage& store, collector_metrics& metrics, std::function<int()> retention_days,
                     std::chrono::seconds aggregate_every, std::function<void(const std::string&)> log);
  ~maintenance_runner();  // stop()
  // Runs a retention pass now (the retention was shortened), not at the
  // next daily one.
  void retention_now();
  // Wakes the thread and joins it; a pass in progress stops at its next write job.
  void stop();

 private:
  void loop();

  storage& store_;
  collector_metrics& metrics_;
  std::function<int()> retention_days_;
  std::chrono::seconds aggregate_every_;
  std::function<void(const std::string&)> log_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  bool retention_now_ = false;  // with mutex_
  std::atomic<bool> cancel_{false};  // read by a pass in progress
  std::thread thread_;
};

}  // namespace telemetry_collector
