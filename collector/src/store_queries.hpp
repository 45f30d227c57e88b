#pragma once
// Read-side queries over the collector's database, and the NDJSON
// export/import format. Each takes its own read connection (or, for import,
// writes through the store), so none of them holds the writer up.

#include "event_store.hpp"
#include "schema_validator.hpp"

#include <boost/json/object.hpp>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace telemetry_collector {

inline constexpr int k_max_stats_days = 730;

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

// One NDJSON line of the export format, validated. Error text names the problem.
struct import_line {
  stored_event event;
  std::string error;  // empty when good
};
import_line parse_import_line(std::string_view line, const schema_validator& validator);

// RFC 3339 with a Z or +00:00 offset, optional fraction -> ms; -1 when malformed.
clock_ms parse_rfc3339_utc(std::string_view s);

}  // namespace telemetry_collector
