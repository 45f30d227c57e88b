// The dashboard in a real browser: Debian's Chromium, headless, against a
// collector serving a seeded database. The page must load, draw every chart
// from /v1/stats, and log nothing to the console. A screenshot is kept in the
// build tree (tests/dashboard.png) for people to look at.
#include "support/integration.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value_to.hpp>
#include <boost/test/unit_test.hpp>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <random>
#include <regex>

using namespace test_support;
namespace json = boost::json;

namespace {

const char* k_chromium = "/usr/bin/chromium";


// 14 days of a growing fleet with a spread of versions, platforms and buckets.
void seed(const std::filesystem::path& db, const std::filesystem::path& dir) {
  std::mt19937 rng(7);
  auto pick = [&](std::initializer_list<json::value> v) { return *(v.begin() + rng() % v.size()); };
  std::ofstream out(dir / "seed.ndjson");
  for (int d = 0; d < 14; ++d) {
    for (int n = 0; n < 20 + 3 * d; ++n) {
      auto e = json::parse(example_event(test_uuid(static_cast<unsigned>(n)))).as_object();
      e["agent_version"] = pick({"kubo/0.42.1/", "kubo/0.43.0/", "kubo/0.44.0-rc1/"});
      e["platform_os"] = pick({"linux", "linux", "darwin", "windows"});
      e["platform_arch"] = pick({"amd64", "arm64"});
      e["routing_type"] = pick({"auto", "dht", "autoclient"});
      e["repo_size_bucket"] = pick({1073741824LL, 5368709120LL, 10737418240LL});
      e["uptime_bucket"] = pick({86400000000000LL, 172800000000000LL, 2678400000000000LL});
      e["platform_containerized"] = rng() % 3 == 0;
      char at[32];
      std::snprintf(at, sizeof at, "T%02d:00:00Z", n % 24);
      out << json::serialize(json::object{{"received_at", days_ago(13 - d) + at}, {"event", e}}) << "\n";
    }
  }
  out.close();
  auto r = run({COLLECTOR_BIN, "import", "--db", db.string(), (dir / "seed.ndjson").string()});
  BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.err);
  r = run({COLLECTOR_BIN, "cleanup", "--db", db.string()});
  BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.err);
}

std::vector<std::string> chromium_args(const std::filesystem::path& profile) {
  return {k_chromium, "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
          "--no-first-run", "--user-data-dir=" + profile.string(), "--enable-logging=stderr", "--v=0",
          "--virtual-time-budget=15000"};
}

// Console messages Chromium logged (any level): "...:CONSOLE..." lines.
std::vector<std::string> console_lines(const std::string& err) {
  std::vector<std::string> out;
  std::istringstream in(err);
  for (std::string line; std::getline(in, line);)
    if (line.find(":CONSOLE") != std::string::npos) out.push_back(line);
  return out;
}

std::size_t count(const std::string& text, const std::string& needle) {
  std::size_t n = 0;
  for (auto pos = text.find(needle); pos != std::string::npos; pos = text.find(needle, pos + 1)) ++n;
  return n;
}

// Chromium driven over the DevTools protocol for pages that are used, not
// only loaded: --remote-debugging-pipe reads commands on fd 3 and writes
// answers and events on fd 4, each a JSON text ending in a NUL. One tab; every
// wait is bounded. What the page logs (console calls, uncaught exceptions,
// the browser's own log entries such as failed loads) is kept in console().
class browser {
 public:
  explicit browser(const std::filesystem::path& dir) : err_(dir / "chromium.err") {
    int to[2], from[2];
    BOOST_REQUIRE(::pipe(to) == 0 && ::pipe(from) == 0);
    // Out of the way of 3 and 4 first, close-on-exec: the child keeps only its dup2'ed copies.
    auto high = [](int fd) { int h = ::fcntl(fd, F_DUPFD_CLOEXEC, 10); ::close(fd); return h; };
    for (int* fd : {&to[0], &to[1], &from[0], &from[1]}) *fd = high(*fd);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 2, err_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    posix_spawn_file_actions_adddup2(&fa, to[0], 3);
    posix_spawn_file_actions_adddup2(&fa, from[1], 4);
    auto argv = chromium_args(dir / "profile");
    argv.back() = "--remote-debugging-pipe";  // no virtual time: the page runs in real time
    argv.push_back("about:blank");
    std::vector<char*> args;
    for (auto& a : argv) args.push_back(a.data());
    args.push_back(nullptr);
    const int rc = ::posix_spawn(&pid_, k_chromium, &fa, nullptr, args.data(), environ);
    posix_spawn_file_actions_destroy(&fa);
    ::close(to[0]);
    ::close(from[1]);
    write_fd_ = to[1];
    read_fd_ = from[0];
    if (rc != 0) {
      ::close(write_fd_);
      ::close(read_fd_);
      throw std::runtime_error("cannot start chromium");
    }
    try {
      downloads_ = dir / "downloads";
      std::filesystem::create_directories(downloads_);
      call("Browser.setDownloadBehavior", {{"behavior", "allow"}, {"downloadPath", downloads_.string()}}, false);
      const auto target = call("Target.createTarget", {{"url", "about:blank"}}, false);
      const auto attached = call("Target.attachToTarget", {{"targetId", target.at("targetId")}, {"flatten", true}}, false);
      session_ = json::value_to<std::string>(attached.at("sessionId"));
      for (const char* domain : {"Page.enable", "Runtime.enable", "Log.enable"}) call(domain, {});
    } catch (...) {
      shut_down();
      throw;
    }
  }
  ~browser() { shut_down(); }
  browser(const browser&) = delete;
  browser& operator=(const browser&) = delete;

