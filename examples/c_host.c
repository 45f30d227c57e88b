/* A node host written in C against ipfs_plugin/abi.h alone: loads the
 * telemetry plugin, checks its descriptor before trusting it, runs it until
 * SIGINT or SIGTERM. Usage: example-host-c REPO_DIR CONFIG_JSON */
#define _POSIX_C_SOURCE 200809L /* sigwait, pthread_sigmask under -std=c11 */

#include <ipfs_plugin/abi.h>

#include <dlfcn.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void host_log(void* ctx, int32_t level, const char* subsystem, const char* message) {
  (void)ctx;
  (void)level;
  fprintf(stderr, "%s: %s\n", subsystem, message);
}

static char* host_node_facts(void* ctx) {
  (void)ctx;
  const char* facts =
      "{\"agent_version\":\"example-host-c/1/\",\"daemon\":true,\"online\":true,\"private_network\":false,"
      "\"repo_size\":0,\"addresses\":[],\"reachability\":\"Unknown\"}";
  char* copy = malloc(strlen(facts) + 1);
  if (copy) strcpy(copy, facts);
  return copy;
}

static void host_free(void* ctx, char* s) {
  (void)ctx;
  free(s);
}

int main(int argc, char** argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: example-host-c REPO_DIR CONFIG_JSON\n");
    return 2;
  }
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGINT);
  sigaddset(&stop, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop, NULL);

  void* so = dlopen(TELEMETRY_PLUGIN, RTLD_NOW | RTLD_LOCAL);
  if (!so) return fprintf(stderr, "%s\n", dlerror()), 1;
  ipfs_plugin_query_fn query = (ipfs_plugin_query_fn)dlsym(so, IPFS_PLUGIN_QUERY_SYMBOL);
  const ipfs_plugin_descriptor* d = query ? query() : NULL;
  if (!d || d->abi_version != IPFS_PLUGIN_ABI_VERSION || d->struct_size < sizeof *d || !d->init || !d->close)
    return fprintf(stderr, "not a plugin of this ABI\n"), 1;

  ipfs_host_services services;
  memset(&services, 0, sizeof services);
  services.abi_version = IPFS_PLUGIN_ABI_VERSION;
  services.struct_size = sizeof services;
  services.log = host_log;
  services.node_facts = host_node_facts;
  services.free_string = host_free;
  ipfs_plugin_env env;
  memset(&env, 0, sizeof env);
  env.struct_size = sizeof env;
  env.context = IPFS_PLUGIN_CONTEXT_DAEMON;
  env.repo_path = argv[1];
  env.config_json = argv[2];
  env.services = &services;
  env.host_command = "example-host-c";

  ipfs_plugin_instance* instance = NULL;
  if (d->init(&env, &instance) != IPFS_PLUGIN_OK) return fprintf(stderr, "init failed\n"), 1;
  if (d->start) d->start(instance);
  printf("example host ready\n");
  fflush(stdout);
  int sig = 0;
  sigwait(&stop, &sig);
  d->close(instance); /* joins the plugin's thread: nothing of it runs after this */
  dlclose(so);
  return 0;
}
