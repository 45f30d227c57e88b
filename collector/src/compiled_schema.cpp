#include "compiled_schema.hpp"

#include <boost/json/basic_parser_impl.hpp>

#include <algorithm>

namespace telemetry_collector {

namespace {

namespace json = boost::json;

bool is_annotation(std::string_view key) { return key == "description" || key == "title"; }

std::optional<std::uint64_t> non_negative_integer(const json::value& v) {
  if (v.is_int64() && v.get_int64() >= 0) return static_cast<std::uint64_t>(v.get_int64());
  if (v.is_uint64()) return v.get_uint64();
  return std::nullopt;
}

// Code points of valid UTF-8 (Boost.JSON refuses invalid UTF-8 while parsing).
std::uint64_t code_points(std::string_view s) {
  std::uint64_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

}  // namespace

std::optional<std::vector<compiled_schema::atom>> compiled_schema::compile_pattern(std::string_view p) {
  if (p.size() < 2 || p.front() != '^' || p.back() != '$') return std::nullopt;
  p = p.substr(1, p.size() - 2);
  constexpr std::string_view specials = "^$.|?*+()[]{}\\";
  std::vector<atom> atoms;
  std::size_t i = 0;
  auto read_number = [&](std::size_t& out) {
    const std::size_t start = i;
    out = 0;
    while (i < p.size() && p[i] >= '0' && p[i] <= '9' && i - start < 6)
      out = out * 10 + static_cast<std::size_t>(p[i++] - '0');
    return i > start;
  };
  while (i < p.size()) {
    atom a;
    const char c = p[i];
    if (c == '[') {
      ++i;
      if (i < p.size() && p[i] == '^') return std::nullopt;  // negated classes: not needed, not supported
      bool closed = false;
      while (i < p.size()) {
        char lo = p[i];
        if (lo == ']') {
          closed = true;
          ++i;
          break;
        }
        if (lo == '\\' || lo == '[') return std::nullopt;
        ++i;
        if (i + 1 < p.size() && p[i] == '-' && p[i + 1] != ']') {
          const char hi = p[i + 1];
          if (hi == '\\' || hi == '[' || static_cast<unsigned char>(hi) < static_cast<unsigned char>(lo))
            return std::nullopt;
          for (int ch = static_cast<unsigned char>(lo); ch <= static_cast<unsigned char>(hi); ++ch)
            a.chars.set(static_cast<std::size_t>(ch));
          i += 2;
        } else {
          a.chars.set(static_cast<unsigned char>(lo));
        }
      }
      if (!closed || a.chars.none()) return std::nullopt;
    } else if (c == '\\') {
      const bool escapable = i + 1 < p.size() && (specials.find(p[i + 1]) != std::string_view::npos ||
                                                   p[i + 1] == '-' || p[i + 1] == '/');
      if (!escapable) return std::nullopt;  // \d, \w, \b ... : not supported
      a.chars.set(static_cast<unsigned char>(p[i + 1]));
      i += 2;
    } else if (specials.find(c) != std::string_view::npos) {
      return std::nullopt;
    } else {
      a.chars.set(static_cast<unsigned char>(c));
      ++i;
    }
    if (i < p.size() && p[i] == '{') {
      ++i;
      if (!read_number(a.min)) return std::nullopt;
      a.max = a.min;
      if (i < p.size() && p[i] == ',') {
        ++i;
        if (!read_number(a.max)) return std::nullopt;  // {m,} : not supported
      }
      if (i >= p.size() || p[i] != '}') return std::nullopt;
      ++i;
    }
    if (a.min < 1 || a.max < a.min) return std::nullopt;
    atoms.push_back(a);
  }
  // Greedy matching is exact only if a variable atom cannot eat what the next one needs.
  for (std::size_t k = 0; k < atoms.size(); ++k)
    if (atoms[k].min != atoms[k].max && k + 1 < atoms.size() && (atoms[k].chars & atoms[k + 1].chars).any())
      return std::nullopt;
  return atoms;
}

bool compiled_schema::matches(const std::vector<atom>& pattern, std::string_view s) {
  std::size_t pos = 0;
  for (const auto& a : pattern) {
    std::size_t n = 0;
    while (n < a.max && pos < s.size() && a.chars.test(static_cast<unsigned char>(s[pos]))) {
      ++n;
      ++pos;
    }
    if (n < a.min) return false;
  }
  return pos == s.size();
}

std::optional<compiled_schema> compiled_schema::compile(const json::value& schema) {
  const auto* root = schema.if_object();
  if (!root) return std::nullopt;
  compiled_schema out;
  const json::object* props = nullptr;
  const json::array* required = nullptr;
  bool is_object = false, closed = false;
  for (const auto& [key, v] : *root) {
    if (key == "$schema" || key == "$id" || is_annotation(key)) continue;
    if (key == "type" && v.is_string() && v.get_string() == "object") {
      is_object = true;
    } else if (key == "additionalProperties" && v.is_bool() && !v.get_bool()) {
      closed = true;
    } else if (key == "properties" && v.is_object()) {
      props = &v.get_object();
    } else if (key == "required" && v.is_array()) {
      required = &v.get_array();
    } else {
      return std::nullopt;
    }
  }
  if (!is_object || !closed || !props) return std::nullopt;

  for (const auto& [name, spec_value] : *props) {
    const auto* spec = spec_value.if_object();
    if (!spec) return std::nullopt;
    property p;
    p.name = std::string(name);
    bool typed = false;
    for (const auto& [key, v] : *spec) {
      if (is_annotation(key)) continue;
      if (key == "type") {
        if (!v.is_string()) return std::nullopt;
        const auto t = v.get_string();
        if (t == "string")
          p.type = kind::string;
        else if (t == "integer")
          p.type = kind::integer;
        else if (t == "boolean")
          p.type = kind::boolean;
        else
          return std::nullopt;
        typed = true;
      } else if (key == "enum" && v.is_array() && !v.get_array().empty()) {
        p.has_enum = true;
        for (const auto& e : v.get_array()) {
          if (e.is_int64())
            p.int_enum.push_back(e.get_int64());
          else if (e.is_string())
            p.string_enum.emplace_back(e.get_string());
          else
            return std::nullopt;
        }
      } else if ((key == "minimum" || key == "maximum") && v.is_number()) {
        (key == "minimum" ? p.minimum : p.maximum) = v.to_number<double>();
      } else if (key == "minLength" || key == "maxLength") {
        auto n = non_negative_integer(v);
        if (!n) return std::nullopt;
        (key == "minLength" ? p.min_length : p.max_length) = *n;
      } else if (key == "pattern" && v.is_string()) {
        p.pattern = compile_pattern(v.get_string());
        if (!p.pattern) return std::nullopt;
      } else {
        return std::nullopt;
      }
    }
    if (!typed) return std::nullopt;
    // Keywords that do not apply to the type are ignored by JSON Schema; keep it simple and refuse them.
    if (p.type != kind::string && (p.min_length || p.max_length || p.pattern || !p.string_enum.empty()))
      return std::nullopt;
    if (p.type != kind::integer && (p.minimum || p.maximum || !p.int_enum.empty())) return std::nullopt;
    if (p.type == kind::boolean && p.has_enum) return std::nullopt;
    out.names_.push_back(p.name);
    out.properties_.push_back(std::move(p));
  }

  shape own{std::vector<bool>(out.properties_.size(), false), std::vector<bool>(out.properties_.size(), true)};
  if (required) {
    for (const auto& r : *required) {
      if (!r.is_string()) return std::nullopt;
      auto it = std::find_if(out.properties_.begin(), out.properties_.end(),
                             [&](const property& p) { return p.name == r.get_string(); });
      if (it == out.properties_.end()) return std::nullopt;  // could never validate: leave it to valijson
      own.required[static_cast<std::size_t>(it - out.properties_.begin())] = true;
    }
  }
  out.shapes_.push_back(std::move(own));
  return out;
}

bool compiled_schema::add_shape(const std::vector<std::string>& keys) {
  shape s{std::vector<bool>(properties_.size(), false), std::vector<bool>(properties_.size(), false)};
  for (const auto& k : keys) {
    const std::size_t i = index_of(k, 0);
    if (i == properties_.size()) return false;
    s.required[i] = s.allowed[i] = true;
  }
  shapes_.push_back(std::move(s));
  return true;
}

template <class Present>
bool compiled_schema::fits(Present present) const {
  for (const auto& s : shapes_) {
    bool ok = true;
    for (std::size_t i = 0; ok && i < properties_.size(); ++i) ok = present(i) ? s.allowed[i] : !s.required[i];
    if (ok) return true;
  }
  return false;
}

std::size_t compiled_schema::index_of(std::string_view name, std::size_t guess) const {
  if (guess < properties_.size() && properties_[guess].name == name) return guess;
  for (std::size_t i = 0; i < properties_.size(); ++i)
    if (properties_[i].name == name) return i;
  return properties_.size();
}

compiled_schema::scalar compiled_schema::scalar_of(const json::value& v) {
  scalar out;
  if (v.is_bool()) {
    out.t = scalar::type::boolean;
    out.boolean = v.get_bool();
  } else if (v.is_int64()) {
    out.t = scalar::type::integer;
    out.integer = v.get_int64();
  } else if (v.is_string()) {
    out.t = scalar::type::string;
    out.string = v.get_string();
  }
  return out;
}

const char* compiled_schema::check_value(const property& p, const scalar& v) const {
  switch (p.type) {
    case kind::boolean:
      return v.t == scalar::type::boolean ? nullptr : "expected a boolean";
    case kind::integer: {
      if (v.t != scalar::type::integer) return "expected an integer";
      const std::int64_t n = v.integer;
      if (p.has_enum && std::find(p.int_enum.begin(), p.int_enum.end(), n) == p.int_enum.end())
        return "not one of the allowed values";
      if (p.minimum && static_cast<double>(n) < *p.minimum) return "below the minimum";
      if (p.maximum && static_cast<double>(n) > *p.maximum) return "above the maximum";
      return nullptr;
    }
    case kind::string: {
      if (v.t != scalar::type::string) return "expected a string";
      const std::string_view s = v.string;
      if (s.find('\0') != std::string_view::npos) return "contains a NUL character";
      if (p.has_enum && std::find(p.string_enum.begin(), p.string_enum.end(), s) == p.string_enum.end())
        return "not one of the allowed values";
      if (p.min_length || p.max_length) {
        const auto n = code_points(s);
        if (p.min_length && n < *p.min_length) return "too short";
        if (p.max_length && n > *p.max_length) return "too long";
      }
      if (p.pattern && !matches(*p.pattern, s)) return "does not match the pattern";
      return nullptr;
    }
  }
  return "unexpected type";
}

namespace {

// Adds `key` to `names` (once); false when that makes more than
// k_max_unknown_members. `names` is kept even when the caller does not ask.
bool note_dropped(std::vector<std::string>& names, std::string_view key) {
  if (std::find(names.begin(), names.end(), key) == names.end()) names.emplace_back(key);
  return names.size() <= k_max_unknown_members;
}

constexpr const char* k_too_many_unknown = "one member too many that no payload shape has (at most 64)";

}  // namespace

compiled_schema::failure compiled_schema::first_failure(const json::value& doc, unknown_members unknown,
                                                        std::vector<std::string>* dropped) const {
  std::vector<std::string> unknown_names;
  std::vector<std::string>& names = dropped ? *dropped : unknown_names;
  names.clear();
  const auto* obj = doc.if_object();
  if (!obj) return {{}, "expected a JSON object"};
  std::vector<bool> present(properties_.size(), false);
  std::size_t index = 0;
  for (const auto& [key, v] : *obj) {
    // Senders write the members in schema order: try the same position first.
    const std::size_t i = index_of(key, index++);
    if (i == properties_.size()) {
      if (unknown == unknown_members::refuse) return {key, "not an allowed member"};
      if (!note_dropped(names, key)) return {key, k_too_many_unknown};
      continue;
    }
    if (const char* why = check_value(properties_[i], scalar_of(v))) return {key, why};
    present[i] = true;  // object keys are unique
  }
  if (fits([&](std::size_t i) { return present[i]; })) return {};
  // No shape has these members: name what the newest shape (the schema's own) misses.
  for (std::size_t i = 0; i < properties_.size(); ++i)
    if (shapes_.front().required[i] && !present[i]) return {properties_[i].name, "missing"};
  return {{}, "its set of members is not one of the known shapes"};  // cannot happen: the newest fits then
}

bool compiled_schema::accepts(const json::value& doc, unknown_members unknown) const {
  return first_failure(doc, unknown, nullptr).reason == nullptr;
}

schema_verdict compiled_schema::check(const json::value& doc, unknown_members unknown,
                                      std::vector<std::string>* dropped) const {
  const auto f = first_failure(doc, unknown, dropped);
  if (!f.reason) return {};
  return {false, std::string(f.field), f.reason};
}


// Boost.JSON's parser calls these as it reads (SAX). Any return of false ends
// the read: the text does not conform, or it needs the full parse to say.
struct compiled_schema::flat_reader {
  static constexpr std::size_t max_array_size = static_cast<std::size_t>(-1);
  static constexpr std::size_t max_object_size = static_cast<std::size_t>(-1);
  static constexpr std::size_t max_string_size = static_cast<std::size_t>(-1);
  static constexpr std::size_t max_key_size = static_cast<std::size_t>(-1);

