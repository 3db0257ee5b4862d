// Library version, as built. Thread-safe (constant data).
#pragma once

namespace spate {

// "MAJOR.MINOR.PATCH" of libspate.
const char* version() noexcept;
// The libcurl version libspate runs on, e.g. "libcurl/7.88.1 OpenSSL/3.0.x ...".
const char* transport_version() noexcept;

}  // namespace spate
