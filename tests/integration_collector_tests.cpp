// The collector on its own, end to end: the real binary on 127.0.0.1 with a
// real database; its CLI (export, import, cleanup), its API, and how it
// behaves under load, slow clients, SIGTERM and SIGKILL. The cases about
// what is stored run on each engine (k_engines: SQLite, and PostgreSQL on a
// throw-away cluster), the same test for both.
#include "support/integration.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/test/data/monomorphic.hpp>
#include <boost/test/data/test_case.hpp>
#include <boost/test/unit_test.hpp>

#include <sys/resource.h>
#include <sys/stat.h>

#include <atomic>
#include <csignal>
#include <fstream>
#include <mutex>
#include <set>
#include <thread>

using namespace test_support;
namespace asio = boost::asio;
namespace http = boost::beast::http;
namespace json = boost::json;
namespace data = boost::unit_test::data;
using tcp = asio::ip::tcp;

namespace {

std::filesystem::path write_file(const std::filesystem::path& p, const std::string& text, unsigned mode = 0600) {
  std::ofstream(p) << text;
  std::filesystem::permissions(p, static_cast<std::filesystem::perms>(mode));
  return p;
}

const std::string& k_token = k_admin_token;

tcp::socket connect_raw(asio::io_context& ioc, unsigned short port) {
  tcp::socket s(ioc);
  s.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
  return s;
}

std::string post_text(const std::string& body, bool keep_alive = true) {
  return "POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: " +
         std::to_string(body.size()) + "\r\n" + (keep_alive ? "" : "Connection: close\r\n") + "\r\n" + body;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(integration_collector_tests)

BOOST_DATA_TEST_CASE(stores_only_the_event_and_its_receive_time, data::make(k_engines), engine) {
  temp_dir dir;
  collector_process c(dir.path(), {"--db", fresh_db(engine, dir.path())});
  const auto before = std::chrono::system_clock::now();
  BOOST_TEST(http_request(c.port(), http::verb::post, "/", example_event(test_uuid(1))).status == 200u);
  auto lines = export_lines(c.db());
  BOOST_REQUIRE(lines.size() == 1u);
  const auto& line = lines[0].as_object();
  BOOST_TEST(line.size() == 2u);  // received_at and event, nothing else
  BOOST_TEST(line.at("event") == json::parse(example_event(test_uuid(1))));
  const std::string at(line.at("received_at").as_string());
  BOOST_TEST(at.substr(0, 10) == utc_date(before));
  BOOST_TEST(at.ends_with("Z"));
  // The database itself is private and holds no trace of the sender.
  if (engine == "sqlite") {
    struct stat st {};
    BOOST_REQUIRE(::stat(c.db().c_str(), &st) == 0);
    BOOST_TEST((st.st_mode & 0777) == 0600u);
  }
  BOOST_TEST(c.stop() == 0);
  const auto raw = stored_text(c.db());
  BOOST_TEST(raw.find(test_uuid(1)) != std::string::npos);  // the check reads what is stored
  BOOST_TEST(raw.find("127.0.0.1") == std::string::npos);
  BOOST_TEST(c.log().find("127.0.0.1:" + std::to_string(c.port())) != std::string::npos);  // its own address only
}

BOOST_AUTO_TEST_CASE(bad_start_options_are_refused_naming_the_option) {
  temp_dir dir;
  const auto db = (dir.path() / "c.db").string();
  for (std::string bad : {"0", "731", "ninety", "-5", "90d"}) {
    auto r = run({COLLECTOR_BIN, "serve", "--listen", "127.0.0.1:0", "--db", db, "--retention-days", bad});
    BOOST_TEST(r.exit_code == 2, bad);
    BOOST_TEST(r.err.find("--retention-days \"" + bad + "\": expected a whole number of days from 1 to 730") !=
                   std::string::npos,
               r.err);
  }
  auto loose = write_file(dir.path() / "loose-token", k_token + "\n", 0644);
  auto r = run({COLLECTOR_BIN, "serve", "--listen", "127.0.0.1:0", "--db", db, "--admin-token-file", loose.string()});
  BOOST_TEST(r.exit_code == 2);
  BOOST_TEST(r.err.find("--admin-token-file") != std::string::npos);
  auto shorty = write_file(dir.path() / "short-token", "abc\n");
  r = run({COLLECTOR_BIN, "serve", "--listen", "127.0.0.1:0", "--db", db, "--admin-token-file", shorty.string()});
  BOOST_TEST(r.exit_code == 2);
  BOOST_TEST(r.err.find("at least 16 characters") != std::string::npos);
  r = run({COLLECTOR_BIN, "serve", "--listen", "127.0.0.1:0", "--db", db, "--private-stats"});
  BOOST_TEST(r.exit_code == 2);
  BOOST_TEST(r.err.find("--private-stats needs --admin-token-file") != std::string::npos);
  r = run({COLLECTOR_BIN, "cleanup", "--db", db, "--retention-days", "1000"});
  BOOST_TEST(r.exit_code == 2);
}

BOOST_DATA_TEST_CASE(erasure_answers_204_whether_or_not_anything_matched, data::make(k_engines), engine) {
  temp_dir dir;
  collector_process c(dir.path(), {"--db", fresh_db(engine, dir.path())});
  for (unsigned i = 1; i <= 3; ++i)
    BOOST_TEST(http_request(c.port(), http::verb::post, "/", example_event(test_uuid(i))).status == 200u);
  BOOST_TEST(http_request(c.port(), http::verb::post, "/", example_event(test_uuid(1))).status == 200u);
  const std::string erase1 = json::serialize(json::object{{"uuid", test_uuid(1)}});
  auto r = http_request(c.port(), http::verb::delete_, "/", erase1);
  BOOST_TEST(r.status == 204u);
  BOOST_TEST(r.body.empty());
  BOOST_TEST(http_request(c.port(), http::verb::delete_, "/", erase1).status == 204u);  // nothing left: same answer
  BOOST_TEST(http_request(c.port(), http::verb::delete_, "/", R"({"uuid":"nope"})").status == 400u);
  auto events = c.events();
  BOOST_TEST(events.size() == 2u);
  for (auto& e : events) BOOST_TEST(e.at("uuid").as_string() != test_uuid(1));
}

BOOST_DATA_TEST_CASE(admin_api_with_a_token_file, data::make(k_engines), engine) {
  temp_dir dir;
  auto token = write_file(dir.path() / "token", k_token + "\n");
  collector_process c(dir.path(), {"--db", fresh_db(engine, dir.path()), "--admin-token-file", token.string()});
  for (unsigned i = 1; i <= 3; ++i)
    BOOST_TEST(http_request(c.port(), http::verb::post, "/", example_event(test_uuid(i))).status == 200u);

  BOOST_TEST(http_request(c.port(), http::verb::get, "/v1/export").status == 401u);
  BOOST_TEST(http_request(c.port(), http::verb::get, "/v1/export", {}, "wrong-token-wrong-token").status == 401u);
  auto exported = http_request(c.port(), http::verb::get, "/v1/export", {}, k_token);
  BOOST_TEST(exported.status == 200u);
  std::istringstream in(exported.body);
  std::size_t n = 0;
  for (std::string line; std::getline(in, line); ++n) BOOST_TEST(json::parse(line).at("event").is_object());
  BOOST_TEST(n == 3u);

  BOOST_TEST(http_request(c.port(), http::verb::delete_, "/v1/nodes/" + test_uuid(2)).status == 401u);
  auto erased = http_request(c.port(), http::verb::delete_, "/v1/nodes/" + test_uuid(2), {}, k_token);
  BOOST_TEST(erased.status == 200u);
  BOOST_TEST(json::parse(erased.body).at("erased").as_int64() == 1);
  BOOST_TEST(c.events().size() == 2u);
  // Stats stay public without --private-stats.
  BOOST_TEST(http_request(c.port(), http::verb::get, "/v1/stats").status == 200u);
}

BOOST_DATA_TEST_CASE(export_streams_many_events, data::make(k_engines), engine) {
  temp_dir dir;
  const auto db = fresh_db(engine, dir.path());
  auto token = write_file(dir.path() / "token", k_token);
  // 2500 events through import: more than two export chunks.
  std::string ndjson;
  for (unsigned i = 0; i < 2500; ++i)
    ndjson += R"({"received_at":")" + days_ago(12) + R"(T10:00:00.000Z","event":)" + example_event(test_uuid(i)) + "}\n";
  auto file = write_file(dir.path() / "in.ndjson", ndjson);
  auto imported = run({COLLECTOR_BIN, "import", "--db", db, file.string()});
  BOOST_REQUIRE_MESSAGE(imported.exit_code == 0, imported.err);
  collector_process c(dir.path(), {"--db", db, "--admin-token-file", token.string()});
  auto exported = http_request(c.port(), http::verb::get, "/v1/export", {}, k_token, 30s);
  BOOST_TEST(exported.status == 200u);
  BOOST_TEST(exported.body == ndjson);
}

BOOST_DATA_TEST_CASE(import_is_all_or_nothing_and_export_round_trips, data::make(k_engines), engine) {
  temp_dir dir;
  const auto db = fresh_db(engine, dir.path());
  std::string good = R"({"received_at":")" + days_ago(31) + R"(T08:30:00.250Z","event":)" +
                     example_event(test_uuid(1)) + "}\n" + R"({"received_at":")" + days_ago(30) +
                     R"(T09:00:00.000Z","event":)" + example_event(test_uuid(2)) + "}\n";
  auto bad_event = json::parse(example_event(test_uuid(3))).as_object();
  bad_event["uptime_bucket"] = "long";
  std::string bad =
      good + R"({"received_at":")" + days_ago(29) + R"(T00:00:00Z","event":)" + json::serialize(bad_event) + "}\n";

  auto r = run({COLLECTOR_BIN, "import", "--db", db, write_file(dir.path() / "bad.ndjson", bad).string()});
  BOOST_TEST(r.exit_code == 1);
  BOOST_TEST(r.err.find("bad.ndjson:3: event: invalid field \"uptime_bucket\"") != std::string::npos, r.err);
  BOOST_TEST(r.err.find("nothing was imported") != std::string::npos);
  // Nothing imported, and nothing created either: export finds no database there.
  const auto after = run({COLLECTOR_BIN, "export", "--db", db});
  BOOST_TEST(after.out.empty());
  BOOST_TEST(after.exit_code != 0, after.err);

  r = run({COLLECTOR_BIN, "import", "--db", db, write_file(dir.path() / "good.ndjson", good).string()});
  BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.err);
  auto out = run({COLLECTOR_BIN, "export", "--db", db});
  BOOST_TEST(out.exit_code == 0);
  BOOST_TEST(out.out == good);
}