  // Loads url in the tab and waits for its load event.
  void open(const std::string& url) {
    const auto before = loads_;
    call("Page.navigate", {{"url", url}});
    BOOST_REQUIRE_MESSAGE(pump([&] { return loads_ > before; }, 20s), "no load event for " + url);
  }
  void reload() {
    const auto before = loads_;
    call("Page.reload", {});
    BOOST_REQUIRE_MESSAGE(pump([&] { return loads_ > before; }, 20s), "no load event after a reload");
  }

  // A JavaScript expression's value in the page (a promise is awaited), as JSON.
  json::value eval(const std::string& expression) {
    const auto r = call("Runtime.evaluate", {{"expression", expression}, {"awaitPromise", true},
                                             {"returnByValue", true}, {"userGesture", true}});
    if (r.as_object().contains("exceptionDetails"))
      throw std::runtime_error("script failed: " + expression + ": " + json::serialize(r.at("exceptionDetails")));
    const auto& result = r.at("result").as_object();
    return result.contains("value") ? result.at("value") : json::value();
  }
  std::string text(const std::string& expression) {
    const auto v = eval(expression);
    return v.is_string() ? json::value_to<std::string>(v) : json::serialize(v);
  }
  // Polls a boolean expression every 50 ms until it holds (a page being
  // navigated away from, which cannot answer, counts as not yet).
  bool wait_for(const std::string& expression, std::chrono::milliseconds timeout = 15s) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      try {
        if (eval("Boolean(" + expression + ")") == json::value(true)) return true;
      } catch (const std::runtime_error&) {
      }
      if (std::chrono::steady_clock::now() >= deadline) return false;
      pump([] { return false; }, 50ms);
    }
  }
  std::string dom() { return text("document.documentElement.outerHTML"); }
  const std::vector<std::string>& console() const { return console_; }
  const std::filesystem::path& downloads() const { return downloads_; }
  std::string log() const { return read_text(err_); }

 private:
  void shut_down() {
    try {
      send("Browser.close", {}, false);
    } catch (...) {
    }
    ::close(write_fd_);
    int status = 0;
    if (!wait_until([&] { return ::waitpid(pid_, &status, WNOHANG) == pid_; }, 10s)) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, &status, 0);
    }
    ::close(read_fd_);
  }

  json::value call(const std::string& method, json::object params, bool in_page = true) {
    const auto id = send(method, std::move(params), in_page);
    std::optional<json::value> answer;
    if (!pump([&] {
          auto it = answers_.find(id);
          if (it == answers_.end()) return false;
          answer = std::move(it->second);
          answers_.erase(it);
          return true;
        }, 20s))
      throw std::runtime_error("no DevTools answer to " + method + "; chromium: " + log());
    if (answer->as_object().contains("error"))
      throw std::runtime_error(method + ": " + json::serialize(answer->at("error")));
    return answer->at("result");
  }

  std::int64_t send(const std::string& method, json::object params, bool in_page) {
    json::object m{{"id", ++next_id_}, {"method", method}, {"params", std::move(params)}};
    if (in_page) m["sessionId"] = session_;
    std::string wire = json::serialize(m);
    wire.push_back('\0');
    for (std::size_t done = 0; done < wire.size();) {
      const auto n = ::write(write_fd_, wire.data() + done, wire.size() - done);
      if (n <= 0) throw std::runtime_error("chromium's pipe closed");
      done += static_cast<std::size_t>(n);
    }
    return next_id_;
  }

  // Reads messages until `done` holds or `timeout` passes; false on timeout.
  bool pump(const std::function<bool()>& done, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      if (done()) return true;
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      if (left <= 0ms) return false;
      pollfd p{read_fd_, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
      char buf[65536];
      const auto n = ::read(read_fd_, buf, sizeof buf);
      if (n <= 0) throw std::runtime_error("chromium's pipe closed; chromium: " + log());
      pending_.append(buf, static_cast<std::size_t>(n));
      for (auto end = pending_.find('\0'); end != std::string::npos; end = pending_.find('\0')) {
        handle(json::parse(std::string_view(pending_).substr(0, end)));
        pending_.erase(0, end + 1);
      }
    }
  }

  void handle(json::value message) {
    auto& m = message.as_object();
    if (m.contains("id")) {
      answers_[m.at("id").to_number<std::int64_t>()] = std::move(message);
      return;
    }
    const std::string method = json::value_to<std::string>(m.at("method"));
    const auto& params = m.at("params");
    if (method == "Page.loadEventFired") {
      ++loads_;
    } else if (method == "Runtime.consoleAPICalled") {
      std::string line = "console." + json::value_to<std::string>(params.at("type")) + ":";
      for (const auto& arg : params.at("args").as_array())
        line += " " + (arg.as_object().contains("value") ? json::serialize(arg.at("value"))
                                                          : json::serialize(arg.at("type")));
      console_.push_back(line);
    } else if (method == "Runtime.exceptionThrown") {
      console_.push_back("exception: " + json::serialize(params.at("exceptionDetails")));
    } else if (method == "Log.entryAdded") {
      const auto& e = params.at("entry");
      console_.push_back("log " + json::value_to<std::string>(e.at("level")) + ": " +
                         json::value_to<std::string>(e.at("text")) +
                         (e.as_object().contains("url") ? " " + json::value_to<std::string>(e.at("url")) : ""));
    }
  }

  std::filesystem::path err_, downloads_;
  pid_t pid_ = -1;
  int write_fd_ = -1, read_fd_ = -1;
  std::int64_t next_id_ = 0;
  std::string session_, pending_;
  std::map<std::int64_t, json::value> answers_;
  unsigned loads_ = 0;
  std::vector<std::string> console_;
};

