#pragma once
// Which proxy, if any, carries a request: the environment read as curl reads
// it. Pure: the environment comes in through a reader.
//
//   http:// targets   http_proxy (lower case only: curl ignores HTTP_PROXY,
//                     see "httpoxy"), else all_proxy / ALL_PROXY
//   https:// targets  https_proxy, else HTTPS_PROXY, else all_proxy / ALL_PROXY
//   bypass            no_proxy, else NO_PROXY: comma-separated; "*" for all;
//                     host names match themselves and their subdomains
//                     (a leading dot is optional); IP addresses match exactly;
//                     CIDR blocks ("10.0.0.0/8") match addresses inside
//
// A proxy is an http:// URL or a bare host:port (port default 1080, as curl);
// user:password in it becomes Proxy-Authorization: Basic, never logged.

#include <boost/system/result.hpp>

#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace ipfs_telemetry {

using env_lookup = std::function<std::optional<std::string>(const char*)>;

struct proxy_choice {
  std::string host;           // as written, brackets stripped for IPv6
  std::string port;           // decimal
  std::string authorization;  // "Basic ..." or empty
  std::string display;        // host:port for logs, no credentials
};

// True when `no_proxy` says to reach `host` directly.
bool no_proxy_matches(std::string_view no_proxy, std::string_view host);

// The proxy for `target_url`, nullopt for a direct connection, or a message
// naming the variable when its value is unusable (nothing is then sent).
boost::system::result<std::optional<proxy_choice>, std::string> choose_proxy(std::string_view target_url,
                                                                            const env_lookup& getenv);

}  // namespace ipfs_telemetry
