#pragma once
// Daily aggregates and retention: the policy both engines follow.
//
// A day is a UTC calendar day (days since 1970-01-01). Its aggregates are the
// number of distinct nodes that reported that day, and for every event field
// but uuid, how many of those nodes had each value, taking each node's last
// event of the day; the nodes whose last event did not have the field (an
// older release's shape) are counted under k_absent_value, so the counts of
// one field add up to the active nodes.
//
// Aggregates are recomputed whenever a day's raw events change (new events,
// erasure, import), until retention starts deleting that day's raw events:
// from then on the day is sealed and its aggregates are final.
//
// Retention counts whole UTC days: on day D, raw events received before day
// D - retention_days are deleted (SQLite: in small write jobs interleaved
// with ingest; PostgreSQL: the day's partition is dropped), and only once
// that day's aggregates are stored.

#include "storage.hpp"

#include <boost/json/value.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace telemetry_collector {

// Text of a JSON scalar as the aggregates store it: strings as they are,
// booleans "true"/"false", numbers in decimal.
std::string aggregate_value_text(const boost::json::value& v);

// The first UTC day (days since 1970-01-01) whose raw events a pass at
// `now` keeps with `retention_days`; events received before it are deleted.
inline std::int64_t first_kept_day(clock_ms now, int retention_days) { return now / k_day_ms - retention_days; }

// "2026-11-22" for a day number.
std::string day_to_date(std::int64_t day);

// The bound on one field's values in a day's aggregates, whatever was posted
// (string fields may take any value the schema allows): at most
// k_max_values_per_field entries, the fold included, and at most
// k_max_value_bytes_per_field bytes of them as JSON ("value": nodes,).
// With six fields free to vary that keeps a day of /v1/stats well under
// 256 KiB. The values beyond it are folded into k_other_value.
inline constexpr std::size_t k_max_values_per_field = 100;
inline constexpr std::size_t k_max_value_bytes_per_field = 24 * 1024;
inline constexpr std::string_view k_other_value = "(other)";
// The nodes that did not report a field (their shape has no such key).
// Never a fold: kept whatever the bounds. A posted value equal to it is
// counted under k_other_value (only the collector writes it).
inline constexpr std::string_view k_absent_value = "(absent)";

// Nodes per value of one field.
using value_counts = std::vector<std::pair<std::string, std::int64_t>>;

// Keeps the most common values (more nodes first, then by value, so the
// result does not depend on the input's order) as long as both bounds
// hold, and folds the rest into one entry k_other_value; a posted value
// equal to k_other_value is counted in it. The counts keep their sum.
// Unchanged (but sorted) when it is within the bounds already.
// An entry k_absent_value is kept as it is, last, within both bounds.
value_counts fold_values(value_counts counts, std::size_t max_entries = k_max_values_per_field,
                         std::size_t max_bytes = k_max_value_bytes_per_field);

// A day's counts as stored, from the values its `active_nodes` nodes
// reported (by field; a field no node reported may be missing): for every
// field in `fields` but uuid, the nodes that did not report it counted under
// k_absent_value, a posted value equal to k_absent_value moved to
// k_other_value, then folded (fold_values). Both engines store this.
std::map<std::string, value_counts> complete_day_counts(std::map<std::string, value_counts> reported,
                                                        std::int64_t active_nodes,
                                                        const std::vector<std::string>& fields);

}  // namespace telemetry_collector
