#include "util/byte_size.h"

#include <fmt/format.h>

#include <array>
#include <charconv>
#include <cmath>
#include <cstddef>
#include <limits>
#include <system_error>

namespace spate::util {
namespace {

constexpr std::int64_t kInt64Max = std::numeric_limits<std::int64_t>::max();

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_space(char c) { return c == ' ' || c == '\t'; }

char to_lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

// The multiplier a unit stands for: "" / "b" -> 1, "k", "kb", "kib" -> 1024 and so on up to T.
std::optional<std::int64_t> unit_multiplier(std::string_view unit) {
  if (unit.empty()) return 1;
  std::int64_t multiplier = 0;
  switch (to_lower(unit.front())) {
    case 'b':
      return unit.size() == 1 ? std::optional<std::int64_t>(1) : std::nullopt;
    case 'k':
      multiplier = std::int64_t{1} << 10;
      break;
    case 'm':
      multiplier = std::int64_t{1} << 20;
      break;
    case 'g':
      multiplier = std::int64_t{1} << 30;
      break;
    case 't':
      multiplier = std::int64_t{1} << 40;
      break;
    default:
      return std::nullopt;
  }
  unit.remove_prefix(1);
  if (unit.empty()) return multiplier;
  if (unit.size() == 1 && to_lower(unit[0]) == 'b') return multiplier;
  if (unit.size() == 2 && to_lower(unit[0]) == 'i' && to_lower(unit[1]) == 'b') return multiplier;
  return std::nullopt;
}

std::string format_magnitude(std::uint64_t bytes) {
  if (bytes < 1024) return fmt::format("{} B", bytes);
  constexpr std::array<const char*, 6> kUnits = {"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
  auto value = static_cast<double>(bytes) / 1024.0;
  std::size_t unit = 0;
  while (value >= 1024.0 && unit + 1 < kUnits.size()) {
    value /= 1024.0;
    ++unit;
  }
  // "1024 KiB" after rounding reads better as "1.00 MiB".
  if (value >= 1023.5 && unit + 1 < kUnits.size()) {
    value /= 1024.0;
    ++unit;
  }
  // Three significant digits; the thresholds account for rounding (9.996 prints as "10.0").
  const int decimals = value < 9.995 ? 2 : (value < 99.95 ? 1 : 0);
  return fmt::format("{:.{}f} {}", value, decimals, kUnits[unit]);
}

}  // namespace

std::optional<std::int64_t> parse_byte_size(std::string_view text) {
  const std::string_view v = trim(text);
  std::size_t pos = 0;
  std::int64_t whole = 0;
  while (pos < v.size() && is_digit(v[pos])) {
    const int digit = v[pos] - '0';
    if (whole > (kInt64Max - digit) / 10) return std::nullopt;
    whole = whole * 10 + digit;
    ++pos;
  }
  if (pos == 0) return std::nullopt;  // no digits, or a sign
  double fraction = 0.0;
  bool has_fraction = false;
  if (pos < v.size() && v[pos] == '.') {
    const std::size_t dot = pos++;
    while (pos < v.size() && is_digit(v[pos])) ++pos;
    if (pos == dot + 1) return std::nullopt;  // "1." or "1.K"
    // Parses ".5" etc.; only the fraction goes through double, so the whole part stays exact.
    const auto [end, error] = std::from_chars(v.data() + dot, v.data() + pos, fraction);
    if (error != std::errc() || end != v.data() + pos) return std::nullopt;
    has_fraction = true;
  }
  const std::string_view unit = trim(v.substr(pos));
  const auto multiplier = unit_multiplier(unit);
  if (!multiplier) return std::nullopt;
  if (has_fraction && *multiplier == 1) return std::nullopt;  // fractional bytes mean nothing
  if (whole > kInt64Max / *multiplier) return std::nullopt;
  // fraction < 1 and multiplier <= 2^40: the product is exact when it is a whole number.
  const auto fraction_bytes =
      static_cast<std::int64_t>(fraction * static_cast<double>(*multiplier));
  const std::int64_t scaled = whole * *multiplier;
  if (scaled > kInt64Max - fraction_bytes) return std::nullopt;
  return scaled + fraction_bytes;
}

std::string format_bytes(std::int64_t bytes) {
  if (bytes >= 0) return format_magnitude(static_cast<std::uint64_t>(bytes));
  // Negate in unsigned arithmetic: -INT64_MIN does not fit in std::int64_t.
  return "-" + format_magnitude(0 - static_cast<std::uint64_t>(bytes));
}

std::string format_rate(double bytes_per_second) {
  std::int64_t rate = 0;
  if (bytes_per_second >= 9.2e18) {
    rate = kInt64Max;                 // also +infinity
  } else if (bytes_per_second > 0) {  // false for NaN
    rate = static_cast<std::int64_t>(std::llround(bytes_per_second));
  }
  return format_bytes(rate) + "/s";
}

std::string format_duration(std::chrono::seconds duration) {
  constexpr std::int64_t kMinute = 60;
  constexpr std::int64_t kHour = 60 * kMinute;
  constexpr std::int64_t kDay = 24 * kHour;
  const std::int64_t total = duration.count();
  if (total < kMinute) return fmt::format("{}s", total < 0 ? 0 : total);
  if (total < kHour) return fmt::format("{}m{:02}s", total / kMinute, total % kMinute);
  if (total < kDay) return fmt::format("{}h{:02}m", total / kHour, total % kHour / kMinute);
  return fmt::format("{}d{:02}h", total / kDay, total % kDay / kHour);
}

}  // namespace spate::util
