// telemetry-collector: receives telemetry events, validates them against
// schemas/log_event.schema.json, stores them (SQLite or PostgreSQL), keeps
// raw events only as long as allowed, erases on request, and serves
// aggregates.

#include "log.hpp"
#include "maintenance_runner.hpp"
#include "ndjson.hpp"
#include "retention.hpp"
#include "schema_validator.hpp"
#include "server.hpp"
#include "settings.hpp"
#include "sqlite_backup.hpp"
#include "storage.hpp"
#include "version.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/program_options.hpp>

#include <sys/resource.h>
#include <sys/stat.h>

#include <csignal>
#include <fstream>
#include <functional>
#include <iostream>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <pthread.h>

namespace asio = boost::asio;
namespace po = boost::program_options;
using namespace telemetry_collector;

namespace {

constexpr const char* k_program = "telemetry-collector";

constexpr const char* k_usage = R"(USAGE
  telemetry-collector serve --listen ADDR:PORT --db DB [options]
  telemetry-collector serve --config FILE [options]
  telemetry-collector export --db DB
  telemetry-collector import --db DB FILE
  telemetry-collector cleanup --db DB [--retention-days N]
  telemetry-collector settings --db DB [--collection on|off] [--retention-days N]
  telemetry-collector backup --db PATH DEST
  telemetry-collector COMMAND --help     that command's options
  telemetry-collector --version

serve     receives events, serves the API, the dashboard and /metrics
export    writes every raw event as NDJSON to stdout
import    reads that NDJSON into a database, all of it or nothing
cleanup   one aggregation and retention pass now
settings  prints the settings (collection on/off, retention days) as JSON, after
          saving the changes given
backup    a consistent copy of a SQLite database, taken while the collector runs

DB is a SQLite file path (created 0600 if missing, by serve, import and a
settings change), or a
PostgreSQL connection URI, postgresql://USER@HOST:PORT/DBNAME (also
postgres://); its password comes from the URI, PGPASSFILE or PGPASSWORD, as
libpq reads them, and is never logged.

Log lines (stderr, or serve's --log-file) are "TIME LEVEL MESSAGE": an RFC 3339
UTC time with milliseconds, info, warning or error, and the message.
Exit codes: 0 done, 1 failed, 2 a usage error (the message names the option).
)";

constexpr const char* k_serve_usage = R"(USAGE
  telemetry-collector serve --listen ADDR:PORT --db DB [options]
  telemetry-collector serve --config FILE [options]

Receives events (POST /), serves the API, the dashboard and /metrics.

options:
  --config FILE             read the options below from FILE: one "key = value" a line, the key
                            being the option's name without "--" (private-stats = true), "#"
                            starts a comment; an option also given on the command line takes
                            the command line's value. Example: docs/collector.conf.example
  --listen ADDR:PORT        where to listen, e.g. 127.0.0.1:9099 or [::1]:9099 (port 0: any free port)
  --db DB                   the database: a SQLite path or a PostgreSQL URI (telemetry-collector --help)
  --collection on|off       set and save the Enable Telemetry setting (a new database: off)
  --retention-days N        set and save the Storage Duration: keep raw events N whole UTC
                            days, 1-730 (a new database: 90)
                            (without these two, the settings saved in the database apply)
  --admin-token-file F      enables the admin API (GET /v1/export, DELETE /v1/nodes/UUID)
                            for "Authorization: Bearer <first line of F>"
  --private-stats           /v1/stats and /metrics need the admin token too
  --retire                  answer every POST / (an event) with 410 Gone, which retires the
                            nodes that send; erasure and access keep working
  --strict-schema           refuse (400) an event with a key no payload shape has; by default
                            such keys are dropped, the event kept, each new key logged once
  --tls-cert PEM            serve HTTPS with this certificate chain (leaf first) ...
  --tls-key PEM             ... and this private key
  --threads N               I/O threads (default: one per core)
  --idle-timeout SECONDS    a request must arrive within this (default 30)
  --aggregate-every SECONDS refresh today's aggregates this often (default 60)
  --max-connections-per-peer N
                            connections from one address at most (default: no limit)
  --log-file PATH           append the log to PATH (created 0640) instead of writing it to stderr
  --log-format text|json    text (default): "TIME LEVEL MESSAGE" lines; json: one object a line,
                            {"time": ..., "level": ..., "message": ...}
  -h, --help                this text

The address actually bound is logged as "listening on ADDR:PORT".
Signals: SIGTERM, SIGINT: finish the requests in flight (at most 10 s) and
exit; a second one exits at once. SIGHUP: reopen --log-file (after logrotate
moved it) and reload --tls-cert and --tls-key for new connections; a file
that cannot be loaded is logged and the previous certificate kept.
)";

