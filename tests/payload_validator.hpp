#pragma once
// The collector's validator for the payload in every shape it accepts
// (schemas/log_event.schema.json and its older shapes), shared by the suites that need it.
#include "schema_validator.hpp"

inline const telemetry_collector::schema_validator& payload_validator() {
  static const telemetry_collector::schema_validator v = telemetry_collector::make_log_event_validator();
  return v;
}
