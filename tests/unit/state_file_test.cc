#include "storage/state_file.h"

#include "support/temp_dir.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <ostream>
#include <sstream>
#include <string>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

namespace spate::storage {

// NOLINTNEXTLINE(readability-identifier-naming): gtest looks PrintTo up by name
void PrintTo(const ResumeState& s, std::ostream* os) {
  *os << "{url=" << s.url << " size=" << s.size << " etag=" << s.etag
      << " last_modified=" << s.last_modified << " layout=" << s.layout
      << " checksum=" << s.checksum << " ranges=" << s.done.size() << "}";
}

namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;
namespace fs = std::filesystem;

// An independent SHA-256 (hex) to build test files whose digest line is right, so that the body
// checks behind the digest check can be reached.
std::string sha256_hex(std::string_view data) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int length = 0;
  EXPECT_EQ(EVP_Digest(data.data(), data.size(), digest.data(), &length, EVP_sha256(), nullptr), 1);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < length; ++i) {
    out += kHex[digest[i] >> 4];
    out += kHex[digest[i] & 0x0F];
  }
  return out;
}

// The magic line, `body`, and a correct digest line.
std::string seal(const std::string& body) {
  const std::string content = "SPATE-STATE 1\n" + body;
  return content + "sha-256 " + sha256_hex(content) + "\n";
}

// Lines 2-7 of a valid file, for tests that change or add one line.
const std::string valid_header_lines =
    "url http://h/f\nsize 100\netag\nlast-modified\nlayout single\nchecksum\n";

ResumeState typical_state() {
  ResumeState s;
  s.url = "https://example.com/file.iso";
  s.size = 1048576;
  s.etag = "\"5e8f-3a\"";
  s.last_modified = "Wed, 21 Oct 2015 07:28:00 GMT";
  s.done = {{0, 65536}, {131072, 262144}};
  return s;
}

std::string decode_error(std::string_view bytes) {
  const Result<ResumeState> r = decode_state(bytes);
  if (r) return "<accepted>";
  EXPECT_EQ(r.error().kind, ErrorKind::StateFile);
  return r.error().message;
}

void expect_round_trip(const ResumeState& s) {
  ASSERT_TRUE(validate_state(s)) << validate_state(s).error().message;
  const std::string bytes = encode_state(s);
  const Result<ResumeState> back = decode_state(bytes);
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(*back, s);
  EXPECT_EQ(encode_state(*back), bytes);
}

std::string read_all(const fs::path& path) {
  // stdio rather than istreambuf_iterator: g++ 12 -O3 -Wnull-dereference misfires inside
  // libstdc++'s streambuf on the latter.
  std::string bytes;
  if (std::FILE* file = std::fopen(path.c_str(), "rb")) {
    char buffer[4096];
    for (std::size_t n; (n = std::fread(buffer, 1, sizeof buffer, file)) > 0;)
      bytes.append(buffer, n);
    std::fclose(file);
  }
  return bytes;
}

// ---- encoding ------------------------------------------------------------------------------

TEST(StateFileTest, EncodesTheDocumentedExactBytes) {
  // The example in docs/state-file-format.md; the digest was computed with sha256sum(1).
  const std::string expected =
      "SPATE-STATE 1\n"
      "url https://example.com/file.iso\n"
      "size 1048576\n"
      "etag \"5e8f-3a\"\n"
      "last-modified Wed,%2021%20Oct%202015%2007:28:00%20GMT\n"
      "layout single\n"
      "checksum\n"
      "done 0 65536\n"
      "done 131072 262144\n"
      "sha-256 bd39adb4a12dc42a87a34413cfa592d984230f5ad54b530da871fcd9da89da57\n";
  EXPECT_EQ(encode_state(typical_state()), expected);
  const Result<ResumeState> back = decode_state(expected);
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(*back, typical_state());
}

TEST(StateFileTest, RoundTripsTypicalAndEdgeStates) {
  expect_round_trip(typical_state());

  ResumeState minimal;  // only a URL: unknown size, no validators, no ranges
  minimal.url = "u";
  expect_round_trip(minimal);

  ResumeState unknown_size = typical_state();
  unknown_size.size = -1;  // ranges are kept even without a size
  unknown_size.done = {{0, 10}, {10, 20}, {std::int64_t{1} << 62, INT64_MAX}};
  expect_round_trip(unknown_size);

  ResumeState parts = typical_state();
  parts.layout = "parts";
  parts.checksum = "sha-256=" + std::string(64, 'a');
  parts.done = {{0, parts.size}};  // everything done
  expect_round_trip(parts);

  ResumeState empty_file = minimal;
  empty_file.size = 0;
  expect_round_trip(empty_file);
}

