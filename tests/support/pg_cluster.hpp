#pragma once
// A throw-away PostgreSQL cluster for tests, from Debian's postgresql-15
// binaries (pg_config --bindir, else /usr/lib/postgresql/15/bin).
//
// initdb into a fresh directory, then postgres listening on 127.0.0.1 only,
// on a free port, with its unix socket in a directory of its own (never
// /var/run/postgresql). initdb and postgres refuse to run as root, and CI runs
// as root: then both run as an unprivileged user (`postgres` if the system has
// one, else `nobody`) through util-linux setpriv, in a directory that user
// owns under /tmp (a temp_dir under $TMPDIR may sit in a 0700 root directory
// the user cannot enter). As any other user they run as that user.
//
// Every wait has a deadline; the destructor stops the server (fast, then
// SIGKILL) and removes the directory. Authentication is `trust` on loopback:
// the cluster holds nothing but test data and dies with the test process.
//
// Thread safety: one thread drives a cluster (tests are sequential).

#include <libpq-fe.h>

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace test_support {

class pg_cluster {
 public:
  // initdb and start. Throws std::runtime_error with the tool's output on failure.
  pg_cluster();
  ~pg_cluster();
  pg_cluster(const pg_cluster&) = delete;
  pg_cluster& operator=(const pg_cluster&) = delete;

  // The cluster shared by every suite of this test process, started on first use.
  static pg_cluster& shared();
  // Whether the binaries are installed (tests skip with a message otherwise).
  static bool available();

  std::uint16_t port() const { return port_; }
  // postgresql://postgres@127.0.0.1:PORT/DBNAME
  std::string uri(const std::string& dbname) const;

  // A new empty database with a unique name (CREATE DATABASE from template1,
  // PG 15's WAL_LOG strategy). Measured: about 185 ms each on this machine
  // with fsync on (pg_store_tests prints it); a schema per test would be
  // cheaper, but advisory locks are per database, and the tests of the
  // maintenance lock need databases apart. Returns its name.
  std::string create_database(const std::string& prefix = "t");

  // Runs SQL on `dbname` (several statements allowed); throws with the server's message.
  void exec(const std::string& dbname, const std::string& sql);
  // The first column of the first row of a query, nullopt for NULL or no row.
  std::optional<std::string> query_value(const std::string& dbname, const std::string& sql);

  // pg_ctl stop -m fast (connections are cut at once), bounded; then start()
  // brings the same cluster back on the same port.
  void stop();
  void start();
  bool running() const { return running_; }

 private:
  // argv run as the cluster's user; throws with its output unless it exits 0.
  void run_as_owner(const std::vector<std::string>& argv, std::chrono::milliseconds timeout);

  std::filesystem::path bindir_;
  std::filesystem::path root_;  // owned by the cluster's user; data/, sock/, log
  bool drop_privileges_ = false;
  uid_t uid_ = 0;
  gid_t gid_ = 0;
  std::uint16_t port_ = 0;
  bool running_ = false;
  unsigned databases_ = 0;
};

}  // namespace test_support
