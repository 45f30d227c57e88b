#include "config_command.hpp"

#include "repo.hpp"

#include "ipfs_common/json_path.hpp"
#include "ipfs_common/json_pretty.hpp"

#include <boost/json/parse.hpp>

namespace ipfs_stub {

using ipfs_common::fail;

ipfs_common::message_result<std::string> config_get(const std::filesystem::path& repo, std::string_view key) {
  auto cfg = load_config(repo);
  if (!cfg) return fail(cfg.error());
  auto segs = ipfs_common::split_key(key);
  if (!segs) return fail(segs.error());
  const auto* v = ipfs_common::find_path(*cfg, *segs);
  if (!v) return fail("config key \"" + std::string(key) + "\" has no value");
  if (const auto* s = v->if_string()) return ipfs_common::succeed(std::string(*s));
  return ipfs_common::succeed(ipfs_common::pretty_json(*v));
}

ipfs_common::message_result<void> config_set(const std::filesystem::path& repo, std::string_view key,
                                             std::string_view value, value_kind kind) {
  auto segs = ipfs_common::split_key(key);
  if (!segs) return fail(segs.error());
  boost::json::value v;
  switch (kind) {
    case value_kind::string:
      v = boost::json::string(value);
      break;
    case value_kind::boolean:
      if (value != "true" && value != "false")
        return fail("invalid value for --bool " + std::string(key) + ": \"" + std::string(value) +
                    "\"; accepted: true, false");
      v = value == "true";
      break;
    case value_kind::json: {
      boost::system::error_code ec;
      v = boost::json::parse(value, ec);
      if (ec)
        return fail("invalid JSON value for " + std::string(key) + ": " + ec.message() + " (input: " +
                    std::string(value) + "); strings need quotes, e.g. '\"text\"'");
      break;
    }
  }
  auto cfg = load_config(repo);
  if (!cfg) return fail(cfg.error());
  if (auto r = ipfs_common::set_path(*cfg, *segs, std::move(v)); !r)
    return fail("cannot set " + std::string(key) + ": " + r.error());
  return save_config(repo, *cfg);
}

}  // namespace ipfs_stub
