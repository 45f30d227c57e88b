// The compiled payload checker against valijson, the reference: the same
// verdict on the example event and on hundreds of one-field mutations of it,
// patterns against std::regex, and refusal of schemas outside its subset.
#include "compiled_schema.hpp"
#include "sqlite_codec.hpp"
#include "kubo_example.hpp"
#include "payload_validator.hpp"
#include "schema_validator.hpp"
#include "support/test_support.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <limits>
#include <regex>
#include <string>
#include <vector>

using namespace telemetry_collector;
namespace json = boost::json;

namespace {

json::object example() { return json::parse(k_kubo_example_payload).as_object(); }

bool has_nul(const json::value& v) {
  if (v.is_string()) return std::string_view(v.get_string()).find('\0') != std::string_view::npos;
  if (v.is_object())
    for (const auto& [k, m] : v.get_object())
      if (has_nul(m)) return true;
  return false;
}

// Values every field is tried with: each type, bounds and their neighbours.
std::vector<json::value> probe_values() {
  const json::array list = {
      true, false, nullptr, 0, -1, 1, 999999, 1000000, 1000001, 1.0, 0.5, -0.0,
      std::numeric_limits<std::int64_t>::min(), std::numeric_limits<std::int64_t>::max(),
      std::numeric_limits<std::uint64_t>::max(), 1073741824, 1073741824.0, 1073741825, 12094627905536,
      86400000000000, 2678400000000000, 2678400000000001, json::array{}, json::object{}, json::array{1},
      "", "a", "auto", "all", "enabled", "disabled", "legacy-v1", "Enabled", "Unknown", "Public", "Private",
      "public", "linux", "amd64", "LINUX", "linux ", "lin-ux", "linux\n", std::string(32, 'a'), std::string(33, 'a'),
      std::string(128, 'x'), std::string(129, 'x'),
      "f81d4fae-7dec-11d0-a765-00a0c91e6bf6", "F81D4FAE-7DEC-11D0-A765-00A0C91E6BF6",
      "f81d4fae-7dec-11d0-a765-00a0c91e6bf", "f81d4fae-7dec-11d0-a765-00a0c91e6bf6a",
      "f81d4fae7dec-11d0-a765-00a0c91e6bf6-", "g81d4fae-7dec-11d0-a765-00a0c91e6bf6",
      "kubo/0.43.0/", "é", "日本語"};
  std::vector<json::value> out(list.begin(), list.end());
  // 128 and 129 code points of two bytes each: maxLength counts characters, not bytes.
  std::string two_byte_128, two_byte_129;
  for (int i = 0; i < 128; ++i) two_byte_128 += "é";
  two_byte_129 = two_byte_128 + "é";
  out.emplace_back(two_byte_128);
  out.emplace_back(two_byte_129);
  // NUL inside: refused by the compiled checker whatever valijson thinks.
  out.emplace_back(std::string("linux\0x", 7));
  out.emplace_back(std::string("enabled\0", 8));
  out.emplace_back(std::string("f81d4fae-7dec-11d0-a765-00a0c91e6bf6\0", 37));
  return out;
}

// Every one-field mutation of the example: each probe value, removal, and an extra member.
std::vector<std::pair<std::string, json::object>> mutations() {
  std::vector<std::pair<std::string, json::object>> out;
  const auto base = example();
  const auto probes = probe_values();
  for (const auto& [key, value] : base) {
    for (const auto& probe : probes) {
      auto o = base;
      o[key] = probe;
      out.emplace_back(std::string(key), std::move(o));
    }
    auto removed = base;
    removed.erase(key);
    out.emplace_back(std::string(key), std::move(removed));
  }
  for (const char* extra : {"ip", "uuid2", "", "Uuid"}) {
    auto o = base;
    o[extra] = 1;
    out.emplace_back(extra, std::move(o));
  }
  return out;
}

// A one-property schema with `pattern`; nullptr if it does not compile.
std::optional<compiled_schema> pattern_schema(const std::string& pattern) {
  json::object prop{{"type", "string"}, {"pattern", pattern}};
  json::object schema{{"type", "object"}, {"additionalProperties", false}, {"properties", json::object{{"p", prop}}}};
  return compiled_schema::compile(schema);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(compiled_schema_tests)

BOOST_AUTO_TEST_CASE(the_payload_schema_compiles) {
  // If an edit to schemas/log_event.schema.json leaves the subset, ingest
  // silently falls back to valijson for every event: this test says so first.
  BOOST_TEST(payload_validator().compiled() != nullptr);
}

BOOST_AUTO_TEST_CASE(the_example_is_accepted_by_both) {
  const json::value doc = example();
  BOOST_TEST(payload_validator().compiled()->accepts(doc));
  BOOST_TEST(payload_validator().valijson_accepts(doc));
  BOOST_TEST(payload_validator().compiled()->check(doc).ok);
}

BOOST_AUTO_TEST_CASE(every_one_field_mutation_gets_valijsons_verdict) {
  const auto& v = payload_validator();
  const auto* fast = v.compiled();
  BOOST_REQUIRE(fast);
  std::size_t accepted = 0, refused = 0;
  for (const auto& [field, o] : mutations()) {
    const json::value doc = o;
    const bool mine = fast->accepts(doc);
    const bool reference = v.valijson_accepts(doc);
    const std::string text = json::serialize(doc);
    if (has_nul(doc)) {
      BOOST_TEST(!mine, "a NUL was accepted: " << text);
    } else {
      BOOST_TEST(mine == reference, "compiled " << mine << ", valijson " << reference << " for " << text);
    }
    // check() agrees with accepts() and names the member it refuses.
    const auto verdict = fast->check(doc);
    BOOST_TEST(verdict.ok == mine, text);
    if (!mine) {
      BOOST_TEST(verdict.field == field, text);
      BOOST_TEST(!verdict.reason.empty());
      // And validate() always explains a refusal with the field.
      const auto err = v.validate(doc);
      BOOST_TEST_REQUIRE(err.has_value(), text);
      BOOST_TEST(err->field == field, text);
    }
    (mine ? accepted : refused) += 1;
  }
  // The probes hit both sides for real.
  BOOST_TEST(accepted > 100u);
  BOOST_TEST(refused > 1000u);
}

// read_flat (no DOM) against parsing and accepts(): the same verdict on every
// mutation, in schema order and reversed, and the same values when accepted.
BOOST_AUTO_TEST_CASE(reading_without_a_dom_gives_the_parsers_verdict_and_values) {
  const auto* fast = payload_validator().compiled();
  BOOST_REQUIRE(fast);
  flat_event flat;
  std::size_t accepted = 0, refused = 0;
  for (const auto& [field, o] : mutations()) {
    json::object reversed;
    for (auto it = o.end(); it != o.begin();) {
      --it;
      reversed[it->key()] = it->value();
    }
    for (const json::object* order : {&o, static_cast<const json::object*>(&reversed)}) {
      const std::string text = json::serialize(*order);
      const bool parsed_verdict = fast->accepts(json::parse(text));
      const bool flat_verdict = fast->read_flat(text, flat);
      BOOST_TEST(flat_verdict == parsed_verdict, "read_flat " << flat_verdict << ", parse " << parsed_verdict
                                                              << " for " << text);
      if (flat_verdict) BOOST_TEST(json::value(to_object(flat)) == json::parse(text), text);
      (flat_verdict ? accepted : refused) += 1;
    }
  }
  BOOST_TEST(accepted > 200u);
  BOOST_TEST(refused > 2000u);
}

BOOST_AUTO_TEST_CASE(text_read_without_a_dom_as_the_parser_reads_it) {
  const auto* fast = payload_validator().compiled();
  const std::string ex = json::serialize(example());
  const std::string body = ex.substr(1, ex.size() - 2);  // the members, without braces
  flat_event flat;
  struct probe {
    std::string text;
    bool flat;  // what read_flat says
  };
  const std::vector<probe> probes = {
      {ex, true},
      {" \n\t" + ex + "\r\n ", true},                     // whitespace around, as the parser allows
      {"{\"\\u0075uid\"" + ex.substr(ex.find(':')), true},  // an escaped key is the same key
      {ex + "x", false},                                       // trailing data
      {ex + ex, false},
      {ex.substr(0, ex.size() - 1), false},                    // incomplete
      {"[" + ex + "]", false},
      {"", false},
      {"null", false},
      {"\"uuid\"", false},
      {"{" + body + ",\"uuid\":\"f81d4fae-7dec-11d0-a765-00a0c91e6bf6\"}", false},  // a key twice: for the parser
      {"{" + body + ",\"nested\":{\"a\":1}}", false},
      {"{" + body + ",\"list\":[1]}", false},
      {"{\"uuid\":{}," + body.substr(body.find(',') + 1) + "}", false},
      {"{" + body + "} // comment", false},
      {"{" + body + ",}", false},
  };
  for (const auto& p : probes) {
    BOOST_TEST(fast->read_flat(p.text, flat) == p.flat, p.text);
    boost::system::error_code ec;
    const auto doc = json::parse(p.text, ec);
    // Whatever read_flat accepts, the parser parses and accepts.
    if (p.flat) BOOST_TEST((!ec && fast->accepts(doc)), p.text);
  }
  // A key given twice is the parser's to judge: it keeps the last value, which conforms here.
  BOOST_TEST(fast->accepts(json::parse(probes[10].text)));
  // Escapes in values come out decoded.
  auto o = example();
  o["agent_version"] = "kubo/0.43.0/";
  std::string text = json::serialize(o);
  const auto at = text.find("kubo/0.43.0/");
  text.replace(at, 4, "\\u006bubo");
  BOOST_TEST_REQUIRE(fast->read_flat(text, flat), text);
  BOOST_TEST(json::value(to_object(flat)) == json::value(o));
}

BOOST_AUTO_TEST_CASE(a_nul_inside_a_string_is_refused_and_named) {
  auto o = example();
  o["agent_version"] = std::string("kubo/0.43.0/\0evil", 17);
  const auto err = payload_validator().validate(o);
  BOOST_TEST_REQUIRE(err.has_value());
  BOOST_TEST(err->field == "agent_version");
}

BOOST_AUTO_TEST_CASE(non_objects_are_refused) {
  for (const json::value& v : {json::value(nullptr), json::value(1), json::value("x"), json::value(json::array{})}) {
    BOOST_TEST(!payload_validator().compiled()->accepts(v));
    BOOST_TEST(!payload_validator().valijson_accepts(v));
  }
}

BOOST_AUTO_TEST_CASE(patterns_match_as_std_regex_does) {
  const std::vector<std::string> patterns = {
      "^[0-9a-f]{8}-[0-9a-f]{4}$", "^[a-z0-9]{1,32}$", "^abc$", "^[a-c]{2,3}x[0-9]{0,0}$", "^[-a]{2}$", "^\\.[a-z]{1,2}$",
      "^[A-Z_]{1,4}[0-9]{1,2}$"};
  const std::vector<std::string> samples = {
      "", "a", "abc", "abcd", "ab", "0123abcd-00ff", "0123abcd-00fg", "0123ABCD-00ff", "linux", std::string(32, 'z'),
      std::string(33, 'z'), "a-", "-a", "--", "aa", ".ab", ".abc", "xab", "AB12", "AB123", "A_B_1", "abx", "abcx",
      "aax", "abc\n", "\nabc"};
  for (const auto& p : patterns) {
    const auto schema = pattern_schema(p);
    if (p == "^[a-c]{2,3}x[0-9]{0,0}$") {
      BOOST_TEST(!schema.has_value(), "{0,0} is outside the subset");
      continue;
    }
    BOOST_TEST_REQUIRE(schema.has_value(), p);
    const std::regex re(p);
    for (const auto& s : samples) {
      const json::value doc = json::object{{"p", s}};
      BOOST_TEST(schema->accepts(doc) == std::regex_search(s, re), p << " on '" << s << "'");
    }
  }
}

BOOST_AUTO_TEST_CASE(patterns_outside_the_subset_are_not_compiled) {
  for (const char* p : {"abc", "^abc", "abc$", "^a+$", "^a*$", "^(ab)$", "^a|b$", "^.$", "^\\d{2}$", "^[^a]$",
                        "^[a-z]{1,3}[a-z]$", "^[a-z]{2,}$", "^[a-z$", "^[]$", "^[z-a]$", "^a{3,1}$"})
    BOOST_TEST(!pattern_schema(p).has_value(), p);
}

BOOST_AUTO_TEST_CASE(schemas_outside_the_subset_are_not_compiled) {
  const char* cases[] = {
      R"({"type":"object","properties":{"a":{"type":"string"}}})",  // open object
      R"({"type":"object","additionalProperties":false,"properties":{"a":{"type":"string","format":"date"}}})",
      R"({"type":"object","additionalProperties":false,"properties":{"a":{"type":"number"}}})",
      R"({"type":"object","additionalProperties":false,"properties":{"a":{"type":["string","null"]}}})",
      R"({"type":"object","additionalProperties":false,"properties":{"a":{"enum":["x"]}}})",  // untyped
      R"({"type":"object","additionalProperties":false,"properties":{"a":{"type":"boolean","maxLength":3}}})",
      R"({"type":"object","additionalProperties":false,"properties":{"a":{"type":"string"}},"required":["b"]})",
      R"({"type":"object","additionalProperties":false,"properties":{"a":{"type":"string"}},"minProperties":1})",
      R"({"type":"array"})",
      R"([])",
  };
  for (const char* text : cases) BOOST_TEST(!compiled_schema::compile(json::parse(text)).has_value(), text);
}

BOOST_AUTO_TEST_CASE(the_config_schema_still_validates_through_valijson) {
  // It is outside the subset (nested objects); validation must not depend on the compiled path.
  const schema_validator config(test_support::read_text(TELEMETRY_SCHEMA_DIR "/telemetry_config.schema.json"));
  BOOST_TEST(config.compiled() == nullptr);
  BOOST_TEST(!config.validate(json::parse(R"({"Mode":"on"})")).has_value());
  BOOST_TEST(config.validate(json::parse(R"({"Mode":"sometimes"})")).has_value());
}

// ---- Payload shapes: older releases' key sets, and keys from newer ones ----

namespace {

const char* const k_added_in_0_39[] = {"provide_dht_sweep_enabled", "provide_dht_interval_custom",
                                       "provide_dht_max_workers_custom"};

// Kubo 0.37's shape of the example: the newest without the three keys 0.39 added.
json::object kubo_0_37_example() {
  auto o = example();
  for (const char* k : k_added_in_0_39) o.erase(k);
  return o;
}

std::vector<std::filesystem::path> fixture_files() {
  std::vector<std::filesystem::path> out;
  for (const auto& e : std::filesystem::directory_iterator(TEST_DATA_DIR "/kubo_payloads"))
    if (e.path().extension() == ".json") out.push_back(e.path());
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

BOOST_AUTO_TEST_CASE(every_kubo_release_fixture_is_accepted_by_the_checker_and_by_valijson) {
  const auto& v = payload_validator();
  BOOST_TEST(v.shape_names().size() >= 2u);  // newest + kubo-0.37
  const auto files = fixture_files();
  BOOST_TEST_REQUIRE(files.size() >= 4u);
  for (const auto& f : files) {
    BOOST_TEST_CONTEXT(f.filename()) {
      const std::string text = test_support::read_text(f);
      const auto doc = json::parse(text);
      flat_event flat;
      std::vector<std::string> dropped{"stale"};
      BOOST_TEST(v.compiled()->read_flat(text, flat, unknown_members::refuse, &dropped));
      BOOST_TEST(dropped.empty());
      BOOST_TEST(!v.validate(doc).has_value());
      BOOST_TEST(v.valijson_accepts(doc));
      // Read as sent: the keys it has, none added.
      BOOST_TEST(json::value(to_object(flat)) == doc);
    }
  }
}

BOOST_AUTO_TEST_CASE(an_older_shape_is_stored_without_the_keys_it_lacks) {
  const auto old = kubo_0_37_example();
  flat_event flat;
  BOOST_TEST_REQUIRE(payload_validator().compiled()->read_flat(json::serialize(old), flat));
  for (const char* k : k_added_in_0_39)
    BOOST_TEST((flat.at(flat.index_of(k)).t == flat_event::type::absent), k);
  BOOST_TEST(flat.size() == 28u);
}

BOOST_AUTO_TEST_CASE(a_key_set_between_shapes_is_refused_naming_what_the_newest_misses) {
  const auto& v = payload_validator();
  // 0.37's keys and one of 0.39's: neither shape.
  auto o = kubo_0_37_example();
  o["provide_dht_sweep_enabled"] = true;
  auto err = v.validate(o);
  BOOST_TEST_REQUIRE(err.has_value());
  BOOST_TEST(err->field == "provide_dht_interval_custom");
  BOOST_TEST(!v.valijson_accepts(o));
  flat_event flat;
  BOOST_TEST(!v.compiled()->read_flat(json::serialize(o), flat));
  // A key every shape has, missing from an old event.
  auto no_os = kubo_0_37_example();
  no_os.erase("platform_os");
  err = v.validate(no_os);
  BOOST_TEST_REQUIRE(err.has_value());
  BOOST_TEST(err->field == "provide_dht_sweep_enabled");  // the first the newest shape misses
  BOOST_TEST(!v.valijson_accepts(no_os));
  // A wrong value in an old event is named with valijson's words.
  auto bad = kubo_0_37_example();
  bad["repo_size_bucket"] = 7;
  err = v.validate(bad);
  BOOST_TEST_REQUIRE(err.has_value());
  BOOST_TEST(err->field == "repo_size_bucket");
  BOOST_TEST(!err->message.empty());
}

BOOST_AUTO_TEST_CASE(every_subset_of_the_added_keys_gets_valijsons_verdict) {
  // Every combination of the three keys 0.39 added, on both shapes' bases,
  // with each one-field mutation of the rest: the checker and valijson's
  // anyOf over the shape schemas agree.
  const auto& v = payload_validator();
  std::size_t accepted = 0, refused = 0;
  for (unsigned mask = 0; mask < 8; ++mask) {
    auto base = example();
    for (unsigned b = 0; b < 3; ++b)
      if (!(mask & (1u << b))) base.erase(k_added_in_0_39[b]);
    std::vector<json::object> docs{base};
    for (const json::value& probe : {json::value(nullptr), json::value(3), json::value("x"), json::value(true)})
      for (const auto& [key, value] : base) {
        auto o = base;
        o[key] = probe;
        docs.push_back(std::move(o));
      }
    for (const auto& o : docs) {
      const json::value doc = o;
      const bool mine = v.compiled()->accepts(doc);
      BOOST_TEST(mine == v.valijson_accepts(doc), json::serialize(doc));
      flat_event flat;
      BOOST_TEST(v.compiled()->read_flat(json::serialize(doc), flat) == mine, json::serialize(doc));
      (mine ? accepted : refused)++;
    }
  }
  BOOST_TEST(accepted >= 2u);  // the two shapes themselves at least
  BOOST_TEST(refused > accepted);
}

BOOST_AUTO_TEST_CASE(unknown_keys_are_refused_or_dropped_and_named) {
  const auto& v = payload_validator();
  for (const auto& base : {example(), kubo_0_37_example()}) {
    auto o = base;
    o["a_key_of_kubo_0_50"] = true;
    o["nested_new_thing"] = json::object{{"deep", json::array{1, 2}}};
    const std::string text = json::serialize(o);
    // Refused: the strict behaviour (serve --strict-schema).
    auto err = v.validate(o, unknown_members::refuse);
    BOOST_TEST_REQUIRE(err.has_value());
    BOOST_TEST(err->field == "a_key_of_kubo_0_50");
    // Dropped: judged without them, and named in order.
    std::vector<std::string> dropped;
    BOOST_TEST(!v.validate(o, unknown_members::drop, &dropped).has_value());
    BOOST_TEST((dropped == std::vector<std::string>{"a_key_of_kubo_0_50", "nested_new_thing"}));
    // The flat reader leaves an unknown scalar out itself; a nested one is left to the DOM.
    flat_event flat;
    BOOST_TEST(!v.compiled()->read_flat(text, flat, unknown_members::drop, &dropped));
    o.erase("nested_new_thing");
    o["another"] = "a string value";
    BOOST_TEST_REQUIRE(v.compiled()->read_flat(json::serialize(o), flat, unknown_members::drop, &dropped));
    BOOST_TEST((dropped == std::vector<std::string>{"a_key_of_kubo_0_50", "another"}));
    BOOST_TEST(json::value(to_object(flat)) == json::value(base));  // nothing of them is kept
    BOOST_TEST(!v.compiled()->read_flat(json::serialize(o), flat, unknown_members::refuse, &dropped));
  }
  // Dropping a key does not make an event that fits no shape acceptable.
  auto o = kubo_0_37_example();
  o["provide_dht_sweep_enabled"] = true;
  o["new"] = 1;
  std::vector<std::string> dropped;
  const auto err = v.validate(o, unknown_members::drop, &dropped);
  BOOST_TEST_REQUIRE(err.has_value());
  BOOST_TEST(err->field == "provide_dht_interval_custom");
}

BOOST_AUTO_TEST_CASE(a_shape_file_is_nothing_but_references_to_the_newest_definitions) {
  const std::string newest(log_event_schema_text());
  auto shape_with = [](const std::string& props, const std::string& required, const std::string& extra = {}) {
    return R"({"type":"object","additionalProperties":false,)" + extra + R"("required":[)" + required +
           R"(],"properties":{)" + props + "}}";
  };
  const std::string uuid_ref = R"("uuid":{"$ref":"log_event.schema.json#/properties/uuid"},)";
  const std::string ok_ref = uuid_ref + R"("platform_os":{"$ref":"log_event.schema.json#/properties/platform_os"})";
  const std::string ok_required = R"("uuid","platform_os")";
  // A well-formed one is taken (and names its file).
  const std::string good = shape_with(ok_ref, ok_required);
  const schema_validator v(newest, {{"log_event.tiny.schema.json", good}});
  BOOST_TEST(v.shape_names().back() == "log_event.tiny.schema.json");
  const std::string tiny = R"({"uuid":"f81d4fae-7dec-11d0-a765-00a0c91e6bf6","platform_os":")";
  BOOST_TEST(!v.validate(json::parse(tiny + R"(linux"})")).has_value());
  BOOST_TEST(v.valijson_accepts(json::parse(tiny + R"(linux"})")));
  BOOST_TEST(v.validate(json::parse(tiny + R"(Linux"})")).has_value());  // the newest definition applies
  const std::vector<std::pair<std::string, std::string>> bad = {
      {shape_with(uuid_ref + R"("platform_os":{"type":"string"})", ok_required), "must be exactly"},
      {shape_with(uuid_ref + R"("platform_os":{"$ref":"log_event.schema.json#/properties/platform_arch"})", ok_required),
       "must be exactly"},
      {shape_with(uuid_ref + R"("platform_os":{"$ref":"other.schema.json#/properties/platform_os"})", ok_required),
       "must be exactly"},
      {shape_with(uuid_ref + R"("not_a_field":{"$ref":"log_event.schema.json#/properties/not_a_field"})",
                  R"("uuid","not_a_field")"),
       "not defined"},
      {shape_with(R"("platform_os":{"$ref":"log_event.schema.json#/properties/platform_os"})", R"("platform_os")"),
       "needs \"uuid\""},
      {shape_with(ok_ref, R"("uuid")"), "required"},
      {shape_with(ok_ref, R"("uuid","platform_os","platform_os")"), "required"},
      {shape_with(ok_ref, ok_required, R"("minProperties":1,)"), "minProperties"},
      {"[]", "expected a JSON object"},
      {"{", "not valid JSON"},
  };
  for (const auto& [text, why] : bad) {
    BOOST_TEST_CONTEXT(text) {
      try {
        schema_validator broken(newest, {{"log_event.broken.schema.json", text}});
        BOOST_TEST(false, "accepted");
      } catch (const std::runtime_error& e) {
        BOOST_TEST(std::string(e.what()).find("log_event.broken.schema.json") != std::string::npos, e.what());
        BOOST_TEST(std::string(e.what()).find(why) != std::string::npos, e.what());
      }
    }
  }
}

BOOST_AUTO_TEST_SUITE_END()
