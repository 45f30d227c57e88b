#include "node_facts.hpp"

#include "ipfs_common/json_path.hpp"

#include <algorithm>
#include <cstdint>
#include <system_error>

namespace ipfs_stub {

std::optional<std::uint64_t> repo_size(const std::filesystem::path& repo, const std::atomic<bool>* stop) {
  namespace fs = std::filesystem;
  std::uint64_t total = 0;
  std::error_code ec;
  fs::recursive_directory_iterator it(repo, fs::directory_options::skip_permission_denied, ec), end;
  for (; !ec && it != end; it.increment(ec)) {
    if (stop && stop->load(std::memory_order_relaxed)) return std::nullopt;
    std::error_code sec;
    const auto st = it->symlink_status(sec);
    if (sec || !fs::is_regular_file(st)) continue;
    const auto size = it->file_size(sec);
    if (!sec) total += size;
  }
  return total;
}

namespace {

std::vector<std::string> strings_at(const boost::json::value& config, std::string_view key) {
  std::vector<std::string> out;
  const auto* v = ipfs_common::find_path(config, key);
  if (!v || !v->is_array()) return out;
  for (const auto& e : v->get_array())
    if (e.is_string()) out.emplace_back(e.get_string());
  return out;
}

}  // namespace

std::vector<std::string> node_addresses(const boost::json::value& config) {
  auto addrs = strings_at(config, "Addresses.Announce");
  if (addrs.empty()) addrs = strings_at(config, "Addresses.Swarm");
  for (auto& a : strings_at(config, "Addresses.AppendAnnounce")) addrs.push_back(std::move(a));
  const auto no = strings_at(config, "Addresses.NoAnnounce");
  std::erase_if(addrs, [&](const std::string& a) { return std::find(no.begin(), no.end(), a) != no.end(); });
  return addrs;
}

bool private_network(const std::filesystem::path& repo, const env_reader& getenv) {
  if (auto v = getenv("LIBP2P_FORCE_PNET"); v && *v == "1") return true;
  std::error_code ec;
  return std::filesystem::exists(repo / "swarm.key", ec);
}

std::optional<boost::json::value> node_facts(const node_state& s, const std::atomic<bool>* stop) {
  const auto size = repo_size(s.repo, stop);
  if (!size) return std::nullopt;
  boost::json::object o;
  o["agent_version"] = s.agent_version;
  o["daemon"] = s.daemon;
  o["online"] = s.online;
  o["private_network"] = private_network(s.repo, s.getenv);
  // As a signed integer, as JSON tools (and JSON Schema validators) expect one.
  o["repo_size"] = static_cast<std::int64_t>(std::min<std::uint64_t>(*size, INT64_MAX));
  boost::json::array addrs;
  for (auto& a : node_addresses(s.config)) addrs.emplace_back(a);
  o["addresses"] = std::move(addrs);
  o["reachability"] = s.reachability;
  o["config"] = s.config;
  return boost::json::value(std::move(o));
}

}  // namespace ipfs_stub
