// ipfs-stub: a small node daemon in the shape of Kubo's `ipfs`, for hosting
// plugins built against ipfs_plugin/abi.h.

#include "config_command.hpp"
#include "go_log.hpp"
#include "node_facts.hpp"
#include "plugin_host.hpp"
#include "repo.hpp"

#include "ipfs_common/edit_distance.hpp"
#include "ipfs_common/json_path.hpp"

#include <boost/json/array.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/program_options.hpp>

#include <pthread.h>
#include <signal.h>

#include <cstdlib>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#ifndef IPFS_STUB_VERSION
#define IPFS_STUB_VERSION "0.0.0"
#endif

namespace po = boost::program_options;
using namespace ipfs_stub;

namespace {

constexpr const char* k_usage = R"(USAGE
  ipfs-stub [--repo-dir DIR] <command> [options]

COMMANDS
  init                                   Create the repo and its config
  config KEY                             Print a config value
  config [--json | --bool] KEY VALUE     Set a config value (a string unless --json or --bool)
  daemon [--offline] [--reachability Unknown|Public|Private]
                                         Run the node until SIGINT or SIGTERM
  telemetry status [--json]              Telemetry mode, endpoint, UUID and retirement
  telemetry show                         The exact payload the node would send now
  telemetry erase                        Ask the collector to erase this node's events
  telemetry forget                       Remove the telemetry UUID file
  telemetry off [--erase]                Opt out (config Mode "off") and remove the UUID;
                                         with --erase, erase at the collector first
  version                                Print the version

The repo is --repo-dir, else $IPFS_PATH, else ~/.ipfs.
Logging: GOLOG_LOG_LEVEL, e.g. "telemetry=debug" or "error,telemetry=debug".
)";

std::optional<std::string> read_env(const char* name) {
  const char* v = std::getenv(name);
  if (!v) return std::nullopt;
  return std::string(v);
}

int error_exit(const std::string& message) {
  std::cerr << "Error: " << message << "\n";
  return 1;
}

std::string agent_version() { return std::string("ipfs-stub/") + IPFS_STUB_VERSION + "/"; }

std::vector<std::filesystem::path> plugin_dirs(const std::filesystem::path& repo) {
  return {bundled_plugin_dir(), repo / "plugins"};
}

int cmd_init(const std::filesystem::path& repo, const std::vector<std::string>& args) {
  if (!args.empty()) return error_exit("init takes no arguments");
  if (auto r = init_repo(repo); !r) return error_exit(r.error());
  std::cout << "initialized repo at " << repo.string() << "\n";
  return 0;
}

// Loads the repo's config and sets up the shared node state.
ipfs_common::message_result<node_state> load_state(const std::filesystem::path& repo, bool daemon) {
  auto cfg = load_config(repo);
  if (!cfg) return ipfs_common::fail(cfg.error());
  node_state s;
  s.repo = repo;
  s.config = std::move(*cfg);
  s.agent_version = agent_version();
  s.daemon = daemon;
  s.online = false;
  s.getenv = &read_env;
  return s;
}

// After `config` set a key under Plugins.Plugins.<name>: an opt-out must
// never fail silently, so a <name> that no installed plugin has is named
// (with the nearest installed name), and the plugin itself checks its new
// config at once, as the daemon would (its init warns naming the key). The
// check loads plugins whatever their Disabled says and changes nothing.
void check_plugin_setting(const std::filesystem::path& repo, const std::string& key, go_logger& log) {
  constexpr std::string_view prefix = "Plugins.Plugins.";
  if (key.rfind(prefix, 0) != 0) return;
  const std::string name = key.substr(prefix.size(), key.find('.', prefix.size()) - prefix.size());
  if (name.empty()) return;
  auto state = load_state(repo, false);
  if (!state) return;
  if (auto* plugins_obj = state->config.is_object() ? state->config.as_object().if_contains("Plugins") : nullptr;
      plugins_obj && plugins_obj->is_object())
    if (auto* each = plugins_obj->as_object().if_contains("Plugins"); each && each->is_object())
      for (auto& kv : each->as_object())
        if (kv.value().is_object()) kv.value().as_object().erase("Disabled");
  plugin_host plugins(log, *state);
  plugins.load(plugin_dirs(repo));
  const auto names = plugins.names();
  if (std::find(names.begin(), names.end(), name) == names.end()) {
    std::string installed, nearest;
    for (const auto& n : names) {
      installed += (installed.empty() ? "" : ", ") + n;
      if (ipfs_common::edit_distance(n, name) <= 3) nearest = n;
    }
    std::cerr << "Warning: no plugin named \"" << name << "\" is installed"
              << (nearest.empty() ? "" : "; did you mean \"" + nearest + "\"?") << " (installed: "
              << (installed.empty() ? "none" : installed) << "). " << key << " was saved but nothing reads it.\n";
    return;
  }
  plugins.init_all(IPFS_PLUGIN_CONTEXT_COMMAND, name);  // the plugin's own warnings go to stderr
}

