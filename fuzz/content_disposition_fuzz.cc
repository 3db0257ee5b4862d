// libFuzzer target: Content-Disposition file names from hostile servers. The raw name from
// net::parse_content_disposition_filename, and the raw input itself, go through
// util::sanitize_file_name; the result must always be one safe local file name. Also checks
// numbered_name() and file_name_from_url() keep the same promises. Built and run by scripts/fuzz.
#include "net/http_headers.h"
#include "util/file_name.h"

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

namespace {

void check(bool ok, const char* what, std::string_view name) {
  if (ok) return;
  std::fprintf(stderr, "fuzz check failed: %s (name of %zu bytes)\n", what, name.size());
  std::abort();
}

// What sanitize_file_name() promises (util/file_name.h).
void check_safe_name(std::string_view name) {
  check(!name.empty(), "name is not empty", name);
  check(name.size() <= spate::util::kMaxFileNameBytes, "name is at most 255 bytes", name);
  check(name != "." && name != "..", "name is not . or ..", name);
  for (const char c : name) {
    const auto byte = static_cast<unsigned char>(c);
    check(c != '/', "name has no '/'", name);
    check(c != '\\', "name has no '\\\\'", name);
    check(byte != 0, "name has no NUL", name);
    check(byte >= 0x20 && byte != 0x7f, "name has no control bytes", name);
  }
  check(spate::util::is_valid_utf8(name), "name is valid UTF-8", name);
}

}  // namespace

// libFuzzer fixes this entry point's name.
// NOLINTNEXTLINE(readability-identifier-naming)
extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view value(reinterpret_cast<const char*>(data), size);

  if (const auto raw = spate::net::parse_content_disposition_filename(value)) {
    check(!raw->empty(), "a returned raw name is not empty", *raw);
    const std::string name = spate::util::sanitize_file_name(*raw);
    check_safe_name(name);
    check(spate::util::sanitize_file_name(name) == name, "sanitising is idempotent", name);
  }

  // The sanitiser alone, on any bytes, with a usable and an unusable fallback.
  const std::string direct = spate::util::sanitize_file_name(value);
  check_safe_name(direct);
  check_safe_name(spate::util::sanitize_file_name(value, "../"));
  check_safe_name(spate::util::numbered_name(direct, 1 + static_cast<int>(size % 1000)));
  check_safe_name(spate::util::file_name_from_url(value));
  return 0;
}
