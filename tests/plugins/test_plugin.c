/* A minimal third-party plugin written in C against ipfs_plugin/abi.h. Built
 * three ways by tests/CMakeLists.txt: a good one ("hello"), one claiming an
 * unknown ABI version, and one whose descriptor is too small. */
#include "ipfs_plugin/abi.h"

#include <stdlib.h>

#ifndef TEST_ABI_VERSION
#define TEST_ABI_VERSION IPFS_PLUGIN_ABI_VERSION
#endif
#ifndef TEST_STRUCT_SIZE
#define TEST_STRUCT_SIZE sizeof(ipfs_plugin_descriptor)
#endif
#ifndef TEST_NAME
#define TEST_NAME "hello"
#endif

struct ipfs_plugin_instance {
  const ipfs_host_services* services;
};

static void say(const ipfs_host_services* s, const char* msg) {
  if (s && s->log) s->log(s->host_ctx, IPFS_LOG_INFO, TEST_NAME, msg);
}

static int32_t hello_init(const ipfs_plugin_env* env, ipfs_plugin_instance** out) {
  ipfs_plugin_instance* p = malloc(sizeof *p);
  if (!p) return IPFS_PLUGIN_ERR_INTERNAL;
  p->services = env->services;
  say(p->services, TEST_NAME " plugin initialized");
  *out = p;
  return IPFS_PLUGIN_OK;
}

static int32_t hello_start(ipfs_plugin_instance* p) {
  say(p->services, TEST_NAME " plugin started");
  return IPFS_PLUGIN_OK;
}

static int32_t hello_close(ipfs_plugin_instance* p) {
  if (p) say(p->services, TEST_NAME " plugin closed");
  free(p);
  return IPFS_PLUGIN_OK;
}

static void hello_free(char* s) { free(s); }

static const ipfs_plugin_descriptor descriptor = {
    TEST_ABI_VERSION, (uint32_t)(TEST_STRUCT_SIZE), TEST_NAME, "1.0.0", hello_init, hello_start, hello_close,
    NULL, hello_free,
};

IPFS_PLUGIN_EXPORT const ipfs_plugin_descriptor* ipfs_plugin_query(void) { return &descriptor; }
