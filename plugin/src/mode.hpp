#pragma once
// Telemetry mode resolution: which of on / off / auto is in effect, and why.
// Pure: the caller reads the environment and the config and passes them in.

#include <optional>
#include <string>
#include <string_view>

namespace ipfs_telemetry {

enum class telemetry_mode { on, off, auto_ };

// Where the mode in effect came from, highest precedence first.
enum class mode_source { ipfs_telemetry_env, do_not_track_env, config, default_ };

std::string_view to_string(telemetry_mode m);
std::string_view to_string(mode_source s);  // "IPFS_TELEMETRY", "DO_NOT_TRACK", "config", "default"

// "on", "off", "auto" exactly (lower case); nullopt for anything else.
std::optional<telemetry_mode> parse_mode(std::string_view s);

// True when a DO_NOT_TRACK value asks not to be tracked: any non-empty value
// that is not one of Go's false booleans ("0", "f", "F", "false", "FALSE", "False").
bool do_not_track_requested(std::string_view value);

struct mode_inputs {
  std::optional<std::string> ipfs_telemetry_env;  // unset or empty: not given
  std::optional<std::string> do_not_track_env;    // unset or empty: not given
  std::optional<std::string> config_mode;         // config Mode as text; unset or empty: not given
};

struct mode_decision {
  telemetry_mode mode = telemetry_mode::on;
  mode_source source = mode_source::default_;
  std::string raw;      // the value as given by `source` (empty for the default)
  std::string warning;  // non-empty when an unrecognized value forced the mode off
  // Non-empty when an environment variable overrides a config Mode that asks
  // for another mode (or for none of the accepted ones): an opt-out written in
  // the config must not be ignored without a word.
  std::string note;
};

// Precedence: IPFS_TELEMETRY > DO_NOT_TRACK > config Mode > default (on).
// An unrecognized value from the winning source turns telemetry off (we fail
// closed where Kubo failed open) and explains itself in `warning`.
mode_decision resolve_mode(const mode_inputs& in);

}  // namespace ipfs_telemetry
