// The dashboard in a real browser: Debian's Chromium, headless, against a
// collector serving a seeded database. The page must load, draw every chart
// from /v1/stats, and log nothing to the console. A screenshot is kept in the
// build tree (tests/dashboard.png) for people to look at.
#include "support/integration.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/test/unit_test.hpp>

#include <fstream>
#include <random>
#include <regex>

using namespace test_support;
namespace json = boost::json;

namespace {

const char* k_chromium = "/usr/bin/chromium";

std::string date_days_ago(int days) { return utc_date(std::chrono::system_clock::now() - std::chrono::days(days)); }

// 14 days of a growing fleet with a spread of versions, platforms and buckets.
void seed(const std::filesystem::path& db, const std::filesystem::path& dir) {
  std::mt19937 rng(7);
  auto pick = [&](std::initializer_list<json::value> v) { return *(v.begin() + rng() % v.size()); };
  std::ofstream out(dir / "seed.ndjson");
  for (int d = 0; d < 14; ++d) {
    for (int n = 0; n < 20 + 3 * d; ++n) {
      auto e = json::parse(example_event(test_uuid(static_cast<unsigned>(n)))).as_object();
      e["agent_version"] = pick({"kubo/0.42.1/", "kubo/0.43.0/", "kubo/0.44.0-rc1/"});
      e["platform_os"] = pick({"linux", "linux", "darwin", "windows"});
      e["platform_arch"] = pick({"amd64", "arm64"});
      e["routing_type"] = pick({"auto", "dht", "autoclient"});
      e["repo_size_bucket"] = pick({1073741824LL, 5368709120LL, 10737418240LL});
      e["uptime_bucket"] = pick({86400000000000LL, 172800000000000LL, 2678400000000000LL});
      e["platform_containerized"] = rng() % 3 == 0;
      char at[32];
      std::snprintf(at, sizeof at, "T%02d:00:00Z", n % 24);
      out << json::serialize(json::object{{"received_at", date_days_ago(13 - d) + at}, {"event", e}}) << "\n";
    }
  }
  out.close();
  auto r = run({COLLECTOR_BIN, "import", "--db", db.string(), (dir / "seed.ndjson").string()});
  BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.err);
  r = run({COLLECTOR_BIN, "cleanup", "--db", db.string()});
  BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.err);
}

std::vector<std::string> chromium_args(const std::filesystem::path& profile) {
  return {k_chromium, "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
          "--no-first-run", "--user-data-dir=" + profile.string(), "--enable-logging=stderr", "--v=0",
          "--virtual-time-budget=15000"};
}

// Console messages Chromium logged (any level): "...:CONSOLE..." lines.
std::vector<std::string> console_lines(const std::string& err) {
  std::vector<std::string> out;
  std::istringstream in(err);
  for (std::string line; std::getline(in, line);)
    if (line.find(":CONSOLE") != std::string::npos) out.push_back(line);
  return out;
}

