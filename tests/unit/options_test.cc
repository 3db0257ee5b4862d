// The command line: how -x follows -s and -j unless it is given, and that the parsed values land
// in the Session and Task options.
#include "cli/options.h"

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

namespace spate::cli {
namespace {

CliOptions parse(std::vector<std::string> args) {
  args.insert(args.begin(), "spate");
  std::vector<const char*> argv;
  argv.reserve(args.size());
  for (const auto& arg : args) argv.push_back(arg.c_str());
  auto outcome = parse_command_line(static_cast<int>(argv.size()), argv.data());
  EXPECT_TRUE(outcome.options.has_value()) << "exit code " << outcome.exit_code;
  return outcome.options ? *outcome.options : CliOptions{};
}

TEST(OptionsTest, PerHostCapDefaultsToEight) {
  const auto options = parse({"http://h/f"});
  EXPECT_EQ(options.session.max_connections_per_host, 8);
  EXPECT_EQ(options.task.split, 8);
}

TEST(OptionsTest, PerHostCapFollowsSplitAndJobsWhenNotGiven) {
  EXPECT_EQ(parse({"-s", "16", "http://h/f"}).session.max_connections_per_host, 16);
  EXPECT_EQ(parse({"-j", "20", "http://h/f"}).session.max_connections_per_host, 20);
  EXPECT_EQ(parse({"-s", "4", "-j", "3", "http://h/f"}).session.max_connections_per_host, 8);
  EXPECT_EQ(parse({"-s", "12", "-j", "30", "http://h/f"}).session.max_connections_per_host, 30);
}

TEST(OptionsTest, AGivenPerHostCapIsKept) {
  const auto options = parse({"-s", "16", "-j", "16", "-x", "4", "http://h/f"});
  EXPECT_EQ(options.session.max_connections_per_host, 4);
  EXPECT_EQ(options.task.split, 16);
  EXPECT_EQ(options.session.max_concurrent_downloads, 16);
}

TEST(OptionsTest, WithoutSplitTheExtraConnectionsWaitForASlowDownload) {
  const auto options = parse({"http://h/f"});
  EXPECT_EQ(options.task.split, 8);
  EXPECT_EQ(options.task.split_after, std::chrono::seconds(1));
}

TEST(OptionsTest, AGivenSplitOpensItsConnectionsAtOnce) {
  EXPECT_EQ(parse({"-s", "4", "http://h/f"}).task.split_after, std::chrono::milliseconds(0));
  EXPECT_EQ(parse({"--split", "1", "http://h/f"}).task.split_after, std::chrono::milliseconds(0));
}

TEST(OptionsTest, AGivenSplitAfterIsKept) {
  EXPECT_FALSE(parse({"-s", "4", "http://h/f"}).split_after_given);
  EXPECT_TRUE(parse({"--split-after", "1", "http://h/f"}).split_after_given);
  EXPECT_EQ(parse({"-s", "4", "--split-after", "2.5", "http://h/f"}).task.split_after,
            std::chrono::milliseconds(2500));
  EXPECT_EQ(parse({"--split-after", "0", "http://h/f"}).task.split_after,
            std::chrono::milliseconds(0));
}

TEST(OptionsTest, ManyJobsAreCappedAtTheLargestPerHostValue) {
  EXPECT_EQ(parse({"-j", "5000", "http://h/f"}).session.max_connections_per_host, 256);
}

}  // namespace
}  // namespace spate::cli
