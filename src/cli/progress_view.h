// The human view of a run, on stderr. On a terminal: a live block of one line per active download
// plus a total line, redrawn in place at most every redraw_interval, with a permanent line above
// it for every download that ends. Elsewhere (a pipe, a log file): no escape codes, one line per
// download that ends and a periodic status line. Quiet: errors only.
// Time is passed in by the caller, so tests drive it; the view never sleeps or reads a clock.
// Thread-compatible: used from the CLI's main thread only. Does not own `out`.
#pragma once

#include "spate/events.h"

#include "progress_layout.h"
#include "terminal.h"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace spate::cli {

struct ProgressViewOptions {
  TerminalInfo terminal;  // is_tty selects the live block; width and height bound it
  bool quiet = false;     // errors only
  std::chrono::milliseconds redraw_interval{100};                      // live block, terminal only
  std::chrono::milliseconds status_interval{std::chrono::seconds(5)};  // status line, not a tty
  std::size_t max_rows = 10;  // download lines in the live block; the rest are counted
};

class ProgressView {
 public:
  using Clock = std::chrono::steady_clock;

  ProgressView(std::FILE* out, ProgressViewOptions options);
  ProgressView(const ProgressView&) = delete;
  ProgressView& operator=(const ProgressView&) = delete;

  void on_event(const Event& event, Clock::time_point now);
  // Any other line for the user (a warning, a skipped input line): printed above the live block,
  // sanitized, also when quiet. Anything written to the stream by other means breaks the block.
  void message(std::string_view line, Clock::time_point now);
  // Redraws when due; call it after each batch of events and whenever the caller wakes up.
  void tick(Clock::time_point now);
  // A new terminal size (the window was resized); applies from the next redraw.
  void resize(int width, int height);
  // Prints the pending lines and erases the live block; the stream is then free for the final
  // summary. Idempotent; events after it print nothing.
  void finish();

 private:
  void on_started(const TaskStarted& e);
  void on_progress(const TaskProgress& e);
  void on_retrying(const TaskRetrying& e);
  void on_finished(const TaskFinished& e);
  void on_failed(const TaskFailed& e);
  void on_notice(const TaskNotice& e);
  void forget(TaskId id);

  void add_line(std::string line);  // a permanent line: now, or above the block at the next redraw
  bool redraw_due(Clock::time_point now) const;
  void redraw(Clock::time_point now);
  void append_row(std::string& frame, const std::string& line) const;
  std::vector<std::string> block_lines() const;
  std::string total_line() const;   // last line of the live block
  std::string status_line() const;  // periodic line when not a terminal
  std::size_t usable_width() const;
  std::size_t rows_of(const std::string& line) const;  // terminal rows a permanent line takes
  void maybe_print_status(Clock::time_point now);
  void write(const std::string& text);

  std::FILE* out_;
  ProgressViewOptions options_;
  bool live_ = false;  // terminal and not quiet: the live block is drawn
  bool finished_ = false;

  // Every task between queued and its end, for naming it in retry lines. Bounded by the
  // session's intake capacity plus its concurrent downloads.
  std::unordered_map<TaskId, std::string> urls_;
  std::map<TaskId, DownloadRow> active_;  // started and not ended, in start order (ids grow)

  std::uint64_t queued_ = 0;
  std::uint64_t done_ = 0;
  std::uint64_t failed_ = 0;
  std::int64_t bytes_done_ = 0;  // bytes of the downloads that ended well

  std::vector<std::string> pending_;  // permanent lines waiting for the next redraw
  std::size_t live_rows_ = 0;         // rows of the block on screen; the cursor is below it
  bool dirty_ = false;                // something changed since the last redraw
  std::optional<Clock::time_point> last_redraw_;
  std::optional<Clock::time_point> last_status_;  // periodic line when not a terminal
};

}  // namespace spate::cli
