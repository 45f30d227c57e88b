#include "sqlite_store.hpp"
#include "kubo_example.hpp"
#include "payload_validator.hpp"
#include "retention.hpp"
#include "sqlite_statement.hpp"
#include "ndjson.hpp"
#include "sqlite_queries.hpp"
#include "support/test_support.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/string.hpp>
#include <boost/test/unit_test.hpp>

using namespace telemetry_collector;
namespace json = boost::json;

namespace {

std::string uuid_n(int i) { return test_support::test_uuid(static_cast<unsigned>(i)); }

constexpr clock_ms k_day0 = 20'000 * k_day_ms;  // 2024-10-04, a fixed "today - N"

void put(sqlite_store& store, int node, clock_ms at, const char* os = "linux", bool accelerated = false) {
  auto doc = json::parse(k_kubo_example_payload).as_object();
  doc["uuid"] = uuid_n(node);
  doc["platform_os"] = os;
  doc["routing_accelerated_dht_client"] = accelerated;
  BOOST_REQUIRE(store.insert_sync(stored_event{at, uuid_n(node), json::serialize(doc)}));
}

std::int64_t rows(sqlite_store& store) {
  auto db = store.reader();
  statement st(db->get(), "SELECT count(*) FROM events");
  st.step();
  return st.int64(0);
}

json::object stats(sqlite_store& store, int days, clock_ms now) {
  auto db = store.reader();
  return read_stats(*db, days, now);
}

struct fixture {
  test_support::temp_dir dir;
  sqlite_store store{(dir.path() / "c.db").string()};
};

}  // namespace

BOOST_AUTO_TEST_SUITE(retention_tests)

// Databases hold rows of both forms: objects (import before layouts, earlier
// builds) and layout arrays (ingest now). Aggregates and export read both alike.
BOOST_FIXTURE_TEST_CASE(object_rows_and_layout_rows_count_and_export_alike, fixture) {
  std::vector<json::object> events;
  for (int node = 1; node <= 4; ++node) {
    auto doc = json::parse(k_kubo_example_payload).as_object();
    doc["uuid"] = uuid_n(node);
    doc["platform_os"] = node % 2 ? "linux" : "darwin";
    const auto stored = node <= 2 ? json::serialize(doc) : store.encoder().encode(doc);
    BOOST_TEST(stored.front() == (node <= 2 ? '{' : '['));
    BOOST_REQUIRE(store.insert_sync(stored_event{k_day0 + node, uuid_n(node), stored}));
    events.push_back(doc);
  }
  BOOST_TEST(aggregate_changed_days(store) == 1);
  const auto s = stats(store, 1, k_day0 + 10);
  const auto& day = s.at("days").as_array().at(0).as_object();
  BOOST_TEST(day.at("active_nodes").as_int64() == 4);
  BOOST_TEST(day.at("fields").at("platform_os").at("linux").as_int64() == 2);
  BOOST_TEST(day.at("fields").at("platform_os").at("darwin").as_int64() == 2);
  BOOST_TEST(day.at("fields").at("agent_version").at("kubo/0.43.0/").as_int64() == 4);

  auto db = store.reader();
  std::vector<json::object> exported;
  export_events(*db, 0, 100, [&](std::string line) { exported.push_back(json::parse(line).at("event").as_object()); });
  BOOST_REQUIRE(exported.size() == events.size());
  for (std::size_t i = 0; i < events.size(); ++i) BOOST_TEST(exported[i] == events[i]);
}

BOOST_FIXTURE_TEST_CASE(aggregates_count_each_node_once_by_its_last_event, fixture) {
  put(store, 1, k_day0 + 1000, "linux");
  put(store, 1, k_day0 + 2000, "darwin");  // node 1's last event of the day
  put(store, 2, k_day0 + 3000, "linux", true);
  put(store, 3, k_day0 + k_day_ms + 5, "windows");  // the next day
  BOOST_TEST(aggregate_changed_days(store) == 2);

  const auto s = stats(store, 2, k_day0 + k_day_ms + 10);
  const auto& days = s.at("days").as_array();
  BOOST_REQUIRE(days.size() == 2u);
  const auto& d0 = days[0].as_object();
  BOOST_TEST(d0.at("date").as_string() == day_to_date(k_day0 / k_day_ms));
  BOOST_TEST(d0.at("active_nodes").as_int64() == 2);
  const auto& os = d0.at("fields").at("platform_os").as_object();
  BOOST_TEST(os.at("darwin").as_int64() == 1);
  BOOST_TEST(os.at("linux").as_int64() == 1);
  BOOST_TEST(d0.at("fields").at("routing_accelerated_dht_client").at("true").as_int64() == 1);
  BOOST_TEST(d0.at("fields").at("repo_size_bucket").at("5368709120").as_int64() == 2);
  BOOST_TEST(!d0.at("fields").as_object().contains("uuid"));  // never aggregated
  BOOST_TEST(days[1].at("active_nodes").as_int64() == 1);
  // Unchanged days are not recomputed.
  BOOST_TEST(aggregate_changed_days(store) == 0);
}

