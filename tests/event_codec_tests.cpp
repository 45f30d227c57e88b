#include "sqlite_codec.hpp"
#include "sqlite_store.hpp"
#include "kubo_example.hpp"
#include "payload_validator.hpp"
#include "schema_validator.hpp"
#include "sqlite_statement.hpp"
#include "support/test_support.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <fstream>

using namespace telemetry_collector;
namespace json = boost::json;

namespace {

std::string empty_file(const std::filesystem::path& p) {
  std::ofstream{p};
  return p.string();
}

struct fixture {
  test_support::temp_dir dir;
  sqlite_connection db{empty_file(dir.path() / "c.db"), false};
  fixture() { db.exec("CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL)"); }
};

json::object example() { return json::parse(k_kubo_example_payload).as_object(); }

}  // namespace

BOOST_AUTO_TEST_SUITE(event_codec_tests)

BOOST_AUTO_TEST_CASE(the_layout_is_the_schemas_properties_in_order) {
  const auto fields = schema_fields(log_event_schema_text());
  const auto schema = json::parse(log_event_schema_text()).as_object();
  const auto& props = schema.at("properties").as_object();
  BOOST_REQUIRE(fields.size() == props.size());
  std::size_t i = 0;
  for (const auto& kv : props) BOOST_TEST(fields[i++] == std::string(kv.key()));
  BOOST_TEST(fields.front() == "uuid");
}

BOOST_FIXTURE_TEST_CASE(round_trip_in_a_quarter_of_the_space, fixture) {
  const auto enc = event_encoder::for_fields(db.get(), schema_fields(log_event_schema_text()));
  BOOST_TEST(enc.layout() == 1);
  const auto event = example();
  const auto stored = enc.encode(event);
  BOOST_TEST(stored.front() == '[');
  BOOST_TEST(stored.size() * 3 < json::serialize(event).size(), stored.size());
  BOOST_TEST(event_decoder::load(db.get()).decode(stored) == event);
}

BOOST_FIXTURE_TEST_CASE(an_event_read_without_a_dom_is_stored_as_its_object_is, fixture) {
  const auto enc = event_encoder::for_fields(db.get(), schema_fields(log_event_schema_text()));
  const auto* fast = payload_validator().compiled();
  BOOST_REQUIRE(fast);
  flat_event flat;
  auto event = example();
  BOOST_REQUIRE(fast->read_flat(json::serialize(event), flat));
  BOOST_TEST(enc.encode(flat) == enc.encode(event));
  // Without one of its optional fields: null in the same place.
  const auto schema = json::parse(log_event_schema_text());
  const auto& required = schema.at("required").as_array();
  for (const auto& kv : schema.at("properties").as_object()) {
    if (std::find(required.begin(), required.end(), json::value(kv.key())) != required.end()) continue;
    auto fewer = event;
    fewer.erase(kv.key());
    BOOST_REQUIRE(fast->read_flat(json::serialize(fewer), flat));
    BOOST_TEST(enc.encode(flat) == enc.encode(fewer), kv.key());
  }
  // A layout that is not the schema's order: written through the object, still equal.
  fixture other;
  const auto shuffled = event_encoder::for_fields(other.db.get(), {"platform_os", "uuid"});
  BOOST_REQUIRE(fast->read_flat(json::serialize(event), flat));
  BOOST_TEST(shuffled.encode(flat) == shuffled.encode(to_object(flat)));
}

BOOST_AUTO_TEST_CASE(strings_are_escaped_as_boost_json_does) {
  std::vector<std::string> samples = {"", "plain", "quote\" and \\ back", "tab\tnl\ncr\rff\fbs\b", "\x7f del",
                                      "é 日本語 \xf0\x9f\x99\x82", std::string("nul\0in", 6), "/slash/"};
  std::string all_ascii;
  for (int c = 0; c < 0x80; ++c) all_ascii += static_cast<char>(c);
  samples.push_back(all_ascii);
  for (const auto& s : samples) {
    std::string mine;
    append_json_string(mine, s);
    BOOST_TEST(mine == json::serialize(json::string_view(s)), s);
  }
}

