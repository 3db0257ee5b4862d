#include "support/process.h"

#include <algorithm>
#include <array>
#include <cerrno>
#include <climits>
#include <condition_variable>
#include <csignal>
#include <cstdlib>
#include <fcntl.h>
#include <mutex>
#include <poll.h>
#include <stdexcept>
#include <string_view>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <system_error>
#include <thread>
#include <unistd.h>
#include <utility>

#if __has_include(<linux/close_range.h>)
#include <linux/close_range.h>
#endif

extern char** environ;  // NOLINT: POSIX global, read before fork

namespace spate::testing {
namespace {

using Clock = std::chrono::steady_clock;

// What the child reports through the close-on-exec error pipe when it cannot exec.
struct ExecFailure {
  int stage = 0;  // one of the kStage constants
  int error = 0;  // errno
};
constexpr int kStageDup = 1;
constexpr int kStageChdir = 2;
constexpr int kStageExec = 3;

class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() { reset(); }
  int get() const { return fd_; }
  void reset(int fd = -1) noexcept {
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
  }

 private:
  int fd_ = -1;
};

void make_pipe(Fd& read_end, Fd& write_end) {
  std::array<int, 2> fds{};
  if (::pipe2(fds.data(), O_CLOEXEC) != 0) {
    throw std::runtime_error("pipe2 failed: " +
                             std::error_code(errno, std::system_category()).message());
  }
  read_end.reset(fds[0]);
  write_end.reset(fds[1]);
}

// argv[0] as a path: kept when it contains '/', else the first executable match in $PATH.
std::string resolve_program(const std::string& name) {
  if (name.find('/') != std::string::npos) return name;
  const char* path = std::getenv("PATH");  // NOLINT(concurrency-mt-unsafe): read-only use
  std::string dirs = path != nullptr ? path : "/usr/bin:/bin";
  for (std::size_t begin = 0; begin <= dirs.size();) {
    std::size_t end = dirs.find(':', begin);
    if (end == std::string::npos) end = dirs.size();
    std::string dir = dirs.substr(begin, end - begin);
    if (dir.empty()) dir = ".";
    std::string candidate = dir + "/";
    candidate += name;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
    begin = end + 1;
  }
  return name;  // execve will fail with ENOENT and start() reports it
}

// The parent's environment with `extra` added or replacing entries of the same name.
std::vector<std::string> build_environment(const std::map<std::string, std::string>& extra) {
  std::vector<std::string> env;
  for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
    const std::string_view text(*entry);
    const std::string name(text.substr(0, text.find('=')));
    if (extra.find(name) == extra.end()) env.emplace_back(text);
  }
  for (const auto& [name, value] : extra) env.emplace_back(name).append("=").append(value);
  return env;
}

std::vector<char*> pointers_to(std::vector<std::string>& strings) {
  std::vector<char*> pointers;
  pointers.reserve(strings.size() + 1);
  for (auto& s : strings) pointers.push_back(s.data());
  pointers.push_back(nullptr);
  return pointers;
}

// In the child, between fork and exec: async-signal-safe calls only.
[[noreturn]] void exec_child(const char* program, char* const* argv, char* const* envp,
                             const char* working_dir, int stdin_fd, int stdout_fd, int stderr_fd,
                             int error_fd, int max_fd) {
  ExecFailure failure;
  ::setpgid(0, 0);  // own group: a timeout kills grandchildren too
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  // The forking thread blocks SIGPIPE and the test may ignore signals: give the program defaults.
  // (The forked child has only this one thread: hence the NOLINT.)
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);  // NOLINT(concurrency-mt-unsafe)
  struct sigaction default_action {};
  default_action.sa_handler = SIG_DFL;
  for (const int signal_number : {SIGPIPE, SIGINT, SIGTERM, SIGQUIT, SIGHUP}) {
    ::sigaction(signal_number, &default_action, nullptr);
  }
  if (::dup2(stdin_fd, 0) < 0 || ::dup2(stdout_fd, 1) < 0 || ::dup2(stderr_fd, 2) < 0) {
    failure = {kStageDup, errno};
  } else if (working_dir != nullptr && ::chdir(working_dir) != 0) {
    failure = {kStageChdir, errno};
  } else {
    // Descriptors the test process holds (server sockets, other children's pipes) must not leak.
    bool marked = false;
#if defined(SYS_close_range) && defined(CLOSE_RANGE_CLOEXEC)
    marked = ::syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC) == 0;