BOOST_DATA_TEST_CASE(cleanup_deletes_old_raw_events_and_keeps_aggregates, data::make(k_engines), engine) {
  temp_dir dir;
  const auto db = fresh_db(engine, dir.path());
  std::string lines;
  const auto now = std::chrono::system_clock::now();
  const std::string old_day = utc_date(now - std::chrono::days(60));
  for (unsigned i = 0; i < 5; ++i)
    lines += R"({"received_at":")" + old_day + R"(T12:00:00Z","event":)" + example_event(test_uuid(i)) + "}\n";
  lines += R"({"received_at":")" + utc_date(now - std::chrono::days(2)) + R"(T12:00:00Z","event":)" +
           example_event(test_uuid(9)) + "}\n";
  BOOST_REQUIRE(run({COLLECTOR_BIN, "import", "--db", db, write_file(dir.path() / "in.ndjson", lines).string()})
                    .exit_code == 0);
  auto r = run({COLLECTOR_BIN, "cleanup", "--db", db, "--retention-days", "30"});
  BOOST_TEST(r.exit_code == 0, r.err);
  BOOST_TEST(r.err.find("deleted 5 raw event(s)") != std::string::npos, r.err);
  auto left = export_lines(db);
  BOOST_REQUIRE(left.size() == 1u);
  BOOST_TEST(left[0].at("event").at("uuid").as_string() == test_uuid(9));
  // The old day's aggregates outlive its raw events, served by a collector on that database.
  collector_process c(dir.path(), {"--db", db});
  auto stats = http_request(c.port(), http::verb::get, "/v1/stats?days=90");
  BOOST_REQUIRE(stats.status == 200u);
  const auto days = json::parse(stats.body).at("days").as_array();
  BOOST_REQUIRE(days.size() == 2u);
  BOOST_TEST(days[0].at("date").as_string() == old_day);
  BOOST_TEST(days[0].at("active_nodes").as_int64() == 5);
  BOOST_TEST(days[0].at("fields").at("agent_version").at("kubo/0.43.0/").as_int64() == 5);
}

