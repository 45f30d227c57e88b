#include "sqlite_codec.hpp"
#include "kubo_example.hpp"
#include "payload_validator.hpp"
#include "request_actions.hpp"
#include "request_handler.hpp"

#include <boost/beast/http/parser.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/test/unit_test.hpp>

using namespace telemetry_collector;
namespace json = boost::json;

namespace {

constexpr const char* k_token = "correct-horse-battery-staple";

handler_options options(bool retire = false) {
  handler_options opts;
  opts.validator = &payload_validator();
  opts.retire = retire;
  return opts;
}

handler_result call_with(const handler_options& opts, http::verb method, std::string target, std::string body = {},
                         std::string authorization = {}) {
  http::request<http::string_body> req{method, target, 11};
  if (!authorization.empty()) req.set(http::field::authorization, authorization);
  req.body() = std::move(body);
  req.prepare_payload();
  return handle_request(req, opts);
}

handler_result call(http::verb method, std::string target, std::string body = {}, bool retire = false) {
  return call_with(options(retire), method, std::move(target), std::move(body));
}

handler_options admin_options(bool private_stats = false) {
  auto opts = options();
  opts.admin_token = digest_token(k_token);
  opts.private_stats = private_stats;
  return opts;
}

json::object error_body(const handler_result& r) { return json::parse(r.response.body()).as_object(); }

}  // namespace

BOOST_AUTO_TEST_SUITE(request_handler_tests)

BOOST_AUTO_TEST_CASE(valid_event_is_accepted_with_2xx) {
  auto r = call(http::verb::post, "/", k_kubo_example_payload);
  BOOST_REQUIRE((r.what == action::store_event));
  BOOST_TEST(r.row.uuid == "f81d4fae-7dec-11d0-a765-00a0c91e6bf6");
  BOOST_TEST(r.rejected.empty());
  BOOST_TEST(accepted(11, true).result_int() / 100 == 2u);
}

// A conforming event comes out ready to store whichever way it was read
// (without a DOM, or parsed because a key is given twice): its uuid taken
// out, its values those of the body, in the schema's order.
BOOST_AUTO_TEST_CASE(an_event_comes_out_ready_to_store_either_way) {
  const std::string twice = std::string(k_kubo_example_payload).insert(1, R"("uuid":"x",)");
  for (const std::string& body : {std::string(k_kubo_example_payload), twice}) {
    auto r = call(http::verb::post, "/", body);
    BOOST_REQUIRE((r.what == action::store_event));
    BOOST_TEST(r.row.uuid == "f81d4fae-7dec-11d0-a765-00a0c91e6bf6", body);
    BOOST_TEST(r.row.values.names() == payload_validator().fields());
    // Boost.JSON keeps the last of a repeated key, as the validator judged it.
    BOOST_TEST(json::value(event_object(r.row)) == json::parse(body), body);
  }
  auto wrong = json::parse(k_kubo_example_payload).as_object();
  wrong["routing_delegated_count"] = "three";
  for (const std::string& body : {json::serialize(wrong), std::string("{\"uuid\":"), std::string("[]")})
    BOOST_TEST((call(http::verb::post, "/", body).what == action::respond), body);
}

BOOST_AUTO_TEST_CASE(malformed_json_is_400) {
  auto r = call(http::verb::post, "/", "{\"uuid\":");
  BOOST_TEST(r.response.result_int() == 400u);
  BOOST_TEST((r.what == action::respond));
  BOOST_TEST(error_body(r).at("error").as_string() == "malformed JSON");
  BOOST_TEST(r.rejected == "malformed_json");
}

