#include "addresses.hpp"

#include <array>
#include <cstdint>

namespace ipfs_telemetry {
namespace {

struct v4_net {
  std::uint32_t base;
  int bits;
};

constexpr std::uint32_t ip4(unsigned a, unsigned b, unsigned c, unsigned d) {
  return (a << 24) | (b << 16) | (c << 8) | d;
}

// Private ranges and unroutable ranges of go-multiaddr's net/private.go.
constexpr std::array<v4_net, 16> k_v4_not_public = {{
    {ip4(127, 0, 0, 0), 8},    {ip4(10, 0, 0, 0), 8},      {ip4(100, 64, 0, 0), 10},
    {ip4(172, 16, 0, 0), 12},  {ip4(192, 168, 0, 0), 16},  {ip4(169, 254, 0, 0), 16},
    {ip4(0, 0, 0, 0), 8},      {ip4(192, 0, 0, 0), 26},    {ip4(192, 0, 2, 0), 24},
    {ip4(192, 88, 99, 0), 24}, {ip4(198, 18, 0, 0), 15},   {ip4(198, 51, 100, 0), 24},
    {ip4(203, 0, 113, 0), 24}, {ip4(224, 0, 0, 0), 4},     {ip4(240, 0, 0, 0), 4},
    {ip4(255, 255, 255, 255), 32},
}};

bool in_v4(std::uint32_t a, const v4_net& n) {
  const std::uint32_t mask = n.bits == 0 ? 0 : ~std::uint32_t{0} << (32 - n.bits);
  return (a & mask) == (n.base & mask);
}

bool v4_public(const boost::asio::ip::address_v4& a) {
  const std::uint32_t v = a.to_uint();
  for (const auto& n : k_v4_not_public)
    if (in_v4(v, n)) return false;
  return true;
}

bool in_v6(const boost::asio::ip::address_v6::bytes_type& b, std::array<std::uint8_t, 16> prefix, int bits) {
  for (int i = 0; i < bits; ++i) {
    const int byte = i / 8, bit = 7 - i % 8;
    if (((b[byte] >> bit) & 1) != ((prefix[byte] >> bit) & 1)) return false;
  }
  return true;
}

bool v6_public(const boost::asio::ip::address_v6& a) {
  const auto b = a.to_bytes();
  // NAT64 prefixes carry public IPv4 traffic: 64:ff9b::/96 and 64:ff9b:1::/48.
  if (in_v6(b, {0x00, 0x64, 0xff, 0x9b}, 96) || in_v6(b, {0x00, 0x64, 0xff, 0x9b, 0x00, 0x01}, 48)) return true;
  if (!in_v6(b, {0x20}, 3)) return false;           // global unicast 2000::/3 only
  if (in_v6(b, {0x20, 0x01, 0x0d, 0xb8}, 32)) return false;  // documentation
  return true;
}

std::vector<std::string_view> split_components(std::string_view s) {
  std::vector<std::string_view> out;
  std::size_t pos = 0;
  while (pos < s.size()) {
    std::size_t next = s.find('/', pos);
    if (next == std::string_view::npos) next = s.size();
    if (next > pos) out.push_back(s.substr(pos, next - pos));
    pos = next + 1;
  }
  return out;
}

}  // namespace

bool is_public_ip(const boost::asio::ip::address& a) {
  if (a.is_v4()) return v4_public(a.to_v4());
  const auto v6 = a.to_v6();
  if (v6.is_v4_mapped()) return v4_public(boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, v6));
  return v6_public(v6);
}

address_flags classify_addresses(const std::vector<std::string>& multiaddrs) {
  address_flags f;
  for (const auto& ma : multiaddrs) {
    const auto parts = split_components(ma);
    bool has_ip4 = false, has_ip6 = false;
    for (std::size_t i = 0; i < parts.size(); ++i) {
      if (parts[i] == "p2p-circuit") f.circuit = true;
      if (parts[i] == "ip4") has_ip4 = true;
      if (parts[i] == "ip6") has_ip6 = true;
    }
    if (parts.size() < 2 || (parts[0] != "ip4" && parts[0] != "ip6")) continue;
    boost::system::error_code ec;
    auto addr = boost::asio::ip::make_address(std::string(parts[1]), ec);
    if (ec) continue;
    if ((parts[0] == "ip4") != addr.is_v4()) continue;  // "/ip4/::1" is malformed
    if (!is_public_ip(addr)) continue;
    if (has_ip4)
      f.public_ipv4 = true;
    else if (has_ip6)
      f.public_ipv6 = true;
  }
  return f;
}

}  // namespace ipfs_telemetry
