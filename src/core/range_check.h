// Checks a response to a ranged request before one byte of it is written. Pure; thread-safe.
#pragma once

#include "spate/error.h"

#include "net/transfer.h"

#include <cstdint>
#include <string>

namespace spate::core {

// The version of the remote file a download is fetching, from the first response.
struct Validators {
  std::string etag;
  std::string last_modified;

  // The If-Range value to send: a strong ETag, else Last-Modified, else "".
  std::string if_range() const;
  // True when `head` carries the same validators (a missing one on either side is not a change).
  bool matches(const net::ResponseHead& head) const;
};

// A 206 for [begin, end) of a file of `size` bytes: Content-Range start == begin,
// last + 1 <= end, total == size, validators unchanged. A 200 is ContentChanged when an If-Range
// was sent (the server says the file changed), else RangeMismatch (ranges ignored).
Result<void> check_range_response(const net::ResponseHead& head, std::int64_t begin,
                                  std::int64_t end, std::int64_t size, const Validators& validators,
                                  bool sent_if_range);

// An error for a response status that is not a success (>= 300 after redirects, or 0).
Error status_error(const net::ResponseHead& head);

}  // namespace spate::core
