// The façade the CLI drives: the closing "Download results" table (exact text, bounded rows,
// every failure), quiet mode, the exit status, and --json routing (NDJSON on the machine stream,
// human lines on the other, a summary object at the end).
#include "reporter.h"

#include "download_results.h"
#include "exit_codes.h"
#include "support/memory_file.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <sstream>
#include <string>
#include <vector>

namespace spate::cli {
namespace {

using spate::testing::MemoryFile;

TaskFinished ok(TaskId id, const std::string& name, std::int64_t bytes, double seconds) {
  return {id, "http://h/" + name, "/d/" + name, bytes, seconds, 1, false};
}

TaskFailed err(TaskId id, const std::string& name, std::string message, int attempts) {
  return {id, "http://h/" + name, Error{ErrorKind::HttpStatus, std::move(message), 404}, attempts};
}

std::size_t count(const std::string& text, const std::string& part) {
  std::size_t n = 0;
  for (auto pos = text.find(part); pos != std::string::npos; pos = text.find(part, pos + 1)) ++n;
  return n;
}

TEST(DownloadResultsTest, TableOfEveryKindOfOutcome) {
  DownloadResults results;
  results.add(ok(1, "one.bin", std::int64_t{3} * 1024 * 1024, 2.0));
  results.add(err(2, "two.bin", "HTTP 404 Not Found", 1));
  TaskFinished skipped = ok(3, "three.bin", 1024, 0);
  skipped.skipped = true;
  results.add(skipped);
  EXPECT_EQ(results.render(false, 2.5),
            "Download results:\n"
            "stat   avg speed      size  path/URL\n"
            "OK    1.50 MiB/s  3.00 MiB  /d/one.bin\n"
            "ERR            -         -  http://h/two.bin\n"
            "SKIP           -  1.00 KiB  /d/three.bin\n"
            "2 of 3 downloads complete (3.00 MiB in 2.5s, 1 skipped), 1 failed\n"
            "  FAILED http://h/two.bin: HTTP 404 Not Found (attempts: 1)\n");
  EXPECT_EQ(results.render(true, 2.5),
            "2 of 3 downloads complete (3.00 MiB in 2.5s, 1 skipped), 1 failed\n"
            "  FAILED http://h/two.bin: HTTP 404 Not Found (attempts: 1)\n");
  EXPECT_EQ(results.totals().succeeded, 2U);
  EXPECT_EQ(results.totals().skipped, 1U);
  EXPECT_EQ(results.totals().failed, 1U);
  EXPECT_EQ(results.totals().bytes, std::int64_t{3} * 1024 * 1024);
}

TEST(DownloadResultsTest, NothingForASingleSuccessOrAQuietSuccessfulRun) {
  DownloadResults results;
  results.add(ok(1, "one.bin", 10, 1));
  EXPECT_EQ(results.render(false, 1), "");
  results.add(ok(2, "two.bin", 10, 1));
  EXPECT_NE(results.render(false, 1), "");
  EXPECT_EQ(results.render(true, 1), "");
}

TEST(DownloadResultsTest, ASingleFailureIsSummarised) {
  DownloadResults results;
  results.add(err(1, "x", "HTTP 404", 1));
  const std::string text = results.render(false, 1);
  EXPECT_EQ(count(text, "ERR "), 1U);
  EXPECT_EQ(count(text, "  FAILED http://h/x: HTTP 404 (attempts: 1)\n"), 1U);
}

// A million-URL run must not print a million rows: successes stop after 20, failures never do.
TEST(DownloadResultsTest, SuccessRowsAreBoundedAndEveryFailureIsListed) {
  DownloadResults results;
  for (TaskId id = 1; id <= 100'000; ++id) {
    if (id % 1000 == 0) {
      results.add(err(id, "bad" + std::to_string(id), "HTTP 404", 2));
    } else {
      results.add(ok(id, "f" + std::to_string(id), 1, 1));
    }
  }
  const std::string text = results.render(false, 60);
  EXPECT_EQ(count(text, "\nOK "), 20U);
  EXPECT_EQ(count(text, "\nERR "), 100U);
  EXPECT_EQ(count(text, "  FAILED http://h/bad"), 100U);
  EXPECT_EQ(count(text, "... and 99880 more succeeded\n"), 1U);
  EXPECT_EQ(count(text, "99900 of 100000 downloads complete (97.6 KiB in 1m00s), 100 failed\n"),
            1U);
  EXPECT_LT(count(text, "\n"), 250U);
}

class ReporterTest : public ::testing::Test {
 protected:
  Reporter make(ReporterOptions options) {
    return Reporter(human.file(), machine.file(), options, [this] { return now; });
  }
  std::vector<nlohmann::json> machine_lines() const {
    std::vector<nlohmann::json> out;
    std::istringstream lines(machine.text());
    for (std::string line; std::getline(lines, line);) out.push_back(nlohmann::json::parse(line));
    return out;
  }

