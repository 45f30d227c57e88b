#include "ipfs_common/json_path.hpp"

#include <boost/json/object.hpp>

namespace ipfs_common {

boost::system::result<std::vector<std::string>, std::string> split_key(std::string_view key) {
  std::vector<std::string> out;
  if (key.empty()) return std::string("empty key");
  std::size_t start = 0;
  for (;;) {
    std::size_t dot = key.find('.', start);
    std::string_view seg = key.substr(start, dot == std::string_view::npos ? dot : dot - start);
    if (seg.empty()) return "malformed key \"" + std::string(key) + "\": empty segment";
    out.emplace_back(seg);
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  return out;
}

const boost::json::value* find_path(const boost::json::value& root,
                                    const std::vector<std::string>& segments) {
  const boost::json::value* cur = &root;
  for (const auto& seg : segments) {
    const auto* obj = cur->if_object();
    if (!obj) return nullptr;
    auto it = obj->find(seg);
    if (it == obj->end()) return nullptr;
    cur = &it->value();
  }
  return cur;
}

const boost::json::value* find_path(const boost::json::value& root, std::string_view dotted) {
  auto segs = split_key(dotted);
  if (!segs) return nullptr;
  return find_path(root, *segs);
}

boost::system::result<void, std::string> set_path(boost::json::value& root,
                                                  const std::vector<std::string>& segments,
                                                  boost::json::value v) {
  if (segments.empty()) return std::string("empty key");
  if (!root.is_object()) return std::string("the document is not a JSON object");
  // Check the whole path first so that a failure leaves `root` untouched.
  const boost::json::value* probe = &root;
  std::string prefix;
  for (std::size_t i = 0; i + 1 < segments.size(); ++i) {
    prefix += (i ? "." : "") + segments[i];
    auto it = probe->as_object().find(segments[i]);
    if (it == probe->as_object().end() || it->value().is_null()) break;
    // A null member is treated as absent: Kubo writes "Plugins": {"Plugins": null}.
    if (!it->value().is_object() && !it->value().is_null())
      return "cannot set key below \"" + prefix + "\": it holds a value of type " +
             std::string(json_type_name(it->value())) + ", not an object";
    probe = &it->value();
  }
  boost::json::object* cur = &root.as_object();
  for (std::size_t i = 0; i + 1 < segments.size(); ++i) {
    auto& next = (*cur)[segments[i]];
    if (!next.is_object()) next = boost::json::object();
    cur = &next.as_object();
  }
  (*cur)[segments.back()] = std::move(v);
  return {};
}

std::string_view json_type_name(const boost::json::value& v) {
  switch (v.kind()) {
    case boost::json::kind::object: return "object";
    case boost::json::kind::array: return "array";
    case boost::json::kind::string: return "string";
    case boost::json::kind::bool_: return "bool";
    case boost::json::kind::null: return "null";
    default: return "number";
  }
}

}  // namespace ipfs_common
