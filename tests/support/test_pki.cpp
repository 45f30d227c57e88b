#include "test_pki.hpp"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <cstdio>
#include <memory>
#include <stdexcept>

namespace test_support {
namespace {

struct key_deleter {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
struct cert_deleter {
  void operator()(X509* c) const { X509_free(c); }
};
using key_ptr = std::unique_ptr<EVP_PKEY, key_deleter>;
using cert_ptr = std::unique_ptr<X509, cert_deleter>;

void require(bool ok, const char* what) {
  if (!ok) throw std::runtime_error(std::string("test_pki: ") + what + " failed");
}

key_ptr new_key() {
  key_ptr k(EVP_EC_gen("P-256"));
  require(k != nullptr, "EVP_EC_gen");
  return k;
}

void add_ext(X509* cert, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
  require(ext != nullptr, "X509V3_EXT_conf_nid");
  X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
}

cert_ptr make_cert(const cert_spec& spec, EVP_PKEY* key, X509* issuer, EVP_PKEY* issuer_key, bool ca) {
  static long serial = 1;
  cert_ptr c(X509_new());
  X509_set_version(c.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(c.get()), ++serial + std::time(nullptr) % 100000 * 1000);
  X509_gmtime_adj(X509_getm_notBefore(c.get()), spec.not_before_s);
  X509_gmtime_adj(X509_getm_notAfter(c.get()), spec.not_after_s);
  X509_set_pubkey(c.get(), key);
  X509_NAME* name = X509_get_subject_name(c.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>(spec.name.c_str()), -1,
                             -1, 0);
  X509_set_issuer_name(c.get(), issuer ? X509_get_subject_name(issuer) : name);
  X509* signer = issuer ? issuer : c.get();
  if (ca) {
    add_ext(c.get(), signer, NID_basic_constraints, "critical,CA:TRUE");
    add_ext(c.get(), signer, NID_key_usage, "critical,keyCertSign,cRLSign");
  } else {
    add_ext(c.get(), signer, NID_basic_constraints, "critical,CA:FALSE");
    add_ext(c.get(), signer, NID_ext_key_usage, "serverAuth");
  }
  add_ext(c.get(), signer, NID_subject_key_identifier, "hash");
  std::string san;
  for (const auto& d : spec.dns) san += (san.empty() ? "" : ",") + std::string("DNS:") + d;
  for (const auto& i : spec.ips) san += (san.empty() ? "" : ",") + std::string("IP:") + i;
  if (!san.empty()) add_ext(c.get(), signer, NID_subject_alt_name, san);
  require(X509_sign(c.get(), issuer_key ? issuer_key : key, EVP_sha256()) > 0, "X509_sign");
  return c;
}

void write_pem(const std::filesystem::path& p, X509* cert) {
  FILE* f = std::fopen(p.c_str(), "w");
  require(f != nullptr, "fopen");
  PEM_write_X509(f, cert);
  std::fclose(f);
}

void write_pem(const std::filesystem::path& p, EVP_PKEY* key) {
  FILE* f = std::fopen(p.c_str(), "w");
  require(f != nullptr, "fopen");
  PEM_write_PrivateKey(f, key, nullptr, nullptr, 0, nullptr, nullptr);
  std::fclose(f);
}

cert_files save(const std::filesystem::path& dir, const std::string& stem, X509* cert, EVP_PKEY* key) {
  cert_files out{dir / (stem + ".pem"), dir / (stem + ".key")};
  write_pem(out.cert, cert);
  write_pem(out.key, key);
  return out;
}

}  // namespace

test_pki::test_pki(std::filesystem::path dir) : dir_(std::move(dir)) {
  std::filesystem::create_directories(dir_);
  auto key = new_key();
  cert_spec spec{"Test CA", {}, {}, -3600, 24 * 3600};
  auto cert = make_cert(spec, key.get(), nullptr, nullptr, true);
  ca_ = save(dir_, "ca", cert.get(), key.get());
}

cert_files test_pki::issue(const cert_spec& spec) const {
  // Reload the CA from its files, so the class holds no OpenSSL objects.
  FILE* f = std::fopen(ca_.cert.c_str(), "r");
  require(f != nullptr, "fopen ca");
  cert_ptr ca(PEM_read_X509(f, nullptr, nullptr, nullptr));
  std::fclose(f);
  f = std::fopen(ca_.key.c_str(), "r");
  require(f != nullptr, "fopen ca key");
  key_ptr ca_key(PEM_read_PrivateKey(f, nullptr, nullptr, nullptr));
  std::fclose(f);
  require(ca && ca_key, "read CA");
  auto key = new_key();
  auto cert = make_cert(spec, key.get(), ca.get(), ca_key.get(), false);
  return save(dir_, spec.name, cert.get(), key.get());
}

cert_files test_pki::self_signed(const cert_spec& spec) const {
  auto key = new_key();
  auto cert = make_cert(spec, key.get(), nullptr, nullptr, false);
  return save(dir_, spec.name, cert.get(), key.get());
}

}  // namespace test_support