constexpr const char* k_export_usage = R"(USAGE
  telemetry-collector export --db DB

Writes every raw event as NDJSON to stdout, one snapshot however long it takes:
  {"received_at": "<RFC 3339 UTC>", "event": {...}}
Never creates a database.

options:
  --db DB      a SQLite path or a PostgreSQL URI (telemetry-collector --help)
  -h, --help   this text
)";

constexpr const char* k_import_usage = R"(USAGE
  telemetry-collector import --db DB [--strict-schema] FILE

Reads export's NDJSON from FILE ("-": stdin). Every line is validated (every
payload shape serve accepts) and nothing is imported unless all are good;
then it is imported in one transaction, leaving out an event identical to one
stored already (importing a file twice is importing it once) and events older
than the retention in effect. Keys no payload shape has are dropped (and
named) as serve drops them. Creates a missing SQLite file.

options:
  --db DB           a SQLite path or a PostgreSQL URI (telemetry-collector --help)
  --strict-schema   a line whose event has a key no payload shape has is a bad line
  -h, --help        this text
)";

constexpr const char* k_cleanup_usage = R"(USAGE
  telemetry-collector cleanup --db DB [--retention-days N]

One aggregation and retention pass now: raw events older than the retention
(whole UTC days) are deleted once their days are aggregated. PostgreSQL: waits
up to 30 s for a pass a running collector may be making. Never creates a
database.

options:
  --db DB              a SQLite path or a PostgreSQL URI (telemetry-collector --help)
  --retention-days N   1-730, for this pass only, not saved (default: the saved
                       Storage Duration)
  -h, --help           this text
)";

constexpr const char* k_settings_usage = R"(USAGE
  telemetry-collector settings --db DB [--collection on|off] [--retention-days N]

Prints the settings saved in the database as JSON (with their history), after
saving the changes given. Every collector on the database follows a change
within seconds. Printing alone never creates a database; a change creates or
migrates one (to set a database up before its first serve).

options:
  --db DB               a SQLite path or a PostgreSQL URI (telemetry-collector --help)
  --collection on|off   Enable Telemetry: off, POST / stores nothing and answers 503
  --retention-days N    Storage Duration: keep raw events N whole UTC days, 1-730
  -h, --help            this text
)";

constexpr const char* k_backup_usage = R"(USAGE
  telemetry-collector backup --db PATH DEST

SQLite: a consistent copy of the database in DEST (a new file, mode 0600),
taken while the collector runs; restore: stop the collector and put DEST in
place of the database. PostgreSQL: use pg_dump.

options:
  --db PATH    the SQLite database file
  -h, --help   this text
)";

// The operator log of this process (stderr until serve's --log-file).
logger& operator_log() {
  static logger log;
  return log;
}

void log_at(log_level level, const std::string& s) { operator_log().write(level, s); }
void log_line(const std::string& s) { log_at(log_level::info, s); }
void log_warning(const std::string& s) { log_at(log_level::warning, s); }
void log_error(const std::string& s) { log_at(log_level::error, s); }

struct usage_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// "127.0.0.1:9099", "[::1]:9099" -> endpoint; the message names --listen.
asio::ip::tcp::endpoint parse_listen(const std::string& s) {
  const std::string bad = "--listen \"" + s + "\": expected ADDR:PORT such as 127.0.0.1:9099 or [::1]:9099";
  auto colon = s.rfind(':');
  if (colon == std::string::npos || colon == 0) throw usage_error(bad);
  std::string host = s.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  boost::system::error_code ec;
  auto addr = asio::ip::make_address(host, ec);
  unsigned long port = 0;
  try {
    std::size_t used = 0;
    port = std::stoul(s.substr(colon + 1), &used);
    if (used != s.size() - colon - 1) ec = asio::error::invalid_argument;
  } catch (...) {
    ec = asio::error::invalid_argument;
  }
  if (ec || port > 65535) throw usage_error(bad);
  return asio::ip::tcp::endpoint(addr, static_cast<unsigned short>(port));
}

