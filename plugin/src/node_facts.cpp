#include "node_facts.hpp"

#include "ipfs_common/message_result.hpp"

#include <boost/json/serialize.hpp>
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

boost::system::result<node_facts, std::string> parse_node_facts(const boost::json::value& jv) {
  using ipfs_common::fail;
  const auto* obj = jv.if_object();
  if (!obj) return fail("node facts: expected a JSON object (schemas/node_facts.schema.json)");
  // Each required member with what it must hold, so that a host's developer
  // learns exactly what is missing or wrong.
  struct member {
    const char* name;
    const char* expected;
    bool (*fits)(const boost::json::value&);
  };
  static constexpr member members[] = {
      {"agent_version", "a string such as \"kubo/0.43.0/\"", [](const boost::json::value& v) { return v.is_string(); }},
      {"daemon", "true or false", [](const boost::json::value& v) { return v.is_bool(); }},
      {"online", "true or false", [](const boost::json::value& v) { return v.is_bool(); }},
      {"private_network", "true or false", [](const boost::json::value& v) { return v.is_bool(); }},
      {"repo_size", "the repo size in bytes, an integer >= 0",
       [](const boost::json::value& v) { return v.is_uint64() || (v.is_int64() && v.get_int64() >= 0); }},
      {"addresses", "an array of multiaddr strings",
       [](const boost::json::value& v) {
         if (!v.is_array()) return false;
         for (const auto& a : v.get_array())
           if (!a.is_string()) return false;
         return true;
       }},
      {"reachability", "\"Unknown\", \"Public\" or \"Private\"",
       [](const boost::json::value& v) {
         return v.is_string() && (v.get_string() == "Unknown" || v.get_string() == "Public" ||
                                  v.get_string() == "Private");
       }},
  };
  for (const auto& m : members) {
    const auto* v = obj->if_contains(m.name);
    if (!v) return fail(std::string("node facts: member \"") + m.name + "\" is missing; expected " + m.expected);
    if (!m.fits(*v)) return fail(std::string("node facts: member \"") + m.name + "\" is " +
                                 boost::json::serialize(*v).substr(0, 80) + "; expected " + m.expected);
  }
  if (const auto* c = obj->if_contains("config"); c && !c->is_object())
    return fail("node facts: member \"config\" is not an object; expected the node's config");
  auto f = boost::json::try_value_to<node_facts>(jv);
  if (!f) return fail("node facts: " + f.error().message());
  return std::move(*f);
}

}  // namespace ipfs_telemetry
