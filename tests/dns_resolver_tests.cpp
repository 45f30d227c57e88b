// c-ares on the caller's io_context: answers from a fake DNS server on
// loopback UDP, cancellation of a lookup nobody answers, and no helper thread.
#include "dns_resolver.hpp"

#include "support/test_support.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/test/unit_test.hpp>

#include <dirent.h>

#include <atomic>
#include <thread>

using namespace ipfs_telemetry;
namespace asio = boost::asio;
using udp = asio::ip::udp;

namespace {

std::size_t thread_count() {
  std::size_t n = 0;
  if (DIR* d = ::opendir("/proc/self/task")) {
    while (dirent* e = ::readdir(d))
      if (e->d_name[0] != '.') ++n;
    ::closedir(d);
  }
  return n;
}

// A DNS server on 127.0.0.1 (UDP) answering A queries for "node.test" with
// 127.0.0.42, NXDOMAIN for other names, nothing at all when `silent`.
class fake_dns {
 public:
  explicit fake_dns(bool silent) : socket_(ioc_, udp::endpoint(asio::ip::make_address("127.0.0.1"), 0)), silent_(silent) {
    receive();
    thread_ = std::thread([this] { ioc_.run(); });
  }
  ~fake_dns() {
    ioc_.stop();
    thread_.join();
  }
  std::string server() const { return "127.0.0.1:" + std::to_string(socket_.local_endpoint().port()); }
  std::size_t queries() const { return queries_; }

 private:
  void receive() {
    socket_.async_receive_from(asio::buffer(buf_), peer_, [this](boost::system::error_code ec, std::size_t n) {
      if (ec) return;
      ++queries_;
      if (!silent_ && n > 12) answer(n);
      receive();
    });
  }
  void answer(std::size_t n) {
    // Question: QNAME labels from offset 12, then QTYPE, QCLASS.
    std::size_t pos = 12;
    std::string name;
    while (pos < n && buf_[pos] != 0) {
      const std::size_t len = buf_[pos];
      if (!name.empty()) name += '.';
      name.append(reinterpret_cast<const char*>(&buf_[pos + 1]), len);
      pos += len + 1;
    }
    const std::size_t qend = pos + 5;  // zero byte, QTYPE, QCLASS
    if (qend > n) return;
    const unsigned qtype = (buf_[pos + 1] << 8) | buf_[pos + 2];
    const bool known = name == "node.test";
    const bool give_a = known && qtype == 1;
    std::vector<unsigned char> out(buf_.begin(), buf_.begin() + static_cast<long>(qend));
    out[2] = 0x81;                     // QR, RD
    out[3] = known ? 0x80 : 0x83;      // RA, NOERROR or NXDOMAIN
    out[6] = 0;
    out[7] = give_a ? 1 : 0;           // ANCOUNT
    out[8] = out[9] = out[10] = out[11] = 0;
    if (give_a) {
      const unsigned char rr[] = {0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 127, 0, 0, 42};
      out.insert(out.end(), std::begin(rr), std::end(rr));
    }
    auto msg = std::make_shared<std::vector<unsigned char>>(std::move(out));
    socket_.async_send_to(asio::buffer(*msg), peer_, [msg](boost::system::error_code, std::size_t) {});
  }

  asio::io_context ioc_;
  udp::socket socket_;
  udp::endpoint peer_;
  std::array<unsigned char, 512> buf_{};
  bool silent_;
  std::atomic<std::size_t> queries_{0};
  std::thread thread_;
};

struct result {
  bool done = false;
  boost::system::error_code ec;
  dns_resolver::endpoints found;
};

// Runs one lookup on a fresh io_context, giving it up to `limit`.
result lookup(const std::string& host, const std::string& servers, std::chrono::milliseconds cancel_after,
              std::size_t* threads_during = nullptr) {
  asio::io_context ioc;
  result r;
  {
    dns_resolver resolver(ioc.get_executor(), servers);
    resolver.async_resolve(host, 443, [&](boost::system::error_code ec, dns_resolver::endpoints e) {
      r.done = true;
      r.ec = ec;
      r.found = std::move(e);
    });
    asio::steady_timer t(ioc, cancel_after);
    t.async_wait([&](boost::system::error_code ec) {
      if (threads_during) *threads_during = thread_count();
      if (!ec && !r.done) resolver.cancel();
    });
    ioc.run_for(std::chrono::seconds(10));
  }
  return r;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(dns_resolver_tests)

BOOST_AUTO_TEST_CASE(resolves_through_the_configured_server) {
  fake_dns dns(false);
  auto r = lookup("node.test", dns.server(), std::chrono::seconds(5));
  BOOST_REQUIRE(r.done);
  BOOST_TEST(!r.ec, r.ec.message());
  BOOST_REQUIRE(!r.found.empty());
  BOOST_TEST(r.found.front().address().to_string() == "127.0.0.42");
  BOOST_TEST(r.found.front().port() == 443);
}

BOOST_AUTO_TEST_CASE(unknown_names_are_host_not_found) {
  fake_dns dns(false);
  auto r = lookup("missing.test", dns.server(), std::chrono::seconds(5));
  BOOST_REQUIRE(r.done);
  BOOST_TEST((r.ec == asio::error::host_not_found));
}

BOOST_AUTO_TEST_CASE(localhost_comes_from_the_hosts_file) {
  auto r = lookup("localhost", "", std::chrono::seconds(5));
  BOOST_REQUIRE(r.done);
  BOOST_TEST(!r.ec, r.ec.message());
  bool loopback = false;
  for (const auto& e : r.found) loopback = loopback || e.address().is_loopback();
  BOOST_TEST(loopback);
}

BOOST_AUTO_TEST_CASE(a_lookup_nobody_answers_is_cancelled_promptly_without_a_helper_thread) {
  fake_dns dns(true);
  const std::size_t before = thread_count();
  std::size_t during = 0;
  auto r = lookup("node.test", dns.server(), std::chrono::milliseconds(200), &during);
  BOOST_REQUIRE(r.done);
  // Aborted, not timed out: cancel ended the lookup instead of c-ares' retries.
  BOOST_TEST((r.ec == asio::error::operation_aborted), r.ec.message());
  BOOST_TEST(dns.queries() >= 1u);
  BOOST_TEST(during == before);  // c-ares added no thread
}

BOOST_AUTO_TEST_SUITE_END()
