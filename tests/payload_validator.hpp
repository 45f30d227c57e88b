#pragma once
// The collector's validator for schemas/log_event.schema.json, shared by the suites that need it.
#include "schema_validator.hpp"

inline const telemetry_collector::schema_validator& payload_validator() {
  static const telemetry_collector::schema_validator v(telemetry_collector::log_event_schema_text());
  return v;
}
