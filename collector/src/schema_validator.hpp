#pragma once
// JSON Schema (draft-07) validation with valijson over Boost.JSON.
//
// valijson is the reference. When the schema fits compiled_schema's subset
// (the payload schema does), a conforming document is accepted by the compiled
// checker alone; valijson runs only for documents the checker refuses, to
// explain why.

#include "compiled_schema.hpp"

#include <boost/json/value.hpp>

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace telemetry_collector {

struct validation_error {
  std::string field;    // the offending top-level member; empty when the document as a whole is wrong
  std::string message;  // valijson's explanation
};

class schema_validator {
 public:
  // Parses the schema text; throws std::runtime_error if it is not a valid schema.
  explicit schema_validator(std::string_view schema_json);
  ~schema_validator();
  schema_validator(schema_validator&&) noexcept;

  // nullopt when `doc` conforms; otherwise the first, most specific error.
  // Thread-safe (valijson's Schema is immutable after parsing).
  std::optional<validation_error> validate(const boost::json::value& doc) const;

  // The schema's property names, in its order: the order of every
  // event_row's values (storage.hpp).
  const std::vector<std::string>& fields() const;

  // For tests and fuzzing: the compiled checker (nullptr when the schema is
  // outside its subset) and valijson's own verdict.
  const compiled_schema* compiled() const;
  bool valijson_accepts(const boost::json::value& doc) const;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

// The payload schema, schemas/log_event.schema.json, embedded at build time.
std::string_view log_event_schema_text();

// The property names of a JSON Schema's "properties", in the schema's order.
std::vector<std::string> schema_fields(std::string_view schema_text);
// schema_fields(log_event_schema_text()), computed once: the order in which
// every event_row holds its values.
const std::vector<std::string>& log_event_fields();

}  // namespace telemetry_collector
