#include "util/file_name.h"

#include <gtest/gtest.h>

#include <string>

namespace spate::util {
namespace {

// ---- percent_decode ----------------------------------------------------------------------------

TEST(PercentDecodeTest, DecodesValidEscapes) {
  EXPECT_EQ(percent_decode("a%20b"), "a b");
  EXPECT_EQ(percent_decode("%e2%82%AC"), "\xE2\x82\xAC");
  EXPECT_EQ(percent_decode("%2F%2e%2E"), "/..");
  EXPECT_EQ(percent_decode("%00"), std::string("\0", 1));
  EXPECT_EQ(percent_decode(""), "");
}

TEST(PercentDecodeTest, KeepsInvalidEscapesLiterally) {
  EXPECT_EQ(percent_decode("100%"), "100%");
  EXPECT_EQ(percent_decode("%4"), "%4");
  EXPECT_EQ(percent_decode("%zz%41"), "%zzA");
  EXPECT_EQ(percent_decode("%%41"), "%A");
  EXPECT_EQ(percent_decode("a+b"), "a+b");  // '+' is not a space in paths
}

// ---- UTF-8 -------------------------------------------------------------------------------------

TEST(Utf8Test, Validity) {
  EXPECT_TRUE(is_valid_utf8(""));
  EXPECT_TRUE(is_valid_utf8("plain ascii"));
  EXPECT_TRUE(is_valid_utf8("\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80"));  // é € 😀
  EXPECT_FALSE(is_valid_utf8("\xC3"));                                 // truncated
  EXPECT_FALSE(is_valid_utf8("\x80"));                                 // stray continuation
  EXPECT_FALSE(is_valid_utf8("\xC0\xAF"));                             // overlong '/'
  EXPECT_FALSE(is_valid_utf8("\xE0\x80\xAF"));                         // overlong '/'
  EXPECT_FALSE(is_valid_utf8("\xED\xA0\x80"));                         // surrogate
  EXPECT_FALSE(is_valid_utf8("\xF4\x90\x80\x80"));                     // > U+10FFFF
  EXPECT_FALSE(is_valid_utf8("\xFF"));
  EXPECT_EQ(utf8_sequence_length("\xF0\x9F\x98\x80", 0), 4u);
  EXPECT_EQ(utf8_sequence_length("a", 1), 0u);  // out of range
}

// ---- sanitize_file_name ------------------------------------------------------------------------

TEST(SanitizeFileNameTest, KeepsOrdinaryNames) {
  EXPECT_EQ(sanitize_file_name("report.pdf"), "report.pdf");
  EXPECT_EQ(sanitize_file_name("my file (1).tar.gz"), "my file (1).tar.gz");
  EXPECT_EQ(sanitize_file_name(".bashrc"), ".bashrc");
  EXPECT_EQ(sanitize_file_name("...x"), "...x");
  EXPECT_EQ(sanitize_file_name("\xE2\x82\xAC rates.txt"), "\xE2\x82\xAC rates.txt");
}

TEST(SanitizeFileNameTest, TakesLastPathComponent) {
  EXPECT_EQ(sanitize_file_name("../../x"), "x");
  EXPECT_EQ(sanitize_file_name("/etc/passwd"), "passwd");
  EXPECT_EQ(sanitize_file_name("a/b"), "b");
  EXPECT_EQ(sanitize_file_name("a\\b"), "b");
  EXPECT_EQ(sanitize_file_name("C:\\Windows\\system32\\evil.dll"), "evil.dll");
  EXPECT_EQ(sanitize_file_name("..\\..\\x"), "x");
}

TEST(SanitizeFileNameTest, RejectsDotNamesAndEmptyResults) {
  EXPECT_EQ(sanitize_file_name(".."), "index.html");
  EXPECT_EQ(sanitize_file_name("."), "index.html");
  EXPECT_EQ(sanitize_file_name(""), "index.html");
  EXPECT_EQ(sanitize_file_name("   "), "index.html");
  EXPECT_EQ(sanitize_file_name("a/"), "index.html");
  EXPECT_EQ(sanitize_file_name("x/.."), "index.html");
  EXPECT_EQ(sanitize_file_name(" .. "), "index.html");
  EXPECT_EQ(sanitize_file_name(std::string(".\0.", 3)), "index.html");  // NUL hides a ".."
  EXPECT_EQ(sanitize_file_name("..", "download.bin"), "download.bin");
}

TEST(SanitizeFileNameTest, UnusableFallbackIsReplacedToo) {
  EXPECT_EQ(sanitize_file_name("..", "../../etc/cron.d/x"), "x");
  EXPECT_EQ(sanitize_file_name("..", ".."), "index.html");
  EXPECT_EQ(sanitize_file_name("", ""), "index.html");
}

TEST(SanitizeFileNameTest, RemovesNulAndControlBytes) {
  EXPECT_EQ(sanitize_file_name(std::string("evil\0.txt", 9)), "evil.txt");
  EXPECT_EQ(sanitize_file_name("a\x01\x1f\x7f\tb\r\n.txt"), "ab.txt");
  EXPECT_EQ(sanitize_file_name("\x1b[31mred"), "[31mred");
  EXPECT_EQ(sanitize_file_name(std::string("\0\0\0", 3)), "index.html");
}

TEST(SanitizeFileNameTest, TrimsSurroundingSpaces) {
  EXPECT_EQ(sanitize_file_name("  a b.txt  "), "a b.txt");
  EXPECT_EQ(sanitize_file_name("\t x \n"), "x");
}

TEST(SanitizeFileNameTest, ReplacesInvalidUtf8Bytes) {
  EXPECT_EQ(sanitize_file_name("caf\xE9.txt"), "caf_.txt");
  EXPECT_EQ(sanitize_file_name("\xC0\xAF.txt"), "__.txt");  // overlong '/' is not a separator
  EXPECT_EQ(sanitize_file_name("a\xE2\x82"), "a__");        // truncated sequence
  EXPECT_EQ(sanitize_file_name("\xFF\xFE"), "__");
}

TEST(SanitizeFileNameTest, LongNameIsCutKeepingExtension) {
  const std::string name = std::string(5000, 'a') + ".iso";
  const std::string result = sanitize_file_name(name);
  EXPECT_EQ(result.size(), kMaxFileNameBytes);
  EXPECT_EQ(result, std::string(kMaxFileNameBytes - 4, 'a') + ".iso");
}

TEST(SanitizeFileNameTest, LongMultibyteNameIsCutOnSequenceBoundary) {
  std::string name;
  for (int i = 0; i < 1700; ++i) name += "\xE2\x82\xAC";  // 5,100 bytes of '€'
  name += ".txt";
  const std::string result = sanitize_file_name(name);
  EXPECT_LE(result.size(), kMaxFileNameBytes);
  EXPECT_TRUE(is_valid_utf8(result));
  ASSERT_GE(result.size(), 4u);
  EXPECT_EQ(result.substr(result.size() - 4), ".txt");
  // kMaxFileNameBytes - 4 bytes for the stem hold this many whole 3-byte characters.
  EXPECT_EQ(result.size(), (kMaxFileNameBytes - 4) / 3 * 3 + 4);
}

TEST(SanitizeFileNameTest, LongNameWithHugeExtensionIsCutAsAWhole) {
  const std::string name = "a." + std::string(5000, 'b');
  const std::string result = sanitize_file_name(name);
  EXPECT_EQ(result, "a." + std::string(kMaxFileNameBytes - 2, 'b'));
}

TEST(SanitizeFileNameTest, LongNameWithFourByteCharsAndInvalidBytes) {
  std::string name;
  for (int i = 0; i < 1000; ++i) name += "\xF0\x9F\x98\x80\xFF";  // 😀 + an invalid byte
  const std::string result = sanitize_file_name(name);
  EXPECT_LE(result.size(), kMaxFileNameBytes);
  EXPECT_TRUE(is_valid_utf8(result));
  EXPECT_EQ(result.substr(0, 5), "\xF0\x9F\x98\x80_");
}

TEST(SanitizeFileNameTest, CutDoesNotLeaveTrailingSpaces) {
  const std::string name = "x" + std::string(300, ' ') + "y";
  EXPECT_EQ(sanitize_file_name(name), "x");
}

// ---- file_name_from_url ------------------------------------------------------------------------

TEST(FileNameFromUrlTest, LastSegmentWithoutQueryOrFragment) {
  EXPECT_EQ(file_name_from_url("https://example.com/dir/file.iso"), "file.iso");
  EXPECT_EQ(file_name_from_url("https://example.com/dir/file.iso?x=1&y=/a/b#frag"), "file.iso");
  EXPECT_EQ(file_name_from_url("https://example.com/file.iso#x/y"), "file.iso");
  EXPECT_EQ(file_name_from_url("http://user@host:8080/a/b.tar.gz"), "b.tar.gz");
}

TEST(FileNameFromUrlTest, PercentDecoded) {
  EXPECT_EQ(file_name_from_url("https://example.com/my%20file%E2%82%AC.txt"),
            "my file\xE2\x82\xAC.txt");
}

TEST(FileNameFromUrlTest, EmptyPathGivesIndexHtml) {
  EXPECT_EQ(file_name_from_url("https://example.com"), "index.html");
  EXPECT_EQ(file_name_from_url("https://example.com/"), "index.html");
  EXPECT_EQ(file_name_from_url("https://example.com/dir/"), "index.html");
  EXPECT_EQ(file_name_from_url("https://example.com?q=/etc/passwd"), "index.html");
  EXPECT_EQ(file_name_from_url(""), "index.html");
}

TEST(FileNameFromUrlTest, EncodedTraversalIsNeutralised) {
  EXPECT_EQ(file_name_from_url("https://example.com/a/..%2F..%2Fetc%2Fpasswd"), "passwd");
  EXPECT_EQ(file_name_from_url("https://example.com/a/%2e%2e"), "index.html");
  EXPECT_EQ(file_name_from_url("https://example.com/a/..%5C..%5Cboot.ini"), "boot.ini");
  EXPECT_EQ(file_name_from_url("https://example.com/evil%00.txt"), "evil.txt");
  EXPECT_EQ(file_name_from_url("https://example.com/.."), "index.html");
}

TEST(FileNameFromUrlTest, WithoutScheme) {
  EXPECT_EQ(file_name_from_url("//cdn.example.com/x/y.js"), "y.js");
  EXPECT_EQ(file_name_from_url("relative/path/z.bin"), "z.bin");
}

// ---- numbered_name -----------------------------------------------------------------------------

TEST(NumberedNameTest, InsertsBeforeLastExtension) {
  EXPECT_EQ(numbered_name("file.bin", 1), "file.1.bin");
  EXPECT_EQ(numbered_name("archive.tar.gz", 2), "archive.tar.2.gz");
  EXPECT_EQ(numbered_name("noext", 1), "noext.1");
  EXPECT_EQ(numbered_name(".hidden", 1), ".hidden.1");
  EXPECT_EQ(numbered_name(".hidden.conf", 3), ".hidden.3.conf");
  EXPECT_EQ(numbered_name("file.bin", 12345), "file.12345.bin");
}

TEST(NumberedNameTest, NonPositiveReturnsName) {
  EXPECT_EQ(numbered_name("file.bin", 0), "file.bin");
  EXPECT_EQ(numbered_name("file.bin", -4), "file.bin");
}

TEST(NumberedNameTest, StaysWithinNameLimit) {
  const std::string longest = std::string(kMaxFileNameBytes - 4, 'a') + ".bin";
  const std::string result = numbered_name(longest, 1);
  EXPECT_EQ(result, std::string(kMaxFileNameBytes - 6, 'a') + ".1.bin");

  std::string euros;
  for (int i = 0; i < 84; ++i) euros += "\xE2\x82\xAC";  // 252 bytes
  const std::string numbered = numbered_name(euros + ".x", 7);
  EXPECT_LE(numbered.size(), kMaxFileNameBytes);
  EXPECT_TRUE(is_valid_utf8(numbered));
  EXPECT_EQ(numbered.substr(numbered.size() - 4), ".7.x");

  const std::string huge_extension = "a." + std::string(kMaxFileNameBytes, 'b');
  EXPECT_EQ(numbered_name(huge_extension, 1).size(), kMaxFileNameBytes);
}

}  // namespace
}  // namespace spate::util
