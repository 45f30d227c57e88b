#pragma once
// The transport seam: how a body gets to the endpoint. The service depends on
// this interface only, so transports can change (HTTPS, proxies, retries)
// without touching scheduling, and tests can substitute a fake.

#include <boost/system/error_code.hpp>

#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace ipfs_telemetry {

struct send_outcome {
  boost::system::error_code ec;  // set when no HTTP status was obtained
  std::string step;              // with ec: the failing step ("resolve", "connect", "write", "read", ...)
  unsigned status = 0;           // the HTTP status when ec is clear
  std::string retry_after;       // the Retry-After header, if any
  std::string location;          // the Location header, if any
  std::string detail;            // why a redirect was not followed, if it was not
  bool permanent = false;        // with ec: a local configuration problem; retrying cannot help
  bool timed_out = false;        // with ec: the attempt's deadline (Timeout) ended it
  // Every URL whose server received the whole body, in order: the endpoint,
  // then each redirect target that got it again. Empty when the body never
  // left (refused, unreachable, cancelled before writing).
  std::vector<std::string> sent_to;
  // Kept only when the request asked (send_request::keep_response_body): the
  // answer's body, whether it arrived whole (not cut by the limit or the
  // connection), and its header fields in order.
  std::string body;
  bool body_complete = false;
  std::vector<std::pair<std::string, std::string>> headers;

  bool success() const { return !ec && status >= 200 && status < 300; }
  // One line for logs: "HTTP 503" or "connect: Connection refused".
  std::string describe() const;
};

enum class send_method { post, delete_ };

struct send_request {
  std::string endpoint;    // validated http(s) URL
  std::string body;        // the exact JSON text to send
  std::string user_agent;  // the node's agent version
  send_method method = send_method::post;  // DELETE: an erasure request
  // Nonzero: keep the answer's body, up to this many bytes (an access
  // request's answer). Zero: read up to 64 KiB and discard it.
  std::uint64_t keep_response_body = 0;
};

class sender {
 public:
  using completion = std::function<void(send_outcome)>;
  virtual ~sender() = default;

  // Starts one POST (or DELETE) of `request.body` (JSON) to `request.endpoint`. Calls `done` exactly once,
  // on the io_context thread that owns this sender, also after cancel()
  // (with operation_aborted). At most one send is in flight at a time.
  virtual void async_send(send_request request, completion done) = 0;

  // Aborts the send in flight, if any, promptly. Called on the owning thread.
  virtual void cancel() = 0;
};

}  // namespace ipfs_telemetry
