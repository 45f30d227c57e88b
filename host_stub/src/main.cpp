// ipfs-stub: a small node daemon in the shape of Kubo's `ipfs`, for hosting
// plugins built against ipfs_plugin/abi.h.

#include "cli.hpp"
#include "config_command.hpp"
#include "go_log.hpp"
#include "node_facts.hpp"
#include "plugin_host.hpp"
#include "repo.hpp"

#include "ipfs_common/edit_distance.hpp"
#include "ipfs_common/json_path.hpp"
#include "ipfs_common/json_pretty.hpp"

#include <boost/json/array.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/program_options.hpp>

#include <pthread.h>
#include <signal.h>

#include <cstdlib>
#include <iostream>
#include <optional>
#include <sstream>
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
  config show                            Print the whole config
  daemon [--offline] [--reachability Unknown|Public|Private]
                                         Run the node until SIGINT or SIGTERM
  telemetry status [--json | --enc=json] Telemetry mode, endpoint, UUID and retirement
  telemetry show                         The exact payload the node would send now
  telemetry access [--json]              Print the events the collector holds under this node's UUID (NDJSON)
  telemetry erase                        Ask the collector to erase this node's events
  telemetry forget                       Remove the telemetry UUID file
  telemetry off [--erase]                Opt out (config Mode "off") and remove the UUID;
                                         with --erase, erase at the collector first
  version                                Print the version

GLOBAL OPTIONS (before the command)
  --repo-dir DIR                         The repo (else $IPFS_PATH, else ~/.ipfs)
  -h, --help                             This text; after a command, that command's help
  --version                              Print the version

Options are matched exactly; "--" ends them, so a value such as "-1s" can follow it.
Logging: GOLOG_LOG_LEVEL, e.g. "telemetry=debug" or "error,telemetry=debug";
GOLOG_LOG_FMT=json for one JSON object per line (go-log's older IPFS_LOGGING and
IPFS_LOGGING_FMT are read when these are unset).
)";

// Help of each command, for `ipfs-stub <command> --help`.
const char* command_help(const std::string& command) {
  if (command == "init") return "USAGE\n  ipfs-stub init\n\nCreates the repo ($IPFS_PATH) and its config with Kubo's defaults.\n";
  if (command == "config")
    return "USAGE\n  ipfs-stub config KEY\n  ipfs-stub config [--json | --bool] [--] KEY VALUE\n  ipfs-stub config show\n\n"
           "Prints or sets a dotted KEY of the config (e.g. Plugins.Plugins.telemetry.Config.Mode). VALUE is a\n"
           "string unless --json (any JSON) or --bool (true or false). \"--\" ends the options, so a VALUE may\n"
           "start with '-'. \"show\" prints the whole config. A key under Plugins.Plugins is checked when set.\n";
  if (command == "daemon")
    return "USAGE\n  ipfs-stub daemon [--offline] [--reachability Unknown|Public|Private]\n\n"
           "Runs the node until SIGINT or SIGTERM. --offline: no network (plugins send nothing).\n"
           "--reachability: what the node reports as its reachability (default Unknown).\n";
  if (command == "telemetry")
    return "USAGE\n"
           "  ipfs-stub telemetry status [--json | --enc=json]  Mode, endpoint, schedule, UUID, retirement\n"
           "  ipfs-stub telemetry show                          The exact payload the node would send now\n"
           "  ipfs-stub telemetry access [--json]               Print the events the collector holds under this\n"
           "                                                    node's UUID: NDJSON, or one JSON document\n"
           "  ipfs-stub telemetry erase                         Ask the collector to erase this node's events\n"
           "  ipfs-stub telemetry forget                        Remove the telemetry UUID file\n"
           "  ipfs-stub telemetry off [--erase]                 Opt out (config Mode \"off\") and remove the UUID;\n"
           "                                                    with --erase, erase at the collector first\n\n"
           "See docs/telemetry.md.\n";
  if (command == "version") return "USAGE\n  ipfs-stub version\n\nPrints the version.\n";
  return nullptr;
}

