#pragma once
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <string>
#include <utility>
// Kubo's documented example payload (docs/telemetry.md of Kubo), verbatim.
inline constexpr const char* k_kubo_example_payload =
    R"({"uuid":"f81d4fae-7dec-11d0-a765-00a0c91e6bf6","agent_version":"kubo/0.43.0/","private_network":false,"bootstrappers_custom":false,"repo_size_bucket":5368709120,"uptime_bucket":86400000000000,"reprovider_strategy":"all","provide_dht_sweep_enabled":false,"provide_dht_interval_custom":false,"provide_dht_max_workers_custom":false,"routing_type":"auto","routing_accelerated_dht_client":false,"routing_delegated_count":0,"autonat_service_mode":"enabled","autonat_reachability":"Public","swarm_enable_hole_punching":true,"swarm_circuit_addresses":true,"swarm_ipv4_public_addresses":true,"swarm_ipv6_public_addresses":false,"auto_tls_auto_wss":true,"auto_tls_domain_suffix_custom":false,"autoconf":true,"autoconf_custom":false,"discovery_mdns_enabled":true,"platform_os":"linux","platform_arch":"amd64","platform_containerized":false,"platform_vm":false})";

// The 28 keys and their JSON kinds, as Kubo's tests guard them.
inline constexpr std::pair<const char*, char> k_log_event_keys[] = {
    {"uuid", 's'},
    {"agent_version", 's'},
    {"private_network", 'b'},
    {"bootstrappers_custom", 'b'},
    {"repo_size_bucket", 'i'},
    {"uptime_bucket", 'i'},
    {"reprovider_strategy", 's'},
    {"provide_dht_sweep_enabled", 'b'},
    {"provide_dht_interval_custom", 'b'},
    {"provide_dht_max_workers_custom", 'b'},
    {"routing_type", 's'},
    {"routing_accelerated_dht_client", 'b'},
    {"routing_delegated_count", 'i'},
    {"autonat_service_mode", 's'},
    {"autonat_reachability", 's'},
    {"swarm_enable_hole_punching", 'b'},
    {"swarm_circuit_addresses", 'b'},
    {"swarm_ipv4_public_addresses", 'b'},
    {"swarm_ipv6_public_addresses", 'b'},
    {"auto_tls_auto_wss", 'b'},
    {"auto_tls_domain_suffix_custom", 'b'},
    {"autoconf", 'b'},
    {"autoconf_custom", 'b'},
    {"discovery_mdns_enabled", 'b'},
    {"platform_os", 's'},
    {"platform_arch", 's'},
    {"platform_containerized", 'b'},
    {"platform_vm", 'b'},
};

// Kubo's example payload with another uuid.
inline std::string example_event(const std::string& uuid) {
  auto doc = boost::json::parse(k_kubo_example_payload).as_object();
  doc["uuid"] = uuid;
  return boost::json::serialize(doc);
}