BOOST_FIXTURE_TEST_CASE(an_absent_field_is_null_and_stays_absent, fixture) {
  const auto enc = event_encoder::for_fields(db.get(), {"uuid", "extra", "platform_os"});
  json::object event{{"uuid", "u-1"}, {"platform_os", "linux"}};
  const auto stored = enc.encode(event);
  BOOST_TEST(stored == R"([1,"u-1",null,"linux"])");
  const auto back = event_decoder::load(db.get()).decode(stored);
  BOOST_TEST(back == event);
  BOOST_TEST(!back.contains("extra"));
}

BOOST_FIXTURE_TEST_CASE(a_field_outside_the_layout_keeps_the_whole_object, fixture) {
  const auto enc = event_encoder::for_fields(db.get(), {"uuid"});
  json::object event{{"uuid", "u-1"}, {"other", 5}};
  const auto stored = enc.encode(event);
  BOOST_TEST(json::parse(stored) == event);
  BOOST_TEST(event_decoder::load(db.get()).decode(stored) == event);
  // And a default encoder (no layout) writes objects.
  BOOST_TEST(json::parse(event_encoder{}.encode(event)) == event);
}

BOOST_FIXTURE_TEST_CASE(layouts_are_found_again_and_old_ones_still_read, fixture) {
  const auto first = event_encoder::for_fields(db.get(), {"uuid", "a"});
  const auto old_row = first.encode(json::object{{"uuid", "u-1"}, {"a", true}});
  BOOST_TEST(event_encoder::for_fields(db.get(), {"uuid", "a"}).layout() == first.layout());
  // A schema with another field list: a new layout; rows of the first still decode.
  const auto second = event_encoder::for_fields(db.get(), {"uuid", "a", "b"});
  BOOST_TEST(second.layout() == first.layout() + 1);
  const auto new_row = second.encode(json::object{{"uuid", "u-2"}, {"a", false}, {"b", 7}});
  const auto dec = event_decoder::load(db.get());
  BOOST_TEST(dec.decode(old_row) == (json::object{{"uuid", "u-1"}, {"a", true}}));
  BOOST_TEST(dec.decode(new_row) == (json::object{{"uuid", "u-2"}, {"a", false}, {"b", 7}}));
  // Rows written as objects (import before layouts, earlier builds) read as they are.
  BOOST_TEST(dec.decode(R"({"uuid":"u-3"})") == (json::object{{"uuid", "u-3"}}));
}

BOOST_FIXTURE_TEST_CASE(what_cannot_be_decoded_is_an_error_naming_it, fixture) {
  (void)event_encoder::for_fields(db.get(), {"uuid"});
  const auto dec = event_decoder::load(db.get());
  BOOST_CHECK_THROW(dec.decode("not json"), std::runtime_error);
  BOOST_CHECK_THROW(dec.decode(R"("a string")"), std::runtime_error);
  BOOST_CHECK_THROW(dec.decode(R"([9,"u"])"), std::runtime_error);    // unknown layout
  BOOST_CHECK_THROW(dec.decode(R"([1,"u","x"])"), std::runtime_error);  // wrong length
  db.exec(R"(INSERT INTO meta(key, value) VALUES('event_layout:2', '{"not":"a list"}'))");
  try {
    (void)event_decoder::load(db.get());
    BOOST_FAIL("a bad layout was accepted");
  } catch (const std::runtime_error& e) {
    BOOST_TEST(std::string(e.what()).find("layout 2") != std::string::npos, e.what());
  }
}

BOOST_AUTO_TEST_CASE(the_store_registers_the_schemas_layout_once) {
  test_support::temp_dir dir;
  const auto path = (dir.path() / "c.db").string();
  std::int64_t layout = 0;
  {
    sqlite_store store(path);
    layout = store.encoder().layout();
    BOOST_TEST(layout == 1);
  }
  sqlite_store again(path);
  BOOST_TEST(again.encoder().layout() == layout);
  auto db = again.reader();
  statement st(db->get(), "SELECT count(*) FROM meta WHERE key LIKE 'event_layout:%'");
  BOOST_REQUIRE(st.step());
  BOOST_TEST(st.int64(0) == 1);
}

BOOST_AUTO_TEST_SUITE_END()
