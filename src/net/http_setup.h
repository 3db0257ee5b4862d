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

// Applies `http` to `easy`. User headers (and If-Modified-Since) are appended to `headers`, which
// the caller owns and hands to CURLOPT_HTTPHEADER. Call it after the transport's own defaults:
// it may replace the user agent, the allowed protocols and the HTTP version (it only ever narrows
// the version to HTTP/1.1, never widens it). Fails with ErrorKind::Usage when check_http_options
// fails, ErrorKind::Internal when libcurl refuses an option.
Result<void> apply_http_options(CURL* easy, const HttpOptions& http, curl_slist*& headers);

struct ResponseHead;  // net/transfer.h

// For a transfer whose protocol is not HTTP (FTP, FTPS, SFTP), fills `head` as the HTTP answer
// the Job understands: status 200, Content-Length = libcurl's download size (the whole file after
// "REST 0", so the Job's in-band probe turns into one single stream), Last-Modified from
// CURLINFO_FILETIME when the file time was asked for (HttpOptions::remote_time). Valid from the
// first body byte on. Returns false, and leaves `head` alone, for HTTP(S) transfers.
bool describe_non_http_response(CURL* easy, ResponseHead& head);

// Schemes a download may start with when the URL itself names them: http, https, ftp, ftps, and
// sftp when libcurl was built with SSH. Redirects stay limited to http and https.
bool scheme_allowed(std::string_view lower_case_scheme);

// The IMF-fixdate form of `time` ("Sun, 06 Nov 1994 08:49:37 GMT"), independent of the locale.
std::string format_http_date(std::chrono::system_clock::time_point time);

}  // namespace spate::net
