#include "version.hpp"

#ifndef TELEMETRY_COLLECTOR_VERSION
#error "TELEMETRY_COLLECTOR_VERSION must be defined (collector/CMakeLists.txt passes the project version)"
#endif

namespace telemetry_collector {

const char* collector_version() { return TELEMETRY_COLLECTOR_VERSION; }

}  // namespace telemetry_collector