const std::string& k_token = k_admin_token;

// A collector with an admin token (and any further arguments), collection
// as a new database has it (off): collector_process turns it on otherwise.
std::unique_ptr<collector_process> admin_collector(const std::filesystem::path& dir, std::vector<std::string> extra = {}) {
  extra.insert(extra.begin(), {"--admin-token-file", write_admin_token(dir).string(), "--collection", "off"});
  return std::make_unique<collector_process>(dir, extra);
}

json::object settings_of(const collector_process& c, const std::string& bearer = {}) {
  const auto r = http_request(c.port(), boost::beast::http::verb::get, "/v1/settings", {}, bearer);
  BOOST_REQUIRE_MESSAGE(r.status == 200u, r.status << " " << r.body << r.error);
  return json::parse(r.body).as_object();
}

// A JavaScript string literal.
std::string js(const std::string& s) { return json::serialize(json::value(s)); }

// The settings page of `c`, loaded and showing the stored settings.
void open_settings(browser& b, const collector_process& c) {
  b.open("http://127.0.0.1:" + std::to_string(c.port()) + "/settings");
  BOOST_REQUIRE_MESSAGE(b.wait_for("document.body.dataset.state === 'ready'"), b.dom());
}

// Fills the form as a user would leave it, then presses Save Settings.
void fill_and_save(browser& b, const std::string& token, std::optional<bool> collection, std::optional<std::string> days) {
  b.eval("document.getElementById('token').value = " + js(token));
  if (collection) b.eval(std::string("document.getElementById('collection').checked = ") + (*collection ? "true" : "false"));
  if (days) b.eval("document.getElementById('retention').value = " + js(*days));
  b.eval("document.getElementById('save').click()");
}

std::string status_text(browser& b) { return b.text("document.getElementById('status').textContent"); }

// Only the failed loads the test expects (a 401, a 400...) may be on the console.
void check_console(const browser& b, std::initializer_list<const char*> allowed = {}) {
  for (const auto& line : b.console()) {
    bool ok = false;
    for (const char* a : allowed) ok = ok || line.find(a) != std::string::npos;
    BOOST_TEST(ok, "console: " << line);
  }
  for (const auto& line : console_lines(b.log())) {
    bool ok = false;
    for (const char* a : allowed) ok = ok || line.find(a) != std::string::npos;
    BOOST_TEST(ok, "chromium log: " << line);
  }
}

}  // namespace

BOOST_AUTO_TEST_SUITE(integration_dashboard_tests)

// The console check can fail: a page that logs an error is caught.
BOOST_AUTO_TEST_CASE(console_errors_are_detected) {
  BOOST_REQUIRE_MESSAGE(std::filesystem::exists(k_chromium), "Debian's chromium is needed (scripts/install-deps.sh)");
  temp_dir dir;
  auto args = chromium_args(dir.path() / "profile");
  args.insert(args.end(), {"--dump-dom", "data:text/html,<script>console.error('boom');missing()</script>"});
  auto r = run(args, {}, 60s);
  BOOST_TEST(r.exit_code == 0, r.err);
  BOOST_TEST(console_lines(r.err).size() == 2u, r.err);
}

