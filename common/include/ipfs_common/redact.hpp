#pragma once
// Keeps credentials out of everything a person or a file will see.

#include <string>
#include <string_view>

namespace ipfs_common {

// `text` with the userinfo of every URL in it replaced: "http://user:pw@host/"
// becomes "http://REDACTED@host/". Works on any text, also on URLs that do
// not parse (a bad port, trailing garbage, several '@', a '/' or '#' in the
// password, "http:/", "http:\\", scheme-relative "//"), so it can be applied to
// a whole message after it was built. The text is cut into tokens at
// whitespace, quotes and angle brackets; in a token holding a URL, everything
// from the end of "scheme:" and its slashes to the token's last '@' is
// replaced. It may redact more than the userinfo (a path holding '@'), never
// less.
std::string redact_credentials(std::string_view text);

}  // namespace ipfs_common
