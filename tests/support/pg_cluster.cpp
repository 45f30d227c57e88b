#include "pg_cluster.hpp"

#include "test_support.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <stdexcept>

namespace test_support {

namespace {

std::filesystem::path find_bindir() {
  // pg_config (from libpq-dev) names the bindir of the newest server it knows;
  // the Debian path is tried first so the version is the one the tests expect.
  for (const char* p : {"/usr/lib/postgresql/15/bin"})
    if (std::filesystem::exists(std::filesystem::path(p) / "initdb")) return p;
  for (const char* c : {"/usr/bin/pg_config", "/usr/lib/postgresql/15/bin/pg_config"}) {
    if (!std::filesystem::exists(c)) continue;
    auto r = run({c, "--bindir"}, {}, std::chrono::seconds(5));
    std::string dir = r.out.substr(0, r.out.find('\n'));
    if (r.exit_code == 0 && std::filesystem::exists(std::filesystem::path(dir) / "initdb")) return dir;
  }
  return {};
}

std::uint16_t free_loopback_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) throw std::runtime_error("pg_cluster: socket: " + std::string(std::strerror(errno)));
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
    ::close(fd);
    throw std::runtime_error("pg_cluster: cannot find a free port on 127.0.0.1");
  }
  ::close(fd);
  return ntohs(a.sin_port);
}

struct pg_conn_closer {
  void operator()(PGconn* c) const { PQfinish(c); }
};
struct pg_result_clearer {
  void operator()(PGresult* r) const { PQclear(r); }
};

}  // namespace

bool pg_cluster::available() { return !find_bindir().empty(); }

pg_cluster& pg_cluster::shared() {
  static pg_cluster cluster;  // stopped at exit by its destructor
  return cluster;
}

pg_cluster::pg_cluster() : bindir_(find_bindir()) {
  if (bindir_.empty()) throw std::runtime_error("pg_cluster: no PostgreSQL server binaries (install postgresql-15)");
  if (::geteuid() == 0) {
    // initdb: "cannot be run as root". The postgres system user when the
    // package made one, else nobody: both own nothing we care about.
    const passwd* pw = ::getpwnam("postgres");
    if (!pw) pw = ::getpwnam("nobody");
    if (!pw) throw std::runtime_error("pg_cluster: running as root and no user postgres or nobody to run PostgreSQL as");
    drop_privileges_ = true;
    uid_ = pw->pw_uid;
    gid_ = pw->pw_gid;
  }
  // /tmp itself (1777), not $TMPDIR: the server's user must reach the directory.
  std::string tmpl = drop_privileges_ ? "/tmp/pg-cluster-test-XXXXXX"
                                      : (std::filesystem::temp_directory_path() / "pg-cluster-test-XXXXXX").string();
  std::vector<char> buf(tmpl.begin(), tmpl.end());
  buf.push_back('\0');
  if (!::mkdtemp(buf.data())) throw std::runtime_error("pg_cluster: mkdtemp: " + std::string(std::strerror(errno)));
  root_ = buf.data();
  std::filesystem::create_directory(root_ / "sock");
  if (drop_privileges_) {
    for (const auto& p : {root_, root_ / "sock"})
      if (::chown(p.c_str(), uid_, gid_) != 0) {
        std::filesystem::remove_all(root_);
        throw std::runtime_error("pg_cluster: chown " + p.string() + ": " + std::strerror(errno));
      }
  }
  try {
    // --no-sync: nothing here has to survive a power cut; the server itself
    // keeps fsync on, so the engine under test sees a durable configuration.
    run_as_owner({(bindir_ / "initdb").string(), "-D", (root_ / "data").string(), "-U", "postgres", "-A", "trust",
                  "-E", "UTF8", "--locale=C", "--no-sync", "--no-instructions"},
                 std::chrono::seconds(60));
    port_ = free_loopback_port();
    std::ofstream conf(root_ / "data" / "postgresql.conf", std::ios::app);
    conf << "\n# pg_cluster (tests)\nlisten_addresses = '127.0.0.1'\nport = " << port_
         << "\nunix_socket_directories = '" << (root_ / "sock").string()
         << "'\nmax_connections = 200\nshared_buffers = 32MB\nlog_min_messages = warning\n";
    conf.close();
    start();
  } catch (...) {
    std::error_code ec;
    std::filesystem::remove_all(root_, ec);
    throw;
  }
}

