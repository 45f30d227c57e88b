// Fuzzes the collector's request path: raw bytes through Beast's request
// parser (with the collector's limits) into handle_request and validation.
#include "request_handler.hpp"

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/parser.hpp>

#include <cstddef>
#include <cstdint>

using namespace telemetry_collector;

namespace {

// What handle_request promises, whatever the input.
void check(const handler_result& r) {
  switch (r.what) {
    case action::respond:
      if (r.response.result_int() < 200 || r.response.result_int() > 599) __builtin_trap();
      break;
    case action::store_event: {
      // Only a validated event: an object whose uuid is a string.
      const auto* o = r.event.if_object();
      if (!o || !o->contains("uuid") || !o->at("uuid").is_string()) __builtin_trap();
      break;
    }
    case action::erase_node:
    case action::admin_erase:
      if (r.uuid.size() != 36) __builtin_trap();
      break;
    case action::stats:
      if (r.days < 1 || r.days > 730) __builtin_trap();
      break;
    default:
      break;
  }
}

handler_options options(const schema_validator& validator) {
  handler_options opts;
  opts.validator = &validator;
  opts.admin_token = digest_token("fuzzing-admin-token-0123456789");
  return opts;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const schema_validator validator(log_event_schema_text());
  http::request_parser<http::string_body> parser;
  parser.header_limit(8 * 1024);
  parser.body_limit(k_max_body);
  parser.eager(true);
  boost::beast::error_code ec;
  parser.put(boost::asio::buffer(data, size), ec);
  if (ec || !parser.is_done()) {
    // Also treat the bytes as a body on its own.
    http::request<http::string_body> req{http::verb::post, "/", 11};
    req.body().assign(reinterpret_cast<const char*>(data), size);
    req.prepare_payload();
    check(handle_request(req, options(validator)));
    req.method(http::verb::delete_);
    check(handle_request(req, options(validator)));
    return 0;
  }
  check(handle_request(parser.get(), options(validator)));
  return 0;
}
