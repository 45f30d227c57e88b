#pragma once
// The telemetry plugin behind the C shim: init-time decisions (config, mode,
// endpoint, opt-out cleanup), the daemon service, and the CLI commands.
// Knows nothing of the ABI's memory or status rules; the shim does.

#include "file_system.hpp"
#include "logger.hpp"
#include "mode.hpp"
#include "plugin_config.hpp"
#include "platform.hpp"
#include "telemetry_service.hpp"

#include "ipfs_plugin/abi.h"

#include <boost/json/array.hpp>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace ipfs_telemetry {

// Reads an environment variable; nullopt when unset.
using env_reader = std::function<std::optional<std::string>(const char* name)>;

// Everything the plugin touches outside itself, as seams. default_deps() gives
// the real ones.
struct plugin_deps {
  env_reader getenv;
  std::shared_ptr<file_system> fs;
  sender_factory make_sender;
  const platform_info* platform = nullptr;
  std::string default_endpoint;  // the build's TELEMETRY_DEFAULT_ENDPOINT
  std::string docs_url;  // the default "Learn more" link; a host's env.docs_url overrides it
};
plugin_deps default_deps();

enum class endpoint_source { config, build_default, none, invalid };

// The collector's access service, resolved against the endpoint (service_url),
// its answer's headers (collector/src/request_handler.hpp names the same) and
// the largest answer read: the collector sends at most 10,000 events, each at
// most about 3.5 KiB (the schema's three free strings are at most 128
// characters, up to six bytes each once escaped).
inline constexpr const char* k_access_path = "v1/access";
inline constexpr const char* k_access_limit_header = "Telemetry-Access-Limit";
inline constexpr const char* k_access_truncated_header = "Telemetry-Access-Truncated";
inline constexpr const char* k_access_aggregates_header = "Telemetry-Aggregates";
inline constexpr std::uint64_t k_max_access_answer = 64u << 20;

struct command_result {
  int32_t status = IPFS_PLUGIN_OK;
  std::string text;
};

class telemetry_plugin {
 public:
  // Does no network I/O and starts no thread. With mode "off" from an explicit
  // opt-out, removes the UUID file (as Kubo does at init).
  telemetry_plugin(const ipfs_plugin_env& env, plugin_deps deps);
  ~telemetry_plugin();

  void start();
  void close();
  command_result command(std::string_view name, const boost::json::array& args);

  const mode_decision& mode() const { return mode_; }
  const std::string& endpoint() const { return endpoint_; }

 private:
  boost::system::result<node_facts, std::string> query_facts() const;
  // The send rules from the config, for the service and for erasure alike.
  transport_settings transport() const;
  // Why nothing can go to the endpoint (no endpoint, an unusable one, clear
  // text refused, an unusable proxy variable), as a message for the user;
  // nullopt when the endpoint may be used. The mode is not considered.
  std::optional<std::string> endpoint_blocker() const;
  command_result status(bool json) const;
  command_result show() const;
  // What a request proving ownership with the UUID alone got back.
  struct owner_answer {
    std::string url;
    send_outcome outcome;
  };
  // {"uuid": ...} to `relative` resolved against the endpoint ("": the
  // endpoint itself), with every rule a send follows (AllowHTTP, CAFile,
  // proxies, redirects, Timeout), on an io_context of its own on the calling
  // thread: commands run in the host's command context, where no service
  // thread exists. Recorded in telemetry_sent.jsonl like any send. An error
  // (no usable endpoint, no UUID) when nothing was sent. `what` names the
  // request in messages: "erasure", "access".
  boost::system::result<owner_answer, std::string> ask_as_owner(std::string_view relative, send_method method,
                                                                std::uint64_t keep_body, std::string_view what) const;
  command_result access(bool json) const;
  command_result erase() const;
  command_result forget() const;

  plugin_deps deps_;
  const ipfs_host_services* services_;
  logger log_;
  std::filesystem::path repo_;
  int32_t context_;
  std::string host_command_ = "ipfs";  // env.host_command, for messages naming commands
  plugin_config config_;
  mode_decision mode_;
  std::string endpoint_;  // effective; empty when nothing may be sent
  endpoint_source endpoint_source_ = endpoint_source::none;
  std::string endpoint_problem_;  // with endpoint_source::invalid: why
  std::chrono::steady_clock::time_point init_time_;
  std::unique_ptr<telemetry_service> service_;
};

}  // namespace ipfs_telemetry