pg_cluster::~pg_cluster() {
  if (running_) {
    try {
      stop();
    } catch (const std::exception&) {
      // Last resort: the postmaster's pid is the first line of postmaster.pid.
      std::ifstream pidfile(root_ / "data" / "postmaster.pid");
      pid_t pid = 0;
      if (pidfile >> pid && pid > 0) ::kill(pid, SIGKILL);
    }
  }
  std::error_code ec;
  std::filesystem::remove_all(root_, ec);
}

void pg_cluster::run_as_owner(const std::vector<std::string>& argv, std::chrono::milliseconds timeout) {
  std::vector<std::string> full;
  if (drop_privileges_) {
    full = {"/usr/bin/setpriv", "--reuid=" + std::to_string(uid_), "--regid=" + std::to_string(gid_),
            "--init-groups", "--"};
  }
  full.insert(full.end(), argv.begin(), argv.end());
  // A C locale and no PG* variables from the caller's environment.
  const env_changes env = {{"LC_ALL", "C"},       {"LANG", "C"},           {"PGDATA", std::nullopt},
                           {"PGHOST", std::nullopt}, {"PGPORT", std::nullopt}, {"PGUSER", std::nullopt}};
  auto r = run(full, env, timeout);
  if (r.exit_code != 0) {
    throw std::runtime_error("pg_cluster: " + argv.at(0) + " exited " + std::to_string(r.exit_code) + ": " + r.out +
                             r.err + read_text(root_ / "log"));
  }
}

void pg_cluster::start() {
  // pg_ctl -w waits (at most -t seconds) until the server accepts connections.
  run_as_owner({(bindir_ / "pg_ctl").string(), "-D", (root_ / "data").string(), "-l", (root_ / "log").string(), "-w",
                "-t", "30", "start"},
               std::chrono::seconds(40));
  running_ = true;
}

void pg_cluster::stop() {
  run_as_owner({(bindir_ / "pg_ctl").string(), "-D", (root_ / "data").string(), "-m", "fast", "-w", "-t", "20", "stop"},
               std::chrono::seconds(30));
  running_ = false;
}

std::string pg_cluster::uri(const std::string& dbname) const {
  return "postgresql://postgres@127.0.0.1:" + std::to_string(port_) + "/" + dbname;
}

std::string pg_cluster::create_database(const std::string& prefix) {
  const std::string name = prefix + "_" + std::to_string(++databases_);
  exec("postgres", "CREATE DATABASE " + name);
  return name;
}

void pg_cluster::exec(const std::string& dbname, const std::string& sql) {
  std::unique_ptr<PGconn, pg_conn_closer> c(PQconnectdb((uri(dbname) + "?connect_timeout=5").c_str()));
  if (PQstatus(c.get()) != CONNECTION_OK)
    throw std::runtime_error("pg_cluster: connect " + dbname + ": " + PQerrorMessage(c.get()));
  std::unique_ptr<PGresult, pg_result_clearer> r(PQexec(c.get(), sql.c_str()));
  const auto st = PQresultStatus(r.get());
  if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
    throw std::runtime_error("pg_cluster: " + sql + ": " + PQerrorMessage(c.get()));
}

std::optional<std::string> pg_cluster::query_value(const std::string& dbname, const std::string& sql) {
  std::unique_ptr<PGconn, pg_conn_closer> c(PQconnectdb((uri(dbname) + "?connect_timeout=5").c_str()));
  if (PQstatus(c.get()) != CONNECTION_OK)
    throw std::runtime_error("pg_cluster: connect " + dbname + ": " + PQerrorMessage(c.get()));
  std::unique_ptr<PGresult, pg_result_clearer> r(PQexec(c.get(), sql.c_str()));
  if (PQresultStatus(r.get()) != PGRES_TUPLES_OK)
    throw std::runtime_error("pg_cluster: " + sql + ": " + PQerrorMessage(c.get()));
  if (PQntuples(r.get()) == 0 || PQgetisnull(r.get(), 0, 0)) return std::nullopt;
  return std::string(PQgetvalue(r.get(), 0, 0));
}

}  // namespace test_support
