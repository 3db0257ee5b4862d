#include "util/byte_size.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <limits>

namespace spate::util {
namespace {

constexpr std::int64_t kKiB = 1024;
constexpr std::int64_t kMiB = kKiB * 1024;
constexpr std::int64_t kGiB = kMiB * 1024;
constexpr std::int64_t kInt64Max = std::numeric_limits<std::int64_t>::max();

// ---- parse_byte_size ---------------------------------------------------------------------------

TEST(ParseByteSizeTest, PlainNumbers) {
  EXPECT_EQ(parse_byte_size("0"), 0);
  EXPECT_EQ(parse_byte_size("1048576"), 1048576);
  EXPECT_EQ(parse_byte_size("512B"), 512);
  EXPECT_EQ(parse_byte_size("  42 "), 42);
  EXPECT_EQ(parse_byte_size("9223372036854775807"), kInt64Max);
}

TEST(ParseByteSizeTest, BinaryUnitsAnyCase) {
  EXPECT_EQ(parse_byte_size("512K"), 512 * kKiB);
  EXPECT_EQ(parse_byte_size("512k"), 512 * kKiB);
  EXPECT_EQ(parse_byte_size("2KB"), 2 * kKiB);
  EXPECT_EQ(parse_byte_size("2kib"), 2 * kKiB);
  EXPECT_EQ(parse_byte_size("1M"), kMiB);
  EXPECT_EQ(parse_byte_size("4M"), 4 * kMiB);
  EXPECT_EQ(parse_byte_size("1MiB"), kMiB);
  EXPECT_EQ(parse_byte_size("1mb"), kMiB);
  EXPECT_EQ(parse_byte_size("1G"), kGiB);
  EXPECT_EQ(parse_byte_size("1GiB"), kGiB);
  EXPECT_EQ(parse_byte_size("3T"), 3 * kGiB * 1024);
  EXPECT_EQ(parse_byte_size("10 MiB"), 10 * kMiB);
}

TEST(ParseByteSizeTest, Decimals) {
  EXPECT_EQ(parse_byte_size("1.5MiB"), kMiB + kMiB / 2);
  EXPECT_EQ(parse_byte_size("0.5K"), 512);
  EXPECT_EQ(parse_byte_size("1.25G"), kGiB + kGiB / 4);
  EXPECT_EQ(parse_byte_size("0.1K"), 102);  // 102.4 rounds down
  EXPECT_EQ(parse_byte_size("2.000000000000000000000001K"), 2048);
}

TEST(ParseByteSizeTest, RejectsJunk) {
  for (const char* bad :
       {"",     " ",     "K",     "-1",      "-1M", "+1",    "1.5",   "1.",  "1.K",
        ".5M",  "1..5M", "1.5.M", "1X",      "1KK", "1KiBB", "1 K B", "1Ki", "1iB",
        "0x10", "1e6",   "1,5M",  "1M junk", "M1",  "1 2",   "nan",   "inf"}) {
    EXPECT_FALSE(parse_byte_size(bad).has_value()) << "input: '" << bad << "'";
  }
}

TEST(ParseByteSizeTest, RejectsOverflow) {
  EXPECT_FALSE(parse_byte_size("9223372036854775808").has_value());
  EXPECT_FALSE(parse_byte_size("99999999999999999999999999999").has_value());
  EXPECT_FALSE(parse_byte_size("9007199254740992K").has_value());  // 2^53 KiB = 2^63
  EXPECT_FALSE(parse_byte_size("8589934592G").has_value());        // 2^33 GiB = 2^63
  EXPECT_FALSE(parse_byte_size("8388608T").has_value());           // 2^23 TiB = 2^63
  EXPECT_EQ(parse_byte_size("8388607T"), 8388607 * (kGiB * 1024));
  EXPECT_EQ(parse_byte_size("8388607.5T"), 8388607 * (kGiB * 1024) + kGiB * 512);
}

// ---- format_bytes ------------------------------------------------------------------------------

TEST(FormatBytesTest, SmallValuesAreExact) {
  EXPECT_EQ(format_bytes(0), "0 B");
  EXPECT_EQ(format_bytes(1), "1 B");
  EXPECT_EQ(format_bytes(512), "512 B");
  EXPECT_EQ(format_bytes(1023), "1023 B");
}

TEST(FormatBytesTest, ThreeSignificantDigits) {
  EXPECT_EQ(format_bytes(1024), "1.00 KiB");
  EXPECT_EQ(format_bytes(1536), "1.50 KiB");
  EXPECT_EQ(format_bytes(12 * kMiB + 3 * kMiB / 10), "12.3 MiB");
  EXPECT_EQ(format_bytes(512 * kMiB), "512 MiB");
  EXPECT_EQ(format_bytes(kGiB), "1.00 GiB");
  EXPECT_EQ(format_bytes(10 * kKiB - 1), "10.0 KiB");  // 9.999 rounds up to three digits
}

TEST(FormatBytesTest, RoundingNeverShows1024) {
  EXPECT_EQ(format_bytes(kMiB - 1), "1.00 MiB");
  EXPECT_EQ(format_bytes(kGiB - 1), "1.00 GiB");
  EXPECT_EQ(format_bytes(1023 * kKiB), "1023 KiB");
}

TEST(FormatBytesTest, Extremes) {
  EXPECT_EQ(format_bytes(kInt64Max), "8.00 EiB");
  EXPECT_EQ(format_bytes(-1536), "-1.50 KiB");
  EXPECT_EQ(format_bytes(std::numeric_limits<std::int64_t>::min()), "-8.00 EiB");
}

// ---- format_rate -------------------------------------------------------------------------------

TEST(FormatRateTest, AppendsPerSecond) {
  EXPECT_EQ(format_rate(0.0), "0 B/s");
  EXPECT_EQ(format_rate(100.4), "100 B/s");
  EXPECT_EQ(format_rate(1.5 * 1024 * 1024), "1.50 MiB/s");
}

TEST(FormatRateTest, NonFiniteAndNegative) {
  EXPECT_EQ(format_rate(-5.0), "0 B/s");
  EXPECT_EQ(format_rate(std::nan("")), "0 B/s");
  EXPECT_EQ(format_rate(std::numeric_limits<double>::infinity()), "8.00 EiB/s");
  EXPECT_EQ(format_rate(1e300), "8.00 EiB/s");
}

// ---- format_duration ---------------------------------------------------------------------------

TEST(FormatDurationTest, Units) {
  using std::chrono::seconds;
  EXPECT_EQ(format_duration(seconds(0)), "0s");
  EXPECT_EQ(format_duration(seconds(42)), "42s");
  EXPECT_EQ(format_duration(seconds(59)), "59s");
  EXPECT_EQ(format_duration(seconds(60)), "1m00s");
  EXPECT_EQ(format_duration(seconds(185)), "3m05s");
  EXPECT_EQ(format_duration(seconds(3599)), "59m59s");
  EXPECT_EQ(format_duration(seconds(3600)), "1h00m");
  EXPECT_EQ(format_duration(seconds(2 * 3600 + 60 + 59)), "2h01m");
  EXPECT_EQ(format_duration(seconds(86400 * 3 + 4 * 3600 + 59)), "3d04h");
  EXPECT_EQ(format_duration(seconds(-7)), "0s");
  EXPECT_FALSE(format_duration(seconds::max()).empty());
}

}  // namespace
}  // namespace spate::util
