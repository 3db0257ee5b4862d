// Resume: an interrupted download keeps NAME.part and its state file; a rerun continues from the
// bytes already written (with If-Range), starts over when the remote changed, and rejects a
// corrupted or foreign state file with a notice.
#include "support/content.h"
#include "support/http_server.h"
#include "support/run_session.h"
#include "support/temp_dir.h"

#include <gtest/gtest.h>

#include <fstream>

namespace spate::testing {
namespace {

constexpr std::int64_t kSize = std::int64_t{6} * 1024 * 1024;

class ResumeTest : public ::testing::Test {
 protected:
  Task task() {
    Task t{server.url("/f.bin"), dir.path(), "", quick_task_options()};
    t.options.split = 4;
    t.options.min_split_size = std::int64_t{256} * 1024;
    t.options.state_interval = std::chrono::milliseconds(50);
    return t;
  }
  std::filesystem::path file(const std::string& name = "f.bin") const { return dir.path() / name; }

  // Runs `t` until at least `bytes` were written, then cancels the session.
  void interrupt_after(const Task& t, std::int64_t bytes) {
    auto session = Session::create({}).value();
    ASSERT_TRUE(session->submit(t));
    session->close();
    std::vector<Event> events;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    bool cancelled = false;
    while (!session->idle() && std::chrono::steady_clock::now() < deadline) {
      session->wait_for_event(std::chrono::milliseconds(20));
      events.clear();
      session->pop_events(events);
      for (const auto& event : events) {
        if (const auto* progress = std::get_if<TaskProgress>(&event);
            progress != nullptr && progress->downloaded >= bytes && !cancelled) {
          session->cancel();
          cancelled = true;
        }
        if (const auto* failed = std::get_if<TaskFailed>(&event)) last_failure = failed->error;
      }
    }
    ASSERT_TRUE(cancelled) << "the download ended before it could be interrupted";
  }

  std::int64_t first_range_begin_of_last_run(std::size_t requests_before) const {
    const auto seen = server.requests_for("/f.bin");
    const std::string range = seen.at(requests_before).header("range");
    return std::stoll(range.substr(6));
  }