int cmd_config(const std::filesystem::path& repo, const std::vector<std::string>& args, go_logger& log) {
  po::options_description opts("config options");
  opts.add_options()("json", "parse VALUE as JSON")("bool", "parse VALUE as true or false")(
      "key", po::value<std::string>())("value", po::value<std::string>());
  po::positional_options_description pos;
  pos.add("key", 1).add("value", 1);
  po::variables_map vm;
  po::store(po::command_line_parser(args).options(opts).positional(pos).run(), vm);
  if (!vm.count("key")) return error_exit("config needs a KEY; usage: ipfs-stub config [--json | --bool] KEY [VALUE]");
  const auto key = vm["key"].as<std::string>();
  if (vm.count("json") && vm.count("bool")) return error_exit("config: --json and --bool exclude each other");
  if (!vm.count("value")) {
    if (vm.count("json") || vm.count("bool")) return error_exit("config --json/--bool needs a VALUE");
    auto v = config_get(repo, key);
    if (!v) return error_exit(v.error());
    std::cout << *v << "\n";
    return 0;
  }
  const auto kind = vm.count("json") ? value_kind::json : vm.count("bool") ? value_kind::boolean : value_kind::string;
  if (auto r = config_set(repo, key, vm["value"].as<std::string>(), kind); !r) return error_exit(r.error());
  check_plugin_setting(repo, key, log);
  return 0;
}


int cmd_daemon(const std::filesystem::path& repo, const std::vector<std::string>& args, go_logger& log) {
  po::options_description opts("daemon options");
  opts.add_options()("offline", "run without network")(
      "reachability", po::value<std::string>()->default_value("Unknown"), "Unknown, Public or Private");
  po::variables_map vm;
  po::store(po::command_line_parser(args).options(opts).run(), vm);
  const auto reach = vm["reachability"].as<std::string>();
  if (reach != "Unknown" && reach != "Public" && reach != "Private")
    return error_exit("--reachability: \"" + reach + "\" is not accepted; use Unknown, Public or Private");

  auto state = load_state(repo, true);
  if (!state) return error_exit(state.error());
  state->online = !vm.count("offline");
  state->reachability = reach;

  // Signals are taken synchronously by this thread only; threads created
  // from here on (plugins') inherit the mask.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  plugin_host plugins(log, *state);
  plugins.load(plugin_dirs(repo));
  plugins.init_all(IPFS_PLUGIN_CONTEXT_DAEMON);
  plugins.start_all();

  log.log(log_level::info, "daemon", "repo " + repo.string() + ", " + (state->online ? "online" : "offline") +
                                         ", agent " + state->agent_version);
  std::cout << "Daemon is ready" << std::endl;

  int sig = 0;
  sigwait(&stop_signals, &sig);
  log.log(log_level::info, "daemon", std::string("received ") + (sig == SIGINT ? "SIGINT" : "SIGTERM") +
                                         ", shutting down");
  plugins.close_all();
  log.log(log_level::info, "daemon", "stopped");
  return 0;
}

// `ipfs-stub telemetry off [--erase]`: the host owns the config, the plugin
// the UUID and the transport. Order matters: erase while the UUID is still
// there (and stop if that fails, changing nothing), then opt out in the
// config, then remove the UUID.
int cmd_telemetry_off(const std::filesystem::path& repo, plugin_host& plugins, const std::vector<std::string>& args) {
  bool erase = false;
  for (std::size_t i = 1; i < args.size(); ++i) {
    if (args[i] == "--erase")
      erase = true;
    else
      return error_exit("unknown argument \"" + args[i] + "\" for 'telemetry off'; accepted: --erase");
  }
  if (erase) {
    auto out = plugins.command("telemetry", "erase", "[]");
    if (!out) return error_exit(out.error());
    if (out->status != IPFS_PLUGIN_OK) return error_exit(out->text + "; telemetry was left as it was");
    std::cout << out->text;
  }
  constexpr const char* key = "Plugins.Plugins.telemetry.Config.Mode";
  if (auto set = config_set(repo, key, "off", value_kind::string); !set)
    return error_exit("cannot set " + std::string(key) + ": " + set.error());
  std::cout << "set " << key << " to \"off\"\n";
  auto out = plugins.command("telemetry", "forget", "[]");
  if (!out) return error_exit(out.error());
  if (out->status != IPFS_PLUGIN_OK) return error_exit(out->text);
  std::cout << out->text << std::flush;
  return 0;
}

