// The collector's defences, end to end against the real binary on 127.0.0.1:
// HTTP framing (HEAD), storage health, one writer per database, bounded
// aggregates and responses, and connection limits.
#include "support/integration.hpp"

#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/test/unit_test.hpp>

#include <sys/resource.h>
#include <sys/stat.h>

#include <fstream>

using namespace test_support;
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace json = boost::json;
using tcp = asio::ip::tcp;

namespace {

const std::string k_token = "an-admin-token-of-32-characters!";

std::filesystem::path write_token(const std::filesystem::path& dir) {
  const auto p = dir / "token";
  std::ofstream(p) << k_token << "\n";
  std::filesystem::permissions(p, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  return p;
}

// A keep-alive connection to the collector, one request and answer at a
// time, each bounded by `timeout`.
class connection {
 public:
  explicit connection(unsigned short port, std::chrono::milliseconds timeout = 10s) : stream_(ioc_), timeout_(timeout) {
    stream_.expires_after(timeout_);
    beast::error_code ec;
    stream_.async_connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port), [&](beast::error_code e) { ec = e; });
    run();
    if (ec) throw std::runtime_error("connect: " + ec.message());
  }

  // Writes `raw`, then reads one answer; `head`: the answer to a HEAD
  // (a header, no body whatever its Content-Length says).
  http::response<http::string_body> exchange(const std::string& raw, bool head, beast::error_code& ec) {
    ec = {};
    stream_.expires_after(timeout_);
    asio::async_write(stream_, asio::buffer(raw), [&](beast::error_code e, std::size_t) { ec = e; });
    run();
    if (ec) return {};
    http::response_parser<http::string_body> parser;
    parser.skip(head);
    stream_.expires_after(timeout_);
    http::async_read(stream_, buffer_, parser, [&](beast::error_code e, std::size_t) { ec = e; });
    run();
    return parser.release();
  }

  // Bytes that arrived after the last answer, within `wait`.
  std::size_t leftover(std::chrono::milliseconds wait) {
    std::size_t n = buffer_.size();
    char byte[256];
    stream_.expires_after(wait);
    stream_.async_read_some(asio::buffer(byte), [&](beast::error_code e, std::size_t got) {
      if (!e) n += got;
    });
    run();
    return n;
  }

 private:
  void run() {
    ioc_.restart();
    ioc_.run();
  }
  asio::io_context ioc_;
  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::chrono::milliseconds timeout_;
};

std::string request_text(const std::string& method, const std::string& target, const std::string& bearer = {}) {
  std::string r = method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n";
  if (!bearer.empty()) r += "Authorization: Bearer " + bearer + "\r\n";
  return r + "\r\n";
}

}  // namespace

BOOST_AUTO_TEST_SUITE(integration_hardening_tests)

// A HEAD's answer must end at its header: a body (counted by Content-Length
// or not) would be read as the start of the next answer on the connection.
BOOST_AUTO_TEST_CASE(head_answers_carry_no_body_on_any_route) {
  temp_dir dir;
  const auto token = write_token(dir.path());
  collector_process c(dir.path(), {"--admin-token-file", token.string()});
  BOOST_TEST(http_request(c.port(), http::verb::post, "/", example_event(test_uuid(1))).status == 200u);
  struct route {
    std::string target, bearer;
    unsigned status;
  };
  const std::vector<route> routes = {
      {"/", "", 200},
      {"/dashboard.js", "", 200},
      {"/dashboard.css", "", 200},
      {"/healthz", "", 200},
      {"/metrics", "", 200},
      {"/v1/stats", "", 200},
      {"/v1/stats?days=3", "", 200},
      {"/v1/stats?days=0", "", 400},
      {"/v1/export", "", 401},
      {"/v1/export", k_token, 200},
      {"/v1/nodes/" + test_uuid(1), k_token, 405},
      {"/no-such-page", "", 404},
  };
  for (const auto& r : routes) {
    connection conn(c.port());
    beast::error_code ec;
    auto head = conn.exchange(request_text("HEAD", r.target, r.bearer), true, ec);
    BOOST_TEST_REQUIRE(!ec, r.target << ": HEAD: " << ec.message());
    BOOST_TEST(head.result_int() == r.status, r.target);
    BOOST_TEST(head.body().empty(), r.target);
    auto get = conn.exchange(request_text("GET", "/healthz"), false, ec);
    BOOST_TEST(!ec, r.target << ": GET after HEAD: " << ec.message());
    BOOST_TEST(get.result_int() == 200u, r.target << ": the GET after the HEAD read as " << get.result_int());
    BOOST_TEST(get.body() == "ok\n", r.target);
    BOOST_TEST(conn.leftover(200ms) == 0u, r.target);
  }
}

BOOST_AUTO_TEST_SUITE_END()
