// The spate command against a real nginx that the test starts itself (own config, loopback,
// free port): 1 GiB exact, a server that ignores Range, and per-connection rate limits.
#include "support/content.h"
#include "support/nginx_server.h"
#include "support/process.h"
#include "support/temp_dir.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>

namespace spate::testing {
namespace {

class NginxDownloadTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!NginxServer::available()) GTEST_SKIP() << "nginx is not installed (scripts/bootstrap)";
    std::filesystem::create_directories(docroot.path());
  }
  ProcessResult spate(const std::vector<std::string>& args) {
    std::vector<std::string> all = {"-q", "-d", out.path().string()};
    all.insert(all.end(), args.begin(), args.end());
    ProcessOptions options;
    options.time_limit = std::chrono::minutes(3);
    return run_spate(all, options);
  }

  TempDir docroot;
  TempDir out;
};

TEST_F(NginxDownloadTest, OneGibibyteIsExact) {
  constexpr std::int64_t kSize = std::int64_t{1} << 30;
  write_content_file(docroot.path() / "big.bin", 42, kSize);
  NginxServer nginx(docroot.path());
  const auto result = spate({nginx.url("big.bin")});
  ASSERT_TRUE(result.exited(0)) << result.describe();
  EXPECT_EQ(file_sha256(out.path() / "big.bin"), content_sha256(42, kSize));
  EXPECT_EQ(out.list_files(), std::vector<std::string>{"big.bin"});
  const auto log = nginx.wait_for_entries(2);
  EXPECT_EQ(log.front().status, 206);  // the in-band probe, then one range per connection
}

TEST_F(NginxDownloadTest, RangeIgnoredGivesOneExactStream) {
  constexpr std::int64_t kSize = 50'000'000;
  write_content_file(docroot.path() / "f.bin", 7, kSize);
  NginxServer nginx(docroot.path(), {.ranges = false});
  const auto result = spate({"-s", "8", nginx.url("f.bin")});
  ASSERT_TRUE(result.exited(0)) << result.describe();
  EXPECT_EQ(file_sha256(out.path() / "f.bin"), content_sha256(7, kSize));
  const auto log = nginx.wait_for_entries(1);
  ASSERT_EQ(log.size(), 1U);  // the probe's 200 body was the download: one request
  EXPECT_EQ(log[0].status, 200);
}

TEST_F(NginxDownloadTest, PerConnectionRateLimitIsSplitAcross) {
  constexpr std::int64_t kSize = 24'000'000;
  write_content_file(docroot.path() / "slow.bin", 9, kSize);
  NginxServer nginx(docroot.path(), {.limit_rate = 4'000'000});
  const auto result = spate({"-s", "6", "-k", "1M", nginx.url("slow.bin")});
  ASSERT_TRUE(result.exited(0)) << result.describe();
  EXPECT_EQ(file_sha256(out.path() / "slow.bin"), content_sha256(9, kSize));
  EXPECT_GE(nginx.wait_for_entries(6).size(), 6U);
}

TEST_F(NginxDownloadTest, SplitDownloadIsSentEachByteOnce) {
  // Four 6 MiB segments with -k 4M: no remainder is ever large enough to steal (2 x 4 MiB) or to
  // hand to a fresh connection (4 MiB), so nothing may be sent twice. (With -k 1M a connection
  // that finishes early rightly steals, and the cut victim's bytes in flight are sent twice.)
  constexpr std::int64_t kSize = std::int64_t{24} * 1024 * 1024;
  write_content_file(docroot.path() / "once.bin", 13, kSize);
  NginxServer nginx(docroot.path(), {.limit_rate = 4'000'000});
  const auto result = spate({"-s", "4", "-k", "4M", nginx.url("once.bin")});
  ASSERT_TRUE(result.exited(0)) << result.describe();
  EXPECT_EQ(file_sha256(out.path() / "once.bin"), content_sha256(13, kSize));
  const auto log = nginx.wait_for_entries(5);
  std::int64_t sent = 0;
  std::set<std::uint64_t> connections;
  for (const auto& entry : log) {
    sent += entry.body_bytes_sent;
    connections.insert(entry.connection);
  }
  EXPECT_EQ(sent, kSize) << nginx.access_log();
  // Four connections for four segments: the probe's connection was reused, not dropped.
  EXPECT_EQ(connections.size(), 4U) << nginx.access_log();
  // The probe asks for one minimum segment; the rest of segment 0 is a request of its own.
  const auto probe = std::find_if(log.begin(), log.end(), [](const AccessLogEntry& entry) {
    return entry.range == "bytes=0-4194303";
  });
  ASSERT_NE(probe, log.end()) << nginx.access_log();
  EXPECT_EQ(probe->body_bytes_sent, 4 * 1024 * 1024);
  const auto rest = std::find_if(log.begin(), log.end(), [](const AccessLogEntry& entry) {
    return entry.range.starts_with("bytes=4194304-");
  });
  EXPECT_NE(rest, log.end()) << nginx.access_log();
}

TEST_F(NginxDownloadTest, RemoteTimeThenConditionalGetSkipsAnUnchangedFile) {
  write_content_file(docroot.path() / "c.bin", 11, 300'000);
  const auto remote_time = std::filesystem::file_time_type::clock::now() - std::chrono::hours(48);
  std::filesystem::last_write_time(docroot.path() / "c.bin",
                                   std::chrono::time_point_cast<std::chrono::seconds>(remote_time));
  NginxServer nginx(docroot.path());
  ASSERT_TRUE(spate({"-R", nginx.url("c.bin")}).exited(0));
  EXPECT_EQ(std::filesystem::last_write_time(out.path() / "c.bin"),
            std::filesystem::last_write_time(docroot.path() / "c.bin"));

  // Unchanged: nginx answers 304 and the copy stays as it is.
  const auto again = spate({"--conditional-get", nginx.url("c.bin")});
  ASSERT_TRUE(again.exited(0)) << again.describe();
  EXPECT_EQ(out.list_files(), std::vector<std::string>{"c.bin"});
  EXPECT_EQ(nginx.wait_for_entries(2).back().status, 304);

  // Changed on the server: downloaded again, replacing the old copy under its own name.
  write_content_file(docroot.path() / "c.bin", 12, 200'000);
  const auto changed = spate({"--conditional-get", nginx.url("c.bin")});
  ASSERT_TRUE(changed.exited(0)) << changed.describe();
  EXPECT_EQ(out.list_files(), std::vector<std::string>{"c.bin"});
  EXPECT_EQ(file_sha256(out.path() / "c.bin"), content_sha256(12, 200'000));
}

}  // namespace
}  // namespace spate::testing