BOOST_AUTO_TEST_CASE(schema_violation_is_400_naming_the_field) {
  auto doc = json::parse(k_kubo_example_payload).as_object();
  doc["routing_delegated_count"] = "three";
  auto r = call(http::verb::post, "/", json::serialize(doc));
  BOOST_TEST(r.response.result_int() == 400u);
  BOOST_TEST((r.what == action::respond));
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

BOOST_AUTO_TEST_CASE(healthz_asks_the_store) {
  BOOST_TEST((call(http::verb::get, "/healthz").what == action::health));
  BOOST_TEST(call(http::verb::post, "/healthz").response.result_int() == 405u);
  auto good = health_answer(11, true, std::nullopt, std::chrono::seconds(5));
  BOOST_TEST(good.result_int() == 200u);
  BOOST_TEST(good.body() == "ok\n");
  auto bad = health_answer(11, true, std::string("the database file was deleted"), std::chrono::seconds(5));
  BOOST_TEST(bad.result_int() == 503u);
  BOOST_TEST(bad[http::field::retry_after] == "5");  // the engine's hint
  BOOST_TEST(bad.body().find("the database file was deleted") != std::string::npos);
}

// The session drops a HEAD's body; here every route that answers GET takes HEAD too.
BOOST_AUTO_TEST_CASE(head_is_taken_wherever_get_is) {
  BOOST_TEST((call(http::verb::head, "/healthz").what == action::health));
  BOOST_TEST(call(http::verb::head, "/").response.result_int() == 200u);
  BOOST_TEST((call(http::verb::head, "/v1/stats").what == action::stats));
  BOOST_TEST((call(http::verb::head, "/metrics").what == action::metrics));
  BOOST_TEST((call_with(admin_options(), http::verb::head, "/v1/export", {}, std::string("Bearer ") + k_token).what ==
              action::export_all));
  auto r = call(http::verb::put, "/v1/stats");
  BOOST_TEST(r.response.result_int() == 405u);
  BOOST_TEST(r.response[http::field::allow] == "GET, HEAD");
}

BOOST_AUTO_TEST_CASE(the_payload_schema_is_served_for_the_dashboard) {
  auto r = call(http::verb::get, "/v1/schema");
  BOOST_TEST(r.response.result_int() == 200u);
  BOOST_TEST(r.response[http::field::content_type] == "application/schema+json");
  const auto schema = json::parse(r.response.body());
  BOOST_TEST(schema.at("properties").at("platform_vm").at("type").as_string() == "boolean");
  BOOST_TEST(schema.at("properties").at("routing_type").at("type").as_string() == "string");
  BOOST_TEST(call(http::verb::post, "/v1/schema").response.result_int() == 405u);
}

BOOST_AUTO_TEST_CASE(other_paths_and_methods) {
  BOOST_TEST(call(http::verb::put, "/").response.result_int() == 405u);
  BOOST_TEST(call(http::verb::post, "/other", k_kubo_example_payload).response.result_int() == 404u);
  BOOST_TEST(call(http::verb::post, "/v1/stats").response.result_int() == 405u);
}

BOOST_AUTO_TEST_CASE(dashboard_files_are_served_with_a_strict_policy) {
  auto r = call(http::verb::get, "/");
  BOOST_TEST(r.response.result_int() == 200u);
  BOOST_TEST(r.response[http::field::content_type].starts_with("text/html"));
  BOOST_TEST(r.response["Content-Security-Policy"].find("default-src 'self'") != std::string_view::npos);
  BOOST_TEST(call(http::verb::get, "/dashboard.js").response.result_int() == 200u);
  BOOST_TEST(call(http::verb::get, "/dashboard.css").response.result_int() == 200u);
  auto settings = call(http::verb::get, "/settings");
  BOOST_TEST(settings.response.result_int() == 200u);
  BOOST_TEST(settings.response[http::field::content_type].starts_with("text/html"));
  BOOST_TEST(settings.response["Content-Security-Policy"].find("default-src 'self'") != std::string_view::npos);
  BOOST_TEST(settings.response.body().find("<script src=\"/settings.js\"") != std::string::npos);
  auto script = call(http::verb::get, "/settings.js");
  BOOST_TEST(script.response.result_int() == 200u);
  BOOST_TEST(script.response[http::field::content_type].starts_with("text/javascript"));
}

BOOST_AUTO_TEST_CASE(erasure_request_names_the_uuid) {
  auto r = call(http::verb::delete_, "/", R"({"uuid":"f81d4fae-7dec-11d0-a765-00a0c91e6bf6"})");
  BOOST_REQUIRE((r.what == action::erase_node));
  BOOST_TEST(r.uuid == "f81d4fae-7dec-11d0-a765-00a0c91e6bf6");
  BOOST_TEST(no_content(11, true).result_int() == 204u);
}

BOOST_AUTO_TEST_CASE(erasure_request_with_a_bad_uuid_is_400) {
  for (std::string body : {R"({"uuid":"F81D4FAE-7DEC-11D0-A765-00A0C91E6BF6"})", R"({"uuid":"x"})", R"({"uuid":7})",
                           R"({"uuid":"f81d4fae-7dec-11d0-a765-00a0c91e6bf6","more":1})", R"([])", R"({"uuid":)"}) {
    auto r = call(http::verb::delete_, "/", body);
    BOOST_TEST(r.response.result_int() == 400u, body);
    BOOST_TEST((r.what == action::respond));
  }
  auto r = call(http::verb::delete_, "/", R"({"uuid":"x"})");
  BOOST_TEST(error_body(r).at("field").as_string() == "uuid");
  BOOST_TEST(r.rejected == "invalid_erasure");
}

BOOST_AUTO_TEST_CASE(access_request_names_the_uuid_and_is_a_right_whatever_the_mode) {
  const std::string body = R"({"uuid":"f81d4fae-7dec-11d0-a765-00a0c91e6bf6"})";
  for (bool retire : {false, true}) {
    auto r = call_with(options(retire), http::verb::post, "/v1/access", body);
    BOOST_REQUIRE((r.what == action::node_access));
    BOOST_TEST(r.uuid == "f81d4fae-7dec-11d0-a765-00a0c91e6bf6");
  }
  settings_state off(collector_settings{});  // collection off
  auto opts = options();
  opts.settings = &off;
  BOOST_TEST(call_with(opts, http::verb::post, "/", k_kubo_example_payload).response.result_int() == 503u);
  BOOST_TEST((call_with(opts, http::verb::post, "/v1/access", body).what == action::node_access));
  auto get = call(http::verb::get, "/v1/access?uuid=f81d4fae-7dec-11d0-a765-00a0c91e6bf6");
  BOOST_TEST(get.response.result_int() == 405u);  // never in the URL
  BOOST_TEST(get.response[http::field::allow] == "POST");
}

BOOST_AUTO_TEST_CASE(access_request_with_a_bad_uuid_is_400) {
  for (std::string body : {R"({"uuid":"F81D4FAE-7DEC-11D0-A765-00A0C91E6BF6"})", R"({"uuid":"x"})", R"({"uuid":7})",
                           R"({"uuid":"f81d4fae-7dec-11d0-a765-00a0c91e6bf6","more":1})", R"([])", ""}) {
    auto r = call(http::verb::post, "/v1/access", body);
    BOOST_TEST(r.response.result_int() == 400u, body);
    BOOST_TEST((r.what == action::respond));
  }
  auto r = call(http::verb::post, "/v1/access", R"({"uuid":"x"})");
  BOOST_TEST(error_body(r).at("error").as_string() == "invalid access request");
  BOOST_TEST(error_body(r).at("field").as_string() == "uuid");
  BOOST_TEST(r.rejected == "invalid_access");
  BOOST_TEST(call(http::verb::post, "/v1/access", "{").rejected == "malformed_json");
}

BOOST_AUTO_TEST_CASE(an_access_answer_is_ndjson_with_the_cap_and_what_aggregates_hold) {
  node_events_read some;
  some.ndjson = "{}\n";
  some.events = 1;
  auto res = access_answer(11, true, some);
  BOOST_TEST(res.result_int() == 200u);
  BOOST_TEST(res[http::field::content_type] == "application/x-ndjson");
  BOOST_TEST(res[http::field::cache_control] == "no-store");
  BOOST_TEST(res.body() == "{}\n");
  BOOST_TEST(res[k_access_limit_header] == std::to_string(k_max_access_events));
  BOOST_TEST(res[k_access_aggregates_header].find("no UUID or other identifier") != std::string_view::npos);
  BOOST_TEST(res.count(k_access_truncated_header) == 0u);
  some.more = true;
  BOOST_TEST(access_answer(11, true, some).count(k_access_truncated_header) == 1u);
  BOOST_TEST(access_answer(11, true, node_events_read{}).body().empty());  // none held: an empty body
}

BOOST_AUTO_TEST_CASE(stats_days_parameter_is_checked) {
  auto r = call(http::verb::get, "/v1/stats?days=90");
  BOOST_REQUIRE((r.what == action::stats));
  BOOST_TEST(r.days == 90);
  BOOST_TEST(call(http::verb::get, "/v1/stats").days == k_default_stats_days);
  for (std::string q : {"0", "731", "-1", "ten", "5x", ""}) {
    auto bad = call(http::verb::get, "/v1/stats?days=" + q);
    BOOST_TEST(bad.response.result_int() == 400u, q);
    BOOST_TEST(error_body(bad).at("field").as_string() == "days");
  }
}

BOOST_AUTO_TEST_CASE(admin_api_is_off_without_a_token_file) {
  BOOST_TEST(call(http::verb::get, "/v1/export").response.result_int() == 403u);
  BOOST_TEST(call(http::verb::delete_, "/v1/nodes/f81d4fae-7dec-11d0-a765-00a0c91e6bf6").response.result_int() ==
             403u);
}

BOOST_AUTO_TEST_CASE(admin_api_needs_the_bearer_token) {
  const auto opts = admin_options();
  auto none = call_with(opts, http::verb::get, "/v1/export");
  BOOST_TEST(none.response.result_int() == 401u);
  BOOST_TEST(none.response[http::field::www_authenticate].starts_with("Bearer"));
  BOOST_TEST(call_with(opts, http::verb::get, "/v1/export", {}, "Bearer wrong-token-wrong-token").response
                 .result_int() == 401u);
  BOOST_TEST(call_with(opts, http::verb::get, "/v1/export", {}, std::string("Basic ") + k_token).response
                 .result_int() == 401u);
  BOOST_TEST(call_with(opts, http::verb::get, "/v1/export", {}, std::string("Bearer ") + k_token + "x").response
                 .result_int() == 401u);
  BOOST_TEST((call_with(opts, http::verb::get, "/v1/export", {}, std::string("Bearer ") + k_token).what ==
              action::export_all));
  auto erase = call_with(opts, http::verb::delete_, "/v1/nodes/f81d4fae-7dec-11d0-a765-00a0c91e6bf6", {},
                         std::string("Bearer ") + k_token);
  BOOST_REQUIRE((erase.what == action::admin_erase));
  BOOST_TEST(erase.uuid == "f81d4fae-7dec-11d0-a765-00a0c91e6bf6");
}

BOOST_AUTO_TEST_CASE(stats_are_public_unless_private_stats) {
  BOOST_TEST((call_with(admin_options(), http::verb::get, "/v1/stats").what == action::stats));
  BOOST_TEST((call_with(admin_options(), http::verb::get, "/metrics").what == action::metrics));
  const auto priv = admin_options(true);
  BOOST_TEST(call_with(priv, http::verb::get, "/v1/stats").response.result_int() == 401u);
  BOOST_TEST(call_with(priv, http::verb::get, "/metrics").response.result_int() == 401u);
  BOOST_TEST((call_with(priv, http::verb::get, "/v1/stats", {}, std::string("Bearer ") + k_token).what ==
              action::stats));
  // The page itself holds no data; it asks for the token when the stats answer 401.
  BOOST_TEST(call_with(priv, http::verb::get, "/").response.result_int() == 200u);
}

BOOST_AUTO_TEST_CASE(retire_mode_answers_410_and_stores_nothing) {
  auto r = call(http::verb::post, "/", k_kubo_example_payload, true);
  BOOST_TEST(r.response.result_int() == 410u);
  BOOST_TEST((r.what == action::respond));
}

BOOST_AUTO_TEST_CASE(the_pre_serialized_acceptance_is_a_complete_http_response) {
  for (unsigned version : {10u, 11u})
    for (bool keep_alive : {false, true}) {
      const std::string& wire = accepted_wire(version, keep_alive);
      http::response_parser<http::string_body> parser;
      parser.eager(true);
      boost::beast::error_code ec;
      const auto used = parser.put(boost::asio::buffer(wire), ec);
      BOOST_TEST_REQUIRE(!ec, ec.message());
      BOOST_TEST(parser.is_done());
      BOOST_TEST(used == wire.size());  // nothing after the message
      const auto& res = parser.get();
      BOOST_TEST(res.result_int() == 200u);
      BOOST_TEST(res.version() == version);
      BOOST_TEST(res.keep_alive() == keep_alive);
      BOOST_TEST(res[http::field::content_type] == "application/json");
      BOOST_TEST(res[http::field::cache_control] == "no-store");
      BOOST_TEST(json::parse(res.body()) == json::parse(R"({"status":"accepted"})"));
    }
}

BOOST_AUTO_TEST_CASE(unknown_keys_are_dropped_and_named_or_refused_and_bounded) {
  auto o = json::parse(k_kubo_example_payload).as_object();
  o["a_newer_key"] = 1;
  auto r = call(http::verb::post, "/", json::serialize(o));
  BOOST_TEST_REQUIRE((r.what == action::store_event));
  BOOST_TEST((r.dropped_keys == std::vector<std::string>{"a_newer_key"}));
  BOOST_TEST(json::value(event_object(r.row)) == json::parse(k_kubo_example_payload));
  auto strict = options();
  strict.unknown_keys = unknown_members::refuse;
  r = call_with(strict, http::verb::post, "/", json::serialize(o));
  BOOST_TEST((r.what == action::respond));
  BOOST_TEST(r.response.result_int() == 400);
  BOOST_TEST(error_body(r).at("field").as_string() == "a_newer_key");
  // 64 unknown keys are dropped; one more and the event is refused (flat path and DOM path alike).
  for (bool nested : {false, true}) {
    auto many = json::parse(k_kubo_example_payload).as_object();
    for (int i = 0; i < 64; ++i) many["k" + std::to_string(i)] = nested ? json::value(json::array{1}) : json::value(i);
    r = call(http::verb::post, "/", json::serialize(many));
    BOOST_TEST((r.what == action::store_event), nested);
    BOOST_TEST(r.dropped_keys.size() == 64u);
    many["k64"] = 0;
    r = call(http::verb::post, "/", json::serialize(many));
    BOOST_TEST((r.what == action::respond), nested);
    BOOST_TEST(r.response.result_int() == 400);
    BOOST_TEST(error_body(r).at("field").as_string() == "k64");
  }
}

BOOST_AUTO_TEST_CASE(a_new_key_is_logged_once_printable_and_bounded) {
  std::vector<std::string> lines;
  log_sink log = [&](log_level, const std::string& m) { lines.push_back(m); };
  new_key_notices notices;
  notices.note({"provide_new_thing"}, log);
  notices.note({"provide_new_thing"}, log);
  BOOST_TEST_REQUIRE(lines.size() == 1u);
  BOOST_TEST(lines[0].find("\"provide_new_thing\"") != std::string::npos, lines[0]);
  // Shown printable: no quote, backslash, control or non-ASCII byte; at most 64 bytes.
  BOOST_TEST(printable_key("a\"b\\c\nd\x01é") == "a?b?c?d???");
  BOOST_TEST(printable_key(std::string(100, 'x')) == std::string(64, 'x') + "...");
  // At most k_max_named names, then one line saying there are more.
  lines.clear();
  std::vector<std::string> many;
  for (std::size_t i = 0; i < 2 * new_key_notices::k_max_named; ++i) many.push_back("key" + std::to_string(i));
  notices.note(many, log);
  notices.note({"yet_another"}, log);
  BOOST_TEST(lines.size() == new_key_notices::k_max_named);  // 31 more names (one is named already), one line
  BOOST_TEST(lines.back().find("not named") != std::string::npos, lines.back());
}

BOOST_AUTO_TEST_SUITE_END()