int parse_int_option(const po::variables_map& vm, const char* name, int def, int min, int max, const char* unit) {
  if (!vm.count(name)) return def;
  const std::string text = vm[name].as<std::string>();
  std::size_t used = 0;
  long v = -1;
  try {
    v = std::stol(text, &used);
  } catch (...) {
    used = 0;
  }
  if (used != text.size() || text.empty() || v < min || v > max)
    throw usage_error("--" + std::string(name) + " \"" + text + "\": expected a whole number of " + unit + " from " +
                      std::to_string(min) + " to " + std::to_string(max));
  return static_cast<int>(v);
}

// The first line of the file; refuses empty or short tokens and files others can read.
std::string read_admin_token(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) throw usage_error("--admin-token-file " + path + ": cannot read the file");
  if (st.st_mode & (S_IRWXG | S_IRWXO))
    throw usage_error("--admin-token-file " + path + ": readable by group or others; chmod 600 it");
  std::ifstream in(path);
  std::string token;
  if (!in || !std::getline(in, token)) throw usage_error("--admin-token-file " + path + ": cannot read the file");
  while (!token.empty() && (token.back() == '\r' || token.back() == ' ' || token.back() == '\t')) token.pop_back();
  if (token.size() < 16)
    throw usage_error("--admin-token-file " + path + ": the token (first line) must be at least 16 characters");
  return token;
}

// 1000 idle clients must not starve a new one: use every descriptor we may.
// Returns the (soft) limit now in force.
std::size_t raise_descriptor_limit() {
  rlimit rl{};
  if (::getrlimit(RLIMIT_NOFILE, &rl) != 0) return 1024;
  if (rl.rlim_cur < rl.rlim_max) {
    const auto before = rl.rlim_cur;
    rl.rlim_cur = rl.rlim_max;
    if (::setrlimit(RLIMIT_NOFILE, &rl) != 0) rl.rlim_cur = before;
  }
  constexpr rlim_t k_cap = 1u << 20;  // RLIM_INFINITY and the like
  return static_cast<std::size_t>(std::min(rl.rlim_cur, k_cap));
}

// Parses a command's arguments. -h/--help (added here to every command)
// prints `usage` and gives nullopt: the caller exits 0. Long options are
// never abbreviated (an unknown one is reported, not guessed at).
// `more`, if given, stores further values (a config file) before the
// required options are checked.
std::optional<po::variables_map> parse(const char* usage, const po::options_description& opts,
                                       const std::vector<std::string>& args,
                                       const po::positional_options_description* pos = nullptr,
                                       const std::function<void(po::variables_map&)>& more = {}) {
  // Help wins over anything else on the line, an unknown option included.
  for (const auto& a : args)
    if (a == "--help" || a == "-h") {
      std::cout << usage;
      return std::nullopt;
    }
  po::options_description all;
  all.add(opts).add_options()("help,h", "");
  po::variables_map vm;
  po::command_line_parser parser(args);
  parser.options(all);
  parser.style(po::command_line_style::default_style & ~po::command_line_style::allow_guessing);
  if (pos) parser.positional(*pos);
  po::store(parser.run(), vm);
  if (vm.count("help")) {
    std::cout << usage;
    return std::nullopt;
  }
  if (more) more(vm);
  po::notify(vm);
  return vm;
}

// An on/off option: "--retire" on the command line (or "--retire=false"),
// "retire = true" in a config file.
po::typed_value<bool>* flag() { return po::value<bool>()->implicit_value(true, ""); }
bool flag_on(const po::variables_map& vm, const char* name) { return vm.count(name) && vm[name].as<bool>(); }

// The options in `path` (Boost.ProgramOptions' config file syntax) into vm,
// below those already there: the command line's win. An unknown key or a
// bad value is a usage error naming the file.
void store_config_file(const std::string& path, const po::options_description& opts, po::variables_map& vm) {
  std::ifstream in(path);
  if (!in) throw usage_error("--config " + path + ": cannot read the file");
  try {
    po::store(po::parse_config_file(in, opts, false), vm);
  } catch (const po::unknown_option& e) {
    throw usage_error("--config " + path + ": unknown key \"" + e.get_option_name() +
                      "\" (the keys are serve's options without \"--\"; see telemetry-collector serve --help)");
  } catch (const po::error& e) {
    throw usage_error("--config " + path + ": " + e.what());
  }
}

log_format parse_log_format(const po::variables_map& vm) {
  if (!vm.count("log-format")) return log_format::text;
  const auto& v = vm["log-format"].as<std::string>();
  if (v == "text") return log_format::text;
  if (v == "json") return log_format::json;
  throw usage_error("--log-format \"" + v + "\": expected text or json");
}

