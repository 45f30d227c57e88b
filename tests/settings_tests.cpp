// The collector's settings (settings.hpp): the PUT body's rules, the
// settings a running collector follows, and how each storage engine keeps
// them (and the other engine additions made with them: the idempotent
// import, the retention preview's count).
#include "kubo_example.hpp"
#include "pg_store.hpp"
#include "retention.hpp"
#include "schema_validator.hpp"
#include "settings.hpp"
#include "sqlite_store.hpp"
#include "support/pg_cluster.hpp"
#include "support/test_support.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/test/data/test_case.hpp>
#include <boost/test/unit_test.hpp>

#include <sqlite3.h>

using namespace telemetry_collector;
using test_support::pg_cluster;
namespace json = boost::json;
namespace data = boost::unit_test::data;

namespace {

constexpr clock_ms k_day0 = 20'000 * k_day_ms;  // 2024-10-04

event_row row(int node, clock_ms at) {
  auto doc = json::parse(k_kubo_example_payload).as_object();
  doc["uuid"] = test_support::test_uuid(static_cast<unsigned>(node));
  event_row r;
  r.received_at = at;
  r.uuid = test_support::test_uuid(static_cast<unsigned>(node));
  r.values = flat_event::from_object(doc, log_event_fields());
  return r;
}

const std::vector<std::string> k_engines{"sqlite", "postgresql"};

struct engine_db {
  explicit engine_db(const std::string& engine) {
    if (engine == "sqlite") {
      uri = (dir.path() / "collector.db").string();
    } else {
      auto& cluster = pg_cluster::shared();
      name = cluster.create_database("settings");
      uri = cluster.uri(name);
    }
  }
  std::unique_ptr<storage> open() const { return open_storage(uri, storage_options{}); }
  std::size_t raw_events() const {
    const auto s = open();
    const auto cursor = s->open_export();
    std::string out;
    while (cursor->next(1000, out)) {
    }
    s->close();
    return static_cast<std::size_t>(std::count(out.begin(), out.end(), '\n'));
  }
  test_support::temp_dir dir;
  std::string name, uri;
};

}  // namespace

BOOST_AUTO_TEST_SUITE(settings_tests)

BOOST_AUTO_TEST_CASE(a_put_body_names_the_key_at_fault_and_what_it_accepts) {
  auto ok = parse_settings_update(R"({"collection": "on", "retention_days": 30})");
  BOOST_TEST(ok.ok());
  BOOST_TEST(ok.update.collection.value());
  BOOST_TEST(ok.update.retention_days.value() == 30);
  ok = parse_settings_update(R"({"retention_days": 730})");
  BOOST_TEST(ok.ok());
  BOOST_TEST(!ok.update.collection.has_value());
  BOOST_TEST(parse_settings_update(R"({"collection": "off"})").update.collection.value() == false);

  struct bad_case {
    const char* body;
    const char* field;
  };
  for (const auto& c : {bad_case{R"({"collection": "yes"})", "collection"},
                        bad_case{R"({"collection": true})", "collection"},
                        bad_case{R"({"retention_days": 0})", "retention_days"},
                        bad_case{R"({"retention_days": 731})", "retention_days"},
                        bad_case{R"({"retention_days": -5})", "retention_days"},
                        bad_case{R"({"retention_days": 30.0})", "retention_days"},
                        bad_case{R"({"retention_days": "30"})", "retention_days"},
                        bad_case{R"({"retention_days": 18446744073709551615})", "retention_days"},
                        bad_case{R"({"collection": "on", "retain": 3})", "retain"},
                        bad_case{R"({})", ""},
                        bad_case{R"([1])", ""},
                        bad_case{R"({"collection": "on")", ""},
                        bad_case{R"("on")", ""}}) {
    const auto r = parse_settings_update(c.body);
    BOOST_TEST(!r.ok(), c.body);
    BOOST_TEST(r.field == c.field, c.body);
  }
  BOOST_TEST(parse_settings_update(R"({"retention_days": 0})").detail ==
             "expected a whole number of days from 1 to 730");
  BOOST_TEST(parse_settings_update(R"({"collection": 1})").detail == R"(expected "on" or "off")");
}

BOOST_AUTO_TEST_CASE(an_update_records_only_what_changed) {
  collector_settings s;  // off, 90
  std::vector<settings_change> changes;
  auto next = apply_update(s, settings_update{false, 90}, 1000, "api", changes);
  BOOST_TEST(changes.empty());
  BOOST_TEST((next == s));
  next = apply_update(s, settings_update{true, 30}, 2000, "command line", changes);
  BOOST_REQUIRE(changes.size() == 2u);
  BOOST_TEST(changes[0].setting == "collection");
  BOOST_TEST(changes[0].old_value == "off");
  BOOST_TEST(changes[0].new_value == "on");
  BOOST_TEST(changes[1].setting == "retention_days");
  BOOST_TEST(changes[1].old_value == "90");
  BOOST_TEST(changes[1].new_value == "30");
  BOOST_TEST(changes[1].via == "command line");
  BOOST_TEST(next.collection_changed_at == 2000);
  BOOST_TEST(next.retention_changed_at == 2000);
  BOOST_TEST(next.version == s.version + 1);

  const auto o = settings_json(next, changes);
  BOOST_TEST(o.at("collection").as_string() == "on");
  BOOST_TEST(o.at("retention_days").as_int64() == 30);
  BOOST_TEST(o.at("collection_changed_at").as_string() == "1970-01-01T00:00:02.000Z");
  BOOST_TEST(settings_json(s, {}).at("retention_days_changed_at").is_null());
  BOOST_TEST(o.at("history").as_array().size() == 2u);
  BOOST_TEST(o.at("history").as_array()[0].as_object().size() == 5u);  // at, setting, old, new, via: nothing else
}