  MemoryFile human;
  MemoryFile machine;
  Reporter::Clock::time_point now{};
};

TEST_F(ReporterTest, PlainRunWithAFailure) {
  Reporter reporter = make({});
  reporter.on_event(TaskQueued{1, "http://h/one.bin"});
  reporter.on_event(TaskQueued{2, "http://h/two.bin"});
  now += std::chrono::milliseconds(1500);
  reporter.on_event(ok(1, "one.bin", 3000, 1.5));
  reporter.on_event(err(2, "two.bin", "HTTP 404 Not Found", 1));
  reporter.tick();
  reporter.print_summary();
  EXPECT_EQ(human.text(),
            "saved /d/one.bin (2.93 KiB in 1.50s, 1.95 KiB/s)\n"
            "error: http://h/two.bin: HTTP 404 Not Found\n"
            "Download results:\n"
            "stat   avg speed      size  path/URL\n"
            "OK    1.95 KiB/s  2.93 KiB  /d/one.bin\n"
            "ERR            -         -  http://h/two.bin\n"
            "1 of 2 downloads complete (2.93 KiB in 1.5s), 1 failed\n"
            "  FAILED http://h/two.bin: HTTP 404 Not Found (attempts: 1)\n");
  EXPECT_EQ(machine.text(), "");  // no --json: stdout stays clean
  EXPECT_EQ(reporter.exit_code(), kExitDownloadFailed);
  EXPECT_EQ(reporter.finished(), 1U);
  EXPECT_EQ(reporter.failed(), 1U);
}

TEST_F(ReporterTest, SingleSuccessIsOneLineAndExitsZero) {
  Reporter reporter = make({});
  reporter.on_event(TaskQueued{1, "http://h/one.bin"});
  reporter.on_event(ok(1, "one.bin", 10, 1));
  reporter.print_summary();
  EXPECT_EQ(human.text(), "saved /d/one.bin (10 B in 1.00s, 10 B/s)\n");
  EXPECT_EQ(reporter.exit_code(), kExitOk);
}

TEST_F(ReporterTest, QuietSuccessPrintsNothing) {
  ReporterOptions options;
  options.quiet = true;
  Reporter reporter = make(options);
  for (TaskId id = 1; id <= 3; ++id) reporter.on_event(ok(id, "f" + std::to_string(id), 10, 1));
  reporter.print_summary();
  EXPECT_EQ(human.text(), "");
  EXPECT_EQ(reporter.exit_code(), kExitOk);
}

TEST_F(ReporterTest, JsonGoesToTheMachineStreamWithASummary) {
  ReporterOptions options;
  options.json = true;
  options.terminal = TerminalInfo{true, 80, 24};
  Reporter reporter = make(options);
  reporter.on_event(TaskQueued{1, "http://h/one.bin"});
  reporter.on_event(TaskQueued{2, "http://h/two.bin"});
  reporter.on_event(TaskStarted{1, "http://h/one.bin", "/d/one.bin", 3000, true, 2});
  reporter.on_event(TaskProgress{1, 1000, 3000, 1000, 2});
  now += std::chrono::seconds(3);
  reporter.on_event(ok(1, "one.bin", 3000, 3));
  reporter.on_event(err(2, "two.bin", "HTTP 404 Not Found", 2));
  reporter.print_summary();
  const auto lines = machine_lines();
  ASSERT_EQ(lines.size(), 7U);
  const std::vector<std::string> events = {"queued",   "queued", "started", "progress",
                                           "finished", "failed", "summary"};
  for (std::size_t i = 0; i < lines.size(); ++i) EXPECT_EQ(lines[i]["event"], events[i]);
  EXPECT_EQ(lines[6], nlohmann::json::parse(R"({"v":1,"event":"summary","total":2,"succeeded":1,
      "skipped":0,"failed":1,"bytes":3000,"seconds":3.0})"));
  // The human view still runs on its own stream (a terminal here), and ends with the table.
  const std::string text = human.text();
  EXPECT_NE(text.find("\x1b[K"), std::string::npos);
  EXPECT_NE(text.find("FAILED http://h/two.bin"), std::string::npos);
  EXPECT_EQ(text.find('{'), std::string::npos);
}

}  // namespace
}  // namespace spate::cli