BOOST_FIXTURE_TEST_CASE(a_changed_day_is_recomputed, fixture) {
  put(store, 1, k_day0 + 1000);
  BOOST_TEST(aggregate_changed_days(store) == 1);
  put(store, 2, k_day0 + 2000);
  BOOST_TEST(aggregate_changed_days(store) == 1);
  BOOST_TEST(stats(store, 1, k_day0).at("days").at(0).at("active_nodes").as_int64() == 2);
}

BOOST_FIXTURE_TEST_CASE(retention_deletes_old_days_and_keeps_their_aggregates, fixture) {
  for (int i = 0; i < 25; ++i) put(store, i, k_day0 + i);          // day0
  put(store, 100, k_day0 + 9 * k_day_ms);                            // day0 + 9
  const clock_ms now = k_day0 + 10 * k_day_ms + 5;                    // day0 + 10
  auto report = run_maintenance(store, 5, now);
  BOOST_TEST(report.days_aggregated == 2);
  BOOST_TEST(report.rows_deleted == 25);
  BOOST_TEST(rows(store) == 1);
  // The deleted day's aggregates outlive its raw events.
  const auto s = stats(store, 30, now);
  BOOST_REQUIRE(s.at("days").as_array().size() == 2u);
  BOOST_TEST(s.at("days").at(0).at("active_nodes").as_int64() == 25);
}

BOOST_FIXTURE_TEST_CASE(retention_counts_whole_utc_days, fixture) {
  put(store, 1, k_day0);                    // first ms of day0
  put(store, 2, k_day0 + k_day_ms - 1);     // last ms of day0
  put(store, 3, k_day0 + k_day_ms);         // day0 + 1
  // On day0 + 2 with 1 day retention: day0 goes, day0 + 1 stays.
  auto report = run_maintenance(store, 1, k_day0 + 2 * k_day_ms);
  BOOST_TEST(report.rows_deleted == 2);
  BOOST_TEST(rows(store) == 1);
}

BOOST_FIXTURE_TEST_CASE(deletion_goes_in_chunks_and_seals_the_day, fixture) {
  for (int i = 0; i < 45; ++i) put(store, i % 7, k_day0 + i);
  BOOST_TEST(aggregate_changed_days(store) == 1);
  const auto before = store.batches_committed();
  auto report = delete_expired(store, 1, k_day0 + 3 * k_day_ms, 10);
  BOOST_TEST(report.rows_deleted == 45);
  BOOST_TEST(store.batches_committed() - before >= 5u);  // 10 + 10 + 10 + 10 + 5
  // Sealed: a late import into that day does not change its aggregates.
  put(store, 50, k_day0 + 100);
  BOOST_TEST(aggregate_changed_days(store) == 0);
  BOOST_TEST(stats(store, 10, k_day0 + 3 * k_day_ms).at("days").at(0).at("active_nodes").as_int64() == 7);
}

BOOST_FIXTURE_TEST_CASE(days_without_aggregates_are_not_deleted, fixture) {
  put(store, 1, k_day0);
  auto report = delete_expired(store, 1, k_day0 + 5 * k_day_ms);
  BOOST_TEST(report.rows_deleted == 0);
  BOOST_TEST(report.days_skipped == 1);
  BOOST_TEST(rows(store) == 1);
}

BOOST_FIXTURE_TEST_CASE(stats_window_is_the_last_n_days, fixture) {
  for (int d = 0; d < 10; ++d) put(store, d, k_day0 + d * k_day_ms);
  aggregate_changed_days(store);
  const clock_ms now = k_day0 + 9 * k_day_ms;
  BOOST_TEST(stats(store, 1, now).at("days").as_array().size() == 1u);
  BOOST_TEST(stats(store, 3, now).at("days").as_array().size() == 3u);
  BOOST_TEST(stats(store, 90, now).at("days").as_array().size() == 10u);
}

BOOST_FIXTURE_TEST_CASE(active_nodes_in_a_window, fixture) {
  put(store, 1, k_day0 + 10);
  put(store, 1, k_day0 + 20);
  put(store, 2, k_day0 + 30);
  put(store, 3, k_day0 - 1);
  auto db = store.reader();
  BOOST_TEST(active_nodes_since(*db, k_day0) == 2);
}