#endif
    for (int fd = 3; !marked && fd < max_fd; ++fd) ::fcntl(fd, F_SETFD, FD_CLOEXEC);
    ::execve(program, argv, envp);
    failure = {kStageExec, errno};
  }
  ssize_t ignored = ::write(error_fd, &failure, sizeof failure);
  (void)ignored;
  ::_exit(127);
}

std::string describe_failure(const ExecFailure& failure, const std::string& program,
                             const std::filesystem::path& working_dir) {
  const std::string reason = std::error_code(failure.error, std::system_category()).message();
  switch (failure.stage) {
    case kStageChdir:
      return "cannot chdir to " + working_dir.string() + ": " + reason;
    case kStageDup:
      return "dup2 failed: " + reason;
    default:
      return "cannot execute " + program + ": " + reason;
  }
}

}  // namespace

struct ChildProcess::State {
  std::vector<std::string> argv;
  ProcessOptions options;

  std::mutex mutex;  // guards the fields below
  std::condition_variable started_cv;
  bool started = false;
  std::string start_error;  // set when the child could not be started
  pid_t pid = -1;
  bool reaped = false;
  ProcessResult result;  // written by the helper thread only; read after join

  std::thread thread;

  void run() noexcept;
  void launch(Fd& stdin_write, Fd& stdout_read, Fd& stderr_read);
  void pump(Fd& stdin_write, Fd& stdout_read, Fd& stderr_read, Clock::time_point deadline);
  void reap(Clock::time_point deadline);
  void kill_group() {
    std::lock_guard lock(mutex);
    if (pid <= 0 || reaped) return;
    ::kill(-pid, SIGKILL);  // the group: grandchildren may hold the pipes open
    ::kill(pid, SIGKILL);
  }
  void report_start(std::string error) {
    std::lock_guard lock(mutex);
    started = true;
    start_error = std::move(error);
    started_cv.notify_all();
  }
};

void ChildProcess::State::run() noexcept {
  // Writing to a child that closed its stdin must give EPIPE here, not kill the test process.
  sigset_t pipe_only;
  sigemptyset(&pipe_only);
  sigaddset(&pipe_only, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &pipe_only, nullptr);
  Fd stdin_write, stdout_read, stderr_read;
  try {
    launch(stdin_write, stdout_read, stderr_read);
  } catch (const std::exception& error) {
    report_start(error.what());
    return;
  }
  const Clock::time_point deadline = Clock::now() + options.time_limit;
  try {
    pump(stdin_write, stdout_read, stderr_read, deadline);
  } catch (...) {
    kill_group();  // out of memory while capturing: end the child rather than hang
  }
  reap(deadline);
}

