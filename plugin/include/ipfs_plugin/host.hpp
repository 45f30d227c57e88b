#pragma once
// ipfs_plugin/host.hpp: a header-only C++17 helper for writing a host of
// plugins built against ipfs_plugin/abi.h. It owns what every host must get
// right: loading and unloading a shared object (RAII), checking a descriptor
// before trusting any of its fields, the services table with its callbacks,
// init/start/command/close in the order the ABI requires, and freeing each
// string on the side that allocated it. A complete host:
//
//   ipfs_plugin::host_services services;
//   services.log = [](int32_t level, std::string_view sys, std::string_view msg) { ... };
//   services.node_facts = [] { return std::optional<std::string>(my_facts_json()); };
//   auto plugin = ipfs_plugin::loaded_plugin::load("/usr/lib/my-node/plugins/telemetry.so");
//   if (!plugin.ok()) { report(plugin.error()); return 1; }
//   ipfs_plugin::instance_options o;
//   o.context = IPFS_PLUGIN_CONTEXT_DAEMON; o.repo_path = repo; o.config_json = cfg; o.host_command = "my-node";
//   auto inst = ipfs_plugin::plugin_instance::create(plugin.value(), services, o);
//   if (!inst.ok()) { report(inst.error()); return 1; }
//   inst.value().start();
//   wait_for_signal();
//   // ~plugin_instance closes (joining the plugin's threads), ~loaded_plugin unloads.
//
// Threading: one thread at a time calls a plugin_instance's members (the ABI's
// rule); the callbacks in host_services may be called from the plugin's own
// threads at any time between create() and the instance's destruction, so they
// must be thread-safe. Errors are values (`outcome<T>`); nothing here throws
// except std::bad_alloc.

#include "ipfs_plugin/abi.h"

#include <dlfcn.h>

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace ipfs_plugin {

// A value or a message for the user.
template <class T>
class outcome {
 public:
  outcome(T value) : v_(std::move(value)) {}
  static outcome failure(std::string message) { return outcome(error_tag{}, std::move(message)); }
  bool ok() const { return v_.index() == 0; }
  T& value() { return std::get<0>(v_); }
  const std::string& error() const { return std::get<1>(v_); }

 private:
  struct error_tag {};
  outcome(error_tag, std::string m) : v_(std::in_place_index<1>, std::move(m)) {}
  std::variant<T, std::string> v_;
};

// Checks a descriptor before any of its fields is trusted: a known ABI
// version, a struct_size covering this revision, a name, init, close and
// free_string. nullopt when it may be used, else why not.
inline std::optional<std::string> check_descriptor(const ipfs_plugin_descriptor* d) {
  if (!d) return std::string("the query function returned no descriptor");
  if (d->abi_version != IPFS_PLUGIN_ABI_VERSION)
    return "unsupported plugin ABI version " + std::to_string(d->abi_version) + " (this host supports " +
           std::to_string(IPFS_PLUGIN_ABI_VERSION) + ")";
  if (d->struct_size < sizeof(ipfs_plugin_descriptor))
    return "plugin descriptor too small: " + std::to_string(d->struct_size) + " bytes, ABI version " +
           std::to_string(IPFS_PLUGIN_ABI_VERSION) + " needs " + std::to_string(sizeof(ipfs_plugin_descriptor));
  if (!d->name || !*d->name) return std::string("plugin descriptor has no name");
  if (!d->init || !d->close || !d->free_string) return std::string("plugin descriptor lacks init, close or free_string");
  return std::nullopt;
}

// The services a host offers, as C++ callbacks; table() is what plugins get.
// Must outlive every plugin_instance created with it. Unset callbacks are
// left NULL in the table (a plugin then does without them).
class host_services {
 public:
  std::function<void(int32_t level, std::string_view subsystem, std::string_view message)> log;
  std::function<bool(int32_t level, std::string_view subsystem)> log_enabled;
  // The node facts document (docs/plugin-abi.md, schemas/node_facts.schema.json),
  // or nullopt when it cannot be computed (or the host is shutting down).
  std::function<std::optional<std::string>()> node_facts;

  host_services() = default;
  host_services(const host_services&) = delete;
  host_services& operator=(const host_services&) = delete;

  const ipfs_host_services* table() {
    table_.abi_version = IPFS_PLUGIN_ABI_VERSION;
    table_.struct_size = sizeof(ipfs_host_services);
    table_.host_ctx = this;
    table_.log = log ? &c_log : nullptr;
    table_.log_enabled = log_enabled ? &c_log_enabled : nullptr;
    table_.node_facts = node_facts ? &c_node_facts : nullptr;
    table_.free_string = &c_free_string;
    return &table_;
  }

 private:
  static host_services& self(void* ctx) { return *static_cast<host_services*>(ctx); }
  static void c_log(void* ctx, int32_t level, const char* subsystem, const char* message) {
    try {
      self(ctx).log(level, subsystem ? subsystem : "plugin", message ? message : "");
    } catch (...) {
    }
  }
  static int32_t c_log_enabled(void* ctx, int32_t level, const char* subsystem) {
    try {
      return self(ctx).log_enabled(level, subsystem ? subsystem : "plugin") ? 1 : 0;
    } catch (...) {
      return 0;
    }
  }
  static char* c_node_facts(void* ctx) {
    try {
      auto text = self(ctx).node_facts();
      if (!text) return nullptr;
      char* p = static_cast<char*>(std::malloc(text->size() + 1));
      if (p) std::memcpy(p, text->c_str(), text->size() + 1);
      return p;
    } catch (...) {
      return nullptr;
    }
  }
  static void c_free_string(void*, char* s) { std::free(s); }

  ipfs_host_services table_{};
};

// A loaded shared object whose descriptor passed check_descriptor. Unloaded
// (dlclose) on destruction: destroy every plugin_instance of it first.
class loaded_plugin {
 public:
  static outcome<loaded_plugin> load(const std::string& path) {
    void* handle = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!handle) {
      const char* err = ::dlerror();
      return outcome<loaded_plugin>::failure("cannot load plugin " + path + ": " + (err ? err : "unknown error"));
    }
    loaded_plugin p(handle);
    auto query = reinterpret_cast<ipfs_plugin_query_fn>(::dlsym(handle, IPFS_PLUGIN_QUERY_SYMBOL));
    if (!query)
      return outcome<loaded_plugin>::failure("refusing plugin " + path + ": it does not export " IPFS_PLUGIN_QUERY_SYMBOL);
    const ipfs_plugin_descriptor* d = query();
    if (auto why = check_descriptor(d)) return outcome<loaded_plugin>::failure("refusing plugin " + path + ": " + *why);
    p.desc_ = d;
    return outcome<loaded_plugin>(std::move(p));
  }

  loaded_plugin(loaded_plugin&& o) noexcept : handle_(std::exchange(o.handle_, nullptr)), desc_(o.desc_) {}
  loaded_plugin& operator=(loaded_plugin&& o) noexcept {
    if (this != &o) {
      unload();
      handle_ = std::exchange(o.handle_, nullptr);
      desc_ = o.desc_;
    }
    return *this;
  }
  loaded_plugin(const loaded_plugin&) = delete;
  loaded_plugin& operator=(const loaded_plugin&) = delete;
  ~loaded_plugin() { unload(); }

  const ipfs_plugin_descriptor& descriptor() const { return *desc_; }
  std::string name() const { return desc_->name; }

 private:
  explicit loaded_plugin(void* handle) : handle_(handle) {}
  void unload() {
    if (handle_) ::dlclose(handle_);
    handle_ = nullptr;
  }
  void* handle_ = nullptr;
  const ipfs_plugin_descriptor* desc_ = nullptr;
};

