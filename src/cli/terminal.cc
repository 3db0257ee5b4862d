#include "terminal.h"

#include <cstdlib>
#include <string_view>
#include <sys/ioctl.h>
#include <unistd.h>

namespace spate::cli {

TerminalInfo probe_terminal(int fd) {
  TerminalInfo info;
  // getenv is only read here, on the CLI's main thread, which never sets the environment.
  const char* term = std::getenv("TERM");  // NOLINT(concurrency-mt-unsafe)
  info.is_tty =
      fd >= 0 && ::isatty(fd) == 1 && !(term != nullptr && std::string_view(term) == "dumb");
  if (!info.is_tty) return info;
  winsize size{};
  if (::ioctl(fd, TIOCGWINSZ, &size) == 0 && size.ws_col > 0) {
    info.width = size.ws_col;
    info.height = size.ws_row;
    return info;
  }
  const char* columns = std::getenv("COLUMNS");  // NOLINT(concurrency-mt-unsafe)
  if (columns != nullptr) {
    const long value = std::strtol(columns, nullptr, 10);
    if (value > 0 && value < 10'000) info.width = static_cast<int>(value);
  }
  return info;
}

}  // namespace spate::cli
