// What the progress display needs to know about the stream it writes to: is it a terminal that
// understands cursor movement, and how wide and tall it is. probe_terminal is a pair of system
// calls; thread-safe.
#pragma once

namespace spate::cli {

struct TerminalInfo {
  bool is_tty = false;  // a terminal that takes "\r", "\x1b[K" and "\x1b[NA" (not TERM=dumb)
  int width = 80;       // columns
  int height = 0;       // rows; 0 = unknown
};

// Probes `fd` (normally 2, stderr) with isatty and ioctl(TIOCGWINSZ). A terminal that reports no
// size falls back to $COLUMNS, then 80 columns.
TerminalInfo probe_terminal(int fd);

}  // namespace spate::cli
