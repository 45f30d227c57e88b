#include "addresses.hpp"

#include <boost/test/unit_test.hpp>

using namespace ipfs_telemetry;

namespace {
bool pub(const std::string& s) { return is_public_ip(boost::asio::ip::make_address(s)); }
}  // namespace

BOOST_AUTO_TEST_SUITE(addresses_tests)

BOOST_AUTO_TEST_CASE(ipv4_private_and_unroutable_ranges_are_not_public) {
  // First and last address of every range in the reference, and one inside.
  const char* not_public[] = {
      "127.0.0.1",     "127.255.255.255", "10.0.0.0",      "10.255.255.255", "100.64.0.0",    "100.127.255.255",
      "172.16.0.0",    "172.31.255.255",  "192.168.0.0",   "192.168.255.255", "169.254.0.0",  "169.254.255.255",
      "0.0.0.0",       "0.255.255.255",   "192.0.0.0",     "192.0.0.63",     "192.0.2.0",     "192.0.2.255",
      "192.88.99.0",   "192.88.99.255",   "198.18.0.0",    "198.19.255.255", "198.51.100.0",  "198.51.100.255",
      "203.0.113.0",   "203.0.113.255",   "224.0.0.0",     "239.255.255.255", "240.0.0.0",    "255.255.255.254",
      "255.255.255.255"};
  for (auto a : not_public) BOOST_TEST(!pub(a), a << " should not be public");
}

BOOST_AUTO_TEST_CASE(ipv4_addresses_just_outside_the_ranges_are_public) {
  const char* public_[] = {"1.1.1.1",       "8.8.8.8",       "9.255.255.255", "11.0.0.0",      "100.63.255.255",
                           "100.128.0.0",   "126.255.255.255", "128.0.0.0",   "172.15.255.255", "172.32.0.0",
                           "192.167.255.255", "192.169.0.0", "169.253.255.255", "169.255.0.0", "1.0.0.0",
                           "192.0.0.64",    "192.0.1.255",   "192.0.3.0",     "192.88.98.255", "192.88.100.0",
                           "198.17.255.255", "198.20.0.0",   "198.51.99.255", "198.51.101.0",  "203.0.112.255",
                           "203.0.114.0",   "223.255.255.255"};
  for (auto a : public_) BOOST_TEST(pub(a), a << " should be public");
}

BOOST_AUTO_TEST_CASE(ipv6_rules) {
  BOOST_TEST(pub("2001:4860:4860::8888"));
  BOOST_TEST(pub("2000::"));
  BOOST_TEST(pub("3fff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"));
  BOOST_TEST(!pub("4000::"));
  BOOST_TEST(!pub("1fff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"));
  BOOST_TEST(!pub("2001:db8::1"));
  BOOST_TEST(!pub("2001:db8:ffff:ffff:ffff:ffff:ffff:ffff"));
  BOOST_TEST(pub("2001:db9::1"));
  BOOST_TEST(pub("2001:db7:ffff::1"));
  BOOST_TEST(!pub("ff02::1"));
  BOOST_TEST(!pub("ff00::"));
  BOOST_TEST(!pub("::1"));
  BOOST_TEST(!pub("::"));
  BOOST_TEST(!pub("fc00::1"));
  BOOST_TEST(!pub("fd12:3456::1"));
  BOOST_TEST(!pub("fe80::1"));
  BOOST_TEST(!pub("febf::1"));
  // NAT64
  BOOST_TEST(pub("64:ff9b::1.2.3.4"));
  BOOST_TEST(pub("64:ff9b::ffff:ffff"));
  BOOST_TEST(!pub("64:ff9b::1:0:0"));  // outside /96
  BOOST_TEST(pub("64:ff9b:1::1"));
  BOOST_TEST(pub("64:ff9b:1:ffff::1"));
  BOOST_TEST(!pub("64:ff9b:2::1"));
  // IPv4-mapped addresses follow the IPv4 rules.
  BOOST_TEST(pub("::ffff:8.8.8.8"));
  BOOST_TEST(!pub("::ffff:192.168.1.1"));
}

BOOST_AUTO_TEST_CASE(classifies_multiaddrs_as_kubo_counts_them) {
  auto f = classify_addresses({"/ip4/0.0.0.0/tcp/4001", "/ip6/::/tcp/4001", "/ip4/127.0.0.1/udp/4001/quic-v1"});
  BOOST_TEST(!f.circuit);
  BOOST_TEST(!f.public_ipv4);
  BOOST_TEST(!f.public_ipv6);

  f = classify_addresses({"/ip4/8.8.8.8/tcp/4001"});
  BOOST_TEST(f.public_ipv4);
  BOOST_TEST(!f.public_ipv6);

  f = classify_addresses({"/ip6/2001:4860::1/udp/4001/quic-v1"});
  BOOST_TEST(!f.public_ipv4);
  BOOST_TEST(f.public_ipv6);

  f = classify_addresses({"/ip4/10.0.0.1/tcp/4001/p2p/QmRelay/p2p-circuit"});
  BOOST_TEST(f.circuit);
  BOOST_TEST(!f.public_ipv4);

  // A public /dns4 name counts for neither IP flag.
  f = classify_addresses({"/dns4/example.com/tcp/443/wss"});
  BOOST_TEST(!f.public_ipv4);
  BOOST_TEST(!f.public_ipv6);

  // Malformed entries count for nothing and do not throw.
  f = classify_addresses({"", "/", "garbage", "/ip4/", "/ip4/999.1.1.1/tcp/1", "/ip4/2001:4860::1/tcp/1",
                          "/ip6/8.8.8.8.8/tcp/1"});
  BOOST_TEST(!f.public_ipv4);
  BOOST_TEST(!f.public_ipv6);
  BOOST_TEST(!f.circuit);
}

BOOST_AUTO_TEST_SUITE_END()
