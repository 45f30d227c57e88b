#include "plugin_host.hpp"

#include "ipfs_common/json_path.hpp"

#include <boost/json/serialize.hpp>

#include <dlfcn.h>
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <system_error>

#ifndef IPFS_STUB_DOCDIR
#define IPFS_STUB_DOCDIR "share/doc/ipfs_telemetry"
#endif

namespace ipfs_stub {

using ipfs_common::fail;

struct plugin_host::loaded {
  std::filesystem::path path;
  void* handle = nullptr;
  const ipfs_plugin_descriptor* desc = nullptr;
  ipfs_plugin_instance* instance = nullptr;
  bool started = false;
};

namespace {

log_level from_abi(int32_t level) {
  switch (level) {
    case IPFS_LOG_DEBUG: return log_level::debug;
    case IPFS_LOG_INFO: return log_level::info;
    case IPFS_LOG_WARN: return log_level::warn;
    default: return log_level::error;
  }
}

// The services table's functions. host_ctx is the plugin_host's context pair.
struct service_ctx {
  go_logger* log;
  const node_state* state;
  // Set when close_all begins: a node-facts call still walking the repo on a
  // plugin's thread gives up, so the plugin's close never waits for the walk.
  std::atomic<bool> stopping{false};
};

void svc_log(void* ctx, int32_t level, const char* subsystem, const char* message) {
  auto* c = static_cast<service_ctx*>(ctx);
  try {
    c->log->log(from_abi(level), subsystem ? subsystem : "plugin", message ? message : "");
  } catch (...) {
  }
}

int32_t svc_log_enabled(void* ctx, int32_t level, const char* subsystem) {
  auto* c = static_cast<service_ctx*>(ctx);
  return c->log->enabled(from_abi(level), subsystem ? subsystem : "plugin") ? 1 : 0;
}

char* svc_node_facts(void* ctx) {
  auto* c = static_cast<service_ctx*>(ctx);
  try {
    auto facts = node_facts(*c->state, &c->stopping);
    if (!facts) return nullptr;  // interrupted: the host is shutting down
    const std::string text = boost::json::serialize(*facts);
    char* p = static_cast<char*>(std::malloc(text.size() + 1));
    if (p) std::memcpy(p, text.c_str(), text.size() + 1);
    return p;
  } catch (...) {
    return nullptr;
  }
}

void svc_free_string(void*, char* s) { std::free(s); }

}  // namespace

ipfs_common::message_result<void> validate_descriptor(const ipfs_plugin_descriptor* d) {
  if (!d) return fail("the query function returned no descriptor");
  // abi_version and struct_size are the two fields every revision has.
  if (d->abi_version != IPFS_PLUGIN_ABI_VERSION)
    return fail("unsupported plugin ABI version " + std::to_string(d->abi_version) + " (this host supports " +
                std::to_string(IPFS_PLUGIN_ABI_VERSION) + ")");
  if (d->struct_size < sizeof(ipfs_plugin_descriptor))
    return fail("plugin descriptor too small: " + std::to_string(d->struct_size) + " bytes, ABI version " +
                std::to_string(IPFS_PLUGIN_ABI_VERSION) + " needs " + std::to_string(sizeof(ipfs_plugin_descriptor)));
  if (!d->name || !*d->name) return fail("plugin descriptor has no name");
  if (!d->init || !d->close || !d->free_string) return fail("plugin descriptor lacks init, close or free_string");
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
  auto* ctx = new service_ctx{&log_, &state_, {}};
  services_.abi_version = IPFS_PLUGIN_ABI_VERSION;
  services_.struct_size = sizeof(ipfs_host_services);
  services_.host_ctx = ctx;
  services_.log = &svc_log;
  services_.log_enabled = &svc_log_enabled;
  services_.node_facts = &svc_node_facts;
  services_.free_string = &svc_free_string;
}

plugin_host::~plugin_host() {
  close_all();
  delete static_cast<service_ctx*>(services_.host_ctx);
}

bool plugin_host::disabled(const std::string& name) const {
  const auto* v = ipfs_common::find_path(state_.config, std::vector<std::string>{"Plugins", "Plugins", name, "Disabled"});
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
  void* handle = ::dlopen(file.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!handle) {
    const char* err = ::dlerror();
    log_.log(log_level::error, "plugin", "cannot load plugin " + file.string() + ": " + (err ? err : "unknown error"));
    return;
  }
  auto refuse = [&](const std::string& why) {
    log_.log(log_level::error, "plugin", "refusing plugin " + file.string() + ": " + why);
    ::dlclose(handle);
  };
  auto query = reinterpret_cast<ipfs_plugin_query_fn>(::dlsym(handle, IPFS_PLUGIN_QUERY_SYMBOL));
  if (!query) return refuse(std::string("it does not export ") + IPFS_PLUGIN_QUERY_SYMBOL);
  const ipfs_plugin_descriptor* d = query();
  if (auto ok = validate_descriptor(d); !ok) return refuse(ok.error());
  const std::string name = d->name;
  if (disabled(name)) {
    log_.log(log_level::info, "plugin",
             "plugin " + name + " is disabled (Plugins.Plugins." + name + ".Disabled); not loaded: " + file.string());
    ::dlclose(handle);
    return;
  }
  if (find(name)) return refuse("a plugin named \"" + name + "\" is already loaded");
  auto p = std::make_unique<loaded>();
  p->path = file;
  p->handle = handle;
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
    const auto* cfg = ipfs_common::find_path(state_.config,
                                             std::vector<std::string>{"Plugins", "Plugins", p.desc->name, "Config"});
    const std::string cfg_text = cfg ? boost::json::serialize(*cfg) : "null";
    const std::string repo = state_.repo.string();
    ipfs_plugin_env env{};
    env.struct_size = sizeof env;
    env.context = context;
    env.repo_path = repo.c_str();
    env.config_json = cfg_text.c_str();
    env.services = &services_;
    env.host_command = "ipfs-stub";
    const std::string docs = bundled_docs_file();
    env.docs_url = docs.empty() ? nullptr : docs.c_str();
    int32_t rc = p.desc->init(&env, &p.instance);
    if (rc != IPFS_PLUGIN_OK || !p.instance) {
      log_.log(log_level::error, "plugin",
               "plugin " + std::string(p.desc->name) + " failed to initialize (status " + std::to_string(rc) +
                   "); unloading it");
      ::dlclose(p.handle);
      it = plugins_.erase(it);
      continue;
    }
    ++it;
  }
}

