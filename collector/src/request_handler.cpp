#include "request_handler.hpp"

#include <boost/beast/http/field.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/json/monotonic_resource.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/url/parse.hpp>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <array>
#include <charconv>
#include <sstream>

namespace telemetry_collector {

namespace {

http::response<http::string_body> json_response(http::status status, unsigned version, bool keep_alive,
                                                const boost::json::object& body) {
  http::response<http::string_body> res{status, version};
  res.set(http::field::content_type, "application/json");
  res.set(http::field::cache_control, "no-store");
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

handler_result respond(http::response<http::string_body> res, std::string_view rejected = {}) {
  handler_result out;
  out.response = std::move(res);
  out.rejected = rejected;
  return out;
}

handler_result method_not_allowed(unsigned v, bool ka, const char* allow) {
  auto res = error_response(http::status::method_not_allowed, v, ka, "method not allowed");
  res.set(http::field::allow, allow);
  return respond(std::move(res));
}

// The query parameter `name` as a whole number from min to max; nullopt when
// absent (`present` false) or anything else (`present` true).
std::optional<int> int_param(const boost::urls::params_view& params, std::string_view name, int min, int max,
                             bool& present) {
  auto it = params.find(name);
  present = it != params.end();
  const std::string text = present && (*it).has_value ? std::string((*it).value) : std::string();
  int n = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (text.empty() || ec != std::errc{} || end != text.data() + text.size() || n < min || n > max) return std::nullopt;
  return n;
}

bool is_canonical_uuid(std::string_view s) {
  if (s.size() != 36) return false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (c != '-') return false;
    } else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
      return false;
    }
  }
  return true;
}

// nullopt: authorized. Otherwise the 401/403 to answer.
std::optional<http::response<http::string_body>> check_admin(const http::request<http::string_body>& req,
                                                              const handler_options& opts) {
  const unsigned v = req.version();
  const bool ka = req.keep_alive();
  if (!opts.admin_token)
    return error_response(http::status::forbidden, v, ka, "admin API disabled", {},
                          "start the collector with --admin-token-file");
  const std::string_view auth = req[http::field::authorization];
  constexpr std::string_view scheme = "Bearer ";
  if (auth.size() > scheme.size() && auth.substr(0, scheme.size()) == scheme) {
    const token_digest given = digest_token(auth.substr(scheme.size()));
    if (CRYPTO_memcmp(given.data(), opts.admin_token->data(), given.size()) == 0) return std::nullopt;
  }
  auto res = error_response(http::status::unauthorized, v, ka, "unauthorized", {},
                            "send Authorization: Bearer <admin token>");
  res.set(http::field::www_authenticate, "Bearer realm=\"telemetry-collector\"");
  return res;
}

handler_result handle_ingest(const http::request<http::string_body>& req, const handler_options& opts) {
  const unsigned v = req.version();
  const bool ka = req.keep_alive();
  if (opts.retire)
    return respond(error_response(http::status::gone, v, ka, "this collector has retired; stop sending"), "retired");
  // Nothing of the request is looked at, counted or logged.
  if (opts.settings && !opts.settings->collecting()) return respond(collection_off(v));
  if (req.body().size() > k_max_body) return respond(payload_too_large(v, ka), "too_large");
  handler_result out;
  // The common case, a conforming event, without building a DOM.
  if (const auto* compiled = opts.validator->compiled();
      compiled && compiled->read_flat(req.body(), out.row.values, opts.unknown_keys, &out.dropped_keys)) {
    out.what = action::store_event;
    // Required by the schema, and a string: read_flat checked both.
    out.row.uuid = out.row.values.string_at(out.row.values.index_of("uuid"));
    return out;
  }

  // The event's JSON is parsed into this buffer (no allocation per value)
  // and lives only until its row is made, before this returns.
  alignas(std::max_align_t) unsigned char arena[8192];
  boost::json::monotonic_resource parsed(arena, sizeof arena);
  boost::json::parse_options po;
  po.max_depth = k_max_json_depth;
  boost::system::error_code ec;
  auto doc = boost::json::parse(req.body(), ec, &parsed, po);
  if (ec)
    return respond(error_response(http::status::bad_request, v, ka, "malformed JSON", {}, ec.message()),
                   "malformed_json");
  if (auto err = opts.validator->validate(doc, opts.unknown_keys, &out.dropped_keys))
    return respond(error_response(http::status::bad_request, v, ka, "invalid event", err->field, err->message),
                   "invalid_event");
  out.what = action::store_event;
  out.row = make_row(doc.as_object(), opts.validator->fields(), 0);
  return out;
}

