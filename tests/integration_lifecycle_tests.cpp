// Schedule, notice, retirement and failure handling, end to end.
#include "support/integration.hpp"

#include <boost/test/unit_test.hpp>

#include <sys/stat.h>

#include <thread>

using namespace test_support;

namespace {
struct fixture {
  temp_dir dir;
  node n{dir.path()};
};
std::size_t occurrences(const std::string& hay, const std::string& needle) {
  std::size_t n = 0;
  for (auto p = hay.find(needle); p != std::string::npos; p = hay.find(needle, p + 1)) ++n;
  return n;
}
}  // namespace

BOOST_FIXTURE_TEST_SUITE(integration_lifecycle_tests, fixture)

BOOST_AUTO_TEST_CASE(notice_on_the_first_run_only) {
  collector_process collector(dir.path());
  n.point_at(collector.url());
  std::string first_uuid;
  {
    auto d = n.daemon();
    BOOST_REQUIRE(collector.wait_for_events(1));
    const auto log = d->log();
    BOOST_TEST(log.find("Anonymous telemetry will be enabled in 200ms") != std::string::npos);
    BOOST_TEST(log.find("First collection in 200ms, then every 24h0m0s") != std::string::npos);
    BOOST_TEST(log.find("Endpoint: " + collector.url()) != std::string::npos);
    BOOST_TEST(log.find("Anonymous ID: " + n.uuid()) != std::string::npos);
    BOOST_TEST(log.find("No data sent yet") != std::string::npos);
    BOOST_TEST(log.find("To opt-out before collection starts") != std::string::npos);
    BOOST_TEST(log.find("IPFS_TELEMETRY=off") != std::string::npos);
    BOOST_TEST(log.find("ipfs-stub config Plugins.Plugins.telemetry.Config.Mode off") != std::string::npos);
    BOOST_TEST(log.find("GOLOG_LOG_LEVEL=\"telemetry=debug\"") != std::string::npos);
    BOOST_TEST(log.find("This message is shown only once") != std::string::npos);
    BOOST_TEST(log.find("Learn more:") != std::string::npos);
    BOOST_TEST(occurrences(log, "Anonymous telemetry will be enabled") == 1u);
    BOOST_TEST(d->stop() == 0);
    first_uuid = n.uuid();
    struct stat st {};
    BOOST_REQUIRE(::stat(n.uuid_file().c_str(), &st) == 0);
    BOOST_TEST((st.st_mode & 0777) == 0600u);
  }
  auto d = n.daemon();
  BOOST_REQUIRE(collector.wait_for_events(2));
  BOOST_TEST(!d->log_has("Anonymous telemetry will be enabled"));
  BOOST_TEST(d->stop() == 0);
  BOOST_TEST(n.uuid() == first_uuid);
  const auto events = collector.events();
  BOOST_TEST(events[0].at("uuid").as_string() == first_uuid);
  BOOST_TEST(events[1].at("uuid").as_string() == first_uuid);
}

BOOST_AUTO_TEST_CASE(explicit_auto_shows_the_notice_at_every_start) {
  collector_process collector(dir.path());
  n.point_at(collector.url());
  n.set("Plugins.Plugins.telemetry.Config.Mode", "auto");
  for (int i = 1; i <= 2; ++i) {
    auto d = n.daemon();
    BOOST_REQUIRE(collector.wait_for_events(static_cast<std::size_t>(i)));
    BOOST_TEST(d->log_has("Anonymous telemetry will be enabled"));
    BOOST_TEST(d->stop() == 0);
  }
}

BOOST_AUTO_TEST_CASE(resends_every_interval) {
  collector_process collector(dir.path());
  n.point_at(collector.url(), "100ms");
  n.set("Plugins.Plugins.telemetry.Config.Interval", "1s");
  auto d = n.daemon();
  BOOST_REQUIRE(collector.wait_for_events(3, 15s));
  BOOST_TEST(d->stop() == 0);
  const auto events = collector.events();
  for (const auto& e : events) BOOST_TEST(e.at("uuid").as_string() == n.uuid());
}

