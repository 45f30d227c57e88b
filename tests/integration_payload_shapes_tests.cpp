// Every Kubo release's payload against the real collector, on each engine:
// the fixtures in tests/data/kubo_payloads (Kubo's key order, its
// indentation) are accepted and exported back with exactly their own keys;
// the stats of a mixed fleet count each field over the nodes that report it;
// a key from a newer release is dropped before anything is stored (or
// refused with --strict-schema), counted, and named once in the log.
#include "support/integration.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/test/data/monomorphic.hpp>
#include <boost/test/data/test_case.hpp>
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>

using namespace test_support;
namespace http = boost::beast::http;
namespace json = boost::json;
namespace data = boost::unit_test::data;

namespace {

const char* const k_added_in_0_39[] = {"provide_dht_sweep_enabled", "provide_dht_interval_custom",
                                       "provide_dht_max_workers_custom"};

// The fixtures: file name -> text, as the release sends it.
std::map<std::string, std::string> fixtures() {
  std::map<std::string, std::string> out;
  for (const auto& e : std::filesystem::directory_iterator(TEST_DATA_DIR "/kubo_payloads"))
    if (e.path().extension() == ".json") out[e.path().filename().string()] = read_text(e.path());
  return out;
}

// A fixture's text with its uuid replaced (the rest, whitespace included, as sent).
std::string with_uuid(std::string text, const std::string& uuid) {
  const auto at = text.find("\"uuid\": \"") + 9;
  return text.replace(at, 36, uuid);
}

json::object stats_day(const collector_process& c, std::int64_t nodes) {
  json::object day;
  BOOST_TEST(wait_until(
      [&] {
        const auto r = http_request(c.port(), http::verb::get, "/v1/stats?days=1");
        if (r.status != 200u) return false;
        const auto days = json::parse(r.body).at("days").as_array();
        if (days.empty() || days.back().at("active_nodes").as_int64() != nodes) return false;
        day = days.back().as_object();
        return true;
      },
      15s));
  return day;
}

std::size_t count_of(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(integration_payload_shapes_tests)

BOOST_DATA_TEST_CASE(every_releases_payload_is_accepted_and_exported_with_exactly_its_keys, data::make(k_engines),
                     engine) {
  temp_dir dir;
  collector_process c(dir.path(), {"--db", fresh_db(engine, dir.path())});
  const auto files = fixtures();
  BOOST_TEST_REQUIRE(files.size() >= 4u);
  std::map<std::string, json::object> sent;  // by uuid
  for (const auto& [name, text] : files) {
    BOOST_TEST_CONTEXT(name) {
      const auto r = http_request(c.port(), http::verb::post, "/", text);
      BOOST_TEST(r.status == 200u, r.body);
      const auto o = json::parse(text).as_object();
      sent[std::string(o.at("uuid").as_string())] = o;
    }
  }
  BOOST_REQUIRE(c.wait_for_events(files.size()));
  std::size_t older = 0;
  for (const auto& e : c.events()) {
    const auto& o = e.as_object();
    const std::string uuid(o.at("uuid").as_string());
    BOOST_TEST_CONTEXT(uuid) {
      BOOST_TEST_REQUIRE(sent.count(uuid));
      // The same keys and values: nothing added (no default for a key an older release lacks).
      BOOST_TEST(json::value(o) == json::value(sent.at(uuid)), json::serialize(o));
      older += o.size() == 25u;
    }
  }
  BOOST_TEST(older == 2u);  // 0.37.0 and 0.38.2
}

BOOST_DATA_TEST_CASE(a_mixed_fleets_stats_count_each_field_over_its_reporters, data::make(k_engines), engine) {
  temp_dir dir;
  collector_process c(dir.path(), {"--db", fresh_db(engine, dir.path()), "--aggregate-every", "1"});
  const auto files = fixtures();
  // 3 nodes on 0.37.0, 2 on 0.43.0: sweep enabled on the 0.43 fixture.
  for (unsigned i = 0; i < 3; ++i)
    BOOST_TEST(http_request(c.port(), http::verb::post, "/", with_uuid(files.at("kubo-0.37.0.json"), test_uuid(10 + i)))
                   .status == 200u);
  for (unsigned i = 0; i < 2; ++i)
    BOOST_TEST(http_request(c.port(), http::verb::post, "/", with_uuid(files.at("kubo-0.43.0.json"), test_uuid(20 + i)))
                   .status == 200u);
  const auto day = stats_day(c, 5);
  const auto& fields = day.at("fields").as_object();
  // Fields every release sends: no reserved value.
  BOOST_TEST(fields.at("platform_os").as_object().size() == 1u);
  BOOST_TEST(fields.at("platform_os").at("linux").as_int64() == 5);
  BOOST_TEST(!fields.at("platform_arch").as_object().contains("(absent)"));
  // The keys 0.39 added: the 3 older nodes under "(absent)", the values count only the 2 reporters.
  for (const char* k : k_added_in_0_39) {
    BOOST_TEST_CONTEXT(k) {
      const auto& m = fields.at(k).as_object();
      BOOST_TEST(m.at("(absent)").as_int64() == 3);
      std::int64_t sum = 0;
      for (const auto& [v, n] : m) sum += n.as_int64();
      BOOST_TEST(sum == 5);
    }
  }
  BOOST_TEST(fields.at("provide_dht_sweep_enabled").at("true").as_int64() == 2);
  BOOST_TEST(!fields.at("provide_dht_sweep_enabled").as_object().contains("false"));
  // Every field's map adds up to the day's active nodes.
  for (const auto& [field, m] : fields) {
    std::int64_t sum = 0;
    for (const auto& [v, n] : m.as_object()) sum += n.as_int64();
    BOOST_TEST(sum == 5, field);
  }
  BOOST_TEST(fields.size() == 27u);  // every field but uuid
}

BOOST_DATA_TEST_CASE(a_key_from_a_newer_release_is_dropped_before_it_is_stored, data::make(k_engines), engine) {
  temp_dir dir;
  const auto db = fresh_db(engine, dir.path());
  collector_process c(dir.path(), {"--db", db});
  const std::string marker_key = "kubo_0_50_new_flag_zq";
  const std::string marker_value = "value-of-the-new-key-qx";
  for (unsigned i = 0; i < 3; ++i) {
    auto o = json::parse(example_event(test_uuid(30 + i))).as_object();
    o[marker_key] = marker_value;
    if (i == 2) o["kubo_0_50_nested_zq"] = json::object{{"deep", json::array{1, 2, 3}}};  // the DOM path
    const auto r = http_request(c.port(), http::verb::post, "/", json::serialize(o));
    BOOST_TEST(r.status == 200u, r.body);
  }
  BOOST_REQUIRE(c.wait_for_events(3));
  for (const auto& e : c.events()) BOOST_TEST(e.as_object().size() == 28u);
  BOOST_TEST(metric_line(c, "telemetry_collector_events_unknown_keys_total") ==
             "telemetry_collector_events_unknown_keys_total 3");
  // Named once each, whatever the number of events; the value never.
  const auto log = c.log();
  BOOST_TEST(count_of(log, "\"" + marker_key + "\"") == 1u, log);
  BOOST_TEST(count_of(log, "\"kubo_0_50_nested_zq\"") == 1u, log);
  BOOST_TEST(log.find(marker_value) == std::string::npos, log);
  BOOST_TEST(log.find("deep") == std::string::npos, log);
  BOOST_TEST(c.stop() == 0);
  // Not in the database at all: the SQLite file's bytes, or every row of every PostgreSQL table.
  const auto stored = stored_text(db);
  BOOST_TEST_REQUIRE(stored.find(test_uuid(30)) != std::string::npos);  // the check can see an event
  BOOST_TEST(stored.find(marker_key) == std::string::npos);
  BOOST_TEST(stored.find(marker_value) == std::string::npos);
  BOOST_TEST(stored.find("kubo_0_50_nested_zq") == std::string::npos);
}

BOOST_DATA_TEST_CASE(strict_schema_refuses_a_key_no_shape_has, data::make(k_engines), engine) {
  temp_dir dir;
  collector_process c(dir.path(), {"--db", fresh_db(engine, dir.path()), "--strict-schema"});
  auto o = json::parse(with_uuid(fixtures().at("kubo-0.37.0.json"), test_uuid(40))).as_object();
  o["kubo_0_50_new_flag"] = true;
  const auto r = http_request(c.port(), http::verb::post, "/", json::serialize(o));
  BOOST_TEST(r.status == 400u);
  BOOST_TEST(json::parse(r.body).at("field").as_string() == "kubo_0_50_new_flag", r.body);
  // The older shapes themselves are still accepted.
  BOOST_TEST(http_request(c.port(), http::verb::post, "/", fixtures().at("kubo-0.38.2.json")).status == 200u);
  BOOST_TEST(metric_line(c, "telemetry_collector_events_unknown_keys_total") ==
             "telemetry_collector_events_unknown_keys_total 0");
}

BOOST_DATA_TEST_CASE(a_payload_between_shapes_is_refused_naming_a_missing_key, data::make(k_engines), engine) {
  temp_dir dir;
  collector_process c(dir.path(), {"--db", fresh_db(engine, dir.path())});
  auto o = json::parse(fixtures().at("kubo-0.37.0.json")).as_object();
  o["provide_dht_sweep_enabled"] = true;  // one of the three 0.39 added, not the others
  const auto r = http_request(c.port(), http::verb::post, "/", json::serialize(o));
  BOOST_TEST(r.status == 400u);
  BOOST_TEST(json::parse(r.body).at("field").as_string() == "provide_dht_interval_custom", r.body);
}

BOOST_DATA_TEST_CASE(import_accepts_every_shape_and_drops_unknown_keys, data::make(k_engines), engine) {
  temp_dir dir;
  const auto db = fresh_db(engine, dir.path());
  std::string ndjson;
  std::size_t n = 0;
  for (const auto& [name, text] : fixtures())
    ndjson += R"({"received_at":")" + days_ago(1) + R"(T10:00:00Z","event":)" +
              json::serialize(json::parse(with_uuid(text, test_uuid(50 + static_cast<unsigned>(n++))))) + "}\n";
  auto extra = json::parse(example_event(test_uuid(60))).as_object();
  extra["kubo_0_50_new_flag_import"] = 1;
  ndjson += R"({"received_at":")" + days_ago(1) + R"(T11:00:00Z","event":)" + json::serialize(extra) + "}\n";
  const auto file = dir.path() / "in.ndjson";
  std::ofstream(file) << ndjson;
  // --strict-schema: the line with the new key is a bad line, nothing imported.
  auto strict = run({std::string(COLLECTOR_BIN), "import", "--db", db, "--strict-schema", file.string()});
  BOOST_TEST(strict.exit_code == 1, strict.err);
  BOOST_TEST(strict.err.find("kubo_0_50_new_flag_import") != std::string::npos, strict.err);
  auto imported = run({std::string(COLLECTOR_BIN), "import", "--db", db, file.string()});
  BOOST_TEST(imported.exit_code == 0, imported.err);
  BOOST_TEST(imported.err.find("1 events in the file had keys no payload shape has") != std::string::npos, imported.err);
  BOOST_TEST(imported.err.find("\"kubo_0_50_new_flag_import\"") != std::string::npos, imported.err);
  const auto lines = export_lines(db);
  BOOST_TEST(lines.size() == n + 1);
  std::size_t older = 0;
  for (const auto& l : lines) {
    const auto& e = l.at("event").as_object();
    BOOST_TEST(!e.contains("kubo_0_50_new_flag_import"));
    older += e.size() == 25u;
  }
  BOOST_TEST(older == 2u);
  BOOST_TEST(stored_text(db).find("kubo_0_50_new_flag_import") == std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
