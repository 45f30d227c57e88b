// The collector's log lines (collector/src/log.hpp): the time format, the
// text line's escaping, the JSON line's keys, and the logger writing whole
// lines to a file it reopens.
#include "log.hpp"

#include "support/test_support.hpp"

#include <boost/json/parse.hpp>
#include <boost/test/unit_test.hpp>

#include <thread>
#include <vector>

using namespace telemetry_collector;
namespace json = boost::json;

namespace {

std::chrono::system_clock::time_point at_ms(std::int64_t ms) {
  return std::chrono::system_clock::time_point(std::chrono::milliseconds(ms));
}

}  // namespace

BOOST_AUTO_TEST_SUITE(collector_log_tests)

BOOST_AUTO_TEST_CASE(times_are_rfc3339_utc_with_milliseconds) {
  BOOST_TEST(rfc3339_ms(at_ms(0)) == "1970-01-01T00:00:00.000Z");
  BOOST_TEST(rfc3339_ms(at_ms(1'796'191'800'123)) == "2026-12-02T06:10:00.123Z");
  BOOST_TEST(rfc3339_ms(at_ms(-1)) == "1969-12-31T23:59:59.999Z");  // floor, not truncation
}

BOOST_AUTO_TEST_CASE(a_text_line_is_time_level_message_and_one_line) {
  const auto t = at_ms(1'796'191'800'123);
  BOOST_TEST(format_log_line(log_format::text, t, log_level::info, "listening on 127.0.0.1:9099 (http)") ==
             "2026-12-02T06:10:00.123Z info listening on 127.0.0.1:9099 (http)\n");
  BOOST_TEST(format_log_line(log_format::text, t, log_level::warning, "w") == "2026-12-02T06:10:00.123Z warning w\n");
  BOOST_TEST(format_log_line(log_format::text, t, log_level::error, "two\nlines\r\t\x1b[31m") ==
             "2026-12-02T06:10:00.123Z error two\\nlines\\r\\t\\x1b[31m\n");
}

BOOST_AUTO_TEST_CASE(a_json_line_is_one_object_with_three_keys) {
  const std::string message = "a \"quoted\" \\ path\nand a second line";
  const auto line = format_log_line(log_format::json, at_ms(1'796'191'800'123), log_level::error, message);
  BOOST_TEST(line.back() == '\n');
  BOOST_TEST(line.find('\n') == line.size() - 1);
  const auto v = json::parse(line).as_object();
  BOOST_TEST(v.size() == 3u);
  BOOST_TEST(v.at("time").as_string() == "2026-12-02T06:10:00.123Z");
  BOOST_TEST(v.at("level").as_string() == "error");
  BOOST_TEST(v.at("message").as_string() == message);
}

BOOST_AUTO_TEST_CASE(lines_from_many_threads_stay_whole_and_reopen_follows_a_rename) {
  test_support::temp_dir dir;
  const auto path = dir.path() / "c.log";
  logger log;
  log.open_file(path.string());
  std::vector<std::thread> threads;
  const std::string long_message(3000, 'x');
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 200; ++i) log.write(log_level::info, long_message);
    });
  for (auto& t : threads) t.join();
  std::size_t lines = 0;
  const auto text = test_support::read_text(path);
  for (std::size_t at = 0; at < text.size();) {
    const auto end = text.find('\n', at);
    BOOST_REQUIRE(end != std::string::npos);
    BOOST_TEST(text.substr(at, end - at).ends_with(" info " + long_message));
    ++lines;
    at = end + 1;
  }
  BOOST_TEST(lines == 800u);
  std::filesystem::rename(path, dir.path() / "c.log.1");
  log.write(log_level::info, "before reopen");
  BOOST_TEST(log.reopen().empty());
  log.write(log_level::info, "after reopen");
  BOOST_TEST(test_support::read_text(dir.path() / "c.log.1").find("before reopen") != std::string::npos);
  const auto fresh = test_support::read_text(path);
  BOOST_TEST(fresh.find("after reopen") != std::string::npos, fresh);
  BOOST_TEST(fresh.find("before reopen") == std::string::npos, fresh);
  // A directory that went away: the old file is kept, and the reason names the path.
  logger elsewhere;
  std::filesystem::create_directories(dir.path() / "sub");
  elsewhere.open_file((dir.path() / "sub" / "x.log").string());
  std::filesystem::rename(dir.path() / "sub", dir.path() / "moved");
  const auto error = elsewhere.reopen();
  BOOST_TEST(error.find((dir.path() / "sub" / "x.log").string()) != std::string::npos, error);
  elsewhere.write(log_level::info, "still here");
  BOOST_TEST(test_support::read_text(dir.path() / "moved" / "x.log").find("still here") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
