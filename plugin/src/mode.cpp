#include "mode.hpp"

namespace ipfs_telemetry {

std::string_view to_string(telemetry_mode m) {
  switch (m) {
    case telemetry_mode::on: return "on";
    case telemetry_mode::off: return "off";
    case telemetry_mode::auto_: return "auto";
  }
  return "off";
}

std::string_view to_string(mode_source s) {
  switch (s) {
    case mode_source::ipfs_telemetry_env: return "IPFS_TELEMETRY";
    case mode_source::do_not_track_env: return "DO_NOT_TRACK";
    case mode_source::config: return "config";
    case mode_source::default_: return "default";
  }
  return "default";
}

std::optional<telemetry_mode> parse_mode(std::string_view s) {
  if (s == "on") return telemetry_mode::on;
  if (s == "off") return telemetry_mode::off;
  if (s == "auto") return telemetry_mode::auto_;
  return std::nullopt;
}

bool do_not_track_requested(std::string_view v) {
  if (v.empty()) return false;
  return !(v == "0" || v == "f" || v == "F" || v == "false" || v == "FALSE" || v == "False");
}

namespace {

mode_decision from_value(mode_source source, const std::string& raw, std::string_view where) {
  mode_decision d;
  d.source = source;
  d.raw = raw;
  if (auto m = parse_mode(raw)) {
    d.mode = *m;
  } else {
    d.mode = telemetry_mode::off;
    d.warning = "unrecognized telemetry mode \"" + raw + "\" in " + std::string(where) +
                "; accepted values: \"on\", \"off\", \"auto\"; telemetry stays off";
  }
  return d;
}

bool given(const std::optional<std::string>& v) { return v && !v->empty(); }

// `d` came from the environment: says so when the config's Mode differs.
mode_decision noting_config(mode_decision d, const mode_inputs& in) {
  if (!given(in.config_mode) || !d.warning.empty()) return d;  // a bad variable's warning says enough
  const auto configured = parse_mode(*in.config_mode);
  if (configured == d.mode) return d;
  d.note = "Plugins.Plugins.telemetry.Config.Mode \"" + *in.config_mode + "\"" +
           (configured ? std::string() : " (not an accepted value: \"on\", \"off\", \"auto\")") +
           " is overridden by " + std::string(to_string(d.source)) + "=\"" + d.raw + "\": telemetry is " +
           std::string(to_string(d.mode)) + " where this variable is set";
  return d;
}

}  // namespace

mode_decision resolve_mode(const mode_inputs& in) {
  if (given(in.ipfs_telemetry_env))
    return noting_config(from_value(mode_source::ipfs_telemetry_env, *in.ipfs_telemetry_env, "IPFS_TELEMETRY"), in);
  if (given(in.do_not_track_env) && do_not_track_requested(*in.do_not_track_env)) {
    mode_decision d;
    d.mode = telemetry_mode::off;
    d.source = mode_source::do_not_track_env;
    d.raw = *in.do_not_track_env;
    return noting_config(std::move(d), in);
  }
  if (given(in.config_mode))
    return from_value(mode_source::config, *in.config_mode, "Plugins.Plugins.telemetry.Config.Mode");
  return {};
}

}  // namespace ipfs_telemetry
