// HTTP client settings of one download: headers, identity, credentials, cookies, proxies, TLS
// and protocol choices. A plain value (copyable, no thread affinity) carried in TaskOptions and
// applied to each of the download's requests by the transport. docs/http.md describes each field
// with the curl and aria2 options it mirrors.
#pragma once

#include "spate/error.h"

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace spate {

enum class HttpVersion {
  Auto,    // HTTP/2 when a TLS server offers it through ALPN, else HTTP/1.1 (curl's default)
  Http11,  // HTTP/1.1 only, even over TLS (--http1.1)
};

struct HttpOptions {
  // Extra request headers, "Name: value" (repeatable). As in curl: "Name:" removes a header the
  // transport would send, "Name;" sends it with an empty value. CR and LF are refused.
  std::vector<std::string> headers;
  std::string user_agent;  // non-empty: replaces SessionOptions::user_agent for this download
  std::string referer;     // Referer header; empty = none

  // Credentials for HTTP authentication (Basic, Digest, NTLM, Negotiate: whatever the server
  // asks for in its 401). Set here they win over credentials in the URL. Never sent to another
  // host, port or scheme after a redirect.
  std::string user;
  std::string password;
  bool netrc = false;      // look the host up in ~/.netrc (or netrc_file) when no user is given
  std::string netrc_file;  // non-empty: use this file instead of ~/.netrc (implies netrc)

  // Cookies. Every transfer of a Session shares one in-memory cookie store (as wget and aria2
  // do): a cookie set by one response is sent with later requests that match it.
  bool cookies = true;       // false: this download neither sends nor stores cookies
  std::string load_cookies;  // Netscape/Mozilla cookies.txt, read once per Session
  std::string save_cookies;  // written once, when the Session ends, in the same format

  // Proxy. Empty: libcurl's environment variables decide (http_proxy, HTTPS_PROXY, ALL_PROXY,
  // NO_PROXY, as curl does). Otherwise "[scheme://][user:password@]host[:port]" with scheme
  // http (the default), https, socks4, socks4a, socks5 or socks5h (the proxy resolves names).
  std::string proxy;
  // Hosts reached without the proxy: comma-separated names (a name matches its subdomains),
  // IP addresses or CIDR ranges, "*" for all. Non-empty: replaces the no_proxy variable.
  std::string no_proxy;

  // TLS (for the server and for an https proxy). Verification is on by default.
  bool verify_tls = true;      // false: accept any certificate and host name (--insecure)
  std::string ca_certificate;  // PEM bundle to trust instead of the system store
  // An https proxy's own TLS: with verify_tls true, verify_proxy_tls false accepts any proxy
  // certificate (--proxy-insecure); proxy_ca_certificate, when set, is trusted for the proxy
  // instead of ca_certificate (which otherwise applies to the proxy too).
  bool verify_proxy_tls = true;
  std::string proxy_ca_certificate;

  // SFTP. Keys for public-key authentication (libcurl derives the public key from the private
  // one when ssh_public_key is empty) and the OpenSSH known_hosts file the server's host key must
  // be listed in (empty: ~/.ssh/known_hosts, as curl does; an unlisted host is refused).
  // verify_tls = false (--insecure) skips the host key check, as in curl.
  // ftp:// must switch to TLS (AUTH TLS) for the login and the data, or fail (curl --ssl-reqd).
  bool ftp_require_tls = false;
  std::string ssh_private_key;
  std::string ssh_key_passphrase;  // of an encrypted ssh_private_key
  std::string ssh_public_key;
  std::string ssh_known_hosts;
  HttpVersion http_version = HttpVersion::Auto;

  // Conditional download. When set, requests carry "If-Modified-Since: <time>"; a 304 answer
  // means the local copy is current. The CLI's --conditional-get takes it from the mtime of the
  // existing file (the Job does that, see docs/http.md).
  std::optional<std::chrono::system_clock::time_point> if_modified_since;
  bool conditional_get = false;  // Job: fill if_modified_since from the existing file's mtime
  bool remote_time = false;      // Job: give the saved file the remote Last-Modified time
};

// Checks what can be checked without I/O or network: header syntax (a token name, then ':' or
// ';', no CR/LF/NUL anywhere), proxy scheme, a password without a user. Usage errors.
// Thread-safe (pure).
Result<void> check_http_options(const HttpOptions& http);

}  // namespace spate