TEST(StateFileTest, RoundTripsManyRanges) {
  ResumeState s = typical_state();
  s.size = std::int64_t{1} << 40;
  s.done.clear();
  for (std::int64_t i = 0; i < 100'000; ++i) s.done.push_back({i * 1000 + 7, i * 1000 + 500});
  expect_round_trip(s);
}

TEST(StateFileTest, NewlinesAndUnicodeInValuesCannotInjectLines) {
  ResumeState s = typical_state();
  s.url = "https://例え.jp/ファイル name?q=1\nsize 5\r\ndone 0 5";
  s.etag = "W/\"x\"\nlayout parts\n%41";
  s.last_modified = " leading and trailing spaces ";
  for (int c = 0; c < 256; ++c) s.checksum += static_cast<char>(c);
  expect_round_trip(s);

  const std::string bytes = encode_state(s);
  // Ten lines: magic, six keys, two ranges, digest. Nothing injected.
  EXPECT_EQ(std::count(bytes.begin(), bytes.end(), '\n'), 10);
  EXPECT_THAT(bytes, HasSubstr("name?q=1%0Asize%205%0D%0Adone%200%205\n"));
  EXPECT_THAT(bytes, HasSubstr("etag W/\"x\"%0Alayout%20parts%0A%2541\n"));
  EXPECT_THAT(bytes, HasSubstr("url https://%E4%BE%8B"));
}

TEST(StateFileTest, ValuesUpToTheLimitAreAccepted) {
  ResumeState s = typical_state();
  s.url = std::string(kMaxStateValueBytes, '\n');  // encodes to three times as many bytes
  s.etag = std::string(kMaxStateValueBytes, 'e');
  s.last_modified = std::string(kMaxStateValueBytes, 'l');
  s.checksum = std::string(kMaxStateValueBytes, 'c');
  expect_round_trip(s);
}

TEST(StateFileTest, ExactlyTheMaximumNumberOfRangesIsAccepted) {
  ResumeState s;
  s.url = "u";
  for (std::int64_t i = 0; i < static_cast<std::int64_t>(kMaxStateRanges); ++i) {
    s.done.push_back({2 * i, 2 * i + 1});
  }
  const std::string bytes = encode_state(s);
  EXPECT_LT(bytes.size(), kMaxStateFileBytes);
  const Result<ResumeState> back = decode_state(bytes);
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(back->done.size(), kMaxStateRanges);
  EXPECT_EQ(back->done.back(), s.done.back());

  // One more range: the body of the same file plus a line, re-sealed (no second encode: this
  // test is the slowest in Debug).
  const std::size_t body_begin = bytes.find('\n') + 1;
  const std::string body = bytes.substr(body_begin, bytes.rfind("sha-256 ") - body_begin);
  EXPECT_EQ(decode_error(seal(body + "done 2000000 2000001\n")),
            "state file: line 1000008: more than 1000000 ranges");
  s.done.push_back({2'000'000, 2'000'001});
  EXPECT_EQ(validate_state(s).error().message, "state file: more than 1000000 ranges");
}

// ---- rejections ----------------------------------------------------------------------------

TEST(StateFileTest, RejectsForeignFilesAndOtherVersions) {
  EXPECT_EQ(decode_error(""), "state file: empty file");
  EXPECT_EQ(decode_error("hello world\n"), "state file: not a spate state file");
  EXPECT_EQ(decode_error("\x89PNG\r\n"), "state file: not a spate state file");
  EXPECT_EQ(decode_error("SPATE-ST"), "state file: truncated");
  EXPECT_EQ(decode_error("SPATE-STATE 1"), "state file: truncated");
  EXPECT_EQ(decode_error("SPATE-STATE 2\nanything at all"),
            "state file: version 2 is not supported (this spate reads version 1)");
  EXPECT_EQ(decode_error("SPATE-STATE 10\n"),
            "state file: version 10 is not supported (this spate reads version 1)");
  EXPECT_EQ(decode_error("SPATE-STATE one\n"),
            "state file: not a spate state file (version 'one')");
  EXPECT_EQ(decode_error("SPATE-STATE 1\r\n"),
            "state file: not a spate state file (version '1\\x0D')");
  EXPECT_EQ(decode_error("SPATE-STATE 01\n"),
            "state file: version 01 is not supported (this spate reads version 1)");
}

TEST(StateFileTest, RejectsCorruptionAndTruncation) {
  std::string bytes = encode_state(typical_state());
  std::string changed = bytes;
  changed[changed.find("65536")] = '7';  // 75536: a plausible but wrong state
  EXPECT_EQ(decode_error(changed), "state file: corrupted (sha-256 mismatch)");

  const std::string without_digest = bytes.substr(0, bytes.rfind("sha-256"));
  EXPECT_EQ(decode_error(without_digest),
            "state file: truncated (the last line is not the sha-256 line)");
  EXPECT_EQ(decode_error(bytes.substr(0, bytes.size() - 1)),
            "state file: truncated (no final newline)");
  EXPECT_EQ(decode_error(bytes.substr(0, bytes.size() - 5) + "\n"),
            "state file: truncated or corrupted sha-256 line");
  EXPECT_EQ(decode_error(bytes + "done 0 1\n"),
            "state file: truncated (the last line is not the sha-256 line)");
  EXPECT_EQ(decode_error(bytes + bytes.substr(bytes.rfind("sha-256"))),
            "state file: corrupted (sha-256 mismatch)");
  EXPECT_EQ(decode_error("SPATE-STATE 1\n"),
            "state file: truncated (the last line is not the sha-256 line)");
}

TEST(StateFileTest, RejectsEveryTruncation) {
  ResumeState s = typical_state();
  s.etag = "W/\"a b\"\n";
  s.checksum = "sha-256=" + std::string(64, '0');
  const std::string bytes = encode_state(s);
  for (std::size_t n = 0; n < bytes.size(); ++n) {
    const Result<ResumeState> r = decode_state(std::string_view(bytes).substr(0, n));
    ASSERT_FALSE(r) << "a prefix of " << n << " bytes was accepted";
    EXPECT_EQ(r.error().kind, ErrorKind::StateFile);
    EXPECT_THAT(r.error().message, StartsWith("state file: ")) << n;
  }
}

TEST(StateFileTest, RejectsEveryFlippedBit) {
  const std::string bytes = encode_state(typical_state());
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    for (int bit = 0; bit < 8; ++bit) {
      std::string flipped = bytes;
      flipped[i] = static_cast<char>(flipped[i] ^ (1 << bit));
      const Result<ResumeState> r = decode_state(flipped);
      ASSERT_FALSE(r) << "bit " << bit << " of byte " << i << " flipped was accepted";
      EXPECT_EQ(r.error().kind, ErrorKind::StateFile);
    }
  }
}

