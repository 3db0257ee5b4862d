// The spate binary end to end: command-line parsing and exit statuses, where files land and how
// they are named, exact bytes, stderr reports, existing files, retries, SIGINT. Each test runs the
// real binary (SPATE_BINARY) as a child process against its own local fault server and temp dirs.
#include "spate/version.h"

#include "support/content.h"
#include "support/http_server.h"
#include "support/process.h"
#include "support/temp_dir.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

namespace spate::testing {
namespace {

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

class CliTest : public ::testing::Test {
 protected:
  // Runs spate in its own empty working directory (so stray files are noticed), bounded in time.
  ProcessResult spate(const std::vector<std::string>& args) {
    ProcessOptions options;
    options.working_dir = cwd.path();
    options.time_limit = std::chrono::seconds(60);
    return run_spate(args, options);
  }
  // spate -d DIR ARGS...
  ProcessResult spate_into_dir(std::vector<std::string> args) {
    args.insert(args.begin(), {"-d", dir.path().string()});
    return spate(args);
  }
  std::filesystem::path file(const std::string& name) const { return dir.path() / name; }

  HttpServer server;
  TempDir dir;  // download destination (-d)
  TempDir cwd;  // the child's working directory
};

// --- Command line and exit statuses ---------------------------------------------------------

TEST_F(CliTest, VersionPrintsNameAndVersion) {
  for (const char* flag : {"--version", "-V"}) {
    const auto result = spate({flag});
    EXPECT_TRUE(result.exited(0)) << flag << ": " << result.describe();
    EXPECT_EQ(result.out.rfind(std::string("spate ") + version(), 0), 0U) << result.out;
    EXPECT_TRUE(contains(result.out, "libcurl")) << result.out;
  }
}

TEST_F(CliTest, HelpDocumentsOptionsAndExitCodes) {
  const auto result = spate({"--help"});
  ASSERT_TRUE(result.exited(0)) << result.describe();
  for (const char* text : {"Usage", "--split", "--dir", "--out", "--skip-existing", "Exit status",
                           "usage error", "130", "143"}) {
    EXPECT_TRUE(contains(result.out, text)) << "missing '" << text << "' in:\n" << result.out;
  }
  EXPECT_TRUE(cwd.list_files().empty());
}

TEST_F(CliTest, UnknownOptionIsAUsageError) {
  const auto result = spate({"--no-such-option", server.url("/gen/u.bin?size=10")});
  EXPECT_TRUE(result.exited(2)) << result.describe();
  EXPECT_TRUE(contains(result.err, "--no-such-option")) << result.err;
  EXPECT_TRUE(server.requests().empty());
  EXPECT_TRUE(cwd.list_files().empty());
}

TEST_F(CliTest, MissingUrlIsAUsageError) {
  const auto result = spate({"-d", dir.path().string()});
  EXPECT_TRUE(result.exited(2)) << result.describe();
  EXPECT_TRUE(contains(result.err, "nothing to download")) << result.err;
}

TEST_F(CliTest, OutWithTwoUrlsIsAUsageError) {
  const auto result =
      spate_into_dir({"-o", "x.bin", server.url("/gen/a.bin?size=10"), server.url("/gen/b.bin")});
  EXPECT_TRUE(result.exited(2)) << result.describe();
  EXPECT_TRUE(contains(result.err, "-o")) << result.err;
  EXPECT_TRUE(server.requests().empty());
  EXPECT_TRUE(dir.list_files().empty());
}

TEST_F(CliTest, OutOfRangeValuesAreUsageErrors) {
  const std::string url = server.url("/gen/v.bin?size=10");
  for (const std::vector<std::string>& args : {std::vector<std::string>{"-s", "0", url},
                                               {"-k", "1K", url},
                                               {"-k", "lots", url},
                                               {"--probe", "sideways", url},
                                               {"--overwrite", "--skip-existing", url}}) {
    const auto result = spate_into_dir(args);
    EXPECT_TRUE(result.exited(2)) << args[0] << " " << args[1] << ": " << result.describe();
    EXPECT_FALSE(result.err.empty()) << args[0];
  }
  EXPECT_TRUE(server.requests().empty());
  EXPECT_TRUE(dir.list_files().empty());
}

// --- Downloads --------------------------------------------------------------------------------

TEST_F(CliTest, DownloadsIntoDirWithExactBytesAndNoPartFile) {
  server.route("/data/file.bin", {.size = 3'000'000, .seed = 7});
  const std::string url = server.url("/data/file.bin");
  const auto result = spate_into_dir({url});
  ASSERT_TRUE(result.exited(0)) << result.describe();
  EXPECT_EQ(file_sha256(file("file.bin")), content_sha256(7, 3'000'000));
  EXPECT_EQ(dir.list_files(), std::vector<std::string>{"file.bin"});
  EXPECT_TRUE(contains(result.err, "saved " + file("file.bin").string())) << result.err;
  EXPECT_EQ(result.out, "");  // reports go to stderr; stdout stays clean for pipes
  EXPECT_TRUE(cwd.list_files().empty());
}

TEST_F(CliTest, DefaultDirectoryIsTheWorkingDirectory) {
  server.route("/here.bin", {.size = 20'000, .seed = 8});
  const auto result = spate({server.url("/here.bin")});
  ASSERT_TRUE(result.exited(0)) << result.describe();
  EXPECT_EQ(cwd.list_files(), std::vector<std::string>{"here.bin"});
  EXPECT_EQ(file_sha256(cwd.path() / "here.bin"), content_sha256(8, 20'000));
}

TEST_F(CliTest, OutNamesTheFile) {
  server.route("/data/file.bin", {.size = 100'000, .seed = 12});
  const auto result = spate_into_dir({"-o", "renamed.dat", server.url("/data/file.bin")});
  ASSERT_TRUE(result.exited(0)) << result.describe();
  EXPECT_EQ(dir.list_files(), std::vector<std::string>{"renamed.dat"});
  EXPECT_EQ(file_sha256(file("renamed.dat")), content_sha256(12, 100'000));
}

TEST_F(CliTest, NameFromUrlPathIsPercentDecoded) {
  const auto result = spate_into_dir({server.url("/gen/a%20b.bin?size=54321&seed=3")});
  ASSERT_TRUE(result.exited(0)) << result.describe();
  EXPECT_EQ(dir.list_files(), std::vector<std::string>{"a b.bin"});
  EXPECT_EQ(file_sha256(file("a b.bin")), content_sha256(3, 54'321));
  EXPECT_FALSE(server.requests_for("/gen/a%20b.bin").empty());
}

TEST_F(CliTest, EmptyPathIsSavedAsIndexHtml) {
  server.route("/", {.size = 4'096, .seed = 5});
  const auto result = spate_into_dir({server.url("/")});
  ASSERT_TRUE(result.exited(0)) << result.describe();
  EXPECT_EQ(dir.list_files(), std::vector<std::string>{"index.html"});
  EXPECT_EQ(file_sha256(file("index.html")), content_sha256(5, 4'096));
}

TEST_F(CliTest, NotFoundFailsWithTheUrlAndStatusAndLeavesNoFile) {
  const std::string url = server.url("/missing.bin");
  const auto result = spate_into_dir({url});
  EXPECT_TRUE(result.exited(1)) << result.describe();
  EXPECT_TRUE(contains(result.err, url)) << result.err;
  EXPECT_TRUE(contains(result.err, "404")) << result.err;
  EXPECT_TRUE(dir.list_files().empty());
  EXPECT_EQ(server.requests_for("/missing.bin").size(), 1U);  // final: not retried
}

TEST_F(CliTest, OneFailureAmongSeveralUrlsIsSummarisedAndTheOthersAreExact) {
  server.route("/one.bin", {.size = 300'000, .seed = 21});
  server.route("/three.bin", {.size = 70'000, .seed = 23});
  const std::string bad = server.url("/two.bin");
  const auto result = spate_into_dir(
      {server.url("/one.bin"), bad, server.url("/three.bin"), "--retry-wait", "0.01"});
  EXPECT_TRUE(result.exited(1)) << result.describe();
  EXPECT_EQ(file_sha256(file("one.bin")), content_sha256(21, 300'000));
  EXPECT_EQ(file_sha256(file("three.bin")), content_sha256(23, 70'000));
  EXPECT_EQ(dir.list_files(), (std::vector<std::string>{"one.bin", "three.bin"}));
  EXPECT_TRUE(contains(result.err, "2 of 3 downloads complete")) << result.err;
  EXPECT_TRUE(contains(result.err, "FAILED " + bad)) << result.err;
}

TEST_F(CliTest, QuietPrintsNothingOnSuccess) {
  server.route("/q.bin", {.size = 50'000, .seed = 31});
  const auto result = spate_into_dir({"-q", server.url("/q.bin")});
  ASSERT_TRUE(result.exited(0)) << result.describe();
  EXPECT_EQ(result.err, "");
  EXPECT_EQ(result.out, "");
  EXPECT_EQ(file_sha256(file("q.bin")), content_sha256(31, 50'000));
}

TEST_F(CliTest, QuietStillPrintsErrors) {
  server.route("/q.bin", {.size = 50'000, .seed = 31});
  const std::string bad = server.url("/nope.bin");
  const auto result = spate_into_dir({"--quiet", server.url("/q.bin"), bad});
  EXPECT_TRUE(result.exited(1)) << result.describe();
  EXPECT_TRUE(contains(result.err, bad)) << result.err;
  EXPECT_TRUE(contains(result.err, "404")) << result.err;
  EXPECT_FALSE(contains(result.err, "saved")) << result.err;
  EXPECT_EQ(file_sha256(file("q.bin")), content_sha256(31, 50'000));
}

TEST_F(CliTest, SegmentedDownloadIsExactAndUsesSeveralRequests) {
  constexpr std::int64_t kSize = std::int64_t{5} * 1024 * 1024;
  server.route("/big.bin", {.size = kSize, .seed = 41});
  const auto result = spate_into_dir({"-s", "4", "-k", "64K", server.url("/big.bin")});
  ASSERT_TRUE(result.exited(0)) << result.describe();
  EXPECT_EQ(file_sha256(file("big.bin")), content_sha256(41, kSize));
  EXPECT_EQ(dir.list_files(), std::vector<std::string>{"big.bin"});
  const auto requests = server.requests_for("/big.bin");
  EXPECT_GE(requests.size(), 4U);
  for (const auto& request : requests) EXPECT_FALSE(request.header("range").empty());
}

// --- Existing files ---------------------------------------------------------------------------

TEST_F(CliTest, ExistingFileIsKeptAndTheNewOneNumbered) {
  write_content_file(file("f.bin"), 99, 10);
  server.route("/f.bin", {.size = 1'000, .seed = 2});
  const auto result = spate_into_dir({server.url("/f.bin")});
  ASSERT_TRUE(result.exited(0)) << result.describe();
  EXPECT_EQ(file_sha256(file("f.bin")), content_sha256(99, 10));  // untouched
  EXPECT_EQ(file_sha256(file("f.1.bin")), content_sha256(2, 1'000));
  EXPECT_EQ(dir.list_files(), (std::vector<std::string>{"f.1.bin", "f.bin"}));
}

TEST_F(CliTest, OverwriteReplacesTheExistingFile) {
  write_content_file(file("f.bin"), 99, 200'000);  // longer than the new file: must not linger
  server.route("/f.bin", {.size = 1'000, .seed = 2});
  const auto result = spate_into_dir({"--overwrite", server.url("/f.bin")});
  ASSERT_TRUE(result.exited(0)) << result.describe();
  EXPECT_EQ(file_sha256(file("f.bin")), content_sha256(2, 1'000));
  EXPECT_EQ(dir.list_files(), std::vector<std::string>{"f.bin"});
}

TEST_F(CliTest, SkipExistingLeavesTheFileAndSucceedsWithoutARequest) {
  write_content_file(file("f.bin"), 99, 10);
  server.route("/f.bin", {.size = 1'000, .seed = 2});
  const auto result = spate_into_dir({"--skip-existing", server.url("/f.bin")});
  ASSERT_TRUE(result.exited(0)) << result.describe();
  EXPECT_EQ(file_sha256(file("f.bin")), content_sha256(99, 10));
  EXPECT_EQ(dir.list_files(), std::vector<std::string>{"f.bin"});
  EXPECT_TRUE(server.requests_for("/f.bin").empty());
  EXPECT_TRUE(contains(result.err, "skipped")) << result.err;
}

// Both jobs want NAME.part; the temp file is locked by its download, so the second one takes
// NAME.1.EXT instead of sharing (and corrupting) the first one's file.
TEST_F(CliTest, TwoUrlsWithTheSameNameInOneRunGetTwoExactFiles) {
  // Different content under one file name; both downloads overlap in time (throttled).
  server.route("/x/same.bin", {.size = 400'000, .seed = 51, .throttle_bps = 2'000'000});
  server.route("/y/same.bin", {.size = 300'000, .seed = 52, .throttle_bps = 2'000'000});
  const auto result = spate_into_dir({server.url("/x/same.bin"), server.url("/y/same.bin")});
  EXPECT_TRUE(result.exited(0)) << result.describe();
  EXPECT_EQ(dir.list_files(), (std::vector<std::string>{"same.1.bin", "same.bin"}));
  // Every file spate reported as saved must hold exactly one of the two contents.
  const std::vector<std::string> expected{content_sha256(51, 400'000), content_sha256(52, 300'000)};
  std::vector<std::string> digests;
  for (const auto& name : dir.list_files()) {
    digests.push_back(file_sha256(file(name)));
    EXPECT_TRUE(std::find(expected.begin(), expected.end(), digests.back()) != expected.end())
        << name << " (" << std::filesystem::file_size(file(name)) << " bytes) is corrupt";
  }
  std::sort(digests.begin(), digests.end());
  std::vector<std::string> sorted_expected = expected;
  std::sort(sorted_expected.begin(), sorted_expected.end());
  EXPECT_EQ(digests, sorted_expected);
}

// --- Retries ----------------------------------------------------------------------------------

TEST_F(CliTest, ServiceUnavailableWithRetryAfterIsRetried) {
  const std::string url =
      server.url("/gen/busy.bin?size=50000&seed=6&status=503&retry_after=0&faulty=1");
  const auto result = spate_into_dir({"--retry-wait", "0.01", url});
  ASSERT_TRUE(result.exited(0)) << result.describe();
  EXPECT_EQ(file_sha256(file("busy.bin")), content_sha256(6, 50'000));
  EXPECT_EQ(dir.list_files(), std::vector<std::string>{"busy.bin"});
  EXPECT_EQ(server.requests_for("/gen/busy.bin").size(), 2U);
  EXPECT_TRUE(contains(result.err, "retrying")) << result.err;
  EXPECT_TRUE(contains(result.err, "503")) << result.err;
}

// --- Signals --------------------------------------------------------------------------------

TEST_F(CliTest, InterruptStopsTheDownloadWithExitCode130) {
  // 20 MB at 2 MB/s: still running when the signal arrives.
  server.route("/slow.bin", {.size = 20'000'000, .seed = 61, .throttle_bps = 2'000'000});
  ProcessOptions options;
  options.working_dir = cwd.path();
  options.time_limit = std::chrono::seconds(60);
  auto child = ChildProcess::start(
      {spate_binary(), "-d", dir.path().string(), server.url("/slow.bin")}, options);
  // The handlers are installed before the first request goes out.
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (server.requests_for("/slow.bin").empty() && !child.finished() &&
         std::chrono::steady_clock::now() < give_up) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ASSERT_FALSE(server.requests_for("/slow.bin").empty());
  const auto signalled_at = std::chrono::steady_clock::now();
  child.signal(SIGINT);
  const auto result = child.wait();
  EXPECT_TRUE(result.exited(130)) << result.describe();
  EXPECT_LT(std::chrono::steady_clock::now() - signalled_at, std::chrono::seconds(5));
  EXPECT_FALSE(std::filesystem::exists(file("slow.bin")));  // never a truncated final file
}

}  // namespace
}  // namespace spate::testing