// The stats cover the days asked for, ending today: a day to come (events
// imported with a future time) is stored and exported, and not shown yet.
BOOST_DATA_TEST_CASE(stats_end_with_today, data::make(k_engines), engine) {
  temp_dir dir;
  const auto db = fresh_db(engine, dir.path());
  const auto now = std::chrono::system_clock::now();
  std::string lines;
  for (int offset : {-1, 0, 1})
    lines += R"({"received_at":")" + utc_date(now + std::chrono::days(offset)) + R"(T12:00:00Z","event":)" +
             example_event(test_uuid(static_cast<unsigned>(offset + 10))) + "}\n";
  BOOST_REQUIRE(run({COLLECTOR_BIN, "import", "--db", db, write_file(dir.path() / "in.ndjson", lines).string()})
                    .exit_code == 0);
  BOOST_REQUIRE(run({COLLECTOR_BIN, "cleanup", "--db", db}, {}, 30s).exit_code == 0);
  BOOST_TEST(export_lines(db).size() == 3u);
  collector_process c(dir.path(), {"--db", db});
  auto days = [&](int n) {
    std::vector<std::string> out;
    const auto stats = json::parse(http_request(c.port(), http::verb::get, "/v1/stats?days=" + std::to_string(n)).body);
    for (auto& d : stats.at("days").as_array()) out.emplace_back(d.at("date").as_string());
    return out;
  };
  BOOST_TEST(days(1) == std::vector<std::string>{utc_date(now)});
  BOOST_TEST((days(2) == std::vector<std::string>{utc_date(now - std::chrono::days(1)), utc_date(now)}));
}

