#include "spate/version.h"

#include "spate/error.h"

#include <curl/curl.h>

namespace spate {

const char* version() noexcept { return SPATE_VERSION; }

const char* transport_version() noexcept { return curl_version(); }

const char* to_string(ErrorKind kind) noexcept {
  switch (kind) {
    case ErrorKind::Usage:
      return "usage";
    case ErrorKind::InvalidUrl:
      return "invalid_url";
    case ErrorKind::Resolve:
      return "resolve";
    case ErrorKind::Connect:
      return "connect";
    case ErrorKind::Tls:
      return "tls";
    case ErrorKind::Timeout:
      return "timeout";
    case ErrorKind::HttpStatus:
      return "http_status";
    case ErrorKind::AccessDenied:
      return "access_denied";
    case ErrorKind::NotFound:
      return "not_found";
    case ErrorKind::TooManyRedirects:
      return "too_many_redirects";
    case ErrorKind::Protocol:
      return "protocol";
    case ErrorKind::RangeMismatch:
      return "range_mismatch";
    case ErrorKind::ContentChanged:
      return "content_changed";
    case ErrorKind::SizeMismatch:
      return "size_mismatch";
    case ErrorKind::ChecksumMismatch:
      return "checksum_mismatch";
    case ErrorKind::FileOpen:
      return "file_open";
    case ErrorKind::FileWrite:
      return "file_write";
    case ErrorKind::DiskFull:
      return "disk_full";
    case ErrorKind::Rename:
      return "rename";
    case ErrorKind::StateFile:
      return "state_file";
    case ErrorKind::Transport:
      return "transport";
    case ErrorKind::Cancelled:
      return "cancelled";
    case ErrorKind::Internal:
      return "internal";
  }
  return "internal";
}

}  // namespace spate