// --collection on|off and --retention-days N, as given (serve, settings).
settings_update settings_flags(const po::variables_map& vm) {
  settings_update u;
  if (vm.count("collection")) {
    const auto text = vm["collection"].as<std::string>();
    u.collection = parse_on_off(text);
    if (!u.collection) throw usage_error("--collection \"" + text + "\": expected on or off");
  }
  if (vm.count("retention-days"))
    u.retention_days = parse_int_option(vm, "retention-days", k_default_retention_days, k_min_retention_days,
                                        k_max_retention_days, "days");
  return u;
}

int serve(const std::vector<std::string>& args) {
  // Every serve option may come from --config's file too.
  po::options_description file_opts("serve options");
  file_opts.add_options()("listen", po::value<std::string>()->required(), "")(
      "db", po::value<std::string>()->required(), "")("retention-days", po::value<std::string>(), "")(
      "collection", po::value<std::string>(), "")(
      "admin-token-file", po::value<std::string>(), "")("private-stats", flag(), "")("retire", flag(), "")(
      "strict-schema", flag(), "")("tls-cert", po::value<std::string>(), "")("tls-key", po::value<std::string>(), "")(
      "threads", po::value<std::string>(), "")("idle-timeout", po::value<std::string>(), "")(
      "aggregate-every", po::value<std::string>(), "")("max-connections-per-peer", po::value<std::string>(), "")(
      "log-file", po::value<std::string>(), "")("log-format", po::value<std::string>(), "");
  po::options_description opts;
  opts.add(file_opts).add_options()("config", po::value<std::string>(), "");
  const auto parsed = parse(k_serve_usage, opts, args, nullptr, [&](po::variables_map& vm) {
    if (vm.count("config")) store_config_file(vm["config"].as<std::string>(), file_opts, vm);
  });
  if (!parsed) return 0;
  const auto& vm = *parsed;

  // Until the signal handlers are in place, a SIGHUP (meant for a reload)
  // must not end the process.
  std::signal(SIGHUP, SIG_IGN);
  operator_log().set_format(parse_log_format(vm));
  if (vm.count("log-file")) operator_log().open_file(vm["log-file"].as<std::string>());

  const auto ep = parse_listen(vm["listen"].as<std::string>());
  const settings_update start_settings = settings_flags(vm);
  const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  const int threads = parse_int_option(vm, "threads", static_cast<int>(cores), 1, 256, "threads");
  const int idle_timeout = parse_int_option(vm, "idle-timeout", 30, 1, 3600, "seconds");
  const int aggregate_every = parse_int_option(vm, "aggregate-every", 60, 1, 86400, "seconds");
  const int per_peer = parse_int_option(vm, "max-connections-per-peer", 0, 1, 1'000'000, "connections");

  handler_options handler;
  const schema_validator validator = make_log_event_validator();
  handler.validator = &validator;
  handler.unknown_keys = flag_on(vm, "strict-schema") ? unknown_members::refuse : unknown_members::drop;
  handler.retire = flag_on(vm, "retire");
  handler.private_stats = flag_on(vm, "private-stats");
  if (vm.count("admin-token-file")) handler.admin_token = digest_token(read_admin_token(vm["admin-token-file"].as<std::string>()));
  if (handler.private_stats && !handler.admin_token)
    throw usage_error("--private-stats needs --admin-token-file (the token that unlocks the stats)");

  if (vm.count("tls-cert") != vm.count("tls-key")) throw usage_error("--tls-cert and --tls-key go together");
  const bool https = vm.count("tls-cert") > 0;
  const std::string tls_cert = https ? vm["tls-cert"].as<std::string>() : "";
  const std::string tls_key = https ? vm["tls-key"].as<std::string>() : "";
  std::shared_ptr<asio::ssl::context> tls;
  if (https) {
    std::string error;
    tls = load_server_tls(tls_cert, tls_key, error);
    if (!tls) throw usage_error("--tls-cert/--tls-key: " + error);
  }

  const std::size_t descriptors = raise_descriptor_limit();
  storage_options store_options;
  store_options.serve = true;
  store_options.log = &log_at;
  const auto store_ptr = open_storage(vm["db"].as<std::string>(), store_options);
  storage& store = *store_ptr;
  // Before any job is queued (saving a start flag is one): the hooks are
  // read by the writer thread.
  gather_completions(store);
  if (start_settings.collection || start_settings.retention_days) {
    // A start flag is the operator's explicit word at this start, and wins;
    // say so when it undoes a change saved since (through the API, the page
    // or the CLI), since a flag left in a unit file would undo it at every
    // restart.
    const auto saved = store.read_settings();
    if (start_settings.collection && *start_settings.collection != saved.collection && saved.collection_changed_at)
      log_warning("--collection " + std::string(*start_settings.collection ? "on" : "off") +
                  " overrides the saved setting (" + (saved.collection ? "on" : "off") +
                  "); leave the flag out to follow the saved one");
    if (start_settings.retention_days && *start_settings.retention_days != saved.retention_days &&
        saved.retention_changed_at)
      log_warning("--retention-days " + std::to_string(*start_settings.retention_days) +
                  " overrides the saved setting (" + std::to_string(saved.retention_days) +
                  " days); leave the flag out to follow the saved one");
    store.update_settings(start_settings, "start flag", now_ms());
  }
  settings_state settings(store.read_settings());
  handler.settings = &settings;
  collector_metrics metrics;
  metrics.set_collection_on(settings.collecting());
  asio::thread_pool readers(2);
  asio::thread_pool exporters(2);
  asio::thread_pool accessors(1);  // POST /v1/access: anyone may ask, so not on the readers' threads

  server_context ctx;
  ctx.tls.set(tls);
  ctx.handler = handler;
  ctx.actions.store = &store;
  ctx.actions.metrics = &metrics;
  ctx.actions.readers = &readers;
  ctx.actions.exporters = &exporters;
  ctx.actions.accessors = &accessors;
  ctx.actions.settings = &settings;
  ctx.actions.log = &log_at;
  ctx.log = &log_at;
  ctx.idle_timeout = std::chrono::seconds(idle_timeout);
  ctx.max_connections = connection_limit(descriptors);
  ctx.max_per_peer = static_cast<std::size_t>(per_peer);

  maintenance_runner maintenance(
      store, metrics, [&settings] { return settings.retention_days(); }, std::chrono::seconds(aggregate_every),
      &log_at);
  settings.on_change([&](const collector_settings& before, const collector_settings& after) {
    metrics.set_collection_on(settings.collecting());  // not `after`: two changes may be told out of order
    if (before.collection != after.collection)
      log_line(after.collection ? "settings: collection is on: events are stored again"
                                : "settings: collection is off: POST / stores nothing and answers 503");
    if (before.retention_days != after.retention_days) {
      log_line("settings: raw events are kept " + std::to_string(after.retention_days) + " days (was " +
               std::to_string(before.retention_days) + ")" +
               (after.retention_days < before.retention_days ? "; running a retention pass now" : ""));
      if (after.retention_days < before.retention_days) maintenance.retention_now();
    }
  });
  // Changes made by another collector on the database, or the CLI.
  settings_watcher watcher(store, settings, k_settings_poll, &log_at);

  io_pool pool(threads);
  auto l = std::make_shared<listener>(pool, ep, ctx);
  l->run();
  const auto bound = l->local_endpoint();
  const std::string addr =
      bound.address().is_v6() ? "[" + bound.address().to_string() + "]" : bound.address().to_string();
  log_line("listening on " + addr + ":" + std::to_string(bound.port()) + (https ? " (https)" : " (http)") +
           (handler.retire ? " (retire mode: answering 410)" : "") + ", " + std::string(store.engine()) + " database " +
           store.description() + ", collection " + (settings.collecting() ? "on" : "off") + ", raw events kept " +
           std::to_string(settings.retention_days()) + " days, at most " +
           std::to_string(ctx.max_connections) + " connections" +
           (per_peer ? " (" + std::to_string(per_peer) + " per peer)" : ""));
  if (!settings.collecting())
    log_warning("collection is off (the setting Enable Telemetry; a new database starts with it off): POST / stores "
             "nothing and answers 503. To turn it on: telemetry-collector settings --db " + store.description() +
             " --collection on, or PUT /v1/settings {\"collection\": \"on\"} with the admin token, or the "
             "dashboard's /settings page, or restart with --collection on");

  // SIGTERM/SIGINT: stop accepting, let requests in flight finish (at most
  // k_drain), commit, exit. A second signal stops at once.
  constexpr auto k_drain = std::chrono::seconds(10);
  // Signals and the drain deadline live on context 0 (one thread).
  auto& control = pool.at(0);
  asio::signal_set signals(control, SIGINT, SIGTERM);
  asio::steady_timer drain_deadline(control);
  ctx.sessions.set_on_empty([&] {
    if (ctx.draining) asio::post(control, [&] { drain_deadline.cancel(); });
  });
  signals.async_wait([&](boost::system::error_code ec, int) {
    if (ec) return;
    log_line("shutting down: finishing requests in flight");
    l->stop();
    drain_sessions(ctx);
    signals.async_wait([&](boost::system::error_code ec2, int) {
      if (!ec2) pool.stop();
    });
    drain_deadline.expires_after(k_drain);
    drain_deadline.async_wait([&](boost::system::error_code ec2) {
      signals.cancel();
      if (!ec2) log_warning("drain deadline reached; closing the remaining connections");
      pool.stop();
    });
    if (ctx.sessions.size() == 0) drain_deadline.cancel();
  });

  // SIGHUP: reopen the log file (logrotate has moved it) and reload the
  // certificate and key from the same paths (a renewal). New connections get
  // the new context; connections in progress keep theirs. Whatever cannot be
  // reloaded is logged as an error and the old one kept; SIGHUP never stops
  // the collector.
  asio::signal_set hangup(control, SIGHUP);
  std::function<void()> wait_for_hangup = [&] {
    hangup.async_wait([&](boost::system::error_code ec, int) {
      if (ec) return;
      std::vector<std::string> done;
      bool failed = false;
      if (const auto file = operator_log().file(); !file.empty()) {
        const auto error = operator_log().reopen();
        if (error.empty()) {
          done.push_back("reopened the log file " + file);
        } else {
          log_error("SIGHUP: " + error);
          failed = true;
        }
      }
      if (https) {
        std::string error;
        if (auto fresh = load_server_tls(tls_cert, tls_key, error)) {
          ctx.tls.set(std::move(fresh));
          done.push_back("reloaded the TLS certificate " + tls_cert + " and key " + tls_key +
                         " (for new connections)");
        } else {
          log_error("SIGHUP: " + error + "; keeping the certificate loaded before");
          failed = true;
        }
      }
      if (!done.empty()) {
        std::string line = "SIGHUP: ";
        for (std::size_t i = 0; i < done.size(); ++i) line += (i ? "; " : "") + done[i];
        log_line(line);
      } else if (!failed) {
        log_line("SIGHUP: nothing to reload (no --log-file, no --tls-cert)");
      }
      wait_for_hangup();
    });
  };
  wait_for_hangup();

  pool.run();
  // Sessions still queued in a stopped io_context are destroyed with it, later;
  // they must not post to it then.
  ctx.sessions.set_on_empty({});
  readers.join();
  exporters.join();
  accessors.join();
  watcher.stop();
  maintenance.stop();
  store.close();  // commits whatever was queued
  log_line("stopped; " + std::to_string(metrics.accepted_count()) + " events accepted in this run");
  return 0;
}

