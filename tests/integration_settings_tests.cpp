// The collector's two settings (Enable Telemetry, Storage Duration) end to
// end, on each engine: the real binary, its HTTP API and its CLI on one
// database, the way an operator uses them.
#include "support/integration.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/test/data/monomorphic.hpp>
#include <boost/test/data/test_case.hpp>
#include <boost/test/unit_test.hpp>

#include <fstream>
#include <sstream>

using namespace test_support;
namespace http = boost::beast::http;
namespace json = boost::json;
namespace data = boost::unit_test::data;

namespace {

const std::string& k_token = k_admin_token;

std::string line_at(const std::string& date, unsigned node) {
  return R"({"received_at":")" + date + R"(T12:00:00.000Z","event":)" + example_event(test_uuid(node)) + "}\n";
}

json::object settings_of(const collector_process& c, const std::string& bearer = {}) {
  const auto r = http_request(c.port(), http::verb::get, "/v1/settings", {}, bearer);
  BOOST_REQUIRE_MESSAGE(r.status == 200u, r.body);
  return json::parse(r.body).as_object();
}

std::size_t lines_in(const std::string& text) { return static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n')); }

}  // namespace

BOOST_AUTO_TEST_SUITE(integration_settings_tests)

BOOST_DATA_TEST_CASE(a_new_collector_stores_nothing_until_collection_is_turned_on, data::make(k_engines), engine) {
  temp_dir dir;
  const auto db = fresh_db(engine, dir.path());
  collector_process c(dir.path(), {"--db", db}, false);
  // The log says the settings in effect and exactly how to turn collection on.
  BOOST_TEST(c.log().find("collection off") != std::string::npos, c.log());
  BOOST_TEST(c.log().find("settings --db") != std::string::npos, c.log());
  BOOST_TEST(c.log().find("--collection on") != std::string::npos, c.log());
  BOOST_TEST(settings_of(c).at("collection").as_string() == "off");
  BOOST_TEST(settings_of(c).at("retention_days").as_int64() == 90);
  BOOST_TEST(metric_line(c, "telemetry_collector_collection_on") == "telemetry_collector_collection_on 0");

  const std::string event = example_event(test_uuid(77));
  // The pass at start logs a line of its own: counted before the POST.
  BOOST_REQUIRE(wait_until([&] { return c.log().find("retention pass") != std::string::npos; }, 10s));
  const std::size_t log_lines = lines_in(c.log());
  const auto rejected_block = [&] {
    const auto body = http_request(c.port(), http::verb::get, "/metrics").body;
    std::string out;
    std::istringstream in(body);
    for (std::string l; std::getline(in, l);)
      if (l.starts_with("telemetry_requests_rejected_total")) out += l + "\n";
    return out;
  };
  const auto rejected_before = rejected_block();
  const auto answer = raw_exchange(c.port(), "POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                                             "Content-Length: " + std::to_string(event.size()) + "\r\n\r\n" + event);
  BOOST_TEST(answer.rfind("HTTP/1.1 503", 0) == 0u, answer);
  BOOST_TEST(answer.find("Retry-After: 86400\r\n") != std::string::npos, answer);
  BOOST_TEST(answer.find("collection is off") != std::string::npos, answer);
  // Nothing of it kept or logged.
  BOOST_TEST(stored_text(db).find(test_uuid(77)) == std::string::npos);
  BOOST_TEST(lines_in(c.log()) == log_lines, c.log());
  // An oversized one too: refused before its size is looked at.
  const std::string big(100 * 1024, ' ');
  const auto big_answer = raw_exchange(c.port(), "POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: " +
                                                     std::to_string(big.size()) + "\r\n\r\n" + big);
  BOOST_TEST(big_answer.rfind("HTTP/1.1 503", 0) == 0u, big_answer.substr(0, 200));
  BOOST_TEST(rejected_block() == rejected_before);
  BOOST_TEST(rejected_before.find("reason=\"too_large\"} 0") != std::string::npos, rejected_before);
  // Erasure, stats and the dashboard work whatever the setting.
  BOOST_TEST(http_request(c.port(), http::verb::delete_, "/", R"({"uuid":")" + test_uuid(77) + R"("})").status == 204u);
  BOOST_TEST(http_request(c.port(), http::verb::get, "/v1/stats").status == 200u);
  BOOST_TEST(http_request(c.port(), http::verb::get, "/").status == 200u);

  // Turned on from the CLI, beside the running collector: it follows within 5 s.
  const auto r = run({COLLECTOR_BIN, "settings", "--db", db, "--collection", "on"}, {}, 30s);
  BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.err);
  const auto printed = json::parse(r.out).as_object();
  BOOST_TEST(printed.at("collection").as_string() == "on");
  BOOST_TEST(printed.at("history").as_array().at(0).at("via").as_string() == "command line");
  BOOST_TEST(wait_until([&] { return c.log().find("collection is on") != std::string::npos; }, 5s), c.log());
  BOOST_TEST(http_request(c.port(), http::verb::post, "/", event).status == 200u);
  BOOST_TEST(c.events().size() == 1u);
  BOOST_TEST(metric_line(c, "telemetry_collector_collection_on") == "telemetry_collector_collection_on 1");
}

BOOST_DATA_TEST_CASE(the_settings_api_needs_the_admin_token_and_names_a_bad_value, data::make(k_engines), engine) {
  temp_dir dir;
  const auto db = fresh_db(engine, dir.path());
  {
    collector_process open_one(dir.path(), {"--db", db}, false);
    const auto r = http_request(open_one.port(), http::verb::put, "/v1/settings", R"({"collection":"on"})");
    BOOST_TEST(r.status == 403u);
    BOOST_TEST(r.body.find("--admin-token-file") != std::string::npos, r.body);
    BOOST_TEST(open_one.stop() == 0);
  }
  collector_process c(dir.path(), {"--db", db, "--admin-token-file", write_admin_token(dir.path()).string()}, false);
  BOOST_TEST(http_request(c.port(), http::verb::put, "/v1/settings", R"({"collection":"on"})").status == 401u);
  BOOST_TEST(http_request(c.port(), http::verb::put, "/v1/settings", R"({"collection":"on"})", "wrong-token-wrong-token")
                 .status == 401u);
  for (const auto& [body, field] : std::vector<std::pair<std::string, std::string>>{
           {R"({"retention_days": 731})", "retention_days"},
           {R"({"retention_days": 0})", "retention_days"},
           {R"({"collection": "maybe"})", "collection"},
           {R"({"collection": "on", "colour": "red"})", "colour"}}) {
    const auto r = http_request(c.port(), http::verb::put, "/v1/settings", body, k_token);
    BOOST_TEST(r.status == 400u, body);
    BOOST_TEST(json::parse(r.body).at("field").as_string() == field, r.body);
  }
  BOOST_TEST(json::parse(http_request(c.port(), http::verb::put, "/v1/settings", R"({"retention_days": 731})", k_token)
                             .body)
                 .at("detail")
                 .as_string() == "expected a whole number of days from 1 to 730");
  BOOST_TEST(settings_of(c).at("collection").as_string() == "off");  // nothing of the bad ones was saved
  BOOST_TEST(settings_of(c).at("history").as_array().empty());

  const auto r = http_request(c.port(), http::verb::put, "/v1/settings", R"({"collection":"on","retention_days":45})",
                              k_token);
  BOOST_REQUIRE_MESSAGE(r.status == 200u, r.body);
  const auto saved = json::parse(r.body).as_object();
  BOOST_TEST(saved.at("collection").as_string() == "on");
  BOOST_TEST(saved.at("retention_days").as_int64() == 45);
  BOOST_TEST(saved.at("collection_changed_at").is_string());
  const auto& history = saved.at("history").as_array();
  BOOST_REQUIRE(history.size() == 2u);
  for (const auto& h : history) {
    BOOST_TEST(h.at("via").as_string() == "api");
    BOOST_TEST(h.as_object().size() == 5u);  // at, setting, old, new, via: no identity, no address
  }
  // The one that took the PUT follows it at once.
  BOOST_TEST(http_request(c.port(), http::verb::post, "/", example_event(test_uuid(1))).status == 200u);
  BOOST_TEST(http_request(c.port(), http::verb::get, "/v1/settings/preview?retention_days=10").status == 401u);
  BOOST_TEST(http_request(c.port(), http::verb::get, "/v1/settings/preview?retention_days=0", {}, k_token).status ==
             400u);
  BOOST_TEST(http_request(c.port(), http::verb::delete_, "/v1/settings", {}, k_token).status == 405u);
  BOOST_TEST(c.stop() == 0);

  // --private-stats: reading the settings needs the token too.
  collector_process p(dir.path(),
                      {"--db", db, "--admin-token-file", write_admin_token(dir.path()).string(), "--private-stats"}, false);
  BOOST_TEST(http_request(p.port(), http::verb::get, "/v1/settings").status == 401u);
  BOOST_TEST(settings_of(p, k_token).at("retention_days").as_int64() == 45);
}

BOOST_DATA_TEST_CASE(settings_given_at_start_are_saved_and_apply_after_a_restart, data::make(k_engines), engine) {
  temp_dir dir;
  const auto db = fresh_db(engine, dir.path());
  {
    collector_process c(dir.path(), {"--db", db, "--collection", "on", "--retention-days", "45"});
    BOOST_TEST(c.log().find("collection on, raw events kept 45 days") != std::string::npos, c.log());
    BOOST_TEST(c.stop() == 0);
  }
  collector_process c(dir.path(), {"--db", db}, false);
  const auto s = settings_of(c);
  BOOST_TEST(s.at("collection").as_string() == "on");
  BOOST_TEST(s.at("retention_days").as_int64() == 45);
  BOOST_TEST(s.at("history").as_array().at(0).at("via").as_string() == "start flag");
  BOOST_TEST(http_request(c.port(), http::verb::post, "/", example_event(test_uuid(1))).status == 200u);
  auto bad = run({COLLECTOR_BIN, "settings", "--db", db, "--collection", "yes"});
  BOOST_TEST(bad.exit_code == 2);
  BOOST_TEST(bad.err.find("--collection \"yes\": expected on or off") != std::string::npos, bad.err);
  bad = run({COLLECTOR_BIN, "settings", "--db", db, "--retention-days", "0"});
  BOOST_TEST(bad.exit_code == 2);
  BOOST_TEST(bad.err.find("--retention-days \"0\": expected a whole number of days from 1 to 730") != std::string::npos,
             bad.err);
  bad = run({COLLECTOR_BIN, "settings", "--db", (dir.path() / "none.db").string()});
  BOOST_TEST(bad.exit_code == 2);
  BOOST_TEST(!std::filesystem::exists(dir.path() / "none.db"));
}

BOOST_DATA_TEST_CASE(a_shorter_retention_runs_a_cleanup_pass_at_once, data::make(k_engines), engine) {
  temp_dir dir;
  const auto db = fresh_db(engine, dir.path());
  std::string lines;
  for (unsigned i = 0; i < 3; ++i) lines += line_at(days_ago(40), i);
  lines += line_at(days_ago(2), 9);
  write_text(dir.path() / "in.ndjson", lines);
  BOOST_REQUIRE(run({COLLECTOR_BIN, "import", "--db", db, (dir.path() / "in.ndjson").string()}).exit_code == 0);
  collector_process c(dir.path(), {"--db", db, "--admin-token-file", write_admin_token(dir.path()).string()});
  const auto preview = http_request(c.port(), http::verb::get, "/v1/settings/preview?retention_days=30", {}, k_token);
  BOOST_REQUIRE_MESSAGE(preview.status == 200u, preview.body);
  BOOST_TEST(json::parse(preview.body).at("raw_events_to_delete").as_int64() == 3);
  BOOST_TEST(json::parse(preview.body).at("first_kept_date").as_string() == days_ago(30));
  BOOST_REQUIRE(http_request(c.port(), http::verb::put, "/v1/settings", R"({"retention_days":30})", k_token).status ==
                200u);
  // Not at the next daily pass: now.
  BOOST_TEST(wait_until([&] { return export_lines(db).size() == 1u; }, 20s), c.log());
  BOOST_TEST(c.log().find("running a retention pass now") != std::string::npos, c.log());
  // The old day's aggregates remain.
  const auto stats = json::parse(http_request(c.port(), http::verb::get, "/v1/stats?days=90").body);
  BOOST_TEST(stats.at("days").as_array().at(0).at("date").as_string() == days_ago(40));
}

BOOST_DATA_TEST_CASE(cleanup_uses_the_saved_retention_unless_told_another_once, data::make(k_engines), engine) {
  temp_dir dir;
  const auto db = fresh_db(engine, dir.path());
  write_text(dir.path() / "in.ndjson", line_at(days_ago(25), 1) + line_at(days_ago(1), 2));
  BOOST_REQUIRE(run({COLLECTOR_BIN, "import", "--db", db, (dir.path() / "in.ndjson").string()}).exit_code == 0);
  auto r = run({COLLECTOR_BIN, "cleanup", "--db", db}, {}, 60s);  // the saved 90 days: nothing to delete
  BOOST_TEST(r.err.find("deleted 0 raw event(s) older than 90 days") != std::string::npos, r.err);
  r = run({COLLECTOR_BIN, "cleanup", "--db", db, "--retention-days", "20"}, {}, 60s);
  BOOST_TEST(r.err.find("deleted 1 raw event(s) older than 20 days") != std::string::npos, r.err);
  const auto s = json::parse(run({COLLECTOR_BIN, "settings", "--db", db}).out).as_object();
  BOOST_TEST(s.at("retention_days").as_int64() == 90);  // not saved
  BOOST_TEST(s.at("history").as_array().empty());
  BOOST_TEST(export_lines(db).size() == 1u);
}

BOOST_DATA_TEST_CASE(import_twice_is_import_once_and_old_events_are_left_out, data::make(k_engines), engine) {
  temp_dir dir;
  const auto db = fresh_db(engine, dir.path());
  const std::string lines = line_at(days_ago(3), 1) + line_at(days_ago(2), 2) + line_at(days_ago(3), 1) +
                            line_at(days_ago(120), 3);
  write_text(dir.path() / "in.ndjson", lines);
  auto r = run({COLLECTOR_BIN, "import", "--db", db, (dir.path() / "in.ndjson").string()}, {}, 60s);
  BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.err);
  BOOST_TEST(r.err.find("imported 2 events; left out 1 already stored (or repeated in the file) and 1 older than the "
                        "retention (90 days)") != std::string::npos,
             r.err);
  const auto once = run({COLLECTOR_BIN, "export", "--db", db}).out;
  r = run({COLLECTOR_BIN, "import", "--db", db, (dir.path() / "in.ndjson").string()}, {}, 60s);
  BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.err);
  BOOST_TEST(r.err.find("imported 0 events; left out 3 already stored") != std::string::npos, r.err);
  BOOST_TEST(run({COLLECTOR_BIN, "export", "--db", db}).out == once);
  BOOST_TEST(lines_in(once) == 2u);
  BOOST_TEST(stored_text(db).find(test_uuid(3)) == std::string::npos);
}

