// Maps a libcurl result code to a spate Error. Pure; thread-safe.
#pragma once

#include "spate/error.h"

namespace spate::net {

Error error_from_curl(int curl_code);

}  // namespace spate::net
