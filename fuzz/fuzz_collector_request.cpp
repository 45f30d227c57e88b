// Fuzzes the collector's request path: raw bytes through Beast's request
// parser (with the collector's limits) into handle_request and validation.
// Also differential: whenever the bytes (or the request's body) parse as JSON,
// the compiled payload checker must give valijson's verdict (compiled_schema.hpp),
// and reading without a DOM (read_flat) must accept exactly what it accepts,
// with the same values and the same stored text.
#include "request_handler.hpp"
#include "sqlite_codec.hpp"
#include "sqlite_store.hpp"
#include "storage.hpp"

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

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
      // Only a validated event, ready to store: its uuid taken out.
      const auto o = event_object(r.row);
      if (r.row.uuid.size() != 36 || !o.contains("uuid") || o.at("uuid") != r.row.uuid.c_str()) __builtin_trap();
      break;
    }
    case action::erase_node:
    case action::admin_erase:
    case action::node_access:
      if (r.uuid.size() != 36) __builtin_trap();
      break;
    case action::stats:
      if (r.days < 1 || r.days > 730) __builtin_trap();
      break;
    default:
      break;
  }
}

bool has_nul(const boost::json::value& v) {
  if (v.is_string()) return std::string_view(v.get_string()).find('\0') != std::string_view::npos;
  if (v.is_object())
    for (const auto& m : v.get_object())
      if (has_nul(m.value())) return true;
  if (v.is_array())
    for (const auto& e : v.get_array())
      if (has_nul(e)) return true;
  return false;
}

const event_encoder& encoder() {
  static const event_encoder enc = [] {
    static sqlite_connection db(":memory:", false);
    db.exec("CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL)");
    return event_encoder::for_fields(db.get(), schema_fields(log_event_schema_text()));
  }();
  return enc;
}

void check_verdicts_agree(const schema_validator& validator, std::string_view text) {
  boost::json::parse_options po;
  po.max_depth = k_max_json_depth;
  boost::system::error_code ec;
  const auto doc = boost::json::parse(text, ec, {}, po);
  flat_event flat;
  const bool flat_ok = validator.compiled()->read_flat(text, flat);
  if (ec) {
    if (flat_ok) __builtin_trap();  // read what the parser refuses
    return;
  }
  const bool mine = validator.compiled()->accepts(doc);
  if (flat_ok) {
    if (!mine || boost::json::value(to_object(flat)) != doc) __builtin_trap();
    if (encoder().encode(flat) != encoder().encode(doc.as_object())) __builtin_trap();
  } else if (mine && validator.compiled()->read_flat(boost::json::serialize(doc), flat) == false) {
    __builtin_trap();  // refused a conforming event (only a repeated key may send one to the parser)
  }
  if (mine != validator.compiled()->check(doc).ok) __builtin_trap();
  if (has_nul(doc)) {
    if (mine) __builtin_trap();  // stricter than valijson on purpose
  } else if (mine != validator.valijson_accepts(doc)) {
    __builtin_trap();
  }
}

// The row handle_request makes (without a DOM when it can) holds exactly
// the event a full parse of the body reads.
void check_row_matches_body(const http::request<http::string_body>& req, const handler_options& opts) {
  const auto r = handle_request(req, opts);
  check(r);
  if (r.what != action::store_event) return;
  boost::system::error_code ec;
  const auto doc = boost::json::parse(req.body(), ec);
  if (ec || boost::json::value(event_object(r.row)) != doc) __builtin_trap();
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
  if (!validator.compiled()) __builtin_trap();  // the payload schema left the compiled subset
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
    check_verdicts_agree(validator, req.body());
    check_row_matches_body(req, options(validator));
    req.method(http::verb::delete_);
    check(handle_request(req, options(validator)));
    return 0;
  }
  check_verdicts_agree(validator, parser.get().body());
  check_row_matches_body(parser.get(), options(validator));
  return 0;
}
