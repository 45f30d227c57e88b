#include "repo.hpp"

#include "ipfs_common/atomic_file.hpp"
#include "ipfs_common/json_pretty.hpp"

#include <boost/json/parse.hpp>

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <system_error>

namespace ipfs_stub {

using ipfs_common::fail;

namespace {
constexpr std::size_t k_max_config_size = 16 * 1024 * 1024;
}

ipfs_common::message_result<std::filesystem::path> resolve_repo_path(const std::optional<std::string>& flag,
                                                                     const env_reader& getenv) {
  std::filesystem::path p;
  if (flag && !flag->empty()) {
    p = *flag;
  } else if (auto env = getenv("IPFS_PATH"); env && !env->empty()) {
    p = *env;
  } else if (auto home = getenv("HOME"); home && !home->empty()) {
    p = std::filesystem::path(*home) / ".ipfs";
  } else {
    return fail("cannot find the repo: set IPFS_PATH, pass --repo-dir DIR, or set HOME");
  }
  std::error_code ec;
  auto abs = std::filesystem::absolute(p, ec);
  if (ec) return fail("cannot resolve repo path " + p.string() + ": " + ec.message());
  return ipfs_common::succeed(abs.lexically_normal());
}

boost::json::value default_config() {
  return boost::json::parse(R"({
    "Addresses": {
      "API": "/ip4/127.0.0.1/tcp/5001",
      "Gateway": "/ip4/127.0.0.1/tcp/8080",
      "Swarm": [
        "/ip4/0.0.0.0/tcp/4001",
        "/ip6/::/tcp/4001",
        "/ip4/0.0.0.0/udp/4001/webrtc-direct",
        "/ip4/0.0.0.0/udp/4001/quic-v1",
        "/ip4/0.0.0.0/udp/4001/quic-v1/webtransport",
        "/ip6/::/udp/4001/webrtc-direct",
        "/ip6/::/udp/4001/quic-v1",
        "/ip6/::/udp/4001/quic-v1/webtransport"
      ],
      "Announce": [],
      "AppendAnnounce": [],
      "NoAnnounce": []
    },
    "AutoConf": {},
    "AutoNAT": {},
    "AutoTLS": {},
    "Bootstrap": ["auto"],
    "Discovery": {"MDNS": {"Enabled": true}},
    "Plugins": {"Plugins": null},
    "Provide": {"DHT": {}},
    "Routing": {"DelegatedRouters": ["auto"]},
    "Swarm": {}
  })");
}

std::filesystem::path config_path(const std::filesystem::path& repo) { return repo / "config"; }

ipfs_common::message_result<void> init_repo(const std::filesystem::path& repo) {
  std::error_code ec;
  if (std::filesystem::exists(config_path(repo), ec))
    return fail("repo already initialized: " + config_path(repo).string() + " exists; refusing to overwrite it");
  if (!std::filesystem::exists(repo, ec)) {
    std::filesystem::create_directories(repo, ec);
    if (ec) return fail("cannot create repo directory " + repo.string() + ": " + ec.message());
    ::chmod(repo.c_str(), 0700);
  } else if (!std::filesystem::is_directory(repo, ec)) {
    return fail("repo path " + repo.string() + " exists and is not a directory");
  }
  return save_config(repo, default_config());
}

ipfs_common::message_result<boost::json::value> load_config(const std::filesystem::path& repo) {
  const auto path = config_path(repo);
  auto text = ipfs_common::read_file(path, k_max_config_size);
  if (!text) {
    if (text.error() == boost::system::errc::no_such_file_or_directory)
      return fail("no repo at " + repo.string() + " (" + path.string() + " is missing); run 'ipfs-stub init' first");
    return fail("cannot read " + path.string() + ": " + text.error().message());
  }
  boost::system::error_code ec;
  auto jv = boost::json::parse(*text, ec);
  if (ec) return fail(path.string() + " is not valid JSON: " + ec.message());
  if (!jv.is_object()) return fail(path.string() + " must hold a JSON object");
  return jv;
}

ipfs_common::message_result<void> save_config(const std::filesystem::path& repo, const boost::json::value& config) {
  const auto path = config_path(repo);
  if (auto ec = ipfs_common::write_file_atomic(path, ipfs_common::pretty_json(config) + "\n", 0600))
    return fail("cannot write " + path.string() + ": " + ec.message());
  return {};
}

}  // namespace ipfs_stub
