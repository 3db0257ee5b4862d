// Turns Session events into what the user reads on stderr, and remembers every failure for the
// final summary and the exit status. Used from the CLI's main thread only.
#pragma once

#include "spate/events.h"

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

namespace spate::cli {

class Reporter {
 public:
  Reporter(std::FILE* out, bool quiet) : out_(out), quiet_(quiet) {}

  void on_event(const Event& event);
  // The closing lines: counts and every failed download (URL, reason, attempts).
  void print_summary() const;
  int exit_code() const;

  std::uint64_t finished() const { return finished_; }
  std::uint64_t failed() const { return failures_.size(); }

 private:
  struct Failure {
    std::string url;
    std::string reason;
    int attempts = 0;
  };

  std::FILE* out_;
  bool quiet_;
  std::uint64_t finished_ = 0;
  std::int64_t bytes_ = 0;
  std::vector<Failure> failures_;
};

}  // namespace spate::cli
