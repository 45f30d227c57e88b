#include "schema_validator.hpp"

#include <boost/json/parse.hpp>
#include <valijson/adapters/boost_json_adapter.hpp>
#include <valijson/schema.hpp>
#include <valijson/schema_parser.hpp>
#include <valijson/validator.hpp>

#include <stdexcept>

namespace telemetry_collector {

struct schema_validator::impl {
  valijson::Schema schema;
  std::optional<compiled_schema> compiled;
  std::vector<std::string> fields;
};

schema_validator::schema_validator(std::string_view schema_json) : impl_(std::make_unique<impl>()) {
  boost::system::error_code ec;
  const auto doc = boost::json::parse(schema_json, ec);
  if (ec) throw std::runtime_error("schema is not valid JSON: " + ec.message());
  valijson::SchemaParser parser(valijson::SchemaParser::kDraft7);
  valijson::adapters::BoostJsonAdapter adapter(doc);
  parser.populateSchema(adapter, impl_->schema);
  impl_->compiled = compiled_schema::compile(doc);
  impl_->fields = schema_fields(schema_json);
}

const std::vector<std::string>& schema_validator::fields() const { return impl_->fields; }

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
  return thread_validator().validate(impl_->schema, adapter, nullptr);
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

std::optional<validation_error> schema_validator::validate(const boost::json::value& doc) const {
  if (impl_->compiled && impl_->compiled->accepts(doc)) return std::nullopt;
  auto& validator = thread_validator();
  valijson::adapters::BoostJsonAdapter adapter(doc);
  // Without a compiled checker: stop at the first failure, collect nothing.
  if (!impl_->compiled && validator.validate(impl_->schema, adapter, nullptr)) return std::nullopt;
  valijson::ValidationResults results;
  validator.validate(impl_->schema, adapter, &results);

  // valijson reports the innermost failure first; its context names the member.
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
    if (!first || (first->field.empty() && !v.field.empty())) first = v;
  }
  if (!first && impl_->compiled) {
    // valijson saw nothing wrong: a string with a NUL, which its adapter cuts short.
    auto verdict = impl_->compiled->check(doc);
    first = validation_error{std::move(verdict.field), std::move(verdict.reason)};
  }
  return first;
}

std::vector<std::string> schema_fields(std::string_view schema_text) {
  const auto schema = boost::json::parse(schema_text);
  std::vector<std::string> out;
  if (const auto* props = schema.as_object().if_contains("properties"))
    for (const auto& kv : props->as_object()) out.emplace_back(kv.key());
  return out;
}

const std::vector<std::string>& log_event_fields() {
  static const std::vector<std::string> fields = schema_fields(log_event_schema_text());
  return fields;
}

}  // namespace telemetry_collector
