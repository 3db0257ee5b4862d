#include "reporter.h"

#include "exit_codes.h"

#include <chrono>
#include <unistd.h>

namespace spate::cli {
namespace {

ProgressViewOptions progress_options(std::FILE* machine, const ReporterOptions& options) {
  ProgressViewOptions view;
  view.terminal = options.terminal;
  view.quiet = options.quiet;
  // NDJSON on the same terminal would be torn apart by the live block: keep to plain lines.
  if (options.json && machine != nullptr && ::isatty(::fileno(machine)) == 1) {
    view.terminal.is_tty = false;
  }
  return view;
}

}  // namespace

Reporter::Reporter(std::FILE* human, std::FILE* machine, ReporterOptions options,
                   std::function<Clock::time_point()> now)
    : human_(human),
      options_(options),
      now_(std::move(now)),
      start_(now_()),
      progress_(human, progress_options(machine, options)) {
  if (options.json) json_.emplace(machine);
}

void Reporter::on_event(const Event& event) {
  const Clock::time_point now = now_();
  if (const auto* finished = std::get_if<TaskFinished>(&event)) results_.add(*finished);
  if (const auto* failed = std::get_if<TaskFailed>(&event)) results_.add(*failed);
  if (json_) json_->on_event(event, now);
  progress_.on_event(event, now);
}

void Reporter::message(std::string_view line) { progress_.message(line, now_()); }

void Reporter::tick() {
  if (options_.terminal_fd >= 0 && options_.terminal.is_tty) {
    const TerminalInfo info = probe_terminal(options_.terminal_fd);
    if (info.width != options_.terminal.width || info.height != options_.terminal.height) {
      options_.terminal = info;
      progress_.resize(info.width, info.height);
    }
  }
  progress_.tick(now_());
}

void Reporter::print_summary() {
  const double seconds = std::chrono::duration<double>(now_() - start_).count();
  progress_.finish();
  const std::string table = results_.render(options_.quiet, seconds);
  if (!table.empty()) {
    std::fwrite(table.data(), 1, table.size(), human_);
    std::fflush(human_);
  }
  if (json_) json_->summary(results_.totals(), seconds);
}

int Reporter::exit_code() const {
  return results_.totals().failed == 0 ? kExitOk : kExitDownloadFailed;
}

}  // namespace spate::cli
