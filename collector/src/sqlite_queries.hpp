#pragma once
// The SQLite engine's queries: stats, export, and the aggregation and
// retention passes (retention.hpp says what they do). Reads run on a read
// connection of their own; writes go through the store's writer in small
// jobs, so none of them holds ingest up for long.

#include "sqlite_store.hpp"

#include <boost/json/object.hpp>

#include <atomic>
#include <chrono>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace telemetry_collector {

// {"days": [{"date": "YYYY-MM-DD", "active_nodes": n, "fields": {field: {value: nodes}}}]}
// for the `days` UTC days ending with the day of `now`, oldest first; days
// without aggregates are left out.
boost::json::object read_stats(sqlite_connection& db, int days, clock_ms now);

// Distinct nodes with a raw event received at or after `since`.
std::int64_t active_nodes_since(sqlite_connection& db, clock_ms since);

// Raw events with id > after_id, in id order, at most `limit`: each as one
// NDJSON line {"received_at": "<RFC 3339 UTC>", "event": {...}} (with "\n").
// Returns the last id visited (after_id when none).
std::int64_t export_events(sqlite_connection& db, std::int64_t after_id, int limit,
                           const std::function<void(std::string line)>& emit);

// Recomputes the aggregates of every unsealed day whose raw events changed
// since they were last computed. Reads on its own connection; writes through
// the store. Returns the number of days written.
// `cancel`, when set and true, stops the work between steps (the next pass resumes).
int aggregate_changed_days(sqlite_store& store, const std::atomic<bool>* cancel = nullptr);

// Deletes the raw events of days before (day of `now`) - retention_days, for
// days whose aggregates are stored, `chunk` rows per write job.
// Between chunks it pauses `pause`, so ingest batches commit without a chunk
// in them most of the time.
maintenance_report delete_expired(sqlite_store& store, int retention_days, clock_ms now, int chunk = 250,
                                  const std::atomic<bool>* cancel = nullptr,
                                  std::chrono::milliseconds pause = std::chrono::milliseconds(0));

// One full pass: aggregate, then delete (chunks of 250 rows, `pause` apart).
maintenance_report run_maintenance(sqlite_store& store, int retention_days, clock_ms now,
                                   const std::atomic<bool>* cancel = nullptr,
                                   std::chrono::milliseconds pause = std::chrono::milliseconds(0));

}  // namespace telemetry_collector