// A request a node proves with its UUID alone, in the body (so it stays out
// of URLs and proxy logs): {"uuid": "<canonical lower-case UUID>"}. `name`
// is the request's in the error, `rejected` its rejection counter.
handler_result uuid_request(const http::request<http::string_body>& req, action what, std::string_view name,
                            std::string_view rejected) {
  const unsigned v = req.version();
  const bool ka = req.keep_alive();
  if (req.body().size() > k_max_body) return respond(payload_too_large(v, ka), "too_large");
  boost::json::parse_options po;
  po.max_depth = 2;
  boost::system::error_code ec;
  auto doc = boost::json::parse(req.body(), ec, {}, po);
  if (ec)
    return respond(error_response(http::status::bad_request, v, ka, "malformed JSON", {}, ec.message()),
                   "malformed_json");
  const auto* obj = doc.if_object();
  const boost::json::value* uuid = obj ? obj->if_contains("uuid") : nullptr;
  if (!obj || obj->size() != 1 || !uuid || !uuid->is_string() || !is_canonical_uuid(uuid->get_string()))
    return respond(error_response(http::status::bad_request, v, ka, "invalid " + std::string(name), "uuid",
                                  R"(expected {"uuid": "<the node's UUID, lower case>"})"),
                   rejected);
  handler_result out;
  out.what = what;
  out.uuid = std::string(uuid->get_string());
  return out;
}

}  // namespace

token_digest digest_token(std::string_view token) {
  token_digest d{};
  unsigned int len = 0;
  EVP_Digest(token.data(), token.size(), d.data(), &len, EVP_sha256(), nullptr);
  return d;
}

http::response<http::string_body> payload_too_large(unsigned version, bool keep_alive) {
  return error_response(http::status::payload_too_large, version, keep_alive, "body too large", {},
                        "the limit is " + std::to_string(k_max_body) + " bytes");
}

http::response<http::string_body> accepted(unsigned version, bool keep_alive) {
  return json_response(http::status::ok, version, keep_alive, boost::json::object{{"status", "accepted"}});
}

const std::string& accepted_wire(unsigned version, bool keep_alive) {
  constexpr auto slot = [](unsigned v, bool ka) { return (v == 11 ? 2 : 0) + (ka ? 1 : 0); };
  static const std::array<std::string, 4> wire = [&] {
    std::array<std::string, 4> out;
    for (unsigned v : {10u, 11u})
      for (bool ka : {false, true}) {
        std::ostringstream os;
        os << accepted(v, ka);
        out[slot(v, ka)] = os.str();
      }
    return out;
  }();
  return wire[slot(version, keep_alive)];
}

http::response<http::string_body> no_content(unsigned version, bool keep_alive) {
  http::response<http::string_body> res{http::status::no_content, version};
  res.keep_alive(keep_alive);
  res.prepare_payload();
  return res;
}

http::response<http::string_body> json_ok(unsigned version, bool keep_alive, const boost::json::object& body) {
  return json_response(http::status::ok, version, keep_alive, body);
}

http::response<http::string_body> text_ok(unsigned version, bool keep_alive, std::string content_type,
                                          std::string body) {
  http::response<http::string_body> res{http::status::ok, version};
  res.set(http::field::content_type, content_type);
  res.set(http::field::cache_control, "no-store");
  res.keep_alive(keep_alive);
  res.body() = std::move(body);
  res.prepare_payload();
  return res;
}

http::response<http::string_body> access_answer(unsigned version, bool keep_alive, node_events_read events) {
  auto res = text_ok(version, keep_alive, "application/x-ndjson", std::move(events.ndjson));
  res.set(k_access_limit_header, std::to_string(k_max_access_events));
  if (events.more) res.set(k_access_truncated_header, "oldest events left out; these are the newest");
  res.set(k_access_aggregates_header, k_access_aggregates_text);
  return res;
}

http::response<http::string_body> storage_failure(unsigned version, std::chrono::seconds retry_after) {
  auto res = error_response(http::status::service_unavailable, version, false, "storage failure");
  res.set(http::field::retry_after, std::to_string(retry_after.count()));
  return res;
}

http::response<http::string_body> collection_off(unsigned version) {
  auto res = error_response(http::status::service_unavailable, version, false, "collection is off", {},
                            "this collector does not collect telemetry now; retry later");
  res.set(http::field::retry_after, std::to_string(k_collection_off_retry.count()));
  return res;
}

http::response<http::string_body> busy(unsigned version) {
  auto res = error_response(http::status::service_unavailable, version, false, "busy", {},
                            "too many statistics answers are being sent; retry shortly");
  res.set(http::field::retry_after, "1");
  return res;
}

http::response<http::string_body> health_answer(unsigned version, bool keep_alive,
                                                const std::optional<std::string>& problem,
                                                std::chrono::seconds retry_after) {
  if (!problem) return text_ok(version, keep_alive, "text/plain", "ok\n");
  auto res = text_ok(version, keep_alive, "text/plain", "storage failure: " + *problem + "\n");
  res.result(http::status::service_unavailable);
  res.set(http::field::retry_after, std::to_string(retry_after.count()));
  return res;
}