// The CLI commands that read or maintain a database never create one.
std::unique_ptr<storage> open_existing(const std::string& db) {
  storage_options opts;
  opts.log = &log_at;
  try {
    return open_storage(db, opts, true);
  } catch (const no_such_database& e) {
    throw usage_error(e.what());  // a wrong --db is a usage error (exit 2)
  }
}

int export_command(const std::vector<std::string>& args) {
  po::options_description opts("export options");
  opts.add_options()("db", po::value<std::string>()->required(), "");
  const auto parsed = parse(k_export_usage, opts, args);
  if (!parsed) return 0;
  const auto& vm = *parsed;
  const auto store = open_existing(vm["db"].as<std::string>());
  const auto cursor = store->open_export();  // one snapshot, however long the export takes
  std::string chunk;
  while (cursor->next(5000, chunk)) {
    std::cout << chunk;
    chunk.clear();
  }
  store->close();
  std::cout.flush();
  return std::cout ? 0 : 1;
}

int import_command(const std::vector<std::string>& args) {
  po::options_description opts("import options");
  // A switch taking no value: a flag() would take FILE after it as its value.
  opts.add_options()("db", po::value<std::string>()->required(), "")("file", po::value<std::string>()->required(), "")(
      "strict-schema", po::bool_switch(), "");
  po::positional_options_description pos;
  pos.add("file", 1);
  const auto parsed = parse(k_import_usage, opts, args, &pos);
  if (!parsed) return 0;
  const auto& vm = *parsed;
  const std::string file = vm["file"].as<std::string>();
  std::ifstream in_file;
  std::istream* in = &std::cin;
  if (file != "-") {
    in_file.open(file);
    if (!in_file) throw usage_error("cannot read " + file);
    in = &in_file;
  }
  const schema_validator validator = make_log_event_validator();
  const auto unknown = flag_on(vm, "strict-schema") ? unknown_members::refuse : unknown_members::drop;
  std::vector<event_row> events;
  std::string line;
  std::size_t line_no = 0, errors = 0, with_dropped = 0, unnamed = 0;
  std::set<std::string> dropped_names;
  while (std::getline(*in, line)) {
    ++line_no;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    auto parsed_line = parse_import_line(line, validator, unknown);
    if (!parsed_line.error.empty()) {
      if (++errors <= 20) log_error(file + ":" + std::to_string(line_no) + ": " + parsed_line.error);
      continue;
    }
    if (!parsed_line.dropped.empty()) {
      ++with_dropped;
      for (const auto& k : parsed_line.dropped)
        if (dropped_names.size() < new_key_notices::k_max_named || dropped_names.count(printable_key(k)))
          dropped_names.insert(printable_key(k));
        else
          ++unnamed;
    }
    events.push_back(std::move(parsed_line.event));
  }
  if (errors) {
    log_error("import refused: " + std::to_string(errors) + " bad line(s); nothing was imported");
    return 1;
  }
  storage_options store_options;
  store_options.log = &log_at;
  const auto store = open_storage(vm["db"].as<std::string>(), store_options);  // import may create a SQLite file
  // The retention in effect applies to imported events as to any other: an
  // event it would delete at once is not imported. A line repeated in the
  // file is imported once, and one identical to a stored event not again.
  const int retention_days = store->read_settings().retention_days;
  const std::int64_t kept_from = first_kept_day(now_ms(), retention_days);
  std::size_t expired = 0, repeated = 0;
  std::vector<event_row> kept;
  std::set<std::string> seen;
  for (auto& e : events) {
    if (e.received_at / k_day_ms < kept_from) {
      ++expired;
      continue;
    }
    if (!seen.insert(export_line(e.received_at, event_object(e))).second) {
      ++repeated;
      continue;
    }
    kept.push_back(std::move(e));
  }
  const auto report = store->import_events(std::move(kept));  // one transaction: all or nothing
  store->close();
  if (!report.ok) {
    log_error("import failed while writing; nothing was imported");
    return 1;
  }
  log_line("imported " + std::to_string(report.imported) + " events; left out " +
           std::to_string(report.already_stored + repeated) + " already stored (or repeated in the file) and " +
           std::to_string(expired) + " older than the retention (" + std::to_string(retention_days) + " days)");
  if (with_dropped) {
    std::string names;
    for (const auto& n : dropped_names) names += (names.empty() ? "\"" : ", \"") + n + "\"";
    if (unnamed) names += " and more (" + std::to_string(new_key_notices::k_max_named) + " named at most)";
    log_line(std::to_string(with_dropped) + " events in the file had keys no payload shape has, dropped from them: " +
             names);
  }
  return 0;
}