// Several collectors on one PostgreSQL database: a change made through one
// reaches the other within 5 s.
BOOST_AUTO_TEST_CASE(every_collector_on_a_database_follows_a_change_within_5_seconds) {
  temp_dir dir;
  const auto db = fresh_db("postgresql", dir.path());
  std::filesystem::create_directories(dir.path() / "a");
  std::filesystem::create_directories(dir.path() / "b");
  collector_process a(dir.path() / "a", {"--db", db, "--admin-token-file", write_admin_token(dir.path()).string()});
  collector_process b(dir.path() / "b", {"--db", db}, false);
  BOOST_TEST(http_request(b.port(), http::verb::post, "/", example_event(test_uuid(1))).status == 200u);
  BOOST_REQUIRE(http_request(a.port(), http::verb::put, "/v1/settings", R"({"collection":"off"})", k_token).status ==
                200u);
  BOOST_TEST(http_request(a.port(), http::verb::post, "/", example_event(test_uuid(2))).status == 503u);
  BOOST_TEST(wait_until([&] { return b.log().find("collection is off") != std::string::npos; }, 5s), b.log());
  BOOST_TEST(http_request(b.port(), http::verb::post, "/", example_event(test_uuid(3))).status == 503u);
  BOOST_TEST(export_lines(db).size() == 1u);
}

BOOST_AUTO_TEST_SUITE_END()
