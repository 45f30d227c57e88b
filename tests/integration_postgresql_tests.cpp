// The collector on PostgreSQL, as a fleet runs it: several collectors on one
// database, the database going away and coming back, bad connection strings.
// Real collectors on 127.0.0.1, a real throw-away PostgreSQL 15 cluster
// (pg_cluster), real HTTP. (What the engines share is tested on both in
// integration_collector_tests.)
#include "support/integration.hpp"
#include "support/pg_cluster.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/test/unit_test.hpp>

#include <csignal>

using namespace test_support;
namespace http = boost::beast::http;
namespace json = boost::json;

namespace {

std::set<std::string> stored_uuids(const std::string& db) {
  std::set<std::string> out;
  for (auto& line : export_lines(db)) out.insert(std::string(line.at("event").at("uuid").as_string()));
  return out;
}

std::size_t missing_from(const std::set<std::string>& acknowledged, const std::set<std::string>& stored) {
  std::size_t missing = 0;
  for (auto& u : acknowledged) missing += stored.count(u) ? 0 : 1;
  return missing;
}

std::size_t count_of(const std::string& text, std::string_view what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + what.size())) ++n;
  return n;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(integration_postgresql_tests)

// Behind a load balancer: two collectors on one database, one killed with
// SIGKILL under load. Every event either acknowledged is stored.
BOOST_AUTO_TEST_CASE(two_collectors_on_one_database_one_killed_lose_no_acknowledged_event) {
  temp_dir dir;
  const auto db = fresh_db("postgresql", dir.path());
  std::filesystem::create_directories(dir.path() / "a");
  std::filesystem::create_directories(dir.path() / "b");
  collector_process a(dir.path() / "a", {"--db", db});
  collector_process b(dir.path() / "b", {"--db", db});  // a second serve on the database is welcome here
  std::set<std::string> acknowledged;
  {
    posting_clients clients({a.port(), b.port()}, 6);
    BOOST_TEST(clients.wait_acknowledged(400));
    a.process().signal(SIGKILL);
    BOOST_TEST(a.process().wait_exit(5s).has_value());
    // The survivor goes on taking events.
    const auto before = clients.acknowledged().size();
    BOOST_TEST(clients.wait_acknowledged(before + 200));
    clients.stop();
    acknowledged = clients.acknowledged();
  }
  BOOST_TEST(b.stop() == 0);
  const auto stored = stored_uuids(db);
  BOOST_TEST_MESSAGE(acknowledged.size() << " acknowledged, " << stored.size() << " stored");
  BOOST_TEST(missing_from(acknowledged, stored) == 0u);
}

// The database restarts under load: 503 with a short Retry-After during the
// outage (at once: no request waits on a dead database), /healthz says why,
// the collector reconnects by itself, nothing acknowledged is lost, and each
// change of state is logged once.
BOOST_AUTO_TEST_CASE(a_database_restart_under_load_is_503_then_recovers_without_a_restart) {
  temp_dir dir;
  auto& cluster = pg_cluster::shared();
  const auto db = fresh_db("postgresql", dir.path());
  collector_process c(dir.path(), {"--db", db});
  std::set<std::string> acknowledged;
  {
    posting_clients clients(c.port(), 4);
    BOOST_TEST(clients.wait_acknowledged(200));
    cluster.stop();
    // Every request during the outage gets an answer, and it is a 503.
    simple_response during;
    BOOST_TEST(wait_until(
        [&] {
          during = http_request(c.port(), http::verb::post, "/", example_event(test_uuid(900000)), {}, 5s);
          return during.status == 503u;
        },
        10s));
    const auto health = http_request(c.port(), http::verb::get, "/healthz", {}, {}, 5s);
    BOOST_TEST(health.status == 503u);
    BOOST_TEST(health.body.find("PostgreSQL unavailable") != std::string::npos, health.body);
    const auto refused_before = clients.refused();
    BOOST_TEST(wait_until([&] { return clients.refused() > refused_before + 20; }, 10s));  // answered, not hung
    cluster.start();
    BOOST_TEST(wait_until(
        [&] { return http_request(c.port(), http::verb::get, "/healthz", {}, {}, 5s).status == 200u; }, 20s));
    const auto after = clients.acknowledged().size();
    BOOST_TEST(clients.wait_acknowledged(after + 100));
    clients.stop();
    acknowledged = clients.acknowledged();
  }
  BOOST_TEST(c.process().running());
  BOOST_TEST(c.stop() == 0);
  BOOST_TEST(missing_from(acknowledged, stored_uuids(db)) == 0u);
  const auto log = c.log();
  BOOST_TEST(count_of(log, "PostgreSQL unavailable") == 1u, log);  // logged once, not once per request
}

