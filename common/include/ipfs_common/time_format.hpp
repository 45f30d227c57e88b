#pragma once
// Timestamps as logs and files here write them.

#include <chrono>
#include <string>

namespace ipfs_common {

// RFC 3339 in UTC with milliseconds: 2026-11-21T23:00:53.123Z
std::string rfc3339_utc(std::chrono::system_clock::time_point t);

}  // namespace ipfs_common
