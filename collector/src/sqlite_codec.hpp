#pragma once
// How a raw event is stored: its values only, in a fixed field order.
//
// A stored event is a JSON array `[L, v1, ..., vn]`: L names a layout, the
// list of field names (the schema's properties in schema order) kept in the
// database's meta table as `event_layout:L`, and vi is the value of the i-th
// field, or null when the event does not have that field (null is never a
// valid value). For Kubo's example that is 229 bytes instead of 849 for the
// object: fewer pages per commit and a database about a third the size.
// A schema with other fields gets a new layout; rows keep the layout they
// were written with. Rows written as a JSON object (by builds before
// layouts) are read as they are.

#include "compiled_schema.hpp"

#include <boost/json/object.hpp>

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

struct sqlite3;

namespace telemetry_collector {

// Writes events in one layout.
class event_encoder {
 public:
  event_encoder() = default;  // encodes nothing: every event is stored as an object
  // Finds `fields` among the layouts in `db`'s meta table or adds it (the
  // caller's transaction, or autocommit). Throws std::runtime_error.
  static event_encoder for_fields(sqlite3* db, std::vector<std::string> fields);
  // The stored text of a validated event. An event with a field outside the
  // layout (which the schema does not let through) is stored as an object.
  std::string encode(const boost::json::object& event) const;
  // The same text for an event read by compiled_schema::read_flat, written
  // from its values directly when their order is the layout's.
  std::string encode(const flat_event& event) const;
  std::int64_t layout() const { return layout_; }

 private:
  std::int64_t layout_ = 0;
  std::vector<std::string> fields_;
};


// Appends `s` as a JSON string (quoted, escaped as Boost.JSON's serializer does).
void append_json_string(std::string& out, std::string_view s);

// Reads events in any layout a database knows, and plain objects.
class event_decoder {
 public:
  // The layouts in `db`'s meta table. Throws std::runtime_error.
  static event_decoder load(sqlite3* db);
  // The event as an object. Throws std::runtime_error if `stored` is neither
  // an object nor an array of a known layout.
  boost::json::object decode(std::string_view stored) const;

 private:
  std::map<std::int64_t, std::vector<std::string>> layouts_;
};

}  // namespace telemetry_collector
