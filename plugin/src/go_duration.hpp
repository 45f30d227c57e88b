#pragma once
// Go's time.Duration text form: parsing as time.ParseDuration does, formatting
// as Duration.String does, so that config files and log lines read the same as
// Kubo's.

#include <boost/system/result.hpp>

#include <chrono>
#include <string>
#include <string_view>

namespace ipfs_telemetry {

// Parses "300ms", "-1.5h", "2h45m", "1us", "1µs", "0". Accepts exactly what
// Go's time.ParseDuration accepts (signed, decimal fractions, units ns us µs μs
// ms s m h, no spaces); fails with a message quoting the input otherwise,
// including values that overflow int64 nanoseconds.
boost::system::result<std::chrono::nanoseconds, std::string> parse_go_duration(std::string_view s);

// Formats like Go's Duration.String: "15m0s", "1h30m0s", "100ms", "1.5µs", "0s".
std::string format_go_duration(std::chrono::nanoseconds d);

}  // namespace ipfs_telemetry
