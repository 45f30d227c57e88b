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
#include <boost/test/data/monomorphic.hpp>
#include <boost/test/data/test_case.hpp>
#include <boost/test/unit_test.hpp>

#include <sys/resource.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cctype>
#include <cstdio>
#include <sstream>
#include <fstream>

using namespace test_support;
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace json = boost::json;
namespace data = boost::unit_test::data;
using tcp = asio::ip::tcp;

namespace {

const std::string& k_token = k_admin_token;

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

BOOST_AUTO_TEST_SUITE(integration_collector_hardening_tests)

// A HEAD's answer must end at its header: a body (counted by Content-Length
// or not) would be read as the start of the next answer on the connection.
BOOST_AUTO_TEST_CASE(head_answers_carry_no_body_on_any_route) {
  temp_dir dir;
  const auto token = write_admin_token(dir.path());
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
      {"/settings", "", 200},
      {"/settings.js", "", 200},
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

namespace {

std::size_t occurrences(const std::string& text, std::string_view what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + what.size())) ++n;
  return n;
}

// A small tmpfs of its own (tests run as root); unmounted when it goes.
// mounted() is false where mounting is not allowed.
class small_tmpfs {
 public:
  small_tmpfs(const std::filesystem::path& at, const std::string& size) : at_(at) {
    std::filesystem::create_directories(at_);
    mounted_ = run({"/bin/mount", "-t", "tmpfs", "-o", "size=" + size + ",mode=0700", "tmpfs", at_.string()}).exit_code == 0;
  }
  ~small_tmpfs() {
    if (mounted_) run({"/bin/umount", at_.string()});
  }
  bool mounted() const { return mounted_; }

 private:
  std::filesystem::path at_;
  bool mounted_ = false;
};

// Writes to `p` until the file system is full.
void fill_up(const std::filesystem::path& p) {
  std::FILE* f = std::fopen(p.c_str(), "wb");
  BOOST_REQUIRE(f);
  const std::string block(4096, 'x');
  while (std::fwrite(block.data(), 1, block.size(), f) == block.size() && std::fflush(f) == 0) {
  }
  std::fclose(f);
}

}  // namespace

BOOST_AUTO_TEST_CASE(a_deleted_database_file_is_answered_503_and_reported_once) {
  temp_dir dir;
  collector_process c(dir.path());
  BOOST_TEST(http_request(c.port(), http::verb::post, "/", example_event(test_uuid(1))).status == 200u);
  BOOST_TEST(http_request(c.port(), http::verb::get, "/healthz").status == 200u);
  const auto healthy = http_request(c.port(), http::verb::get, "/metrics").body;
  BOOST_TEST(healthy.find("\ntelemetry_collector_storage_healthy 1\n") != std::string::npos, healthy);
  std::filesystem::remove(c.db());
  for (unsigned i = 2; i <= 4; ++i)
    BOOST_TEST(http_request(c.port(), http::verb::post, "/", example_event(test_uuid(i))).status == 503u);
  auto health = http_request(c.port(), http::verb::get, "/healthz");
  BOOST_TEST(health.status == 503u);
  BOOST_TEST(health.body.find("deleted") != std::string::npos, health.body);
  // The gauge the alert rules watch (docs/prometheus-alerts.yml) says the same.
  const auto failing = http_request(c.port(), http::verb::get, "/metrics").body;
  BOOST_TEST(failing.find("\ntelemetry_collector_storage_healthy 0\n") != std::string::npos, failing);
  BOOST_TEST(http_request(c.port(), http::verb::get, "/healthz").status == 503u);
  BOOST_TEST(occurrences(c.log(), "storage failure (database") == 1u, c.log());
  BOOST_TEST(c.log().find("was deleted") != std::string::npos);
}

