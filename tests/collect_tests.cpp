#include "collect.hpp"

#include <boost/json/parse.hpp>
#include <boost/test/unit_test.hpp>

using namespace ipfs_telemetry;
using namespace std::chrono_literals;

namespace {

// The parts of `ipfs-stub init`'s config that telemetry reads.
constexpr const char* k_init_config = R"({
  "Addresses": {"Swarm": ["/ip4/0.0.0.0/tcp/4001", "/ip6/::/tcp/4001"], "Announce": [], "AppendAnnounce": [], "NoAnnounce": []},
  "AutoConf": {}, "AutoNAT": {}, "AutoTLS": {}, "Bootstrap": ["auto"],
  "Discovery": {"MDNS": {"Enabled": true}}, "Plugins": {"Plugins": null}, "Provide": {"DHT": {}},
  "Routing": {"DelegatedRouters": ["auto"]}, "Swarm": {}
})";

node_facts facts_with(const char* config) {
  node_facts f;
  f.agent_version = "ipfs-stub/0.1.0/";
  f.daemon = f.online = true;
  f.addresses = {"/ip4/0.0.0.0/tcp/4001"};
  f.config = boost::json::parse(config);
  return f;
}

const platform_info k_platform{"linux", "amd64", false, false};

}  // namespace

BOOST_AUTO_TEST_SUITE(collect_tests)

BOOST_AUTO_TEST_CASE(fresh_init_config_gives_kubo_defaults) {
  auto e = collect_event(facts_with(k_init_config), k_platform, "u", 5min);
  BOOST_TEST(e.uuid == "u");
  BOOST_TEST(e.agent_version == "ipfs-stub/0.1.0/");
  BOOST_TEST(!e.private_network);
  BOOST_TEST(!e.bootstrappers_custom);
  BOOST_TEST(e.repo_size_bucket == 1ULL << 30);
  BOOST_TEST(e.uptime_bucket == 86400000000000LL);
  BOOST_TEST(e.reprovider_strategy == "all");
  BOOST_TEST(e.provide_dht_sweep_enabled);
  BOOST_TEST(!e.provide_dht_interval_custom);
  BOOST_TEST(!e.provide_dht_max_workers_custom);
  BOOST_TEST(e.routing_type == "auto");
  BOOST_TEST(!e.routing_accelerated_dht_client);
  BOOST_TEST(e.routing_delegated_count == 1);
  BOOST_TEST(e.autonat_service_mode == "enabled");
  BOOST_TEST(e.autonat_reachability == "Unknown");
  BOOST_TEST(e.autoconf);
  BOOST_TEST(!e.autoconf_custom);
  BOOST_TEST(e.swarm_enable_hole_punching);
  BOOST_TEST(!e.swarm_circuit_addresses);
  BOOST_TEST(!e.swarm_ipv4_public_addresses);
  BOOST_TEST(!e.swarm_ipv6_public_addresses);
  BOOST_TEST(e.auto_tls_auto_wss);
  BOOST_TEST(!e.auto_tls_domain_suffix_custom);
  BOOST_TEST(e.discovery_mdns_enabled);
  BOOST_TEST(e.platform_os == "linux");
  BOOST_TEST(e.platform_arch == "amd64");
}

