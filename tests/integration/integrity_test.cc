// Integrity and hostile names: checksums verified (in order while streaming, after for segments),
// and any name a server suggests becomes one safe file inside the target directory.
#include "support/content.h"
#include "support/http_server.h"
#include "support/run_session.h"
#include "support/temp_dir.h"

#include <gtest/gtest.h>

namespace spate::testing {
namespace {

class IntegrityTest : public ::testing::Test {
 protected:
  Task task(const std::string& path, int split = 4) {
    Task t{server.url(path), dir.path() / "out", "", quick_task_options()};
    t.options.split = split;
    return t;
  }
  std::vector<std::string> files() const {
    std::vector<std::string> names;
    for (const auto& entry : std::filesystem::recursive_directory_iterator(dir.path())) {
      names.push_back(std::filesystem::relative(entry.path(), dir.path()).string());
    }
    std::sort(names.begin(), names.end());
    return names;
  }

  HttpServer server;
  TempDir dir;
};

TEST_F(IntegrityTest, MatchingChecksumForSegmentsAndForOneStream) {
  server.route("/seg.bin", {.size = 3'000'000, .seed = 81});
  server.route("/one.bin", {.size = 1'000'000, .seed = 82, .ranges = false});
  Task segmented = task("/seg.bin");
  segmented.options.checksum = Checksum{HashType::Sha256, content_sha256(81, 3'000'000)};
  Task stream = task("/one.bin");
  stream.options.checksum = Checksum{HashType::Sha256, content_sha256(82, 1'000'000)};
  const auto outcome = run_session({segmented, stream});
  ASSERT_EQ(outcome.finished.size(), 2U);
  for (const auto& finished : outcome.finished) {
    EXPECT_TRUE(finished.digest.starts_with("sha-256=")) << finished.digest;
  }
}

TEST_F(IntegrityTest, MismatchIsAClearErrorAndNothingIsKept) {
  server.route("/f.bin", {.size = 500'000, .seed = 83});
  Task t = task("/f.bin");
  const std::string wrong(64, 'a');
  t.options.checksum = Checksum{HashType::Sha256, wrong};
  const auto outcome = run_task(t);
  ASSERT_EQ(outcome.failed.size(), 1U);
  const Error& error = outcome.failed[0].error;
  EXPECT_EQ(error.kind, ErrorKind::ChecksumMismatch);
  EXPECT_NE(error.message.find(wrong), std::string::npos);                        // expected
  EXPECT_NE(error.message.find(content_sha256(83, 500'000)), std::string::npos);  // actual
  EXPECT_EQ(files(), std::vector<std::string>{"out"});  // no final file, no .part
}

TEST_F(IntegrityTest, ContentDispositionNamesTheFile) {
  server.route(
      "/download",
      {.size = 1000, .seed = 84, .content_disposition = "attachment; filename=\"report.pdf\""});
  const auto outcome = run_task(task("/download"));
  ASSERT_EQ(outcome.finished.size(), 1U);
  EXPECT_EQ(outcome.finished[0].path, dir.path() / "out" / "report.pdf");
  EXPECT_EQ(file_sha256(dir.path() / "out" / "report.pdf"), content_sha256(84, 1000));
}

TEST_F(IntegrityTest, Rfc8187NameWins) {
  server.route("/d",
               {.size = 10,
                .seed = 85,
                .content_disposition =
                    "attachment; filename=\"x.txt\"; filename*=UTF-8''%e2%82%ac%20rates.txt"});
  const auto outcome = run_task(task("/d", 1));
  ASSERT_EQ(outcome.finished.size(), 1U);
  EXPECT_EQ(outcome.finished[0].path.filename(), "\xe2\x82\xac rates.txt");
}

TEST_F(IntegrityTest, HostileNamesNeverLeaveTheTargetDirectory) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"attachment; filename=\"../../escape.txt\"", "escape.txt"},
      {"attachment; filename=\"/etc/passwd\"", "passwd"},
      {"attachment; filename=\"..\"", "h2"},
      {"attachment; filename=\"a/b\"", "b"},
      {"attachment; filename=\"a\\\\..\\\\b.txt\"", "b.txt"},
      {"attachment; filename*=UTF-8''%ff%fe%00bad", "h5"},
  };
  for (std::size_t i = 0; i < cases.size(); ++i) {
    const std::string path = "/h" + std::to_string(i);
    server.route(path, {.size = 100, .seed = 86, .content_disposition = cases[i].first});
    const auto outcome = run_task(task(path, 1));
    ASSERT_EQ(outcome.finished.size(), 1U) << cases[i].first;
    EXPECT_EQ(outcome.finished[0].path.parent_path(), dir.path() / "out") << cases[i].first;
    EXPECT_EQ(outcome.finished[0].path.filename(), cases[i].second) << cases[i].first;
  }
  // A 5,000-byte name is cut to one valid file name of at most 255 bytes, extension kept.
  server.route("/long", {.size = 100,
                         .seed = 87,
                         .content_disposition =
                             "attachment; filename=\"" + std::string(5000, 'n') + ".txt\""});
  const auto outcome = run_task(task("/long", 1));
  ASSERT_EQ(outcome.finished.size(), 1U);
  const std::string name = outcome.finished[0].path.filename().string();
  EXPECT_LE(name.size(), 255U);
  EXPECT_TRUE(name.ends_with(".txt")) << name;
  for (const auto& entry : files()) EXPECT_FALSE(entry.starts_with("..")) << entry;
}

TEST_F(IntegrityTest, ContentDispositionCanBeTurnedOff) {
  server.route(
      "/named.bin",
      {.size = 10, .seed = 88, .content_disposition = "attachment; filename=\"other.bin\""});
  Task t = task("/named.bin", 1);
  t.options.content_disposition = false;
  const auto outcome = run_task(t);
  ASSERT_EQ(outcome.finished.size(), 1U);
  EXPECT_EQ(outcome.finished[0].path.filename(), "named.bin");
}

}  // namespace
}  // namespace spate::testing
