// Parsing and human-readable formatting of byte counts, rates and durations (command-line options,
// progress display). Pure functions, safe to call from any thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace spate::util {

// "1048576", "512K", "512k", "1M", "1MiB", "1.5MiB", "2KB", "1 G": K, M, G and T (optionally
// followed by "B" or "iB", case-insensitive) are powers of 1024, as in aria2 and curl; a lone "B"
// means bytes. A fraction needs a unit and is rounded down to whole bytes. Surrounding whitespace
// and spaces before the unit are allowed. nullopt for negatives, junk, or values > INT64_MAX.
std::optional<std::int64_t> parse_byte_size(std::string_view text);

// "0 B", "512 B", "1.50 KiB", "12.3 MiB", "1.00 GiB", "512 MiB": whole bytes below 1 KiB, otherwise
// three significant digits in binary units. Negative counts get a leading '-'.
std::string format_bytes(std::int64_t bytes);

// format_bytes() of the rounded rate plus "/s"; negative and NaN rates show as "0 B/s", huge or
// infinite ones are clamped to INT64_MAX bytes.
std::string format_rate(double bytes_per_second);

// "42s", "3m05s", "2h01m", "3d04h" (truncated to the two largest units); negatives show as "0s".
std::string format_duration(std::chrono::seconds duration);

}  // namespace spate::util