  HttpServer server;
  TempDir dir;
  Error last_failure;
};

TEST_F(ResumeTest, CancelledDownloadKeepsItsBytesAndARerunContinues) {
  server.route("/f.bin", {.size = kSize, .seed = 31, .throttle_bps = 3'000'000});
  interrupt_after(task(), 1'000'000);
  EXPECT_EQ(last_failure.kind, ErrorKind::Cancelled);
  EXPECT_NE(last_failure.message.find("kept"), std::string::npos) << last_failure.message;
  EXPECT_EQ(dir.list_files(), (std::vector<std::string>{"f.bin.part", "f.bin.part.spate"}));

  server.route("/f.bin", {.size = kSize, .seed = 31});
  const std::size_t before = server.requests_for("/f.bin").size();
  const auto outcome = run_task(task());
  ASSERT_EQ(outcome.finished.size(), 1U) << outcome.failed.at(0).error.message;
  EXPECT_EQ(file_sha256(file()), content_sha256(31, kSize));
  EXPECT_EQ(dir.list_files(), std::vector<std::string>{"f.bin"});  // state file removed
  const auto rerun = server.requests_for("/f.bin");
  EXPECT_GT(first_range_begin_of_last_run(before), 0) << "the rerun fetched from byte 0";
  EXPECT_EQ(rerun.at(before).header("if-range"), "\"v1\"");
}

TEST_F(ResumeTest, ChangedRemoteStartsOverCleanly) {
  server.route("/f.bin", {.size = kSize, .seed = 32, .throttle_bps = 3'000'000});
  interrupt_after(task(), 1'000'000);
  // The new version: another ETag and other bytes. The If-Range probe gets a 200.
  server.route("/f.bin", {.size = kSize, .seed = 33, .etag = "\"v9\""});
  const auto outcome = run_task(task());
  ASSERT_EQ(outcome.finished.size(), 1U) << outcome.failed.at(0).error.message;
  EXPECT_EQ(file_sha256(file()), content_sha256(33, kSize));
  EXPECT_EQ(dir.list_files(), std::vector<std::string>{"f.bin"});
}

TEST_F(ResumeTest, CorruptedStateFileIsRejectedWithANoticeAndTheDownloadRestarts) {
  server.route("/f.bin", {.size = kSize, .seed = 34, .throttle_bps = 3'000'000});
  interrupt_after(task(), 1'000'000);
  {
    std::fstream state(file("f.bin.part.spate"), std::ios::in | std::ios::out | std::ios::binary);
    state.seekp(20);
    state.put('#');  // one flipped byte: the SHA-256 trailer no longer matches
  }
  server.route("/f.bin", {.size = kSize, .seed = 34});
  const std::size_t before = server.requests_for("/f.bin").size();
  auto session = Session::create({}).value();
  ASSERT_TRUE(session->submit(task()));
  session->close();
  session->wait();
  std::vector<Event> events;
  session->pop_events(events);
  bool noticed = false;
  for (const auto& event : events) {
    if (const auto* notice = std::get_if<TaskNotice>(&event)) {
      noticed = notice->message.find("corrupted") != std::string::npos;
    }
  }
  EXPECT_TRUE(noticed);
  EXPECT_EQ(file_sha256(file()), content_sha256(34, kSize));
  EXPECT_EQ(first_range_begin_of_last_run(before), 0);
}

TEST_F(ResumeTest, ForeignStateFileIsNeverMixedIn) {
  server.route("/f.bin", {.size = kSize, .seed = 35, .throttle_bps = 3'000'000});
  interrupt_after(task(), 1'000'000);
  // Another URL whose file has the same name: it must not continue the first one's bytes.
  server.route("/other/f.bin", {.size = kSize, .seed = 36});
  Task other = task();
  other.url = server.url("/other/f.bin");
  const auto outcome = run_task(other);
  ASSERT_EQ(outcome.finished.size(), 1U);
  EXPECT_EQ(file_sha256(file()), content_sha256(36, kSize));
}

TEST_F(ResumeTest, ContinueModeTrustsABarePartFile) {
  server.route("/f.bin", {.size = kSize, .seed = 37});
  // A partial file left by another tool: the first 2,500,000 bytes, no state file.
  {
    std::ofstream part(file("f.bin.part"), std::ios::binary);
    std::vector<char> head(2'500'000);
    fill_content(37, 0, head);
    part.write(head.data(), static_cast<std::streamsize>(head.size()));
  }
  Task t = task();
  t.options.resume = ResumeMode::Continue;
  const auto outcome = run_task(t);
  ASSERT_EQ(outcome.finished.size(), 1U) << outcome.failed.at(0).error.message;
  EXPECT_EQ(file_sha256(file()), content_sha256(37, kSize));
  EXPECT_EQ(first_range_begin_of_last_run(0), 2'500'000);
}

TEST_F(ResumeTest, NoContinueStartsOver) {
  server.route("/f.bin", {.size = kSize, .seed = 38, .throttle_bps = 3'000'000});
  interrupt_after(task(), 1'000'000);
  server.route("/f.bin", {.size = kSize, .seed = 38});
  const std::size_t before = server.requests_for("/f.bin").size();
  Task t = task();
  t.options.resume = ResumeMode::Never;
  const auto outcome = run_task(t);
  ASSERT_EQ(outcome.finished.size(), 1U);
  EXPECT_EQ(file_sha256(file()), content_sha256(38, kSize));
  EXPECT_EQ(first_range_begin_of_last_run(before), 0);
}

TEST_F(ResumeTest, RetriesRunningOutKeepTheBytesButAFinalErrorLeavesNothing) {
  // Every connection is cut after 300 KB: the download gives up but what arrived is resumable.
  server.route("/f.bin", {.size = kSize, .seed = 39, .close_after_bytes = 300'000});
  Task t = task();
  t.options.max_tries = 3;
  const auto outcome = run_task(t);
  ASSERT_EQ(outcome.failed.size(), 1U);
  EXPECT_EQ(dir.list_files(), (std::vector<std::string>{"f.bin.part", "f.bin.part.spate"}));
  server.route("/f.bin", {.size = kSize, .seed = 39});
  ASSERT_EQ(run_task(task()).finished.size(), 1U);
  EXPECT_EQ(file_sha256(file()), content_sha256(39, kSize));

  const auto gone =
      run_task(Task{server.url("/missing.bin"), dir.path(), "", quick_task_options()});
  ASSERT_EQ(gone.failed.size(), 1U);
  EXPECT_EQ(dir.list_files(), std::vector<std::string>{"f.bin"});
}

}  // namespace
}  // namespace spate::testing
