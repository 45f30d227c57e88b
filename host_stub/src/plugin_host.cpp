#include "plugin_host.hpp"

#include "ipfs_common/edit_distance.hpp"
#include "ipfs_plugin/host.hpp"

#include <boost/json/serialize.hpp>

#include <dlfcn.h>
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <iterator>
#include <system_error>

#ifndef IPFS_STUB_DOCDIR
#define IPFS_STUB_DOCDIR "share/doc/ipfs_telemetry"
#endif

namespace ipfs_stub {

using ipfs_common::fail;

// Destroyed instance first, then the shared object (members in reverse order).
struct plugin_host::loaded {
  std::filesystem::path path;
  std::optional<ipfs_plugin::loaded_plugin> so;
  const ipfs_plugin_descriptor* desc = nullptr;
  std::optional<ipfs_plugin::plugin_instance> instance;
  bool started = false;
};

namespace {

// The member of `obj` that Go's encoding/json decodes into the struct field
// `field`: the last one whose name equals it ignoring ASCII letter case. (Go
// also folds the long s and the Kelvin sign; no field read here has them.)
template <class Object>  // boost::json::object, const or not
auto go_field(Object& obj, std::string_view field) -> decltype(&obj.begin()->value()) {
  decltype(&obj.begin()->value()) found = nullptr;
  for (auto& kv : obj)
    if (ipfs_common::equal_ignoring_case(kv.key(), field)) found = &kv.value();
  return found;
}

template <class Value>  // boost::json::value, const or not
auto find_plugins_map(Value& config) -> decltype(config.if_object()) {
  auto* root = config.if_object();
  auto* outer = root ? go_field(*root, "Plugins") : nullptr;
  auto* outer_obj = outer ? outer->if_object() : nullptr;
  auto* inner = outer_obj ? go_field(*outer_obj, "Plugins") : nullptr;
  return inner ? inner->if_object() : nullptr;
}

log_level from_abi(int32_t level) {
  switch (level) {
    case IPFS_LOG_DEBUG: return log_level::debug;
    case IPFS_LOG_INFO: return log_level::info;
    case IPFS_LOG_WARN: return log_level::warn;
    default: return log_level::error;
  }
}



}  // namespace

const boost::json::object* plugins_map(const boost::json::value& config) { return find_plugins_map(config); }

const boost::json::value* plugin_setting(const boost::json::value& config, const std::string& name,
                                         std::string_view field) {
  const auto* map = plugins_map(config);
  const auto* block = map ? map->if_contains(name) : nullptr;
  const auto* block_obj = block ? block->if_object() : nullptr;
  return block_obj ? go_field(*block_obj, field) : nullptr;
}

void clear_disabled(boost::json::value& config, const std::string& name) {
  auto* map = find_plugins_map(config);
  auto* block = map ? map->if_contains(name) : nullptr;
  auto* block_obj = block ? block->if_object() : nullptr;
  if (!block_obj) return;
  // stable_erase: the order of the other members decides which spelling wins.
  for (auto it = block_obj->begin(); it != block_obj->end();)
    it = ipfs_common::equal_ignoring_case(it->key(), "Disabled") ? block_obj->stable_erase(it) : std::next(it);
}

ipfs_common::message_result<void> validate_descriptor(const ipfs_plugin_descriptor* d) {
  if (auto why = ipfs_plugin::check_descriptor(d)) return fail(*why);
  return {};
}

std::filesystem::path bundled_plugin_dir() {
  char buf[PATH_MAX];
  ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0) return {};
  buf[n] = '\0';
  return std::filesystem::path(buf).parent_path().parent_path() / "lib" / "ipfs-stub" / "plugins";
}

std::string bundled_docs_file() {
  char buf[PATH_MAX];
  ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0) return {};
  buf[n] = '\0';
  const auto file = std::filesystem::path(buf).parent_path().parent_path() / IPFS_STUB_DOCDIR / "telemetry.md";
  std::error_code ec;
  return std::filesystem::is_regular_file(file, ec) ? file.string() : std::string();
}

plugin_host::plugin_host(go_logger& log, const node_state& state) : log_(log), state_(state) {
  // Called from the plugins' threads: go_logger is thread-safe, node_state is
  // never written, and the walk behind node_facts stops when close_all begins.
  services_.log = [this](int32_t level, std::string_view subsystem, std::string_view message) {
    log_.log(from_abi(level), subsystem, message);
  };
  services_.log_enabled = [this](int32_t level, std::string_view subsystem) {
    return log_.enabled(from_abi(level), subsystem);
  };
  services_.node_facts = [this]() -> std::optional<std::string> {
    auto facts = node_facts(state_, &stopping_);
    if (!facts) return std::nullopt;  // interrupted: the host is shutting down
    return boost::json::serialize(*facts);
  };
}

plugin_host::~plugin_host() { close_all(); }

bool plugin_host::disabled(const std::string& name) const {
  const auto* v = plugin_setting(state_.config, name, "Disabled");
  return v && v->is_bool() && v->get_bool();
}

