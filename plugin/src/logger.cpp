#include "logger.hpp"

#include "ipfs_common/redact.hpp"

#include <cstddef>
#include <string>

namespace ipfs_telemetry {

logger::logger(const ipfs_host_services* services, const char* subsystem)
    : services_(services), subsystem_(subsystem) {}

bool logger::enabled(int level) const {
  if (!IPFS_SERVICES_HAS(services_, log)) return false;
  if (!IPFS_SERVICES_HAS(services_, log_enabled)) return true;
  return services_->log_enabled(services_->host_ctx, level, subsystem_) != 0;
}

void logger::log(int level, std::string_view message) const {
  if (!IPFS_SERVICES_HAS(services_, log)) return;
  // Every line, whoever built it: no URL credentials reach the host's log.
  const std::string text = ipfs_common::redact_credentials(message);  // also the NUL-terminated copy
  services_->log(services_->host_ctx, level, subsystem_, text.c_str());
}

}  // namespace ipfs_telemetry
