// Command-line flags for spate::HttpOptions (headers, identity, credentials, cookies, proxies,
// TLS, SFTP keys and known hosts, HTTP version, conditional download), spelled as aria2 and curl
// spell them. Pure apart from reading files' existence in check_http_flags; thread-compatible
// (call from one thread).
#pragma once

#include "spate/error.h"
#include "spate/http_options.h"

#include <CLI/CLI.hpp>

namespace spate::cli {

// Registers the flags on `app`; they write into `http`, which must outlive app.parse().
void add_http_flags(CLI::App& app, HttpOptions& http);

// After app.parse(): checks the values (spate::check_http_options) and that named files exist
// (cookies to load, CA bundles, netrc file, SSH keys and known hosts) or can be created (the
// directory of a cookie jar).
// The error is a Usage error whose message names the flag.
Result<void> check_http_flags(const HttpOptions& http);

}  // namespace spate::cli
