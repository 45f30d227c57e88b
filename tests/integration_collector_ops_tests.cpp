// The collector as an operator runs it, end to end with the real binary:
// --help, --version and unknown options on every command; the build_info
// metric; the log's line format (text and JSON), --log-file and its reopening
// on SIGHUP (logrotate); the TLS certificate reloaded on SIGHUP; --config
// files (docs/collector.conf.example among them) and their errors.
#include "support/integration.hpp"
#include "support/test_pki.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <boost/json/parse.hpp>
#include <boost/test/unit_test.hpp>

#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <fcntl.h>
#include <sys/stat.h>

#include <csignal>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

using namespace test_support;
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace json = boost::json;
using tcp = asio::ip::tcp;

namespace {

const std::vector<std::string> k_commands{"serve", "export", "import", "cleanup", "settings", "backup"};

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) out.push_back(line);
  return out;
}

std::size_t occurrences(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + what.size())) ++n;
  return n;
}

const std::regex k_time(R"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z)");
const std::regex k_text_line(R"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z (info|warning|error) \S.*)");

std::filesystem::path source_dir() { return std::filesystem::path(TELEMETRY_SCHEMA_DIR).parent_path(); }

// A TLS connection to 127.0.0.1:port, every step bounded by 5 s. It does not
// verify the server: the tests look at which certificate is served.
class tls_client {
 public:
  explicit tls_client(unsigned short port) : tls_(asio::ssl::context::tls_client), stream_(ioc_, tls_) {
    tls_.set_verify_mode(asio::ssl::verify_none);
    auto& tcp_layer = beast::get_lowest_layer(stream_);
    tcp_layer.expires_after(std::chrono::seconds(5));
    tcp_layer.async_connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port),
                            [this](beast::error_code ec) { ec_ = ec; });
    run();
    if (ec_) return;
    tcp_layer.expires_after(std::chrono::seconds(5));
    stream_.async_handshake(asio::ssl::stream_base::client, [this](beast::error_code ec) { ec_ = ec; });
    run();
  }

  bool connected() const { return !ec_; }
  std::string error() const { return ec_.message(); }

  // The subject CN of the certificate the server presented ("" if none).
  std::string peer_cn() {
    X509* cert = SSL_get1_peer_certificate(stream_.native_handle());
    if (!cert) return {};
    char cn[256] = {};
    X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, cn, sizeof cn);
    X509_free(cert);
    return cn;
  }

  // GET target on this (keep-alive) connection: the status, 0 on failure.
  unsigned get(const std::string& target) {
    http::request<http::empty_body> req{http::verb::get, target, 11};
    req.set(http::field::host, "127.0.0.1");
    http::response<http::string_body> res;
    beast::flat_buffer buffer;
    beast::get_lowest_layer(stream_).expires_after(std::chrono::seconds(5));
    http::async_write(stream_, req, [this](beast::error_code ec, std::size_t) { ec_ = ec; });
    run();
    if (ec_) return 0;
    http::async_read(stream_, buffer, res, [this](beast::error_code ec, std::size_t) { ec_ = ec; });
    run();
    return ec_ ? 0 : res.result_int();
  }

 private:
  void run() {
    ioc_.restart();
    ioc_.run();
  }

  asio::io_context ioc_;
  asio::ssl::context tls_;
  beast::ssl_stream<beast::tcp_stream> stream_;
  beast::error_code ec_;
};

// The serve options `serve --help` lists ("--listen", ...), --config and --help aside.
std::set<std::string> serve_options_in_help() {
  const auto r = run({COLLECTOR_BIN, "serve", "--help"});
  std::set<std::string> names;
  const std::regex option(R"(^\s+(?:-h, )?--([a-z-]+))");
  for (const auto& line : lines_of(r.out)) {
    std::smatch m;
    if (std::regex_search(line, m, option)) names.insert(m[1]);
  }
  names.erase("config");
  names.erase("help");
  return names;
}