// The 503 of an unavailable database carries a short Retry-After, shorter
// than the minute a failing disk gets.
BOOST_AUTO_TEST_CASE(an_unavailable_database_is_answered_with_a_short_retry_after) {
  temp_dir dir;
  auto& cluster = pg_cluster::shared();
  const auto db = fresh_db("postgresql", dir.path());
  collector_process c(dir.path(), {"--db", db});
  cluster.stop();
  // A raw request, to read the header.
  std::string answer;
  BOOST_TEST(wait_until(
      [&] {
        answer = raw_exchange(c.port(), "POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                                       "Content-Length: " +
                                           std::to_string(example_event(test_uuid(1)).size()) + "\r\n\r\n" +
                                           example_event(test_uuid(1)),
                             5s);
        return answer.starts_with("HTTP/1.1 503");
      },
      10s));
  const auto at = answer.find("Retry-After: ");
  BOOST_REQUIRE(at != std::string::npos);
  const int seconds = std::stoi(answer.substr(at + 13));
  BOOST_TEST(seconds >= 1);
  BOOST_TEST(seconds <= 10);
  cluster.start();
  BOOST_TEST(wait_until(
      [&] { return http_request(c.port(), http::verb::get, "/healthz", {}, {}, 5s).status == 200u; }, 20s));
}

// A database that cannot be reached at start: a clear error naming the host
// and libpq's reason, never the password.
BOOST_AUTO_TEST_CASE(an_unreachable_database_at_start_is_named_without_its_password) {
  const auto port = closed_port();
  const std::string uri = "postgresql://collector:hunter2-secret@127.0.0.1:" + std::to_string(port) + "/telemetry";
  for (const std::vector<std::string> argv :
       {std::vector<std::string>{COLLECTOR_BIN, "serve", "--listen", "127.0.0.1:0", "--db", uri},
        std::vector<std::string>{COLLECTOR_BIN, "export", "--db", uri},
        std::vector<std::string>{COLLECTOR_BIN, "cleanup", "--db", uri}}) {
    auto r = run(argv, {}, 30s);
    BOOST_TEST(r.exit_code == 1, argv[1]);
    BOOST_TEST(r.err.find("127.0.0.1:" + std::to_string(port)) != std::string::npos, r.err);
    BOOST_TEST(r.err.find("hunter2-secret") == std::string::npos, r.err);
    BOOST_TEST(r.err.find("Connection refused") != std::string::npos, r.err);  // libpq's reason
  }
  // PGPASSWORD is read by libpq, and never shown either.
  auto r = run({COLLECTOR_BIN, "export", "--db", "postgresql://collector@127.0.0.1:" + std::to_string(port) + "/t"},
               {{"PGPASSWORD", "hunter2-secret"}}, 30s);
  BOOST_TEST(r.exit_code == 1);
  BOOST_TEST(r.err.find("hunter2-secret") == std::string::npos, r.err);
}

// The log names the database with its password redacted.
BOOST_AUTO_TEST_CASE(the_log_shows_the_uri_with_its_password_redacted) {
  temp_dir dir;
  auto& cluster = pg_cluster::shared();
  const auto name = cluster.create_database("redact");
  cluster.exec(name, "DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'pw_user') THEN "
                     "CREATE ROLE pw_user LOGIN PASSWORD 'hunter2-secret'; END IF; END $$; "
                     "GRANT ALL ON DATABASE " + name + " TO pw_user; GRANT ALL ON SCHEMA public TO pw_user;");
  const std::string uri = "postgresql://pw_user:hunter2-secret@127.0.0.1:" + std::to_string(cluster.port()) + "/" + name;
  collector_process c(dir.path(), {"--db", uri});
  BOOST_TEST(http_request(c.port(), http::verb::post, "/", example_event(test_uuid(1))).status == 200u);
  BOOST_TEST(c.stop() == 0);
  const auto log = c.log();
  BOOST_TEST(log.find("hunter2-secret") == std::string::npos, log);
  BOOST_TEST(log.find("pw_user:****@127.0.0.1") != std::string::npos, log);
}

