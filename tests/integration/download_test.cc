// One URL over one connection, end to end through Session and libcurl against the local fault
// server: exact bytes, the requests the server saw, clean failures.
#include "support/content.h"
#include "support/http_server.h"
#include "support/run_session.h"
#include "support/temp_dir.h"

#include <gtest/gtest.h>

namespace spate::testing {
namespace {

class DownloadTest : public ::testing::Test {
 protected:
  Task task(const std::string& path, int split = 1) {
    Task t{server.url(path), dir.path(), "", quick_task_options()};
    t.options.split = split;
    return t;
  }
  std::filesystem::path file(const std::string& name) const { return dir.path() / name; }

  HttpServer server;
  TempDir dir;
};

TEST_F(DownloadTest, SavesUnderTheUrlNameWithExactBytes) {
  server.route("/data/file.bin", {.size = 3'000'000, .seed = 7});
  const auto outcome = run_task(task("/data/file.bin"));
  ASSERT_EQ(outcome.finished.size(), 1U);
  EXPECT_EQ(outcome.finished[0].path, file("file.bin"));
  EXPECT_EQ(outcome.finished[0].bytes, 3'000'000);
  EXPECT_EQ(file_sha256(file("file.bin")), content_sha256(7, 3'000'000));
  EXPECT_EQ(dir.list_files(), std::vector<std::string>{"file.bin"});
  // The probe is a ranged GET: size and Range support in-band, no HEAD round trip.
  const auto requests = server.requests_for("/data/file.bin");
  ASSERT_EQ(requests.size(), 1U);
  EXPECT_EQ(requests[0].method, "GET");
  EXPECT_EQ(requests[0].header("range"), "bytes=0-");
}

TEST_F(DownloadTest, ServerWithoutRangesGivesOneStreamFromOneRequest) {
  server.route("/f", {.size = 2'500'000, .seed = 3, .ranges = false});
  const auto outcome = run_task(task("/f", 8));
  ASSERT_EQ(outcome.finished.size(), 1U)
      << (outcome.failed.empty() ? "" : outcome.failed[0].error.message);
  EXPECT_EQ(file_sha256(file("f")), content_sha256(3, 2'500'000));
  EXPECT_EQ(server.requests_for("/f").size(), 1U);
  ASSERT_EQ(outcome.started.size(), 1U);
  EXPECT_FALSE(outcome.started[0].ranges_supported);
}

TEST_F(DownloadTest, NoContentLengthStreamsUntilClose) {
  server.route("/f", {.size = 1'234'567, .seed = 4, .ranges = false, .no_content_length = true});
  const auto outcome = run_task(task("/f", 4));
  ASSERT_EQ(outcome.finished.size(), 1U);
  EXPECT_EQ(file_sha256(file("f")), content_sha256(4, 1'234'567));
}

TEST_F(DownloadTest, ChunkedBodyOfUnknownSize) {
  server.route("/f", {.size = 777'777, .seed = 5, .ranges = false, .chunked = true});
  const auto outcome = run_task(task("/f"));
  ASSERT_EQ(outcome.finished.size(), 1U);
  EXPECT_EQ(file_sha256(file("f")), content_sha256(5, 777'777));
}

TEST_F(DownloadTest, EmptyFile) {
  server.route("/empty", {.size = 0});
  const auto outcome = run_task(task("/empty"));
  ASSERT_EQ(outcome.finished.size(), 1U)
      << (outcome.failed.empty() ? "" : outcome.failed[0].error.message);
  EXPECT_EQ(outcome.finished[0].bytes, 0);
  EXPECT_TRUE(std::filesystem::exists(file("empty")));
  EXPECT_EQ(std::filesystem::file_size(file("empty")), 0U);
}

TEST_F(DownloadTest, NotFoundFailsWithTheStatusAndLeavesNothing) {
  const auto outcome = run_task(task("/missing.bin"));
  ASSERT_EQ(outcome.failed.size(), 1U);
  EXPECT_EQ(outcome.failed[0].error.kind, ErrorKind::HttpStatus);
  EXPECT_EQ(outcome.failed[0].error.http_status, 404);
  EXPECT_NE(outcome.failed[0].error.message.find("404"), std::string::npos);
  EXPECT_EQ(outcome.failed[0].attempts, 1);  // final: not retried
  EXPECT_TRUE(dir.list_files().empty());
}

TEST_F(DownloadTest, FollowsRedirects) {
  server.route("/old", {.status = 302, .location = "/new/target.bin"});
  server.route("/new/target.bin", {.size = 100'000, .seed = 9});
  const auto outcome = run_task(task("/old"));
  ASSERT_EQ(outcome.finished.size(), 1U);
  EXPECT_EQ(file_sha256(outcome.finished[0].path), content_sha256(9, 100'000));
}

TEST_F(DownloadTest, RedirectLoopIsBounded) {
  server.route("/loop", {.status = 302, .location = "/loop"});
  Task t = task("/loop");
  t.options.max_redirects = 5;
  const auto outcome = run_task(t);
  ASSERT_EQ(outcome.failed.size(), 1U);
  EXPECT_EQ(outcome.failed[0].error.kind, ErrorKind::TooManyRedirects);
  EXPECT_LE(server.requests_for("/loop").size(), 6U);
  EXPECT_TRUE(dir.list_files().empty());
}

TEST_F(DownloadTest, OutNameAndExistingFileIsNotOverwritten) {
  server.route("/f", {.size = 1000, .seed = 2});
  std::filesystem::create_directories(dir.path());
  write_content_file(file("keep.bin"), 99, 10);
  Task t = task("/f");
  t.out = "keep.bin";
  const auto outcome = run_task(t);
  ASSERT_EQ(outcome.finished.size(), 1U);
  EXPECT_EQ(outcome.finished[0].path, file("keep.1.bin"));
  EXPECT_EQ(file_sha256(file("keep.bin")), content_sha256(99, 10));  // untouched
  EXPECT_EQ(file_sha256(file("keep.1.bin")), content_sha256(2, 1000));
}

TEST_F(DownloadTest, ServiceUnavailableWithRetryAfterIsRetried) {
  server.route(
      "/f", {.size = 50'000, .seed = 6, .status = 503, .retry_after = "0", .faulty_requests = 1});
  const auto outcome = run_task(task("/f"));
  ASSERT_EQ(outcome.finished.size(), 1U);
  ASSERT_EQ(outcome.retries.size(), 1U);
  EXPECT_EQ(outcome.retries[0].reason.http_status, 503);
  EXPECT_EQ(file_sha256(file("f")), content_sha256(6, 50'000));
}

TEST_F(DownloadTest, GivesUpAfterMaxTries) {
  server.route("/f", {.size = 10, .status = 500});
  Task t = task("/f");
  t.options.max_tries = 3;
  const auto outcome = run_task(t);
  ASSERT_EQ(outcome.failed.size(), 1U);
  EXPECT_EQ(outcome.failed[0].attempts, 3);
  EXPECT_EQ(server.requests_for("/f").size(), 3U);
  EXPECT_TRUE(dir.list_files().empty());
}

TEST_F(DownloadTest, ConnectionRefusedIsAConnectError) {
  std::string url;
  {
    HttpServer gone;
    url = gone.url("/f");
  }  // nothing listens there now
  Task t{url, dir.path(), "", quick_task_options()};
  t.options.max_tries = 2;
  const auto outcome = run_task(t);
  ASSERT_EQ(outcome.failed.size(), 1U);
  EXPECT_EQ(outcome.failed[0].error.kind, ErrorKind::Connect);
  EXPECT_TRUE(dir.list_files().empty());
}

TEST_F(DownloadTest, InvalidUrlFailsWithoutARequest) {
  Task t{"gopher://127.0.0.1/x", dir.path(), "", quick_task_options()};
  const auto outcome = run_task(t);
  ASSERT_EQ(outcome.failed.size(), 1U);
  EXPECT_EQ(outcome.failed[0].error.kind, ErrorKind::InvalidUrl);
}

TEST_F(DownloadTest, ShortBodyOnOneStreamIsRetriedFromScratch) {
  // No ranges: a cut stream cannot be continued, so the retry starts over and the file is exact.
  server.route("/f", {.size = 400'000,
                      .seed = 8,
                      .ranges = false,
                      .close_after_bytes = 100'000,
                      .faulty_requests = 1});
  const auto outcome = run_task(task("/f"));
  ASSERT_EQ(outcome.finished.size(), 1U);
  EXPECT_EQ(outcome.retries.size(), 1U);
  EXPECT_EQ(file_sha256(file("f")), content_sha256(8, 400'000));
}

}  // namespace
}  // namespace spate::testing