// A health check alone sees it: no write needed.
BOOST_AUTO_TEST_CASE(a_database_file_renamed_over_is_answered_503) {
  temp_dir dir;
  collector_process c(dir.path());
  BOOST_TEST(http_request(c.port(), http::verb::post, "/", example_event(test_uuid(1))).status == 200u);
  const auto other = dir.path() / "other.db";
  BOOST_TEST_REQUIRE(run({COLLECTOR_BIN, "backup", "--db", c.db().string(), other.string()}).exit_code == 0);
  std::filesystem::rename(other, c.db());
  auto health = http_request(c.port(), http::verb::get, "/healthz");
  BOOST_TEST(health.status == 503u);
  BOOST_TEST(health.body.find("replaced") != std::string::npos, health.body);
  BOOST_TEST(http_request(c.port(), http::verb::post, "/", example_event(test_uuid(2))).status == 503u);
  BOOST_TEST(http_request(c.port(), http::verb::delete_, "/", json::serialize(json::object{{"uuid", test_uuid(1)}}))
                 .status == 503u);
  BOOST_TEST(occurrences(c.log(), "storage failure (database") == 1u, c.log());
  // What now sits at the path was not written to.
  BOOST_TEST(c.stop() == 0);
  BOOST_TEST(export_lines(c.db()).size() == 1u);
}

BOOST_AUTO_TEST_CASE(a_full_disk_is_answered_503_until_space_returns) {
  temp_dir dir;
  small_tmpfs fs(dir.path() / "fs", "2m");
  if (!fs.mounted()) {
    BOOST_TEST_MESSAGE("skipped: cannot mount a tmpfs here (needs root); the disk-full path is SQLite's write error");
    return;
  }
  collector_process c(dir.path(), {"--db", (dir.path() / "fs" / "c.db").string()});
  BOOST_TEST(http_request(c.port(), http::verb::post, "/", example_event(test_uuid(1))).status == 200u);
  fill_up(dir.path() / "fs" / "filler");
  // Until the WAL needs a page it does not have yet, a write may still fit.
  unsigned status = 0, n = 2;
  for (; n < 40 && status != 503u; ++n)
    status = http_request(c.port(), http::verb::post, "/", example_event(test_uuid(n))).status;
  BOOST_TEST_REQUIRE(status == 503u);
  BOOST_TEST(http_request(c.port(), http::verb::post, "/", example_event(test_uuid(n++))).status == 503u);
  auto health = http_request(c.port(), http::verb::get, "/healthz");
  BOOST_TEST(health.status == 503u);
  BOOST_TEST(health.body.find("full") != std::string::npos, health.body);
  BOOST_TEST(occurrences(c.log(), "storage failure (database") == 1u, c.log());
  BOOST_TEST(c.log().find("database or disk is full") != std::string::npos, c.log());
  // Space again: the next commit clears it.
  std::filesystem::remove(dir.path() / "fs" / "filler");
  BOOST_TEST(http_request(c.port(), http::verb::post, "/", example_event(test_uuid(n++))).status == 200u);
  BOOST_TEST(http_request(c.port(), http::verb::get, "/healthz").status == 200u);
  const auto metrics = http_request(c.port(), http::verb::get, "/metrics").body;
  BOOST_TEST(metrics.find("\ntelemetry_collector_storage_healthy 1\n") != std::string::npos, metrics);
  BOOST_TEST(c.log().find("storage works again") != std::string::npos, c.log());
  BOOST_TEST(c.stop() == 0);
}

BOOST_AUTO_TEST_CASE(a_second_serve_on_the_same_database_refuses_to_start) {
  temp_dir dir;
  collector_process c(dir.path());
  auto r = run({COLLECTOR_BIN, "serve", "--listen", "127.0.0.1:0", "--db", c.db().string()}, {}, 10s);
  BOOST_TEST(r.exit_code == 1, r.err);
  BOOST_TEST(r.err.find("database " + c.db().string() + " is already served by another telemetry-collector") !=
                 std::string::npos,
             r.err);
  // The first goes on untouched.
  BOOST_TEST(http_request(c.port(), http::verb::post, "/", example_event(test_uuid(1))).status == 200u);
  BOOST_TEST(c.stop() == 0);
}

