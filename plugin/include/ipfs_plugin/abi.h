/*
 * ipfs_plugin/abi.h: the whole contract between a node daemon (the host) and a
 * dynamically loaded plugin. Plain C11; nothing C++ crosses it.
 *
 * Versioning rules
 *  - Every struct starts with `abi_version` and/or `struct_size`. New fields are
 *    only ever appended. A reader checks `struct_size` before touching a field
 *    that a later revision added (offsetof(field) + sizeof(field) <= struct_size).
 *  - IPFS_PLUGIN_ABI_VERSION changes only for incompatible changes; a host
 *    refuses a plugin whose descriptor carries a version it does not know.
 *
 * Memory rules
 *  - Memory is freed by the side that allocated it: strings the plugin returns
 *    are released with the descriptor's `free_string`; strings the host returns
 *    with the services table's `free_string`.
 *  - Strings are NUL-terminated UTF-8. Borrowed `const char*` arguments are only
 *    valid for the duration of the call.
 *
 * Threading rules
 *  - The host calls init/start/command/close from one thread at a time, in the
 *    order init -> [start] -> close, or init -> command* -> close.
 *  - The plugin may call the host services from any thread it owns, at any time
 *    between init and the return of close; the host makes them thread-safe.
 *  - No function of either side lets an exception, signal or abort escape; every
 *    failure is a status code.
 *
 * See docs/plugin-abi.md for a walkthrough of writing a host or a plugin.
 */
#ifndef IPFS_PLUGIN_ABI_H
#define IPFS_PLUGIN_ABI_H

#include <stdint.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#define IPFS_PLUGIN_ABI_VERSION 1u

/* The one symbol a plugin exports. */
#define IPFS_PLUGIN_QUERY_SYMBOL "ipfs_plugin_query"

/* Status codes returned by plugin entry points. */
#define IPFS_PLUGIN_OK 0
#define IPFS_PLUGIN_ERR_INVALID_ARGUMENT 1
#define IPFS_PLUGIN_ERR_UNKNOWN_COMMAND 2
#define IPFS_PLUGIN_ERR_FAILED 3
#define IPFS_PLUGIN_ERR_INTERNAL 4

/* Log levels, as go-log names them. */
#define IPFS_LOG_DEBUG 0
#define IPFS_LOG_INFO 1
#define IPFS_LOG_WARN 2
#define IPFS_LOG_ERROR 3

/* Values of ipfs_plugin_env.context. */
#define IPFS_PLUGIN_CONTEXT_COMMAND 0 /* a one-shot CLI command; start is never called */
#define IPFS_PLUGIN_CONTEXT_DAEMON 1  /* a running daemon; start and close follow */

/* Opaque plugin instance, created by init and destroyed by close. */
typedef struct ipfs_plugin_instance ipfs_plugin_instance;

/*
 * Services the host offers. The table and `host_ctx` stay valid from init until
 * close returns.
 */
typedef struct ipfs_host_services {
  uint32_t abi_version; /* IPFS_PLUGIN_ABI_VERSION of the host */
  uint32_t struct_size; /* sizeof(ipfs_host_services) as the host compiled it */
  void* host_ctx;       /* passed back as the first argument of every service */

  /* Writes one log line for `subsystem` (e.g. "telemetry") at `level`. */
  void (*log)(void* host_ctx, int32_t level, const char* subsystem, const char* message);

  /* Non-zero if a line at `level` for `subsystem` would be written, so a plugin
   * can skip building expensive debug output. */
  int32_t (*log_enabled)(void* host_ctx, int32_t level, const char* subsystem);

  /*
   * Facts about the node as a JSON object (see docs/plugin-abi.md, "Node facts"),
   * computed at the time of the call. Returns NULL on failure. The caller frees
   * the result with `free_string`. May take a while (it measures the repo): call
   * it off the host's threads.
   */
  char* (*node_facts)(void* host_ctx);

  /* Frees a string returned by a host service. NULL is accepted. */
  void (*free_string)(void* host_ctx, char* s);
} ipfs_host_services;

