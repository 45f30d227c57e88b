#pragma once
// The collector's version: the CMake project version, compiled into
// version.cpp only (TELEMETRY_COLLECTOR_VERSION), so a new version rebuilds
// one file. Shown by --version and in /metrics (telemetry_collector_build_info).

namespace telemetry_collector {

const char* collector_version();  // e.g. "0.1.0"

}  // namespace telemetry_collector
