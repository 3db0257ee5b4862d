#include "progress_view.h"

#include "spate/units.h"

#include "text_fit.h"

#include <fmt/format.h>

#include <algorithm>
#include <type_traits>

namespace spate::cli {
namespace {

// Permanent lines held for the next redraw at most; more are printed at once (with a redraw),
// which bounds memory when thousands of small downloads end between two redraws.
constexpr std::size_t kMaxPending = 256;

constexpr const char* kClearLine = "\x1b[K";

// "0.42s" for short downloads (whole seconds would say "0s"), "3m05s" for longer ones.
std::string elapsed_text(double seconds) {
  if (seconds < 60) return fmt::format("{:.2f}s", std::max(0.0, seconds));
  return format_duration(std::chrono::seconds(static_cast<std::int64_t>(seconds)));
}

std::string name_of(const TaskStarted& e) {
  const std::string file = e.path.filename().string();
  return sanitize(file.empty() ? e.url : file);
}

}  // namespace

ProgressView::ProgressView(std::FILE* out, ProgressViewOptions options)
    : out_(out), options_(options), live_(options.terminal.is_tty && !options.quiet) {}

void ProgressView::on_event(const Event& event, Clock::time_point now) {
  if (finished_) return;
  std::visit(
      [&](const auto& e) {
        using T = std::decay_t<decltype(e)>;
        if constexpr (std::is_same_v<T, TaskQueued>) {
          ++queued_;
          // Quiet: nothing names a task but its own error line, so no name is kept per task.
          if (!options_.quiet) urls_[e.id] = sanitize(e.url);
          dirty_ = true;
        } else if constexpr (std::is_same_v<T, TaskStarted>) {
          if (!options_.quiet) on_started(e);
        } else if constexpr (std::is_same_v<T, TaskProgress>) {
          on_progress(e);
        } else if constexpr (std::is_same_v<T, TaskRetrying>) {
          on_retrying(e);
        } else if constexpr (std::is_same_v<T, TaskFinished>) {
          on_finished(e);
        } else if constexpr (std::is_same_v<T, TaskFailed>) {
          on_failed(e);
        } else if constexpr (std::is_same_v<T, TaskNotice>) {
          on_notice(e);
        }  // EventsDropped: progress is a snapshot, the next one replaces what was lost.
      },
      event);
  if (live_ && ((dirty_ && redraw_due(now)) || pending_.size() >= kMaxPending)) redraw(now);
  maybe_print_status(now);
}

void ProgressView::message(std::string_view line, Clock::time_point now) {
  if (finished_) {
    write(sanitize(line) + "\n");
    return;
  }
  add_line(sanitize(line));
  if (live_ && redraw_due(now)) redraw(now);
}

void ProgressView::tick(Clock::time_point now) {
  if (finished_) return;
  if (live_ && dirty_ && redraw_due(now)) redraw(now);
  maybe_print_status(now);
}

void ProgressView::resize(int width, int height) {
  options_.terminal.width = width;
  options_.terminal.height = height;
  dirty_ = true;
}

void ProgressView::finish() {
  if (finished_) return;
  finished_ = true;
  if (live_) redraw(last_redraw_.value_or(Clock::time_point{}));
}

void ProgressView::on_started(const TaskStarted& e) {
  DownloadRow& row = active_[e.id];
  row.name = name_of(e);
  row.size = e.size;
  row.connections = e.connections;
  if (!urls_.contains(e.id)) urls_[e.id] = sanitize(e.url);
  dirty_ = true;
}

void ProgressView::on_progress(const TaskProgress& e) {
  const auto it = active_.find(e.id);
  if (it == active_.end()) return;  // not started yet: nothing to draw
  it->second.downloaded = e.downloaded;
  it->second.size = e.size;
  it->second.bytes_per_second = e.bytes_per_second;
  it->second.connections = e.connections;
  dirty_ = true;
}

void ProgressView::on_retrying(const TaskRetrying& e) {
  if (options_.quiet) return;
  const auto it = urls_.find(e.id);
  const std::string what = it != urls_.end() ? it->second : fmt::format("task {}", e.id);
  add_line(fmt::format("retrying {} in {:.1f}s after attempt {}: {}", what,
                       static_cast<double>(e.wait.count()) / 1000.0, e.attempt,
                       sanitize(e.reason.message)));
}

void ProgressView::on_finished(const TaskFinished& e) {
  ++done_;
  if (!e.skipped) bytes_done_ += e.bytes;
  forget(e.id);
  if (options_.quiet) return;
  const std::string path = sanitize(e.path.string());
  if (e.skipped) {
    add_line(fmt::format("skipped {} (already exists)", path));
    return;
  }
  const double rate = e.seconds > 0 ? static_cast<double>(e.bytes) / e.seconds : 0;
  add_line(fmt::format("saved {} ({} in {}, {})", path, format_bytes(e.bytes),
                       elapsed_text(e.seconds), format_rate(rate)));
}

void ProgressView::on_failed(const TaskFailed& e) {
  ++failed_;
  forget(e.id);
  add_line(fmt::format("error: {}: {}", sanitize(e.url), sanitize(e.error.message)));
}

void ProgressView::on_notice(const TaskNotice& e) {
  if (options_.quiet) return;
  const auto it = urls_.find(e.id);
  const std::string what = it != urls_.end() ? it->second : fmt::format("task {}", e.id);
  add_line(fmt::format("note: {}: {}", what, sanitize(e.message)));
}

void ProgressView::forget(TaskId id) {
  urls_.erase(id);
  active_.erase(id);
  dirty_ = true;
}

void ProgressView::add_line(std::string line) {
  if (!live_) {
    write(line + "\n");
    return;
  }
  pending_.push_back(std::move(line));
  dirty_ = true;
}

bool ProgressView::redraw_due(Clock::time_point now) const {
  return !last_redraw_ || now - *last_redraw_ >= options_.redraw_interval;
}

// The cursor rests at the start of the row below the block. A frame goes up to the block's first
// row, prints the pending permanent lines over it, then the new block, and blanks the rows of
// the old block that are left over. Each row starts with "clear line"; one write per frame.
void ProgressView::redraw(Clock::time_point now) {
  const std::vector<std::string> block = finished_ ? std::vector<std::string>{} : block_lines();
  if (pending_.empty() && block.empty() && live_rows_ == 0) return;
  std::string frame = "\r";
  if (live_rows_ > 0) frame += fmt::format("\x1b[{}A", live_rows_);
  std::size_t rows = 0;
  for (const std::string& line : pending_) {
    append_row(frame, line);
    rows += rows_of(line);
  }
  pending_.clear();
  for (const std::string& line : block) append_row(frame, line);
  rows += block.size();
  if (rows < live_rows_) {
    const std::size_t left_over = live_rows_ - rows;
    for (std::size_t i = 0; i < left_over; ++i) frame += fmt::format("{}\n", kClearLine);
    frame += fmt::format("\x1b[{}A", left_over);
  }
  live_rows_ = block.size();
  last_redraw_ = now;
  dirty_ = false;
  write(frame);
}

void ProgressView::append_row(std::string& frame, const std::string& line) const {
  frame += kClearLine;
  frame += line;
  // A permanent line that wrapped leaves old text on its last row: clear it too. Not when the
  // line ends exactly at the right margin, where "clear" would erase its last character.
  const std::size_t width = display_width(line);
  const auto columns = static_cast<std::size_t>(std::max(1, options_.terminal.width));
  if (width > columns && width % columns != 0) frame += kClearLine;
  frame += '\n';
}

std::vector<std::string> ProgressView::block_lines() const {
  std::size_t max_rows = std::max<std::size_t>(1, options_.max_rows);
  if (options_.terminal.height > 0) {
    // Leave room for the "more" and total lines and one spare row: a block taller than the
    // screen cannot be redrawn in place.
    const auto height = static_cast<std::size_t>(options_.terminal.height);
    max_rows = std::min(max_rows, height > 4 ? height - 3 : 1);
  }
  std::vector<DownloadRow> rows;
  for (const auto& [id, row] : active_) {
    if (rows.size() == max_rows) break;
    rows.push_back(row);
  }
  const std::size_t width = usable_width();
  std::vector<std::string> lines = render_rows(rows, width);
  if (active_.size() > rows.size()) {
    lines.push_back(fit_end(fmt::format("... and {} more", active_.size() - rows.size()), width));
  }
  if (queued_ > 1) lines.push_back(fit_end(total_line(), width));
  return lines;
}

namespace {

struct Sums {
  std::int64_t bytes = 0;
  double rate = 0;
};

Sums sum_active(const std::map<TaskId, DownloadRow>& active, std::int64_t bytes_done) {
  Sums sums{bytes_done, 0};
  for (const auto& [id, row] : active) {
    sums.bytes += row.downloaded;
    sums.rate += row.bytes_per_second;
  }
  return sums;
}

}  // namespace

// "total: 45.2MiB/s, 1.20GiB, 12/100 done, 3 active, 1 failed": most useful first, as the end
// is what a narrow terminal cuts.
std::string ProgressView::total_line() const {
  const Sums sums = sum_active(active_, bytes_done_);
  std::string failed;
  if (failed_ > 0) failed = fmt::format(", {} failed", failed_);
  return fmt::format("total: {}, {}, {}/{} done, {} active{}", compact_rate(sums.rate),
                     compact_bytes(sums.bytes), done_, queued_, active_.size(), failed);
}

// "[12/100 done, 1 failed, 3 active, 1.20 GiB, 45.2 MiB/s]"
std::string ProgressView::status_line() const {
  const Sums sums = sum_active(active_, bytes_done_);
  std::string failed;
  if (failed_ > 0) failed = fmt::format(", {} failed", failed_);
  return fmt::format("[{}/{} done{}, {} active, {}, {}]", done_, queued_, failed, active_.size(),
                     format_bytes(sums.bytes), format_rate(sums.rate));
}

void ProgressView::maybe_print_status(Clock::time_point now) {
  if (live_ || options_.quiet) return;
  if (!last_status_) {
    last_status_ = now;
    return;
  }
  if (active_.empty() || now - *last_status_ < options_.status_interval) return;
  last_status_ = now;
  write(status_line() + "\n");
}

// One column short of the width: a line that ends at the right margin makes some terminals
// wrap, and the block would then take more rows than it counts.
std::size_t ProgressView::usable_width() const {
  return static_cast<std::size_t>(std::max(1, options_.terminal.width - 1));
}

std::size_t ProgressView::rows_of(const std::string& line) const {
  const auto columns = static_cast<std::size_t>(std::max(1, options_.terminal.width));
  const std::size_t width = display_width(line);
  return width == 0 ? 1 : (width + columns - 1) / columns;
}

void ProgressView::write(const std::string& text) {
  std::fwrite(text.data(), 1, text.size(), out_);
  std::fflush(out_);
}

}  // namespace spate::cli
