#pragma once
// Classification of node multiaddrs, following go-multiaddr's IsPublicAddr and
// the way Kubo's telemetry counts them.

#include <boost/asio/ip/address.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace ipfs_telemetry {

struct address_flags {
  bool circuit = false;      // some address contains /p2p-circuit
  bool public_ipv4 = false;  // some public address has an /ip4 part
  bool public_ipv6 = false;  // some public address has no /ip4 but an /ip6 part
};

// True for a globally routable address by the rules in docs/telemetry.md.
// IPv4-mapped IPv6 addresses are judged by the IPv4 rules, as Go does.
bool is_public_ip(const boost::asio::ip::address& a);

// Classifies a list of multiaddr strings ("/ip4/1.2.3.4/tcp/4001/p2p/..."). A
// multiaddr is public when its first component is a public /ip4 or /ip6
// address; unparsable entries count for nothing.
address_flags classify_addresses(const std::vector<std::string>& multiaddrs);

}  // namespace ipfs_telemetry