BOOST_DATA_TEST_CASE(stats_and_metrics_reflect_ingest, data::make(k_engines), engine) {
  temp_dir dir;
  collector_process c(dir.path(), {"--db", fresh_db(engine, dir.path()), "--aggregate-every", "1"});
  for (unsigned i = 1; i <= 4; ++i)
    BOOST_TEST(http_request(c.port(), http::verb::post, "/", example_event(test_uuid(i))).status == 200u);
  BOOST_TEST(http_request(c.port(), http::verb::post, "/", "{").status == 400u);
  BOOST_TEST(http_request(c.port(), http::verb::post, "/", R"({"uuid":"x"})").status == 400u);
  json::value stats;
  BOOST_TEST(wait_until(
      [&] {
        auto r = http_request(c.port(), http::verb::get, "/v1/stats?days=1");
        stats = json::parse(r.body);
        const auto& days = stats.at("days").as_array();
        return !days.empty() && days.back().at("active_nodes").as_int64() == 4;
      },
      10s));
  BOOST_TEST(stats.at("days").at(0).at("fields").at("platform_os").at("linux").as_int64() == 4);
  std::string metrics;
  BOOST_TEST(wait_until(
      [&] {
        metrics = http_request(c.port(), http::verb::get, "/metrics").body;
        return metrics.find("telemetry_active_nodes_24h 4") != std::string::npos;
      },
      10s));
  BOOST_TEST(metrics.find("telemetry_events_accepted_total 4\n") != std::string::npos, metrics);
  BOOST_TEST(metrics.find("telemetry_requests_rejected_total{reason=\"malformed_json\"} 1") != std::string::npos);
  BOOST_TEST(metrics.find("telemetry_requests_rejected_total{reason=\"invalid_event\"} 1") != std::string::npos);
  BOOST_TEST(metrics.find("telemetry_ingest_latency_seconds_count 4") != std::string::npos);
  BOOST_TEST(metrics.find("telemetry_database_bytes ") != std::string::npos);
  // Four events sent one after the other, plus the start-up maintenance pass's own writes.
  constexpr std::string_view sample = "\ntelemetry_store_commits_total ";
  const auto commits_at = metrics.find(sample);
  BOOST_TEST_REQUIRE(commits_at != std::string::npos);
  const auto commits = std::stoll(metrics.substr(commits_at + sample.size()));
  BOOST_TEST(commits >= 1);
  BOOST_TEST(commits <= 10);
}

BOOST_AUTO_TEST_CASE(private_stats_need_the_token) {
  temp_dir dir;
  auto token = write_file(dir.path() / "token", k_token);
  collector_process c(dir.path(), {"--admin-token-file", token.string(), "--private-stats"});
  BOOST_TEST(http_request(c.port(), http::verb::get, "/v1/stats").status == 401u);
  BOOST_TEST(http_request(c.port(), http::verb::get, "/metrics").status == 401u);
  BOOST_TEST(http_request(c.port(), http::verb::get, "/v1/stats", {}, k_token).status == 200u);
  BOOST_TEST(http_request(c.port(), http::verb::get, "/").status == 200u);
  BOOST_TEST(http_request(c.port(), http::verb::get, "/healthz").status == 200u);
}

