#pragma once
// Where telemetry may go in clear text: plain http:// only to loopback
// (127.0.0.0/8, ::1, "localhost") unless the operator sets AllowHTTP. Pure.

#include <boost/system/result.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace ipfs_telemetry {

// True for "localhost" (any case, optional trailing dot), 127.0.0.0/8 and ::1.
bool is_loopback_host(std::string_view host);

// nullopt when `url` may be used; otherwise the reason, naming AllowHTTP.
// `url` must already be a valid endpoint (validate_endpoint).
std::optional<std::string> plain_http_refusal(std::string_view url, bool allow_http);

inline constexpr unsigned k_max_redirects = 3;

// Where a 307/308 from `current` with `location` leads, after `hops_so_far`
// redirects: the absolute target URL, or why it must not be followed (more
// than k_max_redirects hops, https -> http, another scheme, credentials,
// clear text beyond loopback without AllowHTTP).
boost::system::result<std::string, std::string> redirect_target(std::string_view current, std::string_view location,
                                                                 unsigned hops_so_far, bool allow_http);

// Where a collector service beside the endpoint is: `relative` (such as
// "v1/access") resolved against `endpoint` by RFC 3986, as a browser resolves
// a link, so "https://h/telemetry/" gives "https://h/telemetry/v1/access" and
// "https://h/telemetry" (no final slash) "https://h/v1/access". The
// endpoint's query is not kept. `endpoint` must be valid (validate_endpoint).
std::string service_url(std::string_view endpoint, std::string_view relative);

}  // namespace ipfs_telemetry