TEST(StateFileTest, RejectsBadKeys) {
  EXPECT_EQ(decode_error(seal(valid_header_lines + "colour red\n")),
            "state file: line 8: unknown key 'colour'");
  EXPECT_EQ(decode_error(seal(valid_header_lines + "size 100\n")),
            "state file: line 8: duplicate key 'size'");
  EXPECT_EQ(decode_error(seal(valid_header_lines + "url http://other\n")),
            "state file: line 8: duplicate key 'url'");
  EXPECT_EQ(decode_error(seal("url u\nsize 1\nlast-modified\nlayout single\nchecksum\n")),
            "state file: missing key 'etag'");
  EXPECT_EQ(decode_error(seal(valid_header_lines + "\n")), "state file: line 8: empty line");
  EXPECT_EQ(decode_error(seal(valid_header_lines + "sha-256 " + std::string(64, '0') + "\n")),
            "state file: line 8: unknown key 'sha-256'");
  EXPECT_EQ(decode_error(seal(valid_header_lines + "opt-\n")),
            "state file: line 8: unknown key 'opt-'");
  EXPECT_EQ(decode_error(seal(valid_header_lines + "opt-X 1\n")),
            "state file: line 8: unknown key 'opt-X'");
}

TEST(StateFileTest, IgnoresOptionalKeysFromNewerRevisions) {
  const Result<ResumeState> r = decode_state(
      seal("opt-mirror-count 3 and more\n" + valid_header_lines + "done 0 5\nopt-x\n"));
  ASSERT_TRUE(r) << r.error().message;
  ResumeState expected;
  expected.url = "http://h/f";
  expected.size = 100;
  expected.done = {{0, 5}};
  EXPECT_EQ(*r, expected);
}

