// The command line: parsed into Session and Task options with CLI11. Pure apart from printing
// --help/--version; thread-compatible (call from one thread).
#pragma once

#include "spate/session.h"
#include "spate/task.h"

#include "shard.h"

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace spate::cli {

struct CliOptions {
  std::vector<std::string> urls;
  std::string input_file;  // -i: a list in aria2's format, "-" for stdin
  Shard shard;             // --shard K/N: this process takes only its share of the entries
  std::string out;         // -o: only with a single URL
  std::filesystem::path dir = ".";
  bool quiet = false;
  bool json = false;               // --json: NDJSON events on stdout, the human view on stderr
  bool split_after_given = false;  // --split-after was on the command line (see make_task)
  SessionOptions session;
  TaskOptions task;
};

struct ParseOutcome {
  std::optional<CliOptions> options;  // set when the program should run
  int exit_code = 0;                  // otherwise: exit with this (0 after --help/--version)
};

ParseOutcome parse_command_line(int argc, const char* const* argv);

}  // namespace spate::cli
