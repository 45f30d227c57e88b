// The C ABI of the telemetry plugin: the only file that sees ipfs_plugin/abi.h's
// entry points. Converts between C and the C++ core and keeps every exception
// on this side of the boundary.

#include "ipfs_plugin/abi.h"
#include "telemetry_plugin.hpp"

#include <boost/json/parse.hpp>

#include <cstdlib>
#include <cstring>
#include <new>

#ifndef TELEMETRY_PLUGIN_VERSION
#define TELEMETRY_PLUGIN_VERSION "0.0.0"
#endif

struct ipfs_plugin_instance {
  ipfs_telemetry::telemetry_plugin plugin;
};

namespace {

char* dup_string(const std::string& s) {
  char* p = static_cast<char*>(std::malloc(s.size() + 1));
  if (p) std::memcpy(p, s.c_str(), s.size() + 1);
  return p;
}

void report(const ipfs_host_services* services, const char* what) noexcept {
  try {
    ipfs_telemetry::logger(services).error(std::string("telemetry: internal error: ") + what);
  } catch (...) {
  }
}

int32_t plugin_init(const ipfs_plugin_env* env, ipfs_plugin_instance** out) noexcept {
  // Hosts of the first revision pass a smaller env; the newer members are then absent.
  if (!env || !out || env->struct_size < IPFS_PLUGIN_ENV_MIN_SIZE || !env->repo_path)
    return IPFS_PLUGIN_ERR_INVALID_ARGUMENT;
  *out = nullptr;
  try {
    *out = new ipfs_plugin_instance{ipfs_telemetry::telemetry_plugin(*env, ipfs_telemetry::default_deps())};
    return IPFS_PLUGIN_OK;
  } catch (const std::exception& e) {
    report(env->services, e.what());
  } catch (...) {
    report(env->services, "unknown exception in init");
  }
  return IPFS_PLUGIN_ERR_INTERNAL;
}

int32_t plugin_start(ipfs_plugin_instance* p) noexcept {
  if (!p) return IPFS_PLUGIN_ERR_INVALID_ARGUMENT;
  try {
    p->plugin.start();
    return IPFS_PLUGIN_OK;
  } catch (...) {
    return IPFS_PLUGIN_ERR_INTERNAL;
  }
}

int32_t plugin_close(ipfs_plugin_instance* p) noexcept {
  if (!p) return IPFS_PLUGIN_OK;
  int32_t rc = IPFS_PLUGIN_OK;
  try {
    p->plugin.close();
  } catch (...) {
    rc = IPFS_PLUGIN_ERR_INTERNAL;
  }
  delete p;
  return rc;
}

int32_t plugin_command(ipfs_plugin_instance* p, const char* name, const char* args_json, char** out_text) noexcept {
  if (out_text) *out_text = nullptr;
  if (!p || !name || !out_text) return IPFS_PLUGIN_ERR_INVALID_ARGUMENT;
  try {
    boost::json::array args;
    if (args_json && *args_json) {
      boost::system::error_code ec;
      auto jv = boost::json::parse(args_json, ec);
      if (ec || !jv.is_array()) {
        *out_text = dup_string("command arguments must be a JSON array of strings");
        return IPFS_PLUGIN_ERR_INVALID_ARGUMENT;
      }
      args = std::move(jv.as_array());
    }
    auto r = p->plugin.command(name, args);
    *out_text = dup_string(r.text);
    return r.status;
  } catch (const std::exception& e) {
    *out_text = dup_string(std::string("internal error: ") + e.what());
  } catch (...) {
    *out_text = dup_string("internal error");
  }
  return IPFS_PLUGIN_ERR_INTERNAL;
}

void plugin_free_string(char* s) noexcept { std::free(s); }

const ipfs_plugin_descriptor k_descriptor = {
    IPFS_PLUGIN_ABI_VERSION,
    sizeof(ipfs_plugin_descriptor),
    "telemetry",
    TELEMETRY_PLUGIN_VERSION,
    &plugin_init,
    &plugin_start,
    &plugin_close,
    &plugin_command,
    &plugin_free_string,
};

}  // namespace

extern "C" IPFS_PLUGIN_EXPORT const ipfs_plugin_descriptor* ipfs_plugin_query(void) {
  return &k_descriptor;
}
