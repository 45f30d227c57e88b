#pragma once
// The collector's request logic: a pure function from request to either a
// finished response or an action to carry out against the storage
// (request_actions.hpp does, then answers with one of the response builders
// below). An event to store comes out ready: validated, its uuid taken out,
// its values in the schema's order, whichever way it was read.
// No sockets, no files, no database here.

#include "schema_validator.hpp"
#include "settings.hpp"
#include "storage.hpp"

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <array>
#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace telemetry_collector {

namespace http = boost::beast::http;

inline constexpr std::size_t k_max_body = 64 * 1024;
inline constexpr unsigned k_max_json_depth = 8;
inline constexpr int k_default_stats_days = 30;
// Raw events a POST /v1/access answers with at most, the newest: a node sends
// about one event a day, so this is over ten times the longest retention's worth
// (k_max_retention_days); a node with more sees its newest ones and the
// k_access_truncated_header.
inline constexpr std::size_t k_max_access_events = 10'000;
// The headers of an access answer: the cap, whether events were left out,
// and what the aggregates hold (counts of nodes, never an identifier).
inline constexpr const char* k_access_limit_header = "Telemetry-Access-Limit";
inline constexpr const char* k_access_truncated_header = "Telemetry-Access-Truncated";
inline constexpr const char* k_access_aggregates_header = "Telemetry-Aggregates";
inline constexpr const char* k_access_aggregates_text =
    "daily counts of nodes per field value; they hold no UUID or other identifier";

// SHA-256 of the admin token: requests are compared by digest, in constant time.
using token_digest = std::array<unsigned char, 32>;
token_digest digest_token(std::string_view token);

struct handler_options {
  const schema_validator* validator = nullptr;
  // An event with keys no payload shape has: refused with 400 (serve
  // --strict-schema), or stored without them (the default).
  unknown_members unknown_keys = unknown_members::drop;
  bool retire = false;                      // answer POST / with 410 Gone
  std::optional<token_digest> admin_token;  // admin API enabled when set
  bool private_stats = false;               // stats, metrics and settings need the admin token too
  // The settings in effect (collection off: POST / answers 503). nullptr:
  // collecting (a handler without a database behind it, in tests).
  const settings_state* settings = nullptr;
};

enum class action {
  respond,       // `response` is complete
  store_event,   // store `row` (received_at still to set), then accepted()
  erase_node,    // erase `uuid`, then erased() (204 whatever matched)
  admin_erase,   // erase `uuid`, then admin_erased(count)
  node_access,   // read the newest k_max_access_events of `uuid`, then access_answer()
  export_all,    // stream every raw event as NDJSON
  stats,         // read_stats(`days`), then json_ok()
  metrics,       // Prometheus text, then text_ok()
  health,        // ask the store, then health_answer()
  settings_get,  // read the settings and their history, then settings_json()
  settings_put,  // apply `settings`, then as settings_get
  retention_preview,  // count the raw events a pass with `days` of retention deletes
};

struct handler_result {
  action what = action::respond;
  http::response<http::string_body> response;  // when what == respond
  event_row row;                               // store_event
  std::vector<std::string> dropped_keys;       // store_event: keys left out of `row` (unknown_members::drop)
  std::string uuid;                            // erase_node, admin_erase, node_access
  int days = 0;                                // stats, retention_preview
  settings_update settings;                    // settings_put
  // For the rejection counters: empty when not a rejection of an event
  // (POST /), an erasure request (DELETE /) or an access request (POST /v1/access).
  std::string_view rejected;
};

// A conforming event is read without a DOM when the schema allows
// (compiled_schema::read_flat); otherwise, and to say why an event is
// refused, it is parsed (into a buffer on the stack) and validated.
// The row's values follow opts.validator->fields() (or the compiled schema's
// names, the same list): the validator must outlive the result.
handler_result handle_request(const http::request<http::string_body>& req, const handler_options& opts);

// Responses the session builds once an action is done.
http::response<http::string_body> payload_too_large(unsigned version, bool keep_alive);
http::response<http::string_body> accepted(unsigned version, bool keep_alive);
// accepted(version, keep_alive) serialized, built once: the answer to almost
// every request, written as is. `version` is 10 or 11 (Beast parses no other).
const std::string& accepted_wire(unsigned version, bool keep_alive);
http::response<http::string_body> no_content(unsigned version, bool keep_alive);
http::response<http::string_body> json_ok(unsigned version, bool keep_alive, const boost::json::object& body);
http::response<http::string_body> text_ok(unsigned version, bool keep_alive, std::string content_type,
                                          std::string body);
// 200 with a node's raw events (storage::node_events), NDJSON, and the access headers.
http::response<http::string_body> access_answer(unsigned version, bool keep_alive, node_events_read events);
// 503 with Retry-After: the store cannot keep events now (storage::retry_after()).
http::response<http::string_body> storage_failure(unsigned version, std::chrono::seconds retry_after);
// 503 with Retry-After of one day: collection is off (settings.hpp).
http::response<http::string_body> collection_off(unsigned version);
// 503 with Retry-After: 1: too many large answers in flight (server_context::max_stats_bytes).
http::response<http::string_body> busy(unsigned version);
// GET /healthz: 200 "ok", or 503 naming `problem` (the store's, event_store::problem()).
http::response<http::string_body> health_answer(unsigned version, bool keep_alive,
                                                const std::optional<std::string>& problem,
                                                std::chrono::seconds retry_after);

// The dashboard's files, embedded at build time; nullptr when unknown.
struct static_asset {
  std::string_view content_type;
  std::string_view body;
};
const static_asset* dashboard_asset(std::string_view path);

}  // namespace telemetry_collector