const std::vector<std::string> k_builtin_commands = {"init", "config", "daemon", "version", "telemetry"};

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
  po::options_description opts("init options");
  parse_command_line("init", args, opts, po::positional_options_description());
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

// After `config` set `key`: an opt-out must never fail silently. Each plugin
// the key reaches under Plugins.Plugins (the one it names, or every one in the
// value set at Plugins.Plugins or Plugins) is checked: a name that no installed
// plugin has is named (with the nearest installed name), and an installed
// plugin whose Config was set reads its new config at once, as the daemon
// would (its init warns naming the key). The key's segments match as the
// daemon reads them (plugin_setting: "plugins.plugins.telemetry.config.Mode"
// is honoured, so it is checked too). The check loads plugins whatever their
// Disabled says and changes nothing.
void check_plugin_setting(const std::filesystem::path& repo, const std::string& key, go_logger& log) {
  auto segs = ipfs_common::split_key(key);
  if (!segs) return;
  for (std::size_t i = 0; i < 2 && i < segs->size(); ++i)
    if (!ipfs_common::equal_ignoring_case((*segs)[i], "Plugins")) return;
  auto state = load_state(repo, false);
  if (!state) return;
  // The value saved is not the one read when another spelling of a field on
  // its way comes later in the file (Go decodes both, the last one winning).
  const auto saved_at = [&](std::size_t depth) {
    return ipfs_common::find_path(state->config, std::vector<std::string>(segs->begin(), segs->begin() + depth));
  };
  const bool shadowed =
      (segs->size() >= 2 && saved_at(2) && saved_at(2)->if_object() != plugins_map(state->config)) ||
      (segs->size() >= 4 && saved_at(4) != plugin_setting(state->config, (*segs)[2], (*segs)[3]));
  if (shadowed) {
    std::cerr << "Warning: " << key << " was saved, but another spelling of it later in the config wins (as in "
              << "Kubo, whose Go JSON decoding matches these keys in any letter case and reads the last one), so "
              << "nothing reads this value; see 'ipfs-stub config show' and remove one spelling.\n";
    return;
  }
  std::vector<std::string> touched;
  if (segs->size() > 2)
    touched.push_back((*segs)[2]);
  else if (const auto* map = plugins_map(state->config))
    for (const auto& kv : *map) touched.emplace_back(kv.key());
  // Only the plugins reached are loaded despite a Disabled flag (so that their
  // names are known); other disabled plugins stay unloaded. A plugin is never
  // initialised for a change of its Disabled flag alone: disabling one that
  // fails at init must not fail too.
  for (const auto& name : touched) clear_disabled(state->config, name);
  plugin_host plugins(log, *state);
  plugins.load(plugin_dirs(repo));
  const auto names = plugins.names();
  for (const auto& name : touched) {
    if (std::find(names.begin(), names.end(), name) == names.end()) {
      std::string installed;
      for (const auto& n : names) installed += (installed.empty() ? "" : ", ") + n;
      const auto near = nearest(name, names);
      std::cerr << "Warning: no plugin named \"" << name << "\" is installed"
                << (near ? "; did you mean \"" + *near + "\"?" : std::string()) << " (installed: "
                << (installed.empty() ? "none" : installed) << "). "
                << (segs->size() > 2 ? key : "Plugins.Plugins." + name) << " was saved but nothing reads it.\n";
      continue;
    }
    const bool config_set = segs->size() > 3 ? ipfs_common::equal_ignoring_case((*segs)[3], "Config")
                                              : plugin_setting(state->config, name, "Config") != nullptr;
    if (config_set) plugins.init_all(IPFS_PLUGIN_CONTEXT_COMMAND, name);  // its own warnings go to stderr
  }
}

