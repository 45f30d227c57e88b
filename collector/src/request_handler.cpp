#include "request_handler.hpp"

#include <boost/beast/http/field.hpp>
#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

namespace telemetry_collector {

namespace {

http::response<http::string_body> json_response(http::status status, unsigned version, bool keep_alive,
                                                const boost::json::object& body) {
  http::response<http::string_body> res{status, version};
  res.set(http::field::content_type, "application/json");
  res.keep_alive(keep_alive);
  res.body() = boost::json::serialize(body) + "\n";
  res.prepare_payload();
  return res;
}

http::response<http::string_body> error_response(http::status status, unsigned version, bool keep_alive,
                                                 std::string_view error, std::string_view field = {},
                                                 std::string_view detail = {}) {
  boost::json::object o;
  o["error"] = error;
  if (!field.empty()) o["field"] = field;
  if (!detail.empty()) o["detail"] = detail;
  return json_response(status, version, keep_alive, o);
}

}  // namespace

http::response<http::string_body> payload_too_large(unsigned version, bool keep_alive) {
  return error_response(http::status::payload_too_large, version, keep_alive, "body too large",
                        {}, "the limit is " + std::to_string(k_max_body) + " bytes");
}

handler_result handle_request(const http::request<http::string_body>& req, const handler_options& opts) {
  const unsigned v = req.version();
  const bool ka = req.keep_alive();
  handler_result out;

  if (req.target() == "/healthz") {
    if (req.method() != http::verb::get && req.method() != http::verb::head) {
      out.response = error_response(http::status::method_not_allowed, v, ka, "method not allowed");
      out.response.set(http::field::allow, "GET, HEAD");
      return out;
    }
    http::response<http::string_body> res{http::status::ok, v};
    res.set(http::field::content_type, "text/plain");
    res.keep_alive(ka);
    res.body() = "ok\n";
    res.prepare_payload();
    out.response = std::move(res);
    return out;
  }

  if (req.target() != "/") {
    out.response = error_response(http::status::not_found, v, ka, "not found");
    return out;
  }
  if (req.method() != http::verb::post) {
    out.response = error_response(http::status::method_not_allowed, v, ka, "method not allowed");
    out.response.set(http::field::allow, "POST");
    return out;
  }
  if (opts.retire) {
    out.response = error_response(http::status::gone, v, ka, "this collector has retired; stop sending");
    return out;
  }
  if (req.body().size() > k_max_body) {
    out.response = payload_too_large(v, ka);
    return out;
  }

  boost::json::parse_options po;
  po.max_depth = k_max_json_depth;
  boost::system::error_code ec;
  auto doc = boost::json::parse(req.body(), ec, {}, po);
  if (ec) {
    out.response = error_response(http::status::bad_request, v, ka, "malformed JSON", {}, ec.message());
    return out;
  }
  if (auto err = opts.validator->validate(doc)) {
    out.response = error_response(http::status::bad_request, v, ka, "invalid event", err->field, err->message);
    return out;
  }
  out.response = json_response(http::status::ok, v, ka, boost::json::object{{"status", "accepted"}});
  out.accepted = std::move(doc);
  return out;
}

}  // namespace telemetry_collector