std::size_t count(const std::string& text, const std::string& needle) {
  std::size_t n = 0;
  for (auto pos = text.find(needle); pos != std::string::npos; pos = text.find(needle, pos + 1)) ++n;
  return n;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(integration_dashboard_tests)

// The console check can fail: a page that logs an error is caught.
BOOST_AUTO_TEST_CASE(console_errors_are_detected) {
  BOOST_REQUIRE_MESSAGE(std::filesystem::exists(k_chromium), "Debian's chromium is needed (scripts/install-deps.sh)");
  temp_dir dir;
  auto args = chromium_args(dir.path() / "profile");
  args.insert(args.end(), {"--dump-dom", "data:text/html,<script>console.error('boom');missing()</script>"});
  auto r = run(args, {}, 60s);
  BOOST_TEST(r.exit_code == 0, r.err);
  BOOST_TEST(console_lines(r.err).size() == 2u, r.err);
}

BOOST_AUTO_TEST_CASE(dashboard_renders_every_chart_without_console_errors) {
  BOOST_REQUIRE_MESSAGE(std::filesystem::exists(k_chromium), "Debian's chromium is needed (scripts/install-deps.sh)");
  temp_dir dir;
  const auto db = dir.path() / "collector.db";
  seed(db, dir.path());
  collector_process c(dir.path());
  const std::string url = "http://127.0.0.1:" + std::to_string(c.port()) + "/";

  auto args = chromium_args(dir.path() / "profile");
  args.insert(args.end(), {"--dump-dom", url});
  auto r = run(args, {}, 90s);
  BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.err);
  const std::string& dom = r.out;
  BOOST_TEST(dom.find("data-state=\"ready\"") != std::string::npos, dom.substr(0, 2000));
  BOOST_TEST(count(dom, "data-rendered=\"chart\"") == 8u);  // every chart drew data
  BOOST_TEST(count(dom, "data-rendered=\"empty\"") == 0u);
  BOOST_TEST(count(dom, "class=\"bar\"") >= 14u + 14u + 10u);  // two 14-day charts and the distributions
  BOOST_TEST(dom.find("14 day(s) with data; 59 node(s) active on " + date_days_ago(0)) != std::string::npos);
  BOOST_TEST(dom.find("kubo/0.44.0-rc1/") != std::string::npos);  // the versions legend
  BOOST_TEST(console_lines(r.err).empty(), r.err);

  // A picture for humans, kept next to the test binary's outputs.
  const auto shot = std::filesystem::current_path() / "dashboard.png";
  std::filesystem::remove(shot);
  auto shot_args = chromium_args(dir.path() / "profile");
  shot_args.insert(shot_args.end(), {"--window-size=1280,1700", "--screenshot=" + shot.string(), url});
  auto s = run(shot_args, {}, 90s);
  BOOST_TEST(s.exit_code == 0, s.err);
  BOOST_REQUIRE(std::filesystem::exists(shot));
  BOOST_TEST(std::filesystem::file_size(shot) > 20'000u);  // a rendered page, not a blank one
  BOOST_TEST_MESSAGE("dashboard screenshot: " << shot.string());
}

// Flags come from the schema's types: a string field whose every value is
// "true" (or "false") is not a feature flag.
BOOST_AUTO_TEST_CASE(a_string_field_reading_true_is_not_shown_as_a_flag) {
  BOOST_REQUIRE_MESSAGE(std::filesystem::exists(k_chromium), "Debian's chromium is needed (scripts/install-deps.sh)");
  temp_dir dir;
  {
    std::ofstream out(dir.path() / "seed.ndjson");
    for (unsigned n = 0; n < 5; ++n) {
      auto e = json::parse(example_event(test_uuid(n))).as_object();
      e["reprovider_strategy"] = "true";
      e["routing_type"] = n % 2 ? "true" : "false";
      out << json::serialize(json::object{{"received_at", date_days_ago(0) + "T00:00:00Z"}, {"event", e}}) << "\n";
    }
  }
  const auto db = dir.path() / "collector.db";
  BOOST_REQUIRE(run({COLLECTOR_BIN, "import", "--db", db.string(), (dir.path() / "seed.ndjson").string()}).exit_code == 0);
  BOOST_REQUIRE(run({COLLECTOR_BIN, "cleanup", "--db", db.string()}).exit_code == 0);
  collector_process c(dir.path());
  auto args = chromium_args(dir.path() / "profile");
  args.insert(args.end(), {"--dump-dom", "http://127.0.0.1:" + std::to_string(c.port()) + "/"});
  auto r = run(args, {}, 90s);
  BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.err);
  const std::string& dom = r.out;
  BOOST_TEST(dom.find("data-state=\"ready\"") != std::string::npos, dom.substr(0, 2000));
  BOOST_TEST(dom.find("platform_vm: 0 of 5 nodes") != std::string::npos);      // a boolean field: a flag
  BOOST_TEST(dom.find("reprovider_strategy: ") == std::string::npos, dom);      // strings: never flags
  BOOST_TEST(dom.find("<title>routing_type: ") == std::string::npos);
  BOOST_TEST(console_lines(r.err).empty(), r.err);
}

BOOST_AUTO_TEST_CASE(private_stats_dashboard_asks_for_the_token) {
  BOOST_REQUIRE_MESSAGE(std::filesystem::exists(k_chromium), "Debian's chromium is needed (scripts/install-deps.sh)");
  temp_dir dir;
  const auto token = dir.path() / "token";
  std::ofstream(token) << "an-admin-token-of-32-characters!\n";
  std::filesystem::permissions(token, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  collector_process c(dir.path(), {"--admin-token-file", token.string(), "--private-stats"});
  auto args = chromium_args(dir.path() / "profile");
  args.insert(args.end(), {"--dump-dom", "http://127.0.0.1:" + std::to_string(c.port()) + "/"});
  auto r = run(args, {}, 90s);
  BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.err);
  BOOST_TEST(r.out.find("data-state=\"locked\"") != std::string::npos);
  BOOST_TEST(r.out.find("<form id=\"login\">") != std::string::npos);  // no longer hidden
  // The 401 is an expected answer, but Chromium reports failed loads on the console; only that one may appear.
  for (const auto& line : console_lines(r.err))
    BOOST_TEST(line.find("401") != std::string::npos, line);
}

BOOST_AUTO_TEST_SUITE_END()
