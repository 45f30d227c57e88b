#include "config_command.hpp"
#include "go_log.hpp"
#include "node_facts.hpp"
#include "plugin_host.hpp"
#include "repo.hpp"

#include "ipfs_common/json_path.hpp"
#include "support/test_support.hpp"

#include <boost/json/parse.hpp>
#include <boost/test/unit_test.hpp>

#include <map>
#include <optional>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

using namespace ipfs_stub;
BOOST_TEST_DONT_PRINT_LOG_VALUE(ipfs_stub::log_level)
using test_support::read_text;
using test_support::temp_dir;
using test_support::write_text;

BOOST_AUTO_TEST_SUITE(host_tests)

BOOST_AUTO_TEST_CASE(golog_level_forms_used_with_kubo) {
  auto a = parse_golog_level("telemetry=debug");
  BOOST_REQUIRE(a.has_value());
  BOOST_TEST(a->threshold("telemetry") == log_level::debug);
  BOOST_TEST(a->threshold("daemon") == log_level::info);

  auto b = parse_golog_level("debug");
  BOOST_REQUIRE(b.has_value());
  BOOST_TEST(b->threshold("anything") == log_level::debug);

  auto c = parse_golog_level("error,telemetry=debug");
  BOOST_REQUIRE(c.has_value());
  BOOST_TEST(c->threshold("telemetry") == log_level::debug);
  BOOST_TEST(c->threshold("daemon") == log_level::error);

  auto d = parse_golog_level("WARN, plugin=ERROR");
  BOOST_REQUIRE(d.has_value());
  BOOST_TEST(d->threshold("x") == log_level::warn);
  BOOST_TEST(d->threshold("plugin") == log_level::error);

  BOOST_TEST(parse_golog_level("").has_value());
}

BOOST_AUTO_TEST_CASE(golog_level_errors_name_the_entry_and_accepted_levels) {
  auto r = parse_golog_level("telemetry=loud");
  BOOST_REQUIRE(!r.has_value());
  BOOST_TEST(r.error().find("\"loud\"") != std::string::npos);
  BOOST_TEST(r.error().find("debug, info, warn, error") != std::string::npos);
  BOOST_TEST(!parse_golog_level("=debug").has_value());
}

// go-log reads its older variables when the GOLOG_ ones are unset or empty, and messages name the one read.
BOOST_AUTO_TEST_CASE(golog_variables_fall_back_to_go_logs_older_names) {
  std::map<std::string, std::string> env{{"IPFS_LOGGING", "telemetry=debug"}, {"GOLOG_LOG_FMT", ""},
                                         {"IPFS_LOGGING_FMT", "json"}};
  const auto getenv = [&](const char* name) -> std::optional<std::string> {
    auto it = env.find(name);
    return it == env.end() ? std::nullopt : std::optional<std::string>(it->second);
  };
  auto level = golog_env("GOLOG_LOG_LEVEL", getenv);
  BOOST_REQUIRE(level.has_value());
  BOOST_TEST(level->value == "telemetry=debug");
  BOOST_TEST(level->variable == "IPFS_LOGGING");
  auto fmt = golog_env("GOLOG_LOG_FMT", getenv);
  BOOST_REQUIRE(fmt.has_value());
  BOOST_TEST(fmt->variable == "IPFS_LOGGING_FMT");
  env["GOLOG_LOG_LEVEL"] = "error";  // the GOLOG_ name wins
  BOOST_TEST(golog_env("GOLOG_LOG_LEVEL", getenv)->value == "error");
  env.clear();
  BOOST_TEST(!golog_env("GOLOG_LOG_LEVEL", getenv).has_value());
  BOOST_TEST(parse_golog_level("x=loud", "IPFS_LOGGING").error().rfind("IPFS_LOGGING: unknown level", 0) == 0u);
  BOOST_TEST(parse_golog_fmt("xml", "IPFS_LOGGING_FMT").error().rfind("IPFS_LOGGING_FMT: ", 0) == 0u);
}

BOOST_AUTO_TEST_CASE(logger_writes_go_log_shaped_lines_and_filters) {
  temp_dir dir;
  const auto path = dir.path() / "log";
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  {
    go_logger log(*parse_golog_level("error,telemetry=debug"), fd);
    log.log(log_level::debug, "telemetry", "shown");
    log.log(log_level::info, "daemon", "hidden");
    log.log(log_level::error, "daemon", "also shown");
  }
  ::close(fd);
  const auto text = read_text(path);
  BOOST_TEST(text.find("\tDEBUG\ttelemetry\tshown\n") != std::string::npos);
  BOOST_TEST(text.find("hidden") == std::string::npos);
  BOOST_TEST(text.find("\tERROR\tdaemon\talso shown\n") != std::string::npos);
  // RFC 3339 UTC timestamp with milliseconds first.
  BOOST_TEST(text.size() > 24);
  BOOST_TEST(text[4] == '-');
  BOOST_TEST(text[10] == 'T');
  BOOST_TEST(text[23] == 'Z');
}

