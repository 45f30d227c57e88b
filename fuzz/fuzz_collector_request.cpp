// Fuzzes the collector's request path: raw bytes through Beast's request
// parser (with the collector's limits) into handle_request and validation.
#include "request_handler.hpp"

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/parser.hpp>

#include <cstddef>
#include <cstdint>

using namespace telemetry_collector;

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
    handler_options opts;
    opts.validator = &validator;
    auto r = handle_request(req, opts);
    if (r.accepted && r.response.result_int() / 100 != 2) __builtin_trap();
    return 0;
  }
  handler_options opts;
  opts.validator = &validator;
  auto r = handle_request(parser.get(), opts);
  if (r.accepted && r.response.result_int() / 100 != 2) __builtin_trap();
  return 0;
}
