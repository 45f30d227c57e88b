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

BOOST_AUTO_TEST_SUITE_END()