BOOST_AUTO_TEST_CASE(repo_path_precedence) {
  auto env = [](const char* n) -> std::optional<std::string> {
    if (std::string(n) == "IPFS_PATH") return std::string("/env/repo");
    if (std::string(n) == "HOME") return std::string("/home/u");
    return std::nullopt;
  };
  auto no_ipfs_path = [](const char* n) -> std::optional<std::string> {
    if (std::string(n) == "HOME") return std::string("/home/u");
    return std::nullopt;
  };
  BOOST_TEST(resolve_repo_path(std::string("/flag"), env)->string() == "/flag");
  BOOST_TEST(resolve_repo_path(std::nullopt, env)->string() == "/env/repo");
  BOOST_TEST(resolve_repo_path(std::nullopt, no_ipfs_path)->string() == "/home/u/.ipfs");
  BOOST_TEST(!resolve_repo_path(std::nullopt, [](const char*) { return std::optional<std::string>(); }).has_value());
}

BOOST_AUTO_TEST_CASE(init_writes_kubo_defaults_privately_and_refuses_to_overwrite) {
  temp_dir dir;
  const auto repo = dir.path() / "repo";
  BOOST_REQUIRE(init_repo(repo).has_value());
  struct stat st {};
  ::stat((repo / "config").c_str(), &st);
  BOOST_TEST((st.st_mode & 0777) == 0600u);
  ::stat(repo.c_str(), &st);
  BOOST_TEST((st.st_mode & 0777) == 0700u);
  auto cfg = load_config(repo);
  BOOST_REQUIRE(cfg.has_value());
  BOOST_TEST(*ipfs_common::find_path(*cfg, "Bootstrap") == boost::json::parse(R"(["auto"])"));
  BOOST_TEST(*ipfs_common::find_path(*cfg, "Discovery.MDNS.Enabled") == boost::json::value(true));
  BOOST_TEST(*ipfs_common::find_path(*cfg, "Routing.DelegatedRouters") == boost::json::parse(R"(["auto"])"));
  BOOST_TEST(ipfs_common::find_path(*cfg, "Addresses.Swarm")->as_array().size() == 8u);

  write_text(repo / "config", "{\"mine\": true}");
  auto again = init_repo(repo);
  BOOST_TEST(!again.has_value());
  BOOST_TEST(read_text(repo / "config") == "{\"mine\": true}");
}

BOOST_AUTO_TEST_CASE(config_set_and_get_with_dotted_keys) {
  temp_dir dir;
  BOOST_REQUIRE(init_repo(dir.path()).has_value());
  BOOST_REQUIRE(config_set(dir.path(), "Plugins.Plugins.telemetry.Config.Mode", "off", value_kind::string).has_value());
  BOOST_TEST(*config_get(dir.path(), "Plugins.Plugins.telemetry.Config.Mode") == "off");
  BOOST_REQUIRE(config_set(dir.path(), "Routing.DelegatedRouters", "[\"a\",\"b\"]", value_kind::json).has_value());
  BOOST_TEST(*config_get(dir.path(), "Routing.DelegatedRouters") == "[\n  \"a\",\n  \"b\"\n]");
  BOOST_REQUIRE(config_set(dir.path(), "Plugins.Plugins.telemetry.Disabled", "true", value_kind::boolean).has_value());
  BOOST_TEST(*config_get(dir.path(), "Plugins.Plugins.telemetry.Disabled") == "true");
}

BOOST_AUTO_TEST_CASE(config_errors_are_clear_and_leave_the_file_untouched) {
  temp_dir dir;
  BOOST_REQUIRE(init_repo(dir.path()).has_value());
  const auto before = read_text(dir.path() / "config");

  auto bad_json = config_set(dir.path(), "Routing.Type", "{nope", value_kind::json);
  BOOST_REQUIRE(!bad_json.has_value());
  BOOST_TEST(bad_json.error().find("Routing.Type") != std::string::npos);

  auto through_array = config_set(dir.path(), "Bootstrap.x", "1", value_kind::string);
  BOOST_REQUIRE(!through_array.has_value());
  BOOST_TEST(through_array.error().find("\"Bootstrap\"") != std::string::npos);

  BOOST_TEST(!config_set(dir.path(), "A..B", "1", value_kind::string).has_value());
  BOOST_TEST(!config_set(dir.path(), "", "1", value_kind::string).has_value());
  BOOST_TEST(!config_set(dir.path(), "X", "maybe", value_kind::boolean).has_value());
  BOOST_TEST(read_text(dir.path() / "config") == before);

  auto missing = config_get(dir.path(), "No.Such.Key");
  BOOST_REQUIRE(!missing.has_value());
  BOOST_TEST(missing.error().find("No.Such.Key") != std::string::npos);

  write_text(dir.path() / "config", "{broken");
  auto broken = config_set(dir.path(), "A", "1", value_kind::string);
  BOOST_REQUIRE(!broken.has_value());
  BOOST_TEST(broken.error().find("not valid JSON") != std::string::npos);
  BOOST_TEST(read_text(dir.path() / "config") == "{broken");
}