void ChildProcess::State::launch(Fd& stdin_write, Fd& stdout_read, Fd& stderr_read) {
  if (argv.empty()) throw std::runtime_error("empty argv");
  const std::string program = resolve_program(argv[0]);
  std::vector<std::string> env = build_environment(options.extra_env);
  std::vector<char*> argv_pointers = pointers_to(argv);
  std::vector<char*> env_pointers = pointers_to(env);
  const std::string working_dir = options.working_dir.string();
  const long open_max = ::sysconf(_SC_OPEN_MAX);
  const int max_fd = static_cast<int>(std::clamp(open_max, 256L, 65536L));

  Fd stdin_read, stdout_write, stderr_write, error_read, error_write;
  if (options.stdin_data) {
    make_pipe(stdin_read, stdin_write);
    if (::fcntl(stdin_write.get(), F_SETFL, O_NONBLOCK) != 0) {
      throw std::runtime_error("fcntl failed: " +
                               std::error_code(errno, std::system_category()).message());
    }
  } else {
    stdin_read.reset(::open("/dev/null", O_RDONLY | O_CLOEXEC));
    if (stdin_read.get() < 0) throw std::runtime_error("cannot open /dev/null");
  }
  make_pipe(stdout_read, stdout_write);
  make_pipe(stderr_read, stderr_write);
  make_pipe(error_read, error_write);

  const pid_t child = ::fork();
  if (child < 0) {
    throw std::runtime_error("fork failed: " +
                             std::error_code(errno, std::system_category()).message());
  }
  if (child == 0) {
    exec_child(program.c_str(), argv_pointers.data(), env_pointers.data(),
               working_dir.empty() ? nullptr : working_dir.c_str(), stdin_read.get(),
               stdout_write.get(), stderr_write.get(), error_write.get(), max_fd);
  }
  {
    std::lock_guard lock(mutex);
    pid = child;
  }
  stdin_read.reset();
  stdout_write.reset();
  stderr_write.reset();
  error_write.reset();

  // EOF on the error pipe means execve succeeded (it closed the pipe); bytes mean it failed.
  ExecFailure failure;
  ssize_t got = 0;
  do {
    got = ::read(error_read.get(), &failure, sizeof failure);
  } while (got < 0 && errno == EINTR);
  if (got > 0) {
    int status = 0;
    while (::waitpid(child, &status, 0) < 0 && errno == EINTR) {
    }
    {
      std::lock_guard lock(mutex);
      reaped = true;
    }
    throw std::runtime_error(describe_failure(failure, program, options.working_dir));
  }
  report_start({});
}

void ChildProcess::State::pump(Fd& stdin_write, Fd& stdout_read, Fd& stderr_read,
                               Clock::time_point deadline) {
  const std::string_view input =
      options.stdin_data ? std::string_view(*options.stdin_data) : std::string_view();
  std::size_t input_offset = 0;
  if (input.empty()) stdin_write.reset();
  std::array<char, 65536> buffer{};

  while (stdout_read.get() >= 0 || stderr_read.get() >= 0) {
    const auto remaining =
        std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (remaining <= 0) {
      kill_group();
      result.timed_out = true;
      return;
    }
    std::array<pollfd, 3> fds{};
    std::array<Fd*, 3> owners{};
    nfds_t count = 0;
    for (Fd* fd : {&stdout_read, &stderr_read, &stdin_write}) {
      if (fd->get() < 0) continue;
      owners[count] = fd;
      fds[count++] = {fd->get(), static_cast<short>(fd == &stdin_write ? POLLOUT : POLLIN), 0};
    }
    const int timeout_ms = static_cast<int>(std::min<long long>(remaining, INT_MAX));
    const int ready = ::poll(fds.data(), count, timeout_ms);
    if (ready < 0 && errno != EINTR) throw std::runtime_error("poll failed");
    if (ready <= 0) continue;

    for (nfds_t i = 0; i < count; ++i) {
      if (fds[i].revents == 0) continue;
      Fd& fd = *owners[i];
      if (&fd == &stdin_write) {
        const std::size_t chunk = std::min<std::size_t>(input.size() - input_offset, 65536);
        const ssize_t wrote = ::write(fd.get(), input.data() + input_offset, chunk);
        if (wrote > 0) input_offset += static_cast<std::size_t>(wrote);
        if ((wrote < 0 && errno != EAGAIN && errno != EINTR) || input_offset == input.size()) {
          fd.reset();  // all written, or the child closed its end (EPIPE)
        }
        continue;
      }
      std::string& sink = &fd == &stdout_read ? result.out : result.err;
      const ssize_t got = ::read(fd.get(), buffer.data(), buffer.size());
      if (got > 0) {
        sink.append(buffer.data(), static_cast<std::size_t>(got));
      } else if (got == 0 || (errno != EAGAIN && errno != EINTR)) {
        fd.reset();
      }
    }
  }
  stdin_write.reset();  // the child closed its output; don't wait on a stdin it never reads
}

