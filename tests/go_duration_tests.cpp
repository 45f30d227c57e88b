#include "go_duration.hpp"

#include <boost/test/unit_test.hpp>

#include <cstdint>
#include <limits>

using namespace ipfs_telemetry;
using std::chrono::nanoseconds;

namespace {
std::int64_t ns(std::string_view s) {
  auto r = parse_go_duration(s);
  BOOST_REQUIRE_MESSAGE(r.has_value(), "parse failed for \"" << s << "\": " << (r ? "" : r.error()));
  return r->count();
}
constexpr std::int64_t us = 1000, ms = 1000 * us, sec = 1000 * ms, minute = 60 * sec, hour = 60 * minute;
}  // namespace

BOOST_AUTO_TEST_SUITE(go_duration_tests)

// Cases from Go's own time.ParseDuration table.
BOOST_AUTO_TEST_CASE(parses_what_go_parses) {
  BOOST_TEST(ns("0") == 0);
  BOOST_TEST(ns("5s") == 5 * sec);
  BOOST_TEST(ns("30s") == 30 * sec);
  BOOST_TEST(ns("1478s") == 1478 * sec);
  BOOST_TEST(ns("-5s") == -5 * sec);
  BOOST_TEST(ns("+5s") == 5 * sec);
  BOOST_TEST(ns("-0") == 0);
  BOOST_TEST(ns("+0") == 0);
  BOOST_TEST(ns("5.0s") == 5 * sec);
  BOOST_TEST(ns("5.6s") == 5 * sec + 600 * ms);
  BOOST_TEST(ns("5.s") == 5 * sec);
  BOOST_TEST(ns(".5s") == 500 * ms);
  BOOST_TEST(ns("1.0s") == sec);
  BOOST_TEST(ns("1.00s") == sec);
  BOOST_TEST(ns("1.004s") == sec + 4 * ms);
  BOOST_TEST(ns("1.0040s") == sec + 4 * ms);
  BOOST_TEST(ns("100.00100s") == 100 * sec + 1 * ms);
  BOOST_TEST(ns("10ns") == 10);
  BOOST_TEST(ns("11us") == 11 * us);
  BOOST_TEST(ns("12\xC2\xB5s") == 12 * us);  // U+00B5
  BOOST_TEST(ns("12\xCE\xBCs") == 12 * us);  // U+03BC
  BOOST_TEST(ns("13ms") == 13 * ms);
  BOOST_TEST(ns("14s") == 14 * sec);
  BOOST_TEST(ns("15m") == 15 * minute);
  BOOST_TEST(ns("16h") == 16 * hour);
  BOOST_TEST(ns("3h30m") == 3 * hour + 30 * minute);
  BOOST_TEST(ns("10.5s4m") == 4 * minute + 10 * sec + 500 * ms);
  BOOST_TEST(ns("-2m3.4s") == -(2 * minute + 3 * sec + 400 * ms));
  BOOST_TEST(ns("1h2m3s4ms5us6ns") == hour + 2 * minute + 3 * sec + 4 * ms + 5 * us + 6);
  BOOST_TEST(ns("39h9m14.425s") == 39 * hour + 9 * minute + 14 * sec + 425 * ms);
  BOOST_TEST(ns("52763797000ns") == 52763797000);
  BOOST_TEST(ns("0.3333333333333333333h") == 20 * minute);
  BOOST_TEST(ns("9007199254740993ns") == 9007199254740993);
  BOOST_TEST(ns("9223372036854775807ns") == std::numeric_limits<std::int64_t>::max());
  BOOST_TEST(ns("-9223372036854775808ns") == std::numeric_limits<std::int64_t>::min());
  BOOST_TEST(ns("0.100000000000000000000h") == 6 * minute);
  BOOST_TEST(ns("0.830103483285477580700h") == 49 * minute + 48 * sec + 372539827);
}

BOOST_AUTO_TEST_CASE(rejects_what_go_rejects) {
  for (std::string_view s : {"", "3", "-", "s", ".", "-.", ".s", "+.s", "1d", "\x85\x85", "\xff" "ff", "hello \xff" "ff world",
                             "9223372036854775810ns", "9223372036854775808ns", "-9223372036854775809ns",
                             "9223372036854775.808us", "9223372036854ms775us808ns", "1 s", " 1s", "1s ", "1.5.5s",
                             "15M", "1H"}) {
    BOOST_TEST_CONTEXT("input \"" << s << "\"") {
      auto r = parse_go_duration(s);
      BOOST_TEST(!r.has_value());
      if (!r) BOOST_TEST(r.error().find('"') != std::string::npos);  // the message quotes the input
    }
  }
}

BOOST_AUTO_TEST_CASE(missing_and_unknown_units_are_named) {
  auto r = parse_go_duration("15");
  BOOST_REQUIRE(!r);
  BOOST_TEST(r.error().find("missing unit") != std::string::npos);
  r = parse_go_duration("2d");
  BOOST_REQUIRE(!r);
  BOOST_TEST(r.error().find("unknown unit \"d\"") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(formats_like_go) {
  BOOST_TEST(format_go_duration(nanoseconds(0)) == "0s");
  BOOST_TEST(format_go_duration(nanoseconds(1)) == "1ns");
  BOOST_TEST(format_go_duration(nanoseconds(1100)) == "1.1\xC2\xB5s");
  BOOST_TEST(format_go_duration(nanoseconds(2200 * us)) == "2.2ms");
  BOOST_TEST(format_go_duration(nanoseconds(100 * ms)) == "100ms");
  BOOST_TEST(format_go_duration(nanoseconds(3300 * ms)) == "3.3s");
  BOOST_TEST(format_go_duration(nanoseconds(4 * minute + 5 * sec)) == "4m5s");
  BOOST_TEST(format_go_duration(nanoseconds(4 * minute + 5001 * ms)) == "4m5.001s");
  BOOST_TEST(format_go_duration(nanoseconds(5 * hour + 6 * minute + 7001 * ms)) == "5h6m7.001s");
  BOOST_TEST(format_go_duration(nanoseconds(8 * minute + 1)) == "8m0.000000001s");
  BOOST_TEST(format_go_duration(nanoseconds(15 * minute)) == "15m0s");
  BOOST_TEST(format_go_duration(nanoseconds(24 * hour)) == "24h0m0s");
  BOOST_TEST(format_go_duration(nanoseconds(-sec)) == "-1s");
  BOOST_TEST(format_go_duration(nanoseconds(std::numeric_limits<std::int64_t>::max())) == "2562047h47m16.854775807s");
  BOOST_TEST(format_go_duration(nanoseconds(std::numeric_limits<std::int64_t>::min())) == "-2562047h47m16.854775808s");
}

BOOST_AUTO_TEST_CASE(format_then_parse_round_trips) {
  for (std::int64_t v : {std::int64_t{0}, std::int64_t{1}, 999 * us, 15 * minute, 90 * minute + 1, 24 * hour,
                         -3 * sec - 7}) {
    auto back = parse_go_duration(format_go_duration(nanoseconds(v)));
    BOOST_REQUIRE(back.has_value());
    BOOST_TEST(back->count() == v);
  }
}

BOOST_AUTO_TEST_SUITE_END()
