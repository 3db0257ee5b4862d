#include "download_results.h"

#include "spate/units.h"

#include "text_fit.h"

#include <fmt/format.h>

namespace spate::cli {
namespace {

constexpr std::size_t kStatusWidth = 4;
constexpr std::size_t kSpeedWidth = 11;
constexpr std::size_t kSizeWidth = 9;

std::string seconds_text(double seconds) {
  if (seconds < 60) return fmt::format("{:.1f}s", std::max(0.0, seconds));
  return format_duration(std::chrono::seconds(static_cast<std::int64_t>(seconds)));
}

}  // namespace

void DownloadResults::add(const TaskFinished& finished) {
  ++totals_.succeeded;
  if (finished.skipped) {
    ++totals_.skipped;
  } else {
    totals_.bytes += finished.bytes;
  }
  if (success_rows_ >= max_success_rows_) return;
  ++success_rows_;
  Row row;
  row.status = finished.skipped ? Status::Skip : Status::Ok;
  row.target = sanitize(finished.path.string());
  row.bytes = finished.bytes;
  row.seconds = finished.seconds;
  row.attempts = finished.attempts;
  rows_.push_back(std::move(row));
}

void DownloadResults::add(const TaskFailed& failed) {
  ++totals_.failed;
  Row row;
  row.status = Status::Err;
  row.target = sanitize(failed.url);
  row.reason = sanitize(failed.error.message);
  row.attempts = failed.attempts;
  rows_.push_back(std::move(row));
}

std::string DownloadResults::render(bool quiet, double seconds) const {
  const bool any_failed = totals_.failed > 0;
  if (quiet ? !any_failed : (totals_.total() <= 1 && !any_failed)) return {};
  std::string out = quiet ? std::string() : render_table();
  std::string skipped;
  if (totals_.skipped > 0) skipped = fmt::format(", {} skipped", totals_.skipped);
  out += fmt::format("{} of {} downloads complete ({} in {}{}), {} failed\n", totals_.succeeded,
                     totals_.total(), format_bytes(totals_.bytes), seconds_text(seconds), skipped,
                     totals_.failed);
  for (const Row& row : rows_) {
    if (row.status != Status::Err) continue;
    out += fmt::format("  FAILED {}: {} (attempts: {})\n", row.target, row.reason, row.attempts);
  }
  return out;
}

std::string DownloadResults::render_table() const {
  std::string out = "Download results:\n";
  out += fmt::format("{} {} {}  path/URL\n", pad_right("stat", kStatusWidth),
                     pad_left("avg speed", kSpeedWidth), pad_left("size", kSizeWidth));
  for (const Row& row : rows_) {
    std::string status = "OK";
    std::string speed = "-";
    std::string size = format_bytes(row.bytes);
    if (row.status == Status::Ok && row.seconds > 0) {
      speed = format_rate(static_cast<double>(row.bytes) / row.seconds);
    } else if (row.status == Status::Skip) {
      status = "SKIP";
    } else if (row.status == Status::Err) {
      status = "ERR";
      size = "-";
    }
    out += fmt::format("{} {} {}  {}\n", pad_right(status, kStatusWidth),
                       pad_left(speed, kSpeedWidth), pad_left(size, kSizeWidth), row.target);
  }
  const std::uint64_t successes = totals_.succeeded;
  if (successes > success_rows_) {
    out += fmt::format("... and {} more succeeded\n", successes - success_rows_);
  }
  return out;
}

}  // namespace spate::cli