BOOST_AUTO_TEST_CASE(a_thousand_idle_connections_do_not_block_a_post) {
  raise_fd_limit();
  temp_dir dir;
  collector_process c(dir.path());
  asio::io_context ioc;
  std::vector<tcp::socket> idle;
  for (int i = 0; i < 1000; ++i) idle.push_back(connect_raw(ioc, c.port()));
  // Half of them even started a request and stalled.
  for (std::size_t i = 0; i < idle.size(); i += 2) asio::write(idle[i], asio::buffer(std::string("POST / HTTP/1.1\r\n")));
  const auto t0 = std::chrono::steady_clock::now();
  auto r = http_request(c.port(), http::verb::post, "/", example_event(test_uuid(1)), {}, 10s);
  BOOST_TEST(r.status == 200u, r.error);
  const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  BOOST_TEST_MESSAGE("POST beside 1000 idle connections took " << ms << " ms");
  BOOST_TEST(c.log().find("accept:") == std::string::npos, c.log());  // no accept error, no back-off
}

BOOST_AUTO_TEST_CASE(slow_clients_time_out) {
  temp_dir dir;
  collector_process c(dir.path(), {"--idle-timeout", "1"});
  asio::io_context ioc;
  auto s = connect_raw(ioc, c.port());
  asio::write(s, asio::buffer(std::string("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{")));
  const auto t0 = std::chrono::steady_clock::now();
  const auto got = read_until_closed(s, 10s);  // returns when the collector closes
  const auto waited = std::chrono::steady_clock::now() - t0;
  BOOST_TEST(got.empty());
  BOOST_TEST(waited < 8s);
  BOOST_TEST(c.events().empty());
}

BOOST_AUTO_TEST_CASE(sigterm_lets_a_request_in_flight_finish) {
  temp_dir dir;
  collector_process c(dir.path());
  asio::io_context ioc;
  auto busy = connect_raw(ioc, c.port());
  auto idle = connect_raw(ioc, c.port());
  const std::string req = post_text(example_event(test_uuid(7)));
  asio::write(busy, asio::buffer(req.substr(0, 40)));  // a request half sent
  std::this_thread::sleep_for(200ms);
  c.process().signal(SIGTERM);
  BOOST_TEST(wait_until([&] { return c.log().find("shutting down") != std::string::npos; }, 5s));
  // The idle connection is closed at once; the busy one gets its answer.
  BOOST_TEST(read_until_closed(idle, 5s).empty());
  std::this_thread::sleep_for(100ms);
  asio::write(busy, asio::buffer(req.substr(40)));
  const auto answer = read_until_closed(busy, 5s);
  BOOST_TEST(answer.starts_with("HTTP/1.1 200"), answer);
  BOOST_TEST(answer.find("Connection: close") != std::string::npos);
  BOOST_TEST(c.process().wait_exit(10s) == 0);
  BOOST_TEST(c.log().find("stopped; 1 events accepted") != std::string::npos, c.log());
  auto events = export_lines(c.db());
  BOOST_REQUIRE(events.size() == 1u);
  // No new connections once draining.
  BOOST_TEST(http_request(c.port(), http::verb::get, "/healthz", {}, {}, 2s).status == 0u);
}

BOOST_DATA_TEST_CASE(sigkill_under_load_loses_no_acknowledged_event, data::make(k_engines), engine) {
  temp_dir dir;
  const auto db = fresh_db(engine, dir.path());
  std::set<std::string> acknowledged;
  {
    collector_process c(dir.path(), {"--db", db});
    posting_clients clients(c.port(), 6);
    BOOST_TEST(clients.wait_acknowledged(300));
    c.process().signal(SIGKILL);
    BOOST_TEST(c.process().wait_exit(5s).has_value());
    clients.stop();
    acknowledged = clients.acknowledged();
  }
  BOOST_TEST_MESSAGE(acknowledged.size() << " events acknowledged before SIGKILL");
  std::set<std::string> stored;
  {
    collector_process again(dir.path(), {"--db", db});  // SQLite: recovers the WAL on open
    for (auto& e : again.events()) stored.insert(std::string(e.at("uuid").as_string()));
  }
  std::size_t missing = 0;
  for (auto& u : acknowledged) missing += stored.count(u) ? 0 : 1;
  BOOST_TEST(missing == 0u);
}

