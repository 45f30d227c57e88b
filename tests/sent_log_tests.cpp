#include "sent_log.hpp"

#include "support/test_support.hpp"

#include <boost/asio/error.hpp>
#include <boost/json/parse.hpp>
#include <boost/test/unit_test.hpp>

#include <fstream>

#include <sys/stat.h>

#include <algorithm>

using namespace ipfs_telemetry;
using test_support::read_text;
using test_support::temp_dir;

BOOST_AUTO_TEST_SUITE(sent_log_tests)

BOOST_AUTO_TEST_CASE(records_time_endpoint_outcome_and_the_exact_body_privately) {
  temp_dir dir;
  posix_file_system fs;
  sent_log log(fs, dir.path());
  BOOST_TEST(!log.last().has_value());
  send_outcome ok;
  ok.status = 200;
  const std::string body = R"({"uuid":"x","agent_version":"a \"quoted\" \\ value"})";
  BOOST_REQUIRE(log.record(std::chrono::system_clock::from_time_t(1792568880), "http://127.0.0.1:9/", ok, body));
  auto last = log.last();
  BOOST_REQUIRE(last.has_value());
  BOOST_TEST(last->at("time").as_string() == "2026-10-21T07:48:00.000Z");
  BOOST_TEST(last->at("endpoint").as_string() == "http://127.0.0.1:9/");
  BOOST_TEST(last->at("status").as_int64() == 200);
  BOOST_TEST(last->at("error").is_null());
  BOOST_TEST(last->at("body").as_string() == body);
  struct stat st {};
  BOOST_REQUIRE(::stat(log.path().c_str(), &st) == 0);
  BOOST_TEST((st.st_mode & 0777) == 0600u);

  send_outcome failed;
  failed.ec = boost::asio::error::connection_refused;
  failed.step = "connect";
  BOOST_REQUIRE(log.record(std::chrono::system_clock::now(), "http://127.0.0.1:9/", failed, body));
  last = log.last();
  BOOST_TEST(last->at("status").is_null());
  BOOST_TEST(last->at("error").as_string() == "connect: Connection refused");
}

BOOST_AUTO_TEST_CASE(abandoned_attempts_say_why_and_where_the_body_went) {
  temp_dir dir;
  posix_file_system fs;
  sent_log log(fs, dir.path());
  send_outcome slow;
  slow.ec = boost::system::errc::make_error_code(boost::system::errc::timed_out);
  slow.step = "read (deadline)";
  slow.timed_out = true;
  slow.sent_to = {"http://127.0.0.1:9/"};
  BOOST_REQUIRE(log.record(std::chrono::system_clock::now(), "http://127.0.0.1:9/", slow, "{}"));
  auto last = log.last();
  BOOST_TEST(last->at("abandoned").as_string() == "timeout");
  BOOST_TEST(last->at("body_sent").as_bool());

  send_outcome cancelled;
  cancelled.ec = boost::asio::error::operation_aborted;
  cancelled.step = "read";
  cancelled.sent_to = {"http://127.0.0.1:9/", "http://127.0.0.2:9/x"};
  BOOST_REQUIRE(log.record(std::chrono::system_clock::now(), "http://127.0.0.1:9/", cancelled, "{}",
                           abandon_reason::shutdown));
  last = log.last();
  BOOST_TEST(last->at("abandoned").as_string() == "shutdown");
  BOOST_TEST(last->at("sent_to").as_array().size() == 2u);
  BOOST_TEST(last->at("sent_to").as_array()[1].as_string() == "http://127.0.0.2:9/x");

  send_outcome early;
  early.ec = boost::asio::error::operation_aborted;
  early.step = "connect";
  BOOST_REQUIRE(log.record(std::chrono::system_clock::now(), "http://127.0.0.1:9/", early, "{}",
                           abandon_reason::superseded));
  last = log.last();
  BOOST_TEST(last->at("abandoned").as_string() == "superseded");
  BOOST_TEST(!last->at("body_sent").as_bool());
  BOOST_TEST(last->at("sent_to").as_array().empty());
}

BOOST_AUTO_TEST_CASE(no_credentials_reach_the_file) {
  temp_dir dir;
  posix_file_system fs;
  sent_log log(fs, dir.path());
  send_outcome o;
  o.status = 307;
  o.detail = "refusing a redirect from https to http (http://user:hunter2@example.org/)";
  o.sent_to = {"https://a:b@example.org/"};
  BOOST_REQUIRE(log.record(std::chrono::system_clock::now(), "https://u:p@example.org/", o, "{}"));
  const auto text = read_text(log.path());
  BOOST_TEST(text.find("hunter2") == std::string::npos, text);
  BOOST_TEST(text.find("a:b@") == std::string::npos, text);
  BOOST_TEST(text.find("u:p@") == std::string::npos, text);
  BOOST_TEST(text.find("REDACTED@example.org") != std::string::npos, text);
}

BOOST_AUTO_TEST_CASE(keeps_only_the_last_30_attempts) {
  temp_dir dir;
  posix_file_system fs;
  sent_log log(fs, dir.path());
  send_outcome ok;
  for (unsigned i = 0; i < 45; ++i) {
    ok.status = 200 + i;
    BOOST_REQUIRE(log.record(std::chrono::system_clock::now(), "e", ok, "{}"));
  }
  const auto text = read_text(log.path());
  BOOST_TEST(std::count(text.begin(), text.end(), '\n') == 30);
  BOOST_TEST(log.last()->at("status").as_int64() == 244);
  BOOST_TEST(boost::json::parse(text.substr(0, text.find('\n'))).at("status").as_int64() == 215);
}

BOOST_AUTO_TEST_CASE(each_kind_keeps_its_own_last_30_and_last_finds_its_kind) {
  temp_dir dir;
  posix_file_system fs;
  sent_log log(fs, dir.path());
  send_outcome ok;
  ok.status = 200;
  BOOST_REQUIRE(log.record(std::chrono::system_clock::now(), "e", ok, "{\"event\":1}"));
  // Many access requests after it: the event's record stays, and stays "the last event".
  for (unsigned i = 0; i < 40; ++i) {
    ok.status = 300 + i;
    BOOST_REQUIRE(log.record(std::chrono::system_clock::now(), "e/v1/access", ok, "{}", abandon_reason::none, "access"));
  }
  const auto text = read_text(log.path());
  BOOST_TEST(std::count(text.begin(), text.end(), '\n') == 31);
  BOOST_TEST_REQUIRE(log.last().has_value());
  BOOST_TEST(log.last()->at("status").as_int64() == 200);
  BOOST_TEST(log.last()->at("kind").as_string() == "event");
  BOOST_TEST(log.last("access")->at("status").as_int64() == 339);
  BOOST_TEST(!log.last("erasure").has_value());
  // A line written before kinds were recorded counts as an event.
  std::ofstream(log.path(), std::ios::app) << R"({"time":"2026-01-01T00:00:00Z","status":201,"body":"{}"})" << "\n";
  BOOST_TEST(log.last()->at("status").as_int64() == 201);
}

BOOST_AUTO_TEST_SUITE_END()
