#include "plugin_config.hpp"

#include <boost/json/parse.hpp>
#include <boost/test/unit_test.hpp>

using namespace ipfs_telemetry;
using namespace std::chrono_literals;

namespace {
config_parse_result parse(const char* json) { return parse_plugin_config(boost::json::parse(json)); }
bool any_warning_has(const config_parse_result& r, std::string_view needle) {
  for (const auto& w : r.warnings)
    if (w.find(needle) != std::string::npos) return true;
  return false;
}
}  // namespace

BOOST_AUTO_TEST_SUITE(plugin_config_tests)

BOOST_AUTO_TEST_CASE(null_and_empty_give_the_defaults) {
  for (const char* j : {"null", "{}"}) {
    auto r = parse(j);
    BOOST_TEST(r.warnings.empty());
    BOOST_TEST(!r.config.mode.has_value());
    BOOST_TEST(r.config.endpoint.empty());
    BOOST_TEST(!r.config.endpoint_invalid);
    BOOST_TEST(r.config.delay.count() == std::chrono::nanoseconds(15min).count());
    BOOST_TEST(r.config.interval.count() == std::chrono::nanoseconds(24h).count());
  }
}

BOOST_AUTO_TEST_CASE(reads_every_key) {
  auto r = parse(R"({"Mode":"auto","Endpoint":"http://127.0.0.1:9099","Delay":"100ms","Interval":"1h30m"})");
  BOOST_TEST(r.warnings.empty());
  BOOST_TEST(*r.config.mode == "auto");
  BOOST_TEST(r.config.endpoint == "http://127.0.0.1:9099/");
  BOOST_TEST(r.config.delay.count() == std::chrono::nanoseconds(100ms).count());
  BOOST_TEST(r.config.interval.count() == std::chrono::nanoseconds(90min).count());
}

BOOST_AUTO_TEST_CASE(bad_durations_warn_naming_the_key_and_keep_the_default) {
  auto r = parse(R"({"Delay":"soon","Interval":5})");
  BOOST_TEST(r.warnings.size() == 2u);
  BOOST_TEST(any_warning_has(r, "Plugins.Plugins.telemetry.Config.Delay"));
  BOOST_TEST(any_warning_has(r, "Plugins.Plugins.telemetry.Config.Interval"));
  BOOST_TEST(any_warning_has(r, "Go duration"));
  BOOST_TEST(any_warning_has(r, "\"soon\""));
  BOOST_TEST(r.config.delay.count() == std::chrono::nanoseconds(15min).count());
  BOOST_TEST(r.config.interval.count() == std::chrono::nanoseconds(24h).count());
}

BOOST_AUTO_TEST_CASE(negative_delay_and_too_short_interval_are_refused) {
  auto r = parse(R"({"Delay":"-1s","Interval":"500ms"})");
  BOOST_TEST(r.warnings.size() == 2u);
  BOOST_TEST(r.config.delay.count() == std::chrono::nanoseconds(15min).count());
  BOOST_TEST(r.config.interval.count() == std::chrono::nanoseconds(24h).count());
  BOOST_TEST(any_warning_has(r, "at least 1s"));
  auto zero = parse(R"({"Delay":"0s"})");
  BOOST_TEST(zero.warnings.empty());
  BOOST_TEST(zero.config.delay.count() == 0);
}

BOOST_AUTO_TEST_CASE(mode_of_another_type_is_kept_as_json_text_so_it_fails_closed) {
  auto r = parse(R"({"Mode":false})");
  BOOST_REQUIRE(r.config.mode.has_value());
  BOOST_TEST(*r.config.mode == "false");
}

BOOST_AUTO_TEST_CASE(unusable_endpoints_are_flagged_and_named) {
  for (const char* j : {R"({"Endpoint":"ftp://x/"})", R"({"Endpoint":"not a url"})", R"({"Endpoint":"/relative"})",
                        R"({"Endpoint":42})", R"({"Endpoint":"https://user:secret@host/"})",
                        R"({"Endpoint":"http:///path"})",
                        R"({"Endpoint":"http://h:99999/"})", R"({"Endpoint":"http://h:0/"})", R"({"Endpoint":"http://h:/"})"}) {
    BOOST_TEST_CONTEXT(j) {
      auto r = parse(j);
      BOOST_TEST(r.config.endpoint_invalid);
      BOOST_TEST(any_warning_has(r, "Plugins.Plugins.telemetry.Config.Endpoint"));
      BOOST_TEST(any_warning_has(r, "nothing will be sent"));
      BOOST_TEST(!any_warning_has(r, "secret"));  // credentials never reach the logs
    }
  }
}

BOOST_AUTO_TEST_CASE(transport_keys) {
  auto r = parse(R"({"Timeout":"5s","CAFile":"/etc/ca.pem","AllowHTTP":true})");
  BOOST_TEST(r.warnings.empty());
  BOOST_TEST(r.config.timeout.count() == std::chrono::nanoseconds(5s).count());
  BOOST_TEST(r.config.ca_file == "/etc/ca.pem");
  BOOST_TEST(r.config.allow_http);
  auto d = parse("{}");
  BOOST_TEST(d.config.timeout.count() == std::chrono::nanoseconds(30s).count());
  BOOST_TEST(!d.config.allow_http);
  auto bad = parse(R"({"Timeout":"1ms","CAFile":7,"AllowHTTP":"yes"})");
  BOOST_TEST(bad.warnings.size() == 3u);
  BOOST_TEST(any_warning_has(bad, "Config.Timeout"));
  BOOST_TEST(any_warning_has(bad, "Config.CAFile"));
  BOOST_TEST(any_warning_has(bad, "Config.AllowHTTP: expected true or false"));
  BOOST_TEST(!bad.config.allow_http);
  BOOST_TEST(bad.config.timeout.count() == std::chrono::nanoseconds(30s).count());
}

BOOST_AUTO_TEST_CASE(empty_endpoint_means_unset) {
  auto r = parse(R"({"Endpoint":""})");
  BOOST_TEST(!r.config.endpoint_invalid);
  BOOST_TEST(r.config.endpoint.empty());
}

BOOST_AUTO_TEST_CASE(unknown_keys_warn_with_the_accepted_list) {
  auto r = parse(R"({"Endpiont":"http://x/"})");
  BOOST_TEST(r.warnings.size() == 1u);
  BOOST_TEST(any_warning_has(r, "Endpiont"));
  BOOST_TEST(any_warning_has(r, "Mode, Endpoint, Delay, Interval"));
  BOOST_TEST(any_warning_has(r, "did you mean Endpoint?"));
}

// Go's encoding/json matches keys case-insensitively: a Kubo user's "mode"
// must opt out exactly as "Mode" does.
BOOST_AUTO_TEST_CASE(keys_match_in_any_letter_case_as_go_decodes_them) {
  auto r = parse(R"({"mode":"off","ENDPOINT":"https://t.example/","delay":"1s","interval":"2h","timeout":"5s",
                     "cafile":"/ca.pem","allowhttp":true})");
  BOOST_TEST(r.warnings.empty());
  BOOST_TEST(*r.config.mode == "off");
  BOOST_TEST(r.config.endpoint == "https://t.example/");
  BOOST_TEST(r.config.delay.count() == std::chrono::nanoseconds(1s).count());
  BOOST_TEST(r.config.interval.count() == std::chrono::nanoseconds(2h).count());
  BOOST_TEST(r.config.timeout.count() == std::chrono::nanoseconds(5s).count());
  BOOST_TEST(r.config.ca_file == "/ca.pem");
  BOOST_TEST(r.config.allow_http);

  auto twice = parse(R"({"Mode":"on","mode":"off"})");  // the later one wins, as in Go, with a warning
  BOOST_TEST(*twice.config.mode == "off");
  BOOST_TEST(any_warning_has(twice, "more than once"));
  // Nor does an exact spelling win over a later one: Go's "preferring an exact match" chooses between
  // struct fields, and each key of the document is decoded in turn (golang/go#43664, #47984).
  BOOST_TEST(*parse(R"({"mode":"off","Mode":"on"})").config.mode == "on");
  auto bad = parse(R"({"delay":"soon"})");  // warnings name the canonical key
  BOOST_TEST(any_warning_has(bad, "Plugins.Plugins.telemetry.Config.Delay"));
}

BOOST_AUTO_TEST_CASE(non_object_config_warns_and_uses_defaults) {
  auto r = parse(R"("on")");
  BOOST_TEST(r.warnings.size() == 1u);
  BOOST_TEST(!r.config.mode.has_value());
}

BOOST_AUTO_TEST_CASE(validate_endpoint_normalizes_and_accepts_ipv6_and_https) {
  BOOST_TEST(*validate_endpoint("http://127.0.0.1:9099") == "http://127.0.0.1:9099/");
  BOOST_TEST(*validate_endpoint("https://telemetry.example.org/v1?x=1") == "https://telemetry.example.org/v1?x=1");
  BOOST_TEST(*validate_endpoint("http://[::1]:8080") == "http://[::1]:8080/");
  BOOST_TEST(!validate_endpoint("mailto:a@b").has_value());
}

BOOST_AUTO_TEST_SUITE_END()