BOOST_AUTO_TEST_CASE(backup_under_load_restores_every_event_acknowledged_before_it) {
  temp_dir dir;
  const auto dest = dir.path() / "backup.db";
  std::set<std::string> acknowledged, before_backup;
  run_result backup;
  std::filesystem::create_directories(dir.path() / "live");
  {
    collector_process c(dir.path() / "live");
    posting_clients clients(c.port(), 4);
    BOOST_TEST(clients.wait_acknowledged(200));
    before_backup = clients.acknowledged();
    backup = run({COLLECTOR_BIN, "backup", "--db", c.db().string(), dest.string()});
    // The collector went on serving during the backup.
    BOOST_TEST(clients.wait_acknowledged(clients.acknowledged().size() + 1, 10s));
    clients.stop();
    acknowledged = clients.acknowledged();
    BOOST_TEST(c.stop() == std::optional<int>(0));
  }
  BOOST_REQUIRE_MESSAGE(backup.exit_code == 0, backup.err);
  BOOST_TEST(backup.err.find("backup: " + dest.string() + ": ") != std::string::npos, backup.err);
  struct stat st {};
  BOOST_REQUIRE(::stat(dest.c_str(), &st) == 0);
  BOOST_TEST((st.st_mode & 0777) == 0600u);
  // One self-contained file: nothing beside it, no leftover temporary copy.
  for (auto& entry : std::filesystem::directory_iterator(dir.path()))
    BOOST_TEST((entry.path() == dest || entry.path().filename() == "live"), entry.path());

  // Restore: a collector started on the copy serves every event acknowledged
  // before the backup began, and none that was never sent.
  std::filesystem::create_directories(dir.path() / "restored");
  std::set<std::string> stored;
  {
    collector_process restored(dir.path() / "restored", {"--db", dest.string()});
    for (auto& e : restored.events()) stored.insert(std::string(e.at("uuid").as_string()));
  }
  std::size_t missing = 0;
  for (auto& u : before_backup) missing += stored.count(u) ? 0 : 1;
  BOOST_TEST(missing == 0u);
  BOOST_TEST(stored.size() >= before_backup.size());
  BOOST_TEST(stored.size() <= acknowledged.size() + 4);  // at most the clients' requests in flight besides
}

BOOST_AUTO_TEST_CASE(backup_refuses_to_overwrite_and_names_what_is_missing) {
  temp_dir dir;
  const auto db = (dir.path() / "c.db").string();
  BOOST_REQUIRE(run({COLLECTOR_BIN, "import", "--db", db,
                     write_file(dir.path() / "in.ndjson", R"({"received_at":")" + days_ago(12) + R"(T10:00:00Z","event":)" +
                                                              example_event(test_uuid(1)) + "}\n")
                         .string()})
                    .exit_code == 0);
  auto existing = write_file(dir.path() / "exists.db", "precious");
  auto r = run({COLLECTOR_BIN, "backup", "--db", db, existing.string()});
  BOOST_TEST(r.exit_code == 1);
  BOOST_TEST(r.err.find(existing.string() + " already exists; a backup never overwrites") != std::string::npos, r.err);
  BOOST_TEST(read_text(existing) == "precious");

  r = run({COLLECTOR_BIN, "backup", "--db", db, (dir.path() / "no" / "such" / "dir.db").string()});
  BOOST_TEST(r.exit_code == 1);
  BOOST_TEST(r.err.find("backup failed: cannot create") != std::string::npos, r.err);

  r = run({COLLECTOR_BIN, "backup", "--db", db});
  BOOST_TEST(r.exit_code == 2);
  BOOST_TEST(r.err.find("backup needs DEST") != std::string::npos, r.err);

  r = run({COLLECTOR_BIN, "backup", "--db", (dir.path() / "missing.db").string(), (dir.path() / "b.db").string()});
  BOOST_TEST(r.exit_code == 2);
  BOOST_TEST(r.err.find("no such database") != std::string::npos, r.err);
  BOOST_TEST(!std::filesystem::exists(dir.path() / "b.db"));
}

BOOST_AUTO_TEST_SUITE_END()
