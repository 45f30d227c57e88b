#pragma once
// A throw-away PKI for TLS tests, made with the OpenSSL API: a CA, leaves it
// signs, self-signed certificates, with chosen SANs and validity windows.

#include <filesystem>
#include <string>
#include <vector>

namespace test_support {

struct cert_files {
  std::filesystem::path cert;  // PEM certificate
  std::filesystem::path key;   // PEM private key
};

struct cert_spec {
  std::string name;                       // file stem and subject CN
  std::vector<std::string> dns;           // subjectAltName DNS entries
  std::vector<std::string> ips;           // subjectAltName IP entries
  long not_before_s = -3600;              // validity start, seconds from now
  long not_after_s = 24 * 3600;           // validity end, seconds from now
};

class test_pki {
 public:
  explicit test_pki(std::filesystem::path dir);  // creates the CA in dir/ca.pem
  const std::filesystem::path& ca_pem() const { return ca_.cert; }
  cert_files issue(const cert_spec& spec) const;        // signed by the CA
  cert_files self_signed(const cert_spec& spec) const;  // signed by its own key

 private:
  std::filesystem::path dir_;
  cert_files ca_;
};

}  // namespace test_support