// `ipfs-stub <plugin> <command> [args]`: a command a plugin offers.
int cmd_plugin(const std::filesystem::path& repo, const std::string& plugin, const std::vector<std::string>& args,
               go_logger& log) {
  if (args.empty()) return error_exit(plugin + " needs a subcommand; see 'ipfs-stub --help'");
  auto state = load_state(repo, false);
  if (!state) return error_exit(state.error());
  // A disabled plugin's commands still work (`telemetry status`, `off`,
  // `forget`, `erase` are how one checks and cleans up after disabling): it
  // is loaded for this command alone, and the user is told. The daemon never
  // loads it.
  const auto* disabled_flag = ipfs_common::find_path(state->config, std::vector<std::string>{"Plugins", "Plugins", plugin, "Disabled"});
  const bool disabled = disabled_flag && disabled_flag->is_bool() && disabled_flag->get_bool();
  if (disabled) {
    state->config.as_object()["Plugins"].as_object()["Plugins"].as_object()[plugin].as_object().erase("Disabled");
    log.log(log_level::info, "plugin",
            "plugin " + plugin + " is disabled (Plugins.Plugins." + plugin +
                ".Disabled); loaded for this command only, the daemon does not load it");
  }
  plugin_host plugins(log, *state);
  plugins.load(plugin_dirs(repo));
  const auto names = plugins.names();
  if (std::find(names.begin(), names.end(), plugin) == names.end())
    return error_exit("unknown command \"" + plugin + "\" (no such built-in command or loaded plugin); see 'ipfs-stub --help'");
  plugins.init_all(IPFS_PLUGIN_CONTEXT_COMMAND, plugin);
  if (plugin == "telemetry" && args[0] == "off") return cmd_telemetry_off(repo, plugins, args);
  boost::json::array rest;
  for (std::size_t i = 1; i < args.size(); ++i) rest.emplace_back(args[i]);
  auto out = plugins.command(plugin, args[0], boost::json::serialize(rest));
  if (!out) return error_exit(out.error());
  if (out->status != IPFS_PLUGIN_OK) return error_exit(out->text);
  if (disabled && args[0] == "status") {
    // Whatever the plugin's own settings say, a daemon sends nothing.
    boost::system::error_code ec;
    auto jv = boost::json::parse(out->text, ec);
    if (!ec && jv.is_object()) {
      auto& o = jv.as_object();
      o["plugin_disabled"] = true;
      o["will_send"] = false;
      o["not_sending_reason"] = "the plugin is disabled (Plugins.Plugins." + plugin + ".Disabled)";
      out->text = boost::json::serialize(jv) + "\n";
    } else {
      out->text = "Plugin:    disabled (Plugins.Plugins." + plugin +
                  ".Disabled): the daemon does not load it, nothing will be sent\n" + out->text;
    }
  }
  std::cout << out->text << std::flush;
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  signal(SIGPIPE, SIG_IGN);

  log_levels levels;
  std::optional<std::string> level_error;
  if (auto spec = read_env("GOLOG_LOG_LEVEL")) {
    if (auto parsed = parse_golog_level(*spec))
      levels = *parsed;
    else
      level_error = parsed.error();
  }
  go_logger log(levels);
  if (level_error) log.log(log_level::error, "log", *level_error + "; using the default level info");

  try {
    po::options_description global("global options");
    global.add_options()("help,h", "show usage")("version", "print the version")(
        "repo-dir", po::value<std::string>(), "repo directory")("command", po::value<std::string>())(
        "args", po::value<std::vector<std::string>>());
    po::positional_options_description pos;
    pos.add("command", 1).add("args", -1);
    auto parsed = po::command_line_parser(argc, argv).options(global).positional(pos).allow_unregistered().run();
    po::variables_map vm;
    po::store(parsed, vm);

    if (vm.count("help") || !vm.count("command")) {
      std::cout << k_usage;
      return vm.count("help") ? 0 : 1;
    }
    const auto command = vm["command"].as<std::string>();
    // Everything after the command, options included, belongs to it.
    std::vector<std::string> args = po::collect_unrecognized(parsed.options, po::include_positional);
    args.erase(args.begin());

    if (command == "version" || vm.count("version")) {
      std::cout << "ipfs-stub version " << IPFS_STUB_VERSION << "\n";
      return 0;
    }
    std::optional<std::string> repo_flag;
    if (vm.count("repo-dir")) repo_flag = vm["repo-dir"].as<std::string>();
    auto repo = resolve_repo_path(repo_flag, &read_env);
    if (!repo) return error_exit(repo.error());

    if (command == "init") return cmd_init(*repo, args);
    if (command == "config") return cmd_config(*repo, args, log);
    if (command == "daemon") return cmd_daemon(*repo, args, log);
    return cmd_plugin(*repo, command, args, log);
  } catch (const po::error& e) {
    return error_exit(std::string(e.what()) + "; see 'ipfs-stub --help'");
  } catch (const std::exception& e) {
    return error_exit(e.what());
  }
}
