#pragma once
// Where telemetry may go in clear text: plain http:// only to loopback
// (127.0.0.0/8, ::1, "localhost") unless the operator sets AllowHTTP. Pure.

#include <optional>
#include <string>
#include <string_view>

namespace ipfs_telemetry {

// True for "localhost" (any case, optional trailing dot), 127.0.0.0/8 and ::1.
bool is_loopback_host(std::string_view host);

// nullopt when `url` may be used; otherwise the reason, naming AllowHTTP.
// `url` must already be a valid endpoint (validate_endpoint).
std::optional<std::string> plain_http_refusal(std::string_view url, bool allow_http);

}  // namespace ipfs_telemetry
