// Byte sizes, rates and durations as people write and read them ("1.5MiB", "4M", "3m05s").
// Pure functions; thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace spate {

// "1048576", "512K", "1M", "1MiB", "1.5MiB": K/M/G/T (optionally with "B" or "iB",
// case-insensitive) are powers of 1024, as in aria2 and curl. nullopt for junk or negatives.
std::optional<std::int64_t> parse_byte_size(std::string_view text);
std::string format_bytes(std::int64_t bytes);                // "512 B", "1.50 KiB", "12.3 MiB"
std::string format_rate(double bytes_per_second);            // format_bytes + "/s"
std::string format_duration(std::chrono::seconds duration);  // "42s", "3m05s", "2h01m"

}  // namespace spate
