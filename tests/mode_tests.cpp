#include "mode.hpp"

#include <boost/test/unit_test.hpp>

using namespace ipfs_telemetry;

namespace {
mode_decision resolve(std::optional<std::string> env, std::optional<std::string> dnt,
                      std::optional<std::string> cfg) {
  return resolve_mode({std::move(env), std::move(dnt), std::move(cfg)});
}
}  // namespace

BOOST_AUTO_TEST_SUITE(mode_tests)

BOOST_AUTO_TEST_CASE(default_is_on_when_nothing_is_set) {
  auto d = resolve(std::nullopt, std::nullopt, std::nullopt);
  BOOST_TEST(to_string(d.mode) == "on");
  BOOST_TEST(to_string(d.source) == "default");
  BOOST_TEST(d.warning.empty());
}

BOOST_AUTO_TEST_CASE(empty_values_count_as_unset) {
  auto d = resolve(std::string(""), std::string(""), std::string(""));
  BOOST_TEST(to_string(d.mode) == "on");
  BOOST_TEST(to_string(d.source) == "default");
}

BOOST_AUTO_TEST_CASE(each_source_accepts_each_mode) {
  for (std::string m : {"on", "off", "auto"}) {
    BOOST_TEST(to_string(resolve(m, std::nullopt, std::nullopt).mode) == m);
    BOOST_TEST(to_string(resolve(std::nullopt, std::nullopt, m).mode) == m);
    BOOST_TEST(to_string(resolve(std::nullopt, std::nullopt, m).source) == "config");
    BOOST_TEST(to_string(resolve(m, std::nullopt, std::nullopt).source) == "IPFS_TELEMETRY");
  }
}

BOOST_AUTO_TEST_CASE(env_beats_do_not_track_and_config) {
  auto d = resolve(std::string("on"), std::string("1"), std::string("off"));
  BOOST_TEST(to_string(d.mode) == "on");
  BOOST_TEST(to_string(d.source) == "IPFS_TELEMETRY");
  d = resolve(std::string("off"), std::nullopt, std::string("on"));
  BOOST_TEST(to_string(d.mode) == "off");
}

BOOST_AUTO_TEST_CASE(do_not_track_beats_config) {
  auto d = resolve(std::nullopt, std::string("1"), std::string("on"));
  BOOST_TEST(to_string(d.mode) == "off");
  BOOST_TEST(to_string(d.source) == "DO_NOT_TRACK");
  BOOST_TEST(d.raw == "1");
}

BOOST_AUTO_TEST_CASE(do_not_track_truthy_values_opt_out) {
  for (std::string v : {"1", "true", "TRUE", "yes", "t", "anything", " "}) {
    BOOST_TEST_CONTEXT("DO_NOT_TRACK=" << v) {
      BOOST_TEST(do_not_track_requested(v));
      BOOST_TEST(to_string(resolve(std::nullopt, v, std::nullopt).mode) == "off");
    }
  }
}

BOOST_AUTO_TEST_CASE(do_not_track_false_values_fall_through_to_config) {
  for (std::string v : {"0", "f", "F", "false", "FALSE", "False"}) {
    BOOST_TEST_CONTEXT("DO_NOT_TRACK=" << v) {
      BOOST_TEST(!do_not_track_requested(v));
      auto d = resolve(std::nullopt, v, std::string("auto"));
      BOOST_TEST(to_string(d.mode) == "auto");
      BOOST_TEST(to_string(d.source) == "config");
    }
  }
  BOOST_TEST(!do_not_track_requested(""));
}

BOOST_AUTO_TEST_CASE(unrecognized_env_value_fails_closed_with_a_warning) {
  for (std::string v : {"of", "ON", "Off", " on", "1", "true", "disabled"}) {
    BOOST_TEST_CONTEXT("IPFS_TELEMETRY=" << v) {
      auto d = resolve(v, std::nullopt, std::string("on"));
      BOOST_TEST(to_string(d.mode) == "off");
      BOOST_TEST(to_string(d.source) == "IPFS_TELEMETRY");
      BOOST_TEST(d.warning.find("IPFS_TELEMETRY") != std::string::npos);
      BOOST_TEST(d.warning.find("\"on\", \"off\", \"auto\"") != std::string::npos);
    }
  }
}

BOOST_AUTO_TEST_CASE(unrecognized_config_value_fails_closed_naming_the_key) {
  auto d = resolve(std::nullopt, std::nullopt, std::string("enabled"));
  BOOST_TEST(to_string(d.mode) == "off");
  BOOST_TEST(d.warning.find("Plugins.Plugins.telemetry.Config.Mode") != std::string::npos);
  BOOST_TEST(d.warning.find("\"enabled\"") != std::string::npos);
}

// An opt-out in the config that the environment overrides is named, not ignored without a word.
BOOST_AUTO_TEST_CASE(an_environment_overriding_another_config_mode_says_so) {
  auto d = resolve(std::string("on"), std::nullopt, std::string("off"));
  BOOST_TEST(d.note == "Plugins.Plugins.telemetry.Config.Mode \"off\" is overridden by IPFS_TELEMETRY=\"on\": "
                       "telemetry is on where this variable is set");
  d = resolve(std::nullopt, std::string("1"), std::string("auto"));
  BOOST_TEST(d.note.find("\"auto\" is overridden by DO_NOT_TRACK=\"1\": telemetry is off") != std::string::npos, d.note);
  d = resolve(std::string("auto"), std::nullopt, std::string("of"));
  BOOST_TEST(d.note.find("\"of\" (not an accepted value: \"on\", \"off\", \"auto\") is overridden") != std::string::npos,
             d.note);
  BOOST_TEST(resolve(std::string("off"), std::nullopt, std::string("off")).note.empty());
  BOOST_TEST(resolve(std::string("on"), std::nullopt, std::nullopt).note.empty());
  BOOST_TEST(resolve(std::nullopt, std::nullopt, std::string("off")).note.empty());
  BOOST_TEST(resolve(std::string("of"), std::nullopt, std::string("on")).note.empty());  // its warning says it
}

BOOST_AUTO_TEST_CASE(parse_mode_is_exact) {
  BOOST_TEST(parse_mode("on").has_value());
  BOOST_TEST(parse_mode("off").has_value());
  BOOST_TEST(parse_mode("auto").has_value());
  BOOST_TEST(!parse_mode("").has_value());
  BOOST_TEST(!parse_mode("Auto").has_value());
  BOOST_TEST(!parse_mode("on ").has_value());
}

BOOST_AUTO_TEST_SUITE_END()