BOOST_FIXTURE_TEST_CASE(export_lines_import_back, fixture) {
  put(store, 1, k_day0 + 1234);
  std::vector<std::string> lines;
  auto db = store.reader();
  export_events(*db, 0, 100, [&](std::string l) { lines.push_back(std::move(l)); });
  BOOST_REQUIRE(lines.size() == 1u);
  const auto line = json::parse(lines[0]).as_object();
  BOOST_TEST(line.at("received_at").as_string() == "2024-10-04T00:00:01.234Z");
  BOOST_TEST(line.at("event").at("uuid").as_string() == uuid_n(1));
  auto back = parse_import_line(lines[0], payload_validator());
  BOOST_TEST(back.error.empty());
  BOOST_TEST(back.event.received_at == k_day0 + 1234);
  BOOST_TEST(back.event.uuid == uuid_n(1));
}

namespace {
std::int64_t sum_of(const value_counts& v) {
  std::int64_t n = 0;
  for (const auto& [value, nodes] : v) n += nodes;
  return n;
}
}  // namespace

BOOST_AUTO_TEST_CASE(fold_keeps_the_top_values_and_folds_the_rest) {
  value_counts many;
  for (int i = 0; i < 500; ++i) many.emplace_back("v" + std::to_string(i), 1 + i % 7);
  many.emplace_back("popular", 1000);
  const auto folded = fold_values(many);
  BOOST_TEST(folded.size() == k_max_values_per_field);
  BOOST_TEST(folded.front().first == "popular");
  BOOST_TEST(folded.back().first == std::string(k_other_value));
  BOOST_TEST(sum_of(folded) == sum_of(many));
  // The kept ones are the most common: 71 values have 7 nodes, the next most common 6.
  for (std::size_t i = 1; i + 1 < folded.size(); ++i) {
    BOOST_TEST(folded[i].second >= 6);
    BOOST_TEST(folded[i].second <= folded[i - 1].second);
  }
}

BOOST_AUTO_TEST_CASE(fold_leaves_a_small_field_alone_and_merges_a_posted_other) {
  value_counts few{{"linux", 3}, {"darwin", 5}};
  auto same = fold_values(few);
  BOOST_TEST(same.size() == 2u);
  BOOST_TEST(same.front().first == "darwin");  // more nodes first
  value_counts with_other{{"linux", 3}, {std::string(k_other_value), 2}};
  auto merged = fold_values(with_other);
  BOOST_TEST(merged.size() == 2u);
  BOOST_TEST(merged.back().first == std::string(k_other_value));
  BOOST_TEST(merged.back().second == 2);
  BOOST_TEST(fold_values({}).empty());
}

BOOST_AUTO_TEST_CASE(fold_bounds_the_bytes_of_long_values) {
  value_counts longs;
  for (int i = 0; i < 90; ++i) longs.emplace_back(std::string(120, 'a') + std::to_string(1000 + i), 1);
  const auto folded = fold_values(longs, 100, 4096);
  BOOST_TEST(folded.size() < 90u);
  BOOST_TEST(folded.back().first == std::string(k_other_value));
  std::size_t bytes = 0;
  for (const auto& [value, n] : folded) bytes += json::serialize(json::string(value)).size() + 24;
  BOOST_TEST(bytes <= 4096u);
  BOOST_TEST(sum_of(folded) == 90);
}

// Aggregates, as written, hold the fold: whatever was posted, a field has
// at most k_max_values_per_field entries and its counts add up to the day's nodes.
BOOST_FIXTURE_TEST_CASE(aggregates_of_a_day_with_many_values_are_folded, fixture) {
  const clock_ms now = k_day0 + 1000;
  for (int node = 1; node <= 300; ++node) {
    auto doc = json::parse(k_kubo_example_payload).as_object();
    doc["uuid"] = uuid_n(node);
    doc["agent_version"] = "kubo/" + uuid_n(node);
    BOOST_REQUIRE(store.insert_sync(stored_event{now, uuid_n(node), json::serialize(doc)}));
  }
  BOOST_TEST(aggregate_changed_days(store) == 1);
  auto db = store.reader();
  statement st(db->get(), "SELECT count(*), sum(nodes) FROM day_field_counts WHERE field = 'agent_version'");
  BOOST_REQUIRE(st.step());
  BOOST_TEST(st.int64(0) == static_cast<std::int64_t>(k_max_values_per_field));
  BOOST_TEST(st.int64(1) == 300);
  const auto s = stats(store, 1, now);
  const auto& versions = s.at("days").at(0).at("fields").at("agent_version").as_object();
  BOOST_TEST(versions.size() == k_max_values_per_field);
  BOOST_TEST(versions.at(k_other_value).as_int64() == 300 - static_cast<std::int64_t>(k_max_values_per_field - 1));
}

