#include "ipfs_common/redact.hpp"

namespace ipfs_common {

namespace {
bool ends_authority(char c) {
  switch (c) {
    case '/': case '?': case '#': case '"': case '\'': case '<': case '>': case '`':
    case ' ': case '\t': case '\r': case '\n': case '\\':
      return true;
    default:
      return false;
  }
}
}  // namespace

std::string redact_credentials(std::string_view text) {
  // "scheme://" and scheme-relative "//" (a Location header may be either).
  constexpr std::string_view mark = "//";
  constexpr std::string_view replacement = "REDACTED";
  std::string out;
  std::size_t copied = 0;
  for (std::size_t pos = text.find(mark); pos != std::string_view::npos; pos = text.find(mark, pos)) {
    const std::size_t start = pos + mark.size();
    if (pos > 0 && text[pos - 1] != ':' && !ends_authority(text[pos - 1]) && text[pos - 1] != '(' &&
        text[pos - 1] != '=') {
      pos = start;  // "a//b": a path, not an authority
      continue;
    }
    std::size_t end = start;
    while (end < text.size() && !ends_authority(text[end])) ++end;
    const std::size_t at = text.substr(start, end - start).rfind('@');
    if (at != std::string_view::npos) {
      if (out.empty()) out.reserve(text.size());
      out.append(text.substr(copied, start - copied));
      out.append(replacement);
      copied = start + at;  // keeps the '@'
    }
    pos = end;
  }
  if (copied == 0) return std::string(text);
  out.append(text.substr(copied));
  return out;
}

}  // namespace ipfs_common