// From one engine to the other (docs/collector.md, "Export, import"): what
// SQLite exports, PostgreSQL imports, and exports again byte for byte.
BOOST_AUTO_TEST_CASE(export_and_import_move_a_database_between_engines) {
  temp_dir dir;
  const auto sqlite_db = fresh_db("sqlite", dir.path());
  const auto pg_db = fresh_db("postgresql", dir.path());
  std::string lines;
  for (unsigned i = 0; i < 5; ++i)
    lines += R"({"received_at":")" + utc_date(std::chrono::system_clock::now() - std::chrono::days(12 - i)) +
             R"(T10:00:00.125Z","event":)" +
             example_event(test_uuid(i)) + "}\n";
  write_text(dir.path() / "in.ndjson", lines);
  BOOST_REQUIRE(run({COLLECTOR_BIN, "import", "--db", sqlite_db, (dir.path() / "in.ndjson").string()}).exit_code == 0);
  const auto from_sqlite = run({COLLECTOR_BIN, "export", "--db", sqlite_db});
  BOOST_REQUIRE(from_sqlite.exit_code == 0);
  write_text(dir.path() / "moved.ndjson", from_sqlite.out);
  const auto imported = run({COLLECTOR_BIN, "import", "--db", pg_db, (dir.path() / "moved.ndjson").string()});
  BOOST_REQUIRE_MESSAGE(imported.exit_code == 0, imported.err);
  const auto from_pg = run({COLLECTOR_BIN, "export", "--db", pg_db});
  BOOST_TEST(from_pg.exit_code == 0);
  BOOST_TEST(from_pg.out == lines);
  BOOST_TEST(from_sqlite.out == lines);
}

// Every ```sql block of docs/collector.md's PostgreSQL section runs as it
// is against a database the collector filled, and answers something.
BOOST_AUTO_TEST_CASE(the_documented_queries_run) {
  temp_dir dir;
  auto& cluster = pg_cluster::shared();
  const auto name = cluster.create_database("docs");
  const auto db = cluster.uri(name);
  const auto now = std::chrono::system_clock::now();
  std::string lines;
  for (int day = -3; day <= 0; ++day)
    for (unsigned node = 0; node < 4; ++node) {
      auto e = json::parse(example_event(test_uuid(node))).as_object();
      e["autonat_reachability"] = node % 2 ? "Public" : "Private";
      e["platform_containerized"] = node == 3;
      lines += R"({"received_at":")" + utc_date(now + std::chrono::days(day)) + R"(T00:00:01Z","event":)" +
               json::serialize(e) + "}\n";
    }
  const auto file = dir.path() / "in.ndjson";
  write_text(file, lines);
  BOOST_REQUIRE(run({COLLECTOR_BIN, "import", "--db", db, file.string()}).exit_code == 0);
  BOOST_REQUIRE(run({COLLECTOR_BIN, "cleanup", "--db", db}, {}, 30s).exit_code == 0);

  const auto doc = read_text(std::filesystem::path(TELEMETRY_SCHEMA_DIR) / ".." / "docs" / "collector.md");
  const auto begin = doc.find("\n## PostgreSQL\n");
  const auto end = doc.find("\n### Writes, durability", begin);
  BOOST_REQUIRE(begin != std::string::npos && end != std::string::npos);
  const std::string section = doc.substr(begin, end - begin);
  std::size_t blocks = 0;
  for (auto at = section.find("```sql\n"); at != std::string::npos; at = section.find("```sql\n", at)) {
    at += 7;
    const auto stop = section.find("```", at);
    BOOST_REQUIRE(stop != std::string::npos);
    const std::string sql = section.substr(at, stop - at);
    at = stop + 3;
    ++blocks;
    std::optional<std::string> first;
    BOOST_CHECK_NO_THROW(first = cluster.query_value(name, sql));
    BOOST_TEST(first.has_value(), sql);  // a row, not an empty answer
  }
  BOOST_TEST(blocks >= 4u);
}

BOOST_AUTO_TEST_SUITE_END()
