// --shard K/N over one input list: the shards together fetch every entry exactly once, and a
// rerun of a shard with --skip-existing fetches nothing again.
#include "support/content.h"
#include "support/http_server.h"
#include "support/process.h"
#include "support/temp_dir.h"

#include <gtest/gtest.h>

#include <chrono>
#include <csignal>
#include <fstream>
#include <functional>
#include <map>
#include <string>
#include <thread>

namespace spate::testing {
namespace {

// Writes the input list url_for(0) ... url_for(count - 1), one per line, into `lists`.
std::filesystem::path write_list(const TempDir& lists, int count,
                                 const std::function<std::string(int)>& url_for) {
  auto list = lists.path() / "list.txt";
  std::ofstream out(list);
  for (int i = 0; i < count; ++i) out << url_for(i) << "\n";
  return list;
}

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

// A rerun over a list whose files are all there ends every job in the pass that starts it. The
// network thread then slept a whole poll timeout (1 s) before taking the next slotful from the
// queue: 96 files at -j 4 took about 24 s. It takes milliseconds now; 10 s is far beyond either.
TEST(ShardCliTest, ARerunThatSkipsEveryFileDoesNotWaitBetweenBatches) {
  HttpServer server;
  TempDir dir;
  TempDir lists;
  constexpr int kEntries = 96;
  const auto name = [](int i) { return "s" + std::to_string(i) + ".bin"; };
  for (int i = 0; i < kEntries; ++i) std::ofstream(dir.path() / name(i)) << "already here";
  const auto list = write_list(lists, kEntries,
                               [&](int i) { return server.url("/gen/" + name(i) + "?size=1000"); });
  const auto start = std::chrono::steady_clock::now();
  const auto result = run_spate(
      {"-j", "4", "-d", dir.path().string(), "-i", list.string(), "--skip-existing", "--json"});
  const auto took = std::chrono::steady_clock::now() - start;
  ASSERT_TRUE(result.exited(0)) << result.describe();
  EXPECT_NE(result.out.find("\"skipped\":96"), std::string::npos) << result.out.substr(0, 2000);
  EXPECT_TRUE(server.requests().empty());
  EXPECT_LT(took, std::chrono::seconds(10));
}

TEST(ShardCliTest, RestartAfterKillNineFinishesOnlyWhatIsMissing) {
  HttpServer server;
  TempDir dir;
  TempDir lists;
  // Enough entries that each shard keeps several unfinished when the kill lands, however the
  // hash (of URLs with a random port) splits them and however late the kill comes under load.
  constexpr int kEntries = 24;
  // Throttled so that a kill lands while some files are done and others are not.
  const auto list = write_list(lists, kEntries, [&](int i) {
    return server.url("/gen/k" + std::to_string(i) +
                      ".bin?size=200000&throttle=400000&seed=" + std::to_string(i));
  });
  const std::vector<std::string> args = {"-q",
                                         "-j",
                                         "2",
                                         "-s",
                                         "1",
                                         "-d",
                                         dir.path().string(),
                                         "-i",
                                         list.string(),
                                         "--shard",
                                         "0/2",
                                         "--skip-existing"};
  std::vector<std::string> argv = args;
  argv.insert(argv.begin(), spate_binary());
  auto child = ChildProcess::start(argv);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  const auto finished_files = [&] {
    std::size_t done = 0;
    for (const auto& name : dir.list_files()) done += name.ends_with(".bin") ? 1U : 0U;
    return done;
  };
  while (finished_files() < 2 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  child.signal(SIGKILL);
  child.wait();
  std::vector<std::string> complete_before;
  for (const auto& name : dir.list_files()) {
    if (name.ends_with(".bin")) complete_before.push_back(name);
  }
  ASSERT_GE(complete_before.size(), 2U);
  std::map<std::string, std::size_t> requests_before;
  for (const auto& request : server.requests()) ++requests_before[request.path];

  const auto rerun = run_spate(args);
  ASSERT_TRUE(rerun.exited(0)) << rerun.describe();
  std::map<std::string, std::size_t> requests_after;
  for (const auto& request : server.requests()) ++requests_after[request.path];
  // Files complete before the kill are not fetched again; the rest of the shard is finished.
  for (const auto& name : complete_before) {
    EXPECT_EQ(requests_after["/gen/" + name], requests_before["/gen/" + name]) << name;
  }
  std::size_t mine = 0;
  for (int i = 0; i < kEntries; ++i) {
    const std::string name = "k" + std::to_string(i) + ".bin";
    if (requests_after["/gen/" + name] == 0) continue;  // the other shard's entry
    ++mine;
    EXPECT_EQ(file_sha256(dir.path() / name), content_sha256(static_cast<std::uint64_t>(i), 200000))
        << name;
  }
  EXPECT_GT(mine, complete_before.size());
  for (const auto& name : dir.list_files()) EXPECT_TRUE(name.ends_with(".bin")) << name;
}

TEST(ShardCliTest, BadShardIsAUsageError) {
  const auto result = run_spate({"--shard", "3/3", "http://127.0.0.1:1/x"});
  EXPECT_TRUE(result.exited(2)) << result.describe();
}

}  // namespace
}  // namespace spate::testing
