#pragma once
// The first-run notice: what telemetry collects, when it starts, how to opt out.

#include <chrono>
#include <string>

namespace ipfs_telemetry {

struct notice_params {
  std::chrono::nanoseconds delay;
  std::chrono::nanoseconds interval;
  std::string endpoint;
  std::string uuid;
  bool first_run = true;  // false: Mode is explicitly "auto", shown at every start
  std::string docs_url;
  std::string host_command = "ipfs";  // the host's command, as the user types it
};

std::string first_run_notice(const notice_params& p);

}  // namespace ipfs_telemetry
