#include "kubo_example.hpp"
#include "request_handler.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/test/unit_test.hpp>

using namespace telemetry_collector;
namespace json = boost::json;

namespace {

const schema_validator& validator() {
  static const schema_validator v(log_event_schema_text());
  return v;
}

handler_result call(http::verb method, std::string target, std::string body = {}, bool retire = false) {
  http::request<http::string_body> req{method, target, 11};
  req.body() = std::move(body);
  req.prepare_payload();
  handler_options opts;
  opts.validator = &validator();
  opts.retire = retire;
  return handle_request(req, opts);
}

json::object error_body(const handler_result& r) { return json::parse(r.response.body()).as_object(); }

}  // namespace

BOOST_AUTO_TEST_SUITE(request_handler_tests)

BOOST_AUTO_TEST_CASE(valid_event_is_accepted_with_2xx) {
  auto r = call(http::verb::post, "/", k_kubo_example_payload);
  BOOST_TEST(r.response.result_int() / 100 == 2u);
  BOOST_REQUIRE(r.accepted.has_value());
  BOOST_TEST(r.accepted->at("uuid").as_string() == "f81d4fae-7dec-11d0-a765-00a0c91e6bf6");
}

BOOST_AUTO_TEST_CASE(malformed_json_is_400) {
  auto r = call(http::verb::post, "/", "{\"uuid\":");
  BOOST_TEST(r.response.result_int() == 400u);
  BOOST_TEST(!r.accepted.has_value());
  BOOST_TEST(error_body(r).at("error").as_string() == "malformed JSON");
}

BOOST_AUTO_TEST_CASE(schema_violation_is_400_naming_the_field) {
  auto doc = json::parse(k_kubo_example_payload).as_object();
  doc["routing_delegated_count"] = "three";
  auto r = call(http::verb::post, "/", json::serialize(doc));
  BOOST_TEST(r.response.result_int() == 400u);
  BOOST_TEST(!r.accepted.has_value());
  BOOST_TEST(error_body(r).at("field").as_string() == "routing_delegated_count");
  BOOST_TEST(r.response[http::field::content_type] == "application/json");
}

BOOST_AUTO_TEST_CASE(deep_nesting_is_rejected_before_validation) {
  std::string deep(100, '[');
  deep += std::string(100, ']');
  auto r = call(http::verb::post, "/", deep);
  BOOST_TEST(r.response.result_int() == 400u);
}

BOOST_AUTO_TEST_CASE(oversized_body_is_413) {
  auto r = call(http::verb::post, "/", std::string(k_max_body + 1, ' '));
  BOOST_TEST(r.response.result_int() == 413u);
}

BOOST_AUTO_TEST_CASE(healthz_answers_200) {
  BOOST_TEST(call(http::verb::get, "/healthz").response.result_int() == 200u);
  BOOST_TEST(call(http::verb::post, "/healthz").response.result_int() == 405u);
}

BOOST_AUTO_TEST_CASE(other_paths_and_methods) {
  BOOST_TEST(call(http::verb::get, "/").response.result_int() == 405u);
  BOOST_TEST(call(http::verb::post, "/other", k_kubo_example_payload).response.result_int() == 404u);
}

BOOST_AUTO_TEST_CASE(retire_mode_answers_410_and_stores_nothing) {
  auto r = call(http::verb::post, "/", k_kubo_example_payload, true);
  BOOST_TEST(r.response.result_int() == 410u);
  BOOST_TEST(!r.accepted.has_value());
}

BOOST_AUTO_TEST_SUITE_END()
