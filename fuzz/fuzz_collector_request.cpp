// Fuzzes the collector's request path: raw bytes through Beast's request
// parser (with the collector's limits) into handle_request and validation.
// Also differential: whenever the bytes (or the request's body) parse as JSON,
// the compiled payload checker must give valijson's verdict (compiled_schema.hpp)
// over every payload shape (valijson: any of the shapes' schemas), and reading
// without a DOM (read_flat) must accept exactly what it accepts, with the same
// values and the same stored text. Both ways of treating unknown keys: refused,
// or dropped (then the verdict is valijson's on the event without them, and
// the keys named are exactly those).
#include "request_handler.hpp"
#include "sqlite_codec.hpp"
#include "sqlite_store.hpp"
#include "storage.hpp"

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>
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

// `doc` without the members no shape has (those a drop leaves out), and their names.
boost::json::value without_unknown(const schema_validator& validator, const boost::json::value& doc,
                                   std::vector<std::string>& unknown) {
  unknown.clear();
  if (!doc.is_object()) return doc;
  boost::json::object out;
  const auto& fields = validator.fields();
  for (const auto& [k, v] : doc.get_object()) {
    if (std::find(fields.begin(), fields.end(), k) != fields.end())
      out[k] = v;
    else
      unknown.emplace_back(k);
  }
  return out;
}

// The same names, in any order (a key repeated in the text may change where
// the DOM puts it).
bool same_names(std::vector<std::string> a, std::vector<std::string> b) {
  std::sort(a.begin(), a.end());
  std::sort(b.begin(), b.end());
  return a == b;
}

void check_drop_agrees(const schema_validator& validator, std::string_view text, const boost::json::value& doc) {
  std::vector<std::string> unknown, dropped, flat_dropped;
  const auto known = without_unknown(validator, doc, unknown);
  const bool mine = validator.compiled()->accepts(doc, unknown_members::drop);
  const auto verdict = validator.compiled()->check(doc, unknown_members::drop, &dropped);
  if (verdict.ok != mine) __builtin_trap();
  if (mine && dropped != unknown) __builtin_trap();  // named exactly the members left out, in order (same DOM)
  // Judged as if they were not there, unless there are too many of them.
  const bool reference = unknown.size() <= k_max_unknown_members && validator.compiled()->accepts(known);
  if (mine != reference) __builtin_trap();
  if (!has_nul(known) && unknown.size() <= k_max_unknown_members && mine != validator.valijson_accepts(known))
    __builtin_trap();
  flat_event flat;
  if (validator.compiled()->read_flat(text, flat, unknown_members::drop, &flat_dropped)) {
    if (!mine || boost::json::value(to_object(flat)) != known || !same_names(flat_dropped, unknown)) __builtin_trap();
  }
}

void check_verdicts_agree(const schema_validator& validator, std::string_view text) {
  boost::json::parse_options po;
  po.max_depth = k_max_json_depth;
  boost::system::error_code ec;
  const auto doc = boost::json::parse(text, ec, {}, po);
  flat_event flat;
  const bool flat_ok = validator.compiled()->read_flat(text, flat);
  std::vector<std::string> ignored;
  if (ec) {
    // read what the parser refuses
    if (flat_ok || validator.compiled()->read_flat(text, flat, unknown_members::drop, &ignored)) __builtin_trap();
    return;
  }
  check_drop_agrees(validator, text, doc);
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
// the event a full parse of the body reads, less the keys it names as dropped
// (none when they are refused).
void check_row_matches_body(const schema_validator& validator, const http::request<http::string_body>& req,
                            const handler_options& opts) {
  const auto r = handle_request(req, opts);
  check(r);
  if (r.what != action::store_event) return;
  boost::system::error_code ec;
  const auto doc = boost::json::parse(req.body(), ec);
  if (ec) __builtin_trap();
  std::vector<std::string> unknown;
  const auto known = without_unknown(validator, doc, unknown);
  if (boost::json::value(event_object(r.row)) != known || !same_names(r.dropped_keys, unknown)) __builtin_trap();
  if (opts.unknown_keys == unknown_members::refuse && !unknown.empty()) __builtin_trap();
}

handler_options options(const schema_validator& validator, unknown_members unknown = unknown_members::drop) {
  handler_options opts;
  opts.validator = &validator;
  opts.unknown_keys = unknown;
  opts.admin_token = digest_token("fuzzing-admin-token-0123456789");
  return opts;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const schema_validator validator = make_log_event_validator();
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
    check_row_matches_body(validator, req, options(validator));
    check_row_matches_body(validator, req, options(validator, unknown_members::refuse));
    req.method(http::verb::delete_);
    check(handle_request(req, options(validator)));
    return 0;
  }
  check_verdicts_agree(validator, parser.get().body());
  check_row_matches_body(validator, parser.get(), options(validator));
  check_row_matches_body(validator, parser.get(), options(validator, unknown_members::refuse));
  return 0;
}