BOOST_AUTO_TEST_CASE(a_running_collector_never_goes_back_to_an_older_read) {
  collector_settings first;
  settings_state state(first);
  std::vector<std::pair<collector_settings, collector_settings>> seen;
  state.on_change([&](const collector_settings& b, const collector_settings& a) { seen.emplace_back(b, a); });
  std::vector<settings_change> changes;
  const auto second = apply_update(first, settings_update{true, 7}, 5, "api", changes);
  state.apply(second);
  BOOST_TEST(state.collecting());
  BOOST_TEST(state.retention_days() == 7);
  state.apply(first);  // a read made before the change landed
  BOOST_TEST(state.collecting());
  state.apply(second);  // the same again: no change
  BOOST_REQUIRE(seen.size() == 1u);
  BOOST_TEST(seen[0].first.retention_days == 90);
  BOOST_TEST(seen[0].second.retention_days == 7);
}

BOOST_DATA_TEST_CASE(a_new_database_starts_with_collection_off_and_90_days, data::make(k_engines), engine) {
  engine_db db(engine);
  auto s = db.open();
  const auto settings = s->read_settings();
  BOOST_TEST(!settings.collection);
  BOOST_TEST(settings.retention_days == 90);
  BOOST_TEST(settings.collection_changed_at == 0);
  BOOST_TEST(s->settings_history(100).empty());
}

BOOST_DATA_TEST_CASE(settings_are_saved_with_their_history_and_survive_a_reopen, data::make(k_engines), engine) {
  engine_db db(engine);
  {
    auto s = db.open();
    auto after = s->update_settings(settings_update{true, std::nullopt}, "api", k_day0);
    BOOST_TEST(after.collection);
    after = s->update_settings(settings_update{true, 30}, "command line", k_day0 + 1000);  // collection unchanged
    BOOST_TEST(after.retention_days == 30);
    BOOST_TEST(after.collection_changed_at == k_day0);
    BOOST_TEST(after.retention_changed_at == k_day0 + 1000);
    s->close();
  }
  auto s = db.open();
  const auto read = s->read_settings();
  BOOST_TEST(read.collection);
  BOOST_TEST(read.retention_days == 30);
  BOOST_TEST(read.collection_changed_at == k_day0);
  BOOST_TEST(read.version == 2);
  const auto h = s->settings_history(100);
  BOOST_REQUIRE(h.size() == 2u);
  BOOST_TEST(h[0].setting == "retention_days");  // newest first
  BOOST_TEST(h[0].old_value == "90");
  BOOST_TEST(h[0].new_value == "30");
  BOOST_TEST(h[0].via == "command line");
  BOOST_TEST(h[0].at == k_day0 + 1000);
  BOOST_TEST(h[1].setting == "collection");
  BOOST_TEST(h[1].new_value == "on");
  BOOST_TEST(h[1].via == "api");

  // The history keeps the last k_settings_history changes.
  for (int i = 0; i < 110; ++i) s->update_settings(settings_update{std::nullopt, 1 + i % 2}, "api", k_day0 + i);
  const auto kept = s->settings_history(1000);
  BOOST_TEST(kept.size() == k_settings_history);
  BOOST_TEST(kept.front().at == k_day0 + 109);
}

BOOST_AUTO_TEST_CASE(an_earlier_sqlite_database_with_events_counts_as_collecting) {
  test_support::temp_dir dir;
  const auto path = (dir.path() / "old.db").string();
  {
    sqlite_store s(path);
    std::vector<event_row> rows;
    rows.push_back(row(1, now_ms()));
    BOOST_REQUIRE(s.import_events(std::move(rows)).ok);
    s.close();
  }
  // As an earlier build left it: no settings rows, no history table.
  sqlite3* db = nullptr;
  BOOST_REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
  BOOST_REQUIRE(sqlite3_exec(db, "DELETE FROM meta WHERE key <> 'schema_version'; DROP TABLE settings_history",
                             nullptr, nullptr, nullptr) == SQLITE_OK);
  sqlite3_close(db);
  sqlite_store s(path);
  BOOST_TEST(s.read_settings().collection);
  BOOST_TEST(s.read_settings().retention_days == 90);
  BOOST_TEST(s.settings_history(10).empty());
}

