#include "net/url.h"

#include "net/http_setup.h"

#include <curl/curl.h>
#include <fmt/format.h>

#include <algorithm>
#include <memory>

namespace spate::net {
namespace {

struct UrlDeleter {
  void operator()(CURLU* url) const { curl_url_cleanup(url); }
};
struct PartDeleter {
  void operator()(char* part) const { curl_free(part); }
};

std::string get_part(CURLU* url, CURLUPart which) {
  char* raw = nullptr;
  if (curl_url_get(url, which, &raw, 0) != CURLUE_OK || raw == nullptr) return {};
  const std::unique_ptr<char, PartDeleter> part(raw);
  return std::string(part.get());
}

}  // namespace

Result<UrlParts> parse_url(std::string_view url) {
  const std::unique_ptr<CURLU, UrlDeleter> handle(curl_url());
  if (!handle) return make_error(ErrorKind::Internal, "out of memory");
  const std::string text(url);
  if (text.empty() || text.find_first_of(" \t\r\n") != std::string::npos ||
      curl_url_set(handle.get(), CURLUPART_URL, text.c_str(), 0) != CURLUE_OK) {
    return make_error(ErrorKind::InvalidUrl, fmt::format("not a valid URL: '{}'", text));
  }
  UrlParts parts{get_part(handle.get(), CURLUPART_SCHEME), get_part(handle.get(), CURLUPART_HOST)};
  std::transform(parts.scheme.begin(), parts.scheme.end(), parts.scheme.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  std::transform(parts.host.begin(), parts.host.end(), parts.host.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (!scheme_allowed(parts.scheme)) {
    return make_error(
        ErrorKind::InvalidUrl,
        fmt::format("unsupported scheme '{}' (http, https, ftp, ftps, sftp)", parts.scheme));
  }
  if (parts.host.empty()) return make_error(ErrorKind::InvalidUrl, "URL has no host");
  if (parts.host.size() > 2 && parts.host.front() == '[' && parts.host.back() == ']') {
    parts.host = parts.host.substr(1, parts.host.size() - 2);
  }
  return parts;
}

}  // namespace spate::net