int cmd_config(const std::filesystem::path& repo, const std::vector<std::string>& args, go_logger& log) {
  po::options_description opts("config options");
  opts.add_options()("json", "parse VALUE as JSON")("bool", "parse VALUE as true or false")(
      "key", po::value<std::string>())("value", po::value<std::string>());
  po::positional_options_description pos;
  pos.add("key", 1).add("value", 1);
  const auto vm = parse_command_line("config", args, opts, pos);
  if (!vm.count("key")) return error_exit("config needs a KEY; usage: ipfs-stub config [--json | --bool] KEY [VALUE]");
  const auto key = vm["key"].as<std::string>();
  if (key == "show") {
    // Kubo's `config show` is a command of its own: no key named "show" is set by mistake.
    if (vm.count("value") || vm.count("json") || vm.count("bool"))
      return error_exit("config show takes no arguments; see 'ipfs-stub config --help'");
    auto cfg = load_config(repo);
    if (!cfg) return error_exit(cfg.error());
    std::cout << ipfs_common::pretty_json(*cfg) << "\n";
    return 0;
  }
  if (vm.count("json") && vm.count("bool")) return error_exit("config: --json and --bool exclude each other");
  if (!vm.count("value")) {
    if (vm.count("json") || vm.count("bool")) return error_exit("config --json/--bool needs a VALUE");
    auto v = config_get(repo, key);
    if (!v) return error_exit(v.error());
    std::cout << *v << "\n";
    return 0;
  }
  const auto kind = vm.count("json") ? value_kind::json : vm.count("bool") ? value_kind::boolean : value_kind::string;
  const auto value = vm["value"].as<std::string>();
  if (auto r = config_set(repo, key, value, kind); !r) return error_exit(r.error());
  // A VALUE is a string unless told otherwise, as in Kubo: say so where a boolean was likely meant
  // (Plugins.Plugins.telemetry.Config.AllowHTTP true is refused as not a boolean).
  if (kind == value_kind::string && (value == "true" || value == "false"))
    std::cerr << "Note: saved as the string \"" << value << "\"; 'ipfs-stub config --bool " << key << " " << value
              << "' saves a boolean.\n";
  check_plugin_setting(repo, key, log);
  return 0;
}


