#pragma once
// The PostgreSQL storage engine (libpq). Not built yet: open_pg_store()
// throws. (Work in progress on issue 12; see pg_store.cpp.)

#include "storage.hpp"

#include <memory>
#include <string>

namespace telemetry_collector {

// Connects to the libpq URI `uri`, migrates its schema, starts the writer.
// Throws std::runtime_error naming the host (never the password) and libpq's reason.
std::unique_ptr<storage> open_pg_store(const std::string& uri, storage_options opts);

}  // namespace telemetry_collector
