// libFuzzer target: Retry-After and HTTP-date parsing on arbitrary bytes, against several
// plausible "now"s. Checks the documented clamp to [0, kMaxRetryAfter] and that a parsed date
// is consistent with the wait computed from it. Built and run by scripts/fuzz.
#include "net/http_headers.h"

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

namespace {

using Clock = std::chrono::system_clock;
using std::chrono::seconds;

void check(bool ok, const char* what) {
  if (ok) return;
  std::fprintf(stderr, "fuzz check failed: %s\n", what);
  std::abort();
}

// 1970, 2023 and 2100: the clocks a real client could have.
constexpr std::array<std::int64_t, 3> kNows = {0, 1'700'000'000, 4'102'444'800};

}  // namespace

// libFuzzer fixes this entry point's name.
// NOLINTNEXTLINE(readability-identifier-naming)
extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view value(reinterpret_cast<const char*>(data), size);

  for (const std::int64_t now_seconds : kNows) {
    const Clock::time_point now{seconds(now_seconds)};
    if (const auto wait = spate::net::parse_retry_after(value, now)) {
      check(*wait >= seconds(0) && *wait <= spate::net::kMaxRetryAfter,
            "0 <= Retry-After wait <= kMaxRetryAfter");
    }
  }

  const auto date = spate::net::parse_http_date(value);
  // A date far from the ends of system_clock's range (year 1677 to 2262 in nanoseconds) can be
  // used as "now" without overflowing the subtraction below.
  const auto margin = std::chrono::duration_cast<Clock::duration>(std::chrono::hours(48));
  if (date && date->time_since_epoch() > Clock::duration::min() + margin &&
      date->time_since_epoch() < Clock::duration::max() - margin) {
    check(spate::net::parse_retry_after(value, *date) == seconds(0), "wait until now is 0");
    check(spate::net::parse_retry_after(value, *date - seconds(90)) == seconds(90),
          "wait until now + 90s is 90s");
    check(spate::net::parse_retry_after(value, *date + seconds(90)) == seconds(0),
          "a date in the past is no wait");
  }
  return 0;
}