BOOST_AUTO_TEST_CASE(gone_retires_the_node_until_the_endpoint_changes) {
  collector_process retiring(dir.path() / "", {"--retire"});
  n.point_at(retiring.url(), "100ms");
  n.set("Plugins.Plugins.telemetry.Config.Interval", "1s");
  {
    auto d = n.daemon();
    BOOST_REQUIRE(d->wait_log("answered 410 Gone"));
    BOOST_TEST(!std::filesystem::exists(n.uuid_file()));
    BOOST_TEST(read_text(n.repo() / "telemetry_retired") == retiring.url() + "\n");
    std::this_thread::sleep_for(1500ms);  // past an Interval: no further attempt
    BOOST_TEST(occurrences(d->log(), "answered 410 Gone") == 1u);
    BOOST_TEST(d->stop() == 0);
  }
  {
    auto d = n.daemon({}, {{"GOLOG_LOG_LEVEL", "telemetry=debug"}});
    BOOST_REQUIRE(d->wait_log("retired this node"));
    std::this_thread::sleep_for(500ms);
    BOOST_TEST(!d->log_has("telemetry: sending to"));
    BOOST_TEST(!std::filesystem::exists(n.uuid_file()));
    BOOST_TEST(d->stop() == 0);
  }
  auto status = n.cli({"telemetry", "status", "--json"});
  BOOST_TEST(status.out.find("\"retired\":true") != std::string::npos);

  // A new endpoint resumes reporting, with a new identity.
  std::filesystem::create_directories(dir.path() / "c2");
  collector_process fresh(dir.path() / "c2");
  n.set("Plugins.Plugins.telemetry.Config.Endpoint", fresh.url());
  auto d = n.daemon();
  BOOST_TEST(fresh.wait_for_events(1));
  BOOST_TEST(d->log_has("Anonymous telemetry will be enabled"));
  BOOST_TEST(d->stop() == 0);
}

BOOST_AUTO_TEST_CASE(collector_down_the_daemon_runs_on_and_stops_cleanly) {
  n.point_at("http://127.0.0.1:" + std::to_string(closed_port()) + "/", "100ms");
  n.set("Plugins.Plugins.telemetry.Config.Interval", "1s");
  auto d = n.daemon();
  BOOST_REQUIRE(d->wait_log("connect: Connection refused; retrying in"));
  BOOST_TEST(d->running());
  BOOST_TEST(d->stop() == 0);
  BOOST_TEST(std::filesystem::exists(n.uuid_file()));
}

BOOST_AUTO_TEST_CASE(sigterm_while_a_send_hangs_still_exits_promptly) {
  recording_server hanging(200, /*hang=*/true);
  n.point_at(hanging.url(), "100ms");
  auto d = n.daemon();
  BOOST_REQUIRE(wait_until([&] { return hanging.count() >= 1; }, 10s));
  // The send now waits on a server that never answers (its deadline is 30s).
  BOOST_TEST(d->stop(10s) == 0);
}

BOOST_AUTO_TEST_CASE(no_endpoint_and_no_build_default_sends_nothing_and_writes_no_uuid) {
  auto d = n.daemon();
  BOOST_REQUIRE(d->ready());
  BOOST_REQUIRE(d->wait_log("no endpoint configured"));
  BOOST_TEST(!std::filesystem::exists(n.uuid_file()));
  BOOST_TEST(d->stop() == 0);
}

BOOST_AUTO_TEST_CASE(offline_daemon_sends_nothing) {
  collector_process collector(dir.path());
  n.point_at(collector.url(), "100ms");
  auto d = n.daemon({"--offline"});
  BOOST_REQUIRE(d->wait_log("telemetry collection skipped: node is offline"));
  std::this_thread::sleep_for(1s);
  BOOST_TEST(collector.events().empty());
  BOOST_TEST(!std::filesystem::exists(n.uuid_file()));
  BOOST_TEST(d->stop() == 0);
}

BOOST_AUTO_TEST_CASE(bad_config_values_warn_naming_the_key_and_use_the_default) {
  collector_process collector(dir.path());
  n.point_at(collector.url(), "100ms");
  n.set("Plugins.Plugins.telemetry.Config.Interval", "daily");
  n.set_json("Plugins.Plugins.telemetry.Config.Delay", "5");
  auto d = n.daemon();
  BOOST_REQUIRE(d->ready());
  BOOST_TEST(d->log_has("Plugins.Plugins.telemetry.Config.Interval: invalid duration \"daily\""));
  BOOST_TEST(d->log_has("Plugins.Plugins.telemetry.Config.Delay: expected a Go duration string"));
  BOOST_TEST(d->wait_log("First collection in 15m0s, then every 24h0m0s"));
  BOOST_TEST(d->stop() == 0);
}

BOOST_AUTO_TEST_SUITE_END()