/* What the host tells a plugin at init. */
typedef struct ipfs_plugin_env {
  uint32_t struct_size;
  int32_t context;         /* IPFS_PLUGIN_CONTEXT_* */
  const char* repo_path;   /* absolute path of the node's repo directory */
  const char* config_json; /* Plugins.Plugins.<name>.Config as JSON text; "null" if unset */
  const ipfs_host_services* services;

  /* Added after the first revision: read only when struct_size covers them
   * (IPFS_PLUGIN_ENV_HAS). Either may be NULL. */
  const char* host_command; /* the host's command as users type it, e.g. "ipfs-stub"; NULL: "ipfs" */
  const char* docs_url;     /* where the host's copy of the plugin's docs is (URL or absolute path);
                               NULL: the plugin's own default */
} ipfs_plugin_env;

/* The size of the first revision of ipfs_plugin_env: the least a plugin accepts. */
#define IPFS_PLUGIN_ENV_MIN_SIZE (offsetof(ipfs_plugin_env, services) + sizeof(const ipfs_host_services*))

/* Non-zero when `env` (non-NULL) is large enough to carry `member`. */
#define IPFS_PLUGIN_ENV_HAS(env, member) \
  ((env)->struct_size >= offsetof(ipfs_plugin_env, member) + sizeof((env)->member))

/* What a plugin offers. Returned by ipfs_plugin_query; static, never freed. */
typedef struct ipfs_plugin_descriptor {
  uint32_t abi_version; /* IPFS_PLUGIN_ABI_VERSION the plugin was built for */
  uint32_t struct_size; /* sizeof(ipfs_plugin_descriptor) as the plugin compiled it */
  const char* name;     /* e.g. "telemetry"; also its key under Plugins.Plugins */
  const char* version;  /* the plugin's own version, informational */

  /* Creates an instance. Does no network I/O and starts no thread. On success
   * stores the instance in *out and returns IPFS_PLUGIN_OK. */
  int32_t (*init)(const ipfs_plugin_env* env, ipfs_plugin_instance** out);

  /* Daemon context only: begins the plugin's background work. Returns promptly. */
  int32_t (*start)(ipfs_plugin_instance* instance);

  /* Stops all background work, joins the plugin's threads and frees the
   * instance. Bounded in time; after it returns no plugin code runs. NULL is
   * accepted. */
  int32_t (*close)(ipfs_plugin_instance* instance);

  /*
   * Runs a named command (e.g. "status") with arguments as a JSON array of
   * strings. On IPFS_PLUGIN_OK, *out_text holds text for the user's stdout; on
   * failure it may hold an error message. Free it with free_string. May be NULL
   * in a plugin that offers no commands.
   */
  int32_t (*command)(ipfs_plugin_instance* instance, const char* name, const char* args_json,
                     char** out_text);

  /* Frees a string returned by the plugin. NULL is accepted. */
  void (*free_string)(char* s);
} ipfs_plugin_descriptor;

/* The type of the exported query function. */
typedef const ipfs_plugin_descriptor* (*ipfs_plugin_query_fn)(void);

/* How a plugin exports its query function, also when built with
 * -fvisibility=hidden:
 *   IPFS_PLUGIN_EXPORT const ipfs_plugin_descriptor* ipfs_plugin_query(void) { return &my_descriptor; } */
#if defined(__GNUC__) || defined(__clang__)
#define IPFS_PLUGIN_EXPORT __attribute__((visibility("default")))
#else
#define IPFS_PLUGIN_EXPORT
#endif

/* The one symbol a plugin exports (IPFS_PLUGIN_QUERY_SYMBOL). Plugins define
 * it; hosts never call it by name but look it up with dlsym. */
IPFS_PLUGIN_EXPORT const ipfs_plugin_descriptor* ipfs_plugin_query(void);

#ifdef __cplusplus
}
#endif

#endif /* IPFS_PLUGIN_ABI_H */
