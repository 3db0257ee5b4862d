// What a run shows: routes every Session event to the human view (progress_view.h: live bars on a
// terminal, plain lines elsewhere; stderr) and, with --json, to the NDJSON view (json_view.h;
// stdout); remembers every outcome for the closing "Download results" table and the exit status.
// Thread-compatible: used from the CLI's main thread only. Does not own the streams.
#pragma once

#include "spate/events.h"

#include "download_results.h"
#include "json_view.h"
#include "progress_view.h"
#include "terminal.h"

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <optional>
#include <string_view>

namespace spate::cli {

struct ReporterOptions {
  bool quiet = false;     // -q: errors and the failure summary only
  bool json = false;      // --json: NDJSON events on the machine stream
  TerminalInfo terminal;  // of the human stream: probe_terminal(STDERR_FILENO)
  int terminal_fd = -1;   // when >= 0, re-probed on tick() so a resized window is followed
};

class Reporter {
 public:
  using Clock = std::chrono::steady_clock;

  // `human`: progress lines and the closing table (stderr). `machine`: NDJSON, used only with
  // options.json (stdout). `now` is the clock (tests pass a fake one).
  Reporter(std::FILE* human, std::FILE* machine, ReporterOptions options,
           std::function<Clock::time_point()> now = &Clock::now);

  void on_event(const Event& event);
  // A line for the user from elsewhere in the CLI (feeder problems, warnings): shown above the
  // live block, even when quiet. Main thread only, like everything here: nothing else may write
  // to the human stream while the run is going, or the live block is corrupted.
  void message(std::string_view line);
  // Call after each batch of events and whenever the main loop wakes: redraws the live block
  // when due and prints the periodic status line when not on a terminal.
  void tick();
  // Erases the live block, then prints the results table and failures (human stream) and the
  // "summary" object (machine stream). Call once, after the last event.
  void print_summary();
  int exit_code() const;

  std::uint64_t finished() const { return results_.totals().succeeded; }
  std::uint64_t failed() const { return results_.totals().failed; }

 private:
  std::FILE* human_;
  ReporterOptions options_;
  std::function<Clock::time_point()> now_;
  Clock::time_point start_;
  ProgressView progress_;
  std::optional<JsonView> json_;
  DownloadResults results_;
};

}  // namespace spate::cli
