#pragma once
// Turns node facts into a LogEvent: config defaults as Kubo applies them,
// buckets, address flags and platform. Pure.

#include "log_event.hpp"
#include "node_facts.hpp"
#include "platform.hpp"

#include <chrono>
#include <string>

namespace ipfs_telemetry {

inline constexpr std::string_view k_default_autoconf_url = "https://conf.ipfs-mainnet.org/autoconf.json";
inline constexpr std::string_view k_default_domain_suffix = "libp2p.direct";

// Builds the event. `uptime` is the time since plugin init.
log_event collect_event(const node_facts& facts, const platform_info& platform, const std::string& uuid,
                        std::chrono::nanoseconds uptime);

}  // namespace ipfs_telemetry
