// telemetry.so's OpenSSL: the functions the plugin (through asio::ssl) calls,
// defined here as forwarders to libssl.so.3 loaded at the first
// ensure_openssl(). The prototypes are checked by the compiler against
// OpenSSL's own headers; a function missing from this list fails the link of
// telemetry.so (--no-undefined), so the list cannot silently fall behind.
//
// The library is never unloaded: libcrypto pins itself in memory once
// initialized, and nothing of it runs after the plugin's own shutdown.

#include "openssl_runtime.hpp"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>

#include <dlfcn.h>

#include <cstdio>
#include <cstdlib>
#include <mutex>

// X(name): every OpenSSL function telemetry.so references.
#define TELEMETRY_OPENSSL_FUNCTIONS(X)                                                                     \
  X(BIO_ctrl) X(BIO_ctrl_pending) X(BIO_free) X(BIO_new_bio_pair) X(BIO_read) X(BIO_write)                 \
  X(ERR_clear_error) X(ERR_get_error) X(ERR_lib_error_string) X(ERR_reason_error_string)                   \
  X(SSL_CTX_ctrl) X(SSL_CTX_free) X(SSL_CTX_get_default_passwd_cb_userdata) X(SSL_CTX_get_ex_data)         \
  X(SSL_CTX_get_verify_callback) X(SSL_CTX_load_verify_locations) X(SSL_CTX_new)                           \
  X(SSL_CTX_set_default_passwd_cb_userdata) X(SSL_CTX_set_default_verify_paths) X(SSL_CTX_set_ex_data)     \
  X(SSL_CTX_set_options) X(SSL_CTX_set_verify) X(SSL_accept) X(SSL_connect) X(SSL_ctrl) X(SSL_free)        \
  X(SSL_get0_param) X(SSL_get_error) X(SSL_get_ex_data) X(SSL_get_shutdown) X(SSL_get_verify_result)       \
  X(SSL_new) X(SSL_read) X(SSL_set1_host) X(SSL_set_bio) X(SSL_set_ex_data) X(SSL_write)                   \
  X(TLS_client_method) X(TLS_method) X(TLS_server_method) X(X509_VERIFY_PARAM_set1_ip_asc)                 \
  X(X509_verify_cert_error_string)

