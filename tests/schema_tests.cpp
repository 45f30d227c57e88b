#include "collect.hpp"
#include "kubo_example.hpp"
#include "plugin_host.hpp"  // the host's node_facts.hpp (the plugin has one of that name too)
#include "repo.hpp"
#include "log_event.hpp"
#include "payload_validator.hpp"
#include "schema_validator.hpp"
#include "support/test_support.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value_from.hpp>
#include <boost/test/unit_test.hpp>

#include <filesystem>
#include <map>
#include <string>

using namespace telemetry_collector;
namespace json = boost::json;

namespace {

const schema_validator& config_schema() {
  static const schema_validator v(test_support::read_text(TELEMETRY_SCHEMA_DIR "/telemetry_config.schema.json"));
  return v;
}

json::object example() { return json::parse(k_kubo_example_payload).as_object(); }

std::string field_error(json::object o) {
  auto err = payload_validator().validate(o);
  return err ? err->field : std::string("<valid>");
}

}  // namespace

BOOST_AUTO_TEST_SUITE(schema_tests)

BOOST_AUTO_TEST_CASE(the_embedded_schema_is_the_file_in_schemas) {
  BOOST_TEST(std::string(log_event_schema_text()) ==
             test_support::read_text(TELEMETRY_SCHEMA_DIR "/log_event.schema.json"));
}

BOOST_AUTO_TEST_CASE(the_embedded_older_shapes_are_the_files_in_schemas) {
  std::map<std::string, std::string> files;
  for (const auto& e : std::filesystem::directory_iterator(TELEMETRY_SCHEMA_DIR)) {
    const auto name = e.path().filename().string();
    if (name.starts_with("log_event.") && name.ends_with(".schema.json") && name != "log_event.schema.json")
      files[name] = test_support::read_text(e.path());
  }
  std::map<std::string, std::string> embedded;
  for (const auto& s : log_event_older_shapes()) embedded[std::string(s.name)] = std::string(s.text);
  BOOST_TEST(files.size() >= 1u);
  BOOST_TEST((embedded == files));
}

BOOST_AUTO_TEST_CASE(kubo_documented_example_validates) {
  BOOST_TEST(!payload_validator().validate(example()).has_value());
}

BOOST_AUTO_TEST_CASE(the_plugins_real_payload_validates) {
  ipfs_telemetry::node_facts f;
  f.agent_version = "ipfs-stub/0.1.0/";
  f.config = json::parse(R"({"Bootstrap":["auto"],"Routing":{"DelegatedRouters":["auto"]}})");
  f.addresses = {"/ip4/8.8.8.8/tcp/4001"};
  for (std::uint64_t size : {0ULL, 3ULL << 30, 20ULL << 40}) {
    f.repo_size = size;
    auto e = ipfs_telemetry::collect_event(f, ipfs_telemetry::current_platform(),
                                           "f81d4fae-7dec-41d0-a765-00a0c91e6bf6", std::chrono::hours(24 * 40));
    // The newest shape, and only it: the plugin never sends an older one.
    static const schema_validator newest(log_event_schema_text());
    auto err = newest.validate(json::parse(ipfs_telemetry::to_wire(e)));
    BOOST_TEST(!err.has_value(), (err ? err->field + ": " + err->message : ""));
  }
}

BOOST_AUTO_TEST_CASE(every_missing_field_is_named) {
  for (const auto& [key, kind] : k_log_event_keys) {
    auto o = example();
    o.erase(key);
    BOOST_TEST(field_error(o) == key);
  }
}

BOOST_AUTO_TEST_CASE(an_extra_field_is_named) {
  auto o = example();
  o["peer_id"] = "12D3KooW...";
  BOOST_TEST(field_error(o) == "peer_id");
}

BOOST_AUTO_TEST_CASE(every_wrongly_typed_field_is_named) {
  for (const auto& [key, kind] : k_log_event_keys) {
    auto o = example();
    // A value of a different JSON type than the key's.
    o[key] = kind == 's' ? json::value(1) : json::value("1");
    BOOST_TEST(field_error(o) == key);
    if (kind == 'b') {
      o[key] = 0;  // numbers are not booleans
      BOOST_TEST(field_error(o) == key);
    }
    if (kind == 'i') {
      o[key] = 1.5;
      BOOST_TEST(field_error(o) == key);
    }
  }
}