BOOST_AUTO_TEST_CASE(dashboard_renders_every_chart_without_console_errors) {
  BOOST_REQUIRE_MESSAGE(std::filesystem::exists(k_chromium), "Debian's chromium is needed (scripts/install-deps.sh)");
  temp_dir dir;
  const auto db = dir.path() / "collector.db";
  seed(db, dir.path());
  collector_process c(dir.path());
  const std::string url = "http://127.0.0.1:" + std::to_string(c.port()) + "/";

  auto args = chromium_args(dir.path() / "profile");
  args.insert(args.end(), {"--dump-dom", url});
  auto r = run(args, {}, 90s);
  BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.err);
  const std::string& dom = r.out;
  BOOST_TEST(dom.find("data-state=\"ready\"") != std::string::npos, dom.substr(0, 2000));
  BOOST_TEST(count(dom, "data-rendered=\"chart\"") == 8u);  // every chart drew data
  BOOST_TEST(count(dom, "data-rendered=\"empty\"") == 0u);
  BOOST_TEST(count(dom, "class=\"bar\"") >= 14u + 14u + 10u);  // two 14-day charts and the distributions
  BOOST_TEST(dom.find("14 day(s) with data; 59 node(s) active on " + days_ago(0)) != std::string::npos);
  BOOST_TEST(dom.find("kubo/0.44.0-rc1/") != std::string::npos);  // the versions legend
  BOOST_TEST(console_lines(r.err).empty(), r.err);

  // A picture for humans, kept next to the test binary's outputs.
  const auto shot = std::filesystem::current_path() / "dashboard.png";
  std::filesystem::remove(shot);
  auto shot_args = chromium_args(dir.path() / "profile");
  shot_args.insert(shot_args.end(), {"--window-size=1280,1700", "--screenshot=" + shot.string(), url});
  auto s = run(shot_args, {}, 90s);
  BOOST_TEST(s.exit_code == 0, s.err);
  BOOST_REQUIRE(std::filesystem::exists(shot));
  BOOST_TEST(std::filesystem::file_size(shot) > 20'000u);  // a rendered page, not a blank one
  BOOST_TEST_MESSAGE("dashboard screenshot: " << shot.string());
}

// The dashboard's DOM, rendered by headless Chromium, for a database holding
// `events` (received today), aggregated. Checks the page got ready without
// console errors.
std::string dashboard_dom_for(const std::filesystem::path& dir, const std::vector<json::object>& events) {
  {
    std::ofstream out(dir / "seed.ndjson");
    for (const auto& e : events)
      out << json::serialize(json::object{{"received_at", days_ago(0) + "T00:00:00Z"}, {"event", e}}) << "\n";
  }
  const auto db = dir / "collector.db";
  BOOST_REQUIRE(run({COLLECTOR_BIN, "import", "--db", db.string(), (dir / "seed.ndjson").string()}).exit_code == 0);
  BOOST_REQUIRE(run({COLLECTOR_BIN, "cleanup", "--db", db.string()}).exit_code == 0);
  collector_process c(dir);
  auto args = chromium_args(dir / "profile");
  args.insert(args.end(), {"--dump-dom", "http://127.0.0.1:" + std::to_string(c.port()) + "/"});
  auto r = run(args, {}, 90s);
  BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.err);
  BOOST_TEST(r.out.find("data-state=\"ready\"") != std::string::npos, r.out.substr(0, 2000));
  BOOST_TEST(console_lines(r.err).empty(), r.err);
  return r.out;
}

// Flags come from the schema's types: a string field whose every value is
// "true" (or "false") is not a feature flag.
BOOST_AUTO_TEST_CASE(a_string_field_reading_true_is_not_shown_as_a_flag) {
  BOOST_REQUIRE_MESSAGE(std::filesystem::exists(k_chromium), "Debian's chromium is needed (scripts/install-deps.sh)");
  temp_dir dir;
  std::vector<json::object> events;
  for (unsigned n = 0; n < 5; ++n) {
    auto e = json::parse(example_event(test_uuid(n))).as_object();
    e["reprovider_strategy"] = "true";
    e["routing_type"] = n % 2 ? "true" : "false";
    events.push_back(std::move(e));
  }
  const auto dom = dashboard_dom_for(dir.path(), events);
  BOOST_TEST(dom.find("platform_vm: 0 of 5 nodes") != std::string::npos);      // a boolean field: a flag
  BOOST_TEST(dom.find("reprovider_strategy: ") == std::string::npos, dom);      // strings: never flags
  BOOST_TEST(dom.find("<title>routing_type: ") == std::string::npos);
}

