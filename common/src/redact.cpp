#include "ipfs_common/redact.hpp"

#include <cctype>

namespace ipfs_common {

namespace {

// Where a URL-ish token ends: whitespace, quotes and angle brackets cannot
// appear unencoded in a URL that the plugin would use.
bool ends_token(char c) {
  switch (c) {
    case ' ': case '\t': case '\r': case '\n': case '"': case '\'': case '<': case '>': case '`':
      return true;
    default:
      return false;
  }
}

bool is_slash(char c) { return c == '/' || c == '\\'; }

// Where the authority of a URL in `token` starts: after "scheme:" and a run
// of slashes or backslashes ("http://", "http:/", "http:\\", "http:///"), or
// after a leading scheme-relative "//". npos when `token` holds no URL.
std::size_t authority_start(std::string_view token) {
  // Scheme-relative: "//" at the start or after punctuation ("[//", "(//", "=//").
  for (std::size_t i = token.find("//"); i != std::string_view::npos; i = token.find("//", i + 2)) {
    if (i > 0 && (std::isalnum(static_cast<unsigned char>(token[i - 1])) || token[i - 1] == ':' ||
                  is_slash(token[i - 1])))
      continue;
    while (i < token.size() && is_slash(token[i])) ++i;
    return i;
  }
  for (std::size_t colon = token.find(':'); colon != std::string_view::npos; colon = token.find(':', colon + 1)) {
    if (colon + 1 < token.size() && is_slash(token[colon + 1])) {
      std::size_t i = colon + 1;
      while (i < token.size() && is_slash(token[i])) ++i;
      return i;
    }
  }
  return std::string_view::npos;
}

}  // namespace

std::string redact_credentials(std::string_view text) {
  constexpr std::string_view replacement = "REDACTED";
  std::string out;
  out.reserve(text.size());
  std::size_t pos = 0;
  while (pos < text.size()) {
    if (ends_token(text[pos])) {
      out += text[pos++];
      continue;
    }
    std::size_t end = pos;
    while (end < text.size() && !ends_token(text[end])) ++end;
    const std::string_view token = text.substr(pos, end - pos);
    // Everything from the authority's start to the token's last '@' is taken
    // as userinfo: a password may hold '/', '?', '#' or '@' itself, and
    // redacting too much of a log line is better than too little.
    const std::size_t start = authority_start(token);
    const std::size_t at = token.rfind('@');
    if (start != std::string_view::npos && at != std::string_view::npos && at >= start) {
      out.append(token.substr(0, start));
      out.append(replacement);
      out.append(token.substr(at));
    } else {
      out.append(token);
    }
    pos = end;
  }
  return out;
}

}  // namespace ipfs_common