BOOST_AUTO_TEST_CASE(import_lines_are_validated) {
  const std::string event = json::serialize(json::parse(k_kubo_example_payload));
  BOOST_TEST(parse_import_line(R"({"received_at":"2026-11-22T10:00:00Z","event":)" + event + "}", payload_validator())
                 .error.empty());
  BOOST_TEST(parse_import_line(R"({"received_at":"2026-11-22 10:00","event":)" + event + "}", payload_validator())
                 .error.starts_with("received_at"));
  BOOST_TEST(parse_import_line(R"({"received_at":"2026-11-22T10:00:00+02:00","event":)" + event + "}", payload_validator())
                 .error.starts_with("received_at"));
  auto bad = json::parse(k_kubo_example_payload).as_object();
  bad["platform_os"] = 3;
  BOOST_TEST(parse_import_line(R"({"received_at":"2026-11-22T10:00:00Z","event":)" + json::serialize(bad) + "}",
                               payload_validator())
                 .error.find("platform_os") != std::string::npos);
  BOOST_TEST(!parse_import_line(R"({"received_at":"2026-11-22T10:00:00Z"})", payload_validator()).error.empty());
  BOOST_TEST(!parse_import_line("not json", payload_validator()).error.empty());
}

BOOST_AUTO_TEST_CASE(rfc3339_parsing) {
  BOOST_TEST(parse_rfc3339_utc("1970-01-01T00:00:00Z") == 0);
  BOOST_TEST(parse_rfc3339_utc("1970-01-02T00:00:00.5Z") == k_day_ms + 500);
  BOOST_TEST(parse_rfc3339_utc("2024-10-04T00:00:00+00:00") == k_day0);
  BOOST_TEST(parse_rfc3339_utc("2024-02-30T00:00:00Z") == -1);
  BOOST_TEST(parse_rfc3339_utc("2024-10-04T24:00:00Z") == -1);
  BOOST_TEST(parse_rfc3339_utc("2024-10-04T00:00:00") == -1);
  BOOST_TEST(parse_rfc3339_utc("") == -1);
}

BOOST_AUTO_TEST_CASE(a_days_counts_name_the_nodes_that_did_not_report_a_field) {
  // 10 nodes: 4 of an older shape without provide_dht_sweep_enabled.
  std::map<std::string, value_counts> reported;
  reported["platform_os"] = {{"linux", 7}, {"darwin", 3}};
  reported["provide_dht_sweep_enabled"] = {{"true", 5}, {"false", 1}};
  const std::vector<std::string> fields{"uuid", "platform_os", "provide_dht_sweep_enabled", "provide_dht_interval_custom"};
  const auto out = complete_day_counts(reported, 10, fields);
  BOOST_TEST(!out.count("uuid"));
  BOOST_TEST(out.at("platform_os").size() == 2u);  // every node reported it: no (absent)
  const auto& sweep = out.at("provide_dht_sweep_enabled");
  BOOST_TEST(sum_of(sweep) == 10);
  BOOST_TEST(sweep.back().first == std::string(k_absent_value));
  BOOST_TEST(sweep.back().second == 4);
  // A field no node reported: all of them under (absent).
  const auto& interval = out.at("provide_dht_interval_custom");
  BOOST_TEST(interval.size() == 1u);
  BOOST_TEST(interval.front().second == 10);
  BOOST_TEST(interval.front().first == std::string(k_absent_value));
}

BOOST_AUTO_TEST_CASE(a_posted_absent_value_is_not_mistaken_for_the_nodes_that_did_not_report) {
  std::map<std::string, value_counts> reported;
  reported["agent_version"] = {{"kubo/0.43.0/", 3}, {std::string(k_absent_value), 2}};
  const auto out = complete_day_counts(reported, 6, {"agent_version"});
  const auto& v = out.at("agent_version");
  BOOST_TEST(sum_of(v) == 6);
  std::map<std::string, std::int64_t> m(v.begin(), v.end());
  BOOST_TEST(m.at(std::string(k_absent_value)) == 1);  // the one node that did not send it
  BOOST_TEST(m.at(std::string(k_other_value)) == 2);   // the two that sent "(absent)" as text
}

BOOST_AUTO_TEST_CASE(fold_keeps_absent_whatever_the_bounds) {
  value_counts many;
  for (int i = 0; i < 300; ++i) many.emplace_back("v" + std::to_string(i), 5);
  many.emplace_back(std::string(k_absent_value), 1);  // the least common of all
  const auto folded = fold_values(many);
  BOOST_TEST(folded.size() == k_max_values_per_field);
  BOOST_TEST(sum_of(folded) == sum_of(many));
  BOOST_TEST(folded.back().first == std::string(k_absent_value));
  BOOST_TEST(folded.back().second == 1);
  BOOST_TEST(folded[folded.size() - 2].first == std::string(k_other_value));
  // Folding again (as read_stats does) changes nothing.
  BOOST_TEST((fold_values(folded) == folded));
}

BOOST_AUTO_TEST_SUITE_END()
