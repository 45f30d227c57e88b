#include "integration.hpp"

#include "pg_cluster.hpp"

#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <sys/socket.h>

#include <fstream>

#include <algorithm>
#include <csignal>
#include <sstream>

namespace test_support {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

collector_process::collector_process(const std::filesystem::path& dir, std::vector<std::string> extra_args,
                                     bool collection_on)
    : db_(dir / "collector.db"), err_(dir / "collector.err"), log_(err_) {
  std::vector<std::string> argv = {COLLECTOR_BIN, "serve", "--listen", "127.0.0.1:0"};
  if (auto it = std::find(extra_args.begin(), extra_args.end(), "--db"); it != extra_args.end() && it + 1 != extra_args.end())
    db_ = *(it + 1);
  else
    argv.insert(argv.end(), {"--db", db_.string()});
  if (auto it = std::find(extra_args.begin(), extra_args.end(), "--log-file");
      it != extra_args.end() && it + 1 != extra_args.end())
    log_ = *(it + 1);
  // A new database starts with collection off; the tests that are about
  // that setting pass --collection themselves.
  if (collection_on && std::find(extra_args.begin(), extra_args.end(), "--collection") == extra_args.end())
    argv.insert(argv.end(), {"--collection", "on"});
  argv.insert(argv.end(), extra_args.begin(), extra_args.end());
  proc_ = std::make_unique<child_process>(argv, env_changes{}, dir / "collector.out", err_);
  const std::string marker = "listening on 127.0.0.1:";
  bool up = wait_until([&] { return read_text(log_).find(marker) != std::string::npos; }, 10s);
  if (!up) throw std::runtime_error("collector did not start: " + read_text(err_) + read_text(log_));
  const auto log = read_text(log_);
  port_ = static_cast<unsigned short>(std::stoi(log.substr(log.find(marker) + marker.size())));
}

std::vector<boost::json::value> export_lines(const std::filesystem::path& db) {
  auto r = run({COLLECTOR_BIN, "export", "--db", db.string()});
  if (r.exit_code != 0) throw std::runtime_error("telemetry-collector export failed: " + r.err);
  std::vector<boost::json::value> out;
  std::istringstream in(r.out);
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) out.push_back(boost::json::parse(line));
  return out;
}

std::vector<boost::json::value> collector_process::events() const {
  std::vector<boost::json::value> out;
  for (auto& line : export_lines(db_)) out.push_back(line.at("event"));
  return out;
}

posting_clients::posting_clients(std::vector<unsigned short> ports, int threads, unsigned first_uuid)
    : next_(first_uuid) {
  for (int t = 0; t < threads; ++t)
    threads_.emplace_back([this, port = ports[static_cast<std::size_t>(t) % ports.size()]] {
      while (!stop_) {
        const auto uuid = test_uuid(next_++);
        auto r = http_request(port, http::verb::post, "/", example_event(uuid), {}, 5s);
        if (r.status == 200) {
          std::lock_guard lock(mutex_);
          acknowledged_.insert(uuid);
        } else {
          ++refused_;
          if (r.status == 0) std::this_thread::sleep_for(20ms);  // nobody listening: do not spin
        }
      }
    });
}

std::set<std::string> posting_clients::acknowledged() const {
  std::lock_guard lock(mutex_);
  return acknowledged_;
}

bool posting_clients::wait_acknowledged(std::size_t n, std::chrono::milliseconds timeout) const {
  return wait_until(
      [&] {
        std::lock_guard lock(mutex_);
        return acknowledged_.size() >= n;
      },
      timeout);
}

void posting_clients::stop() {
  stop_ = true;
  for (auto& t : threads_)
    if (t.joinable()) t.join();
}

std::string read_until_closed(tcp::socket& s, std::chrono::milliseconds timeout) {
  timeval tv{static_cast<time_t>(timeout.count() / 1000), static_cast<suseconds_t>((timeout.count() % 1000) * 1000)};
  ::setsockopt(s.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  std::string out;
  char buf[4096];
  for (;;) {
    const auto n = ::recv(s.native_handle(), buf, sizeof buf, 0);
    if (n <= 0) break;
    out.append(buf, static_cast<std::size_t>(n));
  }
  return out;
}

std::string raw_exchange(unsigned short port, const std::string& request, std::chrono::milliseconds timeout) {
  asio::io_context ioc;
  tcp::socket s(ioc);
  boost::system::error_code ec;
  s.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port), ec);
  if (ec) return {};
  asio::write(s, asio::buffer(request), ec);
  return read_until_closed(s, timeout);
}