TEST(StateFileTest, AcceptsKeysInAnyOrder) {
  const Result<ResumeState> r = decode_state(
      seal("done 0 5\nchecksum\nlayout parts\nlast-modified\nsize 10\ndone 5 6\netag\nurl u\n"));
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->layout, "parts");
  EXPECT_EQ(r->done, (std::vector<core::ByteRange>{{0, 5}, {5, 6}}));
}

TEST(StateFileTest, RejectsBadNumbers) {
  const auto with_size = [](const std::string& size) {
    return decode_error(
        seal("url u\nsize " + size + "\netag\nlast-modified\nlayout single\nchecksum\n"));
  };
  EXPECT_EQ(with_size("9223372036854775807"), "<accepted>");
  EXPECT_EQ(with_size("9223372036854775808"),
            "state file: line 3: size '9223372036854775808' does not fit in 64 bits");
  EXPECT_EQ(with_size("-9223372036854775809"),
            "state file: line 3: size '-9223372036854775809' does not fit in 64 bits");
  EXPECT_EQ(with_size("99999999999999999999999999999999"),
            "state file: line 3: size '99999999999999999999999999999999' does not fit in 64 bits");
  EXPECT_EQ(with_size("007"), "state file: line 3: size '007' has leading zeros");
  EXPECT_EQ(with_size("-0"), "state file: line 3: size '-0' is not canonical");
  EXPECT_EQ(with_size("+5"), "state file: line 3: size '+5' is not a number");
  EXPECT_EQ(with_size("5 6"), "state file: line 3: size '5 6' is not a number");
  EXPECT_EQ(with_size(""), "state file: line 3: size '' is not a number");
  EXPECT_EQ(with_size("0x10"), "state file: line 3: size '0x10' is not a number");
  EXPECT_EQ(with_size("-2"), "state file: size -2 is negative");

  EXPECT_EQ(decode_error(seal(valid_header_lines + "done 0 99999999999999999999\n")),
            "state file: line 8: range end '99999999999999999999' does not fit in 64 bits");
  EXPECT_EQ(decode_error(seal(valid_header_lines + "done -1 5\n")),
            "state file: line 8: range begin '-1' is not a non-negative number");
  EXPECT_EQ(decode_error(seal(valid_header_lines + "done 5\n")),
            "state file: line 8: expected 'done BEGIN END'");
  EXPECT_EQ(decode_error(seal(valid_header_lines + "done 1 2 3\n")),
            "state file: line 8: range end '2 3' is not a non-negative number");
}

TEST(StateFileTest, RejectsBadRanges) {
  EXPECT_EQ(decode_error(seal(valid_header_lines + "done 5 3\n")),
            "state file: range 5-3 is empty or reversed");
  EXPECT_EQ(decode_error(seal(valid_header_lines + "done 5 5\n")),
            "state file: range 5-5 is empty or reversed");
  EXPECT_EQ(decode_error(seal(valid_header_lines + "done 0 10\ndone 5 20\n")),
            "state file: range 5-20 overlaps or precedes range 0-10");
  EXPECT_EQ(decode_error(seal(valid_header_lines + "done 10 20\ndone 0 5\n")),
            "state file: range 0-5 overlaps or precedes range 10-20");
  EXPECT_EQ(decode_error(seal(valid_header_lines + "done 90 101\n")),
            "state file: range 90-101 ends past the size 100");
  EXPECT_EQ(decode_error(seal(valid_header_lines + "done 0 10\ndone 9 20\n")),
            "state file: range 9-20 overlaps or precedes range 0-10");
  EXPECT_EQ(decode_error(seal(valid_header_lines + "done 0 10\ndone 10 20\n")),
            "<accepted>");  // adjacent
  EXPECT_EQ(decode_error(seal(valid_header_lines + "done 0 100\n")), "<accepted>");
}

