// Maps spate::HttpOptions onto a libcurl easy handle: every curl_easy_setopt call for headers,
// identity, credentials, proxies, TLS, HTTP version, allowed protocols and conditions lives here.
// The session-wide part (the cookie store, DNS and TLS session caches) belongs to TransferLoop,
// which reads a transfer's SharedStateRequest when the transfer is added.
// Functions are pure or act only on the handle they are given; call them on the thread that owns
// that handle.
#pragma once

#include "spate/error.h"
#include "spate/http_options.h"

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

using CURL = void;  // libcurl's easy handle type, kept opaque outside src/net/*.cc
struct curl_slist;

namespace spate::net {

// What one transfer asks of the Session-wide state kept by TransferLoop.
struct SharedStateRequest {
  bool attach = true;        // use the Session's share handle (cookies, DNS, TLS sessions)
  std::string load_cookies;  // cookie file to read into the shared store (once per Session)
  std::string save_cookies;  // cookie file to write when the Session ends
};

SharedStateRequest shared_state_request(const HttpOptions& http);

// Applies `http` to `easy`, whose URL is `url` (credentials in it matter). User headers (and
// If-Modified-Since) are appended to `headers`, which the caller owns and hands to
// CURLOPT_HTTPHEADER. Call it after the transport's own defaults: it may replace the user agent,
// the allowed protocols and the HTTP version (it only ever narrows the version to HTTP/1.1, never
// widens it). Fails with ErrorKind::Usage when check_http_options fails, ErrorKind::Internal when
// libcurl refuses an option.
Result<void> apply_http_options(CURL* easy, const HttpOptions& http, std::string_view url,
                                curl_slist*& headers);

struct ResponseHead;  // net/transfer.h

// For a transfer whose protocol is not HTTP (FTP, FTPS, SFTP), fills `head` as the HTTP answer
// to a request without a range: status 200, Content-Length = libcurl's download size,
// Last-Modified from CURLINFO_FILETIME when the file time was fetched (the transport asks for it
// on every FTP and SFTP transfer, so the probe and the segments carry the same validator). Valid
// from the first body byte on. Returns false, and leaves `head` alone, for HTTP(S) transfers.
bool describe_non_http_response(CURL* easy, ResponseHead& head);

// What a native FTP/FTPS/SFTP transfer learned before its first body byte.
struct FileTransferFacts {
  std::int64_t range_begin = -1;       // as the Request asked; -1: no range
  std::int64_t range_end = -1;         // exclusive; -1: to the end of the file
  std::optional<std::int64_t> length;  // libcurl's download size for this transfer
  std::optional<std::int64_t> total;   // the size of the whole file, when known for certain
  bool seekable = false;               // the server serves from an offset (FTP REST; SFTP)
};

// The status, Content-Range and Content-Length of a ranged FTP/SFTP transfer, in the form the Job
// expects from HTTP (`head` keeps its other fields). Without a range: 200 and `length`. With a
// range of a seekable file whose total is known: 206 "bytes BEGIN-LAST/TOTAL", LAST the asked end
// (exclusive end - 1) cut to the file's end, which the transport then enforces; an empty file
// asked from 0 is a 200 of 0 bytes. Otherwise a range from 0 is an honest 200 (one stream from
// byte 0), and a range from a later byte is refused: RangeMismatch when the total is unknown,
// ContentChanged when the range starts past the end (the file shrank). Pure.
Result<void> describe_file_response(const FileTransferFacts& facts, ResponseHead& head);

// Schemes a download may start with when the URL itself names them: http, https, ftp, ftps, and
// sftp when libcurl was built with SSH. Redirects stay limited to http and https.
bool scheme_allowed(std::string_view lower_case_scheme);

// The IMF-fixdate form of `time` ("Sun, 06 Nov 1994 08:49:37 GMT"), independent of the locale.
std::string format_http_date(std::chrono::system_clock::time_point time);

}  // namespace spate::net
