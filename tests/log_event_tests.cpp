#include "kubo_example.hpp"
#include "log_event.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value_from.hpp>
#include <boost/json/value_to.hpp>
#include <boost/test/unit_test.hpp>

using namespace ipfs_telemetry;

namespace {

char kind_of(const boost::json::value& v) {
  if (v.is_string()) return 's';
  if (v.is_bool()) return 'b';
  if (v.is_int64() || v.is_uint64()) return 'i';
  return '?';
}

}  // namespace

BOOST_AUTO_TEST_SUITE(log_event_tests)

BOOST_AUTO_TEST_CASE(serializes_exactly_the_28_keys_in_kubo_order_with_their_types) {
  log_event e;
  e.uuid = "f81d4fae-7dec-11d0-a765-00a0c91e6bf6";
  auto jv = boost::json::value_from(e);
  const auto& obj = jv.as_object();
  BOOST_TEST(obj.size() == 28u);
  std::size_t i = 0;
  for (const auto& kv : obj) {
    BOOST_TEST_CONTEXT("position " << i) {
      BOOST_TEST(std::string(kv.key()) == k_log_event_keys[i].first);
      BOOST_TEST(kind_of(kv.value()) == k_log_event_keys[i].second);
    }
    ++i;
  }
}

BOOST_AUTO_TEST_CASE(kubo_example_decodes_and_reencodes_byte_for_byte) {
  auto e = boost::json::try_value_to<log_event>(boost::json::parse(k_kubo_example_payload));
  BOOST_REQUIRE(e.has_value());
  BOOST_TEST(e->repo_size_bucket == 5368709120ULL);
  BOOST_TEST(e->uptime_bucket == 86400000000000LL);
  BOOST_TEST(e->autonat_reachability == "Public");
  BOOST_TEST(e->swarm_circuit_addresses);
  BOOST_TEST(to_wire(*e) == k_kubo_example_payload);
}

BOOST_AUTO_TEST_CASE(decoding_is_strict) {
  auto base = boost::json::parse(k_kubo_example_payload).as_object();
  {
    auto o = base;
    o.erase("platform_vm");
    BOOST_TEST(!boost::json::try_value_to<log_event>(boost::json::value(o)).has_value());
  }
  {
    auto o = base;
    o["ip_address"] = "1.2.3.4";
    BOOST_TEST(!boost::json::try_value_to<log_event>(boost::json::value(o)).has_value());
  }
  {
    auto o = base;
    o["private_network"] = 0;
    BOOST_TEST(!boost::json::try_value_to<log_event>(boost::json::value(o)).has_value());
  }
  {
    auto o = base;
    o["repo_size_bucket"] = "5368709120";
    BOOST_TEST(!boost::json::try_value_to<log_event>(boost::json::value(o)).has_value());
  }
  {
    auto o = base;
    o["routing_delegated_count"] = true;
    BOOST_TEST(!boost::json::try_value_to<log_event>(boost::json::value(o)).has_value());
  }
  BOOST_TEST(!boost::json::try_value_to<log_event>(boost::json::value(boost::json::array{})).has_value());
}

BOOST_AUTO_TEST_CASE(round_trip_preserves_every_field) {
  log_event e;
  e.uuid = "a";
  e.agent_version = "b";
  e.private_network = true;
  e.repo_size_bucket = 11ULL << 40;
  e.uptime_bucket = 31LL * 86400000000000LL;
  e.routing_delegated_count = 7;
  e.platform_vm = true;
  e.autonat_service_mode = "legacy-v1";
  auto back = boost::json::value_to<log_event>(boost::json::parse(to_wire(e)));
  BOOST_TEST((back == e));
}

BOOST_AUTO_TEST_SUITE_END()
