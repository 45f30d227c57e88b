#pragma once
// Fixtures for integration tests: the real telemetry-collector and ipfs-stub
// binaries on 127.0.0.1, and a recording HTTP server for checks on the wire.

#include "test_pki.hpp"
#include "test_support.hpp"
#include "kubo_example.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/json/value.hpp>

#include <atomic>
#include <memory>
#include <mutex>
#include <set>
#include <thread>

namespace test_support {

using namespace std::chrono_literals;

// The real collector on an ephemeral port, storing into dir/collector.db
// (or the --db given in extra_args). Its log is its stderr, or the
// --log-file given in extra_args.
class collector_process {
 public:
  // `collection_on`: unless extra_args hold --collection, adds --collection on
  // (a new database starts with collection off); false starts the collector
  // with the settings saved in its database.
  explicit collector_process(const std::filesystem::path& dir, std::vector<std::string> extra_args = {},
                             bool collection_on = true);
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/"; }
  unsigned short port() const { return port_; }
  const std::filesystem::path& db() const { return db_; }
  // The stored events, as `telemetry-collector export` reads them from the database.
  std::vector<boost::json::value> events() const;
  bool wait_for_events(std::size_t n, std::chrono::milliseconds timeout = 10s) const;
  std::string log() const { return read_text(log_); }
  std::string err() const { return read_text(err_); }  // stderr (the log too, without --log-file)
  child_process& process() { return *proc_; }
  // SIGTERM, then the exit code (nullopt if it did not exit within `timeout`).
  std::optional<int> stop(std::chrono::milliseconds timeout = 15s);

 private:
  std::filesystem::path db_, err_, log_;
  std::unique_ptr<child_process> proc_;
  unsigned short port_ = 0;
};

// The real collector serving HTTPS with `cert`, in a fresh subdirectory `name` of `dir`.
std::unique_ptr<collector_process> start_tls_collector(const std::filesystem::path& dir, const cert_files& cert,
                                                       const std::string& name);

// https://HOST:PORT/ of a collector.
std::string https_url(const collector_process& c, const std::string& host = "127.0.0.1");

// NDJSON lines of `telemetry-collector export --db db`, parsed.
std::vector<boost::json::value> export_lines(const std::filesystem::path& db);

// The admin token the collector tests use, and a file holding it (dir/token,
// mode 0600 as --admin-token-file requires), for --admin-token-file.
inline const std::string k_admin_token = "an-admin-token-of-32-characters!";
std::filesystem::path write_admin_token(const std::filesystem::path& dir);

// "YYYY-MM-DD" of `n` days ago (UTC). Imported events carry dates relative to
// today: import leaves out those older than the retention (90 days by default).
std::string days_ago(int n);

// The storage engines the collector's behaviour suites run against: each
// such case is a BOOST_DATA_TEST_CASE over k_engines (one set of tests).
inline const std::vector<std::string> k_engines{"sqlite", "postgresql"};

// A fresh, empty database for `engine`, as --db takes it: dir/collector.db
// for SQLite; for PostgreSQL a new database on the throw-away cluster this
// test process shares (pg_cluster::shared(), started on first use).
std::string fresh_db(const std::string& engine, const std::filesystem::path& dir);

// Everything a database holds, as text, for checks that something is NOT
// stored: the SQLite file's bytes, or every row of every table of the
// PostgreSQL database (with its column names).
std::string stored_text(const std::string& db);

// The sample line "NAME VALUE" of metric `name` in the collector's /metrics; "" when absent.
std::string metric_line(const collector_process& c, const std::string& name);

// A running `ipfs-stub daemon`.
class daemon_process {
 public:
  daemon_process(const std::vector<std::string>& argv, const env_changes& env, const std::filesystem::path& dir);
  bool ready() const { return ready_; }
  std::string log() const { return read_text(err_); }
  bool log_has(std::string_view s) const { return log().find(s) != std::string::npos; }
  bool wait_log(std::string_view s, std::chrono::milliseconds timeout = 10s) const;
  // SIGTERM, then the exit code (nullopt if it did not exit within `timeout`).
  std::optional<int> stop(std::chrono::milliseconds timeout = 10s);
  pid_t pid() const { return proc_->pid(); }
  bool running() { return proc_->running(); }

 private:
  std::filesystem::path out_, err_;
  std::unique_ptr<child_process> proc_;
  bool ready_ = false;
};

// A repo made by the real `ipfs-stub init`, and helpers to drive the CLI.
class node {
 public:
  explicit node(const std::filesystem::path& dir);
  const std::filesystem::path& repo() const { return repo_; }
  run_result cli(std::vector<std::string> args, env_changes env = {}) const;
  void set(const std::string& key, const std::string& value) const;       // string value
  void set_json(const std::string& key, const std::string& json) const;   // JSON value
  // Telemetry pointed at `endpoint` with a short Delay.
  void point_at(const std::string& endpoint, const std::string& delay = "200ms") const;
  std::unique_ptr<daemon_process> daemon(std::vector<std::string> args = {}, env_changes env = {});
  std::filesystem::path uuid_file() const { return repo_ / "telemetry_uuid"; }
  std::string uuid() const { return read_text(uuid_file()).substr(0, 36); }

