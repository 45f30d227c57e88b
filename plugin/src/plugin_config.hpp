#pragma once
// The plugin's Config block (Plugins.Plugins.telemetry.Config), parsed and
// checked. Pure: no I/O.

#include <boost/json/value.hpp>
#include <boost/system/result.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ipfs_telemetry {

// The prefix every warning uses to name a key, as the user would type it.
inline constexpr std::string_view k_config_key_prefix = "Plugins.Plugins.telemetry.Config.";

inline constexpr std::chrono::nanoseconds k_default_delay = std::chrono::minutes(15);
inline constexpr std::chrono::nanoseconds k_default_interval = std::chrono::hours(24);
inline constexpr std::chrono::nanoseconds k_min_interval = std::chrono::seconds(1);
inline constexpr std::chrono::nanoseconds k_default_timeout = std::chrono::seconds(30);
inline constexpr std::chrono::nanoseconds k_min_timeout = std::chrono::milliseconds(100);

struct plugin_config {
  // Mode as text: a string as written, a value of another type as its JSON
  // text (so that it resolves as unrecognized and fails closed). nullopt: unset.
  std::optional<std::string> mode;
  // The Endpoint as configured; empty when unset.
  std::string endpoint;
  // True when Endpoint is set but unusable: nothing may be sent this run.
  bool endpoint_invalid = false;
  std::chrono::nanoseconds delay = k_default_delay;
  std::chrono::nanoseconds interval = k_default_interval;
  // Bounds one whole attempt: resolve, connect, proxy tunnel, TLS, write, read.
  std::chrono::nanoseconds timeout = k_default_timeout;
  // PEM file of extra trusted CAs; empty: the system trust store only.
  std::string ca_file;
  // Plain http:// to hosts other than loopback is refused unless this is true.
  bool allow_http = false;
};

struct config_parse_result {
  plugin_config config;
  std::vector<std::string> warnings;  // one per ignored or defaulted key
};

// Parses the Config block. `null` (no block) yields the defaults. Never fails:
// each bad key is reported in `warnings` and falls back as docs/telemetry.md says.
config_parse_result parse_plugin_config(const boost::json::value& config);

// Checks an endpoint URL: absolute http or https URL with a host and no user
// credentials. Returns the normalized URL text or a message saying what is accepted.
boost::system::result<std::string, std::string> validate_endpoint(std::string_view url);

}  // namespace ipfs_telemetry
