#pragma once
// Logging through the host's services table, under the subsystem "telemetry".
// Thread-safe as far as the host's log function is (the ABI requires it).
// Every message passes through ipfs_common::redact_credentials on its way out.

#include "ipfs_plugin/abi.h"

#include <string_view>

namespace ipfs_telemetry {

class logger {
 public:
  // `services` may be null or lack the log functions (an older or minimal
  // host): the logger is then silent.
  explicit logger(const ipfs_host_services* services, const char* subsystem = "telemetry");

  bool enabled(int level) const;
  void log(int level, std::string_view message) const;
  void debug(std::string_view m) const { log(IPFS_LOG_DEBUG, m); }
  void info(std::string_view m) const { log(IPFS_LOG_INFO, m); }
  void warn(std::string_view m) const { log(IPFS_LOG_WARN, m); }
  void error(std::string_view m) const { log(IPFS_LOG_ERROR, m); }

 private:
  const ipfs_host_services* services_ = nullptr;
  const char* subsystem_;
};

// True when `services` is non-null and its struct_size covers `member`.
#define IPFS_SERVICES_HAS(services, member)                                                     \
  ((services) != nullptr && (services)->struct_size >= offsetof(ipfs_host_services, member) + \
                                                           sizeof((services)->member) &&       \
   (services)->member != nullptr)

}  // namespace ipfs_telemetry
