// Errors as values. Every failure in spate is an Error: what went wrong (kind), the one-line
// human explanation (message), and the raw codes it came from, so callers can branch on kind and
// show message. Plain value type: copyable, no thread affinity.
#pragma once

#include <tl/expected.hpp>

#include <string>

namespace spate {

enum class ErrorKind {
  Usage,             // bad argument or option value
  InvalidUrl,        // URL could not be parsed or uses a forbidden scheme
  Resolve,           // DNS lookup failed
  Connect,           // connection refused or unreachable
  Tls,               // TLS handshake or certificate verification failed
  Timeout,           // connect timeout or no data for too long
  HttpStatus,        // the server answered with an error status (http_status says which)
  AccessDenied,      // FTP/SFTP: the login or the access to the file was refused
  NotFound,          // FTP/SFTP: the remote file does not exist
  TooManyRedirects,  // redirect limit reached
  Protocol,          // malformed or inconsistent response (bad Content-Range, short body, ...)
  RangeMismatch,     // a 206 whose Content-Range does not match what was asked
  ContentChanged,    // the remote file changed during the download (validators differ)
  SizeMismatch,      // body length differs from the announced length
  ChecksumMismatch,  // the downloaded bytes do not match the expected digest
  FileOpen,          // the temp or final file could not be created
  FileWrite,         // a write failed (see sys_errno; ENOSPC is DiskFull)
  DiskFull,          // no space left on the target filesystem
  Rename,            // the final rename failed
  StateFile,         // resume state unreadable or foreign
  Transport,         // any other transport failure
  Cancelled,         // stopped by the caller or by a signal
  Internal,          // a bug in spate
};

// A stable lower-case identifier for the kind, used in NDJSON output and logs.
const char* to_string(ErrorKind kind) noexcept;

struct Error {
  ErrorKind kind = ErrorKind::Internal;
  std::string message;  // one line, no trailing newline, does not repeat the URL
  int http_status = 0;  // for HttpStatus (and any error seen on an HTTP response)
  int sys_errno = 0;    // for file and socket errors
  int curl_code = 0;    // the CURLcode, when the transport reported one
};

template <class T>
using Result = tl::expected<T, Error>;

inline tl::unexpected<Error> make_error(ErrorKind kind, std::string message) {
  return tl::unexpected<Error>(Error{kind, std::move(message)});
}

}  // namespace spate