int cleanup_command(const std::vector<std::string>& args) {
  po::options_description opts("cleanup options");
  opts.add_options()("db", po::value<std::string>()->required(), "")("retention-days", po::value<std::string>(), "");
  const auto parsed = parse(k_cleanup_usage, opts, args);
  if (!parsed) return 0;
  const auto& vm = *parsed;
  const auto given = settings_flags(vm);  // --retention-days: this pass only, not saved
  const auto store = open_existing(vm["db"].as<std::string>());
  const int retention_days = given.retention_days ? *given.retention_days : store->read_settings().retention_days;
  maintenance_request request;
  request.retention_days = retention_days;
  request.now = now_ms();
  // Beside running collectors (PostgreSQL), wait a bounded time for the
  // pass one of them may be running.
  request.lock_wait = std::chrono::seconds(30);
  const auto report = store->run_maintenance(request);
  store->close();
  if (!report.ran) {
    log_error("cleanup: another process is running maintenance on this database" +
             (report.holder.empty() ? std::string() : " (" + report.holder + ")") +
             " and did not finish within 30 s; nothing was done, try again later");
    return 1;
  }
  log_line("cleanup: aggregated " + std::to_string(report.days_aggregated) + " day(s), deleted " +
           std::to_string(report.rows_deleted) + " raw event(s) older than " + std::to_string(retention_days) +
           " days");
  return 0;
}

