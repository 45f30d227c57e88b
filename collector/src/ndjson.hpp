#pragma once
// The NDJSON export/import format, whatever the engine: one line per raw
// event, {"received_at": "<RFC 3339 UTC>", "event": {...}} (export_line() in
// storage.hpp writes it).

#include "schema_validator.hpp"
#include "storage.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace telemetry_collector {

// One line of the export format, validated. Error text names the problem.
// The row's values follow validator.fields(): the validator must outlive it.
// Keys no payload shape has are refused, or left out and named in
// `dropped` (schema_validator::validate).
struct import_line {
  event_row event;
  std::vector<std::string> dropped;
  std::string error;  // empty when good
};
import_line parse_import_line(std::string_view line, const schema_validator& validator,
                              unknown_members unknown = unknown_members::drop);

// RFC 3339 with a Z or +00:00 offset, optional fraction -> ms; -1 when malformed.
clock_ms parse_rfc3339_utc(std::string_view s);

}  // namespace telemetry_collector
