#include "core/range_check.h"

#include "net/http_headers.h"

#include <fmt/format.h>

namespace spate::core {

std::string Validators::if_range() const {
  if (net::is_strong_etag(etag)) return etag;
  return last_modified;
}

bool Validators::matches(const net::ResponseHead& head) const {
  if (!etag.empty() && !head.etag.empty() && etag != head.etag) return false;
  if (!last_modified.empty() && !head.last_modified.empty() &&
      last_modified != head.last_modified) {
    return false;
  }
  return true;
}

Error status_error(const net::ResponseHead& head) {
  Error error{ErrorKind::HttpStatus, head.status == 0
                                         ? std::string("no HTTP status in the response")
                                         : fmt::format("HTTP status {}", head.status)};
  error.http_status = head.status;
  return error;
}

Result<void> check_range_response(const net::ResponseHead& head, std::int64_t begin,
                                  std::int64_t end, std::int64_t size, const Validators& validators,
                                  bool sent_if_range) {
  if (head.status == 200) {
    if (sent_if_range || !validators.matches(head)) {
      return make_error(ErrorKind::ContentChanged,
                        "the remote file changed during the download (200 to If-Range)");
    }
    return make_error(
        ErrorKind::RangeMismatch,
        fmt::format("server ignored the Range request for bytes {}-{}", begin, end - 1));
  }
  if (head.status != 206) {
    auto error = status_error(head);
    return tl::unexpected(std::move(error));
  }
  if (!validators.matches(head)) {
    return make_error(ErrorKind::ContentChanged,
                      "the remote file changed during the download (ETag/Last-Modified differ)");
  }
  const auto range = net::parse_content_range(head.content_range);
  if (!range) {
    return make_error(ErrorKind::RangeMismatch,
                      fmt::format("206 with an invalid Content-Range '{}'", head.content_range));
  }
  if (range->first != begin || range->last + 1 > end) {
    return make_error(ErrorKind::RangeMismatch,
                      fmt::format("asked for bytes {}-{}, server sent {}-{}", begin, end - 1,
                                  range->first, range->last));
  }
  if (!range->total || *range->total != size) {
    return make_error(ErrorKind::ContentChanged,
                      fmt::format("remote size changed from {} to {}", size,
                                  range->total ? fmt::to_string(*range->total) : "unknown"));
  }
  return {};
}

}  // namespace spate::core