std::filesystem::path write_admin_token(const std::filesystem::path& dir) {
  const auto p = dir / "token";
  std::ofstream(p) << k_admin_token << "\n";
  std::filesystem::permissions(p, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  return p;
}

std::string days_ago(int n) { return utc_date(std::chrono::system_clock::now() - std::chrono::days(n)); }

std::string fresh_db(const std::string& engine, const std::filesystem::path& dir) {
  if (engine == "sqlite") return (dir / "collector.db").string();
  if (engine != "postgresql") throw std::invalid_argument("no such engine: " + engine);
  auto& cluster = pg_cluster::shared();
  return cluster.uri(cluster.create_database("collector"));
}

std::filesystem::path node_fixture::sub(const std::string& name) const {
  auto d = dir.path() / name;
  std::filesystem::create_directories(d);
  return d;
}

std::string metric_line(const collector_process& c, const std::string& name) {
  const auto body = http_request(c.port(), http::verb::get, "/metrics").body;
  const auto at = body.find("\n" + name + " ");
  return at == std::string::npos ? std::string() : body.substr(at + 1, body.find('\n', at + 1) - at - 1);
}

std::string stored_text(const std::string& db) {
  if (!db.starts_with("postgresql://")) return read_text(db);
  const std::string name = db.substr(db.rfind('/') + 1);
  // Each table's rows as JSON (column names included), every table in the
  // database's own schemas: whatever the engine stores, it is in here.
  return pg_cluster::shared()
      .query_value(name,
                   "SELECT coalesce(string_agg(query_to_xml(format('SELECT * FROM %I.%I', table_schema, table_name), "
                   "true, false, '')::text, ' '), '') FROM information_schema.tables "
                   "WHERE table_schema NOT IN ('pg_catalog', 'information_schema')")
      .value_or("");
}

simple_response http_request(unsigned short port, http::verb method, const std::string& target,
                             const std::string& body, const std::string& bearer, std::chrono::milliseconds timeout) {
  asio::io_context ioc;
  beast::tcp_stream stream(ioc);
  beast::flat_buffer buffer;
  http::request<http::string_body> req{method, target, 11};
  req.set(http::field::host, "127.0.0.1");
  if (!bearer.empty()) req.set(http::field::authorization, "Bearer " + bearer);
  if (!body.empty() || method == http::verb::post || method == http::verb::delete_) {
    req.set(http::field::content_type, "application/json");
    req.body() = body;
  }
  req.prepare_payload();
  http::response<http::string_body> res;
  simple_response out;
  stream.expires_after(timeout);
  stream.async_connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port), [&](beast::error_code ec) {
    if (ec) {
      out.error = "connect: " + ec.message();
      return;
    }
    http::async_write(stream, req, [&](beast::error_code ec, std::size_t) {
      if (ec) {
        out.error = "write: " + ec.message();
        return;
      }
      http::async_read(stream, buffer, res, [&](beast::error_code ec, std::size_t) {
        if (ec) {
          out.error = "read: " + ec.message();
          return;
        }
        out.status = res.result_int();
        out.body = res.body();
      });
    });
  });
  ioc.run();
  return out;
}

std::optional<int> collector_process::stop(std::chrono::milliseconds timeout) {
  proc_->signal(SIGTERM);
  return proc_->wait_exit(timeout);
}

bool collector_process::wait_for_events(std::size_t n, std::chrono::milliseconds timeout) const {
  return wait_until([&] { return events().size() >= n; }, timeout);
}

std::unique_ptr<collector_process> start_tls_collector(const std::filesystem::path& dir, const cert_files& cert,
                                                       const std::string& name) {
  const auto sub = dir / name;
  std::filesystem::create_directories(sub);
  return std::make_unique<collector_process>(
      sub, std::vector<std::string>{"--tls-cert", cert.cert.string(), "--tls-key", cert.key.string()});
}

std::string https_url(const collector_process& c, const std::string& host) {
  return "https://" + host + ":" + std::to_string(c.port()) + "/";
}

daemon_process::daemon_process(const std::vector<std::string>& argv, const env_changes& env,
                               const std::filesystem::path& dir)
    : out_(dir / "daemon.out"), err_(dir / "daemon.err") {
  proc_ = std::make_unique<child_process>(argv, env, out_, err_);
  // Generous: under the sanitizers, on two shared cores with the disk stalling, a start has taken
  // over 10 s (CI, 2026-11-22). Readiness is what is tested here, not start-up time (bench/ measures that).
  ready_ = wait_until([&] { return read_text(out_).find("Daemon is ready") != std::string::npos || !proc_->running(); },
                      30s) &&
           read_text(out_).find("Daemon is ready") != std::string::npos;
}

bool daemon_process::wait_log(std::string_view s, std::chrono::milliseconds timeout) const {
  return wait_until([&] { return log_has(s); }, timeout);
}

std::optional<int> daemon_process::stop(std::chrono::milliseconds timeout) {
  proc_->signal(SIGTERM);
  return proc_->wait_exit(timeout);
}

node::node(const std::filesystem::path& dir) : dir_(dir), repo_(dir / "repo") {
  auto r = cli({"init"});
  if (r.exit_code != 0) throw std::runtime_error("ipfs-stub init failed: " + r.err);
}