BOOST_DATA_TEST_CASE(importing_the_same_events_twice_stores_them_once, data::make(k_engines), engine) {
  engine_db db(engine);
  const clock_ms at = now_ms();
  auto three = [&] {
    std::vector<event_row> rows;
    for (int i = 0; i < 3; ++i) rows.push_back(row(i, at + i));
    return rows;
  };
  {
    auto s = db.open();
    auto r = s->import_events(three());
    BOOST_TEST(r.ok);
    BOOST_TEST(r.imported == 3u);
    BOOST_TEST(r.already_stored == 0u);
    r = s->import_events(three());
    BOOST_TEST(r.ok);
    BOOST_TEST(r.imported == 0u);
    BOOST_TEST(r.already_stored == 3u);
    auto more = three();
    more.push_back(row(0, at + 10));  // the same node later: a new event
    more.push_back(row(7, at));       // another node at the same time: a new event
    r = s->import_events(std::move(more));
    BOOST_TEST(r.imported == 2u);
    BOOST_TEST(r.already_stored == 3u);
    s->close();
  }
  BOOST_TEST(db.raw_events() == 5u);
}

// SQLite compares stored text first; a row stored in another form (another
// layout, after a schema change, or an object by an early build) is compared
// as the event it decodes to, so an older export imported again is still
// imported once. (PostgreSQL compares columns.)
BOOST_AUTO_TEST_CASE(importing_again_finds_events_stored_in_another_form) {
  test_support::temp_dir dir;
  const auto path = (dir.path() / "collector.db").string();
  const clock_ms at = now_ms();
  auto two = [&] {
    std::vector<event_row> rows;
    rows.push_back(row(1, at));
    auto old = row(2, at);  // an older release's shape: absent values too
    auto doc = json::parse(k_kubo_example_payload).as_object();
    doc["uuid"] = test_support::test_uuid(2);
    doc.erase("provide_dht_sweep_enabled");
    old.values = flat_event::from_object(doc, log_event_fields());
    rows.push_back(std::move(old));
    return rows;
  };
  {
    sqlite_store s(path);
    BOOST_TEST(s.import_events(two()).imported == 2u);
    s.close();
  }
  // Each row rewritten as the JSON object an earlier build stored.
  {
    sqlite3* db = nullptr;
    BOOST_REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
    std::vector<std::pair<std::int64_t, std::string>> objects;
    {
      sqlite3_stmt* st = nullptr;
      BOOST_REQUIRE(sqlite3_prepare_v2(db, "SELECT id, event FROM events", -1, &st, nullptr) == SQLITE_OK);
      const auto decoder = event_decoder::load(db);
      while (sqlite3_step(st) == SQLITE_ROW)
        objects.emplace_back(sqlite3_column_int64(st, 0),
                             json::serialize(decoder.decode(reinterpret_cast<const char*>(sqlite3_column_text(st, 1)))));
      sqlite3_finalize(st);
    }
    BOOST_REQUIRE(objects.size() == 2u);
    for (const auto& [id, text] : objects) {
      BOOST_REQUIRE(text.front() == '{');
      const std::string sql = "UPDATE events SET event = '" + text + "' WHERE id = " + std::to_string(id);
      BOOST_REQUIRE(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr) == SQLITE_OK);
    }
    sqlite3_close(db);
  }
  sqlite_store s(path);
  const auto again = s.import_events(two());
  BOOST_TEST(again.ok);
  BOOST_TEST(again.imported == 0u);
  BOOST_TEST(again.already_stored == 2u);
  // A different event at the same time of the same node is still new.
  std::vector<event_row> other;
  auto changed = row(1, at);
  auto doc = json::parse(k_kubo_example_payload).as_object();
  doc["uuid"] = test_support::test_uuid(1);
  doc["platform_os"] = "freebsd";
  changed.values = flat_event::from_object(doc, log_event_fields());
  other.push_back(std::move(changed));
  BOOST_TEST(s.import_events(std::move(other)).imported == 1u);
  s.close();
}

BOOST_DATA_TEST_CASE(the_retention_preview_counts_what_a_pass_deletes, data::make(k_engines), engine) {
  engine_db db(engine);
  auto s = db.open();
  const std::int64_t today = now_ms() / k_day_ms;
  std::vector<event_row> rows;
  for (int age : {40, 40, 40, 20, 20, 1, 0})
    rows.push_back(row(static_cast<int>(rows.size()), (today - age) * k_day_ms + 3600'000));
  BOOST_REQUIRE(s->import_events(std::move(rows)).ok);
  BOOST_TEST(s->raw_events_before_day(first_kept_day(now_ms(), 90)) == 0);
  BOOST_TEST(s->raw_events_before_day(first_kept_day(now_ms(), 30)) == 3);
  BOOST_TEST(s->raw_events_before_day(first_kept_day(now_ms(), 10)) == 5);
  BOOST_TEST(s->raw_events_before_day(first_kept_day(now_ms(), 1)) == 5);  // yesterday is kept with one day
  // What the pass really deletes, once aggregated.
  maintenance_request req;
  req.retention_days = 10;
  req.now = now_ms();
  const auto report = s->run_maintenance(req);
  BOOST_TEST(report.rows_deleted == 5);
  BOOST_TEST(s->raw_events_before_day(first_kept_day(now_ms(), 10)) == 0);
}

BOOST_AUTO_TEST_SUITE_END()
