#pragma once
// Keeps credentials out of everything a person or a file will see.

#include <string>
#include <string_view>

namespace ipfs_common {

// `text` with the userinfo of every URL in it replaced: "http://user:pw@host/"
// becomes "http://REDACTED@host/". Works on any text, also on URLs that do
// not parse (a bad port, trailing garbage, several '@'), so it can be applied
// to a whole message after it was built. A URL's authority is taken to run
// from "://" (or a scheme-relative "//" at the start of the text or after a
// space, quote, bracket or '=') to the first '/', '?', '#', whitespace, quote or angle bracket;
// its userinfo is everything before the last '@' in it.
std::string redact_credentials(std::string_view text);

}  // namespace ipfs_common
