// ipfs-stub's commands and plugin loading, with the real binaries.
#include "support/integration.hpp"

#include <boost/json/parse.hpp>
#include <boost/test/unit_test.hpp>

#include <csignal>
#include <sstream>
#include <thread>

using namespace test_support;

namespace {
struct fixture {
  temp_dir dir;
  node n{dir.path()};
};
}  // namespace

BOOST_FIXTURE_TEST_SUITE(integration_cli_tests, fixture)

BOOST_AUTO_TEST_CASE(telemetry_show_prints_the_payload_and_creates_nothing) {
  auto r = n.cli({"telemetry", "show"});
  BOOST_REQUIRE_EQUAL(r.exit_code, 0);
  auto e = boost::json::parse(r.out).as_object();
  BOOST_TEST(e.size() == 28u);
  BOOST_TEST(e.at("uuid").as_string() == "00000000-0000-0000-0000-000000000000");
  BOOST_TEST(r.err.find("placeholder") != std::string::npos);
  BOOST_TEST(!std::filesystem::exists(n.uuid_file()));

  write_text(n.uuid_file(), "f81d4fae-7dec-41d0-a765-00a0c91e6bf6\n");
  r = n.cli({"telemetry", "show"});
  BOOST_TEST(boost::json::parse(r.out).at("uuid").as_string() == "f81d4fae-7dec-41d0-a765-00a0c91e6bf6");
  BOOST_TEST(r.err.find("placeholder") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(telemetry_show_matches_what_the_daemon_sends) {
  collector_process collector(dir.path());
  n.point_at(collector.url(), "100ms");
  auto d = n.daemon();
  BOOST_REQUIRE(collector.wait_for_events(1));
  BOOST_TEST(d->stop() == 0);
  auto shown = boost::json::parse(n.cli({"telemetry", "show"}).out);
  BOOST_TEST(shown == collector.events().front());
}

BOOST_AUTO_TEST_CASE(telemetry_status_reports_mode_source_endpoint_uuid_and_retirement) {
  auto status = [&](env_changes env = {}) {
    auto r = n.cli({"telemetry", "status", "--json"}, std::move(env));
    BOOST_REQUIRE_EQUAL(r.exit_code, 0);
    return boost::json::parse(r.out).as_object();
  };
  auto s = status();
  BOOST_TEST(s.at("mode").as_string() == "on");
  BOOST_TEST(s.at("mode_source").as_string() == "default");
  BOOST_TEST(s.at("endpoint_source").as_string() == "none");
  BOOST_TEST(!s.at("uuid_exists").as_bool());
  BOOST_TEST(!s.at("retired").as_bool());

  n.set("Plugins.Plugins.telemetry.Config.Mode", "auto");
  n.set("Plugins.Plugins.telemetry.Config.Endpoint", "http://127.0.0.1:9/");
  s = status();
  BOOST_TEST(s.at("mode").as_string() == "auto");
  BOOST_TEST(s.at("mode_source").as_string() == "config");
  BOOST_TEST(s.at("endpoint").as_string() == "http://127.0.0.1:9/");
  BOOST_TEST(s.at("endpoint_source").as_string() == "config");

  s = status({{"DO_NOT_TRACK", "1"}});
  BOOST_TEST(s.at("mode").as_string() == "off");
  BOOST_TEST(s.at("mode_source").as_string() == "DO_NOT_TRACK");

  s = status({{"IPFS_TELEMETRY", "on"}, {"DO_NOT_TRACK", "1"}});
  BOOST_TEST(s.at("mode").as_string() == "on");
  BOOST_TEST(s.at("mode_source").as_string() == "IPFS_TELEMETRY");

  write_text(n.uuid_file(), "f81d4fae-7dec-41d0-a765-00a0c91e6bf6\n");
  write_text(n.repo() / "telemetry_retired", "http://127.0.0.1:9/\n");
  s = status();
  BOOST_TEST(s.at("uuid_exists").as_bool());
  BOOST_TEST(s.at("retired").as_bool());

  auto text = n.cli({"telemetry", "status"});
  BOOST_TEST(text.out.find("Mode:      auto (from config=\"auto\")") != std::string::npos);
  BOOST_TEST(text.out.find("Retired:   yes") != std::string::npos);
  BOOST_TEST(text.out.find("f81d4fae-7dec-41d0-a765-00a0c91e6bf6") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(unknown_telemetry_subcommand_is_an_error) {
  auto r = n.cli({"telemetry", "frobnicate"});
  BOOST_TEST(r.exit_code == 1);
  BOOST_TEST(r.err.find("accepted: status [--json], show") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(disabled_plugin_is_not_loaded) {
  collector_process collector(dir.path());
  n.point_at(collector.url(), "100ms");
  n.set_json("Plugins.Plugins.telemetry.Disabled", "true");
  auto d = n.daemon();
  BOOST_REQUIRE(d->ready());
  BOOST_TEST(d->log_has("plugin telemetry is disabled (Plugins.Plugins.telemetry.Disabled); not loaded"));
  // The shared object is not mapped into the daemon at all, and no thread runs for it.
  BOOST_TEST(read_text("/proc/" + std::to_string(d->pid()) + "/maps").find("telemetry.so") == std::string::npos);
  const std::size_t host_threads = thread_count(d->pid());
  std::this_thread::sleep_for(1s);
  BOOST_TEST(collector.events().empty());
  BOOST_TEST(!std::filesystem::exists(n.uuid_file()));
  BOOST_TEST(d->stop() == 0);

  // Its commands still work, loaded for the command alone, and say that nothing is sent.
  auto r = n.cli({"telemetry", "status"});
  BOOST_TEST(r.exit_code == 0, r.err);
  BOOST_TEST(r.out.find("Plugin:    disabled") != std::string::npos, r.out);
  BOOST_TEST(r.out.find("Sending:   nothing will be sent: the plugin is disabled") != std::string::npos, r.out);
  BOOST_TEST(r.out.find("Schedule:") == std::string::npos, r.out);  // what will never run has no schedule
  BOOST_TEST(r.err.find("loaded for this command only") != std::string::npos, r.err);
  r = n.cli({"telemetry", "status", "--json"});
  BOOST_REQUIRE(r.exit_code == 0);
  auto st = boost::json::parse(r.out).as_object();
  BOOST_TEST(st.at("plugin_disabled").as_bool());
  BOOST_TEST(!st.at("will_send").as_bool());
  write_text(n.uuid_file(), "f81d4fae-7dec-41d0-a765-00a0c91e6bf6\n");
  r = n.cli({"telemetry", "erase"});
  BOOST_TEST(r.exit_code == 0, r.err);
  BOOST_TEST(r.out.find("(HTTP 204)") != std::string::npos, r.out);
  BOOST_TEST(n.cli({"telemetry", "forget"}).exit_code == 0);
  BOOST_TEST(!std::filesystem::exists(n.uuid_file()));
  BOOST_TEST(n.cli({"telemetry", "off"}).exit_code == 0);
  BOOST_TEST(n.cli({"config", "Plugins.Plugins.telemetry.Config.Mode"}).out == "off\n");
  n.set("Plugins.Plugins.telemetry.Config.Mode", "on");

  // Enabled and sending: the plugin adds exactly one thread.
  n.set_json("Plugins.Plugins.telemetry.Disabled", "false");
  auto e = n.daemon();
  BOOST_REQUIRE(collector.wait_for_events(1));
#if !defined(__SANITIZE_THREAD__)  // TSan's runtime adds a thread of its own
  BOOST_TEST(thread_count(e->pid()) == host_threads + 1);
#else
  (void)host_threads;
#endif
  BOOST_TEST(e->stop() == 0);
}

BOOST_AUTO_TEST_CASE(enabled_plugin_is_mapped) {
  auto d = n.daemon();
  BOOST_REQUIRE(d->ready());
  BOOST_TEST(read_text("/proc/" + std::to_string(d->pid()) + "/maps").find("telemetry.so") != std::string::npos);
  BOOST_TEST(d->stop() == 0);
}

BOOST_AUTO_TEST_CASE(host_refuses_bad_plugins_and_runs_on_with_good_ones) {
  collector_process collector(dir.path());
  n.point_at(collector.url(), "100ms");
  const auto plugins = n.repo() / "plugins";
  std::filesystem::create_directories(plugins);
  for (const char* name : {"hello.so", "bad_version.so", "too_small.so"})
    std::filesystem::copy_file(std::filesystem::path(TEST_PLUGIN_DIR) / name, plugins / name);
  write_text(plugins / "not_a_plugin.so", "this is not an ELF file");

  auto d = n.daemon();
  BOOST_REQUIRE(d->ready());
  BOOST_TEST(d->log_has("bad_version.so: unsupported plugin ABI version 99 (this host supports 1)"));
  BOOST_TEST(d->log_has("too_small.so: plugin descriptor too small: 16 bytes"));
  BOOST_TEST(d->log_has("cannot load plugin " + (plugins / "not_a_plugin.so").string()));
  BOOST_TEST(d->log_has("hello plugin initialized"));
  BOOST_TEST(d->log_has("hello plugin started"));
  BOOST_TEST(collector.wait_for_events(1));  // telemetry works beside them
  BOOST_TEST(d->stop() == 0);
  BOOST_TEST(d->log_has("hello plugin closed"));
}

BOOST_AUTO_TEST_CASE(init_refuses_an_existing_repo) {
  const auto before = read_text(n.repo() / "config");
  auto r = n.cli({"init"});
  BOOST_TEST(r.exit_code == 1);
  BOOST_TEST(r.err.find("refusing to overwrite") != std::string::npos);
  BOOST_TEST(read_text(n.repo() / "config") == before);
}

BOOST_AUTO_TEST_CASE(config_cli_get_set_and_errors) {
  BOOST_TEST(n.cli({"config", "Plugins.Plugins.telemetry.Config.Mode", "off"}).exit_code == 0);
  auto get = n.cli({"config", "Plugins.Plugins.telemetry.Config.Mode"});
  BOOST_TEST(get.out == "off\n");
  BOOST_TEST(n.cli({"config", "--json", "Routing.DelegatedRouters", "[]"}).exit_code == 0);
  BOOST_TEST(n.cli({"config", "Routing.DelegatedRouters"}).out == "[]\n");

  const auto before = read_text(n.repo() / "config");
  auto bad = n.cli({"config", "--json", "Routing.Type", "{bad"});
  BOOST_TEST(bad.exit_code == 1);
  BOOST_TEST(bad.err.find("invalid JSON value for Routing.Type") != std::string::npos);
  BOOST_TEST(read_text(n.repo() / "config") == before);

  auto missing = n.cli({"config", "No.Such"});
  BOOST_TEST(missing.exit_code == 1);
  BOOST_TEST(missing.err.find("\"No.Such\" has no value") != std::string::npos);
}

// An opt-out must never fail silently: a typo in the plugin's name, or a value
// the plugin will not accept, is reported when it is set, not at some later
// daemon start.
BOOST_AUTO_TEST_CASE(config_warns_at_once_about_settings_nothing_will_honour) {
  auto r = n.cli({"config", "Plugins.Plugins.telemtry.Config.Mode", "off"});
  BOOST_TEST(r.exit_code == 0, r.err);  // saved, as Kubo saves it
  BOOST_TEST(r.err.find("no plugin named \"telemtry\" is installed; did you mean \"telemetry\"?") != std::string::npos,
             r.err);

  r = n.cli({"config", "Plugins.Plugins.telemetry.Config.Delay", "soon"});
  BOOST_TEST(r.exit_code == 0, r.err);
  BOOST_TEST(r.err.find("Plugins.Plugins.telemetry.Config.Delay: invalid duration \"soon\"") != std::string::npos, r.err);
  BOOST_TEST(r.err.find("no plugin named") == std::string::npos, r.err);

  // A boolean given as a string is refused by the plugin; the host says how to give a boolean.
  r = n.cli({"config", "Plugins.Plugins.telemetry.Config.AllowHTTP", "true"});
  BOOST_TEST(r.err.find("Config.AllowHTTP: expected true or false, got \"true\"") != std::string::npos, r.err);
  BOOST_TEST(r.err.find("Note: saved as the string \"true\"; 'ipfs-stub config --bool "
                        "Plugins.Plugins.telemetry.Config.AllowHTTP true' saves a boolean") != std::string::npos, r.err);
  BOOST_TEST(n.cli({"config", "--bool", "Plugins.Plugins.telemetry.Config.AllowHTTP", "false"}).err.find("Note:") ==
             std::string::npos);

  // An Endpoint that a daemon would refuse to use.
  r = n.cli({"config", "Plugins.Plugins.telemetry.Config.Endpoint", "http://collector.example/"});
  BOOST_TEST(r.err.find("WARN\ttelemetry\ttelemetry: refusing to send telemetry in clear text to "
                        "http://collector.example/") != std::string::npos, r.err);
  n.set("Plugins.Plugins.telemetry.Config.Endpoint", "https://collector.example/");

  // Lower case works as in Kubo (Go's case-insensitive JSON keys): the opt-out takes effect.
  n.set("Plugins.Plugins.telemetry.Config.Delay", "0s");
  r = n.cli({"config", "Plugins.Plugins.telemetry.Config.mode", "off"});
  BOOST_TEST(r.err.find("telemetry disabled via opt-out") != std::string::npos, r.err);
  auto st = n.cli({"telemetry", "status", "--json"});
  BOOST_REQUIRE(st.exit_code == 0);
  BOOST_TEST(boost::json::parse(st.out).at("mode").as_string() == "off");

  // An opt-out that the environment overrides is named when it is saved.
  r = n.cli({"config", "Plugins.Plugins.telemetry.Config.Mode", "off"}, {{"IPFS_TELEMETRY", "on"}});
  BOOST_TEST(r.err.find("Config.Mode \"off\" is overridden by IPFS_TELEMETRY=\"on\"") != std::string::npos, r.err);

  // A disabled plugin is still a known name; setting Disabled itself is not a typo, and does not
  // initialise the plugin (disabling one that fails at init must work).
  n.set("Plugins.Plugins.telemetry.Config.Interval", "soon");
  r = n.cli({"config", "--bool", "Plugins.Plugins.telemetry.Disabled", "true"});
  BOOST_TEST(r.exit_code == 0);
  BOOST_TEST(r.err.find("no plugin named") == std::string::npos, r.err);
  BOOST_TEST(r.err.find("invalid duration") == std::string::npos, r.err);
  n.set("Plugins.Plugins.telemetry.Config.Interval", "24h");
  r = n.cli({"config", "Plugins.Plugins.telemetry.Config.Mode", "off"});
  BOOST_TEST(r.err.find("no plugin named") == std::string::npos, r.err);
}

// A value set above Plugins.Plugins.<name> is checked for every plugin it
// names. Kubo's daemon decodes Plugins, Plugins, Disabled and Config as Go
// struct fields, in any letter case, the last spelling winning: a key spelled
// so is honoured and checked, and one that another spelling overrides is named.
BOOST_AUTO_TEST_CASE(config_checks_every_level_and_spelling_of_a_plugin_setting) {
  auto r = n.cli({"config", "--json", "Plugins.Plugins.telemetry", R"({"Config": {"Delay": "soon"}})"});
  BOOST_TEST(r.exit_code == 0, r.err);
  BOOST_TEST(r.err.find("Plugins.Plugins.telemetry.Config.Delay: invalid duration \"soon\"") != std::string::npos,
             r.err);

  r = n.cli({"config", "--json", "Plugins.Plugins", R"({"telemtry": {"Config": {"Mode": "off"}}, "telemetry": {}})"});
  BOOST_TEST(r.exit_code == 0, r.err);
  BOOST_TEST(r.err.find("no plugin named \"telemtry\" is installed; did you mean \"telemetry\"?") != std::string::npos,
             r.err);
  BOOST_TEST(r.err.find("Plugins.Plugins.telemtry was saved but nothing reads it") != std::string::npos, r.err);
  BOOST_TEST(r.err.find("no plugin named \"telemetry\"") == std::string::npos, r.err);

  r = n.cli({"config", "--json", "Plugins.Plugins.telemetry.disabled", "true"});
  BOOST_TEST(r.exit_code == 0, r.err);
  BOOST_TEST(r.err.find("Warning") == std::string::npos, r.err);
  r = n.cli({"telemetry", "status", "--json"});
  BOOST_REQUIRE(r.exit_code == 0);
  BOOST_TEST(boost::json::parse(r.out).as_object().contains("plugin_disabled"), r.out);
  auto d = n.daemon();
  BOOST_REQUIRE(d->ready());
  BOOST_TEST(d->log_has("plugin telemetry is disabled (Plugins.Plugins.telemetry.Disabled); not loaded"));
  BOOST_TEST(d->stop() == 0);
  n.set_json("Plugins.Plugins.telemetry.disabled", "false");

  r = n.cli({"config", "plugins.Plugins.telemetry.config.Mode", "off"});  // comes after "Plugins": it wins
  BOOST_TEST(r.exit_code == 0, r.err);
  BOOST_TEST(r.err.find("telemetry disabled via opt-out") != std::string::npos, r.err);
  auto st = n.cli({"telemetry", "status", "--json"});
  BOOST_REQUIRE(st.exit_code == 0);
  BOOST_TEST(boost::json::parse(st.out).at("mode").as_string() == "off");

  r = n.cli({"config", "Plugins.Plugins.telemetry.Config.Mode", "on"});
  BOOST_TEST(r.exit_code == 0, r.err);
  BOOST_TEST(r.err.find("another spelling of it later in the config wins") != std::string::npos, r.err);
  st = n.cli({"telemetry", "status", "--json"});
  BOOST_TEST(boost::json::parse(st.out).at("mode").as_string() == "off");
}

// With telemetry off, or an endpoint that will not be used, status says so
// plainly instead of showing a schedule that will never run.
BOOST_AUTO_TEST_CASE(status_says_plainly_when_nothing_will_be_sent) {
  n.set("Plugins.Plugins.telemetry.Config.Endpoint", "http://collector.example/");  // clear text beyond loopback
  auto r = n.cli({"telemetry", "status"});
  BOOST_REQUIRE(r.exit_code == 0);
  BOOST_TEST(r.out.find("not used: refusing to send telemetry in clear text") != std::string::npos, r.out);
  BOOST_TEST(r.out.find("Sending:   nothing will be sent") != std::string::npos, r.out);
  BOOST_TEST(r.out.find("Schedule:") == std::string::npos, r.out);

  n.set("Plugins.Plugins.telemetry.Config.Endpoint", "http://127.0.0.1:99999/");
  r = n.cli({"telemetry", "status", "--json"});
  auto st = boost::json::parse(r.out).as_object();
  BOOST_TEST(!st.at("will_send").as_bool());
  BOOST_TEST(std::string(st.at("endpoint_problem").as_string()).find("no valid port") != std::string::npos);

  n.set("Plugins.Plugins.telemetry.Config.Endpoint", "http://127.0.0.1:9/");
  r = n.cli({"telemetry", "status"}, {{"IPFS_TELEMETRY", "off"}});
  BOOST_TEST(r.out.find("Sending:   nothing will be sent: telemetry is off (IPFS_TELEMETRY)") != std::string::npos, r.out);
  BOOST_TEST(r.out.find("Schedule:") == std::string::npos, r.out);
  r = n.cli({"telemetry", "status"});
  BOOST_TEST(r.out.find("Schedule:  first send") != std::string::npos, r.out);
  BOOST_TEST(r.out.find("Sending:") == std::string::npos, r.out);
  st = boost::json::parse(n.cli({"telemetry", "status", "--json"}).out).as_object();
  BOOST_TEST(st.at("will_send").as_bool());
  BOOST_TEST(st.at("not_sending_reason").is_null());
}

// Kubo's CLI habits: help everywhere (exit 0), exact option names with a
// hint, no prefix guessing, "--" ending the options, --enc=json, config show,
// GOLOG_LOG_FMT=json.
BOOST_AUTO_TEST_CASE(cli_conventions_as_kubo_has_them) {
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"--help"}, {"-h"}, {"config", "--help"}, {"daemon", "-h"}, {"init", "--help"},
        {"telemetry", "--help"}, {"telemetry", "status", "--help"}, {"telemetry", "off", "-h"}, {"version", "--help"}}) {
    auto r = n.cli(args);
    BOOST_TEST(r.exit_code == 0, args.back() << ": " << r.err);
    BOOST_TEST(r.out.find("USAGE") != std::string::npos, r.out);
  }
  BOOST_TEST(n.cli({"--version"}).out.find("ipfs-stub version") == 0u);
  BOOST_TEST(n.cli({"version"}).out.find("ipfs-stub version") == 0u);

  auto r = n.cli({"daemon", "--offlne"});
  BOOST_TEST(r.exit_code == 1);
  BOOST_TEST(r.err.find("unknown option \"--offlne\" for 'ipfs-stub daemon' (did you mean \"--offline\"?)") !=
                 std::string::npos, r.err);
  r = n.cli({"daemon", "--off"});  // no silent prefix matching
  BOOST_TEST(r.exit_code == 1);
  BOOST_TEST(r.err.find("unknown option \"--off\"") != std::string::npos, r.err);
  r = n.cli({"--repo", "x", "init"});
  BOOST_TEST(r.err.find("unknown option \"--repo\" (did you mean \"--repo-dir\"?)") != std::string::npos, r.err);
  r = n.cli({"deamon"});
  BOOST_TEST(r.err.find("unknown command \"deamon\" (did you mean \"daemon\"?)") != std::string::npos, r.err);
  r = run({IPFS_STUB_BIN, "deamon"}, {{"IPFS_PATH", (dir.path() / "no-repo").string()}});  // a typo, not a missing repo
  BOOST_TEST(r.err.find("unknown command \"deamon\" (did you mean \"daemon\"?)") != std::string::npos, r.err);
  r = run({IPFS_STUB_BIN, "telemetry", "status"}, {{"IPFS_PATH", (dir.path() / "no-repo").string()}});
  BOOST_TEST(r.err.find("no repo at") != std::string::npos, r.err);
  r = n.cli({"telemetry", "off", "extra"});
  BOOST_TEST(r.err.find("unexpected argument \"extra\" for 'ipfs-stub telemetry off'") != std::string::npos, r.err);
  r = n.cli({"telemetry", "stauts"});
  BOOST_TEST(r.err.find("(did you mean \"status\"?)") != std::string::npos, r.err);
  r = n.cli({"telemetry", "status", "--foo"});
  BOOST_TEST(r.err.find("unknown option \"--foo\"") != std::string::npos, r.err);
  r = n.cli({"telemetry", "status", "--jsn"});
  BOOST_TEST(r.err.find("unknown option \"--jsn\" for 'telemetry status' (did you mean \"--json\"?)") !=
                 std::string::npos, r.err);
  r = n.cli({"telemetry", "off", "--erse"});
  BOOST_TEST(r.exit_code == 1);
  BOOST_TEST(r.err.find("unknown option \"--erse\" for 'ipfs-stub telemetry off' (did you mean \"--erase\"?)") !=
                 std::string::npos, r.err);

  // "--" ends the options: a value may start with '-'.
  r = n.cli({"config", "Plugins.Plugins.telemetry.Config.Delay", "--", "-1s"});
  BOOST_TEST(r.exit_code == 0, r.err);
  BOOST_TEST(n.cli({"config", "Plugins.Plugins.telemetry.Config.Delay"}).out == "-1s\n");
  BOOST_TEST(r.err.find("\"-1s\" is too short") != std::string::npos, r.err);  // and checked at once
  r = n.cli({"config", "Plugins.Plugins.telemetry.Config.Delay", "-1s"});  // without "--": the way out is named
  BOOST_TEST(r.exit_code == 1);
  BOOST_TEST(r.err.find("unknown option \"-1s\" for 'ipfs-stub config'; if it is a value, put \"--\" before it") !=
                 std::string::npos, r.err);

  auto show = n.cli({"config", "show"});
  BOOST_REQUIRE(show.exit_code == 0);
  BOOST_TEST(boost::json::parse(show.out).at("Bootstrap").as_array().size() == 1u);
  r = n.cli({"config", "show", "x"});  // a command, not a key named "show"
  BOOST_TEST(r.exit_code == 1);
  BOOST_TEST(r.err.find("config show takes no arguments") != std::string::npos, r.err);
  BOOST_TEST(n.cli({"config", "show"}).out == show.out);

  auto enc = n.cli({"telemetry", "status", "--enc=json"});
  BOOST_TEST(enc.exit_code == 0, enc.err);
  BOOST_TEST(boost::json::parse(enc.out).at("mode").as_string() == "on");
  BOOST_TEST(n.cli({"telemetry", "status", "--enc", "json"}).out == enc.out);
  BOOST_TEST(n.cli({"telemetry", "status", "--enc=text"}).out.find("Mode:") == 0u);
  BOOST_TEST(n.cli({"telemetry", "status", "--enc=xml"}).exit_code == 1);
  r = n.cli({"telemetry", "show", "--enc=json"});  // named as typed, not as the "--json" it stands for
  BOOST_TEST(r.exit_code == 1);
  BOOST_TEST(r.err.find("\"--enc=json\" is not accepted by 'ipfs-stub telemetry show'") != std::string::npos, r.err);
  r = n.cli({"version", "--foo"});
  BOOST_TEST(r.exit_code == 1);
  BOOST_TEST(r.err.find("unknown option \"--foo\" for 'ipfs-stub version'") != std::string::npos, r.err);

  auto js = n.cli({"config", "Plugins.Plugins.telemetry.Config.Interval", "soon"}, {{"GOLOG_LOG_FMT", "json"}});
  std::istringstream lines(js.err);
  bool found = false;
  for (std::string line; std::getline(lines, line);) {
    auto o = boost::json::parse(line).as_object();  // every line is one JSON object
    BOOST_TEST(o.contains("ts"));
    BOOST_TEST(o.at("logger").as_string() == "telemetry");
    if (std::string(o.at("msg").as_string()).find("Config.Interval") != std::string::npos)
      found = o.at("level").as_string() == "warn";
  }
  BOOST_TEST(found, js.err);
  js = n.cli({"config", "Plugins.Plugins.telemetry.Config.Interval", "soon"}, {{"IPFS_LOGGING_FMT", "json"}});
  BOOST_TEST(boost::json::parse(js.err.substr(0, js.err.find('\n'))).at("level").as_string() == "warn", js.err);
}

BOOST_AUTO_TEST_CASE(repo_comes_from_ipfs_path) {
  auto r = run({IPFS_STUB_BIN, "config", "Bootstrap"}, {{"IPFS_PATH", n.repo().string()}});
  BOOST_TEST(r.exit_code == 0);
  BOOST_TEST(r.out.find("\"auto\"") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_bad_golog_level_is_reported_and_the_default_used) {
  auto d = n.daemon({}, {{"GOLOG_LOG_LEVEL", "telemetry=loud"}});
  BOOST_REQUIRE(d->ready());
  BOOST_TEST(d->log_has("GOLOG_LOG_LEVEL: unknown level \"loud\""));
  BOOST_TEST(d->log_has("no endpoint configured"));  // info still shown
  BOOST_TEST(d->stop() == 0);
}

BOOST_AUTO_TEST_CASE(sigint_stops_the_daemon_too) {
  auto d = n.daemon();
  BOOST_REQUIRE(d->ready());
  ::kill(d->pid(), SIGINT);
  BOOST_REQUIRE(d->wait_log("\tstopped"));
  BOOST_TEST(d->stop() == 0);
  BOOST_TEST(d->log_has("received SIGINT"));
}

BOOST_AUTO_TEST_SUITE_END()
