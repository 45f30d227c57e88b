// The payload as it arrives at the real collector, and the HTTP request that
// carries it.
#include "kubo_example.hpp"
#include "log_event.hpp"
#include "support/integration.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/value_to.hpp>
#include <boost/test/unit_test.hpp>

#include <unistd.h>

using namespace test_support;
namespace http = boost::beast::http;

namespace {
struct fixture {
  temp_dir dir;
  collector_process collector{dir.path()};
  node n{dir.path()};
  fixture() { n.point_at(collector.url(), "200ms"); }

  boost::json::object first_event(std::vector<std::string> daemon_args = {}, env_changes env = {}) {
    auto d = n.daemon(std::move(daemon_args), std::move(env));
    BOOST_REQUIRE(collector.wait_for_events(1));
    BOOST_TEST(d->stop() == 0);
    return collector.events().front().as_object();
  }
};
}  // namespace

BOOST_FIXTURE_TEST_SUITE(integration_payload_tests, fixture)

BOOST_AUTO_TEST_CASE(the_exact_28_keys_arrive_soon_after_delay) {
  auto e = first_event();
  BOOST_TEST(e.size() == 28u);
  for (const auto& [key, kind] : k_log_event_keys) {
    BOOST_TEST_CONTEXT(key) {
      BOOST_REQUIRE(e.contains(key));
      const auto& v = e.at(key);
      if (kind == 's') BOOST_TEST(v.is_string());
      if (kind == 'b') BOOST_TEST(v.is_bool());
      if (kind == 'i') BOOST_TEST((v.is_int64() || v.is_uint64()));
    }
  }
  // Decodes strictly into the same struct Kubo's Go LogEvent mirrors.
  auto decoded = boost::json::try_value_to<ipfs_telemetry::log_event>(boost::json::value(e));
  BOOST_REQUIRE(decoded.has_value());
  BOOST_TEST(decoded->uuid == n.uuid());
  BOOST_TEST(decoded->agent_version == "ipfs-stub/" IPFS_STUB_VERSION "/");
  // A fresh init: Kubo's defaults.
  BOOST_TEST(!decoded->bootstrappers_custom);
  BOOST_TEST(!decoded->private_network);
  BOOST_TEST(decoded->repo_size_bucket == 1ULL << 30);
  BOOST_TEST(decoded->uptime_bucket == 86400000000000LL);
  BOOST_TEST(decoded->routing_type == "auto");
  BOOST_TEST(decoded->routing_delegated_count == 1);
  BOOST_TEST(decoded->reprovider_strategy == "all");
  BOOST_TEST(decoded->autonat_service_mode == "enabled");
  BOOST_TEST(decoded->autonat_reachability == "Unknown");
  BOOST_TEST(decoded->discovery_mdns_enabled);
  BOOST_TEST(!decoded->swarm_ipv4_public_addresses);
  BOOST_TEST(!decoded->swarm_ipv6_public_addresses);
  BOOST_TEST(!decoded->swarm_circuit_addresses);
  BOOST_TEST(decoded->platform_os == "linux");
}

