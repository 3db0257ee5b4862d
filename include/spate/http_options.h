// HTTP client settings of one download: headers, identity, credentials, cookies, proxies, TLS
// and protocol choices. A plain value (copyable, no thread affinity) carried in TaskOptions and
// applied to each of the download's requests by the transport.
#pragma once

#include <string>
#include <vector>

namespace spate {

struct HttpOptions {
  std::vector<std::string> headers;  // extra request headers, "Name: value"
};

}  // namespace spate
