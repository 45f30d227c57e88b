#include "telemetry_plugin.hpp"

#include "collect.hpp"
#include "endpoint_policy.hpp"
#include "proxy_config.hpp"
#include "go_duration.hpp"
#include "http_sender.hpp"
#include "log_event.hpp"
#include "retire_marker.hpp"
#include "sent_log.hpp"
#include "uuid_store.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value_to.hpp>

#include <dlfcn.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <optional>

#ifndef TELEMETRY_DEFAULT_ENDPOINT
#define TELEMETRY_DEFAULT_ENDPOINT ""
#endif
#ifndef TELEMETRY_DOCS_REL
#define TELEMETRY_DOCS_REL "share/doc/ipfs_telemetry"
#endif
#ifndef TELEMETRY_DOCS_URL
#define TELEMETRY_DOCS_URL "docs/telemetry.md"
#endif

#include "ipfs_common/edit_distance.hpp"
#include "ipfs_common/message_result.hpp"
#include "ipfs_common/redact.hpp"

namespace ipfs_telemetry {

using ipfs_common::fail;
using ipfs_common::succeed;
namespace {

constexpr const char* k_placeholder_uuid = "00000000-0000-0000-0000-000000000000";

std::string_view to_string(endpoint_source s) {
  switch (s) {
    case endpoint_source::config: return "config";
    case endpoint_source::build_default: return "build default";
    case endpoint_source::none: return "none";
    case endpoint_source::invalid: return "invalid";
  }
  return "none";
}

}  // namespace

// The docs installed beside this plugin, wherever `cmake --install --prefix`
// put the tree: <prefix>/lib/ipfs-stub/plugins/telemetry.so ->
// <prefix>/TELEMETRY_DOCS_REL/telemetry.md, if that file exists.
std::optional<std::string> installed_docs_path() {
  Dl_info info{};
  if (::dladdr(reinterpret_cast<void*>(&installed_docs_path), &info) == 0 || !info.dli_fname) return std::nullopt;
  std::error_code ec;
  const auto so = std::filesystem::canonical(info.dli_fname, ec);
  if (ec) return std::nullopt;
  const auto docs = so.parent_path().parent_path().parent_path().parent_path() / TELEMETRY_DOCS_REL / "telemetry.md";
  if (!std::filesystem::is_regular_file(docs, ec)) return std::nullopt;
  return docs.string();
}

plugin_deps default_deps() {
  plugin_deps d;
  d.getenv = [](const char* name) -> std::optional<std::string> {
    const char* v = std::getenv(name);
    if (!v) return std::nullopt;
    return std::string(v);
  };
  d.fs = std::make_shared<posix_file_system>();
  d.make_sender = [](boost::asio::any_io_executor ex,
                     const transport_settings& t) -> boost::system::result<std::unique_ptr<sender>, std::string> {
    auto s = http_sender::create(std::move(ex), t);
    if (!s) return ipfs_common::fail(s.error());
    return std::unique_ptr<sender>(std::move(*s));
  };
  d.platform = &current_platform();
  d.default_endpoint = TELEMETRY_DEFAULT_ENDPOINT;
  d.docs_url = installed_docs_path().value_or(TELEMETRY_DOCS_URL);
  return d;
}

telemetry_plugin::telemetry_plugin(const ipfs_plugin_env& env, plugin_deps deps)
    : deps_(std::move(deps)),
      services_(env.services),
      log_(env.services),
      repo_(env.repo_path ? env.repo_path : ""),
      context_(env.context),
      init_time_(std::chrono::steady_clock::now()) {
  // Members of later ABI revisions, when the host's env carries them.
  if (IPFS_PLUGIN_ENV_HAS(&env, host_command) && env.host_command && *env.host_command)
    host_command_ = env.host_command;
  if (IPFS_PLUGIN_ENV_HAS(&env, docs_url) && env.docs_url && *env.docs_url) deps_.docs_url = env.docs_url;
  // Config: the host hands us the block as JSON text.
  boost::json::value cfg_json;
  if (env.config_json && *env.config_json) {
    boost::system::error_code ec;
    cfg_json = boost::json::parse(env.config_json, ec);
    if (ec) {
      log_.warn("Plugins.Plugins.telemetry.Config: not valid JSON (" + ec.message() + "); using the defaults");
      cfg_json = nullptr;
    }
  }
  auto parsed = parse_plugin_config(cfg_json);
  for (const auto& w : parsed.warnings) log_.warn(w);
  config_ = std::move(parsed.config);

  mode_inputs in;
  in.ipfs_telemetry_env = deps_.getenv("IPFS_TELEMETRY");
  in.do_not_track_env = deps_.getenv("DO_NOT_TRACK");
  in.config_mode = config_.mode;
  mode_ = resolve_mode(in);
  if (!mode_.warning.empty()) log_.warn(mode_.warning);
  if (!mode_.note.empty()) log_.info("telemetry: " + mode_.note);

  if (config_.endpoint_invalid) {
    endpoint_source_ = endpoint_source::invalid;
    const std::string key = std::string(k_config_key_prefix) + "Endpoint: ";
    for (const auto& w : parsed.warnings)
      if (w.rfind(key, 0) == 0) endpoint_problem_ = w;
  } else if (!config_.endpoint.empty()) {
    endpoint_ = config_.endpoint;
    endpoint_source_ = endpoint_source::config;
  } else if (!deps_.default_endpoint.empty()) {
    if (auto v = validate_endpoint(deps_.default_endpoint)) {
      endpoint_ = *v;
      endpoint_source_ = endpoint_source::build_default;
    } else {
      endpoint_source_ = endpoint_source::invalid;
      endpoint_problem_ = "the build's default endpoint is unusable: " + v.error();
      log_.error("telemetry: " + endpoint_problem_);
    }
  }

  // A command's init says at once what a daemon's start would warn about, so
  // that `config` checking a new setting reports it: an endpoint that is set
  // but will not be used (clear text refused, an unusable proxy variable). An
  // invalid one was reported with the config's warnings above.
  if (context_ == IPFS_PLUGIN_CONTEXT_COMMAND && mode_.mode != telemetry_mode::off &&
      (endpoint_source_ == endpoint_source::config || endpoint_source_ == endpoint_source::build_default))
    if (auto blocker = endpoint_blocker()) log_.warn("telemetry: " + *blocker);

  // An explicit opt-out (not an unrecognized value) removes the identifier,
  // at a daemon's start only: commands (status, show, erase) are read-only or
  // need the UUID, whatever the environment says. `telemetry off` and
  // `telemetry forget` remove it explicitly.
  if (mode_.mode == telemetry_mode::off && mode_.warning.empty()) {
    log_.info("telemetry disabled via opt-out");
    if (context_ == IPFS_PLUGIN_CONTEXT_DAEMON) {
      uuid_store uuids(*deps_.fs, repo_);
      auto removed = uuids.remove();
      if (!removed)
        log_.error(removed.error());
      else if (*removed)
        log_.info("removed existing telemetry UUID file due to opt-out");
    }
  }
}

telemetry_plugin::~telemetry_plugin() { close(); }

void telemetry_plugin::start() {
  if (service_) return;
  if (mode_.mode == telemetry_mode::off) {
    log_.info("telemetry collection skipped: opted out");
    return;
  }
  if (auto blocker = endpoint_blocker()) {
    if (endpoint_source_ == endpoint_source::none)
      log_.info("telemetry: " + *blocker);
    else
      log_.warn("telemetry: " + *blocker);
    return;
  }
  if (auto proxy = choose_proxy(endpoint_, deps_.getenv); proxy && *proxy)
    log_.debug("telemetry: sending through proxy " + (*proxy)->display);
  service_settings s;
  s.repo = repo_;
  s.endpoint = endpoint_;
  s.delay = config_.delay;
  s.interval = config_.interval;
  s.mode = mode_.mode;
  s.docs_url = deps_.docs_url;
  s.host_command = host_command_;
  s.init_time = init_time_;
  s.transport = transport();

  service_ = std::make_unique<telemetry_service>(
      std::move(s), log_, *deps_.fs, [this] { return query_facts(); }, deps_.make_sender, *deps_.platform);
  service_->start();
}

void telemetry_plugin::close() {
  if (service_) {
    service_->stop();
    service_.reset();
  }
}

std::optional<std::string> telemetry_plugin::endpoint_blocker() const {
  if (endpoint_source_ == endpoint_source::invalid)
    return (endpoint_problem_.empty() ? std::string(k_config_key_prefix) + "Endpoint is unusable"
                                      : endpoint_problem_) +
           (endpoint_problem_.find("nothing will be sent") == std::string::npos ? "; nothing will be sent" : "");
  if (endpoint_.empty())
    return std::string("no endpoint configured (") + std::string(k_config_key_prefix) +
           "Endpoint) and this build has no default endpoint; nothing will be sent and no UUID is written";
  if (auto refusal = plain_http_refusal(endpoint_, config_.allow_http)) return *refusal;
  if (auto proxy = choose_proxy(endpoint_, deps_.getenv); !proxy) return proxy.error() + "; nothing will be sent";
  return std::nullopt;
}

transport_settings telemetry_plugin::transport() const {
  transport_settings t;
  t.timeout = config_.timeout;
  t.ca_file = config_.ca_file;
  t.allow_http = config_.allow_http;
  t.getenv = deps_.getenv;
  return t;
}

boost::system::result<node_facts, std::string> telemetry_plugin::query_facts() const {
  if (!IPFS_SERVICES_HAS(services_, node_facts)) return fail("the host offers no node facts");
  char* raw = services_->node_facts(services_->host_ctx);
  if (!raw) return fail("the host could not compute node facts");
  std::string text(raw);
  if (IPFS_SERVICES_HAS(services_, free_string)) services_->free_string(services_->host_ctx, raw);
  boost::system::error_code ec;
  auto jv = boost::json::parse(text, ec);
  if (ec) return fail("node facts are not valid JSON: " + ec.message());
  return parse_node_facts(jv);
}

command_result telemetry_plugin::command(std::string_view name, const boost::json::array& args) {
  constexpr const char* known[] = {"status", "show", "erase", "forget"};
  if (std::find(std::begin(known), std::end(known), name) == std::end(known)) {
    std::string hint;
    std::size_t best = 3;
    for (const char* k : known)
      if (const auto d = ipfs_common::edit_distance(name, k); d < best) {
        best = d;
        hint = " (did you mean \"" + std::string(k) + "\"?)";
      }
    return {IPFS_PLUGIN_ERR_UNKNOWN_COMMAND, "unknown telemetry command \"" + std::string(name) + "\"" + hint +
                                                 "; accepted: status [--json], show, erase, forget"};
  }
  bool json = false;
  for (const auto& a : args) {
    if (name == "status" && a.is_string() && a.get_string() == "--json")
      json = true;
    else
      return {IPFS_PLUGIN_ERR_INVALID_ARGUMENT,
              "unknown option " + boost::json::serialize(a) + " for 'telemetry " + std::string(name) + "'" +
                  (name == "status" && a.is_string() && ipfs_common::edit_distance(a.get_string(), "--json") <= 2
                       ? " (did you mean \"--json\"?)"
                       : "") +
                  "; accepted: " + (name == "status" ? "--json" : "none")};
  }
  if (name == "status") return status(json);
  if (name == "show") return show();
  if (name == "erase") return erase();
  return forget();
}

command_result telemetry_plugin::status(bool json) const {
  uuid_store uuids(*deps_.fs, repo_);
  retire_marker marker(*deps_.fs, repo_);
  std::string uuid_note;
  auto loaded = uuids.load(&uuid_note);  // reports loose permissions, changes nothing
  auto retired_by = marker.endpoint();

  boost::json::object o;
  o["mode"] = to_string(mode_.mode);
  o["mode_source"] = to_string(mode_.source);
  o["mode_value"] = mode_.raw;
  if (!mode_.warning.empty()) o["mode_warning"] = mode_.warning;
  if (!mode_.note.empty()) o["mode_note"] = mode_.note;
  o["endpoint"] = endpoint_;
  o["endpoint_source"] = to_string(endpoint_source_);
  o["delay"] = format_go_duration(config_.delay);
  o["interval"] = format_go_duration(config_.interval);
  o["uuid_file"] = uuids.path().string();
  o["uuid_exists"] = loaded && loaded->has_value();
  if (!loaded) o["uuid_error"] = loaded.error();
  if (!uuid_note.empty()) o["uuid_warning"] = uuid_note;
  bool retired = !endpoint_.empty() && marker.retires(endpoint_);
  o["retired"] = retired;
  // Whether a daemon started now would send, and if not, the first reason.
  const auto blocker = endpoint_blocker();
  std::optional<std::string> not_sending;
  if (mode_.mode == telemetry_mode::off)
    not_sending = "telemetry is off" + (mode_.source == mode_source::default_
                                            ? std::string()
                                            : " (" + std::string(to_string(mode_.source)) + ")");
  else if (blocker)
    not_sending = *blocker;
  else if (retired)
    not_sending = "this node is retired from " + endpoint_;
  o["will_send"] = !not_sending.has_value();
  o["not_sending_reason"] = not_sending ? boost::json::value(*not_sending) : boost::json::value(nullptr);
  if (blocker) o["endpoint_problem"] = *blocker;
  if (retired_by && retired_by->has_value()) o["retired_by"] = **retired_by;
  sent_log sent(*deps_.fs, repo_);
  auto last = sent.last();
  o["sent_log"] = sent.path().string();
  if (last) {
    boost::json::object summary = *last;
    summary.erase("body");  // the body is in the file; status stays short
    o["last_attempt"] = std::move(summary);
  } else {
    o["last_attempt"] = nullptr;
  }

  if (json) return {IPFS_PLUGIN_OK, ipfs_common::redact_credentials(boost::json::serialize(o)) + "\n"};

  std::string t;
  t += "Mode:      " + std::string(to_string(mode_.mode));
  if (mode_.source == mode_source::default_)
    t += " (default)\n";
  else
    t += " (from " + std::string(to_string(mode_.source)) + "=\"" + mode_.raw + "\")\n";
  if (!mode_.warning.empty()) t += "Warning:   " + mode_.warning + "\n";
  if (!mode_.note.empty()) t += "Note:      " + mode_.note + "\n";
  if (endpoint_source_ == endpoint_source::invalid)
    t += "Endpoint:  unusable: " + *blocker + "\n";
  else if (endpoint_.empty())
    t += "Endpoint:  none configured and no build default\n";
  else if (blocker)
    t += "Endpoint:  " + endpoint_ + " (" + std::string(to_string(endpoint_source_)) + "), not used: " + *blocker +
         "\n";
  else
    t += "Endpoint:  " + endpoint_ + " (" + std::string(to_string(endpoint_source_)) + ")\n";
  if (not_sending)
    t += "Sending:   nothing will be sent: " + *not_sending + "\n";
  else
    t += "Schedule:  first send " + format_go_duration(config_.delay) + " after daemon start, then every " +
         format_go_duration(config_.interval) + "\n";
  if (!loaded)
    t += "UUID:      unreadable: " + loaded.error() + "\n";
  else if (loaded->has_value())
    t += "UUID:      " + **loaded + " (" + uuids.path().string() + ")\n" +
         (uuid_note.empty() ? std::string() : "Warning:   " + uuid_note + "\n");
  else
    t += "UUID:      none yet (created at the first daemon start with telemetry on)\n";
  if (retired)
    t += "Retired:   yes, by " + endpoint_ + " (delete " + marker.path().string() + " to resume)\n";
  else if (retired_by && retired_by->has_value())
    t += "Retired:   no (a marker names another endpoint: " + **retired_by + ")\n";
  else
    t += "Retired:   no\n";
  if (last) {
    const auto& l = *last;
    std::string result;
    if (const auto* st = l.if_contains("status"); st && !st->is_null())
      result = "HTTP " + boost::json::serialize(*st);
    else if (const auto* er = l.if_contains("error"); er && er->is_string())
      result = std::string(er->get_string());
    auto text = [&](const char* k) {
      const auto* v = l.if_contains(k);
      return v && v->is_string() ? std::string(v->get_string()) : std::string();
    };
    if (const auto* ab = l.if_contains("abandoned"); ab && ab->is_string())
      result += " (abandoned: " + std::string(ab->get_string()) + ")";
    t += "Last sent: " + text("time") + " to " + text("endpoint") + ": " + result + " (all recent attempts: " +
         sent.path().string() + ")\n";
  } else {
    t += "Last sent: never\n";
  }
  return {IPFS_PLUGIN_OK, ipfs_common::redact_credentials(t)};
}

command_result telemetry_plugin::show() const {
  auto facts = query_facts();
  if (!facts) return {IPFS_PLUGIN_ERR_FAILED, "cannot compute the payload: " + facts.error()};
  uuid_store uuids(*deps_.fs, repo_);
  auto loaded = uuids.load();
  std::string uuid = k_placeholder_uuid;
  if (loaded && loaded->has_value()) {
    uuid = **loaded;
  } else {
    log_.warn(std::string("no telemetry UUID exists yet; the uuid field shows the placeholder ") +
              k_placeholder_uuid + " (a random UUID is created at the first daemon start with telemetry on)");
  }
  const auto uptime = std::chrono::steady_clock::now() - init_time_;
  return {IPFS_PLUGIN_OK, to_wire(collect_event(*facts, *deps_.platform, uuid, uptime)) + "\n"};
}

// DELETE / {"uuid": ...} to the endpoint, with every rule a send follows
// (AllowHTTP, CAFile, proxies, redirects, Timeout), on an io_context of its own
// on the calling thread: commands run in the host's command context, where no
// service thread exists. Recorded in telemetry_sent.jsonl like any send.
command_result telemetry_plugin::erase() const {
  if (endpoint_source_ == endpoint_source::invalid || endpoint_.empty())
    return {IPFS_PLUGIN_ERR_FAILED,
            "no usable endpoint (Plugins.Plugins.telemetry.Config.Endpoint); cannot tell which collector to ask"};
  if (auto blocker = endpoint_blocker()) return {IPFS_PLUGIN_ERR_FAILED, *blocker};

  uuid_store uuids(*deps_.fs, repo_);
  auto loaded = uuids.load();
  if (!loaded) return {IPFS_PLUGIN_ERR_FAILED, loaded.error()};
  if (!loaded->has_value())
    return {IPFS_PLUGIN_ERR_FAILED,
            "no telemetry UUID in " + uuids.path().string() +
                ": this node cannot prove which events are its own, so it cannot ask for their erasure (a "
                "collector may still hold events sent under an earlier UUID; ask its operator)"};

  boost::asio::io_context ioc{1};
  auto made = deps_.make_sender(ioc.get_executor(), transport());
  if (!made) return {IPFS_PLUGIN_ERR_FAILED, made.error()};
  auto facts = query_facts();
  send_request req;
  req.endpoint = endpoint_;
  req.body = boost::json::serialize(boost::json::object{{"uuid", **loaded}});
  req.user_agent = facts ? facts->agent_version : std::string("ipfs-telemetry-plugin");
  req.method = send_method::delete_;
  send_outcome outcome;
  (*made)->async_send(req, [&outcome](send_outcome o) { outcome = std::move(o); });
  ioc.run();  // bounded by Timeout
  made->reset();

  sent_log sent(*deps_.fs, repo_);
  if (auto r = sent.record(std::chrono::system_clock::now(), endpoint_, outcome, req.body); !r)
    log_.warn("telemetry: cannot record the erasure request in " + sent.path().string() + ": " + r.error());
  if (outcome.success())
    return {IPFS_PLUGIN_OK, "asked " + endpoint_ + " to erase every event of this node (" + outcome.describe() +
                                "); the UUID file is kept until 'telemetry off' or 'telemetry forget'\n"};
  if (!outcome.ec && (outcome.status == 404 || outcome.status == 405))
    return {IPFS_PLUGIN_ERR_FAILED,
            "the collector at " + endpoint_ + " does not offer erasure (" + outcome.describe() + ")"};
  return {IPFS_PLUGIN_ERR_FAILED, "erasure request to " + endpoint_ + " failed: " + outcome.describe() +
                                      (outcome.detail.empty() ? "" : " (" + outcome.detail + ")")};
}

command_result telemetry_plugin::forget() const {
  uuid_store uuids(*deps_.fs, repo_);
  auto removed = uuids.remove();
  if (!removed) return {IPFS_PLUGIN_ERR_FAILED, removed.error()};
  return {IPFS_PLUGIN_OK, *removed ? "removed the telemetry UUID file " + uuids.path().string() + "\n"
                                   : "no telemetry UUID file to remove\n"};
}

}  // namespace ipfs_telemetry
