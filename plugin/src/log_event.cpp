#include "log_event.hpp"

#include <boost/json/serialize.hpp>
#include <boost/json/value_from.hpp>
#include <boost/json/value_to.hpp>

namespace ipfs_telemetry {
namespace {

// One table drives both directions, so the key set cannot drift between them.
template <class Visitor>
void visit_fields(Visitor&& v, auto& e) {
  v("uuid", e.uuid);
  v("agent_version", e.agent_version);
  v("private_network", e.private_network);
  v("bootstrappers_custom", e.bootstrappers_custom);
  v("repo_size_bucket", e.repo_size_bucket);
  v("uptime_bucket", e.uptime_bucket);
  v("reprovider_strategy", e.reprovider_strategy);
  v("provide_dht_sweep_enabled", e.provide_dht_sweep_enabled);
  v("provide_dht_interval_custom", e.provide_dht_interval_custom);
  v("provide_dht_max_workers_custom", e.provide_dht_max_workers_custom);
  v("routing_type", e.routing_type);
  v("routing_accelerated_dht_client", e.routing_accelerated_dht_client);
  v("routing_delegated_count", e.routing_delegated_count);
  v("autonat_service_mode", e.autonat_service_mode);
  v("autonat_reachability", e.autonat_reachability);
  v("swarm_enable_hole_punching", e.swarm_enable_hole_punching);
  v("swarm_circuit_addresses", e.swarm_circuit_addresses);
  v("swarm_ipv4_public_addresses", e.swarm_ipv4_public_addresses);
  v("swarm_ipv6_public_addresses", e.swarm_ipv6_public_addresses);
  v("auto_tls_auto_wss", e.auto_tls_auto_wss);
  v("auto_tls_domain_suffix_custom", e.auto_tls_domain_suffix_custom);
  v("autoconf", e.autoconf);
  v("autoconf_custom", e.autoconf_custom);
  v("discovery_mdns_enabled", e.discovery_mdns_enabled);
  v("platform_os", e.platform_os);
  v("platform_arch", e.platform_arch);
  v("platform_containerized", e.platform_containerized);
  v("platform_vm", e.platform_vm);
}

template <class T>
boost::system::error_code read_exact(const boost::json::value& jv, T& out) {
  // Strict kinds: a bool is not a number, a number is not a bool.
  if constexpr (std::is_same_v<T, bool>) {
    if (!jv.is_bool()) return boost::json::make_error_code(boost::json::error::not_bool);
    out = jv.get_bool();
  } else if constexpr (std::is_same_v<T, std::string>) {
    if (!jv.is_string()) return boost::json::make_error_code(boost::json::error::not_string);
    out = std::string(jv.get_string());
  } else {
    if (!jv.is_int64() && !jv.is_uint64()) return boost::json::make_error_code(boost::json::error::not_number);
    auto r = boost::json::try_value_to<T>(jv);
    if (!r) return r.error();
    out = *r;
  }
  return {};
}

}  // namespace

void tag_invoke(boost::json::value_from_tag, boost::json::value& jv, const log_event& e) {
  boost::json::object obj;
  obj.reserve(28);
  visit_fields([&](const char* key, const auto& field) { obj.emplace(key, boost::json::value_from(field)); }, e);
  jv = std::move(obj);
}

boost::system::result<log_event> tag_invoke(boost::json::try_value_to_tag<log_event>,
                                            const boost::json::value& jv) {
  const auto* obj = jv.if_object();
  if (!obj) return boost::json::make_error_code(boost::json::error::not_object);
  log_event e;
  boost::system::error_code ec;
  std::size_t seen = 0;
  visit_fields(
      [&](const char* key, auto& field) {
        if (ec) return;
        auto it = obj->find(key);
        if (it == obj->end()) {
          ec = boost::json::make_error_code(boost::json::error::size_mismatch);
          return;
        }
        ++seen;
        ec = read_exact(it->value(), field);
      },
      e);
  if (ec) return ec;
  if (seen != obj->size()) return boost::json::make_error_code(boost::json::error::size_mismatch);
  return e;
}

std::string to_wire(const log_event& e) { return boost::json::serialize(boost::json::value_from(e)); }

}  // namespace ipfs_telemetry
