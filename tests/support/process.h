// Runs a program as a child process for tests (fork + execve, no shell): argv, optional working
// directory and extra environment, stdin from /dev/null or a string, stdout and stderr captured in
// full (both pipes polled, so large output never deadlocks), a time limit after which the child's
// process group is killed with SIGKILL and the result says timed_out, and the exit status.
//
// Thread-safety: run_process()/run_spate() may be called from many threads at once. A ChildProcess
// is owned by one thread; its signal() may be called from any thread until wait() returns.
// Ownership: a ChildProcess owns its child and one helper thread that forks it, pumps its pipes and
// reaps it; the destructor kills a child that is still running and waits for it. The child gets
// PR_SET_PDEATHSIG=SIGKILL (tied to the helper thread), so it never outlives the test process.
#pragma once

#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <sys/types.h>
#include <vector>

namespace spate::testing {

struct ProcessOptions {
  std::filesystem::path working_dir{};             // empty: the test's own working directory
  std::map<std::string, std::string> extra_env{};  // added to (or replacing in) the environment
  std::optional<std::string> stdin_data{};         // nullopt: stdin is /dev/null
  std::chrono::milliseconds time_limit{60'000};    // then SIGKILL and timed_out = true
};

struct ProcessResult {
  int exit_code = -1;      // the exit status when the child exited normally, else -1
  int term_signal = 0;     // the signal that ended the child, else 0 (SIGKILL after a timeout)
  bool timed_out = false;  // the time limit was reached and the child was killed
  std::string out, err;    // everything written to stdout and stderr

  bool exited(int code) const { return !timed_out && term_signal == 0 && exit_code == code; }
  // One line for assertion messages: status, then stderr (cut to a few KB).
  std::string describe() const;
};

class ChildProcess {
 public:
  // Starts argv[0] (a path; a bare name is looked up in $PATH) with `argv`. Returns once the
  // program has been exec'd; throws std::runtime_error when it cannot be started (missing
  // program, bad working directory, fork/pipe failure).
  static ChildProcess start(const std::vector<std::string>& argv,
                            const ProcessOptions& options = {});

  ChildProcess(ChildProcess&&) noexcept;
  ChildProcess& operator=(ChildProcess&&) noexcept;
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;
  ~ChildProcess();  // kills (SIGKILL) a child still running, then reaps it
  // A moved-from ChildProcess may only be destroyed or assigned to.

  pid_t pid() const;
  // Sends `signal_number` to the child (not its process group); a no-op once it has been reaped,
  // so a recycled pid is never hit.
  void signal(int signal_number);
  // True once the child has ended (it may not have been reaped yet).
  bool finished() const;
  // Waits for the child to end (bounded by the time limit) and for its pipes to close; returns
  // the result. Call at most once.
  ProcessResult wait();

 private:
  struct State;
  explicit ChildProcess(std::unique_ptr<State> state);
  void kill_and_join() noexcept;

  std::unique_ptr<State> state_;
};

// Starts the program and waits for it: ChildProcess::start(argv, options).wait().
ProcessResult run_process(const std::vector<std::string>& argv, const ProcessOptions& options = {});

// Runs the spate binary built by this tree (SPATE_BINARY) with `args` after argv[0].
ProcessResult run_spate(const std::vector<std::string>& args, const ProcessOptions& options = {});

// The path of the spate binary under test.
std::string spate_binary();

}  // namespace spate::testing