  flat_reader(const compiled_schema& s, flat_event& o, unknown_members u, std::vector<std::string>& d)
      : schema(s), out(o), unknown(u), dropped(d) {}

  const compiled_schema& schema;
  flat_event& out;
  const unknown_members unknown;
  std::vector<std::string>& dropped;
  int depth = 0;
  std::size_t members = 0;        // seen so far
  std::size_t current = 0;        // the property of the member being read; properties_.size(): one left out
  std::string key;                // a key that arrives in parts
  std::size_t string_start = static_cast<std::size_t>(-1);  // a string that arrives in parts

  static bool stop(boost::system::error_code& ec) {
    ec = boost::system::errc::make_error_code(boost::system::errc::invalid_argument);
    return false;
  }
  // Checks a member's value and keeps it (a string's text is already in out.text_).
  bool store(flat_event::value stored, boost::system::error_code& ec) {
    if (depth != 1) return stop(ec);  // a value at the top level: not an object
    if (current == schema.properties_.size()) return true;  // an unknown member's value, left out
    const property& p = schema.properties_[current];
    scalar v;
    switch (stored.t) {
      case flat_event::type::boolean: v.t = scalar::type::boolean; v.boolean = stored.boolean; break;
      case flat_event::type::integer: v.t = scalar::type::integer; v.integer = stored.integer; break;
      case flat_event::type::string:
        v.t = scalar::type::string;
        v.string = std::string_view(out.text_).substr(stored.offset, stored.size);
        break;
      case flat_event::type::absent: break;
    }
    if (schema.check_value(p, v)) return stop(ec);
    out.values_[current] = stored;
    return true;
  }
  // The value is being left out: its text is not kept.
  bool skipping() const { return current == schema.properties_.size(); }

