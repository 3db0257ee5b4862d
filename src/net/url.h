// URL checks with libcurl's URL parser. Pure; thread-safe.
#pragma once

#include "spate/error.h"

#include <string>
#include <string_view>

namespace spate::net {

struct UrlParts {
  std::string scheme;  // lower case
  std::string host;    // lower case, without brackets for IPv6
};

// Parses an absolute http or https URL; any other scheme or a malformed URL is InvalidUrl.
Result<UrlParts> parse_url(std::string_view url);

}  // namespace spate::net