namespace {

constexpr const char* k_libssl = "libssl.so.3";
constexpr const char* k_version = "OPENSSL_3.0.0";

struct openssl_table {
#define TELEMETRY_DECLARE(name) decltype(&::name) name = nullptr;
  TELEMETRY_OPENSSL_FUNCTIONS(TELEMETRY_DECLARE)
#undef TELEMETRY_DECLARE
};

openssl_table g_fns;
std::once_flag g_once;
std::string g_error;  // empty once loaded

void load() {
  void* h = ::dlopen(k_libssl, RTLD_NOW | RTLD_LOCAL);
  if (!h) {
    const char* why = ::dlerror();
    g_error = std::string("HTTPS needs OpenSSL 3: cannot load ") + k_libssl + ": " + (why ? why : "unknown error");
    return;
  }
  openssl_table t;
  // dlvsym on libssl's handle also searches its dependencies (libcrypto).
#define TELEMETRY_RESOLVE(name)                                                                \
  t.name = reinterpret_cast<decltype(t.name)>(::dlvsym(h, #name, k_version));                  \
  if (!t.name) {                                                                               \
    g_error = std::string("HTTPS needs OpenSSL 3: ") + k_libssl + " lacks " #name "@" + k_version; \
    return;                                                                                    \
  }
  TELEMETRY_OPENSSL_FUNCTIONS(TELEMETRY_RESOLVE)
#undef TELEMETRY_RESOLVE
  g_fns = t;
}

// Only reached after a successful ensure_openssl(): no SSL_CTX exists before
// it, and every other function takes one (or an object made from one).
const openssl_table& fns() {
  std::call_once(g_once, load);
  if (!g_error.empty()) {
    std::fprintf(stderr, "telemetry: OpenSSL called before it was loaded: %s\n", g_error.c_str());
    std::abort();
  }
  return g_fns;
}

}  // namespace

namespace ipfs_telemetry {

std::optional<std::string> ensure_openssl() {
  std::call_once(g_once, load);
  if (g_error.empty()) return std::nullopt;
  return g_error;
}

}  // namespace ipfs_telemetry

extern "C" {

long BIO_ctrl(BIO* b, int cmd, long larg, void* parg) { return fns().BIO_ctrl(b, cmd, larg, parg); }
size_t BIO_ctrl_pending(BIO* b) { return fns().BIO_ctrl_pending(b); }
int BIO_free(BIO* a) { return fns().BIO_free(a); }
int BIO_new_bio_pair(BIO** bio1, size_t writebuf1, BIO** bio2, size_t writebuf2) {
  return fns().BIO_new_bio_pair(bio1, writebuf1, bio2, writebuf2);
}
int BIO_read(BIO* b, void* data, int dlen) { return fns().BIO_read(b, data, dlen); }
int BIO_write(BIO* b, const void* data, int dlen) { return fns().BIO_write(b, data, dlen); }
void ERR_clear_error(void) { fns().ERR_clear_error(); }
unsigned long ERR_get_error(void) { return fns().ERR_get_error(); }
const char* ERR_lib_error_string(unsigned long e) { return fns().ERR_lib_error_string(e); }
const char* ERR_reason_error_string(unsigned long e) { return fns().ERR_reason_error_string(e); }
long SSL_CTX_ctrl(SSL_CTX* ctx, int cmd, long larg, void* parg) { return fns().SSL_CTX_ctrl(ctx, cmd, larg, parg); }
void SSL_CTX_free(SSL_CTX* ctx) { fns().SSL_CTX_free(ctx); }
void* SSL_CTX_get_default_passwd_cb_userdata(SSL_CTX* ctx) { return fns().SSL_CTX_get_default_passwd_cb_userdata(ctx); }
void* SSL_CTX_get_ex_data(const SSL_CTX* ssl, int idx) { return fns().SSL_CTX_get_ex_data(ssl, idx); }
SSL_verify_cb SSL_CTX_get_verify_callback(const SSL_CTX* ctx) { return fns().SSL_CTX_get_verify_callback(ctx); }
int SSL_CTX_load_verify_locations(SSL_CTX* ctx, const char* file, const char* path) {
  return fns().SSL_CTX_load_verify_locations(ctx, file, path);
}
SSL_CTX* SSL_CTX_new(const SSL_METHOD* meth) { return fns().SSL_CTX_new(meth); }
void SSL_CTX_set_default_passwd_cb_userdata(SSL_CTX* ctx, void* u) { fns().SSL_CTX_set_default_passwd_cb_userdata(ctx, u); }
int SSL_CTX_set_default_verify_paths(SSL_CTX* ctx) { return fns().SSL_CTX_set_default_verify_paths(ctx); }
int SSL_CTX_set_ex_data(SSL_CTX* ssl, int idx, void* data) { return fns().SSL_CTX_set_ex_data(ssl, idx, data); }
uint64_t SSL_CTX_set_options(SSL_CTX* ctx, uint64_t op) { return fns().SSL_CTX_set_options(ctx, op); }
void SSL_CTX_set_verify(SSL_CTX* ctx, int mode, SSL_verify_cb cb) { fns().SSL_CTX_set_verify(ctx, mode, cb); }
int SSL_accept(SSL* ssl) { return fns().SSL_accept(ssl); }
int SSL_connect(SSL* ssl) { return fns().SSL_connect(ssl); }
long SSL_ctrl(SSL* ssl, int cmd, long larg, void* parg) { return fns().SSL_ctrl(ssl, cmd, larg, parg); }
void SSL_free(SSL* ssl) { fns().SSL_free(ssl); }
X509_VERIFY_PARAM* SSL_get0_param(SSL* ssl) { return fns().SSL_get0_param(ssl); }
int SSL_get_error(const SSL* s, int ret_code) { return fns().SSL_get_error(s, ret_code); }
void* SSL_get_ex_data(const SSL* ssl, int idx) { return fns().SSL_get_ex_data(ssl, idx); }
int SSL_get_shutdown(const SSL* ssl) { return fns().SSL_get_shutdown(ssl); }
long SSL_get_verify_result(const SSL* ssl) { return fns().SSL_get_verify_result(ssl); }
SSL* SSL_new(SSL_CTX* ctx) { return fns().SSL_new(ctx); }
int SSL_read(SSL* ssl, void* buf, int num) { return fns().SSL_read(ssl, buf, num); }
int SSL_set1_host(SSL* s, const char* hostname) { return fns().SSL_set1_host(s, hostname); }
void SSL_set_bio(SSL* s, BIO* rbio, BIO* wbio) { fns().SSL_set_bio(s, rbio, wbio); }
int SSL_set_ex_data(SSL* ssl, int idx, void* data) { return fns().SSL_set_ex_data(ssl, idx, data); }
int SSL_write(SSL* ssl, const void* buf, int num) { return fns().SSL_write(ssl, buf, num); }
const SSL_METHOD* TLS_client_method(void) { return fns().TLS_client_method(); }
const SSL_METHOD* TLS_method(void) { return fns().TLS_method(); }
const SSL_METHOD* TLS_server_method(void) { return fns().TLS_server_method(); }
int X509_VERIFY_PARAM_set1_ip_asc(X509_VERIFY_PARAM* param, const char* ipasc) {
  return fns().X509_VERIFY_PARAM_set1_ip_asc(param, ipasc);
}
const char* X509_verify_cert_error_string(long n) { return fns().X509_verify_cert_error_string(n); }

}  // extern "C"