  bool on_document_begin(boost::system::error_code&) { return true; }
  bool on_document_end(boost::system::error_code&) { return true; }
  // No property is an array or an object; an unknown member that is one is left to the DOM.
  bool on_array_begin(boost::system::error_code& ec) { return stop(ec); }
  bool on_array_end(std::size_t, boost::system::error_code&) { return true; }
  bool on_object_begin(boost::system::error_code& ec) { return depth++ == 0 ? true : stop(ec); }
  bool on_object_end(std::size_t, boost::system::error_code& ec) {
    --depth;
    const bool ok = schema.fits([&](std::size_t i) { return out.values_[i].t != flat_event::type::absent; });
    return ok ? true : stop(ec);
  }
  bool on_key_part(json::string_view s, std::size_t, boost::system::error_code&) {
    key.append(s.data(), s.size());
    return true;
  }
  bool on_key(json::string_view s, std::size_t, boost::system::error_code& ec) {
    std::string_view name(s.data(), s.size());
    if (!key.empty()) {
      key.append(s.data(), s.size());
      name = key;
    }
    current = schema.index_of(name, members++);
    if (current == schema.properties_.size()) {  // not an allowed member
      if (unknown == unknown_members::refuse || !note_dropped(dropped, name)) return stop(ec);
    } else if (out.values_[current].t != flat_event::type::absent) {
      return stop(ec);  // given twice: the DOM decides
    }
    key.clear();
    return true;
  }
  bool on_string_part(json::string_view s, std::size_t, boost::system::error_code&) {
    if (skipping()) return true;
    if (string_start == static_cast<std::size_t>(-1)) string_start = out.text_.size();
    out.text_.append(s.data(), s.size());
    return true;
  }
  bool on_string(json::string_view s, std::size_t, boost::system::error_code& ec) {
    if (skipping()) return store({}, ec);
    const std::size_t start = string_start == static_cast<std::size_t>(-1) ? out.text_.size() : string_start;
    string_start = static_cast<std::size_t>(-1);
    out.text_.append(s.data(), s.size());
    flat_event::value stored;
    stored.t = flat_event::type::string;
    stored.offset = static_cast<std::uint32_t>(start);
    stored.size = static_cast<std::uint32_t>(out.text_.size() - start);
    return store(stored, ec);
  }
  bool on_number_part(json::string_view, boost::system::error_code&) { return true; }
  bool on_int64(std::int64_t i, json::string_view, boost::system::error_code& ec) {
    flat_event::value stored;
    stored.t = flat_event::type::integer;
    stored.integer = i;
    return store(stored, ec);
  }
  // Not an int64, not null: no property accepts these (scalar type `other`).
  bool on_uint64(std::uint64_t, json::string_view, boost::system::error_code& ec) {
    return skipping() ? store({}, ec) : stop(ec);
  }
  bool on_double(double, json::string_view, boost::system::error_code& ec) {
    return skipping() ? store({}, ec) : stop(ec);
  }
  bool on_null(boost::system::error_code& ec) { return skipping() ? store({}, ec) : stop(ec); }
  bool on_bool(bool b, boost::system::error_code& ec) {
    flat_event::value stored;
    stored.t = flat_event::type::boolean;
    stored.boolean = b;
    return store(stored, ec);
  }
  bool on_comment_part(json::string_view, boost::system::error_code&) { return true; }
  bool on_comment(json::string_view, boost::system::error_code&) { return true; }
};

bool compiled_schema::read_flat(std::string_view text, flat_event& out, unknown_members unknown,
                                std::vector<std::string>* dropped) const {
  out.values_.assign(properties_.size(), flat_event::value{});
  out.text_.clear();
  out.names_ = &names_;
  std::vector<std::string> unknown_names;
  std::vector<std::string>& names = dropped ? *dropped : unknown_names;
  names.clear();
  json::parse_options po;
  po.max_depth = 2;  // deeper never conforms
  json::basic_parser<flat_reader> parser(po, *this, out, unknown, names);
  boost::system::error_code ec;
  const std::size_t used = parser.write_some(false, text.data(), text.size(), ec);
  return !ec && parser.done() && used == text.size();
}

flat_event flat_event::from_object(const boost::json::object& event, const std::vector<std::string>& names) {
  flat_event out;
  out.names_ = &names;
  out.values_.assign(names.size(), value{});
  for (std::size_t i = 0; i < names.size(); ++i) {
    const auto* v = event.if_contains(names[i]);
    if (!v) continue;
    auto& slot = out.values_[i];
    if (const auto* s = v->if_string()) {
      slot.t = type::string;
      slot.offset = static_cast<std::uint32_t>(out.text_.size());
      slot.size = static_cast<std::uint32_t>(s->size());
      out.text_.append(s->data(), s->size());
    } else if (const auto* b = v->if_bool()) {
      slot.t = type::boolean;
      slot.boolean = *b;
    } else if (const auto* n = v->if_int64()) {
      slot.t = type::integer;
      slot.integer = *n;
    } else if (const auto* u = v->if_uint64(); u && *u <= static_cast<std::uint64_t>(INT64_MAX)) {
      slot.t = type::integer;
      slot.integer = static_cast<std::int64_t>(*u);
    }
  }
  return out;
}

boost::json::object to_object(const flat_event& event) {
  boost::json::object out;
  out.reserve(event.size());
  for (std::size_t i = 0; i < event.size(); ++i) {
    const auto& v = event.at(i);
    switch (v.t) {
      case flat_event::type::absent: break;
      case flat_event::type::boolean: out[event.names()[i]] = v.boolean; break;
      case flat_event::type::integer: out[event.names()[i]] = v.integer; break;
      case flat_event::type::string: out[event.names()[i]] = event.string_at(i); break;
    }
  }
  return out;
}

std::size_t flat_event::index_of(std::string_view name) const {
  for (std::size_t i = 0; i < names_->size(); ++i)
    if ((*names_)[i] == name) return i;
  return names_->size();
}

}  // namespace telemetry_collector
