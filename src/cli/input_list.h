// The -i/--input-file list in aria2's format, read one entry at a time so a list of millions of
// URLs streams in constant memory:
//
//   https://example.com/a.iso
//     out=images/a.iso
//     checksum=sha-256=9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08
//     header=Cookie: id=42
//   # a comment
//   https://example.com/b.iso
//
// A URL line is not indented; the option lines after it (indented by spaces or tabs, `name=value`)
// belong to it. Bad lines become InputProblems (with their line number) and reading goes on.
// InputListReader does not own its stream and is thread-compatible (one thread at a time);
// make_task is a pure function.
#pragma once

#include "spate/task.h"

#include <cstddef>
#include <cstdint>
#include <istream>
#include <optional>
#include <string>
#include <vector>

namespace spate::cli {

// Longest line accepted, in bytes without the line end. Longer lines are reported and skipped
// without ever being held whole.
inline constexpr std::size_t kMaxInputLineBytes = std::size_t{64} * 1024;
// At most this many header= lines per entry; further ones are reported and dropped.
inline constexpr std::size_t kMaxInputHeaders = 64;

struct InputEntry {
  std::size_t line = 0;  // line number of the URL line (1-based)
  std::string url;
  std::string out;       // "" = not given; relative, may contain sub-directories, never ".."
  std::string dir;       // "" = not given; relative to the command-line dir unless absolute
  std::string checksum;  // "" = not given, else "sha-256=HEX" as written (type lower-cased)
  std::vector<std::string> headers;  // "Name: value", in file order
  std::optional<int> split;
  std::optional<std::int64_t> min_split_size;
  std::optional<int> max_tries;
};

// One bad or doubtful line. `message` starts with "line N: ", e.g. "line 12: unknown option 'foo'".
struct InputProblem {
  std::size_t line = 0;
  std::string message;
};

class InputListReader {
 public:
  explicit InputListReader(std::istream& in);  // does not own the stream; it must outlive *this

  // The next entry, or nullopt at the end of the input. Problems found while reading it are
  // appended to `problems` (the caller prints them and goes on). An entry is returned even when
  // some of its option lines were bad; it then carries only the options that were valid.
  std::optional<InputEntry> next(std::vector<InputProblem>& problems);

 private:
  struct Line {
    std::size_t number = 0;
    std::string text;  // without the line end; at most kMaxInputLineBytes + 1 bytes
    bool too_long = false;
  };

  // Reads one raw line (or returns the one put back); nullopt at the end of the input.
  std::optional<Line> read_line();

  std::istream& in_;
  std::size_t line_number_ = 0;
  std::optional<Line> pending_;  // the URL line that ended the previous entry's options
  bool seen_url_line_ = false;   // to tell "option before any URL" from "option of a bad URL"
};

// Applies an entry onto `base` (the command-line defaults): url; dir (a relative dir= is taken
// relative to base.dir, an absolute one as is); out (its sub-directories, if any, are moved into
// dir so that Task::out stays a plain file name; base.out is never inherited, since one name for
// many files would collide); headers appended after base's; split, min_split_size and max_tries
// replaced when given. A split given here opens its connections at once (split_after 0), as -s
// does, unless `split_after_given` (--split-after was on the command line: base's value stays).
// Task has no checksum field yet: it stays in entry.checksum.
Task make_task(const Task& base, const InputEntry& entry, bool split_after_given = false);

}  // namespace spate::cli
