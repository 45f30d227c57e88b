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
#include <boost/beast/core/string.hpp>
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
  constexpr const char* known[] = {"status", "show", "access", "erase", "forget"};
  if (std::find(std::begin(known), std::end(known), name) == std::end(known)) {
    std::string hint;
    std::size_t best = 3;
    for (const char* k : known)
      if (const auto d = ipfs_common::edit_distance(name, k); d < best) {
        best = d;
        hint = " (did you mean \"" + std::string(k) + "\"?)";
      }
    return {IPFS_PLUGIN_ERR_UNKNOWN_COMMAND, "unknown telemetry command \"" + std::string(name) + "\"" + hint +
                                                 "; accepted: status [--json], show, access [--json], erase, forget"};
  }
  bool json = false;
  for (const auto& a : args) {
    if ((name == "status" || name == "access") && a.is_string() && a.get_string() == "--json")
      json = true;
    else
      return {IPFS_PLUGIN_ERR_INVALID_ARGUMENT,
              "unknown option " + boost::json::serialize(a) + " for 'telemetry " + std::string(name) + "'" +
                  ((name == "status" || name == "access") && a.is_string() &&
                           ipfs_common::edit_distance(a.get_string(), "--json") <= 2
                       ? " (did you mean \"--json\"?)"
                       : "") +
                  "; accepted: " + (name == "status" || name == "access" ? "--json" : "none")};
  }
  if (name == "status") return status(json);
  if (name == "show") return show();
  if (name == "access") return access(json);
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

  // Both rights, whatever the mode: they work with telemetry off too.
  const std::string access_command = host_command_ + " telemetry access";
  const std::string erase_command = host_command_ + " telemetry erase";
  o["rights"] = boost::json::object{{"access", access_command}, {"erasure", erase_command}};

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
  t += "Rights:    see what the collector holds about this node: '" + access_command + "'; erase it: '" +
       erase_command + "'\n";
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

boost::system::result<telemetry_plugin::owner_answer, std::string> telemetry_plugin::ask_as_owner(
    std::string_view relative, send_method method, std::uint64_t keep_body, std::string_view what) const {
  if (endpoint_source_ == endpoint_source::invalid || endpoint_.empty())
    return fail("no usable endpoint (Plugins.Plugins.telemetry.Config.Endpoint); cannot tell which collector to ask");
  if (auto blocker = endpoint_blocker()) return fail(*blocker);

  uuid_store uuids(*deps_.fs, repo_);
  auto loaded = uuids.load();
  if (!loaded) return fail(loaded.error());
  if (!loaded->has_value())
    return fail("no telemetry UUID in " + uuids.path().string() +
                ": this node cannot prove which events are its own, so it cannot make an " + std::string(what) +
                " request (a collector may still hold events sent under an earlier UUID; ask its operator)");

  owner_answer out;
  out.url = relative.empty() ? endpoint_ : service_url(endpoint_, relative);
  boost::asio::io_context ioc{1};
  auto made = deps_.make_sender(ioc.get_executor(), transport());
  if (!made) return fail(made.error());
  auto facts = query_facts();
  send_request req;
  req.endpoint = out.url;
  req.body = boost::json::serialize(boost::json::object{{"uuid", **loaded}});
  req.user_agent = facts ? facts->agent_version : std::string("ipfs-telemetry-plugin");
  req.method = method;
  req.keep_response_body = keep_body;
  (*made)->async_send(req, [&out](send_outcome o) { out.outcome = std::move(o); });
  ioc.run();  // bounded by Timeout
  made->reset();

  sent_log sent(*deps_.fs, repo_);
  if (auto r = sent.record(std::chrono::system_clock::now(), out.url, out.outcome, req.body, abandon_reason::none, what);
      !r)
    log_.warn("telemetry: cannot record the " + std::string(what) + " request in " + sent.path().string() + ": " +
              r.error());
  return out;
}

// DELETE / {"uuid": ...} to the endpoint itself (ask_as_owner).
command_result telemetry_plugin::erase() const {
  auto asked = ask_as_owner("", send_method::delete_, 0, "erasure");
  if (!asked) return {IPFS_PLUGIN_ERR_FAILED, asked.error()};
  const auto& outcome = asked->outcome;
  if (outcome.success())
    return {IPFS_PLUGIN_OK, "asked " + endpoint_ + " to erase every event of this node (" + outcome.describe() +
                                "); the UUID file is kept until 'telemetry off' or 'telemetry forget'\n"};
  if (!outcome.ec && (outcome.status == 404 || outcome.status == 405))
    return {IPFS_PLUGIN_ERR_FAILED,
            "the collector at " + endpoint_ + " does not offer erasure (" + outcome.describe() + ")"};
  return {IPFS_PLUGIN_ERR_FAILED, "erasure request to " + endpoint_ + " failed: " + outcome.describe() +
                                      (outcome.detail.empty() ? "" : " (" + outcome.detail + ")")};
}

