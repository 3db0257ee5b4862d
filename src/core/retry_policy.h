// The one table that decides whether a failure is worth another attempt, and how long to wait.
// Pure functions; thread-safe.
#pragma once

#include "spate/error.h"

#include <chrono>
#include <cstdint>
#include <optional>

namespace spate::core {

enum class Disposition {
  Retry,    // transient: try again after a backoff (the bytes already written are kept)
  Restart,  // the remote file changed: start over from byte 0 against the new version
  Fail,     // final: report the error
};

// Transient: connection refused/reset mid-run, timeouts, short bodies, shifted ranges, transport
// errors, and HTTP 408, 429, 500, 502, 503, 504. Final: every other HTTP status (404, 410, 401,
// 403, 416, ...), FTP/SFTP login or access denied and missing files, DNS failures, TLS
// verification, bad URLs, redirect loops, disk and file errors, checksum mismatches, cancellation.
// A changed remote file restarts the download.
Disposition classify(const Error& error);

// Delay before attempt number `failures + 1`: base * 2^(failures-1), capped at `cap`, with up to
// 25 % random jitter drawn from `jitter_seed`; a server's Retry-After wins when present (capped
// at 10 minutes).
std::chrono::milliseconds backoff(int failures, std::chrono::milliseconds base,
                                  std::optional<std::chrono::seconds> retry_after,
                                  std::uint64_t jitter_seed,
                                  std::chrono::milliseconds cap = std::chrono::seconds(60));

}  // namespace spate::core
