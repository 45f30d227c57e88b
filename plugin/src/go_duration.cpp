#include "go_duration.hpp"

#include <cstdint>
#include <optional>

namespace ipfs_telemetry {
namespace {

constexpr std::uint64_t k_limit = std::uint64_t{1} << 63;  // |min int64|

std::string invalid(std::string_view orig) {
  return "invalid duration \"" + std::string(orig) + "\"";
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// Consumes leading digits into x; nullopt on overflow past 1<<63.
std::optional<std::uint64_t> leading_int(std::string_view& s) {
  std::uint64_t x = 0;
  std::size_t i = 0;
  for (; i < s.size() && is_digit(s[i]); ++i) {
    if (x > (k_limit - 1) / 10) return std::nullopt;
    x = x * 10 + static_cast<std::uint64_t>(s[i] - '0');
    if (x > k_limit) return std::nullopt;
  }
  s.remove_prefix(i);
  return x;
}

// Consumes leading fraction digits; like Go, digits past the precision of
// uint64 are consumed but ignored.
void leading_fraction(std::string_view& s, std::uint64_t& x, double& scale) {
  std::size_t i = 0;
  bool overflow = false;
  x = 0;
  scale = 1;
  for (; i < s.size() && is_digit(s[i]); ++i) {
    if (overflow) continue;
    if (x > (k_limit - 1) / 10) {
      overflow = true;
      continue;
    }
    std::uint64_t y = x * 10 + static_cast<std::uint64_t>(s[i] - '0');
    if (y > k_limit) {
      overflow = true;
      continue;
    }
    x = y;
    scale *= 10;
  }
  s.remove_prefix(i);
}

std::optional<std::uint64_t> unit_value(std::string_view u) {
  if (u == "ns") return 1;
  if (u == "us" || u == "\xC2\xB5s" /* U+00B5 */ || u == "\xCE\xBCs" /* U+03BC */) return 1000;
  if (u == "ms") return 1000000;
  if (u == "s") return 1000000000;
  if (u == "m") return 60ull * 1000000000;
  if (u == "h") return 3600ull * 1000000000;
  return std::nullopt;
}

// Writes the fraction of v / 10^prec into the front of `out` (built right to
// left), omitting trailing zeros and the point when the fraction is zero.
std::uint64_t fmt_frac(std::string& out, std::uint64_t v, int prec) {
  std::string digits;
  bool print = false;
  for (int i = 0; i < prec; ++i) {
    int digit = static_cast<int>(v % 10);
    print = print || digit != 0;
    if (print) digits.insert(digits.begin(), static_cast<char>('0' + digit));
    v /= 10;
  }
  if (print) out.insert(0, "." + digits);
  return v;
}

void fmt_int(std::string& out, std::uint64_t v) { out.insert(0, std::to_string(v)); }

}  // namespace

boost::system::result<std::chrono::nanoseconds, std::string> parse_go_duration(std::string_view orig) {
  std::string_view s = orig;
  std::uint64_t d = 0;
  bool neg = false;
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) {
    neg = s[0] == '-';
    s.remove_prefix(1);
  }
  if (s == "0") return std::chrono::nanoseconds(0);
  if (s.empty()) return invalid(orig);

  while (!s.empty()) {
    if (!(s[0] == '.' || is_digit(s[0]))) return invalid(orig);
    std::size_t before = s.size();
    auto v = leading_int(s);
    if (!v) return invalid(orig);
    bool pre = s.size() != before;

    std::uint64_t f = 0;
    double scale = 1;
    bool post = false;
    if (!s.empty() && s[0] == '.') {
      s.remove_prefix(1);
      std::size_t b = s.size();
      leading_fraction(s, f, scale);
      post = s.size() != b;
    }
    if (!pre && !post) return invalid(orig);

    std::size_t i = 0;
    while (i < s.size() && s[i] != '.' && !is_digit(s[i])) ++i;
    if (i == 0) return "missing unit in duration \"" + std::string(orig) + "\"";
    std::string_view u = s.substr(0, i);
    s.remove_prefix(i);
    auto unit = unit_value(u);
    if (!unit)
      return "unknown unit \"" + std::string(u) + "\" in duration \"" + std::string(orig) +
             "\" (accepted: ns, us, ms, s, m, h)";

    if (*v > k_limit / *unit) return invalid(orig);
    std::uint64_t value = *v * *unit;
    if (f > 0) {
      value += static_cast<std::uint64_t>(static_cast<double>(f) * (static_cast<double>(*unit) / scale));
      if (value > k_limit) return invalid(orig);
    }
    d += value;
    if (d > k_limit) return invalid(orig);
  }
  if (neg) return std::chrono::nanoseconds(static_cast<std::int64_t>(0 - d));
  if (d > k_limit - 1) return invalid(orig);
  return std::chrono::nanoseconds(static_cast<std::int64_t>(d));
}

std::string format_go_duration(std::chrono::nanoseconds dur) {
  const std::int64_t n = dur.count();
  const bool neg = n < 0;
  std::uint64_t u = neg ? 0 - static_cast<std::uint64_t>(n) : static_cast<std::uint64_t>(n);
  std::string out;
  if (u < 1000000000ull) {
    if (u == 0) return "0s";
    int prec = 0;
    if (u < 1000ull) {
      out = "ns";
    } else if (u < 1000000ull) {
      prec = 3;
      out = "\xC2\xB5s";
    } else {
      prec = 6;
      out = "ms";
    }
    u = fmt_frac(out, u, prec);
    fmt_int(out, u);
  } else {
    out = "s";
    u = fmt_frac(out, u, 9);
    fmt_int(out, u % 60);
    u /= 60;
    if (u > 0) {
      out.insert(0, "m");
      fmt_int(out, u % 60);
      u /= 60;
      if (u > 0) {
        out.insert(0, "h");
        fmt_int(out, u);
      }
    }
  }
  if (neg) out.insert(0, "-");
  return out;
}

}  // namespace ipfs_telemetry
