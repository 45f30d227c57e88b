// The PostgreSQL engine through the storage interface, against a real
// PostgreSQL 15 cluster of this test process (tests/support/pg_cluster).
#include "kubo_example.hpp"
#include "retention.hpp"
#include "pg_connection.hpp"
#include "pg_store.hpp"
#include "schema_validator.hpp"
#include "support/pg_cluster.hpp"
#include "support/test_support.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/test/unit_test.hpp>

#include <unistd.h>

#include <atomic>
#include <future>
#include <mutex>
#include <random>
#include <sstream>
#include <thread>

using namespace telemetry_collector;
using test_support::pg_cluster;
namespace json = boost::json;

namespace {

constexpr clock_ms k_day0 = 20'000 * k_day_ms;  // 2024-10-04

event_row row(int node, clock_ms at, const std::string& os = "linux", bool accelerated = false) {
  auto doc = json::parse(k_kubo_example_payload).as_object();
  doc["uuid"] = test_support::test_uuid(static_cast<unsigned>(node));
  doc["platform_os"] = os;
  doc["routing_accelerated_dht_client"] = accelerated;
  event_row r;
  r.received_at = at;
  r.uuid = test_support::test_uuid(static_cast<unsigned>(node));
  r.values = flat_event::from_object(doc, log_event_fields());
  return r;
}

bool insert_sync(storage& s, event_row r) {
  std::promise<bool> p;
  auto f = p.get_future();
  s.insert(std::move(r), [&p](bool ok) { p.set_value(ok); });
  BOOST_REQUIRE(f.wait_for(std::chrono::seconds(15)) == std::future_status::ready);
  return f.get();
}

std::pair<bool, std::int64_t> erase_sync(storage& s, std::string uuid) {
  std::promise<std::pair<bool, std::int64_t>> p;
  auto f = p.get_future();
  s.erase(std::move(uuid), [&p](bool ok, std::int64_t n) { p.set_value({ok, n}); });
  BOOST_REQUIRE(f.wait_for(std::chrono::seconds(15)) == std::future_status::ready);
  return f.get();
}

// The insert's outcome if it completes within `bound`, else nullopt (the
// completion may still come later: it owns what it touches).
std::optional<bool> insert_within(storage& s, event_row r, std::chrono::milliseconds bound) {
  auto p = std::make_shared<std::promise<bool>>();
  auto f = p->get_future();
  s.insert(std::move(r), [p](bool ok) { p->set_value(ok); });
  if (f.wait_for(bound) != std::future_status::ready) return std::nullopt;
  return f.get();
}

// A raw libpq session of the test's own, for locks and transactions held open.
struct raw_session {
  explicit raw_session(const std::string& uri) : c(PQconnectdb(uri.c_str())) {
    BOOST_REQUIRE(PQstatus(c) == CONNECTION_OK);
  }
  ~raw_session() { PQfinish(c); }
  void exec(const std::string& sql) {
    PGresult* r = PQexec(c, sql.c_str());
    const auto st = PQresultStatus(r);
    BOOST_REQUIRE_MESSAGE(st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK, sql << ": " << PQerrorMessage(c));
    PQclear(r);
  }
  PGconn* c;
};

std::vector<std::string> export_all(storage& s) {
  std::vector<std::string> lines;
  auto cur = s.open_export();
  std::string out;
  while (cur->next(7, out)) {
  }
  std::istringstream in(out);
  for (std::string l; std::getline(in, l);) lines.push_back(l);
  return lines;
}

struct fixture {
  fixture() : cluster(pg_cluster::shared()), db(cluster.create_database()) { store = open(); }
  ~fixture() {
    if (store) store->close();
  }
  std::unique_ptr<storage> open(bool must_exist = false, pg_timeouts t = {}, const std::string& query = "") {
    storage_options o;
    o.serve = true;
    o.log = [this](const std::string& l) {
      std::lock_guard lk(log_mutex);
      log.push_back(l);
    };
    return open_pg_store(cluster.uri(db) + query, o, must_exist, t);
  }
  std::size_t logged_with(const std::string& text) {
    std::size_t n = 0;
    for (const auto& l : logged())
      if (l.find(text) != std::string::npos) ++n;
    return n;
  }
  std::int64_t count(const std::string& sql) { return std::stoll(cluster.query_value(db, sql).value_or("-1")); }
  std::vector<std::string> logged() {
    std::lock_guard lk(log_mutex);
    return log;
  }
  pg_cluster& cluster;
  std::string db;
  std::unique_ptr<storage> store;
  std::mutex log_mutex;
  std::vector<std::string> log;
};

}  // namespace

BOOST_AUTO_TEST_SUITE(pg_store_tests)

BOOST_FIXTURE_TEST_CASE(concurrent_inserts_share_commits_and_complete_after_them, fixture) {
  BOOST_TEST(store->engine() == "postgresql");
  const auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < 5; ++i) cluster.create_database("cost");
  BOOST_TEST_MESSAGE("CREATE DATABASE: " << std::chrono::duration_cast<std::chrono::microseconds>(
                                               std::chrono::steady_clock::now() - t0).count() / 5000.0
                                         << " ms each");
  constexpr int n = 300;
  std::atomic<int> ok{0}, done{0};
  for (int i = 0; i < n; ++i)
    store->insert(row(i, now_ms()), [&](bool committed) {
      if (committed) ++ok;
      ++done;
    });
  BOOST_REQUIRE(test_support::wait_until([&] { return done.load() == n; }, std::chrono::seconds(20)));
  BOOST_TEST(ok.load() == n);
  BOOST_TEST(count("SELECT count(*) FROM events") == n);
  // Group commit: far fewer transactions than events.
  BOOST_TEST(store->batches_committed() < static_cast<std::uint64_t>(n));
  BOOST_TEST_MESSAGE(n << " events in " << store->batches_committed() << " commits");
  // Typed columns, as an analyst's SQL reads them.
  BOOST_TEST(count("SELECT count(*) FROM events WHERE platform_os = 'linux' AND NOT private_network AND "
                   "repo_size_bucket = 5368709120 AND uuid = '" + test_support::test_uuid(7) + "'::uuid") == 1);
}