int cmd_daemon(const std::filesystem::path& repo, const std::vector<std::string>& args, go_logger& log) {
  po::options_description opts("daemon options");
  opts.add_options()("offline", "run without network")(
      "reachability", po::value<std::string>()->default_value("Unknown"), "Unknown, Public or Private");
  const auto vm = parse_command_line("daemon", args, opts, po::positional_options_description());
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
    else if (args[i].empty() || args[i][0] != '-')
      return error_exit("unexpected argument \"" + args[i] + "\" for 'ipfs-stub telemetry off'; it takes only --erase");
    else if (auto near = nearest(args[i], {"--erase"}))
      return error_exit("unknown option \"" + args[i] + "\" for 'ipfs-stub telemetry off' (did you mean \"" + *near +
                        "\"?); accepted: --erase");
    else
      return error_exit("unknown option \"" + args[i] + "\" for 'ipfs-stub telemetry off'; accepted: --erase");
  }
  bool have_uuid = true;  // as the plugin sees it: its status is the public view of its files
  if (auto st = plugins.command("telemetry", "status", "[\"--json\"]"); st && st->status == IPFS_PLUGIN_OK) {
    boost::system::error_code ec;
    auto jv = boost::json::parse(st->text, ec);
    if (!ec && jv.is_object())
      if (const auto* u = jv.as_object().if_contains("uuid_exists"); u && u->is_bool()) have_uuid = u->get_bool();
  }
  if (erase && !have_uuid) {
    // Nothing identifies this node to a collector any more: nothing to prove, nothing to erase by UUID.
    std::cerr << "Note: no telemetry UUID exists, so there is nothing to erase by it; opting out\n";
    erase = false;
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

// `command` is neither built in nor one of the plugins `plugin_names`.
int unknown_command(const std::string& command, const std::vector<std::string>& plugin_names) {
  auto known = k_builtin_commands;
  known.insert(known.end(), plugin_names.begin(), plugin_names.end());
  std::string msg = "unknown command \"" + command + "\"";
  if (auto n = nearest(command, known)) msg += " (did you mean \"" + *n + "\"?)";
  return error_exit(msg + ": no such built-in command or loaded plugin; see 'ipfs-stub --help'");
}

// `ipfs-stub <plugin> <command> [args]`: a command a plugin offers.
int cmd_plugin(const std::filesystem::path& repo, const std::string& plugin, const std::vector<std::string>& args,
               go_logger& log) {
  auto state = load_state(repo, false);
  if (!state) {
    // Without a repo only the bundled plugins can be known; a name none of
    // them has is an unknown command (a typo of "daemon" is not a missing repo).
    node_state bare;
    bare.config = boost::json::object();
    bare.getenv = &read_env;
    plugin_host bundled(log, bare);
    bundled.load({bundled_plugin_dir()});
    const auto names = bundled.names();
    if (std::find(names.begin(), names.end(), plugin) == names.end()) return unknown_command(plugin, names);
    return error_exit(state.error());
  }
  // A disabled plugin's commands still work (`telemetry status`, `off`,
  // `forget`, `erase` are how one checks and cleans up after disabling): it
  // is loaded for this command alone, and the user is told. The daemon never
  // loads it.
  const auto* disabled_flag = plugin_setting(state->config, plugin, "Disabled");
  const bool disabled = disabled_flag && disabled_flag->is_bool() && disabled_flag->get_bool();
  if (disabled) {
    clear_disabled(state->config, plugin);
    log.log(log_level::info, "plugin",
            "plugin " + plugin + " is disabled (Plugins.Plugins." + plugin +
                ".Disabled); loaded for this command only, the daemon does not load it");
  }
  plugin_host plugins(log, *state);
  plugins.load(plugin_dirs(repo));
  const auto names = plugins.names();
  if (std::find(names.begin(), names.end(), plugin) == names.end()) return unknown_command(plugin, names);
  if (args.empty()) return error_exit(plugin + " needs a subcommand; see 'ipfs-stub " + plugin + " --help'");
  plugins.init_all(IPFS_PLUGIN_CONTEXT_COMMAND, plugin);
  if (plugin == "telemetry" && args[0] == "off") return cmd_telemetry_off(repo, plugins, args);
  // Kubo's --enc=json (or --enc json) is the plugin's --json; --enc=text its default.
  boost::json::array rest;
  std::optional<std::string> enc_json;  // the --enc=json given, as typed, when it became --json
  for (std::size_t i = 1; i < args.size(); ++i) {
    std::string a = args[i];
    std::optional<std::string> enc;
    if (a.rfind("--enc=", 0) == 0)
      enc = a.substr(6);
    else if (a == "--enc" && i + 1 < args.size())
      enc = args[++i];
    else if (a == "--enc")
      return error_exit("--enc needs a value: json or text");
    if (enc) {
      if (*enc == "text") continue;
      if (*enc != "json") return error_exit("--enc: \"" + *enc + "\" is not accepted; use json or text");
      enc_json = a == "--enc" ? "--enc " + *enc : a;
      a = "--json";
    }
    rest.emplace_back(a);
  }
  auto out = plugins.command(plugin, args[0], boost::json::serialize(rest));
  if (!out) return error_exit(out.error());
  // A plugin refusing "--json" names an option the user did not type.
  if (out->status == IPFS_PLUGIN_ERR_INVALID_ARGUMENT && enc_json && out->text.find("\"--json\"") != std::string::npos)
    return error_exit("\"" + *enc_json + "\" is not accepted by 'ipfs-stub " + plugin + " " + args[0] +
                      "': it has no JSON form (--enc=json is accepted where --json is)");
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
      // No schedule is shown for what will never run: the plugin's "Schedule:"
      // line (its status format, docs/telemetry.md) gives way to the reason.
      std::string text = "Plugin:    disabled (Plugins.Plugins." + plugin +
                         ".Disabled): the daemon does not load it, nothing will be sent\n";
      std::istringstream lines(out->text);
      for (std::string line; std::getline(lines, line);)
        text += (line.rfind("Schedule:", 0) == 0 ? "Sending:   nothing will be sent: the plugin is disabled" : line) + "\n";
      out->text = std::move(text);
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
  if (auto spec = golog_env("GOLOG_LOG_LEVEL", &read_env)) {
    if (auto parsed = parse_golog_level(spec->value, spec->variable))
      levels = *parsed;
    else
      level_error = parsed.error();
  }
  log_format format = log_format::text;
  std::optional<std::string> format_error;
  if (auto spec = golog_env("GOLOG_LOG_FMT", &read_env)) {
    if (auto parsed = parse_golog_fmt(spec->value, spec->variable))
      format = *parsed;
    else
      format_error = parsed.error();
  }
  go_logger log(levels, 2, format);
  if (level_error) log.log(log_level::error, "log", *level_error + "; using the default level info");
  if (format_error) log.log(log_level::error, "log", *format_error + "; using the text format");

  try {
    // Global options come before the command; everything from the command on
    // belongs to it, so that a command's own options (and "--") reach it intact.
    std::optional<std::string> repo_flag;
    std::optional<std::string> command;
    std::vector<std::string> args;
    bool help = false, version = false;
    for (int i = 1; i < argc; ++i) {
      const std::string a = argv[i];
      if (command) {
        args.push_back(a);
      } else if (a == "-h" || a == "--help") {
        help = true;
      } else if (a == "--version") {
        version = true;
      } else if (a == "--repo-dir" || a.rfind("--repo-dir=", 0) == 0) {
        if (a == "--repo-dir") {
          if (i + 1 >= argc) return error_exit("--repo-dir needs a directory; see 'ipfs-stub --help'");
          repo_flag = argv[++i];
        } else {
          repo_flag = a.substr(std::string("--repo-dir=").size());
        }
      } else if (a == "--") {
        if (i + 1 < argc) command = argv[++i];
      } else if (!a.empty() && a[0] == '-') {
        std::string name = a.substr(0, a.find('='));
        std::string msg = "unknown option \"" + name + "\"";
        if (auto n = nearest(name, {"--repo-dir", "--help", "--version"})) msg += " (did you mean \"" + *n + "\"?)";
        return error_exit(msg + "; see 'ipfs-stub --help'");
      } else {
        command = a;
      }
    }
    if (version || (!help && command && *command == "version" && !wants_help(args))) {
      if (command && *command == "version")  // takes nothing: an option or argument is named exactly
        parse_command_line("version", args, po::options_description(), po::positional_options_description());
      std::cout << "ipfs-stub version " << IPFS_STUB_VERSION << "\n";
      return 0;
    }
    if (!command) {
      std::cout << k_usage;
      return help ? 0 : 1;
    }
    if (help || wants_help(args)) {
      if (const char* h = command_help(*command)) {
        std::cout << h;
        return 0;
      }
      std::cout << k_usage;
      return 0;
    }
    auto repo = resolve_repo_path(repo_flag, &read_env);
    if (!repo) return error_exit(repo.error());

    if (*command == "init") return cmd_init(*repo, args);
    if (*command == "config") return cmd_config(*repo, args, log);
    if (*command == "daemon") return cmd_daemon(*repo, args, log);
    return cmd_plugin(*repo, *command, args, log);
  } catch (const usage_error& e) {
    return error_exit(e.what());
  } catch (const po::error& e) {
    return error_exit(std::string(e.what()) + "; see 'ipfs-stub --help'");
  } catch (const std::exception& e) {
    return error_exit(e.what());
  }
}
