#include "net/curl_error.h"

#include <curl/curl.h>

namespace spate::net {

Error error_from_curl(int curl_code) {
  const auto code = static_cast<CURLcode>(curl_code);
  ErrorKind kind = ErrorKind::Transport;
  const char* message = curl_easy_strerror(code);
  switch (code) {
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
      kind = ErrorKind::Resolve;
      break;
    case CURLE_COULDNT_CONNECT:
      kind = ErrorKind::Connect;
      break;
    case CURLE_OPERATION_TIMEDOUT:
      kind = ErrorKind::Timeout;
      break;
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CACERT_BADFILE:
      kind = ErrorKind::Tls;
      break;
    case CURLE_TOO_MANY_REDIRECTS:
      kind = ErrorKind::TooManyRedirects;
      break;
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_URL_MALFORMAT:
      kind = ErrorKind::InvalidUrl;
      break;
    case CURLE_PARTIAL_FILE:
      kind = ErrorKind::SizeMismatch;
      break;
    // The server will not (or can no longer) serve from an offset: FTP REST refused, an offset
    // past the end of the file. Retrying the same range cannot help; starting over from byte 0
    // can (the new probe learns whether REST works, and falls back to one stream if not).
    case CURLE_FTP_COULDNT_USE_REST:
    case CURLE_BAD_DOWNLOAD_RESUME:
    case CURLE_RANGE_ERROR:
      kind = ErrorKind::ContentChanged;
      break;
    // FTP/SFTP refusals that another attempt would only repeat (HTTP has 401, 403 and 404 for
    // these, which are final too).
    case CURLE_LOGIN_DENIED:
      kind = ErrorKind::AccessDenied;
      message = "login denied: the server refused the user name and password or SSH key";
      break;
    case CURLE_REMOTE_ACCESS_DENIED:
      kind = ErrorKind::AccessDenied;
      message = "access denied: the server refused access to the remote file";
      break;
    case CURLE_REMOTE_FILE_NOT_FOUND:
      kind = ErrorKind::NotFound;
      message = "the remote file does not exist";
      break;
    default:
      break;
  }
  Error error{kind, message};
  error.curl_code = curl_code;
  return error;
}

}  // namespace spate::net
