#include "pg_store.hpp"

#include <stdexcept>

namespace telemetry_collector {

std::unique_ptr<storage> open_pg_store(const std::string& uri, storage_options) {
  throw std::runtime_error("--db " + redact_db(uri) + ": PostgreSQL is not supported by this build yet");
}

}  // namespace telemetry_collector
