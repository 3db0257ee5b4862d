// FaultPlan: how the test HttpServer serves one path, and its query-string form for /gen/ URLs
// (used by CLI tests that cannot call C++). Plain value type; functions are pure.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

namespace spate::testing {

// Defaults describe a correct, Range-capable server. Fault fields marked (*) apply only to the
// first `faulty_requests` requests of the path when that is >= 0. The `{}` initializers keep
// g++ 12's -Wmissing-field-initializers quiet when tests use designated initializers.
struct FaultPlan {
  std::int64_t size = 0;  // body length; body byte i = content_byte(seed, i)
  std::uint64_t seed = 1;
  bool ranges = true;                    // false: ignore Range, answer 200 with the full body
  std::int64_t shift_content_range = 0;  // (*) serve bytes and label Content-Range from start+N
  std::int64_t wrong_total = -1;         // (*) put this as /TOTAL in Content-Range
  bool unknown_total = false;            // "/*" as the Content-Range total (size not known)
  int status = 0;                        // (*) non-zero: answer this status with a small body
  std::string retry_after{};             // Retry-After sent with `status` when non-empty
  std::string location{};                // Location sent with `status` when non-empty (3xx)
  std::int64_t close_after_bytes = -1;   // (*) send headers + N body bytes, then close
  std::int64_t reset_after_bytes = -1;   // (*) send N body bytes, then RST (SO_LINGER 0)
  std::int64_t stall_after_bytes = -1;   // (*) send N body bytes, then nothing until client/stop
  int header_delay_ms = 0;               // wait before sending the status line
  std::int64_t throttle_bps = 0;         // cap this response's body rate, bytes/second
  int throttled_requests = -1;           // throttle only the first N requests; -1 = all
  bool no_content_length = false;        // omit Content-Length; body ends by closing
  bool chunked = false;                  // Transfer-Encoding: chunked
  std::string etag = "\"v1\"";           // "" = no ETag header
  std::string last_modified = "Wed, 21 Oct 2015 07:28:00 GMT";  // "" = none
  int etag_changes_after = -1;  // after N requests: ETag "\"v2\"", a later Last-Modified, seed+1
  bool refuse_head = false;     // HEAD answered 405
  std::string content_disposition{};  // sent when non-empty
  int max_connections = 0;            // >0: requests beyond this many concurrent ones get 429
  int faulty_requests = -1;           // (*) faults apply to the first N requests only; -1 = all
  std::map<std::string, std::string> extra_headers{};
};

// The Last-Modified served once `etag_changes_after` has triggered.
inline constexpr std::string_view kChangedLastModified = "Thu, 22 Oct 2015 07:28:00 GMT";

// The plan as it applies to the `request_number`-th request (1-based) of its path: the faults
// marked (*) are dropped past `faulty_requests`, and past `etag_changes_after` the content changes
// (ETag "\"v2\"" unless there is none, Last-Modified kChangedLastModified unless none, seed+1).
FaultPlan plan_for_request(FaultPlan plan, int request_number);

// Parses the query string of a /gen/ URL (without '?') into `plan`, starting from the defaults in
// `plan`. Keys: size seed ranges status retry_after close_after reset_after stall_after throttle
// throttled no_length chunked etag_changes_after faulty refuse_head cd location shift header_delay,
// plus wrong_total max_connections etag last_modified. Text values are URL-decoded. Returns false
// and sets `error` on an unknown key or a malformed number, so a typo in a test fails loudly (400).
bool parse_fault_query(std::string_view query, FaultPlan& plan, std::string& error);

// Percent-decoding ("%2F" -> "/", "+" -> " ").
std::string url_decode(std::string_view text);

}  // namespace spate::testing
