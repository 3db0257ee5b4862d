#include "net/http_setup.h"

#include "net/transfer.h"

#include <curl/curl.h>
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cstdlib>
#include <ctime>
#include <string_view>

namespace spate::net {
namespace {

bool is_token_char(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

Result<void> check_header(std::string_view header) {
  if (header.find_first_of(std::string_view("\r\n\0", 3)) != std::string_view::npos) {
    return make_error(ErrorKind::Usage, "a header must not contain CR, LF or NUL");
  }
  const auto end = header.find_first_of(":;");
  if (end == std::string_view::npos || end == 0) {
    return make_error(
        ErrorKind::Usage,
        fmt::format("header '{}' is not 'Name: value' (or 'Name:', 'Name;')", header));
  }
  for (const char c : header.substr(0, end)) {
    if (!is_token_char(c)) {
      return make_error(ErrorKind::Usage, fmt::format("header name '{}' is not a valid token",
                                                      header.substr(0, end)));
    }
  }
  if (header[end] == ';' && end + 1 != header.size()) {
    return make_error(ErrorKind::Usage,
                      fmt::format("header '{}': 'Name;' (an empty header) takes no value", header));
  }
  return {};
}

Result<void> check_proxy(std::string_view proxy) {
  const auto separator = proxy.find("://");
  if (separator == std::string_view::npos) return {};  // host[:port]: an HTTP proxy
  std::string scheme(proxy.substr(0, separator));
  for (char& c : scheme) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (const std::string_view known : {"http", "https", "socks4", "socks4a", "socks5", "socks5h"}) {
    if (scheme == known) return {};
  }
  return make_error(ErrorKind::Usage,
                    fmt::format("proxy scheme '{}' is not one of http, https, socks4, socks4a, "
                                "socks5, socks5h",
                                scheme));
}

// Collects the first libcurl refusal, so apply_http_options reads as a plain list of settings.
class Options {
 public:
  explicit Options(CURL* easy) : easy_(easy) {}
  template <class T>
  void set(CURLoption option, T value, const char* name) {
    const CURLcode code = curl_easy_setopt(easy_, option, value);
    if (code != CURLE_OK && failure_.empty()) {
      failure_ = fmt::format("libcurl refused {}: {}", name, curl_easy_strerror(code));
    }
  }
  Result<void> result() const {
    if (failure_.empty()) return {};
    return make_error(ErrorKind::Internal, failure_);
  }

 private:
  CURL* easy_;
  std::string failure_;
};

bool libcurl_has_protocol(std::string_view name) {
  const curl_version_info_data* info = curl_version_info(CURLVERSION_NOW);
  if (info == nullptr || info->protocols == nullptr) return false;
  for (const char* const* protocol = info->protocols; *protocol != nullptr; ++protocol) {
    if (name == *protocol) return true;
  }
  return false;
}

bool has_sftp() {
  static const bool available = libcurl_has_protocol("sftp");
  return available;
}

const char* allowed_protocols() {
  return has_sftp() ? "http,https,ftp,ftps,sftp" : "http,https,ftp,ftps";
}

// True when `url`'s authority holds an '@': "scheme://user[:password]@host/". Errs on the side of
// yes (any '@' before the path counts), which only keeps NTLM wanted; a scan of the string rather
// than libcurl's URL parser, which would cost a whole parse per transfer for one bit.
bool url_has_credentials(std::string_view url) {
  const auto separator = url.find("://");
  const std::size_t start = separator == std::string_view::npos ? 0 : separator + 3;
  const std::size_t end = std::min(url.find_first_of("/?#", start), url.size());
  return url.substr(start, end - start).find('@') != std::string_view::npos;
}

// ~/.ssh/known_hosts, as the curl tool uses for SFTP; libcurl itself checks no host key unless
// it is given a file, and then refuses hosts it does not list.
std::string known_hosts_file() {
  const char* home = std::getenv("HOME");  // NOLINT(concurrency-mt-unsafe): nobody sets it
  if (home == nullptr || *home == '\0') return {};
  return fmt::format("{}/.ssh/known_hosts", home);
}

}  // namespace

SharedStateRequest shared_state_request(const HttpOptions& http) {
  SharedStateRequest request;
  request.attach = http.cookies;
  if (http.cookies) {
    request.load_cookies = http.load_cookies;
    request.save_cookies = http.save_cookies;
  }
  return request;
}

Result<void> apply_http_options(CURL* easy, const HttpOptions& http, std::string_view url,
                                curl_slist*& headers) {
  if (auto ok = check_http_options(http); !ok) return ok;
  Options options(easy);

  // Identity and extra headers. libcurl copies every string option.
  if (!http.user_agent.empty()) {
    options.set(CURLOPT_USERAGENT, http.user_agent.c_str(), "the user agent");
  }
  if (!http.referer.empty()) options.set(CURLOPT_REFERER, http.referer.c_str(), "the referer");
  for (const auto& header : http.headers) headers = curl_slist_append(headers, header.c_str());
  // An explicit header rather than CURLOPT_TIMECONDITION: with the latter libcurl itself turns a
  // 200 whose Last-Modified is old into an empty "304" behind the response head the Job saw.
  if (http.if_modified_since) {
    const std::string condition = "If-Modified-Since: " + format_http_date(*http.if_modified_since);
    headers = curl_slist_append(headers, condition.c_str());
  }
  if (http.remote_time) options.set(CURLOPT_FILETIME, 1L, "CURLOPT_FILETIME");

  // Credentials: from the options (they win), the URL, or .netrc. CURLAUTH_ANY waits for the
  // server's 401 and answers the strongest scheme it offers, so a password never travels in
  // Basic form to a server that asked for Digest. NTLM through the winbind helper is left out: it
  // runs an external program. CURLOPT_UNRESTRICTED_AUTH stays off: after a redirect to another
  // host, port or scheme no credentials are sent (nor custom Authorization/Cookie headers).
  if (!http.user.empty()) {
    options.set(CURLOPT_USERNAME, http.user.c_str(), "the user name");
    options.set(CURLOPT_PASSWORD, http.password.c_str(), "the password");
  }
  // NTLM authenticates a connection rather than a request, so while NTLM is wanted libcurl
  // checks every kept-alive connection to the host (a poll() of each idle one) for the best
  // credentials match instead of taking the first idle one. Without credentials NTLM is never
  // answered, so it is left out then: 2,000 small files over 16 connections made 3.6 polls fewer
  // per file. (Credentials that only a redirect's Location brings get the other schemes.)
  unsigned long schemes = CURLAUTH_ANY & ~CURLAUTH_NTLM_WB;
  if (http.user.empty() && !http.netrc && http.netrc_file.empty() && !url_has_credentials(url)) {
    schemes &= ~CURLAUTH_NTLM;
  }
  options.set(CURLOPT_HTTPAUTH, schemes, "CURLOPT_HTTPAUTH");
  if (http.netrc || !http.netrc_file.empty()) {
    options.set(CURLOPT_NETRC, static_cast<long>(CURL_NETRC_OPTIONAL), "CURLOPT_NETRC");
    if (!http.netrc_file.empty()) {
      options.set(CURLOPT_NETRC_FILE, http.netrc_file.c_str(), "the netrc file");
    }
  }

  // Proxy. Unset, libcurl reads http_proxy, HTTPS_PROXY, ALL_PROXY and NO_PROXY itself.
  if (!http.proxy.empty()) options.set(CURLOPT_PROXY, http.proxy.c_str(), "the proxy");
  if (!http.no_proxy.empty()) options.set(CURLOPT_NOPROXY, http.no_proxy.c_str(), "no_proxy");

  // TLS, for the server and for an https proxy. The proxy has its own CA file and switch (curl's
  // --proxy-cacert, --proxy-insecure); without them the server's settings apply to it too.
  if (!http.verify_tls) {
    options.set(CURLOPT_SSL_VERIFYPEER, 0L, "CURLOPT_SSL_VERIFYPEER");
    options.set(CURLOPT_SSL_VERIFYHOST, 0L, "CURLOPT_SSL_VERIFYHOST");
  } else if (!http.ca_certificate.empty()) {
    options.set(CURLOPT_CAINFO, http.ca_certificate.c_str(), "the CA certificate file");
  }
  if (!http.verify_tls || !http.verify_proxy_tls) {
    options.set(CURLOPT_PROXY_SSL_VERIFYPEER, 0L, "CURLOPT_PROXY_SSL_VERIFYPEER");
    options.set(CURLOPT_PROXY_SSL_VERIFYHOST, 0L, "CURLOPT_PROXY_SSL_VERIFYHOST");
  } else {
    const std::string& proxy_ca =
        http.proxy_ca_certificate.empty() ? http.ca_certificate : http.proxy_ca_certificate;
    if (!proxy_ca.empty()) {
      options.set(CURLOPT_PROXY_CAINFO, proxy_ca.c_str(), "the proxy CA certificate file");
    }
  }

  if (http.ftp_require_tls) {
    options.set(CURLOPT_USE_SSL, static_cast<long>(CURLUSESSL_ALL), "CURLOPT_USE_SSL");
  }
  // SFTP: public-key authentication and the host key check (skipped by --insecure, as in curl).
  if (has_sftp()) {
    if (!http.ssh_private_key.empty()) {
      options.set(CURLOPT_SSH_PRIVATE_KEYFILE, http.ssh_private_key.c_str(), "the SSH private key");
    }
    if (!http.ssh_key_passphrase.empty()) {
      options.set(CURLOPT_KEYPASSWD, http.ssh_key_passphrase.c_str(), "the SSH key passphrase");
    }
    if (!http.ssh_public_key.empty()) {
      options.set(CURLOPT_SSH_PUBLIC_KEYFILE, http.ssh_public_key.c_str(), "the SSH public key");
    }
    if (http.verify_tls) {
      const std::string known_hosts =
          http.ssh_known_hosts.empty() ? known_hosts_file() : http.ssh_known_hosts;
      if (!known_hosts.empty()) {
        options.set(CURLOPT_SSH_KNOWNHOSTS, known_hosts.c_str(), "CURLOPT_SSH_KNOWNHOSTS");
      }
    }
  }
  if (http.http_version == HttpVersion::Http11) {
    options.set(CURLOPT_HTTP_VERSION, static_cast<long>(CURL_HTTP_VERSION_1_1),
                "CURLOPT_HTTP_VERSION");
  }

  // FTP, FTPS and SFTP only as the first URL's own scheme; redirects stay on HTTP(S)
  // (CURLOPT_REDIR_PROTOCOLS_STR, set by the transport).
  options.set(CURLOPT_PROTOCOLS_STR, allowed_protocols(), "CURLOPT_PROTOCOLS_STR");
  return options.result();
}

bool describe_non_http_response(CURL* easy, ResponseHead& head) {
  char* scheme = nullptr;
  if (curl_easy_getinfo(easy, CURLINFO_SCHEME, &scheme) != CURLE_OK || scheme == nullptr) {
    return false;
  }
  const std::string_view name(scheme);  // upper case, e.g. "FTP"
  if (name.size() >= 4 && (name.substr(0, 4) == "HTTP" || name.substr(0, 4) == "http")) {
    return false;
  }
  head.status = 200;
  curl_off_t size = -1;
  if (curl_easy_getinfo(easy, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &size) == CURLE_OK && size >= 0) {
    head.content_length = static_cast<std::int64_t>(size);
  }
  curl_off_t file_time = -1;
  if (curl_easy_getinfo(easy, CURLINFO_FILETIME_T, &file_time) == CURLE_OK && file_time >= 0) {
    head.last_modified = format_http_date(
        std::chrono::system_clock::from_time_t(static_cast<std::time_t>(file_time)));
  }
  return true;
}

Result<void> describe_file_response(const FileTransferFacts& facts, ResponseHead& head) {
  head.status = 200;
  head.content_range.clear();
  head.content_length = facts.length;
  const std::int64_t begin = facts.range_begin;
  if (begin < 0) return {};
  if (facts.seekable && facts.total) {
    const std::int64_t total = *facts.total;
    if (begin >= total) {
      if (begin == 0) {
        head.content_length = 0;  // an empty file: nothing to split
        return {};
      }
      return make_error(
          ErrorKind::ContentChanged,
          fmt::format("the remote file has {} bytes, none from byte {} on", total, begin));
    }
    const std::int64_t end = facts.range_end < 0 ? total : std::min(facts.range_end, total);
    head.status = 206;
    head.content_range = fmt::format("bytes {}-{}/{}", begin, end - 1, total);
    head.content_length = end - begin;
    return {};
  }
  if (begin == 0) return {};  // no range support (or no size): one stream from byte 0
  return make_error(ErrorKind::RangeMismatch,
                    fmt::format("the server did not tell the file size, so a transfer from byte "
                                "{} cannot be checked",
                                begin));
}

bool scheme_allowed(std::string_view lower_case_scheme) {
  for (const std::string_view scheme : {"http", "https", "ftp", "ftps"}) {
    if (lower_case_scheme == scheme) return true;
  }
  return lower_case_scheme == "sftp" && has_sftp();
}

std::string format_http_date(std::chrono::system_clock::time_point time) {
  static constexpr std::array<const char*, 7> kDays = {"Sun", "Mon", "Tue", "Wed",
                                                       "Thu", "Fri", "Sat"};
  static constexpr std::array<const char*, 12> kMonths = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                          "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  const std::time_t seconds = std::chrono::system_clock::to_time_t(time);
  std::tm parts{};
  gmtime_r(&seconds, &parts);
  return fmt::format("{}, {:02} {} {:04} {:02}:{:02}:{:02} GMT",
                     kDays.at(static_cast<std::size_t>(parts.tm_wday)), parts.tm_mday,
                     kMonths.at(static_cast<std::size_t>(parts.tm_mon)), parts.tm_year + 1900,
                     parts.tm_hour, parts.tm_min, parts.tm_sec);
}

}  // namespace spate::net

namespace spate {

Result<void> check_http_options(const HttpOptions& http) {
  for (const auto& header : http.headers) {
    if (auto ok = net::check_header(header); !ok) return ok;
  }
  for (const std::string* text :
       {&http.user_agent, &http.referer, &http.user, &http.password, &http.proxy, &http.no_proxy}) {
    if (text->find_first_of(std::string_view("\r\n\0", 3)) != std::string::npos) {
      return make_error(ErrorKind::Usage, "HTTP options must not contain CR, LF or NUL");
    }
  }
  if (http.user.empty() && !http.password.empty()) {
    return make_error(ErrorKind::Usage, "a password was given without a user name");
  }
  if (!http.cookies && (!http.load_cookies.empty() || !http.save_cookies.empty())) {
    return make_error(ErrorKind::Usage, "cookie files were given but cookies are disabled");
  }
  return net::check_proxy(http.proxy);
}

}  // namespace spate
