// HTTP/1.1 request-head parsing and small protocol helpers for the test HttpServer.
// Pure functions on values; safe from any thread.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace spate::testing {

struct ParsedRequest {
  std::string method;
  std::string target;                          // as sent, including the query
  std::string path;                            // target without the query
  std::string query;                           // after '?', "" when none
  std::string version;                         // "HTTP/1.1"
  std::map<std::string, std::string> headers;  // lower-case names; repeated headers joined ", "

  std::string header(std::string_view lower_name) const;
  // Whether the client allows another request on this connection after the response.
  bool keep_alive() const;
};

// Parses a request head (request line + header lines, without the final empty line).
std::optional<ParsedRequest> parse_request_head(std::string_view head);

// Outcome of a Range header against a body of `size` bytes.
struct RangeRequest {
  enum class Kind { Full, Partial, Unsatisfiable };
  Kind kind = Kind::Full;  // Full: no usable Range (absent, malformed or multi-range)
  std::int64_t first = 0;  // Partial: inclusive byte positions
  std::int64_t last = -1;
};

// Interprets a Range value ("bytes=a-b", "bytes=a-", "bytes=-n"); single ranges only.
RangeRequest parse_range(std::string_view value, std::int64_t size);

// The current time as an IMF-fixdate ("Sun, 06 Nov 1994 08:49:37 GMT").
std::string http_date_now();

// Reason phrase for a status code ("Partial Content"); "Status" when unknown.
std::string_view reason_phrase(int status);

}  // namespace spate::testing