void ChildProcess::State::reap(Clock::time_point deadline) {
  // Wait without reaping, so signal() can never hit a recycled pid; a child that closed its
  // output but keeps running is still bounded by the deadline.
  auto nap = std::chrono::microseconds(200);
  for (;;) {
    siginfo_t info{};
    const int rc = ::waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOHANG | WNOWAIT);
    if (rc < 0 && errno != EINTR) break;
    if (rc == 0 && info.si_pid == pid) break;
    if (!result.timed_out && Clock::now() >= deadline) {
      kill_group();
      result.timed_out = true;
    }
    std::this_thread::sleep_for(nap);
    nap = std::min<std::chrono::microseconds>(nap * 2, std::chrono::milliseconds(10));
  }
  std::lock_guard lock(mutex);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  reaped = true;
  if (WIFEXITED(status)) result.exit_code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) result.term_signal = WTERMSIG(status);
}

std::string ProcessResult::describe() const {
  std::string text = timed_out ? "timed out, " : "";
  text += term_signal != 0 ? "killed by signal " + std::to_string(term_signal)
                           : "exit code " + std::to_string(exit_code);
  constexpr std::size_t kMaxShown = 4000;
  text += "; stderr: ";
  text += err.size() > kMaxShown ? err.substr(0, kMaxShown) + "..." : err;
  return text;
}

ChildProcess ChildProcess::start(const std::vector<std::string>& argv,
                                 const ProcessOptions& options) {
  auto state = std::make_unique<State>();
  state->argv = argv;
  state->options = options;
  State* raw = state.get();
  state->thread = std::thread([raw] { raw->run(); });
  std::unique_lock lock(state->mutex);
  state->started_cv.wait(lock, [raw] { return raw->started; });
  if (!state->start_error.empty()) {
    const std::string error = state->start_error;
    lock.unlock();
    state->thread.join();
    throw std::runtime_error(error);
  }
  lock.unlock();
  return ChildProcess(std::move(state));
}

ChildProcess::ChildProcess(std::unique_ptr<State> state) : state_(std::move(state)) {}
ChildProcess::ChildProcess(ChildProcess&&) noexcept = default;

ChildProcess& ChildProcess::operator=(ChildProcess&& other) noexcept {
  if (this != &other) {
    kill_and_join();
    state_ = std::move(other.state_);
  }
  return *this;
}

ChildProcess::~ChildProcess() { kill_and_join(); }

void ChildProcess::kill_and_join() noexcept {
  if (!state_ || !state_->thread.joinable()) return;
  state_->kill_group();
  state_->thread.join();
}

pid_t ChildProcess::pid() const {
  std::lock_guard lock(state_->mutex);
  return state_->pid;
}

void ChildProcess::signal(int signal_number) {
  std::lock_guard lock(state_->mutex);
  if (state_->pid > 0 && !state_->reaped) ::kill(state_->pid, signal_number);
}

bool ChildProcess::finished() const {
  std::lock_guard lock(state_->mutex);
  if (state_->reaped) return true;
  siginfo_t info{};
  const int rc =
      ::waitid(P_PID, static_cast<id_t>(state_->pid), &info, WEXITED | WNOHANG | WNOWAIT);
  return rc == 0 && info.si_pid == state_->pid;
}

ProcessResult ChildProcess::wait() {
  if (!state_ || !state_->thread.joinable()) throw std::logic_error("ChildProcess::wait twice");
  state_->thread.join();
  return std::move(state_->result);
}

ProcessResult run_process(const std::vector<std::string>& argv, const ProcessOptions& options) {
  return ChildProcess::start(argv, options).wait();
}

std::string spate_binary() { return SPATE_BINARY; }

ProcessResult run_spate(const std::vector<std::string>& args, const ProcessOptions& options) {
  std::vector<std::string> argv{spate_binary()};
  argv.insert(argv.end(), args.begin(), args.end());
  return run_process(argv, options);
}

}  // namespace spate::testing