TEST(StateFileTest, RejectsBadValues) {
  const auto with_url = [](const std::string& url) {
    return decode_error(seal(url + "\nsize 1\netag\nlast-modified\nlayout single\nchecksum\n"));
  };
  EXPECT_EQ(with_url("url"), "state file: url is empty");
  EXPECT_EQ(with_url("url a b"), "state file: line 2: url: byte ' ' must be percent-encoded");
  EXPECT_EQ(with_url("url a\rb"), "state file: line 2: url: byte '\\x0D' must be percent-encoded");
  EXPECT_EQ(with_url("url caf\xC3\xA9"),
            "state file: line 2: url: byte '\\xC3' must be percent-encoded");
  EXPECT_EQ(with_url("url a%0a"), "state file: line 2: url: bad escape '%0a'");
  EXPECT_EQ(with_url("url a%G0"), "state file: line 2: url: bad escape '%G0'");
  EXPECT_EQ(with_url("url a%4"), "state file: line 2: url: bad escape '%4'");
  EXPECT_EQ(with_url("url a%"), "state file: line 2: url: bad escape '%'");
  EXPECT_EQ(with_url("url %41%42"), "<accepted>");  // unneeded escapes are fine
  EXPECT_EQ(with_url("url " + std::string(kMaxStateValueBytes + 1, 'u')),
            "state file: line 2: url is longer than 16384 bytes");
  EXPECT_EQ(decode_error(seal("url u\nsize 1\netag\nlast-modified\nlayout many\nchecksum\n")),
            "state file: layout 'many' is unknown (expected single or parts)");
}

TEST(StateFileTest, RejectsOversizedInput) {
  std::string huge = encode_state(typical_state());
  huge.resize(kMaxStateFileBytes + 1, '\n');
  EXPECT_EQ(decode_error(huge), "state file: larger than 67108864 bytes");
}

TEST(StateFileTest, ValidateMatchesDecode) {
  ResumeState s = typical_state();
  s.done = {{0, 10}, {5, 20}};
  ASSERT_FALSE(validate_state(s));
  EXPECT_EQ(validate_state(s).error().kind, ErrorKind::StateFile);
  EXPECT_EQ(validate_state(s).error().message,
            "state file: range 5-20 overlaps or precedes range 0-10");
  EXPECT_EQ(decode_error(encode_state(s)), validate_state(s).error().message);

  s = typical_state();
  s.done = {{-4, 2}};
  EXPECT_EQ(validate_state(s).error().message, "state file: range -4-2 starts before 0");
  EXPECT_FALSE(decode_state(encode_state(s)));
  s = typical_state();
  s.url.clear();
  EXPECT_EQ(decode_error(encode_state(s)), "state file: url is empty");
  s = typical_state();
  s.layout = "";
  EXPECT_EQ(validate_state(s).error().message,
            "state file: layout '' is unknown (expected single or parts)");
}

// ---- files -----------------------------------------------------------------------------------

TEST(StateFileIoTest, WriteThenReadRoundTripsAndLeavesNoTemp) {
  testing::TempDir dir;
  const fs::path path = dir.path() / "x.part.spate";
  ASSERT_TRUE(write_state_file(path, typical_state()));
  EXPECT_EQ(dir.list_files(), std::vector<std::string>{"x.part.spate"});
  EXPECT_EQ(read_all(path), encode_state(typical_state()));
  const Result<ResumeState> back = read_state_file(path);
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(*back, typical_state());

  struct stat info {};
  ASSERT_EQ(::stat(path.c_str(), &info), 0);
  const mode_t mask = ::umask(0);
  ::umask(mask);
  EXPECT_EQ(info.st_mode & 0777, 0644 & ~mask);

  ResumeState next = typical_state();  // replacing an existing file
  next.done.push_back({262144, 1048576});
  ASSERT_TRUE(write_state_file(path, next));
  EXPECT_EQ(read_state_file(path).value(), next);
  EXPECT_EQ(dir.list_files(), std::vector<std::string>{"x.part.spate"});
}

TEST(StateFileIoTest, ReplacesAStaleTempFile) {
  testing::TempDir dir;
  const fs::path path = dir.path() / "x.part.spate";
  std::ofstream(path.string() + ".tmp") << std::string(10000, 'z');  // left by a crash
  ASSERT_TRUE(write_state_file(path, typical_state()));
  EXPECT_EQ(dir.list_files(), std::vector<std::string>{"x.part.spate"});
  EXPECT_EQ(read_state_file(path).value(), typical_state());
}

TEST(StateFileIoTest, InvalidStateIsNotWritten) {
  testing::TempDir dir;
  const fs::path path = dir.path() / "x.part.spate";
  ResumeState s = typical_state();
  s.done = {{5, 3}};
  const Result<void> r = write_state_file(path, s);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, ErrorKind::StateFile);
  EXPECT_EQ(r.error().message,
            "cannot save state file " + path.string() + ": range 5-3 is empty or reversed");
  EXPECT_TRUE(dir.list_files().empty());
}