struct instance_options {
  int32_t context = IPFS_PLUGIN_CONTEXT_COMMAND;
  std::string repo_path;             // absolute
  std::string config_json = "null";  // Plugins.Plugins.<name>.Config as JSON text
  std::string host_command;          // e.g. "my-node"; empty: the plugin's default ("ipfs")
  std::string docs_url;              // where the host's copy of the plugin's docs is; empty: the plugin's default
};

struct command_output {
  int32_t status = IPFS_PLUGIN_ERR_UNKNOWN_COMMAND;
  std::string text;  // for stdout on IPFS_PLUGIN_OK, an error message otherwise
};

// One initialised instance; closed (the plugin joins its threads) on destruction.
class plugin_instance {
 public:
  static outcome<plugin_instance> create(const loaded_plugin& plugin, host_services& services,
                                         const instance_options& options) {
    ipfs_plugin_env env{};
    env.struct_size = sizeof env;
    env.context = options.context;
    env.repo_path = options.repo_path.c_str();
    env.config_json = options.config_json.c_str();
    env.services = services.table();
    env.host_command = options.host_command.empty() ? nullptr : options.host_command.c_str();
    env.docs_url = options.docs_url.empty() ? nullptr : options.docs_url.c_str();
    ipfs_plugin_instance* raw = nullptr;
    const int32_t rc = plugin.descriptor().init(&env, &raw);
    if (rc != IPFS_PLUGIN_OK || !raw)
      return outcome<plugin_instance>::failure("plugin " + plugin.name() + " failed to initialize (status " +
                                               std::to_string(rc) + ")");
    return plugin_instance(&plugin.descriptor(), raw);
  }

  plugin_instance(plugin_instance&& o) noexcept
      : desc_(o.desc_), instance_(std::exchange(o.instance_, nullptr)), started_(o.started_) {}
  plugin_instance& operator=(plugin_instance&&) = delete;
  plugin_instance(const plugin_instance&) = delete;
  plugin_instance& operator=(const plugin_instance&) = delete;
  ~plugin_instance() { close(); }

  // Daemon context only. The status of the plugin's start.
  int32_t start() {
    if (!instance_ || started_ || !desc_->start) return IPFS_PLUGIN_ERR_INVALID_ARGUMENT;
    started_ = true;
    return desc_->start(instance_);
  }

  // Runs a command; `args_json` is a JSON array of strings.
  command_output command(const std::string& name, const std::string& args_json = "[]") {
    command_output out;
    if (!instance_ || !desc_->command) return {IPFS_PLUGIN_ERR_UNKNOWN_COMMAND, "the plugin offers no commands"};
    char* text = nullptr;
    out.status = desc_->command(instance_, name.c_str(), args_json.c_str(), &text);
    if (text) {
      out.text = text;
      desc_->free_string(text);
    }
    return out;
  }

  // Stops the plugin's work and frees the instance (bounded by the plugin).
  // The status of its close; idempotent.
  int32_t close() {
    if (!instance_) return IPFS_PLUGIN_OK;
    return desc_->close(std::exchange(instance_, nullptr));
  }

 private:
  plugin_instance(const ipfs_plugin_descriptor* d, ipfs_plugin_instance* i) : desc_(d), instance_(i) {}
  const ipfs_plugin_descriptor* desc_;
  ipfs_plugin_instance* instance_;
  bool started_ = false;
};

}  // namespace ipfs_plugin
