#include "net/http_headers.h"

#include <gtest/gtest.h>

#include <chrono>
#include <string>

namespace spate::net {
namespace {

using std::chrono::seconds;
using std::chrono::system_clock;

// 1994-11-06 08:49:37 UTC, the RFC's example date.
constexpr std::int64_t kExampleEpoch = 784111777;

system_clock::time_point at(std::int64_t epoch_seconds) {
  return system_clock::time_point(seconds(epoch_seconds));
}

// ---- Content-Range -----------------------------------------------------------------------------

TEST(ContentRangeTest, ParsesFullForm) {
  const auto range = parse_content_range("bytes 0-499/1234");
  ASSERT_TRUE(range.has_value());
  EXPECT_EQ(range->first, 0);
  EXPECT_EQ(range->last, 499);
  EXPECT_EQ(range->total, 1234);
}

TEST(ContentRangeTest, UnknownTotalIsNullopt) {
  const auto range = parse_content_range("bytes 500-999/*");
  ASSERT_TRUE(range.has_value());
  EXPECT_EQ(range->first, 500);
  EXPECT_EQ(range->last, 999);
  EXPECT_FALSE(range->total.has_value());
}

TEST(ContentRangeTest, AcceptsSurroundingWhitespaceAndUnitCase) {
  const auto range = parse_content_range(" \tBYTES  7-7/8 \t");
  ASSERT_TRUE(range.has_value());
  EXPECT_EQ(range->first, 7);
  EXPECT_EQ(range->last, 7);
  EXPECT_EQ(range->total, 8);
}

TEST(ContentRangeTest, AcceptsValuesUpToTwoToThe62) {
  const auto range = parse_content_range("bytes 0-4611686018427387903/4611686018427387904");
  ASSERT_TRUE(range.has_value());
  EXPECT_EQ(range->last, kMaxHeaderNumber - 1);
  EXPECT_EQ(range->total, kMaxHeaderNumber);
}

TEST(ContentRangeTest, RejectsMalformed) {
  for (const char* bad : {
           "",
           "   ",
           "bytes",
           "bytes ",
           "bytes0-1/2",                      // no space after the unit
           "items 0-1/2",                     // wrong unit
           "bytes 0-1",                       // no total
           "bytes 0-/2",                      // missing last
           "bytes -1/2",                      // missing first (suffix form is request-only)
           "bytes 5-4/10",                    // first > last
           "bytes 0-10/10",                   // last == total
           "bytes 0-11/10",                   // last > total
           "bytes 0-0/0",                     // empty resource cannot have a range
           "bytes -5-10/20",                  // negative
           "bytes 0--1/20",                   // negative last
           "bytes +0-1/2",                    // sign
           "bytes 0-1/2 junk",                // trailing junk
           "bytes 0-1/2;",                    // trailing junk
           "bytes 0 - 1/2",                   // inner whitespace
           "bytes 0-1/ 2",                    // inner whitespace
           "bytes 0x0-0x1/2",                 // hex
           "bytes 1.5-2/3",                   // decimal
           "bytes 0-1/2/3",                   // extra part
           "bytes */1234",                    // unsatisfied form: see parse_unsatisfied_range_total
           "bytes 0-1/-2",                    // negative total
           "bytes 0-1/*/",                    // junk after *
           "bytes 0-99999999999999999999/*",  // overflows int64
           "bytes 0-4611686018427387905/*",   // > 2^62
           "bytes 0-1/4611686018427387905",   // total > 2^62
           "bytes 0-1/184467440737095516160000000000000000"  // far beyond
       }) {
    EXPECT_FALSE(parse_content_range(bad).has_value()) << "input: '" << bad << "'";
  }
}

TEST(ContentRangeTest, RejectsEmbeddedNul) {
  const std::string with_nul("bytes 0-1\0/2", 12);
  EXPECT_FALSE(parse_content_range(with_nul).has_value());
}

TEST(UnsatisfiedRangeTest, ParsesTotal) {
  EXPECT_EQ(parse_unsatisfied_range_total("bytes */1234"), 1234);
  EXPECT_EQ(parse_unsatisfied_range_total("  bytes */0 "), 0);
}

TEST(UnsatisfiedRangeTest, RejectsOtherForms) {
  for (const char* bad : {"", "bytes */", "bytes */*", "bytes 0-1/2", "bytes * /5", "bytes */-5",
                          "bytes */5x", "*/5", "bytes */99999999999999999999"}) {
    EXPECT_FALSE(parse_unsatisfied_range_total(bad).has_value()) << "input: '" << bad << "'";
  }
}

// ---- Content-Length ----------------------------------------------------------------------------

TEST(ContentLengthTest, ParsesDigits) {
  EXPECT_EQ(parse_content_length("0"), 0);
  EXPECT_EQ(parse_content_length(" 1048576\t"), 1048576);
  EXPECT_EQ(parse_content_length("4611686018427387904"), kMaxHeaderNumber);
}

TEST(ContentLengthTest, RejectsJunk) {
  for (const char* bad :
       {"", " ", "-1", "+1", "1.0", "1e6", "12 34", "12abc", "0x10", "5, 5", "9223372036854775807",
        "9223372036854775808", "99999999999999999999999999999999999999"}) {
    EXPECT_FALSE(parse_content_length(bad).has_value()) << "input: '" << bad << "'";
  }
}

// ---- Content-Disposition -----------------------------------------------------------------------

TEST(ContentDispositionTest, TokenAndQuotedValues) {
  EXPECT_EQ(parse_content_disposition_filename("attachment; filename=report.pdf"), "report.pdf");
  EXPECT_EQ(parse_content_disposition_filename("attachment; filename=\"my report.pdf\""),
            "my report.pdf");
  EXPECT_EQ(parse_content_disposition_filename("inline;filename=\"x.txt\""), "x.txt");
}

TEST(ContentDispositionTest, BackslashEscapesInQuotedString) {
  EXPECT_EQ(parse_content_disposition_filename(R"(attachment; filename="a\"b")"), "a\"b");
  EXPECT_EQ(parse_content_disposition_filename(R"(attachment; filename="a\\b\c")"), "a\\bc");
}

TEST(ContentDispositionTest, SemicolonInsideQuotes) {
  EXPECT_EQ(parse_content_disposition_filename(R"(attachment; filename="a;b.txt"; size=3)"),
            "a;b.txt");
  // A quoted unrelated parameter containing "filename=" must not be mistaken for the real one.
  EXPECT_EQ(parse_content_disposition_filename(
                R"(attachment; title="; filename=evil.sh"; filename=good.txt)"),
            "good.txt");
}

TEST(ContentDispositionTest, CaseInsensitiveNames) {
  EXPECT_EQ(parse_content_disposition_filename("ATTACHMENT; FileName=\"X.bin\""), "X.bin");
  EXPECT_EQ(parse_content_disposition_filename("attachment; FILENAME*=utf-8''a%20b"), "a b");
}

TEST(ContentDispositionTest, ExtendedUtf8) {
  EXPECT_EQ(
      parse_content_disposition_filename("attachment; filename*=UTF-8''%e2%82%ac%20rates.txt"),
      "\xE2\x82\xAC rates.txt");
  // With a language tag.
  EXPECT_EQ(parse_content_disposition_filename("attachment; filename*=UTF-8'en'%C3%A9t%C3%A9.txt"),
            "\xC3\xA9t\xC3\xA9.txt");
}

TEST(ContentDispositionTest, ExtendedWinsOverPlainInEitherOrder) {
  EXPECT_EQ(parse_content_disposition_filename(
                "attachment; filename=\"EURO rates.txt\"; filename*=utf-8''%e2%82%ac%20rates.txt"),
            "\xE2\x82\xAC rates.txt");
  EXPECT_EQ(parse_content_disposition_filename(
                "attachment; filename*=utf-8''%e2%82%ac%20rates.txt; filename=\"EURO rates.txt\""),
            "\xE2\x82\xAC rates.txt");
}

TEST(ContentDispositionTest, Iso88591ConvertedToUtf8) {
  EXPECT_EQ(parse_content_disposition_filename("attachment; filename*=iso-8859-1'en'%A3%20rates"),
            "\xC2\xA3 rates");
  EXPECT_EQ(parse_content_disposition_filename("attachment; filename*=ISO-8859-1''caf%E9.txt"),
            "caf\xC3\xA9.txt");
}

TEST(ContentDispositionTest, BadExtendedValueFallsBackToPlain) {
  // Bad percent escapes.
  EXPECT_EQ(parse_content_disposition_filename(
                "attachment; filename*=UTF-8''bad%zz.txt; filename=plain.txt"),
            "plain.txt");
  EXPECT_EQ(parse_content_disposition_filename("attachment; filename*=UTF-8''trunc%e; filename=p"),
            "p");
  EXPECT_EQ(parse_content_disposition_filename("attachment; filename*=UTF-8''trunc%; filename=p"),
            "p");
  // Unknown charset.
  EXPECT_EQ(parse_content_disposition_filename(
                "attachment; filename*=KOI8-R''%F0%D2%C9.txt; filename=plain.txt"),
            "plain.txt");
  // Decodes to invalid UTF-8.
  EXPECT_EQ(parse_content_disposition_filename(
                "attachment; filename*=UTF-8''%ff%fe.txt; filename=plain.txt"),
            "plain.txt");
  // Missing quotes around the (absent) charset/language.
  EXPECT_EQ(parse_content_disposition_filename("attachment; filename*=x.txt; filename=plain.txt"),
            "plain.txt");
}

TEST(ContentDispositionTest, BadExtendedValueAloneIsNullopt) {
  EXPECT_FALSE(parse_content_disposition_filename("attachment; filename*=UTF-8''%zz").has_value());
  EXPECT_FALSE(parse_content_disposition_filename("attachment; filename*=BIG5''abc").has_value());
  EXPECT_FALSE(parse_content_disposition_filename("attachment; filename*=UTF-8''").has_value());
}

TEST(ContentDispositionTest, NoFileName) {
  for (const char* value :
       {"", "attachment", "inline", "attachment;", "attachment; name=\"field\"",
        "attachment; filename=", "attachment; filename=\"\"", "attachment; filename",
        "attachment; filename=\"unterminated", "attachment; filename=\"ends with backslash\\",
        ";;;;", "=====", "\"\"\"", "attachment; filename*0=\"part\""}) {
    EXPECT_FALSE(parse_content_disposition_filename(value).has_value()) << "value: " << value;
  }
}

TEST(ContentDispositionTest, LenientForCommonServerMistakes) {
  // No disposition type; unquoted name with a space; junk after the quoted value.
  EXPECT_EQ(parse_content_disposition_filename("filename=a.txt"), "a.txt");
  EXPECT_EQ(parse_content_disposition_filename("attachment; filename=my file.txt ; x=1"),
            "my file.txt");
  EXPECT_EQ(parse_content_disposition_filename("attachment; filename=\"a.txt\"junk; x=1"), "a.txt");
  EXPECT_EQ(parse_content_disposition_filename("attachment ; filename = \"a.txt\" "), "a.txt");
}

TEST(ContentDispositionTest, FirstOccurrenceWins) {
  EXPECT_EQ(parse_content_disposition_filename("attachment; filename=a.txt; filename=b.txt"),
            "a.txt");
}

TEST(ContentDispositionTest, ReturnsRawUnsanitisedName) {
  EXPECT_EQ(parse_content_disposition_filename("attachment; filename=\"../../etc/passwd\""),
            "../../etc/passwd");
  const auto with_nul = parse_content_disposition_filename("attachment; filename*=UTF-8''a%00b");
  ASSERT_TRUE(with_nul.has_value());
  EXPECT_EQ(*with_nul, std::string("a\0b", 3));
}

TEST(ContentDispositionTest, HostileInputTerminates) {
  // Long runs of separators, quotes and backslashes: must finish quickly and not crash.
  const std::string quotes(100000, '"');
  const std::string semis(100000, ';');
  const std::string backslashes = "attachment; filename=\"" + std::string(100001, '\\');
  const std::string equals = "a" + std::string(100000, '=');
  EXPECT_FALSE(parse_content_disposition_filename(quotes).has_value());
  EXPECT_FALSE(parse_content_disposition_filename(semis).has_value());
  EXPECT_FALSE(parse_content_disposition_filename(backslashes).has_value());
  EXPECT_FALSE(parse_content_disposition_filename(equals).has_value());
}

// ---- HTTP-date and Retry-After -----------------------------------------------------------------

TEST(HttpDateTest, AllThreeForms) {
  EXPECT_EQ(parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT"), at(kExampleEpoch));
  EXPECT_EQ(parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT"), at(kExampleEpoch));
  EXPECT_EQ(parse_http_date("Sun Nov  6 08:49:37 1994"), at(kExampleEpoch));
  EXPECT_EQ(parse_http_date("  Sun, 06 Nov 1994 08:49:37 GMT\t"), at(kExampleEpoch));
}

TEST(HttpDateTest, EpochAndLeapDay) {
  EXPECT_EQ(parse_http_date("Thu, 01 Jan 1970 00:00:00 GMT"), at(0));
  EXPECT_EQ(parse_http_date("Thu, 29 Feb 2024 12:00:00 GMT"), at(1709208000));
}

TEST(HttpDateTest, RejectsJunkAndImpossibleDates) {
  for (const char* bad : {
           "",
           "yesterday",
           "Sun, 06 Nov 1994 08:49:37",           // no zone
           "Sun, 06 Nov 1994 08:49:37 PST",       // not GMT
           "Sun, 06 Nov 1994 08:49:37 GMT junk",  // trailing junk
           "Sun, 32 Nov 1994 08:49:37 GMT",       // day 32
           "Sun, 31 Nov 1994 08:49:37 GMT",       // Nov 31 (timegm would roll it over)
           "Thu, 29 Feb 2023 12:00:00 GMT",       // not a leap year
           "Sun, 06 Foo 1994 08:49:37 GMT",       // bad month
           "Sun, 06 Nov 1994 24:00:00 GMT",       // hour 24
           "Sun, 06 Nov 1994 08:60:00 GMT",       // minute 60
           "Sun, 06 Nov 9999 08:49:37 GMT",       // beyond what system_clock can hold
           "Sun, 06 Nov 1994 08:49:37 GMT Sun, 06 Nov 1994 08:49:37 GMT Sun, 06 Nov 1994",
       }) {
    EXPECT_FALSE(parse_http_date(bad).has_value()) << "input: '" << bad << "'";
  }
}

TEST(RetryAfterTest, DeltaSeconds) {
  const auto now = at(kExampleEpoch);
  EXPECT_EQ(parse_retry_after("120", now), seconds(120));
  EXPECT_EQ(parse_retry_after(" 0 ", now), seconds(0));
}

TEST(RetryAfterTest, DeltaSecondsCappedAndOverflowSafe) {
  const auto now = at(kExampleEpoch);
  EXPECT_EQ(parse_retry_after("86401", now), kMaxRetryAfter);
  EXPECT_EQ(parse_retry_after("99999999999999999999999999999999", now), kMaxRetryAfter);
}

TEST(RetryAfterTest, DateInTheFuture) {
  const auto now = at(kExampleEpoch - 90);
  EXPECT_EQ(parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", now), seconds(90));
  // A sub-second "now" rounds the wait up, never down.
  EXPECT_EQ(parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", now + std::chrono::milliseconds(1)),
            seconds(90));
}

TEST(RetryAfterTest, DateInThePastIsZero) {
  const auto now = at(kExampleEpoch + 3600);
  EXPECT_EQ(parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", now), seconds(0));
}

TEST(RetryAfterTest, FarFutureDateIsCapped) {
  EXPECT_EQ(parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", at(0)), kMaxRetryAfter);
}

TEST(RetryAfterTest, RejectsJunk) {
  const auto now = at(kExampleEpoch);
  for (const char* bad : {"", "  ", "-1", "+5", "1.5", "10s", "soon", "12 34", "0x10"}) {
    EXPECT_FALSE(parse_retry_after(bad, now).has_value()) << "input: '" << bad << "'";
  }
}

// ---- ETag --------------------------------------------------------------------------------------

TEST(EtagTest, Strength) {
  EXPECT_TRUE(is_strong_etag("\"abc123\""));
  EXPECT_TRUE(is_strong_etag("\"\""));
  EXPECT_TRUE(is_strong_etag("\"5f3-59ab\xC3\xA9\""));  // obs-text is allowed
  EXPECT_FALSE(is_strong_etag("W/\"abc\""));
  EXPECT_FALSE(is_strong_etag("abc"));
  EXPECT_FALSE(is_strong_etag("\""));
  EXPECT_FALSE(is_strong_etag(""));
  EXPECT_FALSE(is_strong_etag("\"a\"b\""));
  EXPECT_FALSE(is_strong_etag("\"a b\""));
  EXPECT_FALSE(is_strong_etag("\"abc"));
}

// ---- Header lines ------------------------------------------------------------------------------

TEST(SplitHeaderLineTest, SplitsAndTrimsTheValue) {
  const auto header = split_header_line("Content-Length:  1234 \r\n");
  ASSERT_TRUE(header.has_value());
  EXPECT_EQ(header->name, "Content-Length");
  EXPECT_EQ(header->value, "1234");
}

TEST(SplitHeaderLineTest, NamesCompareInAnyCase) {
  EXPECT_TRUE(header_name_is("Content-Length", "content-length"));
  EXPECT_TRUE(header_name_is("CONTENT-LENGTH", "content-length"));
  EXPECT_TRUE(header_name_is("etag", "etag"));
  EXPECT_FALSE(header_name_is("Content-Lengths", "content-length"));
  EXPECT_FALSE(header_name_is("Content-Lengt", "content-length"));
  EXPECT_FALSE(header_name_is("Content_Length", "content-length"));
  EXPECT_FALSE(header_name_is("", "etag"));
}

TEST(SplitHeaderLineTest, KeepsColonsInValueAndAllowsEmptyValue) {
  const auto location = split_header_line("Location: http://example.com:8080/a\n");
  ASSERT_TRUE(location.has_value());
  EXPECT_EQ(location->name, "Location");
  EXPECT_EQ(location->value, "http://example.com:8080/a");
  const auto empty = split_header_line("X-Empty:\r\n");
  ASSERT_TRUE(empty.has_value());
  EXPECT_EQ(empty->name, "X-Empty");
  EXPECT_EQ(empty->value, "");
}

TEST(SplitHeaderLineTest, RejectsNonHeaders) {
  for (const char* bad : {"HTTP/1.1 200 OK\r\n", "\r\n", "", ": value\r\n", "Name : value\r\n",
                          " folded: continuation\r\n", "\tfolded\r\n", "no colon here\r\n",
                          "Bad Name: v\r\n", "Na\"me: v\r\n", "A: b\r\nInjected: c\r\n"}) {
    EXPECT_FALSE(split_header_line(bad).has_value()) << "input: '" << bad << "'";
  }
  EXPECT_FALSE(split_header_line(std::string("X: a\0b\r\n", 8)).has_value());
}

}  // namespace
}  // namespace spate::net
