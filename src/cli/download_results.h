// The outcome of every download of a run, for the closing "Download results" table (like
// aria2's): status (OK, SKIP, ERR), average speed, size, and path or URL, then the reason and
// attempts of every failure. Memory stays bounded on a run of a million URLs: every failure is
// kept (each must be reported), successes only as counts plus the first few rows.
// Thread-compatible: used from the CLI's main thread only.
#pragma once

#include "spate/events.h"

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

namespace spate::cli {

struct RunTotals {
  std::uint64_t succeeded = 0;  // downloaded or skipped
  std::uint64_t skipped = 0;    // of succeeded: the file was already there
  std::uint64_t failed = 0;
  std::int64_t bytes = 0;  // downloaded by this run (skipped files do not count)
  std::uint64_t total() const { return succeeded + failed; }
};

class DownloadResults {
 public:
  static constexpr std::size_t kDefaultSuccessRows = 20;

  explicit DownloadResults(std::size_t max_success_rows = kDefaultSuccessRows)
      : max_success_rows_(max_success_rows) {}

  void add(const TaskFinished& finished);
  void add(const TaskFailed& failed);

  const RunTotals& totals() const { return totals_; }

  // The table, the counts line and the failures, one "\n"-terminated line each; empty when
  // there is nothing worth a summary (a single download that worked). `quiet` keeps only the
  // counts line and the failures, and only when something failed. `seconds`: the run's length.
  std::string render(bool quiet, double seconds) const;

 private:
  enum class Status { Ok, Skip, Err };
  struct Row {
    Status status = Status::Ok;
    std::string target;  // sanitized path, or URL for a failure
    std::int64_t bytes = 0;
    double seconds = 0;
    std::string reason;  // failures only (sanitized)
    int attempts = 0;
  };

  std::string render_table() const;

  std::size_t max_success_rows_;
  RunTotals totals_;
  std::vector<Row> rows_;  // in the order downloads ended: every failure, the first successes
  std::uint64_t success_rows_ = 0;
};

}  // namespace spate::cli
