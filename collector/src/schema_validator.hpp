#pragma once
// JSON Schema (draft-07) validation with valijson over Boost.JSON.

#include <boost/json/value.hpp>

#include <memory>
#include <optional>
#include <string>
#include <string_view>

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

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

// The payload schema, schemas/log_event.schema.json, embedded at build time.
std::string_view log_event_schema_text();

}  // namespace telemetry_collector