// Nodes of a release without a field are named apart, never counted as
// "false": a flag's share is of the nodes that report it.
BOOST_AUTO_TEST_CASE(fields_older_releases_do_not_send_are_shown_as_not_reported) {
  BOOST_REQUIRE_MESSAGE(std::filesystem::exists(k_chromium), "Debian's chromium is needed (scripts/install-deps.sh)");
  temp_dir dir;
  std::vector<json::object> events;
  for (unsigned n = 0; n < 5; ++n) {
    auto e = json::parse(example_event(test_uuid(n))).as_object();
    if (n < 3) {  // Kubo 0.37's shape
      for (const char* k : {"provide_dht_sweep_enabled", "provide_dht_interval_custom", "provide_dht_max_workers_custom"})
        e.erase(k);
    } else {
      e["provide_dht_sweep_enabled"] = true;
    }
    events.push_back(std::move(e));
  }
  const auto dom = dashboard_dom_for(dir.path(), events);
  // 2 of the 2 nodes that report it, 100 %; the 3 others named as such.
  BOOST_TEST(dom.find("provide_dht_sweep_enabled: 2 of 2 nodes; 3 not reported by older releases") != std::string::npos,
             dom);
  BOOST_TEST(dom.find("provide_dht_interval_custom: 0 of 2 nodes; 3 not reported by older releases") != std::string::npos);
  BOOST_TEST(dom.find("platform_vm: 0 of 5 nodes</title>") != std::string::npos);  // every node reports it
  BOOST_TEST(dom.find("(absent)") == std::string::npos);  // never shown as a value
  // In words below the chart as well, not only in each bar's title.
  BOOST_TEST(dom.find("provide_dht_sweep_enabled: 3 of 5 nodes not reported by older releases;") != std::string::npos,
             dom);
  BOOST_TEST(dom.find("Shares are of the nodes that report the field.") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(private_stats_dashboard_asks_for_the_token) {
  BOOST_REQUIRE_MESSAGE(std::filesystem::exists(k_chromium), "Debian's chromium is needed (scripts/install-deps.sh)");
  temp_dir dir;
  collector_process c(dir.path(), {"--admin-token-file", write_admin_token(dir.path()).string(), "--private-stats"});
  auto args = chromium_args(dir.path() / "profile");
  args.insert(args.end(), {"--dump-dom", "http://127.0.0.1:" + std::to_string(c.port()) + "/"});
  auto r = run(args, {}, 90s);
  BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.err);
  BOOST_TEST(r.out.find("data-state=\"locked\"") != std::string::npos);
  BOOST_TEST(r.out.find("<form id=\"login\">") != std::string::npos);  // no longer hidden
  // The 401 is an expected answer, but Chromium reports failed loads on the console; only that one may appear.
  for (const auto& line : console_lines(r.err))
    BOOST_TEST(line.find("401") != std::string::npos, line);
}

// The DevTools console capture can fail: a console.error and an uncaught
// exception are both caught.
BOOST_AUTO_TEST_CASE(devtools_console_capture_detects_errors) {
  BOOST_REQUIRE_MESSAGE(std::filesystem::exists(k_chromium), "Debian's chromium is needed (scripts/install-deps.sh)");
  temp_dir dir;
  browser b(dir.path());
  b.open("data:text/html,<script>console.error('boom');missing()</script>");
  BOOST_REQUIRE(b.wait_for("true"));  // the messages have arrived by the answer to this
  const auto& lines = b.console();
  BOOST_TEST(std::count_if(lines.begin(), lines.end(), [](auto& l) { return l.find("console.error: \"boom\"") == 0; }) == 1);
  BOOST_TEST(std::count_if(lines.begin(), lines.end(), [](auto& l) { return l.find("exception: ") == 0; }) == 1);
}

// Both settings changed in the page are saved (only the changed keys are
// sent), kept over a reload, and shown in the history.
BOOST_AUTO_TEST_CASE(settings_page_saves_both_settings_and_they_are_kept) {
  BOOST_REQUIRE_MESSAGE(std::filesystem::exists(k_chromium), "Debian's chromium is needed (scripts/install-deps.sh)");
  temp_dir dir;
  auto c = admin_collector(dir.path());
  browser b(dir.path());
  open_settings(b, *c);
  BOOST_TEST(b.eval("document.getElementById('collection').checked") == json::value(false));  // a new database: off
  BOOST_TEST(b.text("document.getElementById('retention').value") == "90");
  BOOST_TEST(b.eval("document.getElementById('history-empty').hidden") == json::value(false));

  fill_and_save(b, k_token, true, "120");
  BOOST_REQUIRE_MESSAGE(b.wait_for("document.body.dataset.state === 'saved'"), status_text(b));
  BOOST_TEST(status_text(b) == "Saved");
  auto stored = settings_of(*c);
  BOOST_TEST(stored.at("collection") == "on");
  BOOST_TEST(stored.at("retention_days") == 120);
  BOOST_TEST(stored.at("history").as_array().size() == 2u);

  b.reload();
  BOOST_REQUIRE_MESSAGE(b.wait_for("document.body.dataset.state === 'ready'"), b.dom());
  BOOST_TEST(b.eval("document.getElementById('collection').checked") == json::value(true));
  BOOST_TEST(b.text("document.getElementById('retention').value") == "120");
  // The history: local time, UTC, setting, old -> new, via; nothing else.
  const auto rows = b.eval("[...document.querySelectorAll('#history tbody tr')].map(r => [...r.cells].map(c => c.textContent))");
  BOOST_REQUIRE_MESSAGE(rows.as_array().size() == 2u, json::serialize(rows));
  std::set<std::string> changes;
  for (const auto& row : rows.as_array()) {
    const auto& cells = row.as_array();
    BOOST_REQUIRE(cells.size() == 5u);
    BOOST_TEST(std::regex_match(json::value_to<std::string>(cells[1]), std::regex(R"(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC)")),
               cells[1]);
    BOOST_TEST(!json::value_to<std::string>(cells[0]).empty());
    BOOST_TEST(cells[4] == "api");
    changes.insert(json::value_to<std::string>(cells[2]) + ": " + json::value_to<std::string>(cells[3]));
  }
  BOOST_TEST((changes == std::set<std::string>{"Enable Telemetry: off → on", "Storage Duration (days): 90 → 120"}));
  // The token: in this tab's session storage only.
  BOOST_TEST(b.text("sessionStorage.getItem('telemetry-token')") == k_token);
  BOOST_TEST(b.eval("localStorage.length") == 0);
  BOOST_TEST(b.text("document.cookie") == "");

  // Only what changed is sent.
  b.eval("window.sent = []; const f = window.fetch; "
         "window.fetch = (u, i) => { if (i && i.method === 'PUT') window.sent.push(i.body); return f(u, i); }");
  fill_and_save(b, k_token, false, std::nullopt);
  BOOST_REQUIRE_MESSAGE(b.wait_for("document.body.dataset.state === 'saved'"), status_text(b));
  BOOST_TEST(b.text("JSON.stringify(window.sent)") == R"(["{\"collection\":\"off\"}"])");
  BOOST_TEST(settings_of(*c).at("collection") == "off");
  check_console(b);
}

// A wrong token: the page says so, forgets it, saves nothing; the right one then works.
BOOST_AUTO_TEST_CASE(a_wrong_token_is_refused_and_nothing_is_saved) {
  BOOST_REQUIRE_MESSAGE(std::filesystem::exists(k_chromium), "Debian's chromium is needed (scripts/install-deps.sh)");
  temp_dir dir;
  auto c = admin_collector(dir.path());
  browser b(dir.path());
  open_settings(b, *c);
  fill_and_save(b, "not-the-admin-token-of-32-chars!", true, "100");
  BOOST_REQUIRE_MESSAGE(b.wait_for("document.body.dataset.state === 'unauthorized'"), status_text(b));
  BOOST_TEST(status_text(b) == "Not saved: the collector did not accept the admin token. Enter it again.");
  BOOST_TEST(b.text("document.getElementById('status').className") == "error");
  BOOST_TEST(b.text("document.getElementById('token').value") == "");  // to be entered again
  BOOST_TEST(b.eval("sessionStorage.getItem('telemetry-token')").is_null());
  auto stored = settings_of(*c);
  BOOST_TEST(stored.at("collection") == "off");
  BOOST_TEST(stored.at("retention_days") == 90);
  BOOST_TEST(stored.at("history").as_array().empty());

  fill_and_save(b, k_token, true, "100");
  BOOST_REQUIRE_MESSAGE(b.wait_for("document.body.dataset.state === 'saved'"), status_text(b));
  BOOST_TEST(settings_of(*c).at("retention_days") == 100);
  check_console(b, {"401"});
}

// Out of range: the page's own check stops it before any request; with that
// check out of the way (the input's min and max removed) the collector's 400
// is what the page shows. Nothing is saved either way.
BOOST_AUTO_TEST_CASE(an_out_of_range_duration_is_refused_by_the_page_and_by_the_collector) {
  BOOST_REQUIRE_MESSAGE(std::filesystem::exists(k_chromium), "Debian's chromium is needed (scripts/install-deps.sh)");
  temp_dir dir;
  auto c = admin_collector(dir.path());
  browser b(dir.path());
  open_settings(b, *c);
  b.eval("window.requests = 0; const f = window.fetch; window.fetch = (u, i) => { window.requests++; return f(u, i); }");
  fill_and_save(b, k_token, std::nullopt, "731");
  BOOST_REQUIRE_MESSAGE(b.wait_for("document.body.dataset.state === 'invalid'"), status_text(b));
  BOOST_TEST(status_text(b) == "Not saved: Storage Duration (days) must be a whole number from 1 to 730.");
  BOOST_TEST(b.eval("window.requests") == 0);

  // The collector's own answer to that value, as the page must show it.
  const auto direct = http_request(c->port(), boost::beast::http::verb::put, "/v1/settings", R"({"retention_days": 731})", k_token);
  BOOST_REQUIRE_MESSAGE(direct.status == 400u, direct.status << " " << direct.body);
  const auto refusal = json::parse(direct.body).as_object();
  BOOST_REQUIRE(refusal.at("field") == "retention_days");
  const std::string detail = json::value_to<std::string>(refusal.at("detail"));

  b.eval("const r = document.getElementById('retention'); r.removeAttribute('min'); r.removeAttribute('max')");
  b.eval("document.body.dataset.state = 'ready'");
  fill_and_save(b, k_token, std::nullopt, "731");
  BOOST_REQUIRE_MESSAGE(b.wait_for("document.body.dataset.state === 'invalid'"), status_text(b));
  BOOST_TEST(status_text(b) == "Not saved: the collector refused Storage Duration (days) (retention_days): " + detail + ".");
  BOOST_TEST(b.eval("window.requests") == 1);
  auto stored = settings_of(*c);
  BOOST_TEST(stored.at("retention_days") == 90);
  BOOST_TEST(stored.at("history").as_array().empty());
  check_console(b, {"400"});
}

// A shorter duration: before saving, the page shows how many raw events the
// next cleanup deletes and the first day kept, offers the export (a real
// download of every raw event), and saves only once confirmed.
BOOST_AUTO_TEST_CASE(a_shorter_duration_shows_what_the_cleanup_deletes_and_offers_an_export) {
  BOOST_REQUIRE_MESSAGE(std::filesystem::exists(k_chromium), "Debian's chromium is needed (scripts/install-deps.sh)");
  temp_dir dir;
  const auto db = dir.path() / "collector.db";
  {
    std::ofstream out(dir.path() / "old.ndjson");
    unsigned n = 0;
    for (auto [age, events] : {std::pair{40, 3}, {5, 4}, {0, 2}})
      for (int i = 0; i < events; ++i)
        out << json::serialize(json::object{{"received_at", days_ago(age) + "T12:00:00Z"},
                                            {"event", json::parse(example_event(test_uuid(n++)))}})
            << "\n";
  }
  auto imported = run({COLLECTOR_BIN, "import", "--db", db.string(), (dir.path() / "old.ndjson").string()});
  BOOST_REQUIRE_MESSAGE(imported.exit_code == 0, imported.err);
  auto c = admin_collector(dir.path());
  const auto preview = http_request(c->port(), boost::beast::http::verb::get, "/v1/settings/preview?retention_days=30", {}, k_token);
  BOOST_REQUIRE_MESSAGE(preview.status == 200u, preview.status << " " << preview.body);
  const auto expected = json::parse(preview.body).as_object();
  BOOST_REQUIRE(expected.at("raw_events_to_delete") == 3);  // the three from 40 days ago
  const std::string first_kept = json::value_to<std::string>(expected.at("first_kept_date"));

  browser b(dir.path());
  open_settings(b, *c);
  fill_and_save(b, k_token, std::nullopt, "30");
  BOOST_REQUIRE_MESSAGE(b.wait_for("document.body.dataset.state === 'confirm'"), status_text(b));
  BOOST_TEST(b.eval("document.getElementById('preview').hidden") == json::value(false));
  BOOST_TEST(b.text("document.getElementById('preview-text').textContent") ==
             "Keeping 30 day(s) instead of 90 deletes 3 raw event(s) once saved (the collector cleans at once): "
             "those from before " + first_kept + ", the first day kept. The daily aggregates remain.");
  BOOST_TEST(settings_of(*c).at("retention_days") == 90);  // not before the confirmation

  b.eval("document.getElementById('export').click()");
  BOOST_REQUIRE_MESSAGE(b.wait_for("document.body.dataset.exported === '9'"), status_text(b));
  const auto file = b.downloads() / ("telemetry-export-" + days_ago(0) + ".ndjson");
  BOOST_REQUIRE_MESSAGE(wait_until([&] { return std::filesystem::exists(file); }, 10s), file.string());
  std::size_t lines = 0;
  std::istringstream in(read_text(file));
  for (std::string line; std::getline(in, line); ++lines) BOOST_TEST(json::parse(line).as_object().contains("received_at"));
  BOOST_TEST(lines == 9u);

  b.eval("document.getElementById('confirm').click()");
  BOOST_REQUIRE_MESSAGE(b.wait_for("document.body.dataset.state === 'saved'"), status_text(b));
  BOOST_TEST(settings_of(*c).at("retention_days") == 30);
  BOOST_TEST(wait_until([&] { return c->events().size() == 6u; }, 10s));  // the three old ones, as the preview said
  BOOST_TEST(b.eval("document.getElementById('preview').hidden") == json::value(true));
  BOOST_TEST(b.text("document.querySelector('#history tbody tr').cells[3].textContent") == "90 → 30");
  check_console(b);
}

// The main page says when collection is off (a new database), and not once
// it is on; it links to the settings page, which links back.
BOOST_AUTO_TEST_CASE(the_dashboard_says_when_collection_is_off) {
  BOOST_REQUIRE_MESSAGE(std::filesystem::exists(k_chromium), "Debian's chromium is needed (scripts/install-deps.sh)");
  temp_dir dir;
  auto c = admin_collector(dir.path());
  BOOST_TEST(settings_of(*c).at("history").as_array().empty());  // as a new database: never changed
  browser b(dir.path());
  b.open(c->url());
  BOOST_REQUIRE_MESSAGE(b.wait_for("document.body.dataset.state === 'ready'"), b.dom());
  const std::string visible = "!document.getElementById('collection-notice').hidden";
  BOOST_TEST(b.eval(visible) == json::value(true));
  BOOST_TEST(b.text("document.getElementById('collection-notice').textContent.replace(/\\s+/g, ' ')") ==
             "Collection is off: this collector stores nothing. Turn it on in Settings.");

  const auto on = http_request(c->port(), boost::beast::http::verb::put, "/v1/settings", R"({"collection": "on"})", k_token);
  BOOST_REQUIRE_MESSAGE(on.status == 200u, on.status << " " << on.body);
  b.reload();
  BOOST_REQUIRE_MESSAGE(b.wait_for("document.body.dataset.state === 'ready'"), b.dom());
  BOOST_TEST(b.eval(visible) == json::value(false));
  BOOST_TEST(b.text("document.body.dataset.collection") == "on");

  const auto loads = [&] { return b.text("location.pathname"); };
  b.eval("setTimeout(() => document.getElementById('to-settings').click())");
  BOOST_REQUIRE(b.wait_for("location.pathname === '/settings' && document.body.dataset.state === 'ready'"));
  b.eval("setTimeout(() => document.getElementById('to-dashboard').click())");
  BOOST_REQUIRE(b.wait_for("location.pathname === '/' && document.body.dataset.state === 'ready'"));
  BOOST_TEST(loads() == "/");
  check_console(b);
}

// Without --admin-token-file the page shows the collector's detail on how to enable it.
BOOST_AUTO_TEST_CASE(the_settings_page_says_when_the_admin_api_is_disabled) {
  BOOST_REQUIRE_MESSAGE(std::filesystem::exists(k_chromium), "Debian's chromium is needed (scripts/install-deps.sh)");
  temp_dir dir;
  collector_process c(dir.path(), {"--collection", "off"});
  browser b(dir.path());
  open_settings(b, c);
  fill_and_save(b, k_token, true, std::nullopt);
  BOOST_REQUIRE_MESSAGE(b.wait_for("document.body.dataset.state === 'forbidden'"), status_text(b));
  BOOST_TEST(status_text(b) == "Not saved: the admin API is disabled: start the collector with --admin-token-file.");
  BOOST_TEST(settings_of(c).at("collection") == "off");
  check_console(b, {"403"});
}

// A collector that went away: the page says it cannot reach it.
BOOST_AUTO_TEST_CASE(the_settings_page_says_when_the_collector_cannot_be_reached) {
  BOOST_REQUIRE_MESSAGE(std::filesystem::exists(k_chromium), "Debian's chromium is needed (scripts/install-deps.sh)");
  temp_dir dir;
  auto c = admin_collector(dir.path());
  browser b(dir.path());
  open_settings(b, *c);
  BOOST_REQUIRE(c->stop() == 0);
  fill_and_save(b, k_token, true, std::nullopt);
  BOOST_REQUIRE_MESSAGE(b.wait_for("document.body.dataset.state === 'unreachable'"), status_text(b));
  BOOST_TEST(status_text(b).find("Not saved: cannot reach the collector (") == 0u, status_text(b));
  check_console(b, {"net::ERR_CONNECTION_REFUSED"});
}

// Under --private-stats the settings are read with the token too: the page
// asks for it, then shows them.
BOOST_AUTO_TEST_CASE(private_settings_are_shown_once_the_token_is_given) {
  BOOST_REQUIRE_MESSAGE(std::filesystem::exists(k_chromium), "Debian's chromium is needed (scripts/install-deps.sh)");
  temp_dir dir;
  auto c = admin_collector(dir.path(), {"--private-stats", "--retention-days", "45"});
  browser b(dir.path());
  b.open("http://127.0.0.1:" + std::to_string(c->port()) + "/settings");
  BOOST_REQUIRE_MESSAGE(b.wait_for("document.body.dataset.state === 'locked'"), b.dom());
  BOOST_TEST(status_text(b) == "This collector keeps its settings private: enter the admin token.");
  b.eval("document.getElementById('token').value = " + js(k_token));
  b.eval("document.querySelector('#login button').click()");
  BOOST_REQUIRE_MESSAGE(b.wait_for("document.body.dataset.state === 'ready'"), status_text(b));
  BOOST_TEST(b.text("document.getElementById('retention').value") == "45");
  BOOST_TEST(b.text("document.querySelector('#history tbody tr').cells[4].textContent") == "start flag");
  check_console(b, {"401"});
}

BOOST_AUTO_TEST_SUITE_END()