BOOST_DATA_TEST_CASE(the_cli_works_beside_a_running_serve, data::make(k_engines), engine) {
  temp_dir dir;
  collector_process c(dir.path(), {"--db", fresh_db(engine, dir.path())});
  for (unsigned i = 1; i <= 3; ++i)
    BOOST_TEST(http_request(c.port(), http::verb::post, "/", example_event(test_uuid(i))).status == 200u);
  auto exported = run({COLLECTOR_BIN, "export", "--db", c.db().string()});
  BOOST_TEST(exported.exit_code == 0, exported.err);
  BOOST_TEST(std::count(exported.out.begin(), exported.out.end(), '\n') == 3);
  auto cleanup = run({COLLECTOR_BIN, "cleanup", "--db", c.db().string()}, {}, 30s);
  BOOST_TEST(cleanup.exit_code == 0, cleanup.err);
  const auto file = dir.path() / "more.ndjson";
  write_text(file, json::serialize(json::object{{"received_at", utc_date(std::chrono::system_clock::now() - std::chrono::days(12)) + "T10:00:00Z"},
                                                {"event", json::parse(example_event(test_uuid(9)))}}) +
                       "\n");
  auto imported = run({COLLECTOR_BIN, "import", "--db", c.db().string(), file.string()}, {}, 30s);
  BOOST_TEST(imported.exit_code == 0, imported.err);
  auto backup = run({COLLECTOR_BIN, "backup", "--db", c.db().string(), (dir.path() / "copy.db").string()}, {}, 30s);
  if (engine == "sqlite") {
    BOOST_TEST(backup.exit_code == 0, backup.err);
  } else {  // PostgreSQL has its own tools, and the message says which
    BOOST_TEST(backup.exit_code == 2);
    BOOST_TEST(backup.err.find("pg_dump") != std::string::npos, backup.err);
  }
  BOOST_TEST(http_request(c.port(), http::verb::post, "/", example_event(test_uuid(4))).status == 200u);
  BOOST_TEST(export_lines(c.db()).size() == 5u);
  BOOST_TEST(c.stop() == 0);
}

BOOST_DATA_TEST_CASE(after_kill_9_a_new_serve_starts_on_the_database, data::make(k_engines), engine) {
  temp_dir dir;
  const auto db = fresh_db(engine, dir.path());
  auto first = std::make_unique<collector_process>(dir.path(), std::vector<std::string>{"--db", db});
  BOOST_TEST(http_request(first->port(), http::verb::post, "/", example_event(test_uuid(1))).status == 200u);
  first->process().signal(SIGKILL);
  BOOST_TEST_REQUIRE(first->process().wait_exit(10s).has_value());
  first.reset();
  collector_process second(dir.path(), {"--db", db});  // throws if it does not start
  BOOST_TEST(http_request(second.port(), http::verb::post, "/", example_event(test_uuid(2))).status == 200u);
  BOOST_TEST(second.events().size() == 2u);
  BOOST_TEST(second.stop() == 0);
}

namespace {

// A value of `n` characters that JSON must escape one by one ("\u0001..."),
// distinct for each `i`: the longest text a free string field can take.
std::string long_value(unsigned i, std::size_t n) {
  std::string v = std::to_string(i) + "-";
  while (v.size() < n) v += '\x01';
  return v;
}

}  // namespace