BOOST_AUTO_TEST_CASE(node_addresses_follow_announce_rules) {
  auto cfg = boost::json::parse(R"({"Addresses":{"Swarm":["/s1","/s2"],"Announce":[],"AppendAnnounce":["/a1"],"NoAnnounce":["/s2"]}})");
  BOOST_TEST((node_addresses(cfg) == std::vector<std::string>{"/s1", "/a1"}));
  cfg = boost::json::parse(R"({"Addresses":{"Swarm":["/s1"],"Announce":["/n1","/n2"],"AppendAnnounce":[],"NoAnnounce":["/n1"]}})");
  BOOST_TEST((node_addresses(cfg) == std::vector<std::string>{"/n2"}));
  BOOST_TEST(node_addresses(boost::json::parse("{}")).empty());
}

BOOST_AUTO_TEST_CASE(repo_size_sums_apparent_sizes_without_following_links) {
  temp_dir dir;
  write_text(dir.path() / "a", std::string(1000, 'x'));
  std::filesystem::create_directories(dir.path() / "blocks" / "AB");
  write_text(dir.path() / "blocks" / "AB" / "b", std::string(24, 'y'));
  // A sparse file counts with its apparent size.
  BOOST_REQUIRE(::truncate((dir.path() / "a").c_str(), 5000) == 0);
  std::filesystem::create_symlink("/usr", dir.path() / "link");
  BOOST_TEST(*repo_size(dir.path()) == 5024u);
}

BOOST_AUTO_TEST_CASE(repo_size_gives_up_when_asked_to_stop) {
  test_support::temp_dir dir;
  for (int i = 0; i < 50; ++i) test_support::write_text(dir.path() / ("f" + std::to_string(i)), "x");
  std::atomic<bool> stop{false};
  BOOST_TEST(*repo_size(dir.path(), &stop) == 50u);
  stop = true;
  BOOST_TEST(!repo_size(dir.path(), &stop).has_value());  // a shutdown interrupts the walk
  BOOST_TEST(*repo_size(dir.path()) == 50u);
}

BOOST_AUTO_TEST_CASE(private_network_from_swarm_key_or_env) {
  temp_dir dir;
  auto none = [](const char*) { return std::optional<std::string>(); };
  auto forced = [](const char* n) -> std::optional<std::string> {
    return std::string(n) == "LIBP2P_FORCE_PNET" ? std::optional<std::string>("1") : std::nullopt;
  };
  BOOST_TEST(!private_network(dir.path(), none));
  BOOST_TEST(private_network(dir.path(), forced));
  write_text(dir.path() / "swarm.key", "/key/swarm/psk/1.0.0/\n/base16/\nabc\n");
  BOOST_TEST(private_network(dir.path(), none));
}

BOOST_AUTO_TEST_CASE(descriptor_validation) {
  BOOST_TEST(!validate_descriptor(nullptr).has_value());
  ipfs_plugin_descriptor d{};
  d.abi_version = IPFS_PLUGIN_ABI_VERSION;
  d.struct_size = sizeof d;
  d.name = "x";
  d.init = [](const ipfs_plugin_env*, ipfs_plugin_instance**) -> int32_t { return 0; };
  d.close = [](ipfs_plugin_instance*) -> int32_t { return 0; };
  d.free_string = [](char*) {};
  BOOST_TEST(validate_descriptor(&d).has_value());

  auto v = d;
  v.abi_version = 2;
  auto r = validate_descriptor(&v);
  BOOST_REQUIRE(!r.has_value());
  BOOST_TEST(r.error().find("unsupported plugin ABI version 2") != std::string::npos);

  auto s = d;
  s.struct_size = 8;
  r = validate_descriptor(&s);
  BOOST_REQUIRE(!r.has_value());
  BOOST_TEST(r.error().find("too small") != std::string::npos);

  auto n = d;
  n.name = "";
  BOOST_TEST(!validate_descriptor(&n).has_value());
  auto i = d;
  i.init = nullptr;
  BOOST_TEST(!validate_descriptor(&i).has_value());
}

BOOST_AUTO_TEST_SUITE_END()