void plugin_host::start_all() {
  for (auto& p : plugins_) {
    if (!p->instance || p->started || !p->desc->start) continue;
    int32_t rc = p->desc->start(p->instance);
    if (rc != IPFS_PLUGIN_OK)
      log_.log(log_level::error, "plugin",
               "plugin " + std::string(p->desc->name) + " failed to start (status " + std::to_string(rc) + ")");
    p->started = true;
  }
}

void plugin_host::close_all() {
  static_cast<service_ctx*>(services_.host_ctx)->stopping = true;
  // Reverse order: a later plugin may depend on an earlier one.
  while (!plugins_.empty()) {
    auto p = std::move(plugins_.back());
    plugins_.pop_back();
    if (p->instance) {
      int32_t rc = p->desc->close(p->instance);
      if (rc != IPFS_PLUGIN_OK)
        log_.log(log_level::error, "plugin",
                 "plugin " + std::string(p->desc->name) + " reported an error on close (status " + std::to_string(rc) + ")");
    }
    ::dlclose(p->handle);
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
  char* text = nullptr;
  command_output out;
  out.status = p->desc->command(p->instance, name.c_str(), args_json.c_str(), &text);
  if (text) {
    out.text = text;
    p->desc->free_string(text);
  }
  return out;
}

}  // namespace ipfs_stub