 private:
  std::filesystem::path dir_, repo_;
  int daemons_ = 0;
};

// A test's directory, a PKI in it, and a node on it; sub() makes (and
// names) a subdirectory, e.g. for a collector of its own.
struct node_fixture {
  temp_dir dir;
  test_pki pki{dir.path() / "pki"};
  node n{dir.path()};
  std::filesystem::path sub(const std::string& name) const;
};

// A Beast server on 127.0.0.1 that records every request and answers each
// with `status` (or never answers, keeping the connection open, if `hang`).
class recording_server {
 public:
  // `silent`: accept connections and never read or write (a TLS server that
  // never finishes its handshake, a proxy that hangs).
  explicit recording_server(unsigned status = 200, bool hang = false, bool silent = false);
  ~recording_server();
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/"; }
  std::vector<boost::beast::http::request<boost::beast::http::string_body>> requests();
  std::size_t count();
  std::size_t accepted();  // connections accepted so far

 private:
  void do_accept();
  boost::asio::io_context ioc_;
  boost::asio::ip::tcp::acceptor acceptor_;
  unsigned short port_;
  unsigned status_;
  bool hang_;
  bool silent_;
  std::size_t accepted_ = 0;
  std::mutex mutex_;
  std::vector<boost::beast::http::request<boost::beast::http::string_body>> requests_;
  std::vector<std::shared_ptr<void>> held_;
  std::thread thread_;
};

// A real tinyproxy (Debian's) on 127.0.0.1, with extra config lines.
class tinyproxy_process {
 public:
  explicit tinyproxy_process(const std::filesystem::path& dir, const std::string& extra_config = {});
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  unsigned short port() const { return port_; }
  std::string log() const { return read_text(out_); }

 private:
  std::filesystem::path out_;
  std::unique_ptr<child_process> proc_;
  unsigned short port_ = 0;
};

// One HTTP/1.1 request on a fresh connection to 127.0.0.1:port, bounded by
// `timeout`. status 0 and `error` set when no response arrived.
struct simple_response {
  unsigned status = 0;
  std::string body;
  std::string error;
};
simple_response http_request(unsigned short port, boost::beast::http::verb method, const std::string& target,
                             const std::string& body = {}, const std::string& bearer = {},
                             std::chrono::milliseconds timeout = 10s);

// Threads posting events with fresh uuids as fast as the collectors answer
// (thread t to ports[t % ports.size()]), each remembering the uuids it got a
// 200 for. Stops (and joins) on stop() or destruction.
class posting_clients {
 public:
  posting_clients(std::vector<unsigned short> ports, int threads, unsigned first_uuid = 0);
  posting_clients(unsigned short port, int threads) : posting_clients(std::vector<unsigned short>{port}, threads) {}
  ~posting_clients() { stop(); }
  std::set<std::string> acknowledged() const;
  std::size_t refused() const { return refused_; }  // answers other than 200 (503 during an outage)
  bool wait_acknowledged(std::size_t n, std::chrono::milliseconds timeout = 30s) const;
  void stop();

 private:
  std::atomic<bool> stop_{false};
  std::atomic<unsigned> next_{0};
  std::atomic<std::size_t> refused_{0};
  mutable std::mutex mutex_;
  std::set<std::string> acknowledged_;
  std::vector<std::thread> threads_;
};

// Reads from `s` until the peer closes or `timeout` passes; what arrived.
std::string read_until_closed(boost::asio::ip::tcp::socket& s, std::chrono::milliseconds timeout);

// Sends `request` as it is on a fresh connection to 127.0.0.1:port and
// returns what arrives until the peer closes or `timeout` passes.
std::string raw_exchange(unsigned short port, const std::string& request, std::chrono::milliseconds timeout = 10s);

// Threads of a process, from /proc.
std::size_t thread_count(pid_t pid);

// A port on 127.0.0.1 where nothing listens (bound, then released).
unsigned short closed_port();

}  // namespace test_support

#include <boost/test/tools/detail/print_helper.hpp>

// Exit codes print as their number, or "still running".
namespace boost::test_tools::tt_detail {
template <>
struct print_log_value<std::optional<int>> {
  void operator()(std::ostream& os, const std::optional<int>& v) {
    if (v)
      os << *v;
    else
      os << "still running";
  }
};
}  // namespace boost::test_tools::tt_detail
