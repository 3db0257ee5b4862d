#include "reporter.h"

#include "spate/units.h"

#include "exit_codes.h"

#include <fmt/format.h>

namespace spate::cli {
namespace {

template <class... Ts>
struct Overloaded : Ts... {
  using Ts::operator()...;
};
template <class... Ts>
Overloaded(Ts...) -> Overloaded<Ts...>;

}  // namespace

void Reporter::on_event(const Event& event) {
  std::visit(Overloaded{
                 [&](const TaskFinished& e) {
                   ++finished_;
                   bytes_ += e.bytes;
                   if (quiet_) return;
                   if (e.skipped) {
                     fmt::print(out_, "spate: {} exists, skipped\n", e.path.string());
                     return;
                   }
                   const double rate = e.seconds > 0 ? static_cast<double>(e.bytes) / e.seconds : 0;
                   fmt::print(out_, "spate: saved {} ({} in {:.2f}s, {})\n", e.path.string(),
                              format_bytes(e.bytes), e.seconds, format_rate(rate));
                 },
                 [&](const TaskFailed& e) {
                   failures_.push_back({e.url, e.error.message, e.attempts});
                   fmt::print(out_, "spate: error: {}: {}\n", e.url, e.error.message);
                 },
                 [&](const TaskRetrying& e) {
                   if (quiet_) return;
                   fmt::print(out_, "spate: retrying in {:.1f}s after attempt {}: {}\n",
                              static_cast<double>(e.wait.count()) / 1000.0, e.attempt,
                              e.reason.message);
                 },
                 [](const auto&) {},
             },
             event);
  std::fflush(out_);
}

void Reporter::print_summary() const {
  const std::uint64_t total = finished_ + failures_.size();
  if (total <= 1 || (quiet_ && failures_.empty())) return;
  fmt::print(out_, "spate: {} of {} downloads complete ({}), {} failed\n", finished_, total,
             format_bytes(bytes_), failures_.size());
  for (const auto& failure : failures_) {
    fmt::print(out_, "  FAILED {}  {} (attempts: {})\n", failure.url, failure.reason,
               failure.attempts);
  }
}

int Reporter::exit_code() const { return failures_.empty() ? kExitOk : kExitDownloadFailed; }

}  // namespace spate::cli
