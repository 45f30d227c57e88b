#include "proxy_config.hpp"

#include "ipfs_common/message_result.hpp"

#include <boost/asio/ip/address.hpp>
#include <boost/beast/core/detail/base64.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/url.hpp>

#include <algorithm>
#include <cctype>

namespace ipfs_telemetry {

using ipfs_common::fail;

namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::string trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return std::string(s);
}

std::string strip_brackets(std::string s) {
  if (s.size() >= 2 && s.front() == '[' && s.back() == ']') return s.substr(1, s.size() - 2);
  return s;
}

bool in_cidr(const boost::asio::ip::address& a, std::string_view cidr) {
  auto slash = cidr.find('/');
  if (slash == std::string_view::npos) return false;
  boost::system::error_code ec;
  auto net = boost::asio::ip::make_address(strip_brackets(std::string(cidr.substr(0, slash))), ec);
  if (ec || net.is_v4() != a.is_v4()) return false;
  int bits = 0;
  for (char c : cidr.substr(slash + 1)) {
    if (c < '0' || c > '9') return false;
    bits = bits * 10 + (c - '0');
    if (bits > 128) return false;
  }
  auto bytes_of = [](const boost::asio::ip::address& x) {
    std::array<unsigned char, 16> b{};
    if (x.is_v4()) {
      auto v = x.to_v4().to_bytes();
      std::copy(v.begin(), v.end(), b.begin());
    } else {
      b = x.to_v6().to_bytes();
    }
    return b;
  };
  if (bits > (a.is_v4() ? 32 : 128)) return false;
  const auto ab = bytes_of(a), nb = bytes_of(net);
  for (int i = 0; i < bits; ++i) {
    const int byte = i / 8, bit = 7 - i % 8;
    if (((ab[byte] >> bit) & 1) != ((nb[byte] >> bit) & 1)) return false;
  }
  return true;
}

std::optional<std::string> first_set(const env_lookup& getenv, std::initializer_list<const char*> names,
                                     const char** which) {
  for (const char* n : names) {
    auto v = getenv(n);
    if (v && !trim(*v).empty()) {
      *which = n;
      return trim(*v);
    }
  }
  return std::nullopt;
}

}  // namespace

bool no_proxy_matches(std::string_view no_proxy, std::string_view host_in) {
  const std::string host = lower(strip_brackets(std::string(host_in)));
  boost::system::error_code ec;
  const auto addr = boost::asio::ip::make_address(host, ec);
  const bool is_ip = !ec;
  std::size_t pos = 0;
  const std::string list(no_proxy);
  while (pos <= list.size()) {
    auto comma = list.find(',', pos);
    if (comma == std::string::npos) comma = list.size();
    std::string entry = lower(trim(std::string_view(list).substr(pos, comma - pos)));
    pos = comma + 1;
    if (entry.empty()) continue;
    if (entry == "*") return true;
    if (is_ip) {
      if (entry.find('/') != std::string::npos) {
        if (in_cidr(addr, entry)) return true;
        continue;
      }
      boost::system::error_code e2;
      auto ea = boost::asio::ip::make_address(strip_brackets(entry), e2);
      if (!e2 && ea == addr) return true;
      continue;
    }
    if (entry.front() == '.') entry.erase(0, 1);
    if (host == entry) return true;
    if (host.size() > entry.size() && host.compare(host.size() - entry.size(), entry.size(), entry) == 0 &&
        host[host.size() - entry.size() - 1] == '.')
      return true;
  }
  return false;
}

boost::system::result<std::optional<proxy_choice>, std::string> choose_proxy(std::string_view target_url,
                                                                            const env_lookup& getenv) {
  auto target = boost::urls::parse_absolute_uri(target_url);
  if (!target) return fail("invalid target URL");
  const bool https = target->scheme_id() == boost::urls::scheme::https;

  const char* which = nullptr;
  auto proxy = https ? first_set(getenv, {"https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"}, &which)
                     : first_set(getenv, {"http_proxy", "all_proxy", "ALL_PROXY"}, &which);
  if (!proxy) return std::optional<proxy_choice>();

  const char* np_name = nullptr;
  if (auto np = first_set(getenv, {"no_proxy", "NO_PROXY"}, &np_name);
      np && no_proxy_matches(*np, target->host_address()))
    return std::optional<proxy_choice>();

  std::string text = *proxy;
  if (text.find("://") == std::string::npos) text = "http://" + text;
  auto u = boost::urls::parse_absolute_uri(text);
  const std::string accepted = std::string(which) + ": expected http://host:port (with optional user:password@)";
  if (!u || u->host().empty()) return fail(accepted + ", got an unparsable value");
  if (u->scheme_id() != boost::urls::scheme::http)
    return fail(std::string(which) + ": proxy scheme \"" + std::string(u->scheme()) +
                "\" is not supported; expected http://host:port");
  proxy_choice c;
  c.host = std::string(u->host_address());
  c.port = u->has_port() ? std::string(u->port()) : "1080";
  if (c.port.empty() || c.port.size() > 5 || std::stoul("0" + c.port) == 0 || std::stoul("0" + c.port) > 65535)
    return fail(accepted + ", got an invalid port");
  c.display = std::string(u->encoded_host_and_port());
  if (!u->has_port()) c.display += ":1080";
  if (u->has_userinfo()) {
    const std::string creds = std::string(u->user()) + ":" + std::string(u->password());
    std::string b64(boost::beast::detail::base64::encoded_size(creds.size()), '\0');
    b64.resize(boost::beast::detail::base64::encode(b64.data(), creds.data(), creds.size()));
    c.authorization = "Basic " + b64;
  }
  return std::optional<proxy_choice>(std::move(c));
}

}  // namespace ipfs_telemetry