BOOST_DATA_TEST_CASE(stats_stay_bounded_whatever_values_are_posted, data::make(k_engines), engine) {
  temp_dir dir;
  collector_process c(dir.path(), {"--db", fresh_db(engine, dir.path()), "--aggregate-every", "1"});
  constexpr unsigned k_nodes = 500;
  for (unsigned i = 1; i <= k_nodes; ++i) {
    auto doc = json::parse(example_event(test_uuid(i))).as_object();
    doc["agent_version"] = "kubo/" + test_uuid(100000 + i);  // random-looking, all distinct
    doc["reprovider_strategy"] = long_value(i, 128);
    doc["routing_type"] = long_value(i + k_nodes, 128);
    doc["platform_os"] = "os" + std::to_string(i);
    doc["routing_delegated_count"] = i;
    auto r = http_request(c.port(), http::verb::post, "/", json::serialize(doc));
    BOOST_TEST_REQUIRE(r.status == 200u, r.body);
  }
  std::string body;
  json::value stats;
  BOOST_TEST_REQUIRE(wait_until(
      [&] {
        body = http_request(c.port(), http::verb::get, "/v1/stats?days=1").body;
        stats = json::parse(body);
        const auto& days = stats.at("days").as_array();
        return !days.empty() && days.back().at("active_nodes").as_int64() == k_nodes;
      },
      60s));
  BOOST_TEST(body.size() < 256u * 1024, body.size());
  const auto& fields = stats.at("days").at(0).at("fields").as_object();
  for (const auto& [field, values] : fields) {
    BOOST_TEST(values.as_object().size() <= 100u, field);
    std::int64_t sum = 0;
    for (const auto& [value, nodes] : values.as_object()) sum += nodes.as_int64();
    BOOST_TEST(sum == k_nodes, field);  // every node counted once, folded or not
  }
  for (const char* f : {"agent_version", "reprovider_strategy", "routing_type", "platform_os", "routing_delegated_count"})
    BOOST_TEST(fields.at(f).as_object().contains("(other)"), f);
  const auto metrics = http_request(c.port(), http::verb::get, "/metrics");
  BOOST_TEST(metrics.status == 200u);
  BOOST_TEST(metrics.body.size() < 64u * 1024);
  BOOST_TEST(metrics.body.find("kubo/") == std::string::npos);  // no series per posted value
}