BOOST_FIXTURE_TEST_CASE(erasure_deletes_every_event_of_the_node_and_counts_them, fixture) {
  for (int i = 0; i < 3; ++i) BOOST_REQUIRE(insert_sync(*store, row(1, now_ms() - i * k_day_ms)));
  BOOST_REQUIRE(insert_sync(*store, row(2, now_ms())));
  auto [ok, n] = erase_sync(*store, test_support::test_uuid(1));
  BOOST_TEST(ok);
  BOOST_TEST(n == 3);
  BOOST_TEST(count("SELECT count(*) FROM events") == 1);
  auto [ok2, n2] = erase_sync(*store, test_support::test_uuid(1));
  BOOST_TEST(ok2);
  BOOST_TEST(n2 == 0);
}

BOOST_FIXTURE_TEST_CASE(node_events_are_the_newest_of_the_node_oldest_first, fixture) {
  const std::vector<clock_ms> mine = {k_day0 + 10, k_day0 + k_day_ms, k_day0 + 3 * k_day_ms, k_day0 + 3 * k_day_ms + 1,
                                      k_day0 + 40 * k_day_ms};
  for (auto at : mine) {
    BOOST_REQUIRE(insert_sync(*store, row(1, at)));
    BOOST_REQUIRE(insert_sync(*store, row(2, at + 1)));
  }
  // The export's lines of node 1, as access must give them.
  std::vector<std::string> want;
  for (auto& l : export_all(*store))
    if (l.find(test_support::test_uuid(1)) != std::string::npos) want.push_back(l + "\n");
  BOOST_REQUIRE(want.size() == 5u);
  auto all = store->node_events(test_support::test_uuid(1), 5);
  BOOST_TEST(all.ndjson == want[0] + want[1] + want[2] + want[3] + want[4]);
  BOOST_TEST(all.events == 5u);
  BOOST_TEST(!all.more);
  auto newest = store->node_events(test_support::test_uuid(1), 2);
  BOOST_TEST(newest.ndjson == want[3] + want[4]);
  BOOST_TEST(newest.more);
  auto none = store->node_events(test_support::test_uuid(3), 5);
  BOOST_TEST(none.ndjson.empty());
  BOOST_TEST(!none.more);
}

BOOST_FIXTURE_TEST_CASE(an_insert_for_any_day_gets_its_partition, fixture) {
  const clock_ms far = k_day0 - 400 * k_day_ms;
  BOOST_TEST(insert_sync(*store, row(1, far)));
  BOOST_TEST(insert_sync(*store, row(2, now_ms() + 40 * k_day_ms)));
  BOOST_TEST(count("SELECT count(*) FROM events") == 2);
  BOOST_TEST(count("SELECT count(*) FROM pg_class WHERE relname = 'events_20230831'") == 1);
  // No default partition, which retention could not drop.
  BOOST_TEST(count("SELECT count(*) FROM pg_partitioned_table WHERE partdefid <> 0") == 0);
}