int settings_command(const std::vector<std::string>& args) {
  po::options_description opts("settings options");
  opts.add_options()("db", po::value<std::string>()->required(), "")("collection", po::value<std::string>(), "")(
      "retention-days", po::value<std::string>(), "");
  const auto parsed = parse(k_settings_usage, opts, args);
  if (!parsed) return 0;
  const auto& vm = *parsed;
  const auto update = settings_flags(vm);
  const bool change = update.collection || update.retention_days;
  // Printing never creates a database. A change may: it sets a database up
  // before its first serve or import (a PostgreSQL one is created or
  // migrated, so that an upgrade can keep its retention).
  storage_options store_options;
  store_options.log = &log_at;
  const auto store = change ? open_storage(vm["db"].as<std::string>(), store_options)
                            : open_existing(vm["db"].as<std::string>());
  const auto s = change ? store->update_settings(update, "command line", now_ms())
                     : store->read_settings();
  const auto history = store->settings_history(k_settings_history);
  store->close();
  std::cout << boost::json::serialize(settings_json(s, history)) << "\n";
  std::cout.flush();
  return std::cout ? 0 : 1;
}

int backup_command(const std::vector<std::string>& args) {
  po::options_description opts("backup options");
  opts.add_options()("db", po::value<std::string>()->required(), "")("dest", po::value<std::string>(), "");
  po::positional_options_description pos;
  pos.add("dest", 1);
  const auto parsed = parse(k_backup_usage, opts, args, &pos);
  if (!parsed) return 0;
  const auto& vm = *parsed;
  if (!vm.count("dest")) throw usage_error("backup needs DEST, the new file to write the copy to");
  const std::string path = vm["db"].as<std::string>();
  if (is_postgresql_uri(path))
    throw usage_error("backup is for SQLite databases; back up PostgreSQL with pg_dump or pg_basebackup "
                      "(docs/collector.md, Backups)");
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) throw usage_error("--db " + path + ": no such database");
  const std::string dest = vm["dest"].as<std::string>();
  try {
    const auto report = backup_database(path, dest);
    log_line("backup: " + dest + ": " + std::to_string(report.raw_events) + " raw event(s), " +
             std::to_string(report.summary_days) + " day(s) of aggregates, " + std::to_string(report.bytes) +
             " bytes");
  } catch (const std::runtime_error& e) {
    log_error(std::string("backup failed: ") + e.what());
    return 1;
  }
  return 0;
}

