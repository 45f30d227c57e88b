#include "plugin_config.hpp"

#include "go_duration.hpp"

#include <boost/json/serialize.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/url.hpp>

#include <array>

#include "ipfs_common/edit_distance.hpp"
#include "ipfs_common/message_result.hpp"
#include "ipfs_common/redact.hpp"

namespace ipfs_telemetry {

using ipfs_common::fail;
using ipfs_common::succeed;
namespace {

constexpr std::array<std::string_view, 7> k_known_keys = {"Mode",    "Endpoint", "Delay",    "Interval",
                                                          "Timeout", "CAFile",   "AllowHTTP"};

std::string key_name(std::string_view key) { return std::string(k_config_key_prefix) + std::string(key); }

std::string known_keys_list() {
  std::string out;
  for (auto k : k_known_keys) {
    if (!out.empty()) out += ", ";
    out += k;
  }
  return out;
}

// Reads a Go duration key. Unset or null keeps `value`. Returns a warning on a
// bad value, which also keeps `value` (the default).
void read_duration(const boost::json::object& obj, std::string_view key,
                   std::chrono::nanoseconds min, std::chrono::nanoseconds& value,
                   std::vector<std::string>& warnings) {
  auto it = obj.find(key);
  if (it == obj.end() || it->value().is_null()) return;
  const std::string accepted = "a Go duration string such as \"15m\", \"100ms\" or \"1h30m\", at least " +
                               format_go_duration(min);
  const std::string fallback = "; using the default " + format_go_duration(value);
  const auto* s = it->value().if_string();
  if (!s) {
    warnings.push_back(key_name(key) + ": expected " + accepted + ", got " +
                       boost::json::serialize(it->value()) + fallback);
    return;
  }
  auto parsed = parse_go_duration(*s);
  if (!parsed) {
    warnings.push_back(key_name(key) + ": " + parsed.error() + "; expected " + accepted + fallback);
    return;
  }
  if (*parsed < min) {
    warnings.push_back(key_name(key) + ": \"" + std::string(*s) + "\" is too short; expected " +
                       accepted + fallback);
    return;
  }
  value = *parsed;
}

bool valid_port(std::string_view p) {
  if (p.empty() || p.size() > 5) return false;
  unsigned long v = 0;
  for (char c : p) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<unsigned long>(c - '0');
  }
  return v >= 1 && v <= 65535;
}

}  // namespace

boost::system::result<std::string, std::string> validate_endpoint(std::string_view text) {
  const std::string accepted = "an absolute http:// or https:// URL such as \"https://telemetry.example.org/\"";
  // Quoted only with its credentials removed: a URL refused for any reason
  // may still carry a password.
  const std::string quoted = "\"" + ipfs_common::redact_credentials(text) + "\"";
  auto r = boost::urls::parse_absolute_uri(text);
  if (!r) return fail(quoted + " is not a valid URL; expected " + accepted);
  boost::urls::url u = *r;
  if (u.scheme_id() != boost::urls::scheme::http && u.scheme_id() != boost::urls::scheme::https)
    return fail("scheme \"" + std::string(u.scheme()) + "\" is not supported; expected " + accepted);
  if (u.has_userinfo()) return fail("credentials in the URL are not accepted; expected " + accepted);
  if (u.host().empty()) return fail(quoted + " has no host; expected " + accepted);
  // Checked on the text: Boost.URL's port_number() wraps values above 65535.
  if (u.has_port() && !valid_port(u.port()))
    return fail(quoted + " has no valid port (1-65535); expected " + accepted);
  if (u.path().empty()) u.set_path_absolute(true);  // "http://h" -> "http://h/"
  return succeed(std::string(u.buffer()));
}

config_parse_result parse_plugin_config(const boost::json::value& config) {
  config_parse_result out;
  auto& cfg = out.config;
  auto& warnings = out.warnings;
  if (config.is_null()) return out;
  const auto* obj = config.if_object();
  if (!obj) {
    warnings.push_back("Plugins.Plugins.telemetry.Config: expected a JSON object, got " +
                       boost::json::serialize(config) + "; using the defaults");
    return out;
  }

  // Keys match as Go's encoding/json matches struct fields: case-insensitively,
  // so "mode" is Mode. Two spellings of one key: the later one wins (as in Go),
  // with a warning. Every read below sees the canonical names only.
  boost::json::object canonical;
  for (const auto& kv : *obj) {
    std::string_view name;
    for (auto k : k_known_keys)
      if (ipfs_common::equal_ignoring_case(kv.key(), k)) name = k;
    if (name.empty()) {
      std::string hint;
      for (auto k : k_known_keys)
        if (ipfs_common::edit_distance(kv.key(), k) <= 2) hint = " (did you mean " + std::string(k) + "?)";
      warnings.push_back(key_name(kv.key()) + ": unknown key, ignored" + hint + "; accepted keys: " +
                         known_keys_list() + " (in any letter case)");
      continue;
    }
    if (canonical.contains(name))
      warnings.push_back(key_name(name) + ": given more than once (as \"" + std::string(kv.key()) +
                         "\" and another spelling); the last one is used");
    canonical[name] = kv.value();
  }
  obj = &canonical;

  if (auto it = obj->find("Mode"); it != obj->end() && !it->value().is_null()) {
    if (const auto* s = it->value().if_string())
      cfg.mode = std::string(*s);
    else
      cfg.mode = boost::json::serialize(it->value());
  }

  if (auto it = obj->find("Endpoint"); it != obj->end() && !it->value().is_null()) {
    if (const auto* s = it->value().if_string()) {
      if (!s->empty()) {
        auto v = validate_endpoint(*s);
        if (v) {
          cfg.endpoint = *v;
        } else {
          cfg.endpoint = std::string(*s);
          cfg.endpoint_invalid = true;
          warnings.push_back(key_name("Endpoint") + ": " + v.error() + "; nothing will be sent");
        }
      }
    } else {
      cfg.endpoint_invalid = true;
      warnings.push_back(key_name("Endpoint") + ": expected a URL string, got " +
                         boost::json::serialize(it->value()) + "; nothing will be sent");
    }
  }

  read_duration(*obj, "Delay", std::chrono::nanoseconds(0), cfg.delay, warnings);
  read_duration(*obj, "Interval", k_min_interval, cfg.interval, warnings);
  read_duration(*obj, "Timeout", k_min_timeout, cfg.timeout, warnings);

  if (auto it = obj->find("CAFile"); it != obj->end() && !it->value().is_null()) {
    if (const auto* s = it->value().if_string())
      cfg.ca_file = std::string(*s);
    else
      warnings.push_back(key_name("CAFile") + ": expected the path of a PEM file as a string, got " +
                         boost::json::serialize(it->value()) + "; using the system trust store only");
  }
  if (auto it = obj->find("AllowHTTP"); it != obj->end() && !it->value().is_null()) {
    if (it->value().is_bool())
      cfg.allow_http = it->value().get_bool();
    else
      warnings.push_back(key_name("AllowHTTP") + ": expected true or false, got " +
                         boost::json::serialize(it->value()) + "; using the default false");
  }
  return out;
}

}  // namespace ipfs_telemetry