BOOST_AUTO_TEST_CASE(non_default_config_is_reflected_in_every_flag) {
  auto f = facts_with(R"({
    "Bootstrap": ["/dnsaddr/my.boot/p2p/Qm"],
    "Provide": {"Strategy": "pinned", "DHT": {"SweepEnabled": false, "Interval": "12h", "MaxWorkers": 4}},
    "Routing": {"Type": "dhtclient", "AcceleratedDHTClient": true, "DelegatedRouters": ["https://a", "https://b", "https://c"]},
    "AutoNAT": {"ServiceMode": "disabled"},
    "AutoConf": {"Enabled": false, "URL": "https://conf.example/autoconf.json"},
    "Swarm": {"EnableHolePunching": false},
    "AutoTLS": {"AutoWSS": false, "DomainSuffix": "example.net"},
    "Discovery": {"MDNS": {"Enabled": false}}
  })");
  f.private_network = true;
  f.repo_size = 2ULL << 30;
  f.reachability = "Private";
  f.addresses = {"/ip4/8.8.8.8/tcp/4001", "/ip6/2001:4860::1/tcp/4001", "/ip4/10.0.0.1/tcp/1/p2p/Qm/p2p-circuit"};
  auto e = collect_event(f, platform_info{"linux", "arm64", true, true}, "u", 100h);
  BOOST_TEST(e.private_network);
  BOOST_TEST(e.bootstrappers_custom);
  BOOST_TEST(e.repo_size_bucket == 5ULL << 30);
  BOOST_TEST(e.uptime_bucket == 7 * 86400000000000LL);  // 100h is past 3 days
  BOOST_TEST(e.reprovider_strategy == "pinned");
  BOOST_TEST(!e.provide_dht_sweep_enabled);
  BOOST_TEST(e.provide_dht_interval_custom);
  BOOST_TEST(e.provide_dht_max_workers_custom);
  BOOST_TEST(e.routing_type == "dhtclient");
  BOOST_TEST(e.routing_accelerated_dht_client);
  BOOST_TEST(e.routing_delegated_count == 3);
  BOOST_TEST(e.autonat_service_mode == "disabled");
  BOOST_TEST(e.autonat_reachability == "Private");
  BOOST_TEST(!e.autoconf);
  BOOST_TEST(e.autoconf_custom);
  BOOST_TEST(!e.swarm_enable_hole_punching);
  BOOST_TEST(e.swarm_circuit_addresses);
  BOOST_TEST(e.swarm_ipv4_public_addresses);
  BOOST_TEST(e.swarm_ipv6_public_addresses);
  BOOST_TEST(!e.auto_tls_auto_wss);
  BOOST_TEST(e.auto_tls_domain_suffix_custom);
  BOOST_TEST(!e.discovery_mdns_enabled);
  BOOST_TEST(e.platform_arch == "arm64");
  BOOST_TEST(e.platform_containerized);
  BOOST_TEST(e.platform_vm);
}

BOOST_AUTO_TEST_CASE(bootstrap_is_custom_unless_exactly_auto) {
  BOOST_TEST(!collect_event(facts_with(R"({"Bootstrap":["auto"]})"), k_platform, "u", 0s).bootstrappers_custom);
  BOOST_TEST(collect_event(facts_with(R"({"Bootstrap":[]})"), k_platform, "u", 0s).bootstrappers_custom);
  BOOST_TEST(collect_event(facts_with(R"({"Bootstrap":["auto","/ip4/1.2.3.4"]})"), k_platform, "u", 0s).bootstrappers_custom);
  BOOST_TEST(collect_event(facts_with(R"({})"), k_platform, "u", 0s).bootstrappers_custom);
}

BOOST_AUTO_TEST_CASE(default_urls_set_explicitly_are_not_custom) {
  auto e = collect_event(
      facts_with(R"({"AutoConf":{"URL":"https://conf.ipfs-mainnet.org/autoconf.json"},"AutoTLS":{"DomainSuffix":"libp2p.direct"}})"),
      k_platform, "u", 0s);
  BOOST_TEST(!e.autoconf_custom);
  BOOST_TEST(!e.auto_tls_domain_suffix_custom);
}

BOOST_AUTO_TEST_CASE(wrongly_typed_config_values_take_the_defaults) {
  auto e = collect_event(facts_with(R"({"Routing":{"Type":7,"AcceleratedDHTClient":"yes","DelegatedRouters":"auto"},
                                        "Provide":{"DHT":{"SweepEnabled":"no"}},"AutoNAT":{"ServiceMode":"bogus"}})"),
                         k_platform, "u", 0s);
  BOOST_TEST(e.routing_type == "auto");
  BOOST_TEST(!e.routing_accelerated_dht_client);
  BOOST_TEST(e.routing_delegated_count == 0);
  BOOST_TEST(e.provide_dht_sweep_enabled);
  BOOST_TEST(e.autonat_service_mode == "enabled");
}

BOOST_AUTO_TEST_CASE(reachability_outside_the_three_values_is_unknown) {
  auto f = facts_with("{}");
  f.reachability = "Sideways";
  BOOST_TEST(collect_event(f, k_platform, "u", 0s).autonat_reachability == "Unknown");
  f.reachability = "Public";
  BOOST_TEST(collect_event(f, k_platform, "u", 0s).autonat_reachability == "Public");
}

BOOST_AUTO_TEST_SUITE_END()