// A usage error (exit 2): "telemetry-collector serve: MESSAGE", on stderr,
// where whoever started the command sees it, and in the log file too if
// serve has opened one already. `hint`: point at the command's --help.
int usage_failure(const std::string& who, const std::string& message, bool hint) {
  std::cerr << who << ": " << message << (hint ? " (see " + who + " --help)" : std::string()) << std::endl;
  if (!operator_log().file().empty()) log_error(message);
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::signal(SIGPIPE, SIG_IGN);
  std::string who = k_program;  // the command, as errors name it: "telemetry-collector serve"
  try {
    std::vector<std::string> args(argv + 1, argv + argc);
    if (args.empty()) {
      std::cerr << k_usage;
      return 2;
    }
    if (args[0] == "--help" || args[0] == "-h") {
      std::cout << k_usage;
      return 0;
    }
    if (args[0] == "--version") {
      std::cout << k_program << " " << collector_version() << std::endl;
      return 0;
    }
    if (args[0].starts_with("-")) return usage_failure(who, "unknown option " + args[0], true);
    const std::string command = args[0];
    args.erase(args.begin());
    who += " " + command;
    if (command == "serve") return serve(args);
    if (command == "export") return export_command(args);
    if (command == "import") return import_command(args);
    if (command == "cleanup") return cleanup_command(args);
    if (command == "settings") return settings_command(args);
    if (command == "backup") return backup_command(args);
    return usage_failure(k_program, "unknown command \"" + command + "\"", true);
  } catch (const po::unknown_option& e) {
    return usage_failure(who, "unknown option " + e.get_option_name(), true);
  } catch (const po::error& e) {
    return usage_failure(who, e.what(), true);
  } catch (const usage_error& e) {
    return usage_failure(who, e.what(), false);
  } catch (const std::exception& e) {
    log_error(e.what());
    return 1;
  }
}