BOOST_AUTO_TEST_CASE(bucket_values_must_be_bucket_bounds) {
  auto o = example();
  o["repo_size_bucket"] = 5368709121ULL;
  BOOST_TEST(field_error(o) == "repo_size_bucket");
  o = example();
  o["uptime_bucket"] = 86400000000001LL;
  BOOST_TEST(field_error(o) == "uptime_bucket");
  o = example();
  o["uptime_bucket"] = 31LL * 86400000000000LL;
  BOOST_TEST(field_error(o) == "<valid>");
}

BOOST_AUTO_TEST_CASE(enumerated_strings_are_checked) {
  auto o = example();
  o["autonat_reachability"] = "public";
  BOOST_TEST(field_error(o) == "autonat_reachability");
  o = example();
  o["autonat_service_mode"] = "on";
  BOOST_TEST(field_error(o) == "autonat_service_mode");
  o = example();
  o["uuid"] = "not-a-uuid";
  BOOST_TEST(field_error(o) == "uuid");
  o = example();
  o["platform_os"] = "Linux 6.1";
  BOOST_TEST(field_error(o) == "platform_os");
}

BOOST_AUTO_TEST_CASE(non_objects_are_rejected) {
  for (const char* j : {"[]", "null", "1", "\"x\""}) BOOST_TEST(payload_validator().validate(json::parse(j)).has_value());
}

BOOST_AUTO_TEST_CASE(the_hosts_node_facts_meet_their_schema) {
  static const schema_validator facts_schema(test_support::read_text(TELEMETRY_SCHEMA_DIR "/node_facts.schema.json"));
  test_support::temp_dir dir;
  ipfs_stub::node_state s;
  s.repo = dir.path();
  BOOST_REQUIRE(ipfs_stub::init_repo(dir.path() / "repo"));
  s.config = json::parse(test_support::read_text(dir.path() / "repo" / "config"));
  s.agent_version = "ipfs-stub/0.1.0/";
  s.daemon = true;
  s.online = true;
  s.getenv = [](const char*) -> std::optional<std::string> { return std::nullopt; };
  const auto facts = ipfs_stub::node_facts(s);
  BOOST_REQUIRE(facts.has_value());
  auto err = facts_schema.validate(*facts);
  BOOST_TEST(!err.has_value(), (err ? err->field + " " + err->message : ""));
  for (const char* member : {"repo_size", "reachability", "addresses"}) {  // and the schema can fail
    auto broken = facts->as_object();
    broken.erase(member);
    BOOST_TEST(facts_schema.validate(broken).has_value(), member);
  }
  auto bad = facts->as_object();
  bad["reachability"] = "public";
  BOOST_TEST(facts_schema.validate(bad).has_value());
}

BOOST_AUTO_TEST_CASE(config_schema_accepts_valid_configs) {
  for (const char* j : {"null", "{}", R"({"Mode":"off"})", R"({"Mode":"auto","Endpoint":"https://t.example/v1"})",
                        R"({"Endpoint":"http://127.0.0.1:9099","Delay":"100ms","Interval":"1h30m"})",
                        R"({"Endpoint":"","Mode":null,"Delay":"0"})",
                        R"({"Timeout":"10s","CAFile":"/etc/ssl/private-ca.pem","AllowHTTP":false})"}) {
    auto err = config_schema().validate(json::parse(j));
    BOOST_TEST(!err.has_value(), j << ": " << (err ? err->field + " " + err->message : ""));
  }
}

BOOST_AUTO_TEST_CASE(config_schema_rejects_what_the_plugin_warns_about) {
  const std::pair<const char*, const char*> bad[] = {
      {R"({"Mode":"of"})", "Mode"},           {R"({"Mode":true})", "Mode"},
      {R"({"Endpoint":"ftp://x"})", "Endpoint"}, {R"({"Endpoint":"https://u:p@x/"})", "Endpoint"},
      {R"({"Delay":"soon"})", "Delay"},       {R"({"Interval":"15"})", "Interval"},
      {R"({"Endpiont":"http://x"})", "Endpiont"}, {R"([])", ""},
      {R"({"AllowHTTP":"yes"})", "AllowHTTP"}, {R"({"Timeout":"soon"})", "Timeout"},
      {R"({"CAFile":1})", "CAFile"},
  };
  for (const auto& [doc, field] : bad) {
    auto err = config_schema().validate(json::parse(doc));
    BOOST_TEST_REQUIRE(err.has_value(), doc);
    BOOST_TEST(err->field == field, doc);
  }
}

BOOST_AUTO_TEST_SUITE_END()
