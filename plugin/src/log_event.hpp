#pragma once
// LogEvent: the telemetry payload, exactly the 28 keys of Kubo's LogEvent
// (docs/telemetry.md lists them). Its JSON form lives here and only here.

#include <boost/json/conversion.hpp>
#include <boost/json/value.hpp>
#include <boost/system/result.hpp>

#include <cstdint>
#include <string>

namespace ipfs_telemetry {

struct log_event {
  std::string uuid;
  std::string agent_version;
  bool private_network = false;
  bool bootstrappers_custom = false;
  std::uint64_t repo_size_bucket = 0;
  std::int64_t uptime_bucket = 0;
  std::string reprovider_strategy;
  bool provide_dht_sweep_enabled = false;
  bool provide_dht_interval_custom = false;
  bool provide_dht_max_workers_custom = false;
  std::string routing_type;
  bool routing_accelerated_dht_client = false;
  std::int64_t routing_delegated_count = 0;
  std::string autonat_service_mode;
  std::string autonat_reachability;
  bool autoconf = false;
  bool autoconf_custom = false;
  bool swarm_enable_hole_punching = false;
  bool swarm_circuit_addresses = false;
  bool swarm_ipv4_public_addresses = false;
  bool swarm_ipv6_public_addresses = false;
  bool auto_tls_auto_wss = false;
  bool auto_tls_domain_suffix_custom = false;
  bool discovery_mdns_enabled = false;
  std::string platform_os;
  std::string platform_arch;
  bool platform_containerized = false;
  bool platform_vm = false;

  friend bool operator==(const log_event&, const log_event&) = default;
};

// To JSON: an object with the 28 keys in Kubo's order.
void tag_invoke(boost::json::value_from_tag, boost::json::value& jv, const log_event& e);

// From JSON: all 28 keys required with their exact types; any other key is an error.
boost::system::result<log_event> tag_invoke(boost::json::try_value_to_tag<log_event>,
                                            const boost::json::value& jv);

// The exact body sent on the wire (compact JSON).
std::string to_wire(const log_event& e);

}  // namespace ipfs_telemetry
