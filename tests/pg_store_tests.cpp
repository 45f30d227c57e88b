// The PostgreSQL engine through the storage interface, against a real
// PostgreSQL 15 cluster of this test process (tests/support/pg_cluster).
#include "kubo_example.hpp"
#include "pg_rules.hpp"
#include "pg_store.hpp"
#include "schema_validator.hpp"
#include "support/pg_cluster.hpp"
#include "support/test_support.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/test/unit_test.hpp>

#include <atomic>
#include <future>
#include <mutex>
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
  std::unique_ptr<storage> open() {
    storage_options o;
    o.serve = true;
    o.log = [this](const std::string& l) {
      std::lock_guard lk(log_mutex);
      log.push_back(l);
    };
    return open_pg_store(cluster.uri(db), o);
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
  BOOST_REQUIRE(store->import_events(std::move(rows)));
  maintenance_request req;
  req.retention = false;
  req.now = k_day0 + k_day_ms / 2;
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
  pg::value_counts expected;
  std::map<std::string, std::int64_t> by_os;
  ++by_os["os-1"];
  for (int node = 2; node <= 150; ++node) ++by_os["os-" + std::to_string(node % 120)];
  for (auto& [v, n] : by_os) expected.emplace_back(v, n);
  expected = pg::fold(expected);
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
  BOOST_TEST(store->read_stats(1, req.now).at("days").at(0).at("active_nodes").as_int64() == 149);
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
  BOOST_REQUIRE(store->import_events(imported()));
  const auto lines = export_all(*store);
  BOOST_REQUIRE(lines.size() == 3u);
  // By id: the live event first, then the imported ones in their order.
  const auto second = json::parse(lines[1]).as_object();
  BOOST_TEST(second.at("received_at").as_string() == "2024-10-04T00:00:00.005Z");
  auto expected = json::parse(k_kubo_example_payload).as_object();
  expected["uuid"] = test_support::test_uuid(2);
  expected["platform_os"] = "darwin";
  // Members in the schema's order, as event_object() and export_line() give them.
  BOOST_TEST(lines[1] + "\n" == export_line(k_day0 + 5, expected));
  BOOST_TEST(json::parse(lines[2]).at("event").at("routing_accelerated_dht_client").as_bool());

  // The same events into a second database: the same export.
  const auto db2 = cluster.create_database();
  auto other = open_pg_store(cluster.uri(db2), storage_options{});
  std::vector<event_row> all;
  all.push_back(row(1, live));
  for (auto& r : imported()) all.push_back(std::move(r));
  BOOST_REQUIRE(other->import_events(std::move(all)));
  BOOST_TEST(export_all(*other) == lines);

  // All or nothing: one bad row (a uuid PostgreSQL refuses) and nothing is kept.
  std::vector<event_row> bad;
  bad.push_back(row(9, k_day0));
  bad.push_back(row(10, k_day0));
  auto broken = json::parse(k_kubo_example_payload).as_object();
  broken["uuid"] = "not-a-uuid";
  bad.back().values = flat_event::from_object(broken, log_event_fields());
  BOOST_TEST(!other->import_events(std::move(bad)));
  BOOST_TEST(export_all(*other).size() == 3u);
  other->close();
}

BOOST_AUTO_TEST_SUITE_END()
