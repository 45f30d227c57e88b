#pragma once
// Daily aggregates and retention over an event_store.
//
// A day is a UTC calendar day (days since 1970-01-01). Its aggregates are the
// number of distinct nodes that reported that day, and for every event field
// but uuid, how many of those nodes had each value, taking each node's last
// event of the day (so the counts of one field add up to the active nodes).
//
// Aggregates are recomputed whenever a day's raw events change (new events,
// erasure, import), until retention starts deleting that day's raw events:
// from then on the day is sealed and its aggregates are final.
//
// Retention counts whole UTC days: on day D, raw events received before day
// D - retention_days are deleted, in small write jobs interleaved with ingest.

#include "event_store.hpp"

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>

namespace telemetry_collector {

inline constexpr int k_min_retention_days = 1;
inline constexpr int k_max_retention_days = 730;
inline constexpr int k_default_retention_days = 90;

struct maintenance_report {
  int days_aggregated = 0;
  std::int64_t rows_deleted = 0;
  int days_skipped = 0;  // past retention but not aggregated yet (left for the next pass)
};

// Recomputes the aggregates of every unsealed day whose raw events changed
// since they were last computed. Reads on its own connection; writes through
// the store. Returns the number of days written.
// `cancel`, when set and true, stops the work between steps (the next pass resumes).
int aggregate_changed_days(event_store& store, const std::atomic<bool>* cancel = nullptr);

// Deletes the raw events of days before (day of `now`) - retention_days, for
// days whose aggregates are stored, `chunk` rows per write job.
// Between chunks it pauses `pause`, so ingest batches commit without a chunk
// in them most of the time.
maintenance_report delete_expired(event_store& store, int retention_days, clock_ms now, int chunk = 250,
                                  const std::atomic<bool>* cancel = nullptr,
                                  std::chrono::milliseconds pause = std::chrono::milliseconds(0));

// One full pass: aggregate, then delete (chunks of 250 rows, `pause` apart).
maintenance_report run_maintenance(event_store& store, int retention_days, clock_ms now,
                                   const std::atomic<bool>* cancel = nullptr,
                                   std::chrono::milliseconds pause = std::chrono::milliseconds(0));

// "2026-11-22" for a day number.
std::string day_to_date(std::int64_t day);

}  // namespace telemetry_collector
