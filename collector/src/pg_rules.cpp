#include "pg_rules.hpp"

#include "retention.hpp"

namespace telemetry_collector::pg {

value_counts fold(value_counts counts) { return fold_values(std::move(counts)); }
std::string date_of_day(std::int64_t day) { return day_to_date(day); }

}  // namespace telemetry_collector::pg
