#pragma once
// The payload schema compiled into a flat checker, for the ingest hot path.
//
// valijson walks the whole schema tree for every event, looks each property
// up by name, keeps context strings and runs std::regex for `pattern`: about
// 15 us per event, the largest single cost of ingest. The payload schema only
// uses a small, flat subset of JSON Schema, so it compiles to a table: one
// entry per property with its type and bounds, patterns as anchored sequences
// of character classes. Checking an event is then one pass over its members.
//
// The subset (anything else and compile() returns nullopt, so the caller
// falls back to valijson for everything):
//   root:      "type": "object", "additionalProperties": false, "required",
//              "properties", and the annotations $schema, $id, title, description
//   property:  "type" (one of string, integer, boolean), enum, minimum, maximum,
//              minLength, maxLength, pattern, and the annotations title, description
//   pattern:   ^ ... $ around a sequence of atoms, each a literal character or a
//              class [a-z0-9_-], with an optional {n} or {m,n}; an atom that
//              varies in length must be followed by one that cannot match its
//              characters (so a greedy match is exact, no backtracking).
//
// Agreement with valijson (strong types) is the contract: an event accepted
// here is accepted by valijson, and the other way round, except that strings
// holding a NUL character are refused here (valijson's Boost.JSON adapter
// reads strings up to the first NUL, so it would judge a prefix). The unit
// tests and the fuzz target fuzz_collector_request check it.

#include <boost/json/value.hpp>

#include <bitset>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace telemetry_collector {

struct schema_verdict {
  bool ok = true;
  std::string field;   // the offending member; empty when the document as a whole is wrong
  std::string reason;  // why, in a few words
};

class compiled_schema {
 public:
  // nullopt when the schema uses anything outside the subset above.
  static std::optional<compiled_schema> compile(const boost::json::value& schema);

  // Whether `doc` conforms. Thread-safe: the checker is immutable.
  bool accepts(const boost::json::value& doc) const;
  // The same judgement, saying which member fails and why.
  schema_verdict check(const boost::json::value& doc) const;

 private:
  struct atom {
    std::bitset<256> chars;
    std::size_t min = 1, max = 1;
  };
  enum class kind { string, integer, boolean };
  struct property {
    std::string name;
    kind type = kind::string;
    bool required = false;
    std::vector<std::int64_t> int_enum;
    std::vector<std::string> string_enum;
    bool has_enum = false;
    std::optional<double> minimum, maximum;
    std::optional<std::uint64_t> min_length, max_length;
    std::optional<std::vector<atom>> pattern;
  };

  // reason == nullptr: conforms. `field` points into the document or the schema.
  struct failure {
    std::string_view field;
    const char* reason = nullptr;
  };
  failure first_failure(const boost::json::value& doc) const;

  static std::optional<std::vector<atom>> compile_pattern(std::string_view p);
  static bool matches(const std::vector<atom>& pattern, std::string_view s);
  // nullptr when fine, else the reason.
  const char* check_value(const property& p, const boost::json::value& v) const;
  const property* find(std::string_view name) const;

  std::vector<property> properties_;  // in schema order
  std::size_t required_count_ = 0;
};

}  // namespace telemetry_collector
