#pragma once
// The aggregate rules of retention.hpp (fold_values, day_to_date), for the
// PostgreSQL engine, so both engines answer alike. A bridge only because
// retention.hpp still includes event_store.hpp, whose clock_ms/k_day_ms and
// maintenance_report clash with storage.hpp in one translation unit; once the
// SQLite side is on storage.hpp, pg_store.cpp includes retention.hpp and this goes.

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace telemetry_collector::pg {

using value_counts = std::vector<std::pair<std::string, std::int64_t>>;
// fold_values() with its default bounds.
value_counts fold(value_counts counts);
// day_to_date(): "2026-11-22".
std::string date_of_day(std::int64_t day);

}  // namespace telemetry_collector::pg
