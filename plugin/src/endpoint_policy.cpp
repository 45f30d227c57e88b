#include "endpoint_policy.hpp"

#include <boost/asio/ip/address.hpp>
#include <boost/url/parse.hpp>

#include <algorithm>
#include <cctype>

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

}  // namespace ipfs_telemetry