TEST(StateFileIoTest, MissingFileIsEnoent) {
  testing::TempDir dir;
  const fs::path path = dir.path() / "none.part.spate";
  const Result<ResumeState> r = read_state_file(path);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, ErrorKind::StateFile);
  EXPECT_EQ(r.error().sys_errno, ENOENT);
  EXPECT_EQ(r.error().message,
            "cannot open state file " + path.string() + ": No such file or directory");
}

TEST(StateFileIoTest, ReadErrorsNameThePath) {
  testing::TempDir dir;
  const fs::path path = dir.path() / "x.part.spate";
  std::string bytes = encode_state(typical_state());
  bytes[20] = 'X';
  std::ofstream(path, std::ios::binary) << bytes;
  Result<ResumeState> r = read_state_file(path);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, ErrorKind::StateFile);
  EXPECT_EQ(r.error().message, "state file " + path.string() + ": corrupted (sha-256 mismatch)");

  r = read_state_file(dir.path());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message, "state file " + dir.path().string() + ": not a regular file");

  const fs::path fifo = dir.path() / "fifo.part.spate";  // must not block the open
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0644), 0);
  r = read_state_file(fifo);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message, "state file " + fifo.string() + ": not a regular file");

  fs::resize_file(path, kMaxStateFileBytes + 1);  // sparse: cheap
  r = read_state_file(path);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message, "state file " + path.string() + ": larger than 67108864 bytes");
}

TEST(StateFileIoTest, MissingDirectoryGivesAClearError) {
  testing::TempDir dir;
  const fs::path path = dir.path() / "no-such-dir" / "x.part.spate";
  const Result<void> r = write_state_file(path, typical_state());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, ErrorKind::StateFile);
  EXPECT_EQ(r.error().sys_errno, ENOENT);
  EXPECT_EQ(r.error().message,
            "cannot create " + path.string() + ".tmp: No such file or directory");
}

TEST(StateFileIoTest, UnwritableDirectoryGivesAClearError) {
  if (::geteuid() == 0) GTEST_SKIP() << "root ignores directory permissions";
  testing::TempDir dir;
  const fs::path sub = dir.path() / "ro";
  fs::create_directory(sub);
  fs::permissions(sub, fs::perms::owner_read | fs::perms::owner_exec);
  const fs::path path = sub / "x.part.spate";
  const Result<void> r = write_state_file(path, typical_state());
  fs::permissions(sub, fs::perms::owner_all);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, ErrorKind::StateFile);
  EXPECT_EQ(r.error().sys_errno, EACCES);
  EXPECT_EQ(r.error().message, "cannot create " + path.string() + ".tmp: Permission denied");
}

TEST(StateFileIoTest, FailedRenameRemovesTheTemp) {
  testing::TempDir dir;
  const fs::path path = dir.path() / "x.part.spate";
  fs::create_directory(path);  // a non-empty directory cannot be renamed over
  std::ofstream(path / "keep") << "k";
  const Result<void> r = write_state_file(path, typical_state());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, ErrorKind::StateFile);
  EXPECT_EQ(r.error().sys_errno, EISDIR);
  EXPECT_THAT(r.error().message, HasSubstr("cannot rename " + path.string() + ".tmp to " +
                                           path.string() + ": Is a directory"));
  EXPECT_TRUE(dir.list_files().empty());  // no .tmp left
  EXPECT_TRUE(fs::exists(path / "keep"));
}

TEST(StateFileIoTest, DiskFullIsDiskFullAndRemovesTheTemp) {
  testing::TempDir dir;
  const fs::path path = dir.path() / "x.part.spate";
  // The temp name points at /dev/full: every write fails with ENOSPC.
  fs::create_symlink("/dev/full", path.string() + ".tmp");
  const Result<void> r = write_state_file(path, typical_state());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, ErrorKind::DiskFull);
  EXPECT_EQ(r.error().sys_errno, ENOSPC);
  EXPECT_EQ(r.error().message, "cannot write " + path.string() + ".tmp: No space left on device");
  EXPECT_FALSE(fs::exists(fs::symlink_status(path.string() + ".tmp")));
  EXPECT_FALSE(fs::exists(path));
}

}  // namespace
}  // namespace spate::storage
