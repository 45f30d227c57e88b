// Opt-out and mode precedence, end to end: the real daemon, the real plugin,
// the real collector on 127.0.0.1.
#include "support/integration.hpp"

#include <boost/test/unit_test.hpp>

#include <thread>

using namespace test_support;

namespace {

// Long enough past a 100ms Delay that a send, had it been scheduled, would have arrived.
void settle() { std::this_thread::sleep_for(1500ms); }

struct fixture {
  temp_dir dir;
  collector_process collector{dir.path()};
  node n{dir.path()};
  fixture() { n.point_at(collector.url(), "100ms"); }
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(integration_optout_tests, fixture)

BOOST_AUTO_TEST_CASE(opt_out_via_env_sends_nothing) {
  auto d = n.daemon({}, {{"IPFS_TELEMETRY", "off"}});
  BOOST_REQUIRE(d->ready());
  settle();
  BOOST_TEST(d->log_has("telemetry disabled via opt-out"));
  BOOST_TEST(d->log_has("telemetry collection skipped: opted out"));
  BOOST_TEST(collector.events().empty());
  BOOST_TEST(!std::filesystem::exists(n.uuid_file()));
  BOOST_TEST(d->stop() == 0);
}

BOOST_AUTO_TEST_CASE(opt_out_via_config_sends_nothing) {
  n.set("Plugins.Plugins.telemetry.Config.Mode", "off");
  auto d = n.daemon();
  BOOST_REQUIRE(d->ready());
  settle();
  BOOST_TEST(d->log_has("telemetry disabled via opt-out"));
  BOOST_TEST(collector.events().empty());
  BOOST_TEST(!std::filesystem::exists(n.uuid_file()));
  BOOST_TEST(d->stop() == 0);
}

BOOST_AUTO_TEST_CASE(opt_out_removes_an_existing_uuid) {
  {
    auto d = n.daemon();
    BOOST_REQUIRE(collector.wait_for_events(1));
    BOOST_TEST(d->stop() == 0);
  }
  BOOST_REQUIRE(std::filesystem::exists(n.uuid_file()));
  auto d = n.daemon({}, {{"IPFS_TELEMETRY", "off"}});
  BOOST_REQUIRE(d->ready());
  BOOST_TEST(d->log_has("removed existing telemetry UUID file due to opt-out"));
  BOOST_TEST(!std::filesystem::exists(n.uuid_file()));
  BOOST_TEST(d->stop() == 0);
}

BOOST_AUTO_TEST_CASE(env_beats_config) {
  n.set("Plugins.Plugins.telemetry.Config.Mode", "off");
  auto d = n.daemon({}, {{"IPFS_TELEMETRY", "on"}});
  BOOST_TEST(collector.wait_for_events(1));
  BOOST_TEST(!d->log_has("telemetry disabled via opt-out"));
  BOOST_TEST(d->stop() == 0);
}

BOOST_AUTO_TEST_CASE(do_not_track_opts_out_unless_ipfs_telemetry_says_on) {
  {
    auto d = n.daemon({}, {{"DO_NOT_TRACK", "1"}});
    BOOST_REQUIRE(d->ready());
    settle();
    BOOST_TEST(d->log_has("telemetry disabled via opt-out"));
    BOOST_TEST(collector.events().empty());
    BOOST_TEST(d->stop() == 0);
  }
  {
    auto d = n.daemon({}, {{"DO_NOT_TRACK", "1"}, {"IPFS_TELEMETRY", "on"}});
    BOOST_TEST(collector.wait_for_events(1));
    BOOST_TEST(d->stop() == 0);
  }
  {
    auto d = n.daemon({}, {{"DO_NOT_TRACK", "false"}});
    BOOST_TEST(collector.wait_for_events(2));
    BOOST_TEST(d->stop() == 0);
  }
}

BOOST_AUTO_TEST_CASE(unrecognized_mode_fails_closed_and_keeps_the_uuid) {
  {
    auto d = n.daemon();
    BOOST_REQUIRE(collector.wait_for_events(1));
    BOOST_TEST(d->stop() == 0);
  }
  const auto uuid = n.uuid();
  auto d = n.daemon({}, {{"IPFS_TELEMETRY", "of"}});
  BOOST_REQUIRE(d->ready());
  settle();
  BOOST_TEST(d->log_has("unrecognized telemetry mode \"of\" in IPFS_TELEMETRY"));
  BOOST_TEST(d->log_has("accepted values: \"on\", \"off\", \"auto\""));
  BOOST_TEST(collector.events().size() == 1u);
  BOOST_TEST(n.uuid() == uuid);  // an unrecognized value is not an opt-out: nothing is deleted
  BOOST_TEST(d->stop() == 0);
}

// Erasure: the plugin sends DELETE / {"uuid"} with the same transport as events.
BOOST_AUTO_TEST_CASE(telemetry_erase_asks_the_collector_to_erase_this_node_only) {
  {
    auto d = n.daemon();
    BOOST_REQUIRE(collector.wait_for_events(1));
    BOOST_TEST(d->stop() == 0);
  }
  const std::string other = test_uuid(42);
  BOOST_TEST(http_request(collector.port(), boost::beast::http::verb::post, "/", example_event(other)).status == 200u);
  BOOST_REQUIRE(collector.events().size() == 2u);

  auto r = n.cli({"telemetry", "erase"});
  BOOST_TEST(r.exit_code == 0, r.err);
  BOOST_TEST(r.out.find("asked " + collector.url() + " to erase every event of this node (HTTP 204)") !=
                 std::string::npos,
             r.out);
  auto left = collector.events();
  BOOST_REQUIRE(left.size() == 1u);
  BOOST_TEST(left[0].at("uuid").as_string() == other);
  BOOST_TEST(std::filesystem::exists(n.uuid_file()));  // erase alone keeps the identifier
  // The request is in the audit log like every send.
  auto sent = read_text(n.repo() / "telemetry_sent.jsonl");
  BOOST_TEST(sent.find("{\\\"uuid\\\":\\\"" + n.uuid() + "\\\"}") != std::string::npos, sent);
}

BOOST_AUTO_TEST_CASE(telemetry_off_erase_erases_then_opts_out) {
  {
    auto d = n.daemon();
    BOOST_REQUIRE(collector.wait_for_events(1));
    BOOST_TEST(d->stop() == 0);
  }
  auto r = n.cli({"telemetry", "off", "--erase"});
  BOOST_TEST(r.exit_code == 0, r.err);
  BOOST_TEST(collector.events().empty());
  BOOST_TEST(!std::filesystem::exists(n.uuid_file()));
  BOOST_TEST(n.cli({"config", "Plugins.Plugins.telemetry.Config.Mode"}).out == "off\n");
  auto d = n.daemon();
  BOOST_REQUIRE(d->ready());
  settle();
  BOOST_TEST(collector.events().empty());
  BOOST_TEST(!std::filesystem::exists(n.uuid_file()));
  BOOST_TEST(d->stop() == 0);
}

BOOST_AUTO_TEST_CASE(telemetry_off_without_erase_keeps_the_collectors_data) {
  {
    auto d = n.daemon();
    BOOST_REQUIRE(collector.wait_for_events(1));
    BOOST_TEST(d->stop() == 0);
  }
  auto r = n.cli({"telemetry", "off"});
  BOOST_TEST(r.exit_code == 0, r.err);
  BOOST_TEST(collector.events().size() == 1u);
  BOOST_TEST(!std::filesystem::exists(n.uuid_file()));
}

BOOST_AUTO_TEST_CASE(failed_erasure_changes_nothing) {
  {
    auto d = n.daemon();
    BOOST_REQUIRE(collector.wait_for_events(1));
    BOOST_TEST(d->stop() == 0);
  }
  n.set("Plugins.Plugins.telemetry.Config.Endpoint", "http://127.0.0.1:" + std::to_string(closed_port()) + "/");
  n.set("Plugins.Plugins.telemetry.Config.Timeout", "2s");
  auto r = n.cli({"telemetry", "off", "--erase"});
  BOOST_TEST(r.exit_code == 1);
  BOOST_TEST(r.err.find("erasure request to") != std::string::npos, r.err);
  BOOST_TEST(r.err.find("telemetry was left as it was") != std::string::npos, r.err);
  BOOST_TEST(std::filesystem::exists(n.uuid_file()));
  BOOST_TEST(n.cli({"config", "Plugins.Plugins.telemetry.Config.Mode"}).out != "off\n");
  BOOST_TEST(collector.events().size() == 1u);
}

BOOST_AUTO_TEST_CASE(erase_without_a_uuid_cannot_prove_ownership) {
  auto r = n.cli({"telemetry", "erase"});
  BOOST_TEST(r.exit_code == 1, r.err);  // never "done": a collector may hold events under an earlier UUID
  BOOST_TEST(r.err.find("cannot prove") != std::string::npos, r.err);
  BOOST_TEST(r.out.empty(), r.out);
  // But an opt-out with --erase does not get stuck on it: nothing identifies the node any more.
  r = n.cli({"telemetry", "off", "--erase"});
  BOOST_TEST(r.exit_code == 0, r.err);
  BOOST_TEST(r.err.find("nothing to erase") != std::string::npos, r.err);
  BOOST_TEST(n.cli({"config", "Plugins.Plugins.telemetry.Config.Mode"}).out == "off\n");
}

BOOST_AUTO_TEST_SUITE_END()