BOOST_AUTO_TEST_CASE(values_follow_non_default_config_and_node_state) {
  n.set_json("Bootstrap", R"(["/dnsaddr/boot.example/p2p/QmBoot"])");
  n.set_json("Addresses.Announce", R"(["/ip4/8.8.8.8/tcp/4001","/ip6/2001:4860:4860::8888/udp/4001/quic-v1"])");
  n.set_json("Addresses.AppendAnnounce", R"(["/ip4/10.1.2.3/tcp/4001/p2p/QmRelay/p2p-circuit"])");
  n.set("Routing.Type", "dhtclient");
  n.set_json("Routing.AcceleratedDHTClient", "true");
  n.set_json("Routing.DelegatedRouters", R"(["https://a.example","https://b.example"])");
  n.set("Provide.Strategy", "pinned");
  n.set_json("Provide.DHT.SweepEnabled", "false");
  n.set("AutoNAT.ServiceMode", "disabled");
  n.set_json("Swarm.EnableHolePunching", "false");
  n.set("AutoTLS.DomainSuffix", "example.net");
  n.set("AutoConf.URL", "https://conf.example/autoconf.json");
  n.set_json("Discovery.MDNS.Enabled", "false");
  write_text(n.repo() / "swarm.key", "/key/swarm/psk/1.0.0/\n/base16/\n" + std::string(64, 'a') + "\n");
  // A large repo: a sparse file with an apparent size of 2 GiB + 1 byte.
  write_text(n.repo() / "big", "");
  BOOST_REQUIRE(::truncate((n.repo() / "big").c_str(), (2LL << 30) + 1) == 0);

  auto e = first_event({"--reachability", "Public"});
  BOOST_TEST(e.at("bootstrappers_custom").as_bool());
  BOOST_TEST(e.at("private_network").as_bool());
  BOOST_TEST(e.at("repo_size_bucket").to_number<std::uint64_t>() == 5ULL << 30);
  BOOST_TEST(e.at("swarm_ipv4_public_addresses").as_bool());
  BOOST_TEST(e.at("swarm_ipv6_public_addresses").as_bool());
  BOOST_TEST(e.at("swarm_circuit_addresses").as_bool());
  BOOST_TEST(e.at("routing_type").as_string() == "dhtclient");
  BOOST_TEST(e.at("routing_accelerated_dht_client").as_bool());
  BOOST_TEST(e.at("routing_delegated_count").to_number<int>() == 2);
  BOOST_TEST(e.at("reprovider_strategy").as_string() == "pinned");
  BOOST_TEST(!e.at("provide_dht_sweep_enabled").as_bool());
  BOOST_TEST(e.at("autonat_service_mode").as_string() == "disabled");
  BOOST_TEST(e.at("autonat_reachability").as_string() == "Public");
  BOOST_TEST(!e.at("swarm_enable_hole_punching").as_bool());
  BOOST_TEST(e.at("auto_tls_domain_suffix_custom").as_bool());
  BOOST_TEST(e.at("autoconf_custom").as_bool());
  BOOST_TEST(!e.at("discovery_mdns_enabled").as_bool());
}

BOOST_AUTO_TEST_CASE(forced_private_network_by_env) {
  auto e = first_event({}, {{"LIBP2P_FORCE_PNET", "1"}});
  BOOST_TEST(e.at("private_network").as_bool());
}

BOOST_AUTO_TEST_CASE(the_request_on_the_wire) {
  recording_server server(200);
  n.set("Plugins.Plugins.telemetry.Config.Endpoint", server.url() + "ingest?v=1");
  auto d = n.daemon();
  BOOST_REQUIRE(wait_until([&] { return server.count() >= 1; }, 10s));
  BOOST_REQUIRE(d->wait_log("telemetry sent to"));
  BOOST_TEST(d->stop() == 0);
  const auto req = server.requests().front();
  BOOST_TEST(req.method() == http::verb::post);
  BOOST_TEST(req.target() == "/ingest?v=1");
  BOOST_TEST(req[http::field::content_type] == "application/json");
  BOOST_TEST(req[http::field::user_agent] == "ipfs-stub/" IPFS_STUB_VERSION "/");
  BOOST_TEST(req[http::field::connection] == "close");
  BOOST_TEST(boost::json::parse(req.body()).as_object().size() == 28u);
  // Nothing beyond the documented headers.
  std::size_t fields = 0;
  for ([[maybe_unused]] const auto& f : req) ++fields;
  BOOST_TEST(fields == 5u);  // Host, User-Agent, Content-Type, Connection, Content-Length
}

BOOST_AUTO_TEST_CASE(debug_log_shows_the_payload_and_default_level_hides_it) {
  {
    auto d = n.daemon({}, {{"GOLOG_LOG_LEVEL", "telemetry=debug"}});
    BOOST_REQUIRE(collector.wait_for_events(1));
    BOOST_REQUIRE(d->wait_log("telemetry: sending to"));
    BOOST_TEST(d->log_has("\"uuid\":\"" + n.uuid() + "\""));
    BOOST_TEST(d->stop() == 0);
  }
  {
    auto d = n.daemon({}, {{"GOLOG_LOG_LEVEL", "error"}});
    BOOST_REQUIRE(collector.wait_for_events(2));
    BOOST_TEST(d->stop() == 0);
    BOOST_TEST(d->log().empty());
  }
}

BOOST_AUTO_TEST_SUITE_END()
