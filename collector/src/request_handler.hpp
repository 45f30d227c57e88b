#pragma once
// The collector's request logic: a pure function from request to response.
// No sockets, no files: the session does I/O, the sink stores.

#include "schema_validator.hpp"

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/json/value.hpp>

#include <cstddef>
#include <optional>

namespace telemetry_collector {

namespace http = boost::beast::http;

inline constexpr std::size_t k_max_body = 64 * 1024;
inline constexpr unsigned k_max_json_depth = 8;

struct handler_options {
  const schema_validator* validator = nullptr;
  bool retire = false;  // answer POST / with 410 Gone
};

struct handler_result {
  http::response<http::string_body> response;
  std::optional<boost::json::value> accepted;  // the event to store, when accepted
};

handler_result handle_request(const http::request<http::string_body>& req, const handler_options& opts);

// The response for a request whose body exceeded k_max_body (413).
http::response<http::string_body> payload_too_large(unsigned version, bool keep_alive);

}  // namespace telemetry_collector
