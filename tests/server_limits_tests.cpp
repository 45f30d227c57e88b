// The server's connection bookkeeping, without sockets: the connection limit
// derived from the descriptor limit, counts per peer, and which sessions the
// registry picks to close when room is needed.
#include "request_actions.hpp"
#include "server.hpp"

#include <boost/asio/ip/address.hpp>
#include <boost/test/unit_test.hpp>

using namespace telemetry_collector;

namespace {

struct fake_session : session_base {
  void drain() override {}
  void close_if_idle() override { ++asked; }
  int asked = 0;
};

}  // namespace

BOOST_AUTO_TEST_SUITE(server_limits_tests)

BOOST_AUTO_TEST_CASE(the_connection_limit_keeps_a_reserve_of_descriptors) {
  BOOST_TEST(connection_limit(320) == 320u - k_descriptor_reserve);
  BOOST_TEST(connection_limit(1024) == 960u);
  BOOST_TEST(connection_limit(50) == 16u);  // never below 16
}

BOOST_AUTO_TEST_CASE(peer_counts_stop_at_the_limit_and_free_on_remove) {
  peer_counts peers;
  const auto a = boost::asio::ip::make_address("192.0.2.1"), b = boost::asio::ip::make_address("2001:db8::1");
  BOOST_TEST(peers.try_add(a, 2));
  BOOST_TEST(peers.try_add(a, 2));
  BOOST_TEST(!peers.try_add(a, 2));
  BOOST_TEST(peers.try_add(b, 2));  // per address
  peers.remove(a);
  BOOST_TEST(peers.try_add(a, 2));
}

BOOST_AUTO_TEST_CASE(the_oldest_idle_sessions_are_asked_to_close_once_each) {
  session_registry registry;
  std::vector<std::shared_ptr<fake_session>> s;
  for (int i = 0; i < 4; ++i) {
    s.push_back(std::make_shared<fake_session>());
    registry.add(s.back());
  }
  s[1]->idle_hint = true;
  s[2]->idle_hint = true;
  s[3]->idle_hint = true;
  BOOST_TEST(registry.close_oldest_idle(2) == 2u);
  BOOST_TEST(s[0]->asked == 0);  // busy
  BOOST_TEST(s[1]->asked == 1);
  BOOST_TEST(s[2]->asked == 1);
  BOOST_TEST(s[3]->asked == 0);
  BOOST_TEST(registry.close_oldest_idle(2) == 1u);  // the picked ones are not picked again
  BOOST_TEST(s[3]->asked == 1);
  BOOST_TEST(registry.close_oldest_idle(2) == 0u);
}

BOOST_AUTO_TEST_CASE(answers_are_held_within_the_budget_once_their_size_is_known) {
  std::atomic<std::size_t> held{0};
  {
    auto a = bytes_hold::try_reserve(held, 60, 100);
    BOOST_TEST_REQUIRE(a.has_value());
    BOOST_TEST(held.load() == 60u);
    BOOST_TEST(!bytes_hold::try_reserve(held, 50, 100).has_value());  // would pass the budget
    BOOST_TEST(held.load() == 60u);                                   // and took nothing
    auto b = bytes_hold::try_reserve(held, 40, 100);
    BOOST_TEST(b.has_value());
    BOOST_TEST(held.load() == 100u);
  }
  BOOST_TEST(held.load() == 0u);  // given back when the answers are gone
  // Alone, an answer larger than the budget is still served.
  auto big = bytes_hold::try_reserve(held, 500, 100);
  BOOST_TEST(big.has_value());
  BOOST_TEST(!bytes_hold::try_reserve(held, 1, 100).has_value());
  big->release();
  BOOST_TEST(held.load() == 0u);
}

BOOST_AUTO_TEST_SUITE_END()
