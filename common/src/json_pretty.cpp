#include "ipfs_common/json_pretty.hpp"

#include <boost/json/serialize.hpp>

namespace ipfs_common {
namespace {

void write(std::string& out, const boost::json::value& v, int depth) {
  const std::string pad(static_cast<std::size_t>(depth + 1) * 2, ' ');
  const std::string close_pad(static_cast<std::size_t>(depth) * 2, ' ');
  if (const auto* o = v.if_object()) {
    if (o->empty()) {
      out += "{}";
      return;
    }
    out += "{\n";
    bool first = true;
    for (const auto& kv : *o) {
      if (!first) out += ",\n";
      first = false;
      out += pad + boost::json::serialize(boost::json::string(kv.key())) + ": ";
      write(out, kv.value(), depth + 1);
    }
    out += "\n" + close_pad + "}";
  } else if (const auto* a = v.if_array()) {
    if (a->empty()) {
      out += "[]";
      return;
    }
    out += "[\n";
    for (std::size_t i = 0; i < a->size(); ++i) {
      if (i) out += ",\n";
      out += pad;
      write(out, (*a)[i], depth + 1);
    }
    out += "\n" + close_pad + "]";
  } else {
    out += boost::json::serialize(v);
  }
}

}  // namespace

std::string pretty_json(const boost::json::value& v) {
  std::string out;
  write(out, v, 0);
  return out;
}

}  // namespace ipfs_common
