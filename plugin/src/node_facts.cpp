#include "node_facts.hpp"

#include <boost/json/value_to.hpp>

namespace ipfs_telemetry {

boost::system::result<node_facts> tag_invoke(boost::json::try_value_to_tag<node_facts>,
                                             const boost::json::value& jv) {
  const auto* obj = jv.if_object();
  if (!obj) return boost::json::make_error_code(boost::json::error::not_object);
  node_facts f;
  auto field = [&](std::string_view key) -> const boost::json::value* {
    auto it = obj->find(key);
    return it == obj->end() ? nullptr : &it->value();
  };
  auto read = [&](std::string_view key, auto& out) -> boost::system::error_code {
    const auto* v = field(key);
    if (!v) return boost::json::make_error_code(boost::json::error::size_mismatch);
    auto r = boost::json::try_value_to<std::decay_t<decltype(out)>>(*v);
    if (!r) return r.error();
    out = std::move(*r);
    return {};
  };
  if (auto ec = read("agent_version", f.agent_version)) return ec;
  if (auto ec = read("daemon", f.daemon)) return ec;
  if (auto ec = read("online", f.online)) return ec;
  if (auto ec = read("private_network", f.private_network)) return ec;
  if (auto ec = read("repo_size", f.repo_size)) return ec;
  if (auto ec = read("addresses", f.addresses)) return ec;
  if (auto ec = read("reachability", f.reachability)) return ec;
  if (const auto* c = field("config"))
    f.config = *c;
  else
    f.config = boost::json::object();
  return f;
}

}  // namespace ipfs_telemetry
