// The library example (examples/download_list.cc) is built and run against the fault server.
#include "support/content.h"
#include "support/http_server.h"
#include "support/process.h"
#include "support/temp_dir.h"

#include <gtest/gtest.h>

namespace spate::testing {
namespace {

TEST(ExampleTest, DownloadsAListAndReportsEachResult) {
  HttpServer server;
  TempDir dir;
  server.route("/one.bin", {.size = 300'000, .seed = 1});
  server.route("/two.bin", {.size = 5'000'000, .seed = 2});
  const auto result =
      run_process({SPATE_EXAMPLE_BINARY, dir.path().string(), server.url("/one.bin"),
                   server.url("/two.bin"), server.url("/missing.bin")});
  EXPECT_TRUE(result.exited(1)) << result.describe();
  EXPECT_NE(result.out.find("ok " + (dir.path() / "one.bin").string() + " 300000"),
            std::string::npos)
      << result.out;
  EXPECT_NE(result.out.find("failed " + server.url("/missing.bin")), std::string::npos)
      << result.out;
  EXPECT_EQ(file_sha256(dir.path() / "one.bin"), content_sha256(1, 300'000));
  EXPECT_EQ(file_sha256(dir.path() / "two.bin"), content_sha256(2, 5'000'000));
  EXPECT_EQ(dir.list_files(), (std::vector<std::string>{"one.bin", "two.bin"}));
}

}  // namespace
}  // namespace spate::testing
