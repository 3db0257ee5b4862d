// probe_terminal on a real pseudo-terminal of a known size, on a pipe, and with TERM=dumb.
#include "terminal.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fcntl.h>
#include <string>
#include <sys/ioctl.h>
#include <unistd.h>

namespace spate::cli {
namespace {

// A pty pair; the test probes the terminal side.
class Pty {
 public:
  Pty() {
    master_ = ::posix_openpt(O_RDWR | O_NOCTTY);
    if (master_ < 0 || ::grantpt(master_) != 0 || ::unlockpt(master_) != 0) return;
    const char* name = ::ptsname(master_);  // NOLINT(concurrency-mt-unsafe): single-threaded test
    if (name != nullptr) slave_ = ::open(name, O_RDWR | O_NOCTTY);
  }
  ~Pty() {
    if (slave_ >= 0) ::close(slave_);
    if (master_ >= 0) ::close(master_);
  }
  Pty(const Pty&) = delete;
  Pty& operator=(const Pty&) = delete;
  int fd() const { return slave_; }

 private:
  int master_ = -1;
  int slave_ = -1;
};

// Sets TERM for one test and restores it.
class ScopedTerm {
 public:
  explicit ScopedTerm(const char* value) {
    const char* old = std::getenv("TERM");  // NOLINT(concurrency-mt-unsafe)
    if (old != nullptr) old_ = old;
    had_ = old != nullptr;
    ::setenv("TERM", value, 1);  // NOLINT(concurrency-mt-unsafe)
  }
  ~ScopedTerm() {
    if (had_) {
      ::setenv("TERM", old_.c_str(), 1);  // NOLINT(concurrency-mt-unsafe)
    } else {
      ::unsetenv("TERM");  // NOLINT(concurrency-mt-unsafe)
    }
  }
  ScopedTerm(const ScopedTerm&) = delete;
  ScopedTerm& operator=(const ScopedTerm&) = delete;

 private:
  std::string old_;
  bool had_ = false;
};

TEST(TerminalTest, PseudoTerminalReportsItsSize) {
  const ScopedTerm term("xterm-256color");
  const Pty pty;
  ASSERT_GE(pty.fd(), 0) << "no pseudo-terminal available";
  winsize size{};
  size.ws_col = 123;
  size.ws_row = 45;
  ASSERT_EQ(::ioctl(pty.fd(), TIOCSWINSZ, &size), 0);
  const TerminalInfo info = probe_terminal(pty.fd());
  EXPECT_TRUE(info.is_tty);
  EXPECT_EQ(info.width, 123);
  EXPECT_EQ(info.height, 45);
}

TEST(TerminalTest, DumbTerminalGetsNoCursorMovement) {
  const ScopedTerm term("dumb");
  const Pty pty;
  ASSERT_GE(pty.fd(), 0);
  EXPECT_FALSE(probe_terminal(pty.fd()).is_tty);
}

TEST(TerminalTest, PipeIsNotATerminal) {
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  const TerminalInfo info = probe_terminal(fds[1]);
  EXPECT_FALSE(info.is_tty);
  EXPECT_EQ(info.width, 80);
  ::close(fds[0]);
  ::close(fds[1]);
  EXPECT_FALSE(probe_terminal(-1).is_tty);
}

}  // namespace
}  // namespace spate::cli