// The same rules as the SQLite engine (retention.hpp): each node counted
// once, by its last event of the day; values as text; at most 100 values per
// field, the rest folded into "(other)".
BOOST_FIXTURE_TEST_CASE(stats_count_each_node_by_its_last_event_and_fold_values, fixture) {
  std::vector<event_row> rows;
  for (int node = 1; node <= 150; ++node) rows.push_back(row(node, k_day0 + node, "darwin", true));
  // Node 1's last event of the day says linux, not accelerated.
  rows.push_back(row(1, k_day0 + 10'000, "os-1"));
  for (int node = 2; node <= 150; ++node) rows.push_back(row(node, k_day0 + 20'000 + node, "os-" + std::to_string(node % 120)));
  BOOST_REQUIRE(store->import_events(std::move(rows)).ok);
  maintenance_request req;
  req.retention = false;
  // Two days later: the day is neither today nor yesterday, which every pass recomputes.
  req.now = k_day0 + 2 * k_day_ms + k_day_ms / 2;
  auto rep = store->run_maintenance(req);
  BOOST_TEST(rep.ran);
  BOOST_TEST(rep.days_aggregated == 1);
  const auto s = store->read_stats(3, req.now);
  const auto& days = s.at("days").as_array();
  BOOST_REQUIRE(days.size() == 1);
  const auto& day = days[0].as_object();
  BOOST_TEST(day.at("date").as_string() == "2024-10-04");
  BOOST_TEST(day.at("active_nodes").as_int64() == 150);
  const auto& fields = day.at("fields").as_object();
  BOOST_TEST(!fields.contains("uuid"));
  BOOST_TEST(fields.size() == log_event_fields().size() - 1);
  BOOST_TEST(fields.at("routing_accelerated_dht_client").at("false").as_int64() == 150);
  BOOST_TEST(fields.at("repo_size_bucket").at("5368709120").as_int64() == 150);
  BOOST_TEST(fields.at("agent_version").at("kubo/0.43.0/").as_int64() == 150);
  // 120 distinct values (node 1 holds os-1 like nodes 1+120k): folded to 100.
  value_counts expected;
  std::map<std::string, std::int64_t> by_os;
  ++by_os["os-1"];
  for (int node = 2; node <= 150; ++node) ++by_os["os-" + std::to_string(node % 120)];
  for (auto& [v, n] : by_os) expected.emplace_back(v, n);
  expected = fold_values(expected);
  const auto& os = fields.at("platform_os").as_object();
  BOOST_TEST(os.size() == 100u);
  BOOST_TEST(os.size() == expected.size());
  std::int64_t sum = 0;
  for (const auto& [v, n] : expected) {
    BOOST_TEST(os.at(v).as_int64() == n);
    sum += n;
  }
  BOOST_TEST(sum == 150);
  BOOST_TEST(os.contains("(other)"));
  // Unchanged raw data: nothing to recompute. An erasure changes the day.
  BOOST_TEST(store->run_maintenance(req).days_aggregated == 0);
  BOOST_TEST(erase_sync(*store, test_support::test_uuid(3)).second == 2);
  BOOST_TEST(store->run_maintenance(req).days_aggregated == 1);
  BOOST_TEST(store->read_stats(3, req.now).at("days").at(0).at("active_nodes").as_int64() == 149);
  // Nodes 2..150 but the erased 3 at or after +20'002 ms; nodes 100..150 at or after +20'100.
  BOOST_TEST(store->active_nodes_since(k_day0 + 20'000) == 148);
  BOOST_TEST(store->active_nodes_since(k_day0 + 20'100) == 51);
}

BOOST_FIXTURE_TEST_CASE(export_and_import_round_trip_oldest_first, fixture) {
  const clock_ms live = now_ms();
  BOOST_REQUIRE(insert_sync(*store, row(1, live)));
  auto imported = [] {
    std::vector<event_row> v;
    v.push_back(row(2, k_day0 + 5, "darwin"));
    v.push_back(row(3, k_day0 + 7 * k_day_ms, "windows", true));
    return v;
  };
  BOOST_REQUIRE(store->import_events(imported()).ok);
  const auto lines = export_all(*store);
  BOOST_REQUIRE(lines.size() == 3u);
  // Oldest day first (by arrival within a day): the imported ones, then the live event.
  const auto second = json::parse(lines[0]).as_object();
  BOOST_TEST(second.at("received_at").as_string() == "2024-10-04T00:00:00.005Z");
  auto expected = json::parse(k_kubo_example_payload).as_object();
  expected["uuid"] = test_support::test_uuid(2);
  expected["platform_os"] = "darwin";
  // Members in the schema's order, as event_object() and export_line() give them.
  BOOST_TEST(lines[0] + "\n" == export_line(k_day0 + 5, expected));
  BOOST_TEST(json::parse(lines[1]).at("event").at("routing_accelerated_dht_client").as_bool());
  BOOST_TEST(json::parse(lines[2]).at("event").at("uuid").as_string() == test_support::test_uuid(1));

  // The same events into a second database: the same export.
  const auto db2 = cluster.create_database();
  auto other = open_pg_store(cluster.uri(db2), storage_options{});
  std::vector<event_row> all;
  all.push_back(row(1, live));
  for (auto& r : imported()) all.push_back(std::move(r));
  BOOST_REQUIRE(other->import_events(std::move(all)).ok);
  BOOST_TEST(export_all(*other) == lines);

  // All or nothing: one bad row (a uuid PostgreSQL refuses) and nothing is kept.
  std::vector<event_row> bad;
  bad.push_back(row(9, k_day0));
  bad.push_back(row(10, k_day0));
  auto broken = json::parse(k_kubo_example_payload).as_object();
  broken["uuid"] = "not-a-uuid";
  bad.back().values = flat_event::from_object(broken, log_event_fields());
  BOOST_TEST(!other->import_events(std::move(bad)).ok);
  BOOST_TEST(export_all(*other).size() == 3u);
  other->close();
}

// Retention drops whole day partitions once their aggregates are stored,
// and seals them: the stats of a dropped day stay.
BOOST_FIXTURE_TEST_CASE(retention_drops_day_partitions_and_keeps_their_aggregates, fixture) {
  std::vector<event_row> rows;
  for (int node = 1; node <= 5; ++node) rows.push_back(row(node, k_day0 + node));           // day0
  for (int node = 1; node <= 3; ++node) rows.push_back(row(node, k_day0 + 8 * k_day_ms));    // day0 + 8
  BOOST_REQUIRE(store->import_events(std::move(rows)).ok);
  maintenance_request req;
  req.now = k_day0 + 10 * k_day_ms;
  req.retention_days = 5;  // keeps day0 + 5 and later
  auto rep = store->run_maintenance(req);
  BOOST_TEST(rep.ran);
  BOOST_TEST(rep.days_aggregated == 2);
  BOOST_TEST(rep.rows_deleted == 5);
  BOOST_TEST(rep.days_skipped == 0);
  BOOST_TEST(count("SELECT count(*) FROM pg_class WHERE relname = 'events_20241004'") == 0);
  BOOST_TEST(count("SELECT count(*) FROM events") == 3);
  BOOST_TEST(count("SELECT count(*) FROM day_summary WHERE sealed") == 1);
  const auto s = store->read_stats(30, req.now);
  BOOST_REQUIRE(s.at("days").as_array().size() == 2u);
  BOOST_TEST(s.at("days").at(0).at("date").as_string() == "2024-10-04");
  BOOST_TEST(s.at("days").at(0).at("active_nodes").as_int64() == 5);
  // Partitions exist ahead of the request's day (and today's).
  BOOST_TEST(count("SELECT count(*) FROM pg_class WHERE relname = 'events_20241017'") == 1);
  BOOST_TEST(store->disk_bytes() > 0u);
  // A second pass finds nothing to do.
  rep = store->run_maintenance(req);
  BOOST_TEST(rep.rows_deleted == 0);
  BOOST_TEST(rep.days_aggregated == 0);
}

BOOST_FIXTURE_TEST_CASE(a_database_with_a_newer_schema_version_is_refused, fixture) {
  BOOST_TEST(count("SELECT version FROM collector_schema") == k_pg_schema_version);
  store->close();
  store.reset();
  // Opening again migrates nothing and works.
  store = open();
  store->close();
  store.reset();
  cluster.exec(db, "UPDATE collector_schema SET version = " + std::to_string(k_pg_schema_version + 1));
  try {
    open();
    BOOST_FAIL("a newer schema was accepted");
  } catch (const std::runtime_error& e) {
    const std::string what = e.what();
    BOOST_TEST_MESSAGE(what);
    BOOST_TEST(what.find("newer than this collector knows") != std::string::npos);
    BOOST_TEST(what.find(cluster.uri(db)) != std::string::npos);
  }
}

// Two instances on one database: maintenance on one at a time; the lock is
// the session's, so it is free again when its holder goes.
BOOST_FIXTURE_TEST_CASE(maintenance_runs_on_one_instance_at_a_time, fixture) {
  auto second = open();
  maintenance_request req;
  req.retention = false;
  req.now = now_ms();
  BOOST_TEST(store->run_maintenance(req).ran);
  BOOST_TEST(second->run_maintenance(req).ran);  // the first released it after its pass

  // Held by another session, as an instance mid-pass holds it.
  PGconn* holder = PQconnectdb((cluster.uri(db) + "?application_name=telemetry-collector%20pid%2042%20on%20peer").c_str());
  BOOST_REQUIRE(PQstatus(holder) == CONNECTION_OK);
  const std::string lock = "SELECT pg_advisory_lock(" + std::to_string(k_pg_lock_space) + ", " +
                           std::to_string(k_pg_maintenance_lock) + ")";
  PQclear(PQexec(holder, lock.c_str()));
  auto rep = second->run_maintenance(req);
  BOOST_TEST(!rep.ran);
  BOOST_TEST(rep.holder == "telemetry-collector pid 42 on peer");
  req.lock_wait = std::chrono::milliseconds(300);
  const auto t0 = std::chrono::steady_clock::now();
  rep = second->run_maintenance(req);
  const auto waited = std::chrono::steady_clock::now() - t0;
  BOOST_TEST(!rep.ran);
  BOOST_TEST((waited >= std::chrono::milliseconds(280)));
  BOOST_TEST((waited < std::chrono::seconds(3)));
  // The holder goes (a crash ends its session the same way): the lock moves.
  PQfinish(holder);
  req.lock_wait = std::chrono::milliseconds(2000);
  BOOST_TEST(second->run_maintenance(req).ran);
  second->close();
}

BOOST_AUTO_TEST_CASE(an_unreachable_database_is_named_with_the_reason_and_no_password) {
  auto& cluster = pg_cluster::shared();
  // A port nothing listens on (the cluster's plus one is not ours to rely on: find a closed one).
  const std::string uri = "postgresql://collector:s3cret-word@127.0.0.1:1/telemetry";
  const auto t0 = std::chrono::steady_clock::now();
  try {
    open_pg_store(uri, storage_options{});
    BOOST_FAIL("opened a database that is not there");
  } catch (const std::runtime_error& e) {
    const std::string what = e.what();
    BOOST_TEST_MESSAGE(what);
    BOOST_TEST(what.find("127.0.0.1") != std::string::npos);
    BOOST_TEST(what.find("s3cret") == std::string::npos);
    BOOST_TEST(what.find("refused") != std::string::npos);
  }
  BOOST_TEST((std::chrono::steady_clock::now() - t0 < std::chrono::seconds(3)));
  (void)cluster;
}

// The database goes away under ingest and comes back: writes fail at once
// meanwhile (no request waits on a dead database), health says why, the
// writer reconnects by itself, each change is logged once, and every
// acknowledged event is there.
BOOST_FIXTURE_TEST_CASE(an_outage_fails_writes_at_once_and_recovers_without_reopening, fixture) {
  std::atomic<int> acked{0};
  for (int i = 0; i < 20; ++i)
    if (insert_sync(*store, row(i, now_ms()))) ++acked;
  BOOST_TEST(acked.load() == 20);
  BOOST_TEST(!store->problem());

  cluster.stop();
  // The writer notices the closed session by itself (within ~1 s, no traffic needed).
  BOOST_TEST(test_support::wait_until([&] { return store->problem().has_value(); }, std::chrono::seconds(5)));
  const auto p = store->problem().value_or("");
  BOOST_TEST_MESSAGE(p);
  // Public text (/healthz): no host, port, user or database.
  BOOST_TEST(p == "PostgreSQL unavailable");
  BOOST_TEST(store->problem_may_clear());
  BOOST_TEST(store->retry_after().count() <= 5);
  const auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < 50; ++i) BOOST_TEST(!insert_sync(*store, row(100 + i, now_ms())));
  BOOST_TEST(!erase_sync(*store, test_support::test_uuid(1)).first);
  BOOST_TEST((std::chrono::steady_clock::now() - t0 < std::chrono::milliseconds(500)));

  cluster.start();
  BOOST_TEST(test_support::wait_until([&] { return !store->problem(); }, std::chrono::seconds(10)));
  BOOST_TEST(insert_sync(*store, row(200, now_ms())));
  BOOST_TEST(count("SELECT count(*) FROM events") == 21);
  const auto lines = logged();
  int failures = 0, recoveries = 0;
  for (const auto& l : lines) {
    if (l.find("storage failure") != std::string::npos) ++failures;
    if (l.find("storage works again") != std::string::npos) ++recoveries;
  }
  BOOST_TEST(failures == 1);
  BOOST_TEST(recoveries == 1);
}

// Inserts in flight when the server goes: each completes, true only if
// its commit is there after the restart.
BOOST_FIXTURE_TEST_CASE(nothing_acknowledged_is_lost_when_the_server_stops_under_load, fixture) {
  std::atomic<bool> stop{false};
  std::mutex m;
  std::vector<std::string> acked;
  std::atomic<int> pending{0};
  std::thread producer([&] {
    for (int i = 0; !stop.load(); ++i) {
      ++pending;
      const auto uuid = test_support::test_uuid(static_cast<unsigned>(1000 + i));
      store->insert(row(1000 + i, now_ms()), [&, uuid](bool ok) {
        if (ok) {
          std::lock_guard lk(m);
          acked.push_back(uuid);
        }
        --pending;
      });
      if (i % 20 == 0) std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  cluster.stop();
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  cluster.start();
  BOOST_TEST(test_support::wait_until([&] { return !store->problem(); }, std::chrono::seconds(10)));
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  stop = true;
  producer.join();
  BOOST_REQUIRE(test_support::wait_until([&] { return pending.load() == 0; }, std::chrono::seconds(10)));
  std::lock_guard lk(m);
  BOOST_TEST_MESSAGE(acked.size() << " acknowledged");
  BOOST_TEST(acked.size() > 0u);
  std::string list;
  for (const auto& u : acked) list += (list.empty() ? "'" : ",'") + u + "'";
  BOOST_TEST(count("SELECT count(*) FROM events WHERE uuid IN (" + list + ")") == static_cast<std::int64_t>(acked.size()));
}

// Storage cost of Kubo's example event with distinct uuids: heap and the
// uuid index of its day partition, per event. Target: at most 200 bytes.
BOOST_FIXTURE_TEST_CASE(bytes_per_stored_event, fixture) {
  constexpr int n = 20'000;
  std::vector<event_row> rows;
  std::mt19937_64 rng(12);
  for (int i = 0; i < n; ++i) {
    // Random v4 uuids, as a fleet's: their index leaves split as real ones do.
    char u[40];
    const auto a = rng(), b = rng();
    std::snprintf(u, sizeof u, "%08x-%04x-4%03x-8%03x-%012llx", static_cast<unsigned>(a >> 32),
                  static_cast<unsigned>(a & 0xffff), static_cast<unsigned>((a >> 16) & 0xfff),
                  static_cast<unsigned>(b & 0xfff), static_cast<unsigned long long>(b >> 16) & 0xffffffffffffULL);
    auto doc = json::parse(k_kubo_example_payload).as_object();
    doc["uuid"] = u;
    event_row r;
    r.received_at = k_day0 + i;
    r.uuid = u;
    r.values = flat_event::from_object(doc, log_event_fields());
    rows.push_back(std::move(r));
  }
  const auto t0 = std::chrono::steady_clock::now();
  BOOST_REQUIRE(store->import_events(std::move(rows)).ok);
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0).count();
  cluster.exec(db, "VACUUM ANALYZE events_20241004");
  const auto heap = count("SELECT pg_table_size('events_20241004')");
  const auto total = count("SELECT pg_total_relation_size('events_20241004')");
  BOOST_TEST_MESSAGE("bytes per event: " << total / n << " (heap " << heap / n << ", uuid index " << (total - heap) / n
                                         << "); " << n << " events imported in " << ms << " ms");
  // Random uuids leave the b-tree's leaves about 70% full while the day
  // fills; a past day's partition takes no more inserts, and its index
  // rebuilt by a maintenance pass (once per past day) packs them at 90%.
  maintenance_request req;
  req.retention = false;
  req.now = k_day0;
  BOOST_TEST(store->run_maintenance(req).ran);
  const auto packed = count("SELECT pg_total_relation_size('events_20241004')");
  BOOST_TEST_MESSAGE("after the index is rebuilt: " << packed / n << " (uuid index " << (packed - heap) / n << ")");
  BOOST_TEST(packed / n <= 200);
}

// A lock held on events (a migration, a manual ALTER in psql): the writer
// waits its statement/lock timeout at most; the batch fails, the store says
// it cannot write, and the next commit once the lock is gone clears it.
BOOST_FIXTURE_TEST_CASE(a_writer_blocked_by_a_lock_fails_within_its_timeout_and_recovers, fixture) {
  store->close();
  pg_timeouts t;
  t.writer = std::chrono::milliseconds(1000);
  store = open(false, t);
  BOOST_REQUIRE(insert_sync(*store, row(1, now_ms())));
  auto locker = std::make_unique<raw_session>(cluster.uri(db));
  locker->exec("BEGIN");
  locker->exec("LOCK TABLE events IN ACCESS EXCLUSIVE MODE");
  const auto t0 = std::chrono::steady_clock::now();
  const auto r = insert_within(*store, row(2, now_ms()), std::chrono::seconds(4));
  BOOST_TEST_MESSAGE("blocked insert completed after "
                     << std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0).count()
                     << " ms");
  BOOST_TEST((r == std::optional<bool>(false)));
  const auto p = store->problem().value_or("");
  BOOST_TEST(p.rfind("PostgreSQL cannot write: ", 0) == 0, p);
  BOOST_TEST(store->problem_may_clear());
  locker->exec("ROLLBACK");
  locker.reset();
  // The session was dropped and comes back at once; a commit clears the problem.
  BOOST_TEST(test_support::wait_until([&] { return insert_within(*store, row(3, now_ms()), std::chrono::seconds(3)) == true; },
                                      std::chrono::seconds(5)));
  BOOST_TEST(!store->problem());
  BOOST_TEST(!store->problem_may_clear());
  BOOST_TEST(logged_with("storage failure") == 1u);
  BOOST_TEST(count("SELECT count(*) FROM events WHERE uuid = '" + test_support::test_uuid(2) + "'") == 0);
}

// close() returns while the writer is stuck behind a lock.
BOOST_FIXTURE_TEST_CASE(close_does_not_hang_on_a_stuck_statement, fixture) {
  store->close();
  pg_timeouts t;
  t.writer = std::chrono::milliseconds(1000);
  store = open(false, t);
  raw_session locker(cluster.uri(db));
  locker.exec("BEGIN");
  locker.exec("LOCK TABLE events IN ACCESS EXCLUSIVE MODE");
  std::atomic<int> done{0};
  for (int i = 0; i < 3; ++i) store->insert(row(i, now_ms()), [&](bool) { ++done; });
  const auto t0 = std::chrono::steady_clock::now();
  store->close();
  BOOST_TEST((std::chrono::steady_clock::now() - t0 < std::chrono::seconds(4)));
  BOOST_TEST(done.load() == 3);
  locker.exec("ROLLBACK");
}

// Opening a store beside a long read (an open cursor holds ACCESS SHARE on
// events) takes no lock that would queue ingest: nothing is missing, so no
// ALTER and no partition DDL.
BOOST_FIXTURE_TEST_CASE(opening_beside_a_long_read_does_not_block_ingest, fixture) {
  BOOST_REQUIRE(insert_sync(*store, row(1, now_ms())));
  auto reader = std::make_unique<raw_session>(cluster.uri(db));
  reader->exec("BEGIN");
  reader->exec("DECLARE c NO SCROLL CURSOR FOR SELECT * FROM events");
  reader->exec("FETCH 1 FROM c");
  auto opened = std::async(std::launch::async, [this] { return open(); });
  const bool open_done = opened.wait_for(std::chrono::seconds(3)) == std::future_status::ready;
  BOOST_TEST(open_done);
  BOOST_TEST((insert_within(*store, row(2, now_ms()), std::chrono::seconds(2)) == std::optional<bool>(true)));
  // Nobody waits for a lock on events.
  BOOST_TEST(count("SELECT count(*) FROM pg_locks WHERE NOT granted AND relation = 'events'::regclass") == 0);
  reader->exec("COMMIT");
  reader.reset();
  auto second = opened.get();
  BOOST_TEST(insert_sync(*second, row(3, now_ms())));
  second->close();
}

// A session that cannot write for a reason no retry of one event fixes (a
// read-only database: after a failover, or default_transaction_read_only):
// each batch fails as one, health says so (logged once), the session is
// dropped and reconnected, and the next commit clears it.
BOOST_FIXTURE_TEST_CASE(a_read_only_session_fails_the_store_once_and_recovers_on_commit, fixture) {
  store->close();
  // target_session_attrs=any: the URI overrides the default read-write, so
  // that the reconnects land on the read-only database.
  store = open(false, {}, "?target_session_attrs=any");
  BOOST_REQUIRE(insert_sync(*store, row(1, now_ms())));
  cluster.exec("postgres", "ALTER DATABASE " + db + " SET default_transaction_read_only = on");
  cluster.exec("postgres",
               "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '" + db +
                   "' AND application_name LIKE 'telemetry-collector%'");
  BOOST_TEST(test_support::wait_until(
      [&] {
        insert_within(*store, row(2, now_ms()), std::chrono::seconds(2));
        return store->problem().value_or("").rfind("PostgreSQL cannot write", 0) == 0;
      },
      std::chrono::seconds(5)));
  for (int i = 0; i < 20; ++i) BOOST_TEST((insert_within(*store, row(10 + i, now_ms()), std::chrono::seconds(2)) != true));
  BOOST_TEST(store->problem().value_or("") == "PostgreSQL cannot write: read-only transaction");
  BOOST_TEST(store->problem_may_clear());
  BOOST_TEST(logged_with("PostgreSQL cannot write") == 1u);
  BOOST_TEST(logged_with("a write failed") == 0u);
  cluster.exec("postgres", "ALTER DATABASE " + db + " RESET default_transaction_read_only");
  BOOST_TEST(test_support::wait_until(
      [&] { return insert_within(*store, row(50, now_ms()), std::chrono::seconds(2)) == true; },
      std::chrono::seconds(5)));
  BOOST_TEST(!store->problem());
  BOOST_TEST(logged_with("storage works again") >= 1u);
}

// Jobs run in queue order: an erasure deletes what arrived before it, never
// an event that arrived after it (and was acknowledged).
BOOST_FIXTURE_TEST_CASE(a_batch_runs_its_jobs_in_queue_order, fixture) {
  const clock_ms now = now_ms();
  BOOST_REQUIRE(insert_sync(*store, row(1, now)));
  BOOST_REQUIRE(insert_sync(*store, row(2, now)));
  // Hold the writer in a batch of its own, so that the next jobs queue up
  // and run as one batch.
  auto locker = std::make_unique<raw_session>(cluster.uri(db));
  locker->exec("BEGIN");
  locker->exec("LOCK TABLE events IN ROW EXCLUSIVE MODE; LOCK TABLE day_changes IN ACCESS EXCLUSIVE MODE");
  std::atomic<int> done{0}, ok{0};
  std::atomic<std::int64_t> erased1{-1}, erased2{-1};
  store->erase(test_support::test_uuid(9), [&](bool c, std::int64_t) { ok += c; ++done; });  // holds the writer
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  store->erase(test_support::test_uuid(1), [&](bool c, std::int64_t n) { ok += c; erased1 = n; ++done; });
  store->insert(row(1, now + 1), [&](bool c) { ok += c; ++done; });
  store->insert(row(2, now + 2), [&](bool c) { ok += c; ++done; });
  store->erase(test_support::test_uuid(2), [&](bool c, std::int64_t n) { ok += c; erased2 = n; ++done; });
  locker->exec("COMMIT");
  locker.reset();
  BOOST_REQUIRE(test_support::wait_until([&] { return done.load() == 5; }, std::chrono::seconds(5)));
  BOOST_TEST(ok.load() == 5);
  BOOST_TEST(erased1.load() == 1);
  BOOST_TEST(erased2.load() == 2);
  BOOST_TEST(count("SELECT count(*) FROM events WHERE uuid = '" + test_support::test_uuid(1) + "'") == 1);
  BOOST_TEST(count("SELECT count(*) FROM events WHERE uuid = '" + test_support::test_uuid(2) + "'") == 0);
}

// export and cleanup open with must_exist: no DDL; a database the collector
// never set up, or one with an older schema, is refused.
BOOST_FIXTURE_TEST_CASE(must_exist_refuses_a_database_without_the_schema_or_with_an_older_one, fixture) {
  const auto empty = cluster.create_database();
  try {
    open_pg_store(cluster.uri(empty), storage_options{}, true);
    BOOST_FAIL("an empty database was accepted");
  } catch (const std::runtime_error& e) {
    const std::string what = e.what();
    BOOST_TEST(what.find("not a telemetry-collector database (no collector_schema table); serve or import creates it") !=
               std::string::npos, what);
  }
  BOOST_TEST(std::stoll(cluster.query_value(empty, "SELECT count(*) FROM pg_class WHERE relname IN "
                                                   "('collector_schema', 'events')").value_or("-1")) == 0);
  // Current: opens, reads.
  auto ro = open(true);
  BOOST_TEST(export_all(*ro).empty());
  ro->close();
  cluster.exec(db, "UPDATE collector_schema SET version = 1");
  try {
    open(true);
    BOOST_FAIL("an older schema was accepted");
  } catch (const std::runtime_error& e) {
    const std::string what = e.what();
    BOOST_TEST(what.find("run serve once to migrate") != std::string::npos, what);
  }
  BOOST_TEST(count("SELECT version FROM collector_schema") == 1);
}

// Migration 2 (day_changes) applies to a version-1 database at open, and
// every day with a partition is looked at once more.
// Version 1 as it was: no day_changes, no settings. A database that holds
// events counts as one that was collecting.
BOOST_FIXTURE_TEST_CASE(a_version_1_database_is_migrated_to_the_current_schema, fixture) {
  BOOST_REQUIRE(insert_sync(*store, row(1, k_day0)));
  store->close();
  store.reset();
  cluster.exec(db,
               "DROP TABLE day_changes; DROP TABLE settings_history; DELETE FROM collector_meta WHERE key IN "
               "('collection', 'retention_days'); UPDATE collector_schema SET version = 1");
  store = open();
  BOOST_TEST(count("SELECT version FROM collector_schema") == k_pg_schema_version);
  BOOST_TEST(store->read_settings().collection);
  BOOST_TEST(store->read_settings().retention_days == k_default_retention_days);
  BOOST_TEST(store->settings_history(10).empty());
  BOOST_TEST(count("SELECT count(*) FROM day_changes WHERE day = " + std::to_string(k_day0 / k_day_ms)) == 1);
  maintenance_request req;
  req.retention = false;
  req.now = now_ms();
  BOOST_TEST(store->run_maintenance(req).days_aggregated == 1);
  BOOST_TEST(count("SELECT count(*) FROM day_changes") == 0);
  BOOST_TEST(count("SELECT active_nodes FROM day_summary WHERE day = " + std::to_string(k_day0 / k_day_ms)) == 1);
}

// Version 2 as the previous release left it (no settings): migrated to 3,
// and a database that held events counts as collecting; the history is empty.
BOOST_FIXTURE_TEST_CASE(a_version_2_database_gets_the_settings_as_a_collecting_one, fixture) {
  BOOST_REQUIRE(insert_sync(*store, row(1, now_ms())));
  store->close();
  store.reset();
  cluster.exec(db,
               "DROP TABLE settings_history; DELETE FROM collector_meta WHERE key IN ('collection', "
               "'retention_days'); UPDATE collector_schema SET version = 2");
  // The CLI's must_exist open refuses it, naming what to do.
  BOOST_CHECK_EXCEPTION(open(true), std::runtime_error, [](const std::runtime_error& e) {
    return std::string(e.what()).find("run serve once to migrate") != std::string::npos;
  });
  store = open();
  BOOST_TEST(count("SELECT version FROM collector_schema") == 3);
  BOOST_TEST(store->read_settings().collection);
  BOOST_TEST(store->settings_history(10).empty());
  BOOST_TEST(count("SELECT count(*) FROM events") == 1);
}

// A new database: collection off, and the history keeps the newest 100
// even where the sequence skipped ids.
BOOST_FIXTURE_TEST_CASE(the_history_keeps_the_newest_changes_across_id_gaps, fixture) {
  BOOST_TEST(!store->read_settings().collection);
  for (int i = 0; i < 50; ++i) store->update_settings(settings_update{std::nullopt, 1 + i % 2}, "api", 1000 + i);
  cluster.exec(db, "SELECT setval('settings_history_id_seq', 500)");
  for (int i = 50; i < 120; ++i) store->update_settings(settings_update{std::nullopt, 1 + i % 2}, "api", 1000 + i);
  const auto h = store->settings_history(1000);
  BOOST_TEST(h.size() == k_settings_history);
  BOOST_TEST(h.front().at == 1119);
  BOOST_TEST(h.back().at == 1020);
}

// libpq may quote the connection string: no form of the password gets out.
BOOST_AUTO_TEST_CASE(no_form_of_the_password_is_in_a_message) {
  auto& cluster = pg_cluster::shared();
  const std::string uri = "postgresql://postgres:s3cr%zzet@127.0.0.1:" + std::to_string(cluster.port()) + "/x";
  try {
    open_pg_store(uri, storage_options{});
    BOOST_FAIL("opened");
  } catch (const std::runtime_error& e) {
    const std::string what = e.what();
    BOOST_TEST_MESSAGE(what);
    BOOST_TEST(what.find("s3cr") == std::string::npos, what);
    BOOST_TEST(what.find("zzet") == std::string::npos, what);
  }
  const auto secrets = pg::uri_secrets("postgresql://u:pa%41ss@h/db?sslmode=disable&password=ot%20her");
  const auto s = pg::scrub("a paAss b pa%41ss c ot her d ot%20her", secrets);
  BOOST_TEST(s == "a **** b **** c **** d ****");
}

// Every instance refreshes disk_bytes each pass, not only the one that holds
// the maintenance lock.
BOOST_FIXTURE_TEST_CASE(disk_bytes_is_refreshed_without_the_maintenance_lock, fixture) {
  auto second = open();
  const auto before = second->disk_bytes();
  std::vector<event_row> rows;
  for (int i = 0; i < 2000; ++i) rows.push_back(row(i, now_ms()));
  BOOST_REQUIRE(store->import_events(std::move(rows)).ok);
  raw_session holder(cluster.uri(db));
  holder.exec("SELECT pg_advisory_lock(" + std::to_string(k_pg_lock_space) + ", " +
              std::to_string(k_pg_maintenance_lock) + ")");
  maintenance_request req;
  req.now = now_ms();
  BOOST_TEST(!second->run_maintenance(req).ran);
  BOOST_TEST(second->disk_bytes() > before + 100'000);
  second->close();
}

BOOST_AUTO_TEST_CASE(a_database_not_in_utf8_is_refused) {
  auto& cluster = pg_cluster::shared();
  const std::string name = "latin_" + std::to_string(::getpid());
  cluster.exec("postgres", "CREATE DATABASE " + name + " ENCODING 'SQL_ASCII' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0");
  try {
    open_pg_store(cluster.uri(name), storage_options{});
    BOOST_FAIL("a SQL_ASCII database was accepted");
  } catch (const std::runtime_error& e) {
    const std::string what = e.what();
    BOOST_TEST(what.find("ENCODING 'UTF8'") != std::string::npos, what);
  }
  BOOST_TEST(pg::quote_literal("it's") == "'it''s'");
  BOOST_TEST(pg::quote_literal("a\\b") == "E'a\\\\b'");
}

// A value PostgreSQL refuses fails its own event only, and is logged once
// per change of state, not once per event; the store stays healthy.
BOOST_FIXTURE_TEST_CASE(a_refused_value_fails_its_event_only_and_is_logged_once, fixture) {
  auto bad = [] {
    auto r = row(1, now_ms());
    auto broken = json::parse(k_kubo_example_payload).as_object();
    broken["uuid"] = "not-a-uuid";
    r.values = flat_event::from_object(broken, log_event_fields());
    return r;
  };
  std::atomic<int> done{0}, ok{0};
  for (int i = 0; i < 10; ++i) store->insert(bad(), [&](bool c) { ok += c; ++done; });
  BOOST_REQUIRE(test_support::wait_until([&] { return done.load() == 10; }, std::chrono::seconds(5)));
  BOOST_TEST(ok.load() == 0);
  for (int i = 0; i < 5; ++i) BOOST_TEST(!insert_sync(*store, bad()));
  BOOST_TEST(logged_with("a write failed") == 1u);
  BOOST_TEST(!store->problem());
  BOOST_TEST(insert_sync(*store, row(2, now_ms())));
  BOOST_TEST(!insert_sync(*store, bad()));
  BOOST_TEST(logged_with("a write failed") == 2u);
  // Mixed in one batch: only the refused ones fail.
  done = 0;
  for (int i = 0; i < 10; ++i) store->insert(i % 2 ? row(100 + i, now_ms()) : bad(), [&](bool c) { ok += c; ++done; });
  BOOST_REQUIRE(test_support::wait_until([&] { return done.load() == 10; }, std::chrono::seconds(5)));
  BOOST_TEST(ok.load() == 5);
}

// A stop cancels the statement of a maintenance pass in flight: the pass
// returns at once instead of waiting for a lock (or its 60 s timeout).
BOOST_FIXTURE_TEST_CASE(a_maintenance_pass_stuck_on_a_lock_ends_when_cancelled, fixture) {
  raw_session locker(cluster.uri(db));
  locker.exec("BEGIN");
  locker.exec("LOCK TABLE day_changes IN ACCESS EXCLUSIVE MODE");
  std::atomic<bool> cancel{false};
  maintenance_request req;
  req.retention = false;
  req.now = now_ms();
  req.cancel = &cancel;
  auto pass = std::async(std::launch::async, [&] { return store->run_maintenance(req); });
  BOOST_TEST((pass.wait_for(std::chrono::milliseconds(300)) == std::future_status::timeout));
  const auto t0 = std::chrono::steady_clock::now();
  cancel = true;
  BOOST_TEST((pass.wait_for(std::chrono::seconds(2)) == std::future_status::ready));
  BOOST_TEST((std::chrono::steady_clock::now() - t0 < std::chrono::seconds(2)));
  locker.exec("ROLLBACK");
  BOOST_CHECK_NO_THROW(pass.get());
}

BOOST_AUTO_TEST_SUITE_END()
