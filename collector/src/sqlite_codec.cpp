#include "sqlite_codec.hpp"

#include "sqlite_statement.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <charconv>
#include <stdexcept>

namespace telemetry_collector {

namespace {

constexpr std::string_view k_layout_prefix = "event_layout:";

std::string fields_text(const std::vector<std::string>& fields) {
  boost::json::array a;
  for (const auto& f : fields) a.emplace_back(f);
  return boost::json::serialize(a);
}

std::map<std::int64_t, std::vector<std::string>> read_layouts(sqlite3* db) {
  std::map<std::int64_t, std::vector<std::string>> out;
  statement st(db, "SELECT key, value FROM meta WHERE key >= 'event_layout:' AND key < 'event_layout;'");
  while (st.step()) {
    const auto key = st.text(0);
    std::int64_t id = 0;
    try {
      id = std::stoll(std::string(key.substr(k_layout_prefix.size())));
    } catch (const std::exception&) {
      throw std::runtime_error("meta: bad layout key " + std::string(key));
    }
    boost::system::error_code ec;
    const auto v = boost::json::parse(st.text(1), ec);
    if (ec || !v.is_array()) throw std::runtime_error("meta: layout " + std::to_string(id) + " is not a JSON array");
    std::vector<std::string> fields;
    for (const auto& f : v.get_array()) {
      if (!f.is_string()) throw std::runtime_error("meta: layout " + std::to_string(id) + " has a non-string field");
      fields.emplace_back(f.get_string());
    }
    out.emplace(id, std::move(fields));
  }
  return out;
}

}  // namespace

event_encoder event_encoder::for_fields(sqlite3* db, std::vector<std::string> fields) {
  event_encoder e;
  e.fields_ = std::move(fields);
  std::int64_t last = 0;
  for (const auto& [id, known] : read_layouts(db)) {
    if (known == e.fields_) {
      e.layout_ = id;
      return e;
    }
    last = id;
  }
  e.layout_ = last + 1;
  statement add(db, "INSERT INTO meta(key, value) VALUES(?, ?)");
  add.bind(1, std::string(k_layout_prefix) + std::to_string(e.layout_));
  add.bind(2, fields_text(e.fields_));
  add.step_done();
  return e;
}

std::string event_encoder::encode(const boost::json::object& event) const {
  if (layout_ == 0) return boost::json::serialize(event);
  std::string out = "[" + std::to_string(layout_);
  out.reserve(256);
  std::size_t found = 0;
  for (const auto& f : fields_) {
    out += ',';
    if (const auto* v = event.if_contains(f)) {
      out += boost::json::serialize(*v);
      ++found;
    } else {
      out += "null";
    }
  }
  out += ']';
  // Keys are unique: every member was in the layout exactly when all were found.
  return found == event.size() ? out : boost::json::serialize(event);
}

void append_json_string(std::string& out, std::string_view s) {
  static constexpr char hex[] = "0123456789abcdef";
  out += '"';
  std::size_t plain = 0;  // start of the run of characters copied as they are
  for (std::size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out.append(s.data() + plain, i - plain);
    plain = i + 1;
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        out += "\\u00";
        out += hex[c >> 4];
        out += hex[c & 0xF];
    }
  }
  out.append(s.data() + plain, s.size() - plain);
  out += '"';
}

std::string event_encoder::encode(const flat_event& event) const {
  if (layout_ == 0 || event.names() != fields_) return encode(to_object(event));
  std::string out;
  out.reserve(256);
  out += '[';
  out += std::to_string(layout_);
  char digits[24];
  for (std::size_t i = 0; i < event.size(); ++i) {
    out += ',';
    const auto& v = event.at(i);
    switch (v.t) {
      case flat_event::type::absent: out += "null"; break;
      case flat_event::type::boolean: out += v.boolean ? "true" : "false"; break;
      case flat_event::type::integer: {
        const auto r = std::to_chars(digits, digits + sizeof digits, v.integer);
        out.append(digits, r.ptr);
        break;
      }
      case flat_event::type::string: append_json_string(out, event.string_at(i)); break;
    }
  }
  out += ']';
  return out;
}

event_decoder event_decoder::load(sqlite3* db) {
  event_decoder d;
  d.layouts_ = read_layouts(db);
  return d;
}

boost::json::object event_decoder::decode(std::string_view stored) const {
  boost::system::error_code ec;
  auto v = boost::json::parse(stored, ec);
  if (ec) throw std::runtime_error("stored event is not JSON: " + ec.message());
  if (auto* obj = v.if_object()) return std::move(*obj);
  const auto* a = v.if_array();
  if (!a || a->empty() || !a->front().is_int64())
    throw std::runtime_error("stored event is neither an object nor a layout array");
  const auto it = layouts_.find(a->front().get_int64());
  if (it == layouts_.end() || it->second.size() + 1 != a->size())
    throw std::runtime_error("stored event has unknown layout " + std::to_string(a->front().get_int64()));
  boost::json::object out;
  out.reserve(it->second.size());
  for (std::size_t i = 0; i < it->second.size(); ++i)
    if (!(*a)[i + 1].is_null()) out[it->second[i]] = (*a)[i + 1];
  return out;
}

}  // namespace telemetry_collector
