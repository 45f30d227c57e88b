#include "sent_log.hpp"

#include "support/test_support.hpp"

#include <boost/asio/error.hpp>
#include <boost/json/parse.hpp>
#include <boost/test/unit_test.hpp>

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

BOOST_AUTO_TEST_SUITE_END()
