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
//
// Shapes. The schema compiled is the newest shape of the event; older
// senders send fewer keys (schemas/README.md). add_shape() adds the key set
// of an older shape, whose values follow the same definitions: an event is
// then accepted when every member it has is valid and its set of members is
// one of the shapes (the compiled schema's own: its required keys, perhaps
// more of its properties; an added one: exactly its keys). Equivalent to
// valijson's anyOf over the shapes' schemas (schema_validator builds that
// reference).
//
// Members the schema does not know are refused (additionalProperties:
// false), or, with unknown_members::drop, left out and named to the caller,
// so the event is judged as if it did not have them.

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <bitset>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace telemetry_collector {

// An event read straight from its JSON text by compiled_schema::read_flat:
// the value of each schema property, in schema order, without a DOM.
class flat_event {
 public:
  enum class type : std::uint8_t { absent, boolean, integer, string };
  struct value {
    type t = type::absent;
    bool boolean = false;
    std::int64_t integer = 0;
    std::uint32_t offset = 0, size = 0;  // a string's place in the text
  };
  std::size_t size() const { return values_.size(); }
  const value& at(std::size_t i) const { return values_[i]; }
  std::string_view string_at(std::size_t i) const { return {text_.data() + values_[i].offset, values_[i].size}; }
  // The property names, in the order of the values (the schema's order).
  const std::vector<std::string>& names() const { return *names_; }

  // The members of `event` named in `names` (which must outlive the
  // result), as read_flat would give them: strings, booleans and integers
  // (int64 or uint64 within int64); any other member, or a member not in
  // `names`, is left out. For events a validator has accepted.
  static flat_event from_object(const boost::json::object& event, const std::vector<std::string>& names);
  // Index of `name` in names(); size() when absent.
  std::size_t index_of(std::string_view name) const;

 private:
  friend class compiled_schema;
  std::vector<value> values_;
  std::string text_;  // the strings' decoded text, one after the other
  const std::vector<std::string>* names_ = nullptr;
};

// The event as a JSON object (absent values left out): the inverse of
// flat_event::from_object.
boost::json::object to_object(const flat_event& event);

// What to do with a member no shape has (a newer sender's key).
enum class unknown_members { refuse, drop };
// More members than this that no shape has, and the event is refused even
// with unknown_members::drop: a release adds a few keys, and judging (and
// naming) them must stay cheap whatever a body holds.
inline constexpr std::size_t k_max_unknown_members = 64;

struct schema_verdict {
  bool ok = true;
  std::string field;   // the offending member; empty when the document as a whole is wrong
  std::string reason;  // why, in a few words
};

class compiled_schema {
 public:
  // nullopt when the schema uses anything outside the subset above.
  static std::optional<compiled_schema> compile(const boost::json::value& schema);
  // Accepts events with exactly these members as well (an older shape).
  // False, and nothing added, when one is not a property of the schema.
  bool add_shape(const std::vector<std::string>& keys);
  std::size_t shape_count() const { return shapes_.size(); }

  // Whether `doc` conforms. Thread-safe: the checker is immutable once
  // its shapes are added.
  bool accepts(const boost::json::value& doc, unknown_members unknown = unknown_members::refuse) const;
  // The same judgement, saying which member fails and why. With
  // unknown_members::drop, `dropped` (when given) is set to the names of
  // the members left out, each once, in the document's order.
  schema_verdict check(const boost::json::value& doc, unknown_members unknown = unknown_members::refuse,
                       std::vector<std::string>* dropped = nullptr) const;

  // Reads `text` as one JSON object and judges it on the way, without a DOM:
  // true when it conforms (exactly when parsing it and accepts() would say
  // so), with its values in `out` (and `dropped` set as check() sets
  // it). False when it
  // does not, or when the text needs what only a full parse decides (a key
  // given twice, an unknown member whose value is an array or object): the
  // caller then parses it and asks check() or valijson why. Thread-safe.
  bool read_flat(std::string_view text, flat_event& out, unknown_members unknown = unknown_members::refuse,
                 std::vector<std::string>* dropped = nullptr) const;

 private:
  struct atom {
    std::bitset<256> chars;
    std::size_t min = 1, max = 1;
  };
  enum class kind { string, integer, boolean };
  struct property {
    std::string name;
    kind type = kind::string;
    std::vector<std::int64_t> int_enum;
    std::vector<std::string> string_enum;
    bool has_enum = false;
    std::optional<double> minimum, maximum;
    std::optional<std::uint64_t> min_length, max_length;
    std::optional<std::vector<atom>> pattern;
  };

  // A set of members an event may have: every `required` one, and only
  // `allowed` ones (both indexed like properties_).
  struct shape {
    std::vector<bool> required, allowed;
  };
  // Whether the members for which present(i) holds are one shape's (no allocation: the ingest path).
  template <class Present>
  bool fits(Present present) const;

  // reason == nullptr: conforms. `field` points into the document or the schema.
  struct failure {
    std::string_view field;
    const char* reason = nullptr;
  };
  failure first_failure(const boost::json::value& doc, unknown_members unknown,
                        std::vector<std::string>* dropped) const;

  static std::optional<std::vector<atom>> compile_pattern(std::string_view p);
  static bool matches(const std::vector<atom>& pattern, std::string_view s);
  // One member's value as the checks see it: `other` for null, numbers that
  // are not an int64, arrays and objects.
  struct scalar {
    enum class type { boolean, integer, string, other } t = type::other;
    bool boolean = false;
    std::int64_t integer = 0;
    std::string_view string;
  };
  static scalar scalar_of(const boost::json::value& v);
  // nullptr when fine, else the reason.
  const char* check_value(const property& p, const scalar& v) const;
  // The property called `name`, trying position `guess` first; properties_.size() when none.
  std::size_t index_of(std::string_view name, std::size_t guess) const;
  struct flat_reader;

  std::vector<property> properties_;  // in schema order
  std::vector<std::string> names_;    // their names
  std::vector<shape> shapes_;         // the schema's own first
};

}  // namespace telemetry_collector
