#include "input_list.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstddef>
#include <functional>
#include <sstream>
#include <streambuf>
#include <string>
#include <utility>
#include <vector>

namespace spate::cli {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using namespace std::string_literals;

constexpr std::string_view kSha256 =
    "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";

struct ReadResult {
  std::vector<InputEntry> entries;
  std::vector<InputProblem> problems;
};

ReadResult read_all(std::istream& in) {
  ReadResult result;
  InputListReader reader(in);
  for (int i = 0; i < 10000; ++i) {  // bounded: the tests below have far fewer entries
    auto entry = reader.next(result.problems);
    if (!entry) break;
    result.entries.push_back(std::move(*entry));
  }
  return result;
}

ReadResult read_all(const std::string& text) {
  std::istringstream in(text);
  return read_all(in);
}

std::vector<std::size_t> problem_lines(const ReadResult& result) {
  std::vector<std::size_t> lines;
  for (const auto& problem : result.problems) lines.push_back(problem.line);
  return lines;
}

std::vector<std::string> urls(const ReadResult& result) {
  std::vector<std::string> list;
  for (const auto& entry : result.entries) list.push_back(entry.url);
  return list;
}

// A streambuf whose bytes come from a generator, chunk by chunk, so a test can feed the reader
// an input far larger than anything it keeps in memory.
class GeneratedStreamBuf : public std::streambuf {
 public:
  // `fill` replaces its argument with the next chunk and returns false at the end.
  explicit GeneratedStreamBuf(std::function<bool(std::string&)> fill) : fill_(std::move(fill)) {}

  std::size_t bytes_produced() const { return bytes_produced_; }

 protected:
  int_type underflow() override {
    if (gptr() < egptr()) return traits_type::to_int_type(*gptr());
    chunk_.clear();
    if (!fill_(chunk_) || chunk_.empty()) return traits_type::eof();
    bytes_produced_ += chunk_.size();
    setg(chunk_.data(), chunk_.data(), chunk_.data() + chunk_.size());
    return traits_type::to_int_type(*gptr());
  }

