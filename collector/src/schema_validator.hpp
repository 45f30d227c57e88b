#pragma once
// JSON Schema (draft-07) validation with valijson over Boost.JSON.
//
// valijson is the reference. When the schema fits compiled_schema's subset
// (the payload schema does), a conforming document is accepted by the compiled
// checker alone; valijson runs only for documents the checker refuses, to
// explain why.
//
// Older shapes of the payload (compiled_schema.hpp, Shapes) come as schemas
// of their own, each member a $ref to the newest schema's definition of it:
// {"$ref": "log_event.schema.json#/properties/<the same name>"}, all of them
// required. That is all such a file may say (the constructor refuses
// anything else), so a shape is exactly its set of keys.

#include "compiled_schema.hpp"

#include <boost/json/value.hpp>

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace telemetry_collector {

// A schema document and its file name (what a $ref names it by).
struct named_schema {
  std::string_view name;
  std::string_view text;
};

struct validation_error {
  std::string field;    // the offending top-level member; empty when the document as a whole is wrong
  std::string message;  // valijson's explanation
};

class schema_validator {
 public:
  // Parses the schema text, and the older shapes' schemas (which need the
  // schema in the compiled subset); throws std::runtime_error naming the
  // file and the problem if one is not a valid schema or shape.
  explicit schema_validator(std::string_view schema_json, const std::vector<named_schema>& older_shapes = {});
  ~schema_validator();
  schema_validator(schema_validator&&) noexcept;

  // nullopt when `doc` conforms to one of the shapes; otherwise the first,
  // most specific error, against the newest shape when none fits. With
  // unknown_members::drop, members no shape has are left out of the
  // judgement and named in `dropped` (compiled_schema::check).
  // Thread-safe (valijson's Schema is immutable after parsing).
  std::optional<validation_error> validate(const boost::json::value& doc,
                                           unknown_members unknown = unknown_members::refuse,
                                           std::vector<std::string>* dropped = nullptr) const;

  // The schema's property names, in its order: the order of every
  // event_row's values (storage.hpp).
  const std::vector<std::string>& fields() const;

  // The shapes' names: "newest" (the schema itself), then each older
  // shape's file name as given.
  const std::vector<std::string>& shape_names() const;

  // For tests and fuzzing: the compiled checker (nullptr when the schema is
  // outside its subset) and valijson's own verdict (true when one of the
  // shapes' schemas accepts `doc`: anyOf).
  const compiled_schema* compiled() const;
  bool valijson_accepts(const boost::json::value& doc) const;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

// The payload schema, schemas/log_event.schema.json, embedded at build time.
std::string_view log_event_schema_text();
// Its older shapes, every schemas/log_event.<shape>.schema.json, embedded
// at build time, by file name.
const std::vector<named_schema>& log_event_older_shapes();
// A validator for every shape of the payload: the newest and the older ones.
schema_validator make_log_event_validator();

// The property names of a JSON Schema's "properties", in the schema's order.
std::vector<std::string> schema_fields(std::string_view schema_text);
// schema_fields(log_event_schema_text()), computed once: the order in which
// every event_row holds its values.
const std::vector<std::string>& log_event_fields();

}  // namespace telemetry_collector
