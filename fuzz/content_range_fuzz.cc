// libFuzzer target: the numeric header parsers (Content-Range, the 416 "bytes */N" form,
// Content-Length) on arbitrary bytes. Checks their documented bounds and that every accepted
// Content-Range reads back the same from its canonical spelling. Built and run by scripts/fuzz.
#include "net/http_headers.h"

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

namespace {

using spate::net::kMaxHeaderNumber;

void check(bool ok, const char* what) {
  if (ok) return;
  std::fprintf(stderr, "fuzz check failed: %s\n", what);
  std::abort();
}

void check_content_range(std::string_view value) {
  const auto range = spate::net::parse_content_range(value);
  if (!range) return;
  check(range->first >= 0 && range->first <= range->last, "0 <= first <= last");
  check(range->last <= kMaxHeaderNumber, "last <= kMaxHeaderNumber");
  std::string canonical =
      "bytes " + std::to_string(range->first) + "-" + std::to_string(range->last) + "/";
  if (range->total) {
    check(range->last < *range->total, "last < total");
    check(*range->total <= kMaxHeaderNumber, "total <= kMaxHeaderNumber");
    canonical += std::to_string(*range->total);
  } else {
    canonical += "*";
  }
  const auto again = spate::net::parse_content_range(canonical);
  check(again && again->first == range->first && again->last == range->last &&
            again->total == range->total,
        "canonical Content-Range parses back the same");
  check(!spate::net::parse_unsatisfied_range_total(value), "satisfied and unsatisfied at once");
}

}  // namespace

// libFuzzer fixes this entry point's name.
// NOLINTNEXTLINE(readability-identifier-naming)
extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view value(reinterpret_cast<const char*>(data), size);
  check_content_range(value);

  if (const auto total = spate::net::parse_unsatisfied_range_total(value)) {
    check(*total >= 0 && *total <= kMaxHeaderNumber, "0 <= unsatisfied total <= kMaxHeaderNumber");
    check(spate::net::parse_unsatisfied_range_total("bytes */" + std::to_string(*total)) == *total,
          "canonical unsatisfied range parses back the same");
  }
  if (const auto length = spate::net::parse_content_length(value)) {
    check(*length >= 0 && *length <= kMaxHeaderNumber, "0 <= Content-Length <= kMaxHeaderNumber");
    check(spate::net::parse_content_length(std::to_string(*length)) == *length,
          "canonical Content-Length parses back the same");
  }
  return 0;
}