plugin_host::loaded* plugin_host::find(const std::string& name) {
  for (auto& p : plugins_)
    if (p->desc && name == p->desc->name) return p.get();
  return nullptr;
}

void plugin_host::load(const std::vector<std::filesystem::path>& dirs) {
  for (const auto& dir : dirs) {
    std::error_code ec;
    if (!std::filesystem::is_directory(dir, ec)) continue;
    std::vector<std::filesystem::path> files;
    for (std::filesystem::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec))
      if (it->path().extension() == ".so") files.push_back(it->path());
    std::sort(files.begin(), files.end());
    for (const auto& f : files) load_file(f);
  }
}

void plugin_host::load_file(const std::filesystem::path& file) {
  const std::string stem = file.stem().string();
  if (disabled(stem)) {
    log_.log(log_level::info, "plugin", "plugin " + stem + " is disabled (Plugins.Plugins." + stem +
                                            ".Disabled); not loaded: " + file.string());
    return;
  }
  // dlopen would block on a FIFO (and SIGTERM is not taken yet): only regular
  // files (a symlink to one is fine: installed plugins are often links).
  std::error_code sec;
  if (!std::filesystem::is_regular_file(file, sec)) {
    log_.log(log_level::error, "plugin", "cannot load plugin " + file.string() + ": not a regular file");
    return;
  }
  auto so = ipfs_plugin::loaded_plugin::load(file.string());
  if (!so.ok()) {
    log_.log(log_level::error, "plugin", so.error());
    return;
  }
  const ipfs_plugin_descriptor* d = &so.value().descriptor();
  const std::string name = d->name;
  if (disabled(name)) {
    log_.log(log_level::info, "plugin",
             "plugin " + name + " is disabled (Plugins.Plugins." + name + ".Disabled); not loaded: " + file.string());
    return;
  }
  if (find(name)) {
    log_.log(log_level::error, "plugin",
             "refusing plugin " + file.string() + ": a plugin named \"" + name + "\" is already loaded");
    return;
  }
  auto p = std::make_unique<loaded>();
  p->path = file;
  p->so.emplace(std::move(so.value()));
  p->desc = d;
  log_.log(log_level::debug, "plugin", "loaded plugin " + name + " " + (d->version ? d->version : "") + " from " +
                                           file.string());
  plugins_.push_back(std::move(p));
}

void plugin_host::init_all(int32_t context, const std::string& only) {
  for (auto it = plugins_.begin(); it != plugins_.end();) {
    auto& p = **it;
    if ((!only.empty() && only != p.desc->name) || p.instance) {
      ++it;
      continue;
    }
    const auto* cfg = plugin_setting(state_.config, p.desc->name, "Config");
    ipfs_plugin::instance_options o;
    o.context = context;
    o.repo_path = state_.repo.string();
    o.config_json = cfg ? boost::json::serialize(*cfg) : "null";
    o.host_command = "ipfs-stub";
    o.docs_url = bundled_docs_file();
    auto inst = ipfs_plugin::plugin_instance::create(*p.so, services_, o);
    if (!inst.ok()) {
      log_.log(log_level::error, "plugin", inst.error() + "; unloading it");
      it = plugins_.erase(it);
      continue;
    }
    p.instance.emplace(std::move(inst.value()));
    ++it;
  }
}

void plugin_host::start_all() {
  for (auto& p : plugins_) {
    if (!p->instance || p->started || !p->desc->start) continue;
    const int32_t rc = p->instance->start();
    if (rc != IPFS_PLUGIN_OK)
      log_.log(log_level::error, "plugin",
               "plugin " + std::string(p->desc->name) + " failed to start (status " + std::to_string(rc) + ")");
    p->started = true;
  }
}

void plugin_host::close_all() {
  stopping_ = true;
  // Reverse order: a later plugin may depend on an earlier one.
  while (!plugins_.empty()) {
    auto p = std::move(plugins_.back());
    plugins_.pop_back();
    if (p->instance) {
      const int32_t rc = p->instance->close();
      if (rc != IPFS_PLUGIN_OK)
        log_.log(log_level::error, "plugin",
                 "plugin " + std::string(p->desc->name) + " reported an error on close (status " + std::to_string(rc) + ")");
    }
    // ~loaded: the closed instance, then dlclose.
  }
}

std::vector<std::string> plugin_host::names() const {
  std::vector<std::string> out;
  for (const auto& p : plugins_) out.emplace_back(p->desc->name);
  return out;
}

ipfs_common::message_result<plugin_host::command_output> plugin_host::command(const std::string& plugin,
                                                                              const std::string& name,
                                                                              const std::string& args_json) {
  auto* p = find(plugin);
  if (!p) return fail("plugin " + plugin + " is not loaded");
  if (!p->instance) return fail("plugin " + plugin + " is not initialized");
  if (!p->desc->command) return fail("plugin " + plugin + " offers no commands");
  auto r = p->instance->command(name, args_json);
  command_output out;
  out.status = r.status;
  out.text = std::move(r.text);
  return out;
}

}  // namespace ipfs_stub
