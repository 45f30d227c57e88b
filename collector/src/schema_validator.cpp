#include "schema_validator.hpp"

#include <boost/json/parse.hpp>
#include <valijson/adapters/boost_json_adapter.hpp>
#include <valijson/schema.hpp>
#include <valijson/schema_parser.hpp>
#include <valijson/validator.hpp>

#include <algorithm>
#include <deque>
#include <stdexcept>

namespace telemetry_collector {

struct schema_validator::impl {
  valijson::Schema schema;
  // The older shapes' schemas, for valijson_accepts (deque: a Schema does not move).
  std::deque<valijson::Schema> shapes;
  std::optional<compiled_schema> compiled;
  std::vector<std::string> fields;
  std::vector<std::string> shape_names{"newest"};
};

namespace {

// The last part of a $id or $ref URI, without its fragment.
std::string_view file_part(std::string_view uri) {
  uri = uri.substr(0, uri.find('#'));
  const auto slash = uri.rfind('/');
  return slash == std::string_view::npos ? uri : uri.substr(slash + 1);
}

// The keys of an older shape's schema, checked to be nothing but
// references to the newest schema's definitions of the same names.
std::vector<std::string> shape_keys(const named_schema& shape, const boost::json::value& doc,
                                    std::string_view newest_file, const std::vector<std::string>& newest_fields) {
  auto fail = [&](const std::string& why) -> std::runtime_error {
    return std::runtime_error("payload shape " + std::string(shape.name) + ": " + why);
  };
  const auto* root = doc.if_object();
  if (!root) throw fail("expected a JSON object");
  const boost::json::object* props = nullptr;
  const boost::json::array* required = nullptr;
  bool closed = false, is_object = false;
  for (const auto& [key, v] : *root) {
    if (key == "$schema" || key == "$id" || key == "title" || key == "description") continue;
    if (key == "type" && v == "object")
      is_object = true;
    else if (key == "additionalProperties" && v == false)
      closed = true;
    else if (key == "properties" && v.is_object())
      props = &v.get_object();
    else if (key == "required" && v.is_array())
      required = &v.get_array();
    else
      throw fail("\"" + std::string(key) + "\" is not one of $schema, $id, title, description, type, "
                 "additionalProperties, required, properties (a shape is a set of keys)");
  }
  if (!is_object || !closed || !props || !required)
    throw fail(R"(needs "type": "object", "additionalProperties": false, "required" and "properties")");
  std::vector<std::string> keys;
  for (const auto& [name, spec] : *props) {
    const std::string expected = std::string(newest_file) + "#/properties/" + std::string(name);
    const auto* o = spec.if_object();
    const boost::json::value* ref = o && o->size() == 1 ? o->if_contains("$ref") : nullptr;
    if (!ref || !ref->is_string() || ref->get_string() != expected)
      throw fail("property \"" + std::string(name) + "\" must be exactly {\"$ref\": \"" + expected + "\"}");
    if (std::find(newest_fields.begin(), newest_fields.end(), name) == newest_fields.end())
      throw fail("property \"" + std::string(name) + "\" is not defined in " + std::string(newest_file));
    keys.emplace_back(name);
  }
  if (std::find(keys.begin(), keys.end(), "uuid") == keys.end())
    throw fail("needs \"uuid\" (erasure finds a node's events by it)");
  std::vector<std::string> listed;
  for (const auto& r : *required) {
    if (!r.is_string()) throw fail("\"required\" holds something other than a key name");
    listed.emplace_back(r.get_string());
  }
  auto a = keys, b = listed;
  std::sort(a.begin(), a.end());
  std::sort(b.begin(), b.end());
  if (a != b || std::adjacent_find(b.begin(), b.end()) != b.end())
    throw fail("\"required\" must list each of its properties once (every key of a shape is sent)");
  return keys;
}

}  // namespace

schema_validator::schema_validator(std::string_view schema_json, const std::vector<named_schema>& older_shapes)
    : impl_(std::make_unique<impl>()) {
  boost::system::error_code ec;
  const auto doc = boost::json::parse(schema_json, ec);
  if (ec) throw std::runtime_error("schema is not valid JSON: " + ec.message());
  valijson::SchemaParser parser(valijson::SchemaParser::kDraft7);
  valijson::adapters::BoostJsonAdapter adapter(doc);
  parser.populateSchema(adapter, impl_->schema);
  impl_->compiled = compiled_schema::compile(doc);
  impl_->fields = schema_fields(schema_json);
  if (older_shapes.empty()) return;
  if (!impl_->compiled) throw std::runtime_error("older payload shapes need a schema in the compiled subset");
  // Ingest takes each event's uuid for granted (request_handler.cpp): every shape has it.
  const auto* required = doc.as_object().if_contains("required");
  if (!required || !required->is_array() ||
      std::find(required->get_array().begin(), required->get_array().end(), boost::json::value("uuid")) ==
          required->get_array().end())
    throw std::runtime_error("the payload schema must require \"uuid\" (erasure finds a node's events by it)");

  std::string_view newest_file;
  if (const auto* id = doc.as_object().if_contains("$id"); id && id->is_string()) newest_file = file_part(id->get_string());
  if (newest_file.empty()) throw std::runtime_error("the schema needs a $id for older shapes to refer to");
  for (const auto& shape : older_shapes) {
    const auto shape_doc = boost::json::parse(shape.text, ec);
    if (ec) throw std::runtime_error("payload shape " + std::string(shape.name) + " is not valid JSON: " + ec.message());
    const auto keys = shape_keys(shape, shape_doc, newest_file, impl_->fields);
    if (!impl_->compiled->add_shape(keys)) throw std::runtime_error("payload shape " + std::string(shape.name) + ": unknown key");
    impl_->shape_names.emplace_back(shape.name);
    // valijson's own reading of the file, references resolved to the newest schema.
    valijson::adapters::BoostJsonAdapter shape_adapter(shape_doc);
    auto fetch = [&](const std::string& uri) -> const boost::json::value* {
      if (file_part(uri) != newest_file) throw std::runtime_error("payload shape " + std::string(shape.name) +
                                                                  " refers to " + uri + ", not to " + std::string(newest_file));
      return new boost::json::value(doc);
    };
    auto free_doc = [](const boost::json::value* d) { delete d; };
    parser.populateSchema(shape_adapter, impl_->shapes.emplace_back(), fetch, free_doc);
  }
}

const std::vector<std::string>& schema_validator::fields() const { return impl_->fields; }

const std::vector<std::string>& schema_validator::shape_names() const { return impl_->shape_names; }

const compiled_schema* schema_validator::compiled() const {
  return impl_->compiled ? &*impl_->compiled : nullptr;
}

namespace {

// One validator per thread: it caches each compiled `pattern` regex, and
// compiling std::regex costs far more than a whole validation (profiled: it
// capped ingest at a few thousand events per second).
valijson::Validator& thread_validator() {
  thread_local valijson::Validator validator(valijson::Validator::kStrongTypes);
  return validator;
}

}  // namespace

bool schema_validator::valijson_accepts(const boost::json::value& doc) const {
  valijson::adapters::BoostJsonAdapter adapter(doc);
  if (thread_validator().validate(impl_->schema, adapter, nullptr)) return true;
  for (const auto& shape : impl_->shapes)
    if (thread_validator().validate(shape, adapter, nullptr)) return true;
  return false;
}

schema_validator::~schema_validator() = default;
schema_validator::schema_validator(schema_validator&&) noexcept = default;

namespace {

// "... constraints: 'foo'." or "Missing required property 'foo'." -> foo
std::string quoted_name(const std::string& s) {
  auto end = s.rfind('\'');
  if (end == std::string::npos || end == 0) return {};
  auto begin = s.rfind('\'', end - 1);
  if (begin == std::string::npos) return {};
  return s.substr(begin + 1, end - begin - 1);
}

}  // namespace

std::optional<validation_error> schema_validator::validate(const boost::json::value& doc, unknown_members unknown,
                                                           std::vector<std::string>* dropped) const {
  std::optional<schema_verdict> verdict;
  if (impl_->compiled) {
    verdict = impl_->compiled->check(doc, unknown, dropped);
    if (verdict->ok) return std::nullopt;
  }
  auto& validator = thread_validator();
  valijson::adapters::BoostJsonAdapter adapter(doc);
  // Without a compiled checker: stop at the first failure, collect nothing.
  if (!impl_->compiled && validator.validate(impl_->schema, adapter, nullptr)) return std::nullopt;
  valijson::ValidationResults results;
  validator.validate(impl_->schema, adapter, &results);

  // valijson reports the innermost failure first; its context names the
  // member. With the compiled checker's verdict, valijson's explanation of
  // the same member (against the newest shape) is the one given.
  valijson::ValidationResults::Error e;
  std::optional<validation_error> first;
  while (results.popError(e)) {
    validation_error v;
    v.message = e.description;
    if (e.context.size() >= 2) {
      std::string member = e.context[1];  // "[name]"
      if (member.size() >= 2 && member.front() == '[' && member.back() == ']') member = member.substr(1, member.size() - 2);
      v.field = member;
    } else if (e.description.find("required property") != std::string::npos ||
               e.description.find("could not be validated") != std::string::npos) {
      v.field = quoted_name(e.description);
    }
    if (verdict) {
      if (v.field == verdict->field && !first) first = v;
    } else if (!first || (first->field.empty() && !v.field.empty())) {
      first = v;
    }
  }
  // valijson said nothing about that member (a string with a NUL, which its
  // adapter cuts short; an older shape's member set): the checker's words.
  if (!first && verdict) first = validation_error{std::move(verdict->field), std::move(verdict->reason)};
  return first;
}

std::vector<std::string> schema_fields(std::string_view schema_text) {
  const auto schema = boost::json::parse(schema_text);
  std::vector<std::string> out;
  if (const auto* props = schema.as_object().if_contains("properties"))
    for (const auto& kv : props->as_object()) out.emplace_back(kv.key());
  return out;
}

schema_validator make_log_event_validator() {
  return schema_validator(log_event_schema_text(), log_event_older_shapes());
}

const std::vector<std::string>& log_event_fields() {
  static const std::vector<std::string> fields = schema_fields(log_event_schema_text());
  return fields;
}

}  // namespace telemetry_collector
