// The child-process runner the CLI tests rely on: exit codes, signals, time limits, large output
// on both pipes at once, stdin, working directory and environment, and the async form.
#include "support/process.h"

#include "support/temp_dir.h"

#include <gtest/gtest.h>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace spate::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::steady_clock;

ProcessOptions limited(milliseconds limit = milliseconds(20'000)) {
  ProcessOptions options;
  options.time_limit = limit;
  return options;
}

ProcessResult shell(const std::string& script, const ProcessOptions& options = limited()) {
  return run_process({"/bin/sh", "-c", script}, options);
}

TEST(ProcessTest, ReportsTheExitCodeAndBothStreams) {
  const auto result = shell("echo out; echo err >&2; exit 7");
  EXPECT_EQ(result.exit_code, 7);
  EXPECT_EQ(result.term_signal, 0);
  EXPECT_FALSE(result.timed_out);
  EXPECT_EQ(result.out, "out\n");
  EXPECT_EQ(result.err, "err\n");
  EXPECT_TRUE(result.exited(7));
  EXPECT_FALSE(result.exited(0));
}

TEST(ProcessTest, ArgumentsArePassedVerbatimWithoutAShell) {
  const auto result =
      run_process({"/bin/sh", "-c", "printf '[%s]' \"$@\"", "sh", "a b", "$HOME", "*"}, limited());
  ASSERT_TRUE(result.exited(0)) << result.describe();
  EXPECT_EQ(result.out, "[a b][$HOME][*]");
}

TEST(ProcessTest, ReportsTheSignalThatEndedTheChild) {
  const auto result = shell("echo before; kill -TERM $$; echo after");
  EXPECT_EQ(result.term_signal, SIGTERM);
  EXPECT_EQ(result.exit_code, -1);
  EXPECT_FALSE(result.timed_out);
  EXPECT_EQ(result.out, "before\n");
}

TEST(ProcessTest, TimeLimitKillsTheChildAndItsGrandchildren) {
  const auto begin = steady_clock::now();
  // The shell forks `sleep` (it is not the last command): the grandchild holds stdout open too.
  const auto result = shell("echo started; sleep 30; echo never", limited(milliseconds(300)));
  const auto elapsed = steady_clock::now() - begin;
  EXPECT_TRUE(result.timed_out);
  EXPECT_EQ(result.term_signal, SIGKILL);
  EXPECT_EQ(result.out, "started\n");
  EXPECT_LT(elapsed, std::chrono::seconds(10));
  EXPECT_GE(elapsed, milliseconds(300));
}

TEST(ProcessTest, LargeOutputOnBothPipesDoesNotDeadlock) {
  // 3 MB on stderr first, then 3 MB on stdout: far beyond the pipe buffers, so a runner that
  // read one stream to its end before the other would hang until the time limit.
  constexpr int kSize = 3'000'000;
  const auto result = shell(
      "head -c 3000000 /dev/zero | tr '\\0' e >&2; "
      "head -c 3000000 /dev/zero | tr '\\0' o");
  ASSERT_TRUE(result.exited(0)) << result.describe().substr(0, 200);
  EXPECT_EQ(result.out, std::string(kSize, 'o'));
  EXPECT_EQ(result.err, std::string(kSize, 'e'));
}

TEST(ProcessTest, StdinStringIsDeliveredWhileOutputIsRead) {
  // 2 MB through `cat`: the runner must write stdin and read stdout at the same time.
  std::string input;
  for (int i = 0; input.size() < 2'000'000; ++i) input += "line " + std::to_string(i) + "\n";
  ProcessOptions options = limited();
  options.stdin_data = input;
  const auto result = run_process({"cat"}, options);
  ASSERT_TRUE(result.exited(0)) << result.describe();
  EXPECT_EQ(result.out.size(), input.size());
  EXPECT_TRUE(result.out == input);
}

TEST(ProcessTest, StdinIsEmptyByDefaultAndAChildThatIgnoresItIsFine) {
  const auto from_null = run_process({"cat"}, limited());
  ASSERT_TRUE(from_null.exited(0)) << from_null.describe();
  EXPECT_EQ(from_null.out, "");
  // A child that exits without reading a large stdin: EPIPE, not a SIGPIPE in the test process.
  ProcessOptions options = limited();
  options.stdin_data = std::string(1'000'000, 'x');
  const auto ignored = shell("exit 4", options);
  EXPECT_TRUE(ignored.exited(4)) << ignored.describe();
}

TEST(ProcessTest, WorkingDirectoryAndExtraEnvironment) {
  TempDir dir;
  ProcessOptions options = limited();
  options.working_dir = dir.path();
  options.extra_env = {{"SPATE_PROCESS_TEST", "a=b c"}, {"HOME", "/nowhere"}};
  const auto result =
      shell("pwd -P; echo \"$SPATE_PROCESS_TEST\"; echo \"$HOME\"; echo x > f", options);
  ASSERT_TRUE(result.exited(0)) << result.describe();
  EXPECT_EQ(result.out, std::filesystem::canonical(dir.path()).string() + "\na=b c\n/nowhere\n");
  EXPECT_EQ(dir.list_files(), std::vector<std::string>{"f"});
}

TEST(ProcessTest, ProgramThatCannotStartThrows) {
  EXPECT_THROW(run_process({"/nonexistent/program"}, limited()), std::runtime_error);
  EXPECT_THROW(run_process({"no-such-program-spate-test"}, limited()), std::runtime_error);
  ProcessOptions options = limited();
  options.working_dir = "/nonexistent/dir";
  EXPECT_THROW(run_process({"/bin/sh", "-c", "true"}, options), std::runtime_error);
  EXPECT_THROW(run_process({}, limited()), std::runtime_error);
}

TEST(ProcessTest, AsyncChildCanBeSignalledAndWaitedFor) {
  auto child = ChildProcess::start({"sleep", "30"}, limited());
  EXPECT_GT(child.pid(), 0);
  EXPECT_FALSE(child.finished());
  const auto begin = steady_clock::now();
  child.signal(SIGINT);
  const auto result = child.wait();
  EXPECT_EQ(result.term_signal, SIGINT);
  EXPECT_FALSE(result.timed_out);
  EXPECT_LT(steady_clock::now() - begin, std::chrono::seconds(10));
  child.signal(SIGKILL);  // after reaping: a no-op, never a recycled pid
}

TEST(ProcessTest, AsyncChildIsFinishedOnceItExits) {
  auto child = ChildProcess::start({"/bin/sh", "-c", "exit 3"}, limited());
  const auto give_up = steady_clock::now() + std::chrono::seconds(10);
  while (!child.finished() && steady_clock::now() < give_up) {
    std::this_thread::sleep_for(milliseconds(1));
  }
  EXPECT_TRUE(child.finished());
  EXPECT_TRUE(child.wait().exited(3));
}

TEST(ProcessTest, DestructorKillsARunningChild) {
  pid_t pid = 0;
  {
    auto child = ChildProcess::start({"sleep", "30"}, limited());
    pid = child.pid();
    ASSERT_EQ(::kill(pid, 0), 0);
  }
  // Killed and reaped: the pid no longer names a process (not even a zombie).
  errno = 0;
  EXPECT_EQ(::kill(pid, 0), -1);
  EXPECT_EQ(errno, ESRCH);
}

TEST(ProcessTest, ChildProcessIsMovable) {
  auto first = ChildProcess::start({"/bin/sh", "-c", "echo moved"}, limited());
  ChildProcess second = std::move(first);
  const auto result = second.wait();
  EXPECT_TRUE(result.exited(0));
  EXPECT_EQ(result.out, "moved\n");
}

}  // namespace
}  // namespace spate::testing
