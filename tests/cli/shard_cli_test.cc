// --shard K/N over one input list: the shards together fetch every entry exactly once, and a
// rerun of a shard with --skip-existing fetches nothing again.
#include "support/content.h"
#include "support/http_server.h"
#include "support/process.h"
#include "support/temp_dir.h"

#include <gtest/gtest.h>

#include <fstream>

namespace spate::testing {
namespace {

TEST(ShardCliTest, ShardsAreDisjointAndCompleteAndRerunsSkipWhatIsDone) {
  HttpServer server;
  TempDir dir;
  TempDir lists;
  constexpr int kEntries = 60;
  const auto list = lists.path() / "list.txt";
  {
    std::ofstream out(list);
    out << "# sixty small files\n";
    for (int i = 0; i < kEntries; ++i) {
      out << server.url("/gen/f" + std::to_string(i) + ".bin?size=1000&seed=" + std::to_string(i))
          << "\n";
    }
  }
  for (int k = 0; k < 3; ++k) {
    const auto result = run_spate({"-q", "-d", dir.path().string(), "-i", list.string(), "--shard",
                                   std::to_string(k) + "/3"});
    ASSERT_TRUE(result.exited(0)) << result.describe();
  }
  EXPECT_EQ(dir.list_files().size(), static_cast<std::size_t>(kEntries));
  for (int i = 0; i < kEntries; ++i) {
    const std::string name = "f" + std::to_string(i) + ".bin";
    EXPECT_EQ(server.requests_for("/gen/" + name).size(), 1U) << name;
    EXPECT_EQ(file_sha256(dir.path() / name), content_sha256(static_cast<std::uint64_t>(i), 1000));
  }
  const std::size_t before = server.requests().size();
  const auto rerun = run_spate(
      {"-q", "-d", dir.path().string(), "-i", list.string(), "--shard", "1/3", "--skip-existing"});
  ASSERT_TRUE(rerun.exited(0)) << rerun.describe();
  EXPECT_EQ(server.requests().size(), before);
}

TEST(ShardCliTest, BadShardIsAUsageError) {
  const auto result = run_spate({"--shard", "3/3", "http://127.0.0.1:1/x"});
  EXPECT_TRUE(result.exited(2)) << result.describe();
}

}  // namespace
}  // namespace spate::testing