run_result node::cli(std::vector<std::string> args, env_changes env) const {
  std::vector<std::string> argv = {IPFS_STUB_BIN, "--repo-dir", repo_.string()};
  argv.insert(argv.end(), args.begin(), args.end());
  return run(argv, env);
}

void node::set(const std::string& key, const std::string& value) const {
  auto r = cli({"config", key, value});
  if (r.exit_code != 0) throw std::runtime_error("config " + key + " failed: " + r.err);
}

void node::set_json(const std::string& key, const std::string& json) const {
  auto r = cli({"config", "--json", key, json});
  if (r.exit_code != 0) throw std::runtime_error("config --json " + key + " failed: " + r.err);
}

void node::point_at(const std::string& endpoint, const std::string& delay) const {
  set("Plugins.Plugins.telemetry.Config.Endpoint", endpoint);
  set("Plugins.Plugins.telemetry.Config.Delay", delay);
}

std::unique_ptr<daemon_process> node::daemon(std::vector<std::string> args, env_changes env) {
  std::vector<std::string> argv = {IPFS_STUB_BIN, "--repo-dir", repo_.string(), "daemon"};
  argv.insert(argv.end(), args.begin(), args.end());
  auto dir = dir_ / ("daemon-" + std::to_string(++daemons_));
  std::filesystem::create_directories(dir);
  return std::make_unique<daemon_process>(argv, env, dir);
}

namespace {

struct recorded_connection : std::enable_shared_from_this<recorded_connection> {
  beast::tcp_stream stream;
  beast::flat_buffer buffer;
  http::request<http::string_body> req;
  http::response<http::string_body> res;
  explicit recorded_connection(tcp::socket s) : stream(std::move(s)) {}
};

}  // namespace

recording_server::recording_server(unsigned status, bool hang, bool silent)
    : acceptor_(ioc_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)),
      port_(acceptor_.local_endpoint().port()),
      status_(status),
      hang_(hang),
      silent_(silent) {
  do_accept();
  thread_ = std::thread([this] { ioc_.run(); });
}

recording_server::~recording_server() {
  ioc_.stop();
  thread_.join();
}

void recording_server::do_accept() {
  acceptor_.async_accept([this](beast::error_code ec, tcp::socket socket) {
    if (ec) return;
    auto c = std::make_shared<recorded_connection>(std::move(socket));
    {
      std::lock_guard lock(mutex_);
      ++accepted_;
      if (silent_) {
        held_.push_back(c);
        do_accept();
        return;
      }
    }
    http::async_read(c->stream, c->buffer, c->req, [this, c](beast::error_code ec, std::size_t) {
      if (ec) return;
      {
        std::lock_guard lock(mutex_);
        requests_.push_back(c->req);
        if (hang_) {
          held_.push_back(c);  // keep the connection open, never answer
          return;
        }
      }
      c->res.result(status_);
      c->res.version(11);
      c->res.keep_alive(false);
      c->res.body() = "{}";
      c->res.prepare_payload();
      http::async_write(c->stream, c->res, [c](beast::error_code, std::size_t) {
        beast::error_code ignored;
        c->stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
      });
    });
    do_accept();
  });
}

std::vector<http::request<http::string_body>> recording_server::requests() {
  std::lock_guard lock(mutex_);
  return requests_;
}

std::size_t recording_server::accepted() {
  std::lock_guard lock(mutex_);
  return accepted_;
}

std::size_t recording_server::count() {
  std::lock_guard lock(mutex_);
  return requests_.size();
}

tinyproxy_process::tinyproxy_process(const std::filesystem::path& dir, const std::string& extra_config)
    : out_(dir / "tinyproxy.log") {
  // The port is picked free and then bound by tinyproxy; retry on the rare race.
  for (int attempt = 0; attempt < 5; ++attempt) {
    port_ = closed_port();
    const auto conf = dir / "tinyproxy.conf";
    write_text(conf, "Port " + std::to_string(port_) +
                         "\nListen 127.0.0.1\nAllow 127.0.0.1\nTimeout 30\nMaxClients 20\nLogLevel Info\n" +
                         extra_config + "\n");
    proc_ = std::make_unique<child_process>(std::vector<std::string>{"/usr/bin/tinyproxy", "-d", "-c", conf.string()},
                                            env_changes{}, out_, dir / "tinyproxy.err");
    if (wait_until([&] { return log().find("Accepting connections") != std::string::npos || !proc_->running(); }, 10s) &&
        proc_->running())
      return;
  }
  throw std::runtime_error("tinyproxy did not start: " + log() + read_text(dir / "tinyproxy.err"));
}

std::size_t thread_count(pid_t pid) {
  std::size_t n = 0;
  std::error_code ec;
  for (std::filesystem::directory_iterator it("/proc/" + std::to_string(pid) + "/task", ec), end; !ec && it != end;
       it.increment(ec))
    ++n;
  return n;
}

unsigned short closed_port() {
  asio::io_context ioc;
  tcp::acceptor a(ioc, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  return a.local_endpoint().port();
}

}  // namespace test_support