namespace {

// The real collector started under `prlimit --nofile=N:N`, so that it cannot
// raise its descriptor limit.
class limited_collector {
 public:
  limited_collector(const std::filesystem::path& dir, unsigned nofile, const std::vector<std::string>& extra = {})
      : err_(dir / "collector.err") {
    std::vector<std::string> argv = {"/usr/bin/prlimit", "--nofile=" + std::to_string(nofile) + ":" + std::to_string(nofile),
                                     COLLECTOR_BIN, "serve", "--listen", "127.0.0.1:0", "--db",
                                     (dir / "collector.db").string(), "--collection", "on"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    proc_ = std::make_unique<child_process>(argv, env_changes{}, dir / "collector.out", err_);
    const std::string marker = "listening on 127.0.0.1:";
    if (!wait_until([&] { return log().find(marker) != std::string::npos; }, 10s))
      throw std::runtime_error("collector did not start: " + log());
    port_ = static_cast<unsigned short>(std::stoi(log().substr(log().find(marker) + marker.size())));
  }
  unsigned short port() const { return port_; }
  std::string log() const { return read_text(err_); }
  child_process& process() { return *proc_; }

 private:
  std::filesystem::path err_;
  std::unique_ptr<child_process> proc_;
  unsigned short port_ = 0;
};

std::vector<tcp::socket> idle_clients(asio::io_context& ioc, unsigned short port, int n) {
  std::vector<tcp::socket> out;
  for (int i = 0; i < n; ++i) {
    tcp::socket s(ioc);
    s.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
    out.push_back(std::move(s));
  }
  return out;
}

// True when the peer closed `s` (EOF or reset) within `wait`.
bool closed_by_peer(tcp::socket& s, std::chrono::milliseconds wait) {
  timeval tv{static_cast<time_t>(wait.count() / 1000), static_cast<suseconds_t>((wait.count() % 1000) * 1000)};
  ::setsockopt(s.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  char byte;
  const auto n = ::recv(s.native_handle(), &byte, 1, 0);
  return n == 0 || (n < 0 && errno == ECONNRESET);
}

}  // namespace

// 420 idle clients against 320 descriptors: the oldest idle ones are closed
// to make room, as nginx does with keep-alive connections.
BOOST_AUTO_TEST_CASE(idle_connections_beyond_the_descriptor_limit_make_room_for_a_new_request) {
  raise_fd_limit();
  temp_dir dir;
  limited_collector c(dir.path(), 320);
  BOOST_TEST(c.log().find("at most 256 connections") != std::string::npos, c.log());
  asio::io_context ioc;
  auto idle = idle_clients(ioc, c.port(), 420);
  auto r = http_request(c.port(), http::verb::post, "/", example_event(test_uuid(1)), {}, 5s);
  BOOST_TEST(r.status == 200u, r.error);
  BOOST_TEST(http_request(c.port(), http::verb::get, "/healthz", {}, {}, 5s).status == 200u);
  BOOST_TEST(closed_by_peer(idle.front(), 5s));  // the oldest went first
  BOOST_TEST(occurrences(c.log(), "accept:") <= 1u, c.log());
  BOOST_TEST(c.process().running());
}

// HTTPS: connections that never start their TLS handshake are idle too.
BOOST_AUTO_TEST_CASE(stalled_tls_handshakes_make_room_for_a_new_client) {
  raise_fd_limit();
  temp_dir dir;
  test_pki pki(dir.path());
  const auto cert = pki.issue({"collector", {"localhost"}, {"127.0.0.1"}});
  limited_collector c(dir.path(), 100, {"--tls-cert", cert.cert.string(), "--tls-key", cert.key.string()});
  BOOST_TEST(c.log().find("at most 36 connections") != std::string::npos, c.log());
  asio::io_context ioc;
  auto stalled = idle_clients(ioc, c.port(), 60);
  const auto event = dir.path() / "event.json";
  write_text(event, example_event(test_uuid(1)));
  auto r = run({"/usr/bin/curl", "-sS", "--max-time", "5", "--cacert", pki.ca_pem().string(), "-o", "/dev/null", "-w",
                "%{http_code}", "-H", "Content-Type: application/json", "--data-binary", "@" + event.string(),
                "https://127.0.0.1:" + std::to_string(c.port()) + "/"},
               {}, 20s);
  BOOST_TEST(r.out == "200", r.out << r.err);
  BOOST_TEST(closed_by_peer(stalled.front(), 5s));
}

// The limit lowered under a running collector: accept fails with EMFILE,
// which is backed off (idle connections closed) and logged once.
BOOST_AUTO_TEST_CASE(running_out_of_descriptors_is_backed_off_and_logged_once) {
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
  // Not under the sanitizers: UBSan's vptr check tests memory with a pipe(),
  // which fails once the process is out of descriptors, and then reports a
  // valid object as having an "invalid vptr" (a false positive that aborts
  // the collector). The default build runs this case.
  BOOST_TEST_MESSAGE("skipped under sanitizers: they need descriptors of their own");
  return;
#endif
  raise_fd_limit();
  temp_dir dir;
  collector_process c(dir.path());
  const rlimit low{200, 200};
  BOOST_TEST_REQUIRE(::prlimit(c.process().pid(), RLIMIT_NOFILE, &low, nullptr) == 0);
  asio::io_context ioc;
  auto idle = idle_clients(ioc, c.port(), 300);
  auto r = http_request(c.port(), http::verb::post, "/", example_event(test_uuid(1)), {}, 5s);
  BOOST_TEST(r.status == 200u, r.error);
  auto again = http_request(c.port(), http::verb::post, "/", example_event(test_uuid(2)), {}, 5s);
  BOOST_TEST(again.status == 200u, again.error);
  BOOST_TEST(occurrences(c.log(), "accept: Too many open files") == 1u, c.log());
}

BOOST_AUTO_TEST_CASE(connections_per_peer_are_limited_when_asked) {
  temp_dir dir;
  collector_process c(dir.path(), {"--max-connections-per-peer", "4"});
  asio::io_context ioc;
  auto held = idle_clients(ioc, c.port(), 4);
  BOOST_TEST(!closed_by_peer(held.back(), 300ms));
  auto fifth = idle_clients(ioc, c.port(), 1);
  BOOST_TEST(closed_by_peer(fifth.front(), 5s));
  BOOST_TEST(http_request(c.port(), http::verb::post, "/", example_event(test_uuid(1)), {}, 5s).status == 0u);
  held.front().close();
  BOOST_TEST(wait_until(
      [&] { return http_request(c.port(), http::verb::post, "/", example_event(test_uuid(2)), {}, 5s).status == 200u; },
      10s));
  // Nothing about the peer in the log.
  BOOST_TEST(c.log().find("127.0.0.1:" + std::to_string(c.port())) != std::string::npos);
  BOOST_TEST(occurrences(c.log(), "127.0.0.1") == 1u, c.log());
  auto bad = run({COLLECTOR_BIN, "serve", "--listen", "127.0.0.1:0", "--db", (dir.path() / "x.db").string(),
                  "--max-connections-per-peer", "0"});
  BOOST_TEST(bad.exit_code == 2);
  BOOST_TEST(bad.err.find("--max-connections-per-peer \"0\": expected a whole number of connections from 1 to 1000000") !=
                 std::string::npos,
             bad.err);
}

namespace {

// The ```nginx block of docs/collector.md, as operators copy it.
std::string documented_nginx_block() {
  const auto doc = read_text(std::filesystem::path(TELEMETRY_SCHEMA_DIR) / ".." / "docs" / "collector.md");
  const std::string open = "```nginx\n";
  const auto begin = doc.find(open);
  if (begin == std::string::npos) return {};
  const auto end = doc.find("\n```", begin + open.size());
  return doc.substr(begin + open.size(), end - begin - open.size());
}

void replace_once(std::string& text, const std::string& from, const std::string& to) {
  const auto at = text.find(from);
  BOOST_REQUIRE_MESSAGE(at != std::string::npos, "the documented nginx block has no \"" << from << "\"");
  text.replace(at, from.size(), to);
}

struct curl_result {
  std::vector<unsigned> statuses;
  std::string out, err;
};

// `n` requests on one connection with curl, trusting `ca`; -w prints each status.
curl_result curl(const std::vector<std::string>& options, const std::string& url, int n, const std::filesystem::path& ca) {
  std::vector<std::string> argv = {"/usr/bin/curl", "-sS", "--cacert", ca.string(), "-o", "/dev/null", "-w", "%{http_code}\\n"};
  argv.insert(argv.end(), options.begin(), options.end());
  for (int i = 0; i < n; ++i) argv.push_back(url);
  auto r = run(argv, {}, 60s);
  curl_result out{{}, r.out, r.err};
  std::istringstream in(r.out);
  for (std::string line; std::getline(in, line);)
    if (!line.empty() && std::isdigit(static_cast<unsigned char>(line[0]))) out.statuses.push_back(std::stoul(line));
  return out;
}

}  // namespace

BOOST_AUTO_TEST_CASE(nginx_in_front_as_documented_proxies_and_limits) {
  const std::filesystem::path nginx = "/usr/sbin/nginx";
  if (!std::filesystem::exists(nginx) || !std::filesystem::exists("/usr/bin/curl")) {
    BOOST_TEST_MESSAGE("skipped: needs /usr/sbin/nginx (Debian: apt-get install nginx-light) and curl");
    return;
  }
  temp_dir dir;
  collector_process c(dir.path());
  test_pki pki(dir.path());
  const auto cert = pki.issue({"nginx", {"localhost"}, {"127.0.0.1"}});
  const unsigned short port = closed_port();
  std::string block = documented_nginx_block();
  BOOST_REQUIRE(!block.empty());
  replace_once(block, "listen 443 ssl;", "listen 127.0.0.1:" + std::to_string(port) + " ssl;");
  replace_once(block, "server 127.0.0.1:9099;", "server 127.0.0.1:" + std::to_string(c.port()) + ";");
  replace_once(block, "/etc/telemetry-collector/tls/fullchain.pem", cert.cert.string());
  replace_once(block, "/etc/telemetry-collector/tls/privkey.pem", cert.key.string());
  const auto d = dir.path().string();
  const auto conf = dir.path() / "nginx.conf";
  write_text(conf, "daemon off;\nmaster_process off;\nuser root;\npid " + d + "/nginx.pid;\nerror_log " + d +
                       "/nginx-error.log crit;\nevents { worker_connections 256; }\nhttp {\n"
                       "client_body_temp_path " + d + "/body;\nproxy_temp_path " + d + "/proxy;\n"
                       "fastcgi_temp_path " + d + "/fastcgi;\nuwsgi_temp_path " + d + "/uwsgi;\n"
                       "scgi_temp_path " + d + "/scgi;\n" + block + "\n}\n");
  auto check = run({nginx.string(), "-t", "-p", d, "-c", conf.string()});
  BOOST_TEST_REQUIRE(check.exit_code == 0, check.err);
  child_process proxy({nginx.string(), "-p", d, "-c", conf.string()}, {}, dir.path() / "nginx.out",
                      dir.path() / "nginx.err");
  const std::string base = "https://127.0.0.1:" + std::to_string(port);
  BOOST_TEST_REQUIRE(wait_until([&] { return curl({}, base + "/healthz", 1, pki.ca_pem()).statuses == std::vector<unsigned>{200}; }, 10s),
                     read_text(dir.path() / "nginx.err"));

  const auto event = dir.path() / "event.json";
  write_text(event, example_event(test_uuid(1)));
  const std::vector<std::string> post = {"-H", "Content-Type: application/json", "--data-binary", "@" + event.string()};
  BOOST_TEST((curl(post, base + "/", 1, pki.ca_pem()).statuses == std::vector<unsigned>{200}));
  BOOST_TEST(export_lines(c.db()).size() == 1u);
  // HEAD and GET on one connection through the proxy, and the dashboard.
  BOOST_TEST((curl({}, base + "/", 2, pki.ca_pem()).statuses == std::vector<unsigned>{200, 200}));

  const auto big = dir.path() / "big.json";
  write_text(big, std::string(70 * 1024, ' ') + example_event(test_uuid(2)));
  BOOST_TEST((curl({"-H", "Content-Type: application/json", "--data-binary", "@" + big.string()}, base + "/", 1,
                   pki.ca_pem())
                  .statuses == std::vector<unsigned>{413}));

  // limit_req: a burst of 60 at once, then one every 2 s.
  auto burst = curl(post, base + "/", 90, pki.ca_pem());
  BOOST_TEST(burst.statuses.size() == 90u, burst.err);
  const auto ok = std::count(burst.statuses.begin(), burst.statuses.end(), 200u);
  const auto limited = std::count(burst.statuses.begin(), burst.statuses.end(), 503u);
  BOOST_TEST(ok >= 30);
  BOOST_TEST(limited >= 1);
  BOOST_TEST(ok + limited == 90);
  // A limited answer tells the node when to come back.
  auto headers = run({"/usr/bin/curl", "-sS", "--cacert", pki.ca_pem().string(), "-D", "-", "-o", "/dev/null", "-H",
                      "Content-Type: application/json", "--data-binary", "@" + event.string(), base + "/", base + "/",
                      base + "/"},
                     {}, 30s);
  BOOST_TEST(headers.out.find("HTTP/1.1 503") != std::string::npos, headers.out);
  BOOST_TEST(headers.out.find("Retry-After: 60") != std::string::npos, headers.out);
  // Every 200 is an event kept; no 503 is.
  BOOST_TEST(export_lines(c.db()).size() == static_cast<std::size_t>(1 + ok) + occurrences(headers.out, "HTTP/1.1 200"));
  // Nobody's address in nginx's log or the collector's.
  BOOST_TEST(read_text(dir.path() / "nginx-error.log").find("client:") == std::string::npos);
  BOOST_TEST(occurrences(c.log(), "127.0.0.1") == 1u, c.log());
  proxy.signal(SIGQUIT);
  BOOST_TEST(proxy.wait_exit(10s).has_value());
}

BOOST_AUTO_TEST_SUITE_END()
