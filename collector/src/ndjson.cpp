#include "ndjson.hpp"

#include <boost/json/parse.hpp>

#include <chrono>

namespace telemetry_collector {

clock_ms parse_rfc3339_utc(std::string_view s) {
  // YYYY-MM-DDTHH:MM:SS[.fraction](Z|+00:00|-00:00)
  auto digits = [&](std::size_t pos, std::size_t n, int& out) {
    if (pos + n > s.size()) return false;
    out = 0;
    for (std::size_t i = pos; i < pos + n; ++i) {
      if (s[i] < '0' || s[i] > '9') return false;
      out = out * 10 + (s[i] - '0');
    }
    return true;
  };
  int y, mo, d, h, mi, se;
  if (!digits(0, 4, y) || s.size() < 20 || s[4] != '-' || !digits(5, 2, mo) || s[7] != '-' || !digits(8, 2, d) ||
      (s[10] != 'T' && s[10] != 't') || !digits(11, 2, h) || s[13] != ':' || !digits(14, 2, mi) || s[16] != ':' ||
      !digits(17, 2, se))
    return -1;
  std::size_t pos = 19;
  int ms = 0;
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    int scale = 100, n = 0;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
      ms += (s[pos] - '0') * scale;
      scale /= 10;
      ++pos;
      ++n;
    }
    if (n == 0) return -1;
  }
  const std::string_view zone = s.substr(pos);
  if (zone != "Z" && zone != "z" && zone != "+00:00" && zone != "-00:00") return -1;
  using namespace std::chrono;
  const year_month_day ymd{year{y}, month{static_cast<unsigned>(mo)}, day{static_cast<unsigned>(d)}};
  if (!ymd.ok() || h > 23 || mi > 59 || se > 60) return -1;
  const auto t = sys_days{ymd} + hours{h} + minutes{mi} + seconds{se} + milliseconds{ms};
  return duration_cast<milliseconds>(t.time_since_epoch()).count();
}

import_line parse_import_line(std::string_view line, const schema_validator& validator, unknown_members unknown) {
  import_line out;
  boost::system::error_code ec;
  boost::json::parse_options po;
  po.max_depth = 16;
  auto doc = boost::json::parse(line, ec, {}, po);
  if (ec) {
    out.error = "malformed JSON: " + ec.message();
    return out;
  }
  const auto* obj = doc.if_object();
  if (!obj || obj->size() != 2 || !obj->contains("received_at") || !obj->contains("event")) {
    out.error = R"(expected exactly {"received_at": "<RFC 3339 UTC>", "event": {...}})";
    return out;
  }
  const auto* at = obj->at("received_at").if_string();
  const clock_ms t = at ? parse_rfc3339_utc(*at) : -1;
  if (t < 0) {
    out.error = "received_at: expected an RFC 3339 time in UTC such as 2026-11-22T10:00:00Z";
    return out;
  }
  const auto& event = obj->at("event");
  if (auto err = validator.validate(event, unknown, &out.dropped)) {
    out.error = "event: invalid field \"" + err->field + "\": " + err->message;
    return out;
  }
  out.event = make_row(event.as_object(), validator.fields(), t);
  return out;
}

}  // namespace telemetry_collector
