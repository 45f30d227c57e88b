/* Uses the plugin ABI from C, as a third-party host would: loads the real
 * telemetry.so, checks its descriptor, and drives init/command/start/close
 * with a services table written in C. Usage: abi_c_test PATH/telemetry.so */
#define _GNU_SOURCE
#include "ipfs_plugin/abi.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int failures = 0;
static int checks = 0;
#define CHECK(cond)                                                  \
  do {                                                               \
    ++checks;                                                        \
    if (!(cond)) {                                                   \
      ++failures;                                                    \
      fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
    }                                                                \
  } while (0)

static char logged[8192];

static void host_log(void* ctx, int32_t level, const char* subsystem, const char* message) {
  (void)ctx;
  (void)level;
  strncat(logged, subsystem, sizeof logged - strlen(logged) - 1);
  strncat(logged, ": ", sizeof logged - strlen(logged) - 1);
  strncat(logged, message, sizeof logged - strlen(logged) - 1);
  strncat(logged, "\n", sizeof logged - strlen(logged) - 1);
}

static int32_t host_log_enabled(void* ctx, int32_t level, const char* subsystem) {
  (void)ctx;
  (void)level;
  (void)subsystem;
  return 1;
}

static char* host_node_facts(void* ctx) {
  (void)ctx;
  const char* facts =
      "{\"agent_version\":\"c-host/1/\",\"daemon\":false,\"online\":false,\"private_network\":false,"
      "\"repo_size\":0,\"addresses\":[],\"reachability\":\"Unknown\",\"config\":{}}";
  return strdup(facts);
}

static void host_free_string(void* ctx, char* s) {
  (void)ctx;
  free(s);
}

int main(int argc, char** argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: %s telemetry.so\n", argv[0]);
    return 2;
  }
  void* h = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
  if (!h) {
    fprintf(stderr, "dlopen: %s\n", dlerror());
    return 1;
  }
  /* POSIX's way to turn dlsym's object pointer into a function pointer. */
  ipfs_plugin_query_fn query;
  *(void**)(&query) = dlsym(h, IPFS_PLUGIN_QUERY_SYMBOL);
  CHECK(query != NULL);
  if (!query) return 1;
  /* Nothing else is exported. */
  CHECK(dlsym(h, "_ZN14ipfs_telemetry16telemetry_pluginC1ERK15ipfs_plugin_envNS_11plugin_depsE") == NULL);

  const ipfs_plugin_descriptor* d = query();
  CHECK(d != NULL);
  CHECK(d->abi_version == IPFS_PLUGIN_ABI_VERSION);
  CHECK(d->struct_size >= sizeof(ipfs_plugin_descriptor));
  CHECK(strcmp(d->name, "telemetry") == 0);
  CHECK(d->init && d->start && d->close && d->command && d->free_string);

  char repo[] = "/tmp/abi-c-test-XXXXXX";
  CHECK(mkdtemp(repo) != NULL);

  ipfs_host_services services;
  memset(&services, 0, sizeof services);
  services.abi_version = IPFS_PLUGIN_ABI_VERSION;
  services.struct_size = sizeof services;
  services.log = host_log;
  services.log_enabled = host_log_enabled;
  services.node_facts = host_node_facts;
  services.free_string = host_free_string;

  /* Bad arguments are status codes, not crashes. */
  ipfs_plugin_instance* inst = NULL;
  CHECK(d->init(NULL, &inst) == IPFS_PLUGIN_ERR_INVALID_ARGUMENT);
  ipfs_plugin_env small;
  memset(&small, 0, sizeof small);
  small.struct_size = 4;
  CHECK(d->init(&small, &inst) == IPFS_PLUGIN_ERR_INVALID_ARGUMENT);
  CHECK(d->close(NULL) == IPFS_PLUGIN_OK);

  /* Command context with Mode off. */
  ipfs_plugin_env env;
  memset(&env, 0, sizeof env);
  env.struct_size = sizeof env;
  env.context = IPFS_PLUGIN_CONTEXT_COMMAND;
  env.repo_path = repo;
  env.config_json = "{\"Mode\":\"off\",\"Endpoint\":\"http://127.0.0.1:9/\"}";
  env.services = &services;
  unsetenv("IPFS_TELEMETRY");
  unsetenv("DO_NOT_TRACK");
  CHECK(d->init(&env, &inst) == IPFS_PLUGIN_OK);
  CHECK(inst != NULL);
  CHECK(strstr(logged, "telemetry: telemetry disabled via opt-out") != NULL);

  char* out = NULL;
  CHECK(d->command(inst, "status", "[\"--json\"]", &out) == IPFS_PLUGIN_OK);
  CHECK(out && strstr(out, "\"mode\":\"off\"") != NULL);
  CHECK(out && strstr(out, "\"mode_source\":\"config\"") != NULL);
  CHECK(out && strstr(out, "\"endpoint\":\"http://127.0.0.1:9/\"") != NULL);
  d->free_string(out);

  out = NULL;
  CHECK(d->command(inst, "show", "[]", &out) == IPFS_PLUGIN_OK);
  CHECK(out && strstr(out, "\"agent_version\":\"c-host/1/\"") != NULL);
  d->free_string(out);

  out = NULL;
  CHECK(d->command(inst, "frobnicate", "[]", &out) == IPFS_PLUGIN_ERR_UNKNOWN_COMMAND);
  CHECK(out && strstr(out, "accepted: status") != NULL);
  d->free_string(out);

  out = NULL;
  CHECK(d->command(inst, "status", "{not json", &out) == IPFS_PLUGIN_ERR_INVALID_ARGUMENT);
  d->free_string(out);

  /* Daemon context, opted out: start logs and starts nothing; close returns. */
  CHECK(d->close(inst) == IPFS_PLUGIN_OK);
  env.context = IPFS_PLUGIN_CONTEXT_DAEMON;
  logged[0] = '\0';
  inst = NULL;
  CHECK(d->init(&env, &inst) == IPFS_PLUGIN_OK);
  CHECK(d->start(inst) == IPFS_PLUGIN_OK);
  CHECK(strstr(logged, "telemetry collection skipped: opted out") != NULL);
  CHECK(d->close(inst) == IPFS_PLUGIN_OK);

  /* A host of the first ABI revision passes a smaller env (no host_command,
   * docs_url): still accepted; anything shorter is not. */
  env.context = IPFS_PLUGIN_CONTEXT_COMMAND;
  env.struct_size = (uint32_t)IPFS_PLUGIN_ENV_MIN_SIZE;
  /* Exactly that many bytes, so a plugin reading past them trips ASan. */
  ipfs_plugin_env* old_env = malloc(IPFS_PLUGIN_ENV_MIN_SIZE);
  CHECK(old_env != NULL);
  memcpy(old_env, &env, IPFS_PLUGIN_ENV_MIN_SIZE);
  inst = NULL;
  CHECK(d->init(old_env, &inst) == IPFS_PLUGIN_OK);
  CHECK(d->close(inst) == IPFS_PLUGIN_OK);
  old_env->struct_size = (uint32_t)IPFS_PLUGIN_ENV_MIN_SIZE - 1;
  CHECK(d->init(old_env, &inst) == IPFS_PLUGIN_ERR_INVALID_ARGUMENT);
  free(old_env);

  rmdir(repo);
  CHECK(dlclose(h) == 0);
  /* Really unloaded: nothing of the plugin stays mapped after dlclose. */
  CHECK(dlopen(argv[1], RTLD_NOW | RTLD_NOLOAD) == NULL);
  printf("%d passed, %d failed\n", checks - failures, failures);
  return failures == 0 ? 0 : 1;
}