 private:
  std::function<bool(std::string&)> fill_;
  std::string chunk_;
  std::size_t bytes_produced_ = 0;
};

// ---- The format --------------------------------------------------------------------------------

TEST(InputListTest, Aria2FormatWithOptions) {
  const std::string text =
      "https://example.com/a.iso\n"
      "  out=images/a.iso\n"
      "  dir=/srv/downloads\n"
      "\tchecksum=SHA-256=" +
      std::string(kSha256) +
      "\n"
      "  header=Cookie: id=42\n"
      "  header=X-Token: abc\n"
      "  split=4\n"
      "  min-split-size=2M\n"
      "  max-tries=0\n"
      "http://example.org/b.bin\n"
      "https://example.net/c?x=1&y=2\n"
      " split=16\n";
  const ReadResult result = read_all(text);
  EXPECT_TRUE(result.problems.empty());
  ASSERT_EQ(result.entries.size(), 3U);

  const InputEntry& a = result.entries[0];
  EXPECT_EQ(a.line, 1U);
  EXPECT_EQ(a.url, "https://example.com/a.iso");
  EXPECT_EQ(a.out, "images/a.iso");
  EXPECT_EQ(a.dir, "/srv/downloads");
  EXPECT_EQ(a.checksum, "sha-256=" + std::string(kSha256));
  EXPECT_THAT(a.headers, ElementsAre("Cookie: id=42", "X-Token: abc"));
  EXPECT_EQ(a.split, 4);
  EXPECT_EQ(a.min_split_size, 2 * 1024 * 1024);
  EXPECT_EQ(a.max_tries, 0);

  const InputEntry& b = result.entries[1];
  EXPECT_EQ(b.line, 10U);
  EXPECT_EQ(b.url, "http://example.org/b.bin");
  EXPECT_EQ(b.out, "");
  EXPECT_EQ(b.dir, "");
  EXPECT_EQ(b.checksum, "");
  EXPECT_TRUE(b.headers.empty());
  EXPECT_FALSE(b.split.has_value());
  EXPECT_FALSE(b.min_split_size.has_value());
  EXPECT_FALSE(b.max_tries.has_value());

  const InputEntry& c = result.entries[2];
  EXPECT_EQ(c.line, 11U);
  EXPECT_EQ(c.url, "https://example.net/c?x=1&y=2");
  EXPECT_EQ(c.split, 16);
}

TEST(InputListTest, CommentsAndBlankLinesAreIgnored) {
  const ReadResult result = read_all(
      "# my list\n"
      "\n"
      "   # indented comment before anything\n"
      "https://a.example/1\n"
      "\n"
      "  # a comment between options\n"
      "  out=one\n"
      " \t \n"
      "  split=2\n"
      "#https://commented.example/out\n"
      "https://a.example/2\n");
  EXPECT_TRUE(result.problems.empty());
  ASSERT_EQ(result.entries.size(), 2U);
  EXPECT_EQ(result.entries[0].out, "one");
  EXPECT_EQ(result.entries[0].split, 2);
  EXPECT_EQ(result.entries[1].url, "https://a.example/2");
  EXPECT_EQ(result.entries[1].line, 11U);
}

TEST(InputListTest, EmptyAndCommentOnlyInputsHaveNoEntries) {
  EXPECT_TRUE(read_all("").entries.empty());
  const ReadResult result = read_all("# nothing\n\n   \n");
  EXPECT_TRUE(result.entries.empty());
  EXPECT_TRUE(result.problems.empty());
}

TEST(InputListTest, NextKeepsReturningNulloptAtTheEnd) {
  std::istringstream in("https://a.example/1\n");
  InputListReader reader(in);
  std::vector<InputProblem> problems;
  ASSERT_TRUE(reader.next(problems).has_value());
  EXPECT_FALSE(reader.next(problems).has_value());
  EXPECT_FALSE(reader.next(problems).has_value());
  EXPECT_TRUE(problems.empty());
}

TEST(InputListTest, CrlfLineEnds) {
  const ReadResult result = read_all(
      "https://a.example/1\r\n"
      "  out=one.bin\r\n"
      "  header=X-A: b\r\n"
      "\r\n"
      "# c\r\n"
      "https://a.example/2\r\n");
  EXPECT_TRUE(result.problems.empty());
  ASSERT_EQ(result.entries.size(), 2U);
  EXPECT_EQ(result.entries[0].url, "https://a.example/1");
  EXPECT_EQ(result.entries[0].out, "one.bin");
  EXPECT_THAT(result.entries[0].headers, ElementsAre("X-A: b"));
  EXPECT_EQ(result.entries[1].url, "https://a.example/2");
}

TEST(InputListTest, Utf8BomAtStartIsSkipped) {
  const ReadResult result = read_all("\xEF\xBB\xBFhttps://a.example/1\n  out=x\n");
  EXPECT_TRUE(result.problems.empty());
  ASSERT_EQ(result.entries.size(), 1U);
  EXPECT_EQ(result.entries[0].url, "https://a.example/1");
  EXPECT_EQ(result.entries[0].out, "x");
}

TEST(InputListTest, NoTrailingNewline) {
  const ReadResult result =
      read_all("https://a.example/1\n  out=last\nhttps://a.example/2\n split=3");
  EXPECT_TRUE(result.problems.empty());
  ASSERT_EQ(result.entries.size(), 2U);
  EXPECT_EQ(result.entries[0].out, "last");
  EXPECT_EQ(result.entries[1].split, 3);

  const ReadResult url_last = read_all("https://a.example/1\r");
  ASSERT_EQ(url_last.entries.size(), 1U);
  EXPECT_EQ(url_last.entries[0].url, "https://a.example/1");
}

TEST(InputListTest, MirrorsOnOneLineKeepTheFirstAndWarn) {
  const ReadResult result = read_all(
      "https://a.example/f\thttps://b.example/f\thttps://c.example/f\n"
      "  out=f\n"
      "https://d.example/g\t\n");  // a trailing tab alone names no mirror
  ASSERT_EQ(result.entries.size(), 2U);
  EXPECT_EQ(result.entries[0].url, "https://a.example/f");
  EXPECT_EQ(result.entries[0].out, "f");
  EXPECT_EQ(result.entries[1].url, "https://d.example/g");
  ASSERT_EQ(result.problems.size(), 1U);
  EXPECT_EQ(result.problems[0].line, 1U);
  EXPECT_THAT(result.problems[0].message, HasSubstr("line 1: 2 mirror"));
}

// ---- Bad lines: reported with their number, the rest still read -------------------------------

TEST(InputListTest, UnknownAndGlobalOptionsAreReportedAndTheEntryKeepsTheValidOnes) {
  const ReadResult result = read_all(
      "https://a.example/1\n"
      "  out=good.bin\n"
      "  user-agent=foo\n"
      "  max-connection-per-server=4\n"
      "  split=5\n"
      "https://a.example/2\n");
  ASSERT_EQ(result.entries.size(), 2U);
  EXPECT_EQ(result.entries[0].out, "good.bin");
  EXPECT_EQ(result.entries[0].split, 5);
  ASSERT_EQ(result.problems.size(), 2U);
  EXPECT_EQ(result.problems[0].line, 3U);
  EXPECT_EQ(result.problems[0].message, "line 3: unknown option 'user-agent'");
  EXPECT_EQ(result.problems[1].line, 4U);
  EXPECT_THAT(result.problems[1].message,
              HasSubstr("line 4: 'max-connection-per-server' is not a per-download option"));
}

TEST(InputListTest, OptionLinesBeforeAnyUrlAreReported) {
  const ReadResult result = read_all(
      "# header comment\n"
      "  out=orphan\n"
      "\tsplit=2\n"
      "https://a.example/1\n");
  EXPECT_THAT(problem_lines(result), ElementsAre(2U, 3U));
  EXPECT_THAT(result.problems[0].message, HasSubstr("before any URL"));
  ASSERT_EQ(result.entries.size(), 1U);
  EXPECT_EQ(result.entries[0].out, "");
  EXPECT_FALSE(result.entries[0].split.has_value());
}

TEST(InputListTest, NotAUrlSkipsTheLineAndItsOptions) {
  const ReadResult result = read_all(
      "https://a.example/1\n"
      "not a url\n"
      "  out=skipped1\n"
      "example.com/nope\n"
      "  out=skipped2\n"
      "://x\n"
      "https://\n"
      "https://a.example/2\n"
      "  out=kept\n");
  EXPECT_THAT(urls(result), ElementsAre("https://a.example/1", "https://a.example/2"));
  EXPECT_EQ(result.entries[0].out, "");
  EXPECT_EQ(result.entries[1].out, "kept");
  EXPECT_EQ(result.entries[1].line, 8U);
  EXPECT_THAT(problem_lines(result), ElementsAre(2U, 4U, 6U, 7U));
  EXPECT_THAT(result.problems[0].message, HasSubstr("line 2: not a URL: 'not a url'"));
}

TEST(InputListTest, BadOptionValuesAreReportedOneByOne) {
  const ReadResult result = read_all(
      "https://a.example/1\n"           // 1
      "  split=0\n"                     // 2
      "  split=257\n"                   // 3
      "  split=abc\n"                   // 4
      "  split=99999999999999999999\n"  // 5
      "  max-tries=-1\n"                // 6
      "  min-split-size=lots\n"         // 7
      "  min-split-size=1K\n"           // 8
      "  checksum=sha-256=abc\n"        // 9
      "  checksum=crc32=12345678\n"     // 10
      "  checksum=md5=zz" +
      std::string(30, '0') +
      "\n"                      // 11
      "  checksum=nohex\n"      // 12
      "  header=no colon\n"     // 13
      "  header=Bad Name: x\n"  // 14
      "  no-equals-sign\n"      // 15
      "  out=\n"                // 16
      "  split=256\n"           // 17: fine
      "  max-tries=7\n"         // 18: fine
      "  min-split-size=16K\n"  // 19: fine
      "  checksum=md5=" +
      std::string(32, 'A') +
      "\n"                       // 20: fine
      "https://a.example/2\n");  // 21
  EXPECT_THAT(problem_lines(result),
              ElementsAre(2U, 3U, 4U, 5U, 6U, 7U, 8U, 9U, 10U, 11U, 12U, 13U, 14U, 15U, 16U));
  for (const auto& problem : result.problems) {
    EXPECT_THAT(problem.message, HasSubstr("line " + std::to_string(problem.line) + ": "));
  }
  EXPECT_THAT(result.problems[1].message, HasSubstr("out of range (1..256)"));
  EXPECT_THAT(result.problems[7].message, HasSubstr("needs 64 hex digits"));
  EXPECT_THAT(result.problems[8].message, HasSubstr("unsupported checksum type 'crc32'"));
  ASSERT_EQ(result.entries.size(), 2U);
  const InputEntry& entry = result.entries[0];
  EXPECT_EQ(entry.split, 256);
  EXPECT_EQ(entry.max_tries, 7);
  EXPECT_EQ(entry.min_split_size, 16 * 1024);
  EXPECT_EQ(entry.checksum, "md5=" + std::string(32, 'A'));
  EXPECT_TRUE(entry.headers.empty());
  EXPECT_EQ(entry.out, "");
  EXPECT_EQ(result.entries[1].line, 21U);
}

TEST(InputListTest, OutMustStayInsideTheDirectory) {
  const ReadResult result = read_all(
      "https://a.example/1\n"
      "  out=../escape\n"               // 2
      "  out=sub/../../escape\n"        // 3
      "  out=/etc/passwd\n"             // 4
      "  out=a\\..\\b\n"                // 5
      "  out=sub/\n"                    // 6
      "  out=..\n"                      // 7
      "  out=dir/sub/file..name.iso\n"  // fine: ".." is only bad as a whole component
      "https://a.example/2\n"
      "  out=./plain.bin\n");
  EXPECT_THAT(problem_lines(result), ElementsAre(2U, 3U, 4U, 5U, 6U, 7U));
  EXPECT_THAT(result.problems[0].message, HasSubstr("must not contain '..'"));
  EXPECT_THAT(result.problems[2].message, HasSubstr("must be a relative path"));
  ASSERT_EQ(result.entries.size(), 2U);
  EXPECT_EQ(result.entries[0].out, "dir/sub/file..name.iso");
  EXPECT_EQ(result.entries[1].out, "./plain.bin");
}

TEST(InputListTest, TooManyHeadersAreCapped) {
  std::string text = "https://a.example/1\n";
  for (std::size_t i = 0; i < kMaxInputHeaders + 3; ++i) {
    text += "  header=X-N: " + std::to_string(i) + "\n";
  }
  const ReadResult result = read_all(text);
  ASSERT_EQ(result.entries.size(), 1U);
  EXPECT_EQ(result.entries[0].headers.size(), kMaxInputHeaders);
  EXPECT_EQ(result.entries[0].headers.back(), "X-N: " + std::to_string(kMaxInputHeaders - 1));
  EXPECT_EQ(result.problems.size(), 3U);
}

// ---- Hostile input -----------------------------------------------------------------------------

TEST(InputListTest, BinaryJunkAndNulBytesAreReportedNotTrusted) {
  const std::string text =
      "https://a.example/1\n"
      "  out=a\0b\n"s                   // 2: NUL inside a file name
      "  header=X-A: b\rInjected: c\n"  // 3: a bare CR smuggling a second header
      "\x01\x02\xff\xfe junk\n"         // 4: junk in URL position: skipped with options
      "  out=skipped\n"                 // 5
      "https://a.ex\0ample/2\n"s        // 6: NUL inside a URL
      "https://a.example/3\n";          // 7
  const ReadResult result = read_all(text);
  EXPECT_THAT(urls(result), ElementsAre("https://a.example/1", "https://a.example/3"));
  EXPECT_EQ(result.entries[0].out, "");
  EXPECT_TRUE(result.entries[0].headers.empty());
  EXPECT_THAT(problem_lines(result), ElementsAre(2U, 3U, 4U, 6U));
  for (const auto& problem : result.problems) {
    EXPECT_EQ(problem.message.find('\0'), std::string::npos);
    EXPECT_EQ(problem.message.find('\x01'), std::string::npos);
  }
}

TEST(InputListTest, LongLinesAreSkippedAndLinesUpToTheLimitKept) {
  const std::string host = "https://a.example/";
  const std::string exact_url = host + std::string(kMaxInputLineBytes - host.size(), 'x');
  const std::string text = host + std::string(1 << 20, 'y') +
                           "\n"               // 1: 1 MiB URL line
                           "  out=skipped\n"  // 2
                           + exact_url +
                           "\n"  // 3: exactly at the limit
                           "  header=X-Long: " +
                           std::string(1 << 20, 'z') +
                           "\n"            // 4
                           "  out=kept\n"  // 5
                           + exact_url +
                           "z\r\n"                      // 6: one over (CRLF)
                           "https://a.example/last\n";  // 7
  const ReadResult result = read_all(text);
  EXPECT_THAT(problem_lines(result), ElementsAre(1U, 4U, 6U));
  EXPECT_THAT(result.problems[0].message, HasSubstr("longer than 65536 bytes"));
  ASSERT_EQ(result.entries.size(), 2U);
  EXPECT_EQ(result.entries[0].url, exact_url);
  EXPECT_EQ(result.entries[0].line, 3U);
  EXPECT_EQ(result.entries[0].out, "kept");
  EXPECT_TRUE(result.entries[0].headers.empty());
  EXPECT_EQ(result.entries[1].url, "https://a.example/last");
}

TEST(InputListTest, HugeLineWithoutNewlineIsStreamedNotStored) {
  constexpr std::size_t kChunk = std::size_t{64} * 1024;
  constexpr std::size_t kJunkChunks = 256;  // 16 MiB of one line
  std::size_t chunks = 0;
  GeneratedStreamBuf buffer([&](std::string& chunk) {
    if (chunks < kJunkChunks) {
      chunk.assign(kChunk, 'j');
    } else if (chunks == kJunkChunks) {
      chunk = "\nhttps://a.example/after\n";
    } else {
      return false;
    }
    ++chunks;
    return true;
  });
  std::istream in(&buffer);
  const ReadResult result = read_all(in);
  EXPECT_EQ(buffer.bytes_produced(), kJunkChunks * kChunk + 25);
  EXPECT_THAT(problem_lines(result), ElementsAre(1U));
  ASSERT_EQ(result.entries.size(), 1U);
  EXPECT_EQ(result.entries[0].url, "https://a.example/after");
  EXPECT_EQ(result.entries[0].line, 2U);
}

TEST(InputListTest, StreamsALongListOneEntryAtATime) {
  // 100,000 entries of two lines each, generated on demand: the input never exists as a whole,
  // and the entries are only counted, never collected.
  constexpr std::size_t kEntries = 100000;
  std::size_t generated = 0;
  GeneratedStreamBuf buffer([&](std::string& chunk) {
    if (generated == kEntries) return false;
    for (int i = 0; i < 100 && generated < kEntries; ++i, ++generated) {
      chunk += "https://example.com/files/" + std::to_string(generated) + "\n\tout=n" +
               std::to_string(generated) + ".bin\n";
    }
    return true;
  });
  std::istream in(&buffer);
  InputListReader reader(in);
  std::vector<InputProblem> problems;
  std::size_t count = 0;
  std::size_t bad = 0;
  while (count <= kEntries) {  // bounded: one more than expected would be a failure
    const auto entry = reader.next(problems);
    if (!entry) break;
    const std::string expected_out = "n" + std::to_string(count) + ".bin";
    if (entry->out != expected_out || entry->line != 2 * count + 1) ++bad;
    ++count;
  }
  EXPECT_EQ(count, kEntries);
  EXPECT_EQ(bad, 0U);
  EXPECT_TRUE(problems.empty());
  EXPECT_GT(buffer.bytes_produced(), 4'000'000U);
}

// ---- make_task ---------------------------------------------------------------------------------

TEST(MakeTaskTest, EntryOverridesDefaultsAndAppendsHeaders) {
  Task base;
  base.dir = "/data";
  base.out = "ignored-for-lists";
  base.options.split = 8;
  base.options.split_after = std::chrono::seconds(1);
  base.options.min_split_size = 1 << 20;
  base.options.max_tries = 5;
  base.options.http.headers = {"Authorization: Bearer t"};
  base.options.layout = Layout::Parts;

  InputEntry entry;
  entry.url = "https://a.example/x.iso";
  entry.dir = "isos";
  entry.out = "2024/x.iso";
  entry.headers = {"Cookie: a=1"};
  entry.split = 2;
  entry.min_split_size = 4 << 20;
  entry.max_tries = 0;

  const Task task = make_task(base, entry);
  EXPECT_EQ(task.url, "https://a.example/x.iso");
  EXPECT_EQ(task.dir, std::filesystem::path("/data/isos/2024"));
  EXPECT_EQ(task.out, "x.iso");
  EXPECT_THAT(task.options.http.headers, ElementsAre("Authorization: Bearer t", "Cookie: a=1"));
  EXPECT_EQ(task.options.split, 2);
  // A split of its own is asked for explicitly, as -s is: all of its connections open at once.
  EXPECT_EQ(task.options.split_after, std::chrono::milliseconds(0));
  EXPECT_EQ(task.options.min_split_size, 4 << 20);
  EXPECT_EQ(task.options.max_tries, 0);
  EXPECT_EQ(task.options.layout, Layout::Parts);  // untouched options come from base
}

TEST(MakeTaskTest, AGivenSplitAfterOutlivesTheEntrysSplit) {
  Task base;
  base.options.split_after = std::chrono::seconds(2);
  InputEntry entry;
  entry.url = "https://a.example/x.iso";
  entry.split = 4;
  EXPECT_EQ(make_task(base, entry, /*split_after_given=*/true).options.split_after,
            std::chrono::seconds(2));
  EXPECT_EQ(make_task(base, entry, /*split_after_given=*/false).options.split_after,
            std::chrono::milliseconds(0));
}

TEST(MakeTaskTest, MissingOptionsKeepTheDefaults) {
  Task base;
  base.dir = "downloads";
  base.out = "one-name";
  base.options.split = 3;
  base.options.split_after = std::chrono::seconds(2);
  base.options.max_tries = 9;
  InputEntry entry;
  entry.url = "https://a.example/y";
  const Task task = make_task(base, entry);
  EXPECT_EQ(task.options.split_after, std::chrono::seconds(2));
  EXPECT_EQ(task.url, "https://a.example/y");
  EXPECT_EQ(task.dir, std::filesystem::path("downloads"));
  EXPECT_EQ(task.out, "");  // derived from the URL, never one name for the whole list
  EXPECT_EQ(task.options.split, 3);
  EXPECT_EQ(task.options.max_tries, 9);
  EXPECT_EQ(task.options.min_split_size, base.options.min_split_size);
}

TEST(MakeTaskTest, AbsoluteDirReplacesTheBaseDir) {
  Task base;
  base.dir = "/data";
  InputEntry entry;
  entry.url = "https://a.example/z";
  entry.dir = "/srv/other";
  entry.out = "z.bin";
  const Task task = make_task(base, entry);
  EXPECT_EQ(task.dir, std::filesystem::path("/srv/other"));
  EXPECT_EQ(task.out, "z.bin");
}

TEST(MakeTaskTest, ParsedEntryEndToEnd) {
  std::istringstream in("https://a.example/f.tar.gz\n  dir=rel\n  out=sub/f.tgz\n  split=1\n");
  InputListReader reader(in);
  std::vector<InputProblem> problems;
  const auto entry = reader.next(problems);
  ASSERT_TRUE(entry.has_value());
  Task base;
  base.dir = "/base";
  const Task task = make_task(base, *entry);
  EXPECT_EQ(task.dir, std::filesystem::path("/base/rel/sub"));
  EXPECT_EQ(task.out, "f.tgz");
  EXPECT_EQ(task.options.split, 1);
  EXPECT_TRUE(problems.empty());
}

}  // namespace
}  // namespace spate::cli
