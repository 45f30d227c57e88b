#include "collect.hpp"

#include "addresses.hpp"
#include "buckets.hpp"
#include "ipfs_common/json_path.hpp"

namespace ipfs_telemetry {
namespace {

// Typed reads of the node config. A missing, null or wrongly typed value takes
// the default (Kubo would have refused such a config at load; we do not stop
// the node over telemetry).
class config_view {
 public:
  explicit config_view(const boost::json::value& cfg) : cfg_(cfg) {}

  const boost::json::value* get(std::string_view key) const {
    const auto* v = ipfs_common::find_path(cfg_, key);
    return v && !v->is_null() ? v : nullptr;
  }
  bool is_set(std::string_view key) const { return get(key) != nullptr; }
  bool flag(std::string_view key, bool def) const {
    const auto* v = get(key);
    return v && v->is_bool() ? v->get_bool() : def;
  }
  std::string text(std::string_view key, std::string_view def) const {
    const auto* v = get(key);
    return v && v->is_string() ? std::string(v->get_string()) : std::string(def);
  }

 private:
  const boost::json::value& cfg_;
};

std::string autonat_mode(const config_view& cfg) {
  const std::string m = cfg.text("AutoNAT.ServiceMode", "");
  if (m == "disabled" || m == "legacy-v1") return m;
  return "enabled";  // unset, "enabled", or a value Kubo itself would not accept
}

std::string reachability(const std::string& r) {
  if (r == "Public" || r == "Private") return r;
  return "Unknown";
}

}  // namespace

log_event collect_event(const node_facts& facts, const platform_info& platform, const std::string& uuid,
                        std::chrono::nanoseconds uptime) {
  const config_view cfg(facts.config);
  log_event e;
  e.uuid = uuid;
  e.agent_version = facts.agent_version;
  e.private_network = facts.private_network;

  const auto* boot = cfg.get("Bootstrap");
  const auto* boot_arr = boot ? boot->if_array() : nullptr;
  e.bootstrappers_custom = !(boot_arr && boot_arr->size() == 1 && (*boot_arr)[0].is_string() &&
                             (*boot_arr)[0].get_string() == "auto");

  e.repo_size_bucket = repo_size_bucket(facts.repo_size);
  e.uptime_bucket = uptime_bucket(uptime);

  e.reprovider_strategy = cfg.text("Provide.Strategy", "all");
  e.provide_dht_sweep_enabled = cfg.flag("Provide.DHT.SweepEnabled", true);
  e.provide_dht_interval_custom = cfg.is_set("Provide.DHT.Interval");
  e.provide_dht_max_workers_custom = cfg.is_set("Provide.DHT.MaxWorkers");

  e.routing_type = cfg.text("Routing.Type", "auto");
  e.routing_accelerated_dht_client = cfg.flag("Routing.AcceleratedDHTClient", false);
  const auto* routers = cfg.get("Routing.DelegatedRouters");
  e.routing_delegated_count =
      routers && routers->is_array() ? static_cast<std::int64_t>(routers->get_array().size()) : 0;

  e.autonat_service_mode = autonat_mode(cfg);
  e.autonat_reachability = reachability(facts.reachability);

  e.autoconf = cfg.flag("AutoConf.Enabled", true);
  const auto* autoconf_url = cfg.get("AutoConf.URL");
  e.autoconf_custom = autoconf_url && !(autoconf_url->is_string() && autoconf_url->get_string() == k_default_autoconf_url);

  e.swarm_enable_hole_punching = cfg.flag("Swarm.EnableHolePunching", true);
  const auto flags = classify_addresses(facts.addresses);
  e.swarm_circuit_addresses = flags.circuit;
  e.swarm_ipv4_public_addresses = flags.public_ipv4;
  e.swarm_ipv6_public_addresses = flags.public_ipv6;

  e.auto_tls_auto_wss = cfg.flag("AutoTLS.AutoWSS", true);
  const auto* suffix = cfg.get("AutoTLS.DomainSuffix");
  e.auto_tls_domain_suffix_custom =
      suffix && !(suffix->is_string() && suffix->get_string() == k_default_domain_suffix);

  e.discovery_mdns_enabled = cfg.flag("Discovery.MDNS.Enabled", false);

  e.platform_os = platform.os;
  e.platform_arch = platform.arch;
  e.platform_containerized = platform.containerized;
  e.platform_vm = platform.vm;
  return e;
}

}  // namespace ipfs_telemetry
