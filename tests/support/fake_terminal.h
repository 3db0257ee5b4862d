// A terminal screen for tests of the live progress display. It knows only what the display may
// send: printable ASCII, "\r", "\n" (as the tty driver's ONLCR makes it: CR LF), "\x1b[K" and
// "\x1b[NA" with N >= 1. Anything else, and moving above the first row, is recorded as a
// violation. Writing past the last column wraps as xterm does (on the next character, so a
// line that ends at the margin leaves the cursor there, "pending wrap") and is counted.
// Unbounded scrollback: row 0 is the first row ever written. One owner, not thread-safe.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace spate::testing {

class FakeTerminal {
 public:
  explicit FakeTerminal(std::size_t width) : width_(width) {}

  void feed(std::string_view bytes);

  // Rows without trailing blanks; blank rows at the bottom are dropped.
  std::vector<std::string> screen() const;
  std::size_t row() const { return row_; }
  std::size_t col() const { return col_; }

  std::vector<std::string> violations;
  std::size_t wraps = 0;

 private:
  std::size_t escape(std::string_view bytes, std::size_t i);  // returns the last byte used
  std::string& line();
  void put(char c);

  std::size_t width_;
  std::vector<std::string> rows_;
  std::size_t row_ = 0;
  std::size_t col_ = 0;
  bool pending_wrap_ = false;
};

}  // namespace spate::testing
