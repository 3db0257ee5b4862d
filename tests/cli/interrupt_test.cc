// The spate command under kill -9, SIGINT and a full disk: nothing wrong is ever left under the
// final name, what arrived is kept, and a rerun finishes exactly without fetching from byte 0.
#include "support/content.h"
#include "support/http_server.h"
#include "support/process.h"
#include "support/temp_dir.h"

#include <gtest/gtest.h>

#include <cerrno>
#include <csignal>
#include <sys/mount.h>
#include <system_error>
#include <thread>
#include <unistd.h>

namespace spate::testing {
namespace {

constexpr std::int64_t kSize = std::int64_t{8} * 1024 * 1024;

class InterruptTest : public ::testing::Test {
 protected:
  std::vector<std::string> args() const {
    return {"-q", "-s", "4", "-k", "256K", "-d", dir.path().string(), server.url("/f.bin")};
  }
  std::filesystem::path file(const std::string& name) const { return dir.path() / name; }

  // Waits (bounded) until the running download saved resume state at least once.
  bool wait_for_state_file() const {
    for (int i = 0; i < 500; ++i) {
      if (std::filesystem::exists(file("f.bin.part.spate"))) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return false;
  }

  std::int64_t first_range_begin_from(std::size_t request_index) const {
    const auto seen = server.requests_for("/f.bin");
    return std::stoll(seen.at(request_index).header("range").substr(6));
  }

  HttpServer server;
  TempDir dir;
};

TEST_F(InterruptTest, KillNineAtSeveralPointsThenRerunIsExactAndContinues) {
  for (const int delay_ms : {0, 300, 900}) {
    SCOPED_TRACE(delay_ms);
    std::filesystem::remove_all(dir.path());
    std::filesystem::create_directories(dir.path());
    server.route("/f.bin", {.size = kSize, .seed = 61, .throttle_bps = 400'000});
    auto child = ChildProcess::start([&] {
      auto argv = args();
      argv.insert(argv.begin(), spate_binary());
      return argv;
    }());
    ASSERT_TRUE(wait_for_state_file());
    std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms));
    child.signal(SIGKILL);
    const auto killed = child.wait();
    EXPECT_EQ(killed.term_signal, SIGKILL);
    EXPECT_FALSE(std::filesystem::exists(file("f.bin")));

    server.route("/f.bin", {.size = kSize, .seed = 61});
    const std::size_t before = server.requests_for("/f.bin").size();
    const auto rerun = run_spate(args());
    ASSERT_TRUE(rerun.exited(0)) << rerun.describe();
    EXPECT_EQ(file_sha256(file("f.bin")), content_sha256(61, kSize));
    EXPECT_EQ(dir.list_files(), std::vector<std::string>{"f.bin"});
    EXPECT_GT(first_range_begin_from(before), 0) << "the rerun fetched from byte 0";
  }
}

TEST_F(InterruptTest, SigintKeepsWhatArrivedAndExits130) {
  server.route("/f.bin", {.size = kSize, .seed = 62, .throttle_bps = 400'000});
  auto argv = args();
  argv.erase(argv.begin());  // not quiet: the kept bytes are reported
  argv.insert(argv.begin(), spate_binary());
  auto child = ChildProcess::start(argv);
  ASSERT_TRUE(wait_for_state_file());
  const auto start = std::chrono::steady_clock::now();
  child.signal(SIGINT);
  const auto result = child.wait();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
  EXPECT_TRUE(result.exited(130)) << result.describe();
  EXPECT_NE(result.err.find("kept in"), std::string::npos) << result.err;
  EXPECT_EQ(dir.list_files(), (std::vector<std::string>{"f.bin.part", "f.bin.part.spate"}));

  server.route("/f.bin", {.size = kSize, .seed = 62});
  const std::size_t before = server.requests_for("/f.bin").size();
  const auto rerun = run_spate(args());
  ASSERT_TRUE(rerun.exited(0)) << rerun.describe();
  EXPECT_EQ(file_sha256(file("f.bin")), content_sha256(62, kSize));
  EXPECT_GT(first_range_begin_from(before), 0);
}

TEST_F(InterruptTest, FullDiskIsAClearErrorAndLeavesNoFinalFile) {
  if (::geteuid() != 0) GTEST_SKIP() << "mounting a small tmpfs needs root";
  const auto small = dir.path() / "small";
  std::filesystem::create_directories(small);
  if (::mount("tmpfs", small.c_str(), "tmpfs", 0, "size=1m") != 0) {
    GTEST_SKIP() << "cannot mount a tmpfs here: "
                 << std::error_code(errno, std::system_category()).message();
  }
  server.route("/f.bin", {.size = kSize, .seed = 63});
  const auto result =
      run_spate({"-q", "-s", "4", "-k", "256K", "-d", small.string(), server.url("/f.bin")});
  const auto left = [&] {
    std::vector<std::string> names;
    for (const auto& entry : std::filesystem::directory_iterator(small)) {
      names.push_back(entry.path().filename().string());
    }
    return names;
  }();
  ::umount2(small.c_str(), MNT_DETACH);
  EXPECT_TRUE(result.exited(1)) << result.describe();
  EXPECT_NE(result.err.find("f.bin"), std::string::npos) << result.err;
  EXPECT_NE(result.err.find("space"), std::string::npos) << result.err;
  EXPECT_EQ(std::count(left.begin(), left.end(), "f.bin"), 0);
}

}  // namespace
}  // namespace spate::testing
