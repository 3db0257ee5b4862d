// Pure parsers for HTTP response header values that arrive from untrusted servers: Content-Range,
// Content-Length, Content-Disposition, Retry-After / HTTP-date, ETag strength and raw header lines.
// Every function is a pure function of its arguments: no I/O, no global state, safe to call from
// any thread. Malformed input never crashes; it yields std::nullopt (or false). Work is linear in
// the input length.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace spate::net {

// Largest byte count or offset any parser here accepts (2^62): leaves headroom so callers can add
// two accepted values without overflowing std::int64_t.
inline constexpr std::int64_t kMaxHeaderNumber = std::int64_t{1} << 62;

// Longest wait parse_retry_after() returns, whatever the server asks for.
inline constexpr std::chrono::seconds kMaxRetryAfter{24 * 60 * 60};

// "bytes first-last/total": `last` is inclusive; `total` is nullopt for "*" (unknown length).
struct ContentRange {
  std::int64_t first = 0;
  std::int64_t last = 0;
  std::optional<std::int64_t> total;
};

// Strict Content-Range parser: unit "bytes" (case-insensitive), digits only, first <= last,
// last < total when the total is known, every number <= kMaxHeaderNumber. Surrounding whitespace
// is allowed. The unsatisfied form "bytes */TOTAL" yields nullopt here (see below).
std::optional<ContentRange> parse_content_range(std::string_view value);

// The total of the unsatisfied-range form "bytes */1234" sent with a 416; nullopt otherwise.
std::optional<std::int64_t> parse_unsatisfied_range_total(std::string_view value);

// Content-Length: digits only (surrounding whitespace allowed), <= kMaxHeaderNumber.
std::optional<std::int64_t> parse_content_length(std::string_view value);

// The file name in a Content-Disposition value (RFC 6266). `filename*` (RFC 8187, charset UTF-8
// or ISO-8859-1, percent-encoded) wins over `filename`; a `filename*` with an unknown charset, bad
// percent escapes or invalid UTF-8 is ignored. `filename` may be a token or a quoted-string with
// backslash escapes. Parameter names are case-insensitive; the first occurrence of each counts.
// Returns the RAW name (still to be passed through util::sanitize_file_name), nullopt when there
// is no usable, non-empty name.
std::optional<std::string> parse_content_disposition_filename(std::string_view value);

// An HTTP-date in any of the three forms recipients must accept: IMF-fixdate
// ("Sun, 06 Nov 1994 08:49:37 GMT"), obsolete RFC 850 ("Sunday, 06-Nov-94 08:49:37 GMT") and
// asctime ("Sun Nov  6 08:49:37 1994"). Impossible dates (Feb 30) and dates that system_clock
// cannot represent yield nullopt. Independent of the process locale.
std::optional<std::chrono::system_clock::time_point> parse_http_date(std::string_view value);

// Retry-After: delta-seconds or an HTTP-date, as a wait relative to `now`, rounded up to whole
// seconds, clamped to [0, kMaxRetryAfter]. nullopt for anything else.
std::optional<std::chrono::seconds> parse_retry_after(std::string_view value,
                                                      std::chrono::system_clock::time_point now);

// True for a syntactically valid strong entity tag: "\"xyz\"" (no W/ prefix, no inner quote).
bool is_strong_etag(std::string_view etag);

// One header line split in place: views into the line given to split_header_line.
struct HeaderLine {
  std::string_view name;   // as sent; compare with header_name_is
  std::string_view value;  // without surrounding whitespace
};

// Splits one raw header line "Name: value\r\n". nullopt for the status line, the empty
// end-of-headers line, obsolete folded continuation lines, names that are not RFC 9110 tokens, and
// values containing NUL/CR/LF. Allocates nothing: it runs for every header of every response.
std::optional<HeaderLine> split_header_line(std::string_view line);

// Header names are case-insensitive: true when `name` is `lower_name` in any case.
bool header_name_is(std::string_view name, std::string_view lower_name);

}  // namespace spate::net
