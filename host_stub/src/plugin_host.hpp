#pragma once
// Loading plugins through ipfs_plugin/abi.h: discovery, ABI checks, the
// services table the host offers, and ordered teardown.

#include "go_log.hpp"
#include "node_facts.hpp"

#include "ipfs_common/message_result.hpp"
#include "ipfs_plugin/abi.h"
#include "ipfs_plugin/host.hpp"

#include <boost/json/value.hpp>

#include <atomic>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace ipfs_stub {

// Checks a descriptor before any of its fields is trusted: known ABI version,
// struct_size large enough, name and required entry points present.
ipfs_common::message_result<void> validate_descriptor(const ipfs_plugin_descriptor* d);

// The plugins directory shipped beside the executable: <exe>/../lib/ipfs-stub/plugins.
std::filesystem::path bundled_plugin_dir();

// <exe>/../share/doc/ipfs_telemetry/telemetry.md when it exists (an installed
// tree, wherever its prefix), else empty: passed to plugins as env.docs_url.
std::string bundled_docs_file();

// Plugins.Plugins of a config, the map from plugin name to its block, found
// as Kubo's daemon finds it: Go's encoding/json matches the struct fields
// (Plugins, then Plugins) in any letter case, and of two spellings the later
// one wins (each is decoded in turn over the one before). nullptr when absent
// or not an object.
const boost::json::object* plugins_map(const boost::json::value& config);

// Plugins.Plugins.<name>.<field> (field "Disabled" or "Config"), found the same
// way: the plugin's name, a map key, exactly; the field in any letter case, the
// last spelling winning. nullptr when absent.
const boost::json::value* plugin_setting(const boost::json::value& config, const std::string& name,
                                         std::string_view field);

// Removes Plugins.Plugins.<name>.Disabled in every spelling, so that a disabled
// plugin can be loaded for one command.
void clear_disabled(boost::json::value& config, const std::string& name);

class plugin_host {
 public:
  // `log` and `state` must outlive the host.
  plugin_host(go_logger& log, const node_state& state);
  ~plugin_host();  // closes and unloads everything, in reverse load order

  plugin_host(const plugin_host&) = delete;
  plugin_host& operator=(const plugin_host&) = delete;

  // Loads every *.so in `dirs` (in order; within a directory by name). Skips,
  // with a log line saying why: plugins with Plugins.Plugins.<name>.Disabled
  // true (checked by file name before dlopen and by descriptor name after),
  // files that fail to load or fail the ABI checks, and second plugins of a
  // name already loaded. Never fails as a whole.
  void load(const std::vector<std::filesystem::path>& dirs);

  // Calls init on every loaded plugin (or only on `only`, if non-empty). A
  // plugin whose init fails is unloaded.
  void init_all(int32_t context, const std::string& only = {});
  void start_all();
  void close_all();

  std::vector<std::string> names() const;

  // Runs a plugin command. Returns the plugin's status and text.
  struct command_output {
    int32_t status = IPFS_PLUGIN_ERR_UNKNOWN_COMMAND;
    std::string text;
  };
  ipfs_common::message_result<command_output> command(const std::string& plugin, const std::string& name,
                                                      const std::string& args_json);

 private:
  struct loaded;
  void load_file(const std::filesystem::path& file);
  bool disabled(const std::string& name) const;
  loaded* find(const std::string& name);

  go_logger& log_;
  const node_state& state_;
  // Set when close_all begins: a node-facts call still walking the repo on a
  // plugin's thread gives up, so a plugin's close never waits for the walk.
  std::atomic<bool> stopping_{false};
  ipfs_plugin::host_services services_;  // the table every plugin gets
  std::vector<std::unique_ptr<loaded>> plugins_;
};

}  // namespace ipfs_stub
