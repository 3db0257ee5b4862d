// The public face of util/byte_size.h (spate/units.h), so the CLI needs no private header.
#include "spate/units.h"

#include "util/byte_size.h"

namespace spate {

std::optional<std::int64_t> parse_byte_size(std::string_view text) {
  return util::parse_byte_size(text);
}
std::string format_bytes(std::int64_t bytes) { return util::format_bytes(bytes); }
std::string format_rate(double bytes_per_second) { return util::format_rate(bytes_per_second); }
std::string format_duration(std::chrono::seconds duration) {
  return util::format_duration(duration);
}

}  // namespace spate
