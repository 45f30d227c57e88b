#pragma once
// result<T, std::string>: a value or a message for the user. Returning a
// message must be spelled `return fail(...)`: with E = std::string a bare
// string would be ambiguous whenever T can also be built from a string.

#include <boost/system/result.hpp>

#include <string>
#include <utility>

namespace ipfs_common {

template <class T>
using message_result = boost::system::result<T, std::string>;

struct failure {
  std::string message;
  template <class T>
  operator boost::system::result<T, std::string>() && {
    return boost::system::result<T, std::string>(boost::system::in_place_error, std::move(message));
  }
};

inline failure fail(std::string message) { return failure{std::move(message)}; }

// The value alternative, for T that a string would also convert to.
template <class T>
boost::system::result<T, std::string> succeed(T value) {
  return boost::system::result<T, std::string>(boost::system::in_place_value, std::move(value));
}

}  // namespace ipfs_common