// POST v1/access {"uuid": ...}, resolved against the endpoint (ask_as_owner).
// The answer's NDJSON is the output as it came (each line checked to be a
// JSON object); what it means goes to the log (stderr), never to stdout.
command_result telemetry_plugin::access(bool json) const {
  auto asked = ask_as_owner(k_access_path, send_method::post, k_max_access_answer, "access");
  if (!asked) return {IPFS_PLUGIN_ERR_FAILED, asked.error()};
  // Named references, not a structured binding: the header lambda below uses them (clang 14 cannot capture one).
  const auto& url = asked->url;
  const auto& outcome = asked->outcome;
  if (!outcome.ec && (outcome.status == 404 || outcome.status == 405))
    return {IPFS_PLUGIN_ERR_FAILED,
            "the collector at " + url + " does not offer access to a node's events (" + outcome.describe() + ")"};
  if (!outcome.success())
    return {IPFS_PLUGIN_ERR_FAILED, "access request to " + url + " failed: " + outcome.describe() +
                                        (outcome.detail.empty() ? "" : " (" + outcome.detail + ")")};
  if (!outcome.body_complete)
    return {IPFS_PLUGIN_ERR_FAILED, "the answer from " + url + " was cut short (over " +
                                        std::to_string(k_max_access_answer >> 20) +
                                        " MiB, or the connection closed early); nothing is printed"};

  auto header = [&](std::string_view name) -> std::optional<std::string> {
    for (const auto& [k, v] : outcome.headers)
      if (boost::beast::iequals(k, name)) return v;
    return std::nullopt;
  };
  const auto limit = header(k_access_limit_header);
  // Without it, a 200 is not a collector's access answer (a proxy's or another
  // application's page, even an empty one): never read as "nothing held".
  if (!limit)
    return {IPFS_PLUGIN_ERR_FAILED, "the answer from " + url + " is not a telemetry collector's access answer (no " +
                                        std::string(k_access_limit_header) + " header); nothing is printed"};

  // Each line checked; kept as a value only for --json (the NDJSON is printed as it came).
  boost::json::array events;
  std::size_t line_no = 0, count = 0;
  for (std::string_view rest = outcome.body; !rest.empty();) {
    const auto nl = rest.find('\n');
    const std::string_view line = rest.substr(0, nl);
    rest = nl == std::string_view::npos ? std::string_view() : rest.substr(nl + 1);
    ++line_no;
    boost::system::error_code ec;
    auto v = boost::json::parse(line, ec);
    if (ec || !v.is_object() || !v.as_object().contains("received_at") || !v.as_object().contains("event"))
      return {IPFS_PLUGIN_ERR_FAILED, "the answer from " + url + " is not the access format (line " +
                                          std::to_string(line_no) +
                                          " is not {\"received_at\": ..., \"event\": {...}}); nothing is printed"};
    ++count;
    if (json) events.push_back(std::move(v));
  }

  const auto truncated = header(k_access_truncated_header);
  const auto aggregates = header(k_access_aggregates_header);
  if (count == 0)
    log_.info("telemetry: " + url + " holds no raw event under this node's UUID");
  else
    log_.info("telemetry: " + url + " holds " + std::to_string(count) +
              (count == 1 ? " raw event" : " raw events") + " under this node's UUID");
  if (truncated)
    log_.warn("telemetry: the collector answers with its newest " + *limit + " events only; it holds older ones too (" +
              *truncated + ")");
  if (aggregates) log_.info("telemetry: the collector's aggregates: " + *aggregates);

  if (!json) return {IPFS_PLUGIN_OK, outcome.body};
  boost::json::object o;
  o["endpoint"] = url;
  o["events"] = std::move(events);
  o["truncated"] = truncated.has_value();
  o["aggregates"] = aggregates ? boost::json::value(*aggregates) : boost::json::value(nullptr);
  return {IPFS_PLUGIN_OK, boost::json::serialize(o) + "\n"};
}

command_result telemetry_plugin::forget() const {
  uuid_store uuids(*deps_.fs, repo_);
  auto removed = uuids.remove();
  if (!removed) return {IPFS_PLUGIN_ERR_FAILED, removed.error()};
  return {IPFS_PLUGIN_OK, *removed ? "removed the telemetry UUID file " + uuids.path().string() + "\n"
                                   : "no telemetry UUID file to remove\n"};
}

}  // namespace ipfs_telemetry
