#include "endpoint_policy.hpp"

#include <boost/asio/ip/address.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/url.hpp>

#include "ipfs_common/message_result.hpp"
#include "ipfs_common/redact.hpp"
#include "plugin_config.hpp"

#include <algorithm>
#include <cctype>
#include <stdexcept>

namespace ipfs_telemetry {

bool is_loopback_host(std::string_view host) {
  std::string h(host);
  std::transform(h.begin(), h.end(), h.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (h == "localhost" || h == "localhost.") return true;
  if (h.size() > 2 && h.front() == '[' && h.back() == ']') h = h.substr(1, h.size() - 2);
  boost::system::error_code ec;
  auto a = boost::asio::ip::make_address(h, ec);
  return !ec && a.is_loopback();
}

std::optional<std::string> plain_http_refusal(std::string_view url, bool allow_http) {
  auto u = boost::urls::parse_absolute_uri(url);
  if (!u) return "\"" + std::string(url) + "\" is not a valid URL";
  if (u->scheme_id() != boost::urls::scheme::http || allow_http) return std::nullopt;
  if (is_loopback_host(u->host_address())) return std::nullopt;
  return "refusing to send telemetry in clear text to " + std::string(url) +
         ": plain http:// is only allowed to loopback (127.0.0.0/8, ::1, localhost); use https:// or set "
         "Plugins.Plugins.telemetry.Config.AllowHTTP to true";
}

boost::system::result<std::string, std::string> redirect_target(std::string_view current, std::string_view location,
                                                                 unsigned hops_so_far, bool allow_http) {
  using ipfs_common::fail;
  if (hops_so_far >= k_max_redirects)
    return fail("more than " + std::to_string(k_max_redirects) + " redirects");
  if (location.empty()) return fail("redirect without a Location header");
  auto base = boost::urls::parse_absolute_uri(current);
  auto ref = boost::urls::parse_uri_reference(location);
  if (!base || !ref)
    return fail("redirect to an unparsable Location \"" + ipfs_common::redact_credentials(location) + "\"");
  boost::urls::url target;
  if (auto r = boost::urls::resolve(*base, *ref, target); !r)
    return fail("cannot resolve redirect Location \"" + ipfs_common::redact_credentials(location) + "\"");
  target.remove_fragment();
  if (base->scheme_id() == boost::urls::scheme::https && target.scheme_id() == boost::urls::scheme::http)
    return fail("refusing a redirect from https to http (" + ipfs_common::redact_credentials(target.buffer()) +
                ")");
  auto valid = validate_endpoint(target.buffer());
  if (!valid) return fail("refusing redirect: " + valid.error());
  if (auto refusal = plain_http_refusal(*valid, allow_http)) return fail(*refusal);
  return ipfs_common::succeed(*valid);
}

std::string service_url(std::string_view endpoint, std::string_view relative) {
  auto base = boost::urls::parse_absolute_uri(endpoint);
  auto ref = boost::urls::parse_relative_ref(relative);
  boost::urls::url target;
  if (!base || !ref || !boost::urls::resolve(*base, *ref, target))
    throw std::invalid_argument("service_url: an invalid endpoint or reference");
  return std::string(target.buffer());
}

}  // namespace ipfs_telemetry