handler_result handle_request(const http::request<http::string_body>& req, const handler_options& opts) {
  const unsigned v = req.version();
  const bool ka = req.keep_alive();
  const auto method = req.method();

  auto target = boost::urls::parse_origin_form(req.target());
  if (!target) return respond(error_response(http::status::bad_request, v, ka, "malformed request target"));
  const std::string path = target->path();

  if (path == "/healthz") {
    if (method != http::verb::get && method != http::verb::head) return method_not_allowed(v, ka, "GET, HEAD");
    handler_result out;
    out.what = action::health;
    return out;
  }

  if (path == "/") {
    if (method == http::verb::post) return handle_ingest(req, opts);
    if (method == http::verb::delete_)
      return uuid_request(req, action::erase_node, "erasure request", "invalid_erasure");
    if (method != http::verb::get && method != http::verb::head)
      return method_not_allowed(v, ka, "GET, HEAD, POST, DELETE");
  }

  if (const auto* asset = dashboard_asset(path)) {
    if (method != http::verb::get && method != http::verb::head) return method_not_allowed(v, ka, "GET, HEAD");
    auto res = text_ok(v, ka, std::string(asset->content_type), std::string(asset->body));
    res.set(http::field::cache_control, "no-cache");
    res.set("Content-Security-Policy",
            "default-src 'self'; style-src 'self'; script-src 'self'; img-src 'self' data:");
    res.set("X-Content-Type-Options", "nosniff");
    return respond(std::move(res));
  }

  // A node's own raw events, for it alone. Like erasure, a right: answered
  // when collection is off and when retired too.
  if (path == "/v1/access") {
    if (method != http::verb::post) return method_not_allowed(v, ka, "POST");
    return uuid_request(req, action::node_access, "access request", "invalid_access");
  }

  // The payload schema the collector validates with, verbatim: the dashboard
  // takes field types from it. Public, as the schema is (docs/payload.md).
  if (path == "/v1/schema") {
    if (method != http::verb::get && method != http::verb::head) return method_not_allowed(v, ka, "GET, HEAD");
    auto res = text_ok(v, ka, "application/schema+json", std::string(log_event_schema_text()));
    res.set(http::field::cache_control, "no-cache");
    return respond(std::move(res));
  }

  // GET and HEAD alike on every route that answers GET: the session sends
  // a HEAD's answer without its body.
  const bool get_or_head = method == http::verb::get || method == http::verb::head;
  if (path == "/v1/stats" || path == "/metrics") {
    if (!get_or_head) return method_not_allowed(v, ka, "GET, HEAD");
    if (opts.private_stats)
      if (auto denied = check_admin(req, opts)) return respond(std::move(*denied));
    handler_result out;
    if (path == "/metrics") {
      out.what = action::metrics;
      return out;
    }
    bool given = false;
    const auto days = int_param(target->params(), "days", 1, k_max_stats_days, given);
    if (given && !days)
      return respond(error_response(http::status::bad_request, v, ka, "invalid query parameter", "days",
                                    "expected a whole number of days from 1 to 730"));
    out.what = action::stats;
    out.days = days.value_or(k_default_stats_days);
    return out;
  }

  if (path == "/v1/settings") {
    if (get_or_head) {
      if (opts.private_stats)
        if (auto denied = check_admin(req, opts)) return respond(std::move(*denied));
      handler_result out;
      out.what = action::settings_get;
      return out;
    }
    if (method != http::verb::put) return method_not_allowed(v, ka, "GET, HEAD, PUT");
    if (auto denied = check_admin(req, opts)) return respond(std::move(*denied));
    if (req.body().size() > k_max_body) return respond(payload_too_large(v, ka));
    auto parsed = parse_settings_update(req.body());
    if (!parsed.ok())
      return respond(error_response(http::status::bad_request, v, ka, "invalid settings", parsed.field, parsed.detail));
    handler_result out;
    out.what = action::settings_put;
    out.settings = parsed.update;
    return out;
  }

  // How many raw events a shorter retention would delete: the settings
  // page asks before saving one.
  if (path == "/v1/settings/preview") {
    if (!get_or_head) return method_not_allowed(v, ka, "GET, HEAD");
    if (auto denied = check_admin(req, opts)) return respond(std::move(*denied));
    bool given = false;
    const auto days = int_param(target->params(), "retention_days", k_min_retention_days, k_max_retention_days, given);
    if (!days)  // required
      return respond(error_response(http::status::bad_request, v, ka, "invalid query parameter", "retention_days",
                                    "expected a whole number of days from 1 to 730"));
    handler_result out;
    out.what = action::retention_preview;
    out.days = *days;
    return out;
  }

  if (path == "/v1/export") {
    if (!get_or_head) return method_not_allowed(v, ka, "GET, HEAD");
    if (auto denied = check_admin(req, opts)) return respond(std::move(*denied));
    handler_result out;
    out.what = action::export_all;
    return out;
  }

  constexpr std::string_view nodes_prefix = "/v1/nodes/";
  if (path.starts_with(nodes_prefix)) {
    if (method != http::verb::delete_) return method_not_allowed(v, ka, "DELETE");
    if (auto denied = check_admin(req, opts)) return respond(std::move(*denied));
    const std::string uuid = path.substr(nodes_prefix.size());
    if (!is_canonical_uuid(uuid))
      return respond(error_response(http::status::bad_request, v, ka, "invalid node", "uuid",
                                    "expected /v1/nodes/<the node's UUID, lower case>"));
    handler_result out;
    out.what = action::admin_erase;
    out.uuid = uuid;
    return out;
  }

  return respond(error_response(http::status::not_found, v, ka, "not found"));
}

}  // namespace telemetry_collector