// Writes `text` to p; returns p.
std::filesystem::path write_config(const std::filesystem::path& p, const std::string& text) {
  std::ofstream(p) << text;
  return p;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(integration_collector_ops_tests)

BOOST_AUTO_TEST_CASE(help_and_version_for_the_program_and_every_command) {
  for (const std::string flag : {"--help", "-h"}) {
    const auto r = run({COLLECTOR_BIN, flag});
    BOOST_TEST(r.exit_code == 0, flag << ": " << r.err);
    BOOST_TEST(r.out.starts_with("USAGE\n"), r.out);
    for (const auto& cmd : k_commands)
      BOOST_TEST(r.out.find("telemetry-collector " + cmd + " ") != std::string::npos, cmd << " missing from\n" << r.out);
    BOOST_TEST(r.err.empty(), r.err);
  }
  for (const auto& cmd : k_commands) {
    for (const std::string flag : {"--help", "-h"}) {
      // Help is answered before the required options are missed.
      const auto r = run({COLLECTOR_BIN, cmd, flag});
      BOOST_TEST(r.exit_code == 0, cmd << " " << flag << ": " << r.err);
      BOOST_TEST(r.out.starts_with("USAGE\n  telemetry-collector " + cmd + " --"), cmd << ":\n" << r.out);
      BOOST_TEST(r.out.find("  --db ") != std::string::npos, cmd << ":\n" << r.out);
      BOOST_TEST(r.out.find("-h, --help") != std::string::npos, cmd << ":\n" << r.out);
      BOOST_TEST(r.err.empty(), cmd << ": " << r.err);
    }
  }
  // Help wins over everything else on the line.
  const auto r = run({COLLECTOR_BIN, "serve", "--listen", "nonsense", "--help"});
  BOOST_TEST(r.exit_code == 0, r.err);
  const auto version = run({COLLECTOR_BIN, "--version"});
  BOOST_TEST(version.exit_code == 0);
  BOOST_TEST(version.out == std::string("telemetry-collector ") + COLLECTOR_VERSION + "\n");
}

BOOST_AUTO_TEST_CASE(an_unknown_option_names_itself_and_the_command) {
  for (const auto& cmd : k_commands) {
    const auto r = run({COLLECTOR_BIN, cmd, "--db", "x.db", "--frobnicate"});
    BOOST_TEST(r.exit_code == 2, cmd << ": " << r.err);
    const std::string expected = "telemetry-collector " + cmd + ": unknown option --frobnicate (see telemetry-collector " +
                                 cmd + " --help)\n";
    BOOST_TEST(r.err == expected, cmd << ": " << r.err);
    BOOST_TEST(r.out.empty());
  }
  auto r = run({COLLECTOR_BIN, "--frobnicate"});
  BOOST_TEST(r.exit_code == 2);
  BOOST_TEST(r.err == "telemetry-collector: unknown option --frobnicate (see telemetry-collector --help)\n", r.err);
  // Long options are never guessed from a prefix: "--lis" is not "--listen".
  r = run({COLLECTOR_BIN, "serve", "--lis", "127.0.0.1:0", "--db", "x.db"});
  BOOST_TEST(r.exit_code == 2);
  BOOST_TEST(r.err.find("serve: unknown option --lis ") != std::string::npos, r.err);
  r = run({COLLECTOR_BIN, "frobnicate"});
  BOOST_TEST(r.exit_code == 2);
  BOOST_TEST(r.err.find("unknown command \"frobnicate\" (see telemetry-collector --help)") != std::string::npos, r.err);
}

BOOST_AUTO_TEST_CASE(metrics_carry_the_build_version) {
  temp_dir dir;
  collector_process c(dir.path());
  const auto r = http_request(c.port(), http::verb::get, "/metrics");
  BOOST_TEST(r.status == 200u);
  BOOST_TEST(r.body.find("# HELP telemetry_collector_build_info ") != std::string::npos, r.body);
  BOOST_TEST(r.body.find("# TYPE telemetry_collector_build_info gauge\n") != std::string::npos, r.body);
  BOOST_TEST(r.body.find(std::string("\ntelemetry_collector_build_info{version=\"") + COLLECTOR_VERSION + "\"} 1\n") !=
                 std::string::npos,
             r.body);
  BOOST_TEST(c.stop() == 0);
}

BOOST_AUTO_TEST_CASE(text_log_lines_carry_a_utc_time_and_a_level) {
  temp_dir dir;
  collector_process c(dir.path());
  BOOST_TEST(c.stop() == 0);
  const auto lines = lines_of(c.log());
  BOOST_REQUIRE(lines.size() >= 2u);
  for (const auto& line : lines) BOOST_TEST(std::regex_match(line, k_text_line), line);
  BOOST_TEST(std::regex_search(lines.front(), std::regex(R"(^\S+Z info listening on 127\.0\.0\.1:\d+ \(http\))")),
             lines.front());
  BOOST_TEST(std::regex_search(lines.back(), std::regex(R"(^\S+Z info stopped; 0 events accepted)")), lines.back());
  // The day in the time is today's (UTC): the clock is not local time.
  const auto now = std::chrono::system_clock::now();
  const auto day = lines.back().substr(0, 10);
  BOOST_TEST((day == utc_date(now) || day == utc_date(now - std::chrono::minutes(1))), day);
  // Failures are errors: a refused import.
  write_config(dir.path() / "bad.ndjson", "{\"no\": \"event\"}\n");
  const auto r = run({COLLECTOR_BIN, "import", "--db", (dir.path() / "i.db").string(), (dir.path() / "bad.ndjson").string()});
  BOOST_TEST(r.exit_code == 1);
  const auto err = lines_of(r.err);
  BOOST_REQUIRE(!err.empty());
  for (const auto& line : err) BOOST_TEST(std::regex_match(line, k_text_line), line);
  BOOST_TEST(std::regex_search(err.back(), std::regex(R"(^\S+Z error import refused: 1 bad line)")), err.back());
}

BOOST_AUTO_TEST_CASE(json_log_lines_are_objects_of_time_level_and_message) {
  temp_dir dir;
  // A path with quotes and a backslash: the message must be escaped for JSON.
  const auto db = dir.path() / "a \"quoted\" \\ name.db";
  collector_process c(dir.path(), {"--db", db.string(), "--log-format", "json"});
  BOOST_TEST(c.stop() == 0);
  const auto lines = lines_of(c.log());
  BOOST_REQUIRE(lines.size() >= 2u);
  bool listening = false;
  for (const auto& line : lines) {
    boost::system::error_code ec;
    const auto v = json::parse(line, ec);
    BOOST_TEST_REQUIRE(!ec, line);
    BOOST_TEST_REQUIRE(v.is_object(), line);
    const auto& o = v.as_object();
    BOOST_TEST(o.size() == 3u, line);
    BOOST_TEST_REQUIRE((o.contains("time") && o.contains("level") && o.contains("message")), line);
    BOOST_TEST(std::regex_match(std::string(o.at("time").as_string()), k_time), line);
    const std::string level(o.at("level").as_string());
    BOOST_TEST((level == "info" || level == "warning" || level == "error"), line);
    const std::string message(o.at("message").as_string());
    if (message.starts_with("listening on 127.0.0.1:")) {
      listening = true;
      BOOST_TEST(message.find(db.string()) != std::string::npos, message);
    }
  }
  BOOST_TEST(listening, c.log());
  const auto r = run({COLLECTOR_BIN, "serve", "--listen", "127.0.0.1:0", "--db", (dir.path() / "x.db").string(),
                      "--log-format", "yaml"});
  BOOST_TEST(r.exit_code == 2);
  BOOST_TEST(r.err.find("--log-format \"yaml\": expected text or json") != std::string::npos, r.err);
}

BOOST_AUTO_TEST_CASE(log_file_is_reopened_on_sighup_after_logrotate_moved_it) {
  temp_dir dir;
  const auto log = dir.path() / "collector.log";
  const auto rotated = dir.path() / "collector.log.1";
  collector_process c(dir.path(), {"--log-file", log.string()});
  struct stat st {};
  BOOST_REQUIRE(::stat(log.c_str(), &st) == 0);
  BOOST_TEST((st.st_mode & 0777) == 0640u);
  BOOST_TEST(c.err().empty(), c.err());  // nothing on stderr: it all goes to the file
  // Appending, and not inherited by a child: the flags of the descriptor open on the file.
  bool found = false;
  const auto fds = "/proc/" + std::to_string(c.process().pid()) + "/fd";
  for (const auto& e : std::filesystem::directory_iterator(fds)) {
    std::error_code ec;
    if (std::filesystem::read_symlink(e.path(), ec) != log) continue;
    found = true;
    const auto info = read_text("/proc/" + std::to_string(c.process().pid()) + "/fdinfo/" + e.path().filename().string());
    const auto flags = std::stoul(info.substr(info.find("flags:") + 6), nullptr, 8);
    BOOST_TEST((flags & O_APPEND) != 0u, info);
    BOOST_TEST((flags & O_CLOEXEC) != 0u, info);
  }
  BOOST_TEST(found);

  std::filesystem::rename(log, rotated);
  c.process().signal(SIGHUP);
  BOOST_TEST(wait_until([&] { return read_text(log).find("SIGHUP: reopened the log file " + log.string()) != std::string::npos; }, 5s),
             read_text(rotated) << read_text(log));
  BOOST_TEST(http_request(c.port(), http::verb::get, "/healthz").status == 200u);  // still serving
  BOOST_TEST(c.stop() == 0);
  const auto old_text = read_text(rotated), new_text = read_text(log);
  BOOST_TEST(old_text.find("listening on 127.0.0.1:") != std::string::npos, old_text);
  BOOST_TEST(old_text.find("SIGHUP") == std::string::npos, old_text);
  BOOST_TEST(new_text.find("stopped; 0 events accepted") != std::string::npos, new_text);
  for (const auto& line : lines_of(new_text)) BOOST_TEST(std::regex_match(line, k_text_line), line);
}

BOOST_AUTO_TEST_CASE(sighup_never_stops_the_collector) {
  temp_dir dir;
  collector_process c(dir.path());
  for (int i = 0; i < 3; ++i) {
    c.process().signal(SIGHUP);
    BOOST_TEST(wait_until([&] { return occurrences(c.log(), "SIGHUP: nothing to reload") == std::size_t(i + 1); }, 5s),
               c.log());
  }
  BOOST_TEST(c.process().running());
  BOOST_TEST(http_request(c.port(), http::verb::get, "/healthz").status == 200u);
  BOOST_TEST(c.stop() == 0);
}

BOOST_AUTO_TEST_CASE(sighup_reloads_the_tls_certificate_for_new_connections) {
  temp_dir dir;
  test_pki pki(dir.path() / "pki");
  const auto a = pki.issue({"cert-a", {"localhost"}, {"127.0.0.1"}});
  const auto b = pki.issue({"cert-b", {"localhost"}, {"127.0.0.1"}});
  const cert_files served{dir.path() / "served.pem", dir.path() / "served.key"};
  const auto install = [&](const cert_files& from) {
    std::filesystem::copy_file(from.cert, served.cert, std::filesystem::copy_options::overwrite_existing);
    std::filesystem::copy_file(from.key, served.key, std::filesystem::copy_options::overwrite_existing);
  };
  install(a);
  collector_process c(dir.path(), {"--tls-cert", served.cert.string(), "--tls-key", served.key.string()});
  tls_client before(c.port());
  BOOST_REQUIRE_MESSAGE(before.connected(), before.error());
  BOOST_TEST(before.peer_cn() == "cert-a");
  BOOST_TEST(before.get("/healthz") == 200u);

  install(b);
  BOOST_TEST(tls_client(c.port()).peer_cn() == "cert-a");  // nothing changes before the signal
  c.process().signal(SIGHUP);
  BOOST_TEST(wait_until([&] { return c.log().find("SIGHUP: reloaded the TLS certificate " + served.cert.string()) != std::string::npos; }, 5s),
             c.log());
  tls_client after(c.port());
  BOOST_REQUIRE_MESSAGE(after.connected(), after.error());
  BOOST_TEST(after.peer_cn() == "cert-b");
  BOOST_TEST(after.get("/healthz") == 200u);
  // The connection made before the reload goes on with its own.
  BOOST_TEST(before.get("/healthz") == 200u);
  BOOST_TEST(before.peer_cn() == "cert-a");

  // A key file that cannot be used: logged as an error naming it, and the
  // certificate in use stays.
  write_config(served.key, "-----BEGIN PRIVATE KEY-----\nbroken\n-----END PRIVATE KEY-----\n");
  c.process().signal(SIGHUP);
  BOOST_TEST(wait_until([&] { return c.log().find("keeping the certificate loaded before") != std::string::npos; }, 5s),
             c.log());
  BOOST_TEST(std::regex_search(c.log(), std::regex(R"(Z error SIGHUP: cannot load the TLS private key )" +
                                                   std::regex_replace(served.key.string(), std::regex(R"([.^$|()\[\]{}*+?\\])"), R"(\$&)"))),
             c.log());
  // Another key (a's) with b's certificate: refused too.
  std::filesystem::copy_file(a.key, served.key, std::filesystem::copy_options::overwrite_existing);
  c.process().signal(SIGHUP);
  BOOST_TEST(wait_until([&] { return occurrences(c.log(), "keeping the certificate loaded before") == 2u; }, 5s), c.log());
  BOOST_TEST(c.process().running());
  tls_client still(c.port());
  BOOST_REQUIRE_MESSAGE(still.connected(), still.error());
  BOOST_TEST(still.peer_cn() == "cert-b");
  BOOST_TEST(still.get("/healthz") == 200u);
  BOOST_TEST(occurrences(c.log(), "SIGHUP: reloaded the TLS certificate") == 1u, c.log());
  BOOST_TEST(c.stop() == 0);
}

BOOST_AUTO_TEST_CASE(a_config_file_sets_serve_options_and_the_command_line_wins) {
  temp_dir dir;
  const auto unused_db = dir.path() / "from-the-file.db";
  const auto conf = write_config(dir.path() / "collector.conf",
                                 "# a comment\n"
                                 "listen = 127.0.0.1:1\n"  // the command line's --listen 127.0.0.1:0 wins
                                 "db = " + unused_db.string() + "\n"
                                 "retention-days = 12\n"
                                 "collection = off\n"  // collector_process's --collection on wins
                                 "max-connections-per-peer = 3   # a comment after a value\n"
                                 "retire = true\n"
                                 "private-stats = false\n"
                                 "log-format = json\n");
  collector_process c(dir.path(), {"--config", conf.string(), "--retention-days", "7"});
  const auto log = c.log();
  BOOST_TEST(log.find("raw events kept 7 days") != std::string::npos, log);  // the command line's
  BOOST_TEST(log.find("collection on,") != std::string::npos, log);
  BOOST_TEST(log.find("(3 per peer)") != std::string::npos, log);           // the file's
  BOOST_TEST(log.find("retire mode: answering 410") != std::string::npos, log);
  BOOST_TEST(log.find(c.db().string()) != std::string::npos, log);
  BOOST_TEST(!std::filesystem::exists(unused_db));
  BOOST_TEST(json::parse(lines_of(log).front()).as_object().contains("message"), log);  // log-format from the file
  BOOST_TEST(c.stop() == 0);
  // A flag set in the file is turned off on the command line with =false.
  std::filesystem::create_directories(dir.path() / "off");
  collector_process off(dir.path() / "off", {"--config", conf.string(), "--retire=false"});
  BOOST_TEST(off.log().find("retire mode") == std::string::npos, off.log());
  BOOST_TEST(off.stop() == 0);
}

BOOST_AUTO_TEST_CASE(the_example_config_file_runs_and_lists_every_serve_option) {
  temp_dir dir;
  const auto example = source_dir() / "docs" / "collector.conf.example";
  const auto text = read_text(example);
  BOOST_REQUIRE_MESSAGE(!text.empty(), example);
  // Every option of `serve --help` is in the example (set or commented out), and nothing else.
  std::set<std::string> keys;
  const std::regex key(R"(^#?\s*([a-z][a-z-]*)\s*=)");
  for (const auto& line : lines_of(text)) {
    std::smatch m;
    if (std::regex_search(line, m, key)) keys.insert(m[1]);
  }
  const auto options = serve_options_in_help();
  BOOST_TEST(options.size() >= 15u);
  BOOST_TEST(keys == options, "example: " << keys.size() << " keys, help: " << options.size() << " options");
  // It runs as it is, with where to listen and the database given on the command line.
  const auto copy = dir.path() / "collector.conf";
  std::filesystem::copy_file(example, copy);
  collector_process c(dir.path(), {"--config", copy.string()});
  BOOST_TEST(http_request(c.port(), http::verb::get, "/healthz").status == 200u);
  BOOST_TEST(c.stop() == 0);
}

BOOST_AUTO_TEST_CASE(config_file_errors_name_the_file_and_the_key) {
  temp_dir dir;
  const auto db = (dir.path() / "x.db").string();
  const auto serve_with = [&](const std::string& text) {
    const auto conf = write_config(dir.path() / "bad.conf", text);
    return run({COLLECTOR_BIN, "serve", "--listen", "127.0.0.1:0", "--db", db, "--config", conf.string()});
  };
  const std::string conf = (dir.path() / "bad.conf").string();
  auto r = serve_with("retention-days = 30\nfrobnicate = 1\n");
  BOOST_TEST(r.exit_code == 2, r.err);
  BOOST_TEST(r.err.find("--config " + conf + ": unknown key \"frobnicate\"") != std::string::npos, r.err);
  r = serve_with("config = other.conf\n");  // --config is for the command line only
  BOOST_TEST(r.exit_code == 2, r.err);
  BOOST_TEST(r.err.find("unknown key \"config\"") != std::string::npos, r.err);
  r = serve_with("retire = perhaps\n");
  BOOST_TEST(r.exit_code == 2, r.err);
  BOOST_TEST(r.err.find("--config " + conf + ": ") != std::string::npos, r.err);
  BOOST_TEST(r.err.find("perhaps") != std::string::npos, r.err);
  r = serve_with("retention-days = 1000\n");  // checked as the command line's value is
  BOOST_TEST(r.exit_code == 2, r.err);
  BOOST_TEST(r.err.find("--retention-days \"1000\": expected a whole number of days from 1 to 730") != std::string::npos, r.err);
  r = run({COLLECTOR_BIN, "serve", "--config", (dir.path() / "missing.conf").string()});
  BOOST_TEST(r.exit_code == 2, r.err);
  BOOST_TEST(r.err.find("missing.conf: cannot read the file") != std::string::npos, r.err);
  BOOST_TEST(!std::filesystem::exists(db));
}

BOOST_AUTO_TEST_SUITE_END()
